"""The client's network layer (`client._network`) over real loopback sockets: one send per
request, bounded writes for large bodies, and httpcore's errors and timeouts.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpcore
import httpx
import pytest
import sniffio

from client import AsyncRossumAPIClient, Token
from client._network import COALESCE_BYTES, AsyncioBackend, AsyncioStream
from client._pool import async_transport
from tests.client.loopback import listening, read_request

ANSWER = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"


class Server:
    """Answers `{}` to each request after `delay` seconds; keeps the bodies it received."""

    def __init__(self) -> None:
        self.port = 0
        self.delay = 0.0
        self.bodies: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                _, body = await read_request(reader)
                self.bodies.append(body)
                await asyncio.sleep(self.delay)
                writer.write(ANSWER)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    async with listening(state.handle) as state.port:
        yield state


def _http(timeout: float = 5.0) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=2, max_keepalive_connections=2)
    return httpx.AsyncClient(transport=async_transport(True, limits), timeout=timeout)


async def test_the_client_connects_through_the_asyncio_backend(server: Server) -> None:
    client = AsyncRossumAPIClient(f"http://127.0.0.1:{server.port}/api/v1", Token("t"))
    async with client:
        assert await client.request_json("POST", "labels/apply", json={}) == {}
        pool = client._http._transport._pool
        assert isinstance(pool._network_backend, AsyncioBackend)
        assert pool.connections
        assert all(isinstance(c._stream, AsyncioStream) for c in pool.connections)


async def test_a_request_head_and_body_leave_in_one_send(server: Server) -> None:
    stream = await AsyncioBackend().connect_tcp("127.0.0.1", server.port)
    assert isinstance(stream, AsyncioStream)
    sent: list[bytes] = []
    write = stream._writer.write
    stream._writer.write = lambda data: (sent.append(bytes(data)), write(data))[1]  # type: ignore[method-assign]
    await stream.write(b"POST /x HTTP/1.1\r\nhost: a\r\ncontent-length: 3\r\n\r\n")
    await stream.write(b"abc")
    assert sent == []  # held until the connection reads
    answer = await stream.read(65536)
    assert len(sent) == 1 and sent[0].endswith(b"\r\n\r\nabc")
    assert answer == ANSWER
    assert server.bodies == [b"abc"]
    await stream.aclose()


async def test_a_large_body_is_sent_whole_in_bounded_writes(server: Server) -> None:
    body = bytes(range(256)) * (5 * COALESCE_BYTES // 256)
    async with _http() as http:

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(body), 16 * 1024):
                yield body[start : start + 16 * 1024]

        response = await http.post(
            f"http://127.0.0.1:{server.port}/x",
            content=chunks(),
            headers={"content-length": str(len(body))},
        )
        again = await http.post(f"http://127.0.0.1:{server.port}/x", content=b"small")
    assert (response.status_code, again.status_code) == (200, 200)
    assert server.bodies == [body, b"small"]


async def test_a_slow_server_is_a_read_timeout(server: Server) -> None:
    server.delay = 1.0
    async with _http(timeout=0.1) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get(f"http://127.0.0.1:{server.port}/x")


async def test_a_closed_port_is_a_connect_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections are refused
        async with _http() as http:
            with pytest.raises(httpx.ConnectError):
                await http.get(f"http://127.0.0.1:{port}/x")


async def test_other_event_loops_get_httpcore_own_backend() -> None:
    backend = AsyncioBackend()
    assert backend._elsewhere() is None
    token = sniffio.current_async_library_cvar.set("trio")
    try:
        assert isinstance(backend._elsewhere(), httpcore.AnyIOBackend)
    finally:
        sniffio.current_async_library_cvar.reset(token)
