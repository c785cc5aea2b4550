"""Test helpers: a recording hook receiver, a controllable clock, request builders."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

BASE = "http://sandbox.test"
API = f"{BASE}/api/v1"
HOOK_URL = "http://hooks.test/hook"


class FakeClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Received:
    """One delivery as the hook endpoint saw it."""

    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.body)
        return data


Responder = Callable[[Received], Awaitable[Response]]


async def answer_ok(received: Received) -> Response:
    """Answer a delivery with an empty 200 JSON object."""
    return JSONResponse({})


@dataclass
class Receiver:
    """A hook endpoint that records deliveries and answers through `respond`."""

    calls: list[Received] = field(default_factory=list)
    respond: Responder = answer_ok

    async def _endpoint(self, request: Request) -> Response:
        received = Received(dict(request.headers), await request.body())
        self.calls.append(received)
        return await self.respond(received)

    @property
    def app(self) -> Starlette:
        return Starlette(routes=[Route("/hook", self._endpoint, methods=["POST"])])

    def events(self) -> list[str]:
        """Return `event.action` of every delivery received, in order."""
        return [f"{c.payload['event']}.{c.payload['action']}" for c in self.calls]


def client_for(app: Starlette) -> httpx.AsyncClient:
    """Return an unauthenticated client talking to `app` in-process."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)


async def login(client: httpx.AsyncClient, username: str, password: str) -> str:
    """Log in and return the token key."""
    response = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    key: str = response.json()["key"]
    return key


async def create_hook(api: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    """Register a webhook on the demo queue pointing at the receiver."""
    config = {"url": HOOK_URL, "secret": "hook-secret", **overrides.pop("config", {})}
    body = {
        "name": "test hook",
        "queues": [f"{API}/queues/101"],
        "events": ["annotation_content", "annotation_status"],
        "config": config,
        "token_owner": f"{API}/users/1",
        **overrides,
    }
    response = await api.post("/api/v1/hooks", json=body)
    assert response.status_code == 201, response.text
    hook: dict[str, Any] = response.json()
    return hook


def invoice(**fields: Any) -> dict[str, Any]:
    """Return an import request for the demo queue with sensible defaults."""
    values = {
        "document_id": "INV-1",
        "order_id": "PO-1",
        "amount_total": "300.00",
        "currency": "EUR",
        "date_due": "2030-01-31",
        **fields,
    }
    return {
        "queue": 101,
        "file_name": "inv.pdf",
        "fields": values,
        "line_items": [
            {"item_description": "A", "item_amount_total": "100.00"},
            {"item_description": "B", "item_amount_total": "200.00"},
        ],
    }


async def import_invoice(
    client: httpx.AsyncClient, *, wait: bool = True, **fields: Any
) -> dict[str, Any]:
    """Import an invoice through the sandbox-only endpoint and return the annotation."""
    query = "?wait=true" if wait else ""
    response = await client.post(f"/api/v1/sandbox/import{query}", json=invoice(**fields))
    assert response.status_code == 201, response.text
    annotation: dict[str, Any] = response.json()
    return annotation


def datapoints(content: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Index the first node of each schema id in a content tree (breadth-first)."""
    found: dict[str, dict[str, Any]] = {}
    queue = list(content)
    while queue:
        node = queue.pop(0)
        found.setdefault(node["schema_id"], node)
        queue.extend(node.get("children") or [])
    return found
