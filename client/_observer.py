"""Hooks for whoever runs the client to count its traffic (metrics, per-call accounting).

The client knows nothing of metrics libraries: it calls a `RequestObserver`, if one was given,
at four points of the send path. Every callback is synchronous, must not raise and must be
cheap: it runs on every request. `RateLimiter` lets the caller replace the in-process
requests-per-second cap with a shared one (e.g. one budget per organisation for several
processes).
"""

from __future__ import annotations

from typing import Protocol


class RequestObserver(Protocol):
    """Told about each HTTP attempt, retry and rate-cap wait of a client and its children."""

    def request_started(self, method: str) -> None:
        """An attempt is about to be sent (it holds an in-flight slot)."""

    def request_finished(self, method: str, path: str, status: int | None) -> None:
        """The attempt ended: `status` is the HTTP status, None when no answer came."""

    def retrying(self, method: str, path: str, reason: str, wait_s: float) -> None:
        """A failed attempt will be repeated after `wait_s` seconds (`reason`: status or kind)."""

    def rate_waited(self, wait_s: float) -> None:
        """An attempt waited `wait_s` seconds for the requests-per-second cap."""


class RateLimiter(Protocol):
    """A requests-per-second cap keyed by API host, possibly shared with other processes."""

    async def reserve(self, key: str) -> float:
        """Book the next request slot for `key`; return how many seconds to wait for it."""
        ...
