"""Deadlines on one timer: each task is cut at its own deadline, as `asyncio.timeout_at`."""

from __future__ import annotations

import asyncio

import pytest

from service.deadlines import Deadlines


async def _bounded(deadlines: Deadlines, within_s: float, work_s: float) -> str:
    loop = asyncio.get_running_loop()
    async with deadlines.within(loop.time() + within_s):
        await asyncio.sleep(work_s)
    return "done"


async def test_each_task_is_cut_at_its_own_deadline_only() -> None:
    """A late task gets TimeoutError at its deadline; tasks done in time are untouched,
    including one whose deadline is later than the first timer's."""
    deadlines = Deadlines()
    loop = asyncio.get_running_loop()
    started = loop.time()
    late = asyncio.create_task(_bounded(deadlines, 0.1, 5))
    quick = asyncio.create_task(_bounded(deadlines, 0.05, 0.01))
    longer = asyncio.create_task(_bounded(deadlines, 0.4, 0.2))  # past the first deadlines
    assert await quick == "done"
    with pytest.raises(TimeoutError):
        await late
    assert 0.09 <= loop.time() - started < 0.3
    assert await longer == "done"
    with pytest.raises(TimeoutError):  # the timer sets itself again for later work
        await _bounded(deadlines, 0.05, 5)


async def test_a_past_deadline_cuts_at_the_next_wait() -> None:
    """A deadline already past (no time left for the work) times out at once."""
    with pytest.raises(TimeoutError):
        await _bounded(Deadlines(), -1, 5)


async def test_an_outside_cancellation_stays_a_cancellation() -> None:
    """Cancelling the task from outside is not turned into a timeout."""
    task = asyncio.create_task(_bounded(Deadlines(), 5, 5))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_one_deadlines_serves_successive_event_loops() -> None:
    """Kept across event loops (one app, several test loops), it still cuts late work."""
    deadlines = Deadlines()
    for _ in range(2):
        with pytest.raises(TimeoutError):
            asyncio.run(_bounded(deadlines, 0.05, 5))
