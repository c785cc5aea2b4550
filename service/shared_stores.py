"""Redis versions of the duplicate ledger and the per-annotation label state (`service.stores`).

With several replicas, a duplicate delivered to another replica than the first must still be
recognised, and the label state one replica kept must be what the next delivery for that
annotation reads, wherever it lands. Both are kept in Redis as the JSON forms
`service.stores` defines, expiring after the `ttl_s` given to each write.

Each write is also kept in the in-process twin, which answers while Redis does not: a replica
then still recognises the duplicates and knows the label state of the deliveries it handled
itself, but not those of the other replicas.

A label-state write that would store exactly what the same delivery read is skipped (the
entry's expiry then stays that of its last change, 24 h by default). A label-state write
under the lock is fenced: it is made only while the Redis lock of the annotation still
holds this holder's token, so a replica whose lease ran out (paused, partitioned) cannot
overwrite the state the next holder wrote. It rides on the lock's release
(`service.shared_locks.write_on_release`: one round trip for both), as does the answer
remembered under a request's lock; what the lock read along (the label state, the kept
answer) is what `get` and `recall` return under it.

A delivery that needs no API write does not take the lock at all (`service.executor`): it
decides on the state this replica last saw (`hint`, no round trip) and `swap`s in one
script that writes its new state only if nobody holds the annotation's lock and Redis still
keeps exactly the state it decided on; otherwise the script answers what Redis keeps, and
the delivery decides again on that or takes the lock. One round trip for such a delivery,
instead of a lock, a write and an unlock.
"""

from __future__ import annotations

import contextlib
from contextvars import ContextVar

import structlog

from service.shared_locks import LOCK_PREFIX, fence, prefetched, write_on_release
from service.shared_store import PREFIX, SharedStateUnavailable, SharedStore
from service.stores import (
    Answer,
    LabelState,
    MemoryDeliveryLedger,
    MemoryLabelStateStore,
    Swapped,
)

log = structlog.get_logger()

# KEYS[1]: the state, KEYS[2]: the annotation's lock; ARGV: state JSON, ttl (ms), token ("" to
# write unfenced). Returns 0 when the lock no longer holds the token.
_FENCED_PUT = """
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""

# KEYS[1]: the state, KEYS[2]: the annotation's lock; ARGV: the state JSON expected ('' for
# none), then the new state JSON and ttl (ms), both absent to only check. Returns {1}: done,
# {0}: the lock is held, {2, kept}: another state is kept (kept false: none).
_SWAP = """
if redis.call('EXISTS', KEYS[2]) == 1 then return {0} end
local kept = redis.call('GET', KEYS[1])
if (kept or '') ~= ARGV[1] then return {2, kept} end
if #ARGV > 1 then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]) end
return {1}
"""
_HELD = Swapped(done=False, held=True)

# The label states this delivery read from Redis, by annotation (JSON as stored).
_read: ContextVar[dict[str, str] | None] = ContextVar("rossum_hooks_states_read", default=None)


def state_key(annotation: str) -> str:
    """Return the Redis key of an annotation's label state."""
    return f"{PREFIX}label_state:{annotation}"


def answer_key(request_id: str) -> str:
    """Return the Redis key of the answer kept for a `request_id`."""
    return f"{PREFIX}answer:{request_id}"


def read_along(lock_key: str) -> str | None:
    """Return the key a lock reads along: for `request:<id>` the answer kept for that request,
    for an annotation its label state."""
    request, found, request_id = lock_key.partition("request:")
    return answer_key(request_id) if found and not request else state_key(lock_key)


async def _value_under(
    lock: str, key: str, store: SharedStore, *, operation: str
) -> str | bytes | None:
    """Return the value of `key`: what the lock on `lock` read along, when held here with
    it, else Redis's answer now; raise `SharedStateUnavailable`."""
    read_along, found = prefetched(lock)
    if read_along:
        return found
    return await store.run(operation, lambda redis: redis.get(key))


