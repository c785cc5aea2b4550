"""The pure retry policy: which outcomes retry, how long to wait, when to give up."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from client import RetryPolicy
from client._retry import parse_retry_after

NOW = datetime(2025, 4, 14, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("method", "status", "error", "retried"),
    [
        pytest.param("GET", 408, None, True, id="get-408"),
        pytest.param("GET", 429, None, True, id="get-429"),
        pytest.param("GET", 500, None, True, id="get-500"),
        pytest.param("PUT", 502, None, True, id="put-502"),
        pytest.param("DELETE", 504, None, True, id="delete-504"),
        pytest.param("GET", 404, None, False, id="get-404"),
        pytest.param("GET", 400, None, False, id="get-400"),
        pytest.param("POST", 429, None, True, id="post-429-not-processed"),
        pytest.param("POST", 503, None, True, id="post-503-not-processed"),
        pytest.param("POST", 500, None, False, id="post-500-maybe-processed"),
        pytest.param("PATCH", 504, None, False, id="patch-504-maybe-processed"),
        pytest.param("POST", None, "connect", True, id="post-connect-error"),
        pytest.param("POST", None, "timeout", False, id="post-read-timeout"),
        pytest.param("POST", None, "transport", False, id="post-broken-connection"),
        pytest.param("GET", None, "timeout", True, id="get-read-timeout"),
        pytest.param("GET", None, "transport", True, id="get-broken-connection"),
        pytest.param("GET", None, "fatal", False, id="get-local-error"),
    ],
)
def test_retryable_outcomes(
    method: str, status: int | None, error: str | None, retried: bool
) -> None:
    """Idempotent calls retry transient failures; others only when surely not processed."""
    wait = RetryPolicy().wait(attempt=1, method=method, status=status, error=error)  # type: ignore[arg-type]
    assert (wait is not None) is retried


def test_caller_can_declare_a_post_idempotent() -> None:
    """An idempotent POST (a search, a login) retries after a read timeout."""
    assert (
        RetryPolicy().wait(attempt=1, method="POST", error="timeout", idempotent=True) is not None
    )


def test_retries_count_after_the_first_attempt() -> None:
    """`retries=2` allows attempts 1, 2 and 3 and gives up after the third failure."""
    policy = RetryPolicy(retries=2)
    assert policy.wait(attempt=1, method="GET", status=503) is not None
    assert policy.wait(attempt=2, method="GET", status=503) is not None
    assert policy.wait(attempt=3, method="GET", status=503) is None


def test_backoff_is_exponential_with_full_jitter_and_capped() -> None:
    """The n-th wait lies in [0, factor * 2**(n-1) + jitter] and never exceeds max_wait."""
    policy = RetryPolicy(
        retries=10, backoff_factor=1.0, max_jitter=0.5, max_wait=8.0, max_elapsed=1e9
    )
    for attempt in range(1, 11):
        waits = [policy.wait(attempt=attempt, method="GET", status=503) for _ in range(200)]
        ceiling = min(8.0, 2 ** (attempt - 1) + 0.5)
        assert all(w is not None and 0 <= w <= ceiling for w in waits)
    late = [policy.wait(attempt=9, method="GET", status=503) for _ in range(200)]
    assert max(w for w in late if w is not None) > 4, "full jitter spreads over the whole range"


def test_backoff_is_deterministic_with_a_seeded_random_source() -> None:
    """Two policies with the same seed wait the same."""
    first = RetryPolicy(rng=random.Random(1))
    second = RetryPolicy(rng=random.Random(1))
    assert [first.wait(attempt=n, method="GET", status=500) for n in (1, 2, 3)] == [
        second.wait(attempt=n, method="GET", status=500) for n in (1, 2, 3)
    ]


def test_retry_after_is_honoured_exactly() -> None:
    """A 429 with Retry-After waits exactly that long, not the backoff."""
    assert RetryPolicy().wait(attempt=1, method="GET", status=429, retry_after=7.0) == 7.0


def test_retry_after_beyond_the_wait_cap_gives_up() -> None:
    """Asked to wait longer than max_wait, the policy raises instead of sleeping less."""
    policy = RetryPolicy(max_wait=30.0)
    assert policy.wait(attempt=1, method="GET", status=429, retry_after=31.0) is None


def test_per_call_cap_and_deadline_budget_stop_retrying() -> None:
    """No wait starts that would end after max_elapsed or after the deadline budget."""
    policy = RetryPolicy(max_elapsed=10.0)
    assert policy.wait(attempt=1, method="GET", status=429, retry_after=3, elapsed=6.0) == 3
    assert policy.wait(attempt=1, method="GET", status=429, retry_after=3, elapsed=8.0) is None
    assert policy.wait(attempt=1, method="GET", status=429, retry_after=3, budget=2.0) is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        pytest.param("12", 12.0, id="seconds"),
        pytest.param(" 1.5 ", 1.5, id="fractional-seconds"),
        pytest.param("-3", 0.0, id="negative-clamped"),
        pytest.param("Mon, 14 Apr 2025 12:00:30 GMT", 30.0, id="http-date"),
        pytest.param("Mon, 14 Apr 2025 11:59:00 GMT", 0.0, id="http-date-in-the-past"),
        pytest.param("soon", None, id="garbage"),
        pytest.param("", None, id="empty"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    """Retry-After is read as delta-seconds or as an HTTP date relative to now."""
    assert parse_retry_after(header, now=NOW) == expected
