"""A probe of the API request rate the sandbox sees, as Rossum's limiter would judge it.

Every API request is noted on arrival (before faults and the rate limit, so a request that is
then refused still counts), and every refusal by the rate limit is counted. `summary` gives
the peak number of requests that arrived within any `window_s`-long span and the mean rate
from the first arrival to the last: what a client (or several replicas together) really sent.
The sandbox is one organisation, so this is the rate per organisation.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

MAX_KEPT = 100_000


class RequestRate:
    """Arrival times of API requests and the count of rate-limited ones."""

    def __init__(self, *, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._arrivals: deque[float] = deque(maxlen=MAX_KEPT)
        self.rate_limited = 0

    def note(self) -> None:
        """Note one request arriving now."""
        self._arrivals.append(self._clock())

    def reset(self) -> None:
        """Forget every arrival and refusal so far."""
        self._arrivals.clear()
        self.rate_limited = 0

    def summary(self, *, window_s: float = 1.0) -> dict[str, Any]:
        """Return the request count, the peak count within any `window_s`, and refusals."""
        times, peak, first = list(self._arrivals), 0, 0
        for last, now in enumerate(times):
            while now - times[first] >= window_s:
                first += 1
            peak = max(peak, last - first + 1)
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        return {
            "requests": len(times),
            "window_s": window_s,
            "peak": peak,
            "peak_per_s": peak / window_s,
            "mean_per_s": (len(times) - 1) / span if span else None,
            "rate_limited": self.rate_limited,
        }
