"""Fault injection and Rossum's rate limit, decided before a request is processed.

An injected 429/5xx means nothing happened: the request never reaches an endpoint, so a client
may safely retry it. Draws come from one seeded `random.Random`, so a run with the same seed and
the same request order injects the same faults.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from sandbox.settings import SandboxSettings


class FaultConfig(BaseModel):
    """The fault knobs that can be changed while the sandbox runs."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    latency_s: float = Field(default=0.0, ge=0, le=120)
    rate_429: float = Field(default=0.0, ge=0, le=1)
    rate_5xx: float = Field(default=0.0, ge=0, le=1)
    statuses_5xx: tuple[int, ...] = (500, 502, 503)
    slow_rate: float = Field(default=0.0, ge=0, le=1)
    slow_s: float = Field(default=0.0, ge=0, le=120)
    retry_after_s: int = Field(default=1, ge=0, le=3600)
    rate_limit_per_s: float = Field(default=10.0, ge=0)

    @field_validator("statuses_5xx")
    @classmethod
    def _server_errors_only(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if not value or any(not 500 <= s <= 599 for s in value):
            raise ValueError("statuses_5xx must be a non-empty list of 5xx status codes")
        return value

    @model_validator(mode="after")
    def _shares_fit(self) -> Self:
        if self.rate_429 + self.rate_5xx > 1:
            raise ValueError("rate_429 + rate_5xx must not exceed 1")
        return self

    @classmethod
    def from_settings(cls, settings: SandboxSettings) -> FaultConfig:
        """Return the start-up fault configuration of `settings`."""
        return cls(
            latency_s=settings.latency_s,
            rate_429=settings.rate_429,
            rate_5xx=settings.rate_5xx,
            statuses_5xx=settings.statuses_5xx,
            slow_rate=settings.slow_rate,
            slow_s=settings.slow_s,
            retry_after_s=settings.fault_retry_after_s,
            rate_limit_per_s=settings.rate_limit_per_s,
        )


@dataclass(frozen=True)
class FaultDraw:
    """What to do to one request: wait `delay_s`, then answer `status` instead (if set)."""

    delay_s: float
    status: int | None


class Faults:
    """Draw per-request faults from the current configuration."""

    def __init__(self, config: FaultConfig, *, seed: int | None) -> None:
        self.config = config
        self._rng = random.Random(seed)
        self.injected: Counter[int] = Counter()

    def draw(self) -> FaultDraw:
        """Decide latency and an injected error status for the next request."""
        config = self.config
        delay = config.latency_s
        if config.slow_rate and self._rng.random() < config.slow_rate:
            delay += config.slow_s
        status: int | None = None
        roll = self._rng.random()
        if roll < config.rate_429:
            status = 429
        elif roll < config.rate_429 + config.rate_5xx:
            status = self._rng.choice(config.statuses_5xx)
        if status is not None:
            self.injected[status] += 1
        return FaultDraw(delay_s=delay, status=status)


class RateLimiter:
    """A token bucket: `per_s` requests per second with a burst of `per_s`; 0 disables."""

    def __init__(self, *, per_s: float, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.per_s = per_s
        self._tokens = max(per_s, 1.0)
        self._updated = clock()

    def set_rate(self, per_s: float) -> None:
        """Change the limit, starting from a full bucket."""
        self.per_s = per_s
        self._tokens = max(per_s, 1.0)
        self._updated = self._clock()

    def acquire(self) -> int | None:
        """Take one request slot; return None if allowed, else the `Retry-After` seconds."""
        if self.per_s <= 0:
            return None
        now = self._clock()
        capacity = max(self.per_s, 1.0)
        self._tokens = min(capacity, self._tokens + (now - self._updated) * self.per_s)
        self._updated = now
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        # Whole seconds, like Rossum's header; never 0, which would invite a busy loop.
        return max(1, math.ceil((1 - self._tokens) / self.per_s))
