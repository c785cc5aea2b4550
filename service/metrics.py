"""Prometheus metrics of one service process, served at `GET /metrics`.

One `Metrics` per app (its own registry, so several apps in one process never collide). The
hot path touches only pre-built counter children kept in dicts keyed by label tuples; the
recorder's queue depth and drops and the shared-state health are read when scraped.

The API client reports through `ApiObserver` (a `client.RequestObserver`): it also adds each
request and each wait to the delivery being handled, found through the context variable that
`DeliveryMiddleware` sets (`service.context`), so the canonical log line can say how many calls
a delivery made and how long it waited for retries or the rate cap.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

from service.context import current

if TYPE_CHECKING:
    from service.recording import Recorder

CONTENT_TYPE = CONTENT_TYPE_LATEST
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 60.0)
_API_ROOT = re.compile(r"^.*?/v1(?=/)")
_NUMBER = re.compile(r"/\d+(?=/|$)")


def endpoint_template(path: str) -> str:
    """Return the API endpoint of a request path with ids replaced: `/annotations/{id}`."""
    return _NUMBER.sub("/{id}", _API_ROOT.sub("", path, count=1)) or "/"


class _Scraped(Collector):
    """Values read at scrape time: recorder queue and drops, shared-state health."""

    def __init__(self) -> None:
        self.recorder: Recorder | None = None
        self.shared_state: Callable[[], bool] | None = None

    def collect(self) -> Iterable[Metric]:
        recorder = self.recorder
        depth = GaugeMetricFamily(
            "rossum_hooks_recorder_queue_depth", "Deliveries waiting to be written by the recorder"
        )
        dropped = CounterMetricFamily(
            "rossum_hooks_recorder_dropped", "Deliveries not recorded because the queue was full"
        )
        depth.add_metric([], 0 if recorder is None else recorder.queued)
        dropped.add_metric([], 0 if recorder is None else recorder.dropped)
        up = GaugeMetricFamily(
            "rossum_hooks_shared_state_up",
            "1 while the shared store (Redis) answers, 0 while it does not; absent in-process",
        )
        if self.shared_state is not None:
            up.add_metric([], 1 if self.shared_state() else 0)
        yield from (depth, dropped, up)


class Metrics:
    """The service's counters, histograms and gauges, and their text exposition."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self._deliveries = Counter(
            "rossum_hooks_deliveries",
            "Webhook deliveries handled, by event, action, outcome and HTTP status",
            ["event", "action", "outcome", "status"],
            registry=r,
        )
        self._duration = Histogram(
            "rossum_hooks_delivery_duration_seconds",
            "Time from receiving a delivery to its answer, by event",
            ["event"],
            buckets=DURATION_BUCKETS,
            registry=r,
        )
        self._api_requests = Counter(
            "rossum_hooks_api_requests",
            "Rossum API requests sent, by method, endpoint template and status ('error': none)",
            ["method", "endpoint", "status"],
            registry=r,
        )
        self._api_retries = Counter(
            "rossum_hooks_api_retries",
            "Rossum API attempts repeated, by method, endpoint template and reason",
            ["method", "endpoint", "reason"],
            registry=r,
        )
        self._rate_waits = Counter(
            "rossum_hooks_api_rate_limit_waits",
            "API requests that waited for the requests-per-second cap",
            registry=r,
        )
        self._rate_wait_seconds = Counter(
            "rossum_hooks_api_rate_limit_wait_seconds",
            "Time API requests spent waiting for the requests-per-second cap",
            registry=r,
        )
        self._in_flight = Gauge(
            "rossum_hooks_api_requests_in_flight", "Rossum API requests being sent", registry=r
        )
        self._duplicates = Counter(
            "rossum_hooks_duplicate_deliveries",
            "Deliveries recognised as already handled (same request_id): answered, no API call",
            registry=r,
        )
        self._shared_state_errors = Counter(
            "rossum_hooks_shared_state_errors",
            "Shared-store (Redis) operations that failed and fell back to in-process state",
            ["operation"],
            registry=r,
        )
        self._scraped = _Scraped()
        r.register(self._scraped)
        self._children: dict[tuple[Any, ...], Any] = {}
        self._delivery_children: dict[tuple[Any, ...], tuple[Any, Any]] = {}

    def watch_recorder(self, recorder: Recorder | None) -> None:
        """Read the recorder's queue depth and drops at each scrape."""
        self._scraped.recorder = recorder

    def watch_shared_state(self, available: Callable[[], bool]) -> None:
        """Read whether the shared store answers at each scrape."""
        self._scraped.shared_state = available

    def render(self) -> bytes:
        """Return the Prometheus text exposition of every metric."""
        return generate_latest(self.registry)

    def _child(self, family: Any, *labels: str) -> Any:
        key = (id(family), *labels)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = family.labels(*labels)
        return child

    # ---- recorded by the service -------------------------------------------------------------

    def delivery(
        self, *, event: str | None, action: str | None, outcome: str, status: int, seconds: float
    ) -> None:
        """Count one handled delivery and its duration."""
        key = (event, action, outcome, status)
        children = self._delivery_children.get(key)
        if children is None:  # once per combination: label tuples built, children looked up
            event_label = event or "unknown"
            children = self._delivery_children[key] = (
                self._child(self._deliveries, event_label, action or "", outcome, str(status)),
                self._child(self._duration, event_label),
            )
        children[0].inc()
        children[1].observe(seconds)
        if outcome == "duplicate":
            self._duplicates.inc()

    def shared_state_error(self, operation: str) -> None:
        """Count a shared-store operation that failed over to in-process state."""
        self._child(self._shared_state_errors, operation).inc()

    def observer(self) -> ApiObserver:
        """Return the `client.RequestObserver` that feeds the API metrics."""
        return ApiObserver(self)

    # ---- recorded through the client's observer ----------------------------------------------

    def _api_request(self, method: str, path: str, status: int | None) -> None:
        status_label = "error" if status is None else str(status)
        self._child(self._api_requests, method, endpoint_template(path), status_label).inc()

    def _api_retry(self, method: str, path: str, reason: str) -> None:
        self._child(self._api_retries, method, endpoint_template(path), reason).inc()

    def _rate_wait(self, wait_s: float) -> None:
        self._rate_waits.inc()
        self._rate_wait_seconds.inc(wait_s)


class ApiObserver:
    """Feed the client's traffic to `Metrics` and to the current delivery's tallies."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        self._in_flight = metrics._in_flight

    def request_started(self, method: str) -> None:
        """Count an attempt as in flight and as one of the delivery's API calls."""
        self._in_flight.inc()
        delivery = current.get()
        if delivery is not None:
            delivery.api_calls += 1

    def request_finished(self, method: str, path: str, status: int | None) -> None:
        """Count the finished attempt by method, endpoint and status."""
        self._in_flight.dec()
        self._metrics._api_request(method, path, status)

    def retrying(self, method: str, path: str, reason: str, wait_s: float) -> None:
        """Count a retry and add its backoff to the delivery's waiting time."""
        self._metrics._api_retry(method, path, reason)
        delivery = current.get()
        if delivery is not None:
            delivery.api_wait_s += wait_s

    def rate_waited(self, wait_s: float) -> None:
        """Count a wait for the rate cap and add it to the delivery's waiting time."""
        self._metrics._rate_wait(wait_s)
        delivery = current.get()
        if delivery is not None:
            delivery.api_wait_s += wait_s
