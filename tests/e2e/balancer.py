"""A round-robin HTTP load balancer in front of several service replicas (as a Kubernetes
Service spreads deliveries over pods), remembering which replica got which delivery."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

HOP_HEADERS = frozenset({"host", "content-length", "connection", "transfer-encoding"})


@dataclass(frozen=True)
class Forwarded:
    """One request the balancer passed on: to which replica, with what headers and body."""

    replica: int
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Balancer:
    """An ASGI app forwarding each request to the next replica in turn."""

    replicas: Sequence[str]
    forwarded: list[Forwarded] = field(default_factory=list)
    url: str = ""  # where it is served, once it is

    def __post_init__(self) -> None:
        self._next = itertools.cycle(range(len(self.replicas)))
        self._client = httpx.AsyncClient(timeout=60)

    def point(self, replicas: Sequence[str]) -> None:
        """Spread from now on over `replicas`, with a fresh record of what was forwarded."""
        self.replicas, self.forwarded = list(replicas), []
        self._next = itertools.cycle(range(len(self.replicas)))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        request = Request(scope, receive)
        body = await request.body()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_HEADERS}
        replica = next(self._next)
        upstream = await self._client.request(
            request.method, self.replicas[replica] + request.url.path, content=body, headers=headers
        )
        self.forwarded.append(Forwarded(replica, headers, body, upstream.status_code))
        answer = Response(
            upstream.content,
            status_code=upstream.status_code,
            media_type=upstream.headers.get("content-type"),
        )
        await answer(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return
