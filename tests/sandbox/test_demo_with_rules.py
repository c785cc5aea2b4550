"""The demo invoices delivered by the sandbox to the shipped rules give the expected results.

A minimal stand-in for the service answers each delivery: it verifies and parses the payload
with `HookEvent.from_http`, runs `handlers.rules.router`, applies the Decision's labels through
the sandbox API with the delivery's own token, and answers the content response. The real
service is exercised end to end elsewhere; this pins the sandbox's payloads and demo data to
the rules they are meant to trigger.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response

from handlers.events import HookEvent
from handlers.responses import build_response
from handlers.rules import router
from sandbox.demo_data import demo_invoices
from tests.sandbox.helpers import Received, Receiver, client_for, create_hook, datapoints


async def _apply_labels(app: Starlette, event: HookEvent, add: Any, remove: Any) -> None:
    headers = {"Authorization": f"Bearer {event.rossum_authorization_token}"}
    async with client_for(app) as client:
        urls = {}
        for name in {*add, *remove}:
            found = await client.get("/api/v1/labels", params={"name": name}, headers=headers)
            results = found.json()["results"]
            if results:
                urls[name] = results[0]["url"]
            else:
                created = await client.post("/api/v1/labels", json={"name": name}, headers=headers)
                urls[name] = created.json()["url"]
        body = {
            "operations": {"add": [urls[n] for n in add], "remove": [urls[n] for n in remove]},
            "objects": {"annotations": [event.annotation_url]},
        }
        response = await client.post("/api/v1/labels/apply", json=body, headers=headers)
        assert response.status_code == 204, response.text


def rules_service(app: Starlette) -> Any:
    """Return a responder that runs the shipped rules like the service would."""

    async def respond(received: Received) -> Response:
        event = HookEvent.from_http(received.headers, received.body, secrets=["hook-secret"])
        decision = router.dispatch(event)
        if decision.add_labels or decision.remove_labels:
            await _apply_labels(app, event, decision.add_labels, decision.remove_labels)
        return JSONResponse(build_response(event, decision))

    return respond


async def test_each_demo_invoice_gets_what_its_rule_promises(
    app: Starlette, api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """Labels, message types and operations after import match each demo's expectations."""
    receiver.respond = rules_service(app)
    await create_hook(api, events=["annotation_content.initialize"])
    label_names: dict[str, str] = {}
    for demo in demo_invoices(date.today()):
        response = await api.post("/api/v1/sandbox/import?wait=true", json=demo.body)
        ann = response.json()
        for url in ann["labels"]:
            label_names.setdefault(url, (await api.get(url)).json()["name"])
        assert {label_names[u] for u in ann["labels"]} == demo.expected_labels, demo.key
        types = tuple(m["type"] for m in ann["messages"] or [])
        assert types == demo.expected_message_types, (demo.key, ann["messages"])
        records = (await api.get(f"/api/v1/sandbox/deliveries?annotation={ann['id']}")).json()
        applied = records["results"][0]["outcome"]["operations_applied"]
        assert bool(applied) == demo.expects_operations, demo.key
        assert (ann["automation_blocker"] is not None) == (demo.key == "totals-mismatch")
        if demo.key == "normalise":
            nodes = datapoints((await api.get(ann["content"])).json()["content"])
            values = (
                nodes["document_id"]["content"]["value"],
                nodes["currency"]["content"]["value"],
            )
            assert values == ("INV-1005", "eur")
