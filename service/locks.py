"""Per-key asyncio locks that exist only while someone holds or waits for them.

Concurrent deliveries for one annotation (a user editing fast, Rossum retrying) must be applied
one after another, but a lock per annotation ever seen would grow without bound.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from types import TracebackType


class KeyedLocks:
    """Serialise work per key; idle keys are evicted so memory stays bounded."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    def __len__(self) -> int:
        return len(self._locks)

    def hold(self, key: Hashable | None) -> _Held:
        """Hold the lock of `key` for the `async with` block; `None` means no serialisation."""
        return _Held(self._locks, key)


class _Held:
    """One `async with locks.hold(key)`: a plain context manager (one is entered per delivery,
    and a generator-based one costs several times as much)."""

    __slots__ = ("_key", "_lock", "_locks")

    def __init__(self, locks: dict[Hashable, tuple[asyncio.Lock, int]], key: Hashable | None):
        self._locks, self._key = locks, key
        self._lock: asyncio.Lock | None = None

    async def __aenter__(self) -> None:
        key = self._key
        if key is None:
            return
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            await lock.acquire()
        except BaseException:
            self._release_user()
            raise
        self._lock = lock

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._lock is None:
            return
        self._lock.release()
        self._lock = None
        self._release_user()

    def _release_user(self) -> None:
        lock, users = self._locks[self._key]
        if users == 1:
            del self._locks[self._key]
        else:
            self._locks[self._key] = (lock, users - 1)
