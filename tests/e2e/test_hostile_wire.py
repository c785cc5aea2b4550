"""Hostile clients over real loopback: uvicorn with the service's protocol (`HookProtocol`).

Raw sockets send what no HTTP library would: 10,000 headers, a 200 kB header, a head or a
body that never finishes, hundreds of such connections at once (slowloris), more connections
than allowed, a body far over the limit that keeps coming after the refusal. Every answer is
`{"detail", "code"}` JSON, and every connection ends within its deadline. The last test runs
`rossum-hooks serve` itself with the limits given as flags.
"""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
import structlog
import uvicorn

from handlers.signature import SIGNATURE_HEADER
from handlers.testing import signed
from service.app import create_app
from service.protocol import ConnectionLimits, HookProtocol
from tests.e2e.service_process import running_service
from tests.service.conftest import settings
from tests.service.kit import SECRET, content_event

pytestmark = pytest.mark.e2e

TIMEOUT_S = 0.5  # head and body deadlines in these tests
HEAD = b"POST /hooks HTTP/1.1\r\nhost: hooks.test\r\ncontent-type: application/json\r\n"
HEALTH = b"GET /healthz HTTP/1.1\r\nhost: hooks.test\r\nconnection: close\r\n\r\n"


@dataclass
class Answer:
    """What came back on one connection before it closed."""

    status: int | None
    headers: dict[str, str]
    body: Any
    seconds: float

    @classmethod
    def parse(cls, raw: bytes, seconds: float) -> Answer:
        if not raw:
            return cls(None, {}, None, seconds)
        head, _, body = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(": ", 1) for line in lines[1:])
        return cls(int(lines[0].split()[1]), headers, json.loads(body) if body else None, seconds)

    def refusal(self) -> tuple[int | None, str | None]:
        """Return (status, code), checking the body is exactly `{"detail", "code"}`."""
        assert isinstance(self.body, dict) and set(self.body) == {"detail", "code"}, self.body
        assert self.headers["content-type"] == "application/json"
        return self.status, self.body["code"]


@asynccontextmanager
async def hardened(
    *,
    max_connections: int = 1000,
    header_timeout_s: float = TIMEOUT_S,
    base: type[HookProtocol] = HookProtocol,
    **overrides: Any,
) -> AsyncIterator[tuple[int, list[dict[str, Any]]]]:
    """Serve the service on loopback with `HookProtocol`; yield its port and captured logs."""
    limits = ConnectionLimits(header_timeout_s=header_timeout_s, max_connections=max_connections)
    protocol = type("TestProtocol", (base,), {"limits": limits})
    app = create_app(settings(body_timeout_s=TIMEOUT_S, **overrides))
    config = uvicorn.Config(
        app, http=protocol, lifespan="on", log_config=None, log_level="error", access_log=False
    )
    server = uvicorn.Server(config)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    with structlog.testing.capture_logs() as logs:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        try:
            while not server.started:
                assert not task.done(), "server did not start"
                await asyncio.sleep(0.01)
            yield sock.getsockname()[1], logs
        finally:
            server.should_exit = True
            await task
            sock.close()


async def exchange(port: int, *parts: bytes, pause_s: float = 0.0, read_s: float = 10.0) -> Answer:
    """Send `parts` on a fresh connection and read until the server closes it."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for part in parts:
            writer.write(part)
            await writer.drain()
            await asyncio.sleep(pause_s)
        raw = await asyncio.wait_for(reader.read(), read_s)
    finally:
        writer.close()
    return Answer.parse(raw, time.perf_counter() - started)


def _bugs(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in logs if line.get("log_level") == "error"]


class _CountingProtocol(HookProtocol):
    """Counts the writes that reach each connection's socket transport."""

    writes: ClassVar[list[bytes]] = []

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        write = transport.write

        def counted(data: bytes | bytearray | memoryview) -> None:
            _CountingProtocol.writes.append(bytes(data))
            write(data)

        transport.write = counted  # type: ignore[method-assign]
        super().connection_made(transport)


