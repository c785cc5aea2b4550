"""The demo, recorded by the real service, replayed by the real CLI against the real sandbox."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import pytest

from handlers.content import ContentTree
from sandbox import SandboxSettings, create_sandbox_app
from sandbox.demo_data import DEMO_PASSWORD, DEMO_USER, demo_invoices
from sandbox.server import serving_in_thread
from tests.e2e.service_process import running_service, wait_for_lines

SECRET = "e2e-replay-hook-secret"
pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Demo:
    """The sandbox's URL and the service's recording of the demo."""

    sandbox_url: str
    recording: Path
    deliveries: int


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    """Run the demo: sandbox and service on loopback, the demo invoices imported and recorded."""
    app = create_sandbox_app(SandboxSettings(rate_limit_per_s=0, delivery_retry_delay_s=0))
    record = tmp_path / "deliveries.jsonl"
    env = {
        "ROSSUM_HOOKS_WEBHOOK_SECRET": SECRET,
        "ROSSUM_HOOKS_ALLOWED_BASE_URLS": "http://127.0.0.1:*",
        "ROSSUM_HOOKS_RECORD_PATH": str(record),
    }
    with (
        serving_in_thread(app) as sandbox_url,
        httpx.Client(base_url=sandbox_url, timeout=60) as client,
        running_service(env) as (service_url, _),
    ):
        login = client.post(
            "/api/v1/auth/login", json={"username": DEMO_USER, "password": DEMO_PASSWORD}
        )
        client.headers["Authorization"] = f"Bearer {login.json()['key']}"
        api = f"{sandbox_url}/api/v1"
        hook = {
            "name": "rossum-hooks",
            "queues": [f"{api}/queues/101"],
            "events": ["annotation_content", "annotation_status"],
            "config": {
                "url": f"{service_url}/hooks",
                "secret": SECRET,
                "payload_logging_enabled": True,
            },
            "token_owner": f"{api}/users/1",
            "sideload": ["labels"],
        }
        assert client.post("/api/v1/hooks", json=hook).status_code == 201
        imported = {
            invoice.key: client.post("/api/v1/sandbox/import?wait=true", json=invoice.body).json()
            for invoice in demo_invoices(date.today())
        }
        _fill_in_po(client, imported["missing-po"]["id"])  # `updated` takes the label back
        deliveries = client.get("/api/v1/sandbox/deliveries?wait=true").json()["results"]
        count = sum(len(d["attempts"]) for d in deliveries)
        wait_for_lines(record, count)
        yield Demo(sandbox_url, record, count)


def _fill_in_po(client: httpx.Client, annotation_id: int) -> None:
    """Fill in the missing PO as a reviewer; the sandbox delivers `annotation_content.updated`."""
    content = client.get(f"/api/v1/annotations/{annotation_id}/content").json()["content"]
    datapoint = ContentTree(content).datapoint("order_id")
    assert datapoint is not None
    operation = {"op": "replace", "id": datapoint["id"], "value": {"content": {"value": "PO-1"}}}
    response = client.post(
        f"/api/v1/annotations/{annotation_id}/content/operations", json={"operations": [operation]}
    )
    assert response.status_code == 200, response.text
    labels = client.get(f"/api/v1/annotations/{annotation_id}").json()["labels"]
    assert labels == [], "the reviewer's edit should have removed missing-po"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "service.cli", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


LOGIN = ["--username", DEMO_USER, "--password", DEMO_PASSWORD]


def test_demo_recording_replays_same_and_gates_a_threshold_change(demo: Demo) -> None:
    """Every demo answer replays "same" (exit 0); a higher expedite threshold exits 1."""
    target = ["--api-url", demo.sandbox_url, *LOGIN]
    same = _cli("replay", str(demo.recording), *target)
    assert same.returncode == 0, same.stdout + same.stderr
    assert (
        f"replayed {demo.deliveries} deliveries: {demo.deliveries} same, 0 changed" in same.stdout
    )
    offline = _cli("replay", str(demo.recording), "--dry-run")  # no API at all
    assert offline.returncode == 0, offline.stdout + offline.stderr
    assert f"{demo.deliveries} same, 0 changed" in offline.stdout
    changed = _cli(
        "replay", str(demo.recording), *target, "--hook-setting", "expedite_amount=20000"
    )
    assert changed.returncode == 1, changed.stdout + changed.stderr
    assert "    - add expedite" in changed.stdout


def test_pull_logs_round_trips_through_replay(demo: Demo, tmp_path: Path) -> None:
    """The sandbox's hook logs, pulled as a recording, replay with every answer the same."""
    pulled = tmp_path / "pulled.jsonl"
    api = ["--base-url", demo.sandbox_url, *LOGIN]
    pull = _cli("pull-logs", *api, "--since", "1h", "-o", str(pulled))
    assert pull.returncode == 0, pull.stderr
    assert f"pulled {demo.deliveries} deliveries; skipped 0" in pull.stderr
    replay = _cli("replay", str(pulled), "--api-url", demo.sandbox_url, *LOGIN)
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert f"{demo.deliveries} same, 0 changed" in replay.stdout
