"""The canonical log line, and proof that no token, secret or signature reaches any log."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import structlog

from handlers.testing import TOKEN, signed
from service.logging import configure_logging
from tests.service.conftest import FakeRossum, ServiceFactory
from tests.service.kit import (
    ANNOTATION_ID,
    HOOK_SECRET_VALUE,
    OLD_SECRET,
    SECRET,
    content_event,
    status_event,
)

REQUEST_ID = "ae7bc8dd-73bd-489b-a3d2-f5214b209591"


def _handled(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry["event"] == "webhook.handled"]


async def test_one_canonical_line_per_delivery(service: ServiceFactory, rossum: FakeRossum) -> None:
    """Each delivery logs exactly one webhook.handled line with its facts."""
    values = {"amount_total": "25000", "order_id": ""}
    headers, body = signed(content_event("updated", values=values, request_id=REQUEST_ID), SECRET)
    async with service() as client:
        with structlog.testing.capture_logs() as logs:
            await client.post("/hooks", content=body, headers=headers)
    (line,) = _handled(logs)
    assert line["request_id"] == REQUEST_ID
    assert (line["hook_event"], line["action"], line["annotation_id"]) == (
        "annotation_content",
        "updated",
        ANNOTATION_ID,
    )
    assert set(line["rules_fired"]) >= {"expedite", "missing_po"}
    assert line["labels_added"] == ["expedite", "missing-po"]
    assert line["labels_removed"] == []
    assert line["messages"] >= 1 and isinstance(line["operations"], int)
    assert (line["outcome"], line["status"], line["dry_run"]) == ("ok", 200, False)
    assert line["duration_ms"] >= 0 and line["log_level"] == "info"


async def test_refused_deliveries_log_their_outcome(service: ServiceFactory) -> None:
    """A refused delivery still logs one canonical line, at warning level, with its code."""
    headers, body = signed(content_event(), "wrong-secret")
    async with service() as client:
        with structlog.testing.capture_logs() as logs:
            await client.post("/hooks", content=body, headers=headers)
    (line,) = _handled(logs)
    assert (line["outcome"], line["status"], line["log_level"]) == (
        "invalid_signature",
        401,
        "warning",
    )


async def test_no_secret_token_or_signature_in_any_log(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """Across success, failure, refusal and rule paths, captured logs hold no credential."""
    rossum.apply.mock(return_value=httpx.Response(503, json={"detail": "down", "code": "x"}))
    deliveries = [
        signed(content_event("updated", values={"amount_total": "25000", "order_id": ""}), SECRET),
        signed(content_event("initialize", settings={"expedite_amount": "not-a-number"}), SECRET),
        signed(status_event(), SECRET),
        signed(content_event(), "wrong-secret"),
        signed(content_event(extra={"base_url": "https://evil.example.com"}), SECRET),
        signed(b'{"rossum_authorization_token": "' + TOKEN.encode(), SECRET),
    ]
    signatures = [h["X-Rossum-Signature-SHA256"] for h, _ in deliveries]
    async with service(webhook_secret=f"{SECRET},{OLD_SECRET}") as client:
        with structlog.testing.capture_logs() as logs:
            for headers, body in deliveries:
                await client.post("/hooks", content=body, headers=headers)
    dumped = json.dumps(logs, default=str)
    assert len(_handled(logs)) == len(deliveries)
    for leaked in (TOKEN, SECRET, OLD_SECRET, HOOK_SECRET_VALUE, *signatures):
        assert leaked not in dumped
    for signature in signatures:
        assert signature.removeprefix("sha256=") not in dumped


async def test_lines_written_during_a_delivery_name_it(
    service: ServiceFactory, rossum: FakeRossum, capsys: pytest.CaptureFixture[str]
) -> None:
    """A line logged while a delivery is handled (here the failed label call, and the client's
    retry lines, through stdlib logging) carries the delivery's identity as rendered; a line
    after it does not."""
    rossum.apply.mock(return_value=httpx.Response(503, json={"detail": "down", "code": "x"}))
    values = {"amount_total": "25000", "order_id": ""}
    headers, body = signed(content_event("updated", values=values, request_id=REQUEST_ID), SECRET)
    configure_logging(level="info", fmt="json")
    async with service() as client:
        await client.post("/hooks", content=body, headers=headers)
        structlog.get_logger().info("after.delivery")
    lines = [json.loads(x) for x in capsys.readouterr().err.splitlines()]
    by_event = {line["event"]: line for line in lines}
    identity = {
        "request_id": REQUEST_ID,
        "hook_event": "annotation_content",
        "action": "updated",
        "annotation_id": ANNOTATION_ID,
    }
    for name in ("webhook.actions_failed", "rossum.retry"):
        assert {k: by_event[name].get(k) for k in identity} == identity, name
    assert by_event["webhook.handled"]["outcome"] == "actions_failed"
    assert not {"request_id", "hook_event", "annotation_id"} & by_event["after.delivery"].keys()
