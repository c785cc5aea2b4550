"""Asynchronous hooks: polling a 202's `Location` the way Rossum does (API reference,
"Webhook extension", asynchronous framework; spec section 5.3).

A non-interactive hook may answer 202 with a poll URL in `Location`. Rossum polls it every
30 seconds until it answers 201, whose body is then the hook's answer. Poll answers 408, 429,
500, 502, 503 and 504 (and, here, connection errors and timeouts) are not failures: polling goes
on. Any other status that is not 201 (200 and 202 mean "not ready yet" and polling goes on), or
`max_polling_time_s` running out, is a polling failure: the original call is retried, counted
against `retry_count`, when `retry_after_polling_failure` is on (the default).
`max_polling_time_s` and `retry_after_polling_failure` can be configured only for
`upload.created` and `invocation.scheduled`; other events use the defaults (300 s, on).

Polls are plain `GET`s without a body, signature or token (what Rossum sends with them is not
documented), so the poll URL must be unguessable. It is never logged or recorded here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import structlog

from sandbox.store import Record

if TYPE_CHECKING:
    from sandbox.state import Sandbox

log = structlog.get_logger()

DEFAULT_MAX_POLLING_TIME_S = 300.0
CONFIGURABLE_EVENTS = frozenset({("upload", "created"), ("invocation", "scheduled")})
POLL_RETRIED_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
NOT_READY_STATUSES = frozenset({200, 202})


@dataclass(frozen=True)
class PollLimits:
    """How long to poll and whether a polling failure retries the original call."""

    max_time_s: float
    retry_original: bool

    @classmethod
    def of(cls, hook: Record, event: str, action: str) -> PollLimits:
        """Return the limits for `hook` on `event.action`, honouring where they are settable."""
        config = hook.get("config", {})
        if (event, action) not in CONFIGURABLE_EVENTS:
            return cls(DEFAULT_MAX_POLLING_TIME_S, True)
        max_time = config.get("max_polling_time_s") or DEFAULT_MAX_POLLING_TIME_S
        return cls(float(max_time), bool(config.get("retry_after_polling_failure", True)))


@dataclass(frozen=True)
class PollResult:
    """What polling ended with: the result (status 201 and its body) or why it failed."""

    polls: int
    status_code: int | None
    answer: Any
    failure: str | None
    retry_original: bool

    @property
    def ok(self) -> bool:
        """Tell whether the result was fetched."""
        return self.failure is None


def _answer(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text[:2000] or None


async def poll(
    sandbox: Sandbox,
    client: httpx.AsyncClient,
    location: str,
    *,
    limits: PollLimits,
    timeout_s: float,
) -> PollResult:
    """Poll `location` until it answers 201, fails, or `limits.max_time_s` runs out."""
    interval = sandbox.settings.async_poll_interval_s
    deadline = sandbox.clock() + limits.max_time_s
    polls, last_status = 0, None
    while True:
        remaining = deadline - sandbox.clock()
        if remaining <= 0:
            failure = f"no result within max_polling_time_s={limits.max_time_s:g}"
            return PollResult(polls, last_status, None, failure, limits.retry_original)
        await sandbox.sleep(min(interval, remaining))
        polls += 1
        try:
            response = await client.get(location, timeout=timeout_s)
        except httpx.HTTPError as exc:
            log.info("sandbox.poll_failed", error=type(exc).__name__, polls=polls)
            continue  # like a 5xx: not a polling failure, polling goes on
        last_status = response.status_code
        if response.status_code == 201:
            return PollResult(polls, 201, _answer(response), None, limits.retry_original)
        if response.status_code in NOT_READY_STATUSES | POLL_RETRIED_STATUSES:
            continue
        failure = f"polling answered HTTP {response.status_code}"
        return PollResult(polls, last_status, _answer(response), failure, limits.retry_original)
