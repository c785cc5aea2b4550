"""`rossum-hooks serve` as a real uvicorn process on loopback: answers, refusals, JSON logs."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from handlers.testing import CLEAN_INVOICE, TOKEN, content_payload, signed
from tests.e2e.service_process import running_service

SECRET = "e2e-webhook-secret"
pytestmark = pytest.mark.e2e


@pytest.fixture
def server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start `python -m service.cli serve` and yield its URL and process."""
    env = {
        "ROSSUM_HOOKS_WEBHOOK_SECRET": SECRET,
        "ROSSUM_HOOKS_ALLOWED_BASE_URLS": "https://*.rossum.app",
    }
    with running_service(env) as running:
        yield running


def test_real_server_answers_refuses_and_logs_json(
    server: tuple[str, subprocess.Popen[bytes]],
) -> None:
    """A signed delivery is answered, a forged one refused, and stderr has redacted JSON logs."""
    url, process = server
    # A clean invoice without labels, sent now: the rules want no API call (no Rossum here).
    now = datetime.now(UTC)
    fields = {**CLEAN_INVOICE["fields"], "date_due": (now + timedelta(days=30)).date().isoformat()}
    payload = content_payload(
        "started", fields=fields, line_items=CLEAN_INVOICE["line_items"], timestamp=now
    )
    headers, body = signed(payload, SECRET)
    ok = httpx.post(f"{url}/hooks", content=body, headers=headers)
    forged = httpx.post(f"{url}/hooks", content=body, headers={**headers, **signed({}, "x")[0]})
    assert ok.status_code == 200 and set(ok.json()) == {"messages", "operations"}
    assert forged.status_code == 401 and forged.json()["code"] == "invalid_signature"
    process.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert process.wait(timeout=15) in (0, -signal.SIGTERM)
    assert process.stderr is not None
    err = process.stderr.read().decode()
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    handled = [line for line in lines if line["event"] == "webhook.handled"]
    assert [h["status"] for h in handled] == [200, 401]
    assert "service.stopped" in [line["event"] for line in lines]
    assert TOKEN not in err and SECRET not in err
    assert headers["X-Rossum-Signature-SHA256"] not in err