async def test_each_answer_leaves_in_one_send_in_order() -> None:
    """uvicorn writes an answer's head and body apart; they reach the socket as one write."""
    _CountingProtocol.writes.clear()
    get = b"GET /healthz HTTP/1.1\r\nhost: hooks.test\r\n\r\n"
    async with hardened(base=_CountingProtocol) as (port, _):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        answers = []
        for _ in range(3):  # kept alive: one answer after another on one connection
            writer.write(get)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            answers.append(head + await reader.readexactly(length))
        writer.write(b"GARBAGE\r\n\r\n")  # then a refusal, written by the protocol itself
        refusal = await asyncio.wait_for(reader.read(), 5)
        writer.close()
    assert _CountingProtocol.writes == [*answers, refusal]
    assert all(a.startswith(b"HTTP/1.1 200") and a.endswith(b'"ok"}') for a in answers)
    assert Answer.parse(refusal, 0).refusal() == (400, "bad_request")


async def test_ten_thousand_headers_and_a_200_kb_header_get_431_json() -> None:
    """Too many or too long headers, sent at once or in pieces: 431 `headers_too_large`."""
    many = HEAD + b"".join(b"x-h%d: v\r\n" % n for n in range(10_000)) + b"\r\n"
    huge = HEAD + b"x-big: " + b"a" * 200_000 + b"\r\n\r\n"
    async with hardened() as (port, logs):
        answers = [
            await exchange(port, many),
            await exchange(port, huge),
            await exchange(port, *(huge[n : n + 4096] for n in range(0, len(huge), 4096))),
        ]
    assert [a.refusal() for a in answers] == [(431, "headers_too_large")] * 3
    assert all(a.headers["connection"] == "close" for a in answers)
    assert not _bugs(logs)


async def test_a_malformed_request_gets_400_json() -> None:
    """A request line h11 cannot parse is answered 400 `bad_request` in JSON."""
    async with hardened() as (port, _):
        garbage = await exchange(port, b"GARBAGE\r\n\r\n")
        bad_header = await exchange(port, HEAD + b"no colon here\r\n\r\n")
    assert garbage.refusal() == (400, "bad_request")
    assert bad_header.refusal() == (400, "bad_request")


async def test_heads_and_bodies_that_never_finish_are_answered_408_in_time() -> None:
    """A partial head: 408 `header_timeout`; a body 1000 bytes short: 408 `body_timeout`;
    a connection that sends nothing is closed. Each within its deadline."""
    _, body = signed(content_event(), SECRET)
    short = HEAD + f"content-length: {len(body) + 1000}\r\n\r\n".encode() + body
    async with hardened() as (port, logs):
        head, short_body, idle = await asyncio.gather(
            exchange(port, HEAD), exchange(port, short), exchange(port)
        )
    assert head.refusal() == (408, "header_timeout")
    assert short_body.refusal() == (408, "body_timeout")
    assert (idle.status, idle.body) == (None, None)
    for answer in (head, short_body, idle):
        assert TIMEOUT_S * 0.9 < answer.seconds < TIMEOUT_S + 2
    assert not _bugs(logs)


async def test_the_next_head_on_a_kept_alive_connection_has_its_own_deadline() -> None:
    """After an answer, a second request head left unfinished is answered 408."""
    async with hardened() as (port, _):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n" + HEAD)
        raw = await asyncio.wait_for(reader.read(), 10)
        writer.close()
    first, _, second = raw.partition(b'{"status":"ok"}')
    assert first.startswith(b"HTTP/1.1 200 ")
    assert Answer.parse(second, 0).refusal() == (408, "header_timeout")


