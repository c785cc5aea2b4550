"""The retry policy: a pure decision from (attempt, outcome, method) to a wait or giving up.

Both clients run a small loop around `RetryPolicy.wait`; the loop owns the clock and the sleep,
so tests drive the policy with a fake sleep and never really wait.
"""

from __future__ import annotations

import email.utils
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

# Rossum's documented transient statuses (API-REF "API Throttling", SDK retry list).
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
# Statuses that prove the server did not process the request: safe to repeat a POST/PATCH.
NOT_PROCESSED_STATUSES = frozenset({429, 503})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

# "connect": the request never left (connect error/timeout, pool timeout);
# "timeout": it left but no answer in time; "transport": the connection broke mid-way;
# "fatal": a local error that a retry cannot fix.
ErrorKind = Literal["connect", "timeout", "transport", "fatal"]


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Return the wait asked by a `Retry-After` header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with full jitter, capped per wait and per call.

    `retries` counts retries after the first attempt (so at most `retries + 1` attempts; the
    reference SDK's `n_retries` counted attempts). The n-th retry waits
    `uniform(0, backoff_factor * 2**(n-1)) + uniform(0, max_jitter)`, at most `max_wait`.
    A `Retry-After` answer is honoured exactly; if it asks for more than `max_wait`, or any
    wait would end beyond `max_elapsed` seconds after the call began, the policy gives up.
    """

    retries: int = 3
    backoff_factor: float = 1.0
    max_jitter: float = 1.0
    max_wait: float = 30.0
    max_elapsed: float = 60.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def wait(
        self,
        *,
        attempt: int,
        method: str,
        status: int | None = None,
        error: ErrorKind | None = None,
        retry_after: float | None = None,
        elapsed: float = 0.0,
        budget: float | None = None,
        idempotent: bool | None = None,
    ) -> float | None:
        """Return seconds to wait before attempt `attempt + 1`, or None to give up."""
        if attempt > self.retries or not self.retryable(
            method=method, status=status, error=error, idempotent=idempotent
        ):
            return None
        if retry_after is not None:
            delay = retry_after
            if delay > self.max_wait:
                return None
        else:
            ceiling = self.backoff_factor * 2 ** (attempt - 1)
            delay = self.rng.uniform(0, ceiling) + self.rng.uniform(0, self.max_jitter)
            delay = min(delay, self.max_wait)
        left = self.max_elapsed - elapsed
        if budget is not None:
            left = min(left, budget)
        return delay if delay <= left else None

    @staticmethod
    def retryable(
        *,
        method: str,
        status: int | None = None,
        error: ErrorKind | None = None,
        idempotent: bool | None = None,
    ) -> bool:
        """Tell whether this outcome may be retried for this method at all."""
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        if status is not None:
            if idempotent:
                return status in RETRYABLE_STATUSES
            return status in NOT_PROCESSED_STATUSES
        if error is None or error == "fatal":
            return False
        # A non-idempotent request is repeated only if it surely never reached the server.
        return idempotent or error == "connect"
