"""The real service behind the real sandbox: Rossum-like deliveries in, labels applied back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox import SandboxSettings, create_sandbox_app
from sandbox.demo_data import DEMO_PASSWORD, DEMO_USER, demo_invoices
from sandbox.server import serving_in_thread
from tests.e2e.service_process import running_service, wait_for_lines

SECRET = "e2e-sandbox-hook-secret"
pytestmark = pytest.mark.e2e


@pytest.fixture
def sandbox() -> Iterator[httpx.Client]:
    """Serve the sandbox on loopback; yield a client logged in as the demo admin."""
    app = create_sandbox_app(SandboxSettings(rate_limit_per_s=0, delivery_retry_delay_s=0))
    with serving_in_thread(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        login = client.post(
            "/api/v1/auth/login", json={"username": DEMO_USER, "password": DEMO_PASSWORD}
        )
        client.headers["Authorization"] = f"Bearer {login.json()['key']}"
        yield client


@pytest.fixture
def hooked(sandbox: httpx.Client, tmp_path: Path) -> Iterator[tuple[httpx.Client, Path]]:
    """Start the service, register it as the demo queue's hook; yield the sandbox client."""
    record = tmp_path / "deliveries.jsonl"
    env = {
        "ROSSUM_HOOKS_WEBHOOK_SECRET": SECRET,
        "ROSSUM_HOOKS_ALLOWED_BASE_URLS": "http://127.0.0.1:*",
        "ROSSUM_HOOKS_RECORD_PATH": str(record),
    }
    with running_service(env) as (url, _):
        api = str(sandbox.base_url).rstrip("/") + "/api/v1"
        hook = {
            "name": "rossum-hooks",
            "queues": [f"{api}/queues/101"],
            "events": ["annotation_content", "annotation_status"],
            "config": {"url": f"{url}/hooks", "secret": SECRET},
            "token_owner": f"{api}/users/1",
        }
        assert sandbox.post("/api/v1/hooks", json=hook).status_code == 201
        yield sandbox, record


def _label_names(client: httpx.Client, annotation: dict[str, Any]) -> set[str]:
    return {client.get(url).json()["name"] for url in annotation["labels"]}


def test_demo_invoices_get_their_labels_through_the_service(
    hooked: tuple[httpx.Client, Path],
) -> None:
    """Each demo import is delivered, verified, ruled on and labelled via the API, as promised."""
    client, record = hooked
    for demo in demo_invoices(date.today()):
        annotation = client.post("/api/v1/sandbox/import?wait=true", json=demo.body).json()
        assert _label_names(client, annotation) == demo.expected_labels, demo.key
        types = tuple(m["type"] for m in annotation["messages"] or [])
        assert types == demo.expected_message_types, (demo.key, annotation["messages"])
    deliveries = client.get("/api/v1/sandbox/deliveries?wait=true").json()["results"]
    statuses = {a["status_code"] for d in deliveries for a in d["attempts"]}
    assert statuses == {200}
    attempts = sum(len(d["attempts"]) for d in deliveries)
    wait_for_lines(record, attempts)  # the recorder writes after answering, off the hot path
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert len(lines) == attempts
    assert all(line["body"]["rossum_authorization_token"] == "[redacted]" for line in lines)


def test_user_edit_adds_then_removes_a_label(hooked: tuple[httpx.Client, Path]) -> None:
    """Emptying the PO in the UI labels missing-po; filling it again removes the label."""
    client, _ = hooked
    clean = next(d for d in demo_invoices(date.today()) if d.key == "clean")
    annotation = client.post("/api/v1/sandbox/import?wait=true", json=clean.body).json()
    content = client.get(annotation["content"]).json()["content"]
    order_id = _find(content, "order_id")
    path = f"/api/v1/annotations/{annotation['id']}/content/{order_id}"
    for value, expected in (("", {"missing-po"}), ("PO-9", set())):
        assert client.patch(path, json={"content": {"value": value}}).status_code == 200
        client.get("/api/v1/sandbox/deliveries?wait=true")
        current = client.get(f"/api/v1/annotations/{annotation['id']}").json()
        assert _label_names(client, current) == expected, value


def _find(nodes: list[dict[str, Any]], schema_id: str) -> int:
    for node in nodes:
        if node.get("schema_id") == schema_id and node.get("category") == "datapoint":
            return int(node["id"])
        if isinstance(node.get("children"), list):
            try:
                return _find(node["children"], schema_id)
            except LookupError:
                continue
    raise LookupError(schema_id)
