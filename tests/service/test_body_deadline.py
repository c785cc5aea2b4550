"""The body deadline: one timer for every waiting `receive`, each cut at its own deadline."""

from __future__ import annotations

import asyncio

import pytest
from starlette.types import Message, Receive, Scope, Send

from service.errors import BodyTimeout
from service.intake import BodyDeadline

SCOPE: Scope = {"type": "http", "headers": [(b"content-length", b"10")]}


async def _app(scope: Scope, receive: Receive, send: Send) -> None:
    message = await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": message.get("body", b"")})


def _receive_after(seconds: float | None) -> Receive:
    async def receive() -> Message:
        if seconds is None:
            await asyncio.Event().wait()  # the rest of the body never comes
        await asyncio.sleep(seconds or 0)
        return {"type": "http.request", "body": b"0123456789", "more_body": False}

    return receive


async def _answer(middleware: BodyDeadline, receive: Receive) -> list[Message]:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    await middleware(dict(SCOPE), receive, send)
    return sent


async def test_each_waiting_body_is_cut_at_its_own_deadline() -> None:
    """A stalled body times out at its deadline; one that started later and arrives after
    that first deadline but before its own is received; one already there is never waited."""
    middleware = BodyDeadline(_app, timeout_s=0.3)
    loop = asyncio.get_running_loop()
    started = loop.time()
    stalled = asyncio.create_task(_answer(middleware, _receive_after(None)))
    await asyncio.sleep(0.15)
    late = asyncio.create_task(_answer(middleware, _receive_after(0.25)))  # deadline 0.45
    ready = await _answer(middleware, _receive_after(0))
    with pytest.raises(BodyTimeout):
        await stalled
    assert 0.29 <= loop.time() - started < 0.4
    assert [m.get("body") for m in await late][1:] == [b"0123456789"]
    assert ready[0]["status"] == 200 and ready[1]["body"] == b"0123456789"


async def test_a_cancelled_receive_stays_a_cancellation() -> None:
    """A delivery cancelled from outside while its body is awaited is cancelled, not a 408;
    after it, a stalled body on the same middleware still times out."""
    middleware = BodyDeadline(_app, timeout_s=5)
    task = asyncio.create_task(_answer(middleware, _receive_after(None)))
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    quick = BodyDeadline(_app, timeout_s=0.05)
    for _ in range(2):  # the timer sets itself again for the next waiting body
        with pytest.raises(BodyTimeout):
            await _answer(quick, _receive_after(None))


def test_a_new_event_loop_starts_from_nothing() -> None:
    """Middleware kept across event loops (one app, several test loops) still times out."""
    middleware = BodyDeadline(_app, timeout_s=0.05)
    for _ in range(2):
        with pytest.raises(BodyTimeout):
            asyncio.run(_answer(middleware, _receive_after(None)))
