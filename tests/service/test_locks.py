"""Tests of the per-annotation locks."""

from __future__ import annotations

import asyncio

import pytest

from service.locks import KeyedLocks


async def test_same_key_runs_one_after_another() -> None:
    """Two holders of one key never overlap; the second starts after the first ends."""
    locks = KeyedLocks()
    events: list[str] = []
    first_inside = asyncio.Event()
    release_first = asyncio.Event()

    async def first() -> None:
        async with locks.hold(1):
            events.append("first-start")
            first_inside.set()
            await release_first.wait()
            events.append("first-end")

    async def second() -> None:
        await first_inside.wait()
        async with locks.hold(1):
            events.append("second-start")

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    await first_inside.wait()
    await asyncio.sleep(0)
    assert events == ["first-start"]
    release_first.set()
    await asyncio.gather(*tasks)
    assert events == ["first-start", "first-end", "second-start"]


async def test_different_keys_do_not_block_each_other() -> None:
    """Holding one key does not stop work on another key."""
    locks = KeyedLocks()
    async with locks.hold(1):
        async with asyncio.timeout(1):
            async with locks.hold(2):
                assert len(locks) == 2


async def test_idle_keys_are_evicted_even_after_cancellation() -> None:
    """Locks disappear once nobody holds or waits, including a waiter that was cancelled."""
    locks = KeyedLocks()
    async with locks.hold("a"):
        waiter = asyncio.create_task(_hold(locks, "a"))
        await asyncio.sleep(0)
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
        assert len(locks) == 1
    assert len(locks) == 0
    async with locks.hold(None):
        assert len(locks) == 0


async def _hold(locks: KeyedLocks, key: str) -> None:
    async with locks.hold(key):
        pass


async def test_a_failing_holder_releases_and_evicts_its_key() -> None:
    """An exception inside the block releases the lock (the next holder gets it at once)."""
    locks = KeyedLocks()
    with pytest.raises(ValueError):
        async with locks.hold("k"):
            raise ValueError("rule failed")
    assert len(locks) == 0
    async with asyncio.timeout(1):
        async with locks.hold("k"):
            assert len(locks) == 1
