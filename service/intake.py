"""Request intake: the checks made on a delivery before any rule runs, and the deadline on
reading a request's body.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from starlette.requests import ClientDisconnect, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from handlers.events import HookEvent
from service.errors import BodyTimeout, PayloadTooLarge, TimestampOutOfWindow, UnsupportedMediaType


def check_content_type(request: Request) -> None:
    """Refuse a body declared as anything but JSON; a missing header is tolerated."""
    declared = request.headers.get("content-type")
    if declared is None:
        return  # Rossum does not document its headers; the JSON parse decides.
    media_type = declared.partition(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(
            f"content type {media_type or declared!r} is not supported; send application/json"
        )


async def read_body(request: Request, *, limit: int) -> bytes:
    """Read the raw body, refusing it as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(_too_large(limit))
    # The messages themselves, as `Request.stream` reads them, without its async generator
    # (the body is read once, here; nothing reads the request's stream after it).
    receive = request.receive
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


def check_timestamp(event: HookEvent, *, window_s: float | None, now: datetime) -> None:
    """Refuse a delivery dated more than `window_s` seconds from `now` (None: no check).

    Rossum signs no timestamp, so this bounds how long a captured delivery can be replayed;
    `ROSSUM_HOOKS_DUPLICATE_WINDOW_S` covers replays inside the window.
    """
    if window_s is None:
        return
    offset = (event.timestamp - now).total_seconds()
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
        self._waiting = _Waiting()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        body_done = not _has_body(scope)
        waiting = self._waiting

        async def bounded_receive() -> Message:
            nonlocal body_done
            if body_done:
                return await receive()
            task = asyncio.current_task()
            assert task is not None
            cancelling = waiting.start(task, deadline, loop)
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


class _Waiting:
    """The tasks waiting in a body `receive`, each with its deadline, and one timer for all.

    A timer per `receive` (what `asyncio.timeout_at` makes) costs more than the rest of the
    middleware, and nearly every body is already there when it is asked for. So a receive
    only notes its task and deadline; one timer, set for the earliest deadline noted, cancels
    every task still waiting past its deadline (as `asyncio.timeout_at` would) and sets itself
    again for the next one.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._deadlines: dict[asyncio.Task[object], float] = {}
        self._expired: set[asyncio.Task[object]] = set()
        self._timer: asyncio.TimerHandle | None = None

    def start(
        self, task: asyncio.Task[object], deadline: float, loop: asyncio.AbstractEventLoop
    ) -> int:
        """Note that `task` waits for body bytes until `deadline`; return its cancel count."""
        if loop is not self._loop:  # a new event loop (tests): nothing noted is of it
            self._loop, self._timer = loop, None
            self._deadlines.clear()
            self._expired.clear()
        self._deadlines[task] = deadline
        timer = self._timer
        if timer is None or deadline < timer.when():
            if timer is not None:
                timer.cancel()
            self._timer = loop.call_at(deadline, self._expire)
        return task.cancelling()

    def stop(self, task: asyncio.Task[object], cancelling: int) -> bool:
        """Forget `task`'s wait; return True if its deadline cancelled it (and nothing else)."""
        self._deadlines.pop(task, None)
        if task not in self._expired:
            return False
        self._expired.discard(task)
        return task.uncancel() <= cancelling

    def _expire(self) -> None:
        assert self._loop is not None
        self._timer = None
        now = self._loop.time()
        for task, deadline in list(self._deadlines.items()):
            if deadline <= now:
                del self._deadlines[task]
                self._expired.add(task)
                task.cancel()
        if self._deadlines:
            self._timer = self._loop.call_at(min(self._deadlines.values()), self._expire)


def _has_body(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0"):
            return True
    return False
