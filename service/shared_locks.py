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

The same script can read one more key along (`read_along`: the annotation's label state, or
for a `request:<id>` lock the answer kept for that request), so the delivery that takes the
lock has it without another round trip (`prefetched(key)`); nobody else can change it while
the lock is held. The other way round, a write made under the lock can ride on its release
(`write_on_release`): the release script makes the writes and deletes the lock in one round
trip, only if the lock still holds our token, so they are fenced like the release itself.
A held lock (`SET NX` fails) is polled again after 2, 5, 10, 20, then every 50 ms.

If Redis is unreachable, the in-process lock alone is held (ordering then holds per replica)
and the token is None.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Hashable, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import MappingProxyType

import structlog

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
# KEYS[1]: the lock, KEYS[2..n]: keys to write; ARGV[1]: our token, then per key to write its
# value and ttl (ms). Only while the lock holds our token: write them, delete the lock, 1.
_RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
for i = 2, #KEYS do redis.call('SET', KEYS[i], ARGV[2 * i - 2], 'PX', ARGV[2 * i - 1]) end
redis.call('DEL', KEYS[1])
return 1
"""
POLL_S = (0.002, 0.005, 0.01, 0.02, 0.05)
LOCK_PREFIX = f"{PREFIX}lock:"
log = structlog.get_logger()


@dataclass(slots=True)
class _Held:
    """A Redis lock held here: its token, the task holding it, whether a key was read along
    and its value, the writes for its release."""

    fence: int
    task: asyncio.Task[object] | None
    read: bool = False
    value: str | None = None
    writes: list[tuple[str, str, int]] = field(default_factory=list)
    open: bool = True


# The Redis locks held in this context, by key.
_held: ContextVar[Mapping[str, _Held]] = ContextVar(
    "rossum_hooks_held_locks", default=MappingProxyType({})
)


def _holding(key: str) -> _Held | None:
    """Return the lock on `key` if this very task holds it now (a task started under the lock
    inherits the context, not the lock)."""
    held = _held.get().get(key)
    if held is None or not held.open or held.task is not asyncio.current_task():
        return None
    return held


def fence(key: str) -> int | None:
    """Return the fencing token of the Redis lock on `key` held here (None: not held in Redis)."""
    held = _holding(key)
    return None if held is None else held.fence


def write_on_release(lock: str, key: str, value: str, *, ttl_ms: int) -> bool:
    """Have the release of the lock on `lock` (held here) also `SET key value PX ttl_ms`, fenced
    by its token; return False when that lock is not held here in Redis (write it yourself)."""
    held = _holding(lock)
    if held is None:
        return False
    held.writes.append((key, value, ttl_ms))
    return True


def prefetched(key: str) -> tuple[bool, str | None]:
    """Return (whether, what) was read along when the lock on `key`, held here, was taken."""
    held = _holding(key)
    return (False, None) if held is None else (held.read, held.value)


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
        name = str(key)
        async with self._local.hold(key):
            token, read, value = await self._take(name)
            held = None if token is None else _Held(token, asyncio.current_task(), read, value)
            holds = _held.get()
            reset = _held.set({**holds, name: held} if held else holds)
            try:
                yield
            finally:
                _held.reset(reset)
                if held is not None:
                    held.open = False
                    await self._give_back(name, held)

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

    async def _give_back(self, key: str, held: _Held) -> None:
        keys = [f"{LOCK_PREFIX}{key}", *(k for k, _, _ in held.writes)]
        args: list[str | int] = [held.fence]
        for _, value, ttl_ms in held.writes:
            args += [value, ttl_ms]
        try:
            released = await self._store.run(
                "unlock", lambda _: self._release(keys=keys, args=args)
            )
        except SharedStateUnavailable:  # the lease frees it; the writes stay in-process
            return
        if not int(released) and held.writes:
            log.warning("shared_state.fenced_out", lock=key, fence=held.fence)
