"""Where replayed deliveries go: the service in-process, or a running service over HTTP.

In-process, the ASGI app is called directly (no sockets, no httpx on the delivery side), with
its lifespan run once, so a replay costs what handling a delivery costs; the calls the service
made or, in a dry run, intended come from the delivery it records on the request scope.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

import httpx
from pydantic_core import from_json
from starlette.applications import Starlette
from starlette.types import Message

from handlers.routing import Router
from replay.diff import Observed
from service.allowlist import Allowlist, BaseUrlNotAllowed, bare_origin
from service.app import create_app
from service.delivery import SCOPE_KEY, Delivery
from service.settings import Settings
from service.state import ServiceState

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
        return from_json(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


class RecordedHosts(Allowlist):
    """The hosts of a replay with no API: each delivery's host refused or allowed as it was
    when recorded (`refused`, set before each delivery), whatever the host."""

    def __init__(self) -> None:
        super().__init__(())
        self.refused = False

    def check(self, base_url: str) -> str:
        """Return `base_url` without a trailing slash, or raise `BaseUrlNotAllowed`."""
        if self.refused:
            raise BaseUrlNotAllowed(f"base_url {base_url!r} was refused when it was recorded")
        return bare_origin(base_url)


class InProcessTarget:
    """Call the service's ASGI app directly, handing it the lifespan state as uvicorn does.

    `delivered`, when set, is called with each delivery's facts once it has been answered.
    """

    def __init__(self, app: Starlette, state: dict[str, Any], *, path: str = "/hooks") -> None:
        self._app, self._state = app, state
        self.delivered: Callable[[Delivery], None] | None = None
        # What every delivery's scope holds (`send` adds its headers and a copy of the state).
        self._scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "root_path": "",
            "query_string": b"",
            "client": ("127.0.0.1", 0),
            "server": ("replay", 80),
        }

    def hosts_as_recorded(self) -> RecordedHosts:
        """Let the service take each delivery's host as its recording did; return the hosts
        (their `refused` is the next delivery's)."""
        hosts = RecordedHosts()
        service: ServiceState = self._state["service"]
        service.allowlist = hosts
        return hosts

    async def send(self, headers: Headers, body: bytes) -> Observed:
        """Deliver one request in-process; return what the service answered and did."""
        scope = {
            **self._scope,
            "headers": [
                *[(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers],
                (b"content-length", b"%d" % len(body)),
            ],
            "state": dict(self._state),
        }
        request: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
        status: list[int] = []
        chunks: list[bytes] = []

        async def receive() -> Message:
            return request.pop() if request else {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self._app(scope, receive, send)
        delivery = scope.get(SCOPE_KEY)
        calls = None
        if isinstance(delivery, Delivery):
            calls = delivery.calls  # (the delivery's own list: it is done with)
            if self.delivered is not None:
                self.delivered(delivery)
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
