"""The client's connection pool over a real loopback socket: reuse, bounds and stale
connections, as httpcore's own pool behaves.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from client import AsyncRossumAPIClient, Token
from client._pool import LeanConnectionPool
from tests.client.loopback import listening, read_request

BODY = b'{"ok": true}'
ANSWER = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (
    len(BODY),
    BODY,
)


@dataclass
class Server:
    """A keep-alive HTTP/1.1 server that answers every request with `{"ok": true}` after
    `delay` seconds and counts the connections it accepted and the most open at once.
    """

    port: int = 0
    delay: float = 0.0
    accepted: int = 0
    open_now: int = 0
    most_open: int = 0
    writers: list[asyncio.StreamWriter] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        self.writers.append(writer)
        try:
            while True:
                await read_request(reader)
                await asyncio.sleep(self.delay)
                writer.write(ANSWER)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open_now -= 1
            writer.close()

    async def hang_up_all(self) -> None:
        """Close every connection from the server's side (as a keep-alive timeout does)."""
        for writer in self.writers:
            writer.close()
        self.writers.clear()
        await asyncio.sleep(0.05)


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    async with listening(state.handle) as state.port:
        yield state


def _client(server: Server, in_flight: int) -> AsyncRossumAPIClient:
    base = f"http://127.0.0.1:{server.port}/api/v1"
    return AsyncRossumAPIClient(base, Token("t"), max_in_flight_requests=in_flight, n_retries=0)


async def test_the_client_uses_the_lean_pool(server: Server) -> None:
    async with _client(server, 2) as client:
        assert isinstance(client._http._transport._pool, LeanConnectionPool)


async def test_concurrent_calls_reuse_at_most_in_flight_connections(server: Server) -> None:
    server.delay = 0.01
    async with _client(server, 3) as client:
        for _ in range(3):
            answers = await asyncio.gather(
                *(client.request_json("POST", "labels/apply", json={}) for _ in range(20))
            )
            assert answers == [{"ok": True}] * 20
    assert server.accepted == 3
    assert server.most_open == 3


async def test_connections_the_server_closed_are_not_used_again(server: Server) -> None:
    async with _client(server, 2) as client:
        await asyncio.gather(*(client.request_json("GET", "labels") for _ in range(4)))
        assert server.accepted == 2
        await server.hang_up_all()
        # With no retries a request sent on a dead connection would fail.
        answers = await asyncio.gather(*(client.request_json("GET", "labels") for _ in range(4)))
        assert answers == [{"ok": True}] * 4
        assert server.accepted == 4
        pool = client._http._transport._pool
        assert len(pool.connections) <= 2
        assert all(not connection.is_closed() for connection in pool.connections)


async def test_set_cookie_answers_are_not_kept_or_sent_back(server: Server) -> None:
    global ANSWER
    plain = ANSWER
    ANSWER = plain.replace(b"\r\n\r\n", b"\r\nset-cookie: session=abc; Path=/\r\n\r\n", 1)
    try:
        async with _client(server, 1) as client:
            await client.request_json("GET", "labels")
            request = client._http.build_request("GET", f"http://127.0.0.1:{server.port}/x")
            assert "cookie" not in request.headers
            assert not client._http.cookies
    finally:
        ANSWER = plain
