"""Where replayed deliveries go: the service in-process, or a running service over HTTP.

In-process, the ASGI app is called directly (no sockets, no httpx on the delivery side), with
its lifespan run once, so a replay costs what handling a delivery costs; the calls the service
made or, in a dry run, intended come from the delivery it records on the request scope.
For dry runs with no Rossum API at all, `offline_transport` answers the reads the service
makes (the label list, from labels sideloaded in the recording) and refuses any other.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

import httpx
from starlette.applications import Starlette
from starlette.types import Message

from handlers.routing import Router
from service.app import create_app
from service.delivery import SCOPE_KEY, Delivery
from service.replay_diff import Observed
from service.settings import Settings

Headers = Sequence[tuple[str, str]]


class Target(Protocol):
    """Something that answers a delivery the way the service would."""

    async def send(self, headers: Headers, body: bytes) -> Observed:
        """Deliver one request; return the status, the JSON answer and the calls made."""
        ...


def decode_answer(raw: bytes) -> Any:
    """Return a response body as JSON, its text if it is not JSON, None if empty."""
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


class InProcessTarget:
    """Call the service's ASGI app directly, handing it the lifespan state as uvicorn does."""

    def __init__(self, app: Starlette, state: dict[str, Any], *, path: str = "/hooks") -> None:
        self._app, self._state, self._path = app, state, path

    async def send(self, headers: Headers, body: bytes) -> Observed:
        """Deliver one request in-process; return what the service answered and did."""
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": self._path,
            "raw_path": self._path.encode(),
            "root_path": "",
            "query_string": b"",
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
            + [(b"content-length", str(len(body)).encode())],
            "client": ("127.0.0.1", 0),
            "server": ("replay", 80),
            "state": dict(self._state),
        }
        messages = iter([{"type": "http.request", "body": body, "more_body": False}])
        status: list[int] = []
        chunks: list[bytes] = []

        async def receive() -> Message:
            return next(messages, {"type": "http.disconnect"})

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self._app(scope, receive, send)
        delivery = scope.get(SCOPE_KEY)
        calls = list(delivery.calls) if isinstance(delivery, Delivery) else None
        return Observed(status[0] if status else None, decode_answer(b"".join(chunks)), calls)


@asynccontextmanager
async def in_process(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    router: Router | None = None,
) -> AsyncIterator[InProcessTarget]:
    """Build the service app, run its lifespan, and yield a target that calls it directly."""
    app = create_app(settings, transport=transport, router=router)
    async with app.router.lifespan_context(app) as state:
        yield InProcessTarget(app, dict(state or {}))


class RemoteTarget:
    """POST deliveries to a running service; its API calls are not known to the replay."""

    def __init__(self, client: httpx.AsyncClient, url: str) -> None:
        self._client, self._url = client, url

    async def send(self, headers: Headers, body: bytes) -> Observed:
        """Deliver one request over HTTP; raise `httpx.HTTPError` if it cannot be sent."""
        response = await self._client.post(self._url, content=body, headers=list(headers))
        return Observed(response.status_code, decode_answer(response.content), None)


def offline_transport(labels: Iterable[tuple[str, str]]) -> httpx.MockTransport:
    """Return a transport standing in for a Rossum API that only answers the label list.

    `labels` are `(name, url)` pairs; an organisation sees those under its own origin.
    """
    known = list(labels)

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.rstrip("/").endswith("/labels"):
            origin = f"{request.url.scheme}://{request.url.netloc.decode()}/"
            results = [
                {"id": _tail_id(url), "url": url, "name": name}
                for name, url in known
                if url.startswith(origin)
            ]
            page = {"next": None, "previous": None, "total": len(results)}
            return httpx.Response(200, json={"pagination": page, "results": results})
        detail = (
            f"replay without a Rossum API cannot answer {request.method} {request.url.path}; "
            "replay with --api-url or --sandbox"
        )
        return httpx.Response(404, json={"detail": detail, "code": "not_found"})

    return httpx.MockTransport(handle)


def _tail_id(url: str) -> int | None:
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None
