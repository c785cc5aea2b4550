"""One API rate budget per Rossum organisation for every replica: a rate cap kept in Redis.

Rossum allows 10 requests/s per organisation; two replicas with their own in-process caps
would together send 20. `SharedRateCap` is the client's `RateLimiter`: each request books the
next free slot of its API host (one organisation) in one Lua script, timed by Redis's own
clock so that replicas' clocks do not matter, and the client sleeps until the slot. Slots are
`1/rate` apart, like the in-process `RateGate`. While Redis is unreachable each replica falls
back to its own gate per host: the cap then holds per replica only.
"""

from __future__ import annotations

import time

from client import RateGate
from service.shared_store import PREFIX, SharedStateUnavailable, SharedStore

# KEYS[1]: the host's next free slot (microseconds, Redis clock); ARGV[1]: slot interval (µs).
# Returns the wait before the booked slot, in microseconds.
_RESERVE = """
local now = redis.call('TIME')
local now_us = tonumber(now[1]) * 1000000 + tonumber(now[2])
local interval = tonumber(ARGV[1])
local start = math.max(now_us, tonumber(redis.call('GET', KEYS[1]) or '0'))
local free = start + interval
local keep_ms = math.ceil((free - now_us) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%d', free), 'PX', keep_ms)
return start - now_us
"""


class SharedRateCap:
    """A `client.RateLimiter`: `rate` requests/s per API host, across every replica."""

    def __init__(self, store: SharedStore, *, rate: float) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, got {rate!r}")
        self._store, self._rate = store, rate
        self._interval_us = round(1_000_000 / rate)
        self._script = store.redis.register_script(_RESERVE)
        self._local: dict[str, RateGate] = {}

    async def reserve(self, key: str) -> float:
        """Book the next slot of `key`'s budget; return the seconds to wait for it."""
        try:
            waited_us = await self._store.run(
                "rate_cap",
                lambda _: self._script(keys=[f"{PREFIX}rate:{key}"], args=[self._interval_us]),
            )
        except SharedStateUnavailable:
            return self._fallback(key)
        return int(waited_us) / 1_000_000

    def _fallback(self, key: str) -> float:
        gate = self._local.get(key)
        if gate is None:
            gate = self._local[key] = RateGate(self._rate)
        return gate.reserve(time.monotonic())
