"""The connection to Redis that holds the state several replicas share, and its health.

`ROSSUM_HOOKS_REDIS_URL` turns it on. Every shared piece (locks, the rate budget, the label
cache, duplicates, label state) goes through `SharedStore.run`, which either returns Redis's
answer or raises `SharedStateUnavailable`; the caller then falls back to its in-process
twin, so the service keeps answering while Redis is away. After a failure the store stops
trying for `retry_s` (no delivery pays a connect timeout per operation); the next operation
after that, or a readiness probe, tries again and restores shared mode when Redis answers.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import structlog

from service.settings import ConfigError

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from service.metrics import Metrics

log = structlog.get_logger()
T = TypeVar("T")
PREFIX = "rossum-hooks:"


class SharedStateUnavailable(Exception):
    """Redis did not answer; use the in-process fallback."""


def connect(url: str, *, timeout_s: float = 0.5) -> Redis:
    """Return an asyncio Redis client for `url` with short timeouts and no hidden retries."""
    try:
        from redis.asyncio import Redis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
    except ImportError:  # pragma: no cover - depends on the installation
        raise ConfigError(
            "ROSSUM_HOOKS_REDIS_URL needs the Redis client: pip install 'rossum-hooks[redis]'"
        ) from None
    return Redis.from_url(
        url,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        retry=Retry(NoBackoff(), 0),
        decode_responses=True,
    )


class SharedStore:
    """Run Redis operations; track whether Redis answers; never let its failure escape."""

    def __init__(
        self,
        redis: Redis,
        *,
        metrics: Metrics | None = None,
        retry_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.redis = redis
        self._metrics, self._retry_s, self._clock = metrics, retry_s, clock
        self.up = True
        self._failed_at: float | None = None

    @property
    def available(self) -> bool:
        """Return True while Redis answers (the readiness and `shared_state_up` view)."""
        return self.up

    async def run(self, operation: str, call: Callable[[Redis], Awaitable[T]]) -> T:
        """Return `await call(redis)`, or raise `SharedStateUnavailable` (fast while down)."""
        if not self.up and self._clock() - (self._failed_at or 0.0) < self._retry_s:
            self._count(operation)
            raise SharedStateUnavailable(operation)
        from redis.exceptions import RedisError

        try:
            result = await call(self.redis)
        except (RedisError, OSError) as exc:
            self._fail(operation, exc)
            raise SharedStateUnavailable(operation) from exc
        if not self.up:
            self.up, self._failed_at = True, None
            log.warning("shared_state.restored")
        return result

    async def ping(self) -> bool:
        """Ask Redis now (readiness probes); return whether it answered."""
        try:
            await self.run("ping", _ping)
        except SharedStateUnavailable:
            return False
        return True

    def _fail(self, operation: str, exc: BaseException) -> None:
        if self.up:
            log.error(
                "shared_state.unavailable",
                operation=operation,
                error_type=type(exc).__name__,
                detail="per-replica fallback: ordering, duplicates, label state and the rate "
                "budget hold within this process only until Redis answers again",
            )
        self.up, self._failed_at = False, self._clock()
        self._count(operation)

    def _count(self, operation: str) -> None:
        if self._metrics is not None:
            self._metrics.shared_state_error(operation)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.redis.aclose()


async def _ping(redis: Redis) -> Any:
    return await redis.ping()
