"""Recording deliveries through the running app, and dry-run mode."""

from __future__ import annotations

import json
from pathlib import Path

import structlog

from handlers.testing import TOKEN, signed
from tests.service.conftest import FakeRossum, ServiceFactory
from tests.service.kit import ANNOTATION_ID, HOOK_SECRET_VALUE, SECRET, content_event

EXPENSIVE_NO_PO = {"amount_total": "25000.00", "order_id": ""}


def _read(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_every_delivery_is_recorded_redacted(
    service: ServiceFactory, rossum: FakeRossum, tmp_path: Path
) -> None:
    """Accepted and refused deliveries are recorded with answer, status and no credentials."""
    path = tmp_path / "rec" / "deliveries.jsonl"
    good = signed(content_event("updated", values=EXPENSIVE_NO_PO), SECRET)
    bad = signed(content_event(), "wrong-secret")
    async with service(record_path=path) as client:
        answer = (await client.post("/hooks", content=good[1], headers=good[0])).json()
        await client.post("/hooks", content=bad[1], headers=bad[0])
    first, second = _read(path)
    assert first["event"] == "annotation_content" and first["action"] == "updated"
    assert first["status"] == 200 and first["answer"] == answer and first["outcome"] == "ok"
    assert first["body"]["rossum_authorization_token"] == "[redacted]"
    assert first["body"]["secrets"] == {"api_password": "[redacted]"}
    assert first["body"]["annotation"]["id"] == ANNOTATION_ID
    assert "x-rossum-signature-sha256" not in first["headers"]
    assert first["headers"]["content-type"] == "application/json"
    calls = [c["call"] for c in first["calls"]]
    assert "apply_labels" in calls and "create_new_label" in calls
    assert (second["status"], second["outcome"]) == (401, "invalid_signature")
    raw = path.read_text()
    for leaked in (TOKEN, SECRET, HOOK_SECRET_VALUE, good[0]["X-Rossum-Signature-SHA256"]):
        assert leaked not in raw


def _sizes(directory: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in directory.iterdir()}


async def test_recording_rotates_by_size(service: ServiceFactory, tmp_path: Path) -> None:
    """With a small RECORD_MAX_BYTES the recording rotates and keeps RECORD_KEEP old files."""
    path = tmp_path / "deliveries.jsonl"
    headers, body = signed(content_event("started", rows=2), SECRET)
    max_bytes = 40_000  # room for one recorded delivery of this size (~26 kB), not two
    async with service(record_path=path, record_max_bytes=max_bytes, record_keep=2) as client:
        for _ in range(8):
            await client.post("/hooks", content=body, headers=headers)
    sizes = _sizes(tmp_path)
    assert sorted(sizes) == ["deliveries.jsonl", "deliveries.jsonl.1", "deliveries.jsonl.2"]
    assert all(size <= max_bytes for size in sizes.values())


async def test_dry_run_writes_nothing_and_reports_intended_calls(
    service: ServiceFactory, rossum: FakeRossum, tmp_path: Path
) -> None:
    """In dry-run mode no write reaches Rossum; the log line and recording list the calls."""
    path = tmp_path / "dry.jsonl"
    headers, body = signed(content_event("updated", values=EXPENSIVE_NO_PO), SECRET)
    async with service(dry_run=True, record_path=path) as client:
        with structlog.testing.capture_logs() as logs:
            response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code == 200
    assert all(c.request.method == "GET" for c in rossum.router.calls)
    assert rossum.created == [] and rossum.applied == []
    (line,) = [e for e in logs if e["event"] == "webhook.handled"]
    assert line["dry_run"] is True
    intended = {c["call"] for c in line["calls"]}
    assert {"create_new_label", "apply_labels"} <= intended
    (record,) = _read(path)
    assert record["dry_run"] is True and record["calls"] == line["calls"]
