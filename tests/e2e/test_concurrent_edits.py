"""Concurrent edits of one annotation through the real service: the final labels follow the
final content.

The sandbox (real HTTP on loopback) holds one invoice and calls the real service (a uvicorn
process) with an interactive `annotation_content.updated` for every edit. Each round sends 20
edits of `amount_total` at once, alternating above and below the `expedite` threshold, then
waits for every delivery and compares the annotation's labels with what the rules decide for
its final content.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from sandbox import SandboxSettings, create_sandbox_app
from sandbox.demo_data import DEMO_PASSWORD, DEMO_USER, demo_invoices
from sandbox.server import serving_in_thread
from tests.e2e.service_process import running_service

SECRET = "e2e-concurrent-edits-secret"
ROUNDS, EDITS = 10, 20
HIGH, LOW = "25000.00", "100.00"  # the `expedite` threshold is 10000
pytestmark = pytest.mark.e2e


@pytest.fixture
def stack() -> Iterator[tuple[str, dict[str, str]]]:
    """Serve the sandbox and the service, hooked together; yield the sandbox URL and auth."""
    app = create_sandbox_app(SandboxSettings(rate_limit_per_s=0, delivery_retry_delay_s=0))
    env = {
        "ROSSUM_HOOKS_WEBHOOK_SECRET": SECRET,
        "ROSSUM_HOOKS_ALLOWED_BASE_URLS": "http://127.0.0.1:*",
        "ROSSUM_HOOKS_REQUESTS_PER_SECOND": "none",  # the sandbox runs without a rate limit
        "ROSSUM_HOOKS_LOG_LEVEL": "warning",
    }
    with serving_in_thread(app) as url, running_service(env) as (service_url, _):
        with httpx.Client(base_url=url, timeout=60) as client:
            login = client.post(
                "/api/v1/auth/login", json={"username": DEMO_USER, "password": DEMO_PASSWORD}
            )
            auth = {"Authorization": f"Bearer {login.json()['key']}"}
            hook = {
                "name": "rossum-hooks",
                "queues": [f"{url}/api/v1/queues/101"],
                "events": ["annotation_content"],
                "config": {"url": f"{service_url}/hooks", "secret": SECRET},
                "token_owner": f"{url}/api/v1/users/1",
            }
            assert client.post("/api/v1/hooks", json=hook, headers=auth).status_code == 201
        yield url, auth


def _datapoint_id(nodes: list[dict[str, Any]], schema_id: str) -> int:
    for node in nodes:
        if node.get("category") == "datapoint" and node.get("schema_id") == schema_id:
            return int(node["id"])
        found = _datapoint_id(node.get("children") or [], schema_id) if "children" in node else 0
        if found:
            return found
    return 0


async def _round(api: httpx.AsyncClient, annotation: int, datapoint: int, seed: int) -> bool:
    """Send the round's edits at once; return whether the final labels fit the final content."""
    values = [HIGH if n % 2 else LOW for n in range(EDITS)]
    random.Random(seed).shuffle(values)
    path = f"/api/v1/annotations/{annotation}/content/{datapoint}"
    edits = [api.patch(path, json={"content": {"value": v}}) for v in values]
    assert {r.status_code for r in await asyncio.gather(*edits)} == {200}
    await api.get("/api/v1/sandbox/deliveries?wait=true")
    node = (await api.get(path)).json()
    amount = float(node["content"]["normalized_value"])
    labels = (await api.get(f"/api/v1/annotations/{annotation}")).json()["labels"]
    names = {(await api.get(url)).json()["name"] for url in labels}
    return names == ({"expedite"} if amount >= 10_000 else set())


async def _run(url: str, auth: dict[str, str]) -> tuple[int, list[dict[str, Any]]]:
    clean = next(d for d in demo_invoices(date.today()) if d.key == "clean")
    async with httpx.AsyncClient(base_url=url, headers=auth, timeout=60) as api:
        imported = (await api.post("/api/v1/sandbox/import?wait=true", json=clean.body)).json()
        content = (await api.get(imported["content"])).json()["content"]
        datapoint = _datapoint_id(content, "amount_total")
        results = [await _round(api, imported["id"], datapoint, seed) for seed in range(ROUNDS)]
        deliveries = (await api.get("/api/v1/sandbox/deliveries?wait=true")).json()["results"]
    return results.count(False), deliveries


def test_concurrent_edits_end_with_labels_matching_the_final_content(
    stack: tuple[str, dict[str, str]],
) -> None:
    """10 rounds of 20 concurrent edits: 0 rounds whose final labels disagree with content."""
    url, auth = stack
    inconsistent, deliveries = asyncio.run(_run(url, auth))
    updated = [d for d in deliveries if d["action"] == "updated"]
    assert len(updated) == ROUNDS * EDITS
    assert {a["status_code"] for d in updated for a in d["attempts"]} == {200}
    assert inconsistent == 0
