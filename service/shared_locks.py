"""Per-annotation ordering across replicas: a Redis lock with a lease and a fencing token.

`SharedLocks.hold(key)` first takes the in-process lock of `key` (so deliveries on one replica
queue in memory, not on Redis), then the Redis lock: `SET NX PX lease` in a script that also
increments the key's fencing counter. The lease is the delivery deadline plus a margin, so a
replica that dies holding an annotation frees it when the lease runs out; nobody needs to
renew, because the delivery's work is bounded by the same deadline. The fencing token (a
number that grows with every acquisition of the key) is the lock's value; `fence(key)` gives
it to the block's code, and shared state written under the lock is written only while the lock
still holds that token, so a holder whose lease ran out cannot overwrite what the next holder
wrote. Release deletes the lock only if it still holds our token.

The same script can read one more key along (`read_along`: the annotation's label state), so
the delivery that takes the lock has that state without another round trip
(`prefetched(key)`); nobody else can change it while the lock is held.

If Redis is unreachable, the in-process lock alone is held (ordering then holds per replica)
and the token is None.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Hashable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from types import MappingProxyType

from service.locks import KeyedLocks
from service.shared_store import PREFIX, SharedStateUnavailable, SharedStore

# KEYS[1]: the lock, KEYS[2]: the fencing counter, KEYS[3] (optional): a key to read along;
# ARGV[1]: lease (ms). Returns {0} if held elsewhere, else {fence[, value read along]}.
_ACQUIRE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
local fence = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], 86400000)
redis.call('SET', KEYS[1], fence, 'PX', ARGV[1])
if #KEYS > 2 then return {fence, redis.call('GET', KEYS[3])} end
return {fence}
"""
# KEYS[1]: the lock; ARGV[1]: our token. Delete only our own lock.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
POLL_S = (0.002, 0.005, 0.01, 0.02, 0.05)
LOCK_PREFIX = f"{PREFIX}lock:"
# The fencing tokens of the locks held in this context, by key.
_fences: ContextVar[Mapping[str, int | None]] = ContextVar(
    "rossum_hooks_fences", default=MappingProxyType({})
)


# What the lock's script read along, by lock key (absent: nothing was read).
_read_along: ContextVar[Mapping[str, str | None]] = ContextVar(
    "rossum_hooks_read_along", default=MappingProxyType({})
)


def fence(key: str) -> int | None:
    """Return the fencing token of the Redis lock on `key` held here (None: not held in Redis)."""
    return _fences.get().get(key)


def prefetched(key: str) -> tuple[bool, str | None]:
    """Return (whether, what) was read along when the lock on `key` was taken here."""
    along = _read_along.get()
    return key in along, along.get(key)


class SharedLocks:
    """Serialise work per key across every replica sharing one Redis (see module doc)."""

    def __init__(
        self,
        store: SharedStore,
        *,
        lease_s: float,
        read_along: Callable[[str], str | None] = lambda key: None,
    ) -> None:
        self._store, self._read_along_key = store, read_along
        self._lease_ms = max(1, round(lease_s * 1000))
        self._local = KeyedLocks()
        self._acquire = store.redis.register_script(_ACQUIRE)
        self._release = store.redis.register_script(_RELEASE)

    def __len__(self) -> int:
        return len(self._local)

    @asynccontextmanager
    async def hold(self, key: Hashable | None) -> AsyncIterator[None]:
        """Hold `key` on this replica and in Redis for the block."""
        if key is None:
            yield
            return
        async with self._local.hold(key):
            fence, read, value = await self._take(str(key))
            token = _fences.set({**_fences.get(), str(key): fence})
            before = _read_along.get()
            taken = _read_along.set({**before, str(key): value} if read else before)
            try:
                yield
            finally:
                _read_along.reset(taken)
                _fences.reset(token)
                if fence is not None:
                    await self._give_back(str(key), fence)

    async def _take(self, key: str) -> tuple[int | None, bool, str | None]:
        """Take the Redis lock; return (fence, whether a key was read along, its value)."""
        keys = [f"{LOCK_PREFIX}{key}", f"{PREFIX}fence:{key}"]
        along = self._read_along_key(key)
        if along is not None:
            keys.append(along)
        attempt = 0
        while True:
            try:
                answer = await self._store.run(
                    "lock", lambda _: self._acquire(keys=keys, args=[self._lease_ms])
                )
            except SharedStateUnavailable:
                return None, False, None
            if int(answer[0]):
                value = answer[1] if len(answer) > 1 else None
                return int(answer[0]), along is not None, value
            await asyncio.sleep(POLL_S[min(attempt, len(POLL_S) - 1)])
            attempt += 1

    async def _give_back(self, key: str, fence: int) -> None:
        with contextlib.suppress(SharedStateUnavailable):  # if so, the lease frees it
            await self._store.run(
                "unlock", lambda _: self._release(keys=[f"{LOCK_PREFIX}{key}"], args=[fence])
            )
