"""`GET /metrics`: delivery, API, retry and rate-cap counters; the canonical line's API tally."""

from __future__ import annotations

from pathlib import Path

import httpx
import structlog
from prometheus_client.parser import text_string_to_metric_families

from handlers.testing import signed
from service.metrics import endpoint_template
from tests.service.conftest import FakeRossum, ServiceFactory
from tests.service.kit import SECRET, content_event


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Return every sample of an exposition keyed by (name, labels)."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(text: str, name: str, **labels: str) -> float | None:
    """Return one sample's value, or None if absent."""
    return samples(text).get((name, frozenset(labels.items())))


def test_endpoint_templates_hide_ids_and_the_api_root() -> None:
    """Ids become `{id}` and the API root is dropped, so labels stay few."""
    assert endpoint_template("/api/v1/annotations/314521/content") == "/annotations/{id}/content"
    assert endpoint_template("/api/v1/labels/apply") == "/labels/apply"
    assert endpoint_template("/v1/annotations/7") == "/annotations/{id}"
    assert endpoint_template("/labels") == "/labels"


async def test_a_delivery_and_its_api_calls_are_counted(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """One labelled delivery: its counter and histogram, the listing and the apply call."""
    headers, body = signed(content_event(values={"amount_total": "25000"}), SECRET)
    async with service() as client:
        assert (await client.post("/hooks", content=body, headers=headers)).status_code == 200
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    delivery = {"event": "annotation_content", "action": "updated", "outcome": "ok"}
    assert value(text, "rossum_hooks_deliveries_total", **delivery, status="200") == 1
    assert (
        value(text, "rossum_hooks_delivery_duration_seconds_count", event="annotation_content") == 1
    )
    api = "rossum_hooks_api_requests_total"
    assert value(text, api, method="GET", endpoint="/labels", status="200") == 1
    assert value(text, api, method="POST", endpoint="/labels", status="201") == 1
    assert value(text, api, method="POST", endpoint="/labels/apply", status="200") == 1
    assert value(text, "rossum_hooks_api_requests_in_flight") == 0
    assert value(text, "rossum_hooks_recorder_dropped_total") == 0


async def test_retries_and_rate_waits_are_counted_and_logged(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """A 503 then 200 counts one retry; a 1 req/s cap makes later calls wait; the line says so."""
    rossum.add_label("expedite")
    rossum.apply.side_effect = [httpx.Response(503), httpx.Response(200, json={})]
    headers, body = signed(content_event(values={"amount_total": "25000"}), SECRET)
    async with service(requests_per_second=1) as client:
        with structlog.testing.capture_logs() as logs:
            assert (await client.post("/hooks", content=body, headers=headers)).status_code == 200
        text = (await client.get("/metrics")).text
    retries = "rossum_hooks_api_retries_total"
    assert value(text, retries, method="POST", endpoint="/labels/apply", reason="503") == 1
    # list, apply (503), apply: slots 1 s apart on a clock the fake sleep does not advance
    assert value(text, "rossum_hooks_api_rate_limit_waits_total") == 2
    waited = value(text, "rossum_hooks_api_rate_limit_wait_seconds_total")
    assert waited is not None and 2.9 < waited <= 3.0
    (line,) = [entry for entry in logs if entry["event"] == "webhook.handled"]
    assert line["api_calls"] == 3
    # every sleep the client took: two rate-cap waits and one backoff
    assert len(rossum.waits) == 3
    assert abs(line["api_wait_ms"] - sum(rossum.waits) * 1000) < 1
    assert (line["hook_id"], line["api_host"]) == (781, "example.rossum.app")


async def test_recorder_queue_is_exposed(service: ServiceFactory, tmp_path: Path) -> None:
    """With recording on, the queue depth gauge and the drop counter are present."""
    async with service(record_path=tmp_path / "r.jsonl") as client:
        text = (await client.get("/metrics")).text
    assert value(text, "rossum_hooks_recorder_queue_depth") == 0
    assert value(text, "rossum_hooks_recorder_dropped_total") == 0


async def test_metrics_can_be_turned_off(service: ServiceFactory) -> None:
    """`ROSSUM_HOOKS_METRICS=false` serves no /metrics (404 JSON, like any unknown path)."""
    async with service(metrics=False) as client:
        assert (await client.get("/metrics")).status_code == 404
