"""Request intake: the checks made on a delivery before any rule runs, and the deadline on
reading a request's body.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from handlers.events import HookEvent
from service.deadlines import Deadlines
from service.errors import BodyTimeout, PayloadTooLarge, TimestampOutOfWindow, UnsupportedMediaType


def request_headers(scope: Scope) -> dict[str, str]:
    """Return a request's headers by (lowercase) name, the first value of each, as text.

    What Starlette's `Headers` answers, decoded once: the intake checks and the signature
    check each read them.
    """
    return {
        name.decode("latin-1"): value.decode("latin-1")
        for name, value in reversed(scope["headers"])
    }


def check_content_type(headers: Mapping[str, str]) -> None:
    """Refuse a body declared as anything but JSON; a missing header is tolerated."""
    declared = headers.get("content-type")
    if declared is None:
        return  # Rossum does not document its headers; the JSON parse decides.
    media_type = declared.partition(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(
            f"content type {media_type or declared!r} is not supported; send application/json"
        )


async def read_body(receive: Receive, headers: Mapping[str, str], *, limit: int) -> bytes:
    """Read the raw body, refusing it as soon as it is known to exceed `limit` bytes."""
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(_too_large(limit))
    # The messages themselves, as `Request.stream` reads them, without its async generator
    # (the body is read once, here; nothing reads the request's stream after it).
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        if message["type"] != "http.request":
            continue
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(_too_large(limit))
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _too_large(limit: int) -> str:
    return f"body larger than {limit} bytes (ROSSUM_HOOKS_MAX_BODY_BYTES)"


def check_timestamp(
    event: HookEvent, *, window_s: float | None, now: datetime | None = None
) -> None:
    """Refuse a delivery dated more than `window_s` seconds from `now` (the current time
    unless given; `window_s` None: no check).

    Rossum signs no timestamp, so this bounds how long a captured delivery can be replayed;
    `ROSSUM_HOOKS_DUPLICATE_WINDOW_S` covers replays inside the window.
    """
    if window_s is None:
        return
    offset = (event.timestamp - (now or datetime.now(UTC))).total_seconds()
    if abs(offset) > window_s:
        side = "after" if offset > 0 else "before"
        raise TimestampOutOfWindow(
            f"delivery timestamp {event.timestamp.isoformat()} is {abs(offset):.0f} s {side} "
            f"the service's clock; accepted within {window_s:g} s either side "
            "(ROSSUM_HOOKS_TIMESTAMP_WINDOW_S)"
        )


class BodyDeadline:
    """ASGI middleware bounding the time a request's body may take to arrive.

    Every `receive` of a request waits at most until `timeout_s` after the request began;
    past that it raises `BodyTimeout` (answered 408 JSON by the error table). An answer sent
    before the whole body was received (a refusal that did not read it) carries
    `Connection: close`, so a client cannot keep the connection by trickling the rest.
    """

    def __init__(self, app: ASGIApp, *, timeout_s: float) -> None:
        self.app, self.timeout_s = app, timeout_s
        self._waiting = Deadlines()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = asyncio.get_running_loop().time() + self.timeout_s
        body_done = not _has_body(scope)
        waiting = self._waiting

        async def bounded_receive() -> Message:
            nonlocal body_done
            if body_done:
                return await receive()
            task = asyncio.current_task()
            assert task is not None
            cancelling = waiting.start(task, deadline)
            try:
                message = await receive()
            except BaseException as exc:
                expired = waiting.stop(task, cancelling)
                if expired and isinstance(exc, asyncio.CancelledError):
                    raise BodyTimeout(
                        f"request body not received within {self.timeout_s:g} s "
                        "(ROSSUM_HOOKS_BODY_TIMEOUT_S)"
                    ) from None
                raise
            waiting.stop(task, cancelling)
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_done = True
            return message

        async def closing_send(message: Message) -> None:
            if message["type"] == "http.response.start" and not body_done:
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, bounded_receive, closing_send)


def _has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False
