"""Sandbox-only harness endpoints and the last-resort error handling."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response

from sandbox import serialize
from sandbox.state import Sandbox
from tests.sandbox.helpers import BASE, Received, Receiver, create_hook, import_invoice


async def test_label_events_tell_effective_from_repeated_applies(api: httpx.AsyncClient) -> None:
    """A repeated add is recorded with `changed: false`, so duplicates are observable."""
    ann = await import_invoice(api)
    label = (await api.post("/api/v1/labels", json={"name": "l"})).json()
    body = {"operations": {"add": [label["url"]]}, "objects": {"annotations": [ann["url"]]}}
    for _ in range(2):
        await api.post("/api/v1/labels/apply", json=body)
    remove = {"operations": {"remove": [label["url"]]}, "objects": body["objects"]}
    await api.post("/api/v1/labels/apply", json=remove)
    events = (await api.get(f"/api/v1/sandbox/label-events?annotation={ann['id']}")).json()
    summary = [(e["op"], e["changed"], e["hook"]) for e in events["results"]]
    assert summary == [("add", True, None), ("add", False, None), ("remove", True, None)]
    assert (await api.get("/api/v1/sandbox/label-events?label=999")).json()["results"] == []


async def test_waiting_for_idle_times_out_with_504(
    api: httpx.AsyncClient, receiver: Receiver, sandbox: Sandbox
) -> None:
    """`deliveries?wait=true` answers 504 while a delivery is still running past `timeout`."""
    release = asyncio.Event()

    async def respond(received: Received) -> Response:
        await release.wait()
        return JSONResponse({})

    receiver.respond = respond
    await create_hook(api, events=["annotation_status"])
    await import_invoice(api, wait=False)
    response = await api.get("/api/v1/sandbox/deliveries?wait=true&timeout=0.05")
    assert response.status_code == 504
    assert response.json() == {"detail": "Deliveries are still running.", "code": "gateway_timeout"}
    release.set()
    await sandbox.idle()
    assert (await api.get("/api/v1/sandbox/deliveries")).json()["idle"] is True


async def test_deliveries_for_a_deleted_annotation_are_cancelled(
    api: httpx.AsyncClient, receiver: Receiver, sandbox: Sandbox
) -> None:
    """Retries stop when the annotation is deleted (with its queue) in the meantime."""

    async def respond(received: Received) -> Response:
        await api.delete("/api/v1/queues/101")
        return JSONResponse({}, status_code=503)

    receiver.respond = respond
    await create_hook(api, events=["annotation_content.initialize"])
    await import_invoice(api, wait=False)
    await sandbox.idle()
    records = (await api.get("/api/v1/sandbox/deliveries")).json()["results"]
    assert [(r["state"], len(r["attempts"])) for r in records] == [("cancelled", 1)]


async def test_an_unexpected_failure_answers_a_plain_500(
    app: Starlette, api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug inside an endpoint answers 500 `{"detail": "Server error.", "code": "error"}`."""

    def broken(*args: object) -> dict[str, object]:
        raise RuntimeError("boom")

    monkeypatch.setattr(serialize, "label", broken)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=BASE, headers=api.headers) as c:
        response = await c.post("/api/v1/labels", json={"name": "x"})
    assert response.status_code == 500
    assert response.json() == {"detail": "Server error.", "code": "error"}
    assert "boom" not in response.text