async def test_slowloris_connections_are_all_answered_and_closed() -> None:
    """300 connections holding half-sent heads and bodies: all get 408 and close in time, and
    the service keeps answering meanwhile."""
    _, body = signed(content_event(), SECRET)
    half_body = HEAD + f"content-length: {len(body)}\r\n\r\n".encode() + body[: len(body) // 2]
    half_head = HEAD[:30]
    async with hardened() as (port, logs):
        started = time.perf_counter()
        held = [exchange(port, half_head if n % 2 else half_body) for n in range(300)]
        results = asyncio.gather(*held)
        await asyncio.sleep(0.1)
        health = await exchange(
            port, b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
        )
        answers = await results
        elapsed = time.perf_counter() - started
    assert health.status == 200
    codes = sorted({a.refusal() for a in answers})
    assert codes == [(408, "body_timeout"), (408, "header_timeout")]
    assert elapsed < TIMEOUT_S + 5, f"300 slow connections took {elapsed:.1f} s to close"
    assert not _bugs(logs)


async def test_connections_past_the_limit_get_503_json_until_one_closes() -> None:
    """With 4 connections allowed and 4 held, the fifth is answered 503 at once."""
    # Held connections send nothing: a long head deadline keeps them open meanwhile.
    async with hardened(max_connections=4, header_timeout_s=10) as (port, _):
        holders = [await asyncio.open_connection("127.0.0.1", port) for _ in range(4)]
        await asyncio.sleep(0.05)
        refused = await exchange(port, b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        for _, writer in holders:
            writer.close()
        await asyncio.sleep(0.1)
        later = await exchange(
            port, b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
        )
    assert refused.refusal() == (503, "too_many_connections")
    assert refused.headers["retry-after"] == "1" and refused.seconds < 3
    assert later.status == 200


async def test_a_client_still_sending_a_huge_body_reads_the_413() -> None:
    """A 3 MB body over a 1 kB limit: the client, still writing, gets the JSON 413, no reset."""
    chunks = [b"a" * 100_000] * 30
    async with hardened(max_body_bytes=1000) as (port, _):
        declared = await exchange(port, HEAD + b"content-length: 3000000\r\n\r\n", *chunks)
        streamed = await exchange(
            port,
            HEAD + b"transfer-encoding: chunked\r\n\r\n",
            *(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks),
        )
    assert declared.refusal() == (413, "payload_too_large")
    assert streamed.refusal() == (413, "payload_too_large")


async def test_disconnect_mid_body_and_non_ascii_signatures_over_the_wire() -> None:
    """A client gone mid-body is a warning (499), and a non-ASCII signature a 401: no bug."""
    _, body = signed(content_event(), SECRET)
    head = HEAD + f"content-length: {len(body)}\r\n".encode()
    async with hardened() as (port, logs):
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(head + b"\r\n" + body[:200])
        await writer.drain()
        await asyncio.sleep(0.1)
        writer.close()
        signature = f"{SIGNATURE_HEADER}: sha256=".encode() + b"\xff\xfe" * 32 + b"\r\n"
        forged = await exchange(port, head + signature + b"\r\n" + body)
        await asyncio.sleep(0.2)
    assert forged.refusal() == (401, "invalid_signature")
    handled = [
        (line["status"], line["outcome"]) for line in logs if line["event"] == "webhook.handled"
    ]
    assert (499, "client_disconnected") in handled
    assert not _bugs(logs)


@pytest.fixture
def limited_service() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`rossum-hooks serve` with its limits given on the command line."""
    env = {
        "ROSSUM_HOOKS_WEBHOOK_SECRET": SECRET,
        "ROSSUM_HOOKS_ALLOWED_BASE_URLS": "https://*.rossum.app",
    }
    flags = ["--header-timeout", "10", "--body-timeout", "0.5", "--max-connections", "3"]
    with running_service(env, flags) as running:
        yield running


async def test_serve_applies_the_limits_it_is_given(
    limited_service: tuple[str, subprocess.Popen[bytes]],
) -> None:
    """The real command: 431 JSON, 408 on a stalled body, 503 past `--max-connections`."""
    url, _ = limited_service
    port = int(url.rsplit(":", 1)[1])
    huge = await exchange(port, HEAD + b"x-big: " + b"a" * 200_000 + b"\r\n\r\n")
    stalled = await exchange(port, HEAD + b"content-length: 100\r\n\r\n{")
    holders = [await asyncio.open_connection("127.0.0.1", port) for _ in range(3)]
    await asyncio.sleep(0.1)
    refused = await exchange(port, b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
    for _, writer in holders:
        writer.close()
    assert huge.refusal() == (431, "headers_too_large")
    assert stalled.refusal() == (408, "body_timeout") and stalled.seconds < 3
    assert refused.refusal() == (503, "too_many_connections")
