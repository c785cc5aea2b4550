"""`rossum-hooks serve` as a real uvicorn process on loopback: answers, refusals, JSON logs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from handlers.testing.payloads import CLEAN_INVOICE, TOKEN, content_payload, signed

SECRET = "e2e-webhook-secret"
pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start `python -m service.cli serve` and yield its URL and process."""
    port = _free_port()
    env = {
        **os.environ,
        "ROSSUM_HOOKS_WEBHOOK_SECRET": SECRET,
        "ROSSUM_HOOKS_LOG_FORMAT": "json",
        "ROSSUM_HOOKS_ALLOWED_BASE_URLS": "https://*.rossum.app",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
        env=env,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/readyz").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.05)
    else:
        process.kill()
        pytest.fail(
            f"server did not start: {process.stderr.read().decode() if process.stderr else ''}"
        )
    yield url, process
    if process.poll() is None:
        process.kill()
        process.wait()
    if process.stderr is not None:
        process.stderr.close()


def test_real_server_answers_refuses_and_logs_json(
    server: tuple[str, subprocess.Popen[bytes]],
) -> None:
    """A signed delivery is answered, a forged one refused, and stderr has redacted JSON logs."""
    url, process = server
    # A clean invoice without labels: the rules want no API call (no Rossum here).
    payload = content_payload(
        "started", fields=CLEAN_INVOICE["fields"], line_items=CLEAN_INVOICE["line_items"]
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
