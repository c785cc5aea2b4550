"""`rossum-hooks pull-logs`: Rossum's hook logs as a replayable recording."""

from __future__ import annotations

import argparse
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from client import AsyncRossumAPIClient
from replay.engine import Recording, replay_file
from replay.payload import Selection
from replay.pull_logs import fetch, parse_moment, pull, record_from_log, write_records
from replay.setup import ReplayConfig
from service import testing
from service.cli import build_parser, main
from service.testing import DEMO_USER, SANDBOX_URL, HookService, sandbox_transport

sandbox = testing.sandbox
sandbox_client = testing.sandbox_client
hook_service = testing.hook_service
hook_router = testing.hook_router
hook_settings = testing.hook_settings
hook_service_settings = testing.hook_service_settings

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
INVOICES = [
    {"document_id": "INV-1", "order_id": "PO-1", "amount_total": "25000.00"},
    {"document_id": "INV-2", "order_id": "", "amount_total": "120.00"},
]


def _args(*argv: str) -> argparse.Namespace:
    full = ["pull-logs", "--base-url", SANDBOX_URL, "--username", DEMO_USER[0], *argv]
    return build_parser(full).parse_args([*full, "--password", DEMO_USER[1]])


async def _import_invoices(hook_service: HookService) -> list[int]:
    ids = []
    for fields in INVOICES:
        annotation = await hook_service.import_document(fields={**fields, "date_due": "2099-01-31"})
        ids.append(annotation["id"])
    return ids


async def test_pulled_logs_replay_same_against_the_sandbox(
    hook_service: HookService, sandbox: Starlette, tmp_path: Path
) -> None:
    """Deliveries in the sandbox -> pull-logs -> JSONL -> replay: every answer the same."""
    await _import_invoices(hook_service)
    pulled = await fetch(_args(), transport=sandbox_transport(sandbox))
    assert len(pulled.records) == 4 and pulled.without_payload == 0
    times = [r["received_at"] for r in pulled.records]
    assert times == sorted(times)
    path = tmp_path / "pulled.jsonl"
    with path.open("w") as out:
        write_records(pulled.records, out)
    text = path.read_text()
    assert '"rossum_authorization_token":"[redacted]"' in text and '"calls":null' in text
    out = io.StringIO()
    tally = await replay_file(
        ReplayConfig(api_url=SANDBOX_URL, username=DEMO_USER[0], password=DEMO_USER[1]),
        Recording(str(path)),
        selection=Selection(),
        out=out,
        transport=sandbox_transport(sandbox),
    )
    assert (tally.same, tally.changed, tally.calls_unknown) == (4, 0, 4), out.getvalue()
    assert "labels and API updates not compared for 4 deliveries" in out.getvalue()


async def test_filters_and_pages_reach_the_api(
    hook_service: HookService, sandbox: Starlette, sandbox_client: AsyncRossumAPIClient
) -> None:
    """Annotation and time filters narrow the logs; small pages are all followed."""
    first, _ = await _import_invoices(hook_service)
    only_first = await fetch(
        _args("--annotation", str(first)), transport=sandbox_transport(sandbox)
    )
    assert {r["annotation_id"] for r in only_first.records} == {first}
    future = await fetch(
        _args("--since", "2999-01-01T00:00:00Z"), transport=sandbox_transport(sandbox)
    )
    assert future.records == []
    paged = await pull(sandbox_client, {}, page_size=1)
    assert len(paged.records) == 4


async def test_entries_without_a_logged_payload_are_counted(
    hook_service: HookService, sandbox: Starlette
) -> None:
    """With payload logging off, Rossum logs no request: such entries are skipped and counted."""
    response = await hook_service.sandbox_http.patch(
        f"/api/v1/hooks/{hook_service.hook['id']}",
        json={"config": {"payload_logging_enabled": False}},
    )
    assert response.status_code == 200, response.text
    await hook_service.import_document(fields={"amount_total": "10.00", "order_id": "PO-3"})
    pulled = await fetch(_args(), transport=sandbox_transport(sandbox))
    assert (len(pulled.records), pulled.without_payload) == (0, 2)


def test_log_entry_becomes_a_recording_line() -> None:
    """JSON logged as strings is decoded; token and secret values are redacted again."""
    request = {
        "request_id": "r-7",
        "event": "annotation_content",
        "action": "updated",
        "rossum_authorization_token": "live-token",
        "secrets": {"sftp": "hunter2"},
    }
    entry: dict[str, Any] = {
        "request": json.dumps(request),
        "response": '{"messages": []}',
        "status_code": 200,
        "annotation_id": 9,
        "start": "2024-05-01T10:00:00.000000Z",
        "end": "2024-05-01T10:00:00.250000Z",
        "uuid": "u-1",
    }
    record = record_from_log(entry)
    assert record is not None
    assert record["body"]["rossum_authorization_token"] == "[redacted]"
    assert record["body"]["secrets"] == {"sftp": "[redacted]"}
    assert (record["event"], record["action"], record["status"]) == (
        "annotation_content",
        "updated",
        200,
    )
    assert record["answer"] == {"messages": []} and record["duration_ms"] == 250.0
    assert record["calls"] is None and record["source"] == "rossum_hook_logs"
    assert record_from_log({**entry, "request": None}) is None
    nested = {**entry, "annotation_id": None, "request": {**request, "annotation": {"id": 4}}}
    assert record_from_log(nested)["annotation_id"] == 4  # type: ignore[index]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("30m", "2024-05-01T11:30:00Z", id="minutes"),
        pytest.param("2d", "2024-04-29T12:00:00Z", id="days"),
        pytest.param("2024-04-30T08:00:00+02:00", "2024-04-30T06:00:00Z", id="offset"),
        pytest.param("2024-04-30", "2024-04-30T00:00:00Z", id="date"),
    ],
)
def test_moments_are_utc_timestamps(value: str, expected: str) -> None:
    """Relative durations and ISO timestamps become UTC filter values."""
    assert parse_moment(value, now=NOW) == expected


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(["pull-logs"], "give --base-url", id="no-base-url"),
        pytest.param(
            ["pull-logs", "--base-url", "http://127.0.0.1:9"], "give --token", id="no-creds"
        ),
        pytest.param(
            ["pull-logs", "--base-url", "http://127.0.0.1:9", "--token", "t", "--hook", "x"],
            "numeric ids",
            id="hook-id",
        ),
        pytest.param(
            ["pull-logs", "--base-url", "http://127.0.0.1:9", "--token", "t", "--since", "soon"],
            "ISO timestamp",
            id="since",
        ),
    ],
)
def test_usage_errors_exit_2(
    argv: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Missing credentials or malformed filters fail with exit status 2 before any request."""
    for name in ("BASE_URL", "TOKEN", "USERNAME", "PASSWORD"):
        monkeypatch.delenv(f"ROSSUM_HOOKS_API_{name}", raising=False)
    assert main(argv) == 2
    assert message in capsys.readouterr().err
