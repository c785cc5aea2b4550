"""`rossum-hooks replay --url` against a real `rossum-hooks serve` process on loopback."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from handlers.testing import CLEAN_INVOICE, content_payload, status_payload
from tests.replay.replay_kit import SECRET, record

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def dry_server() -> Iterator[str]:
    """Start `rossum-hooks serve` in dry-run mode; yield its base URL."""
    port = _free_port()
    env = {
        **os.environ,
        "ROSSUM_HOOKS_WEBHOOK_SECRET": SECRET,
        "ROSSUM_HOOKS_DRY_RUN": "true",
        "ROSSUM_HOOKS_LOG_LEVEL": "error",
        "ROSSUM_HOOKS_ALLOWED_BASE_URLS": "https://*.rossum.app",
        # Replayed deliveries are old and replayed twice here under one request_id.
        "ROSSUM_HOOKS_TIMESTAMP_WINDOW_S": "none",
        "ROSSUM_HOOKS_DUPLICATE_WINDOW_S": "none",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{url}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.05)
        else:
            pytest.fail("server did not start")
        yield url
    finally:
        process.kill()
        process.wait()


def _replay(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "service.cli", "replay", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def test_replay_to_a_running_dry_service(dry_server: str, tmp_path: Path) -> None:
    """Same answers exit 0; a changed tolerance makes the totals rule object: exit 1."""
    path = tmp_path / "deliveries.jsonl"
    # Clean invoices without labels: the rules need no API call, so nothing leaves loopback.
    payloads = [content_payload("updated", **CLEAN_INVOICE), status_payload()]
    asyncio.run(record(path, payloads))
    url = f"{dry_server}/hooks"
    same = _replay(str(path), "--url", url, "--secret", SECRET, "--dry-run")
    assert same.returncode == 0, same.stderr
    assert "replayed 2 deliveries: 2 same, 0 changed" in same.stdout
    changed = _replay(
        str(path), "--url", url, "--secret", SECRET, "--hook-setting", "totals_tolerance=-1"
    )
    assert changed.returncode == 1, changed.stderr
    assert "+ error on datapoint" in changed.stdout and "Line items add up to" in changed.stdout
    refused = _replay(str(path), "--url", "http://127.0.0.1:9/hooks", "--secret", SECRET)
    assert refused.returncode == 2 and "rossum-hooks replay:" in refused.stderr
