"""Deadlines of many tasks on one event-loop timer.

`asyncio.timeout` makes a timer per use: a timer handle in the loop's heap, cancelled a moment
later when (as nearly always) the work was done in time, and kept there until the loop purges
it, holding the context of the delivery that made it. The service bounds two things per
delivery (the arrival of its body, the API work of its decision), so `Deadlines` only notes
each waiting task and its deadline; one timer, set for the earliest deadline noted, cancels
every task still noted past its deadline, as `asyncio.timeout` would, and sets itself again for
the next one. `within(deadline)` is the `async with` form, raising `TimeoutError` like
`asyncio.timeout_at`.

One `Deadlines` serves one event loop at a time (a service runs one); a task is noted at most
once per `Deadlines` (so nested bounds take separate ones).
"""

from __future__ import annotations

import asyncio
from types import TracebackType


class Deadlines:
    """Tasks noted with a deadline (loop time), and the one timer that enforces them."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._deadlines: dict[asyncio.Task[object], float] = {}
        self._expired: set[asyncio.Task[object]] = set()
        self._timer: asyncio.TimerHandle | None = None

    def start(self, task: asyncio.Task[object], deadline: float) -> int:
        """Note that `task` must be done by `deadline`; return its cancel count (for `stop`)."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (tests): nothing noted is of it
            self._loop, self._timer = loop, None
            self._deadlines.clear()
            self._expired.clear()
        self._deadlines[task] = deadline
        timer = self._timer
        if timer is None or deadline < timer.when():
            if timer is not None:
                timer.cancel()
            self._timer = loop.call_at(deadline, self._expire)
        return task.cancelling()

    def stop(self, task: asyncio.Task[object], cancelling: int) -> bool:
        """Forget `task`'s deadline; return True if the deadline cancelled it (and nothing
        else did: an outside cancellation stays a cancellation)."""
        self._deadlines.pop(task, None)
        if task not in self._expired:
            return False
        self._expired.discard(task)
        return task.uncancel() <= cancelling

    def within(self, deadline: float) -> Within:
        """Return `async with` bounding the block to `deadline` (raises `TimeoutError`)."""
        return Within(self, deadline)

    def _expire(self) -> None:
        assert self._loop is not None
        self._timer = None
        now = self._loop.time()
        for task, deadline in list(self._deadlines.items()):
            if deadline <= now:
                del self._deadlines[task]
                self._expired.add(task)
                task.cancel()
        if self._deadlines:
            self._timer = self._loop.call_at(min(self._deadlines.values()), self._expire)


class Within:
    """One `async with deadlines.within(deadline)`."""

    __slots__ = ("_cancelling", "_deadline", "_deadlines", "_task")

    def __init__(self, deadlines: Deadlines, deadline: float) -> None:
        self._deadlines, self._deadline = deadlines, deadline
        self._task: asyncio.Task[object] | None = None
        self._cancelling = 0

    async def __aenter__(self) -> None:
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("a deadline needs to run inside a task")
        self._task = task
        self._cancelling = self._deadlines.start(task, self._deadline)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._task is not None
        expired = self._deadlines.stop(self._task, self._cancelling)
        if expired and exc_type is asyncio.CancelledError:
            raise TimeoutError from exc
