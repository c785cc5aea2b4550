"""The pool's HTTP/1.1 connections (`client._http11`) against scripted answers over real
loopback sockets: every body framing, keep-alive and close, and what malformed answers,
hang-ups and bad request headers raise.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpcore
import httpx
import pytest

from client._http11 import LeanHTTPConnection
from client._pool import async_transport
from tests.client.loopback import listening, read_request


class Scripted:
    """A server that answers each request with the next raw answer of `answers`, read whole
    first (by Content-Length or chunks); None in `answers` hangs up instead of answering.
    """

    def __init__(self) -> None:
        self.port = 0
        self.answers: list[bytes | None] = []
        self.connections = 0
        self.bodies: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while self.answers:
                _, body = await read_request(reader)
                self.bodies.append(body)
                answer = self.answers.pop(0)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def scripted() -> AsyncIterator[Scripted]:
    state = Scripted()
    async with listening(state.handle) as state.port:
        yield state


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    async with httpx.AsyncClient(transport=async_transport(True, limits), timeout=5) as client:
        yield client


def ok(body: bytes, *headers: bytes) -> bytes:
    extra = b"".join(h + b"\r\n" for h in headers)
    return b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n%s\r\n%s" % (len(body), extra, body)


async def test_connections_are_lean_and_kept_alive(
    scripted: Scripted, http: httpx.AsyncClient
) -> None:
    scripted.answers = [ok(b"one"), ok(b"two"), ok(b"three")]
    texts = [(await http.get(f"http://127.0.0.1:{scripted.port}/x")).text for _ in range(3)]
    assert texts == ["one", "two", "three"]
    assert scripted.connections == 1
    pool = http._transport._pool  # type: ignore[attr-defined]
    assert [type(c) for c in pool.connections] == [LeanHTTPConnection]


async def test_chunked_answers_with_extensions_and_trailers_are_read_whole(
    scripted: Scripted, http: httpx.AsyncClient
) -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nx-trailer: yes\r\n\r\n"
    )
    scripted.answers = [chunked, ok(b"after")]
    first = await http.get(f"http://127.0.0.1:{scripted.port}/x")
    second = await http.get(f"http://127.0.0.1:{scripted.port}/x")
    assert (first.text, second.text) == ("hello, world", "after")
    assert scripted.connections == 1  # the whole chunked body was read: kept alive


async def test_close_and_http_1_0_answers_are_not_reused(
    scripted: Scripted, http: httpx.AsyncClient
) -> None:
    scripted.answers = [ok(b"a", b"connection: close"), ok(b"b"), ok(b"c")]
    assert (await http.get(f"http://127.0.0.1:{scripted.port}/x")).text == "a"
    assert (await http.get(f"http://127.0.0.1:{scripted.port}/x")).text == "b"
    assert scripted.connections == 2
    scripted.answers = [b"HTTP/1.0 200 OK\r\n\r\nto the end"]
    answer = await http.get(f"http://127.0.0.1:{scripted.port}/x")
    assert (answer.status_code, answer.text) == (200, "to the end")  # read until closed


async def test_interim_no_body_and_head_answers(
    scripted: Scripted, http: httpx.AsyncClient
) -> None:
    scripted.answers = [
        b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b"real"),
        b"HTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n",  # a HEAD answer: no body follows
        ok(b"last"),
    ]
    url = f"http://127.0.0.1:{scripted.port}/x"
    assert (await http.post(url, content=b"x")).text == "real"
    assert (await http.get(url)).status_code == 204
    assert (await http.head(url)).headers["content-length"] == "10"
    assert (await http.get(url)).text == "last"
    assert scripted.connections == 1


async def test_a_streamed_request_body_is_sent_chunked(
    scripted: Scripted, http: httpx.AsyncClient
) -> None:
    async def parts() -> AsyncIterator[bytes]:
        for part in (b"first ", b"", b"second"):
            yield part

    scripted.answers = [ok(b"got it")]
    answer = await http.post(f"http://127.0.0.1:{scripted.port}/upload", content=parts())
    assert answer.text == "got it"
    assert scripted.bodies == [b"first second"]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        pytest.param(b"HTTP/9 200 OK\r\n\r\n", "status line", id="status-line"),
        pytest.param(b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "header", id="header"),
        pytest.param(b"HTTP/1.1 200 OK\r\ncontent-length: x\r\n\r\n", "Content-Length", id="cl"),
        pytest.param(ok(b"")[:-2] + b"content-length: 5\r\n\r\n", "Content-Length", id="two-cl"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n", "chunk", id="chunk"
        ),
        pytest.param(b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\nshort", "body", id="short"),
        pytest.param(None, "Server disconnected", id="hang-up"),
    ],
)
async def test_malformed_or_cut_answers_are_protocol_errors_and_the_next_call_works(
    scripted: Scripted, http: httpx.AsyncClient, answer: bytes | None, message: str
) -> None:
    scripted.answers = [answer]
    with pytest.raises(httpx.RemoteProtocolError, match=message):
        response = await http.get(f"http://127.0.0.1:{scripted.port}/x")
        if answer is not None and b"short" in answer:
            await response.aread()
    scripted.answers = [ok(b"fine")]  # the broken connection is dropped, a new one made
    assert (await http.get(f"http://127.0.0.1:{scripted.port}/x")).text == "fine"


async def test_line_breaks_in_request_headers_are_refused_before_sending(
    scripted: Scripted,
) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    pool = async_transport(True, limits)._pool  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{scripted.port}/x"
    for headers in ([(b"Host", b"a"), (b"X-Bad", b"v\r\nInjected: 1")], [(b"Ho\nst", b"a")]):
        with pytest.raises(httpcore.LocalProtocolError):
            await pool.handle_async_request(httpcore.Request("GET", url, headers=headers))
    assert scripted.bodies == []  # nothing reached the server
    await pool.aclose()


async def test_https_through_asyncio_tls_keeps_the_connection(scripted: Scripted) -> None:
    """TLS is httpcore's connection set-up on asyncio's streams; the exchange is the same."""
    pem = Path(__file__).parent / "tls" / "localhost.pem"
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(pem)
    trusting = ssl.create_default_context(cafile=str(pem))
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    scripted.answers = [ok(b"secret one"), ok(b"secret two")]
    listener = listening(scripted.handle, tls=server_side)
    async with (
        listener as port,
        httpx.AsyncClient(transport=async_transport(trusting, limits)) as http,
    ):
        first = await http.get(f"https://localhost:{port}/x")
        second = await http.get(f"https://localhost:{port}/x")
        stream = first.extensions["network_stream"]
        assert stream.get_extra_info("ssl_object").version().startswith("TLS")
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            async with httpx.AsyncClient(transport=async_transport(True, limits)) as strict:
                await strict.get(f"https://localhost:{port}/x")  # the system store lacks it
    assert (first.text, second.text) == ("secret one", "secret two")
    assert scripted.connections == 1  # kept alive (the refused handshake never got this far)


async def test_a_new_connection_is_only_for_the_request_it_was_made_for(
    scripted: Scripted, http: httpx.AsyncClient
) -> None:
    origin = httpcore.Origin(b"http", b"127.0.0.1", scripted.port)
    connection = LeanHTTPConnection(origin=origin)
    assert not connection.is_available() and not connection.is_idle()
    scripted.answers = [ok(b"one")]
    request = httpcore.Request(
        "GET", f"http://127.0.0.1:{scripted.port}/x", headers=[(b"Host", b"a")]
    )
    response = await connection.handle_async_request(request)
    assert not connection.is_available()  # busy until its answer is read
    assert b"".join([part async for part in response.stream]) == b"one"  # type: ignore[union-attr]
    assert connection.is_available() and connection.is_idle()
    await connection.aclose()
    assert connection.is_closed() and not connection.is_available()


async def test_a_request_asking_to_close_gets_a_fresh_connection_next(
    scripted: Scripted, http: httpx.AsyncClient
) -> None:
    """`Connection` options are read the same in a request as in an answer (any order)."""
    scripted.answers = [ok(b"a"), ok(b"b")]
    url = f"http://127.0.0.1:{scripted.port}/x"
    assert (await http.get(url, headers={"connection": "keep-alive, close"})).text == "a"
    assert (await http.get(url)).text == "b"
    assert scripted.connections == 2