def _ms(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class SharedDeliveryLedger:
    """A `DeliveryLedger` in Redis, so every replica recognises a duplicate."""

    def __init__(self, store: SharedStore) -> None:
        self._store = store
        self._local = MemoryDeliveryLedger()

    async def recall(self, request_id: str) -> Answer | None:
        """Return the answer kept for `request_id` by any replica (this one's if Redis is away)."""
        lock, key = f"request:{request_id}", answer_key(request_id)
        try:
            text = await _value_under(lock, key, self._store, operation="ledger_read")
        except SharedStateUnavailable:
            return await self._local.recall(request_id)
        return None if text is None else Answer.from_json(text)

    async def remember(self, request_id: str, answer: Answer, *, ttl_s: float) -> None:
        """Keep `answer` for `ttl_s` seconds, in Redis (with the release of the request's lock,
        when it is held here) and here."""
        await self._local.remember(request_id, answer, ttl_s=ttl_s)
        key, text, ttl_ms = answer_key(request_id), answer.to_json(), _ms(ttl_s)
        if write_on_release(f"request:{request_id}", key, text, ttl_ms=ttl_ms):
            return
        with contextlib.suppress(SharedStateUnavailable):
            await self._store.run("ledger_write", lambda redis: redis.set(key, text, px=ttl_ms))


class SharedLabelStateStore:
    """A `LabelStateStore` in Redis, written only under the annotation's current lock."""

    def __init__(self, store: SharedStore) -> None:
        self._store = store
        self._local = MemoryLabelStateStore()
        self._put = store.redis.register_script(_FENCED_PUT)
        self._swap = store.redis.register_script(_SWAP)

    async def hint(self, annotation: str) -> LabelState | None:
        """Return the state this replica last read or wrote for `annotation` (no round trip)."""
        return await self._local.get(annotation)

    async def swap(
        self, annotation: str, expected: LabelState | None, state: LabelState, *, ttl_s: float
    ) -> Swapped:
        """Keep `state` unless the annotation's lock is held or Redis keeps another state than
        `expected` (then say which); held also while Redis does not answer (take the lock)."""
        args: list[str | int] = ["" if expected is None else expected.to_json()]
        if state != expected:
            args += [state.to_json(), _ms(ttl_s)]
        keys = [state_key(annotation), f"{LOCK_PREFIX}{annotation}"]
        try:
            answer = await self._store.run(
                "label_state_swap", lambda _: self._swap(keys=keys, args=args)
            )
        except SharedStateUnavailable:
            return _HELD
        found = int(answer[0])
        if found == 1:
            await self._local.put(annotation, state, ttl_s=ttl_s)
            return Swapped(done=True)
        if found == 0:
            return _HELD
        text = answer[1] if len(answer) > 1 else None
        kept = None if text is None else LabelState.from_json(text)
        if kept is not None:
            await self._local.put(annotation, kept, ttl_s=ttl_s)
        return Swapped(done=False, kept=kept)

    async def get(self, annotation: str) -> LabelState | None:
        """Return the state of `annotation` kept by any replica (this one's if Redis is away)."""
        key = state_key(annotation)
        try:
            text = await _value_under(annotation, key, self._store, operation="label_state_read")
        except SharedStateUnavailable:
            return await self._local.get(annotation)
        if text is None:
            return None
        read = _read.get()
        if read is None:
            _read.set(read := {})
        read[annotation] = str(text)  # decode_responses: Redis answers str
        return LabelState.from_json(text)

    async def put(self, annotation: str, state: LabelState, *, ttl_s: float) -> None:
        """Replace the state of `annotation` unless another holder has taken its lock since."""
        await self._local.put(annotation, state, ttl_s=ttl_s)
        text = state.to_json()
        read = _read.get()
        if read is not None and read.pop(annotation, None) == text:
            return  # unchanged since this delivery read it
        if write_on_release(annotation, state_key(annotation), text, ttl_ms=_ms(ttl_s)):
            return  # written, fenced, as the lock is released
        token = fence(annotation)
        keys = [state_key(annotation), f"{LOCK_PREFIX}{annotation}"]
        args: list[str | int] = [text, _ms(ttl_s), "" if token is None else str(token)]
        try:
            written = await self._store.run(
                "label_state_write", lambda _: self._put(keys=keys, args=args)
            )
        except SharedStateUnavailable:
            return
        if not int(written):
            log.warning("shared_state.fenced_out", annotation=annotation, fence=token)
