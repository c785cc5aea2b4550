"""One HTTP/1.1 keep-alive connection of the client's pool, without h11's event machinery.

httpcore drives each HTTP/1.1 exchange through h11 (an event per head, body chunk and end,
each validated and traced) under an anyio lock; that is about half of what an API call costs
the service. `LeanHTTPConnection` keeps httpcore's connection set-up (TCP, TLS with ALPN
`http/1.1`, connect retries; `client._network` underneath) and the pool's bookkeeping, and
does the exchange itself: the request head is written in one piece (header names and values
checked for line breaks, as h11 checks them), the answer's head is parsed from one buffer,
and its body read by `Content-Length`, by chunks (`Transfer-Encoding: chunked`), or to the end
of the connection. A connection is kept for the next request only if the answer was read
whole and neither side asked to close; anything malformed is `httpcore.RemoteProtocolError`,
a server that hangs up first is the same "Server disconnected" error httpcore raises, and
timeouts and socket errors stay httpcore's. One request at a time per connection: the pool
hands a connection only to one request until its answer is closed.
"""

# ruff: noqa: ASYNC109 - the timeouts are httpcore's per-operation ones, passed to its streams

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpcore

MAX_HEAD_BYTES = 64 * 1024  # an answer head larger than this is refused
READ_BYTES = 64 * 1024
_NO_BODY_STATUSES = frozenset({204, 304})

NEW, ACTIVE, IDLE, CLOSED = "NEW", "ACTIVE", "IDLE", "CLOSED"


class LeanHTTPConnection(httpcore.AsyncHTTPConnection):
    """An HTTP/1.1 connection to one origin, reused for one request after another."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stream: httpcore.AsyncNetworkStream | None = None
        self._state = NEW
        self._buffer = bytearray()
        self._expire_at: float | None = None
        self._requests = 0

    # ---- the pool's view ---------------------------------------------------------------

    def is_available(self) -> bool:
        # A new connection belongs to the request it was made for (as httpcore's HTTP/1.1).
        return self._state == IDLE

    def is_idle(self) -> bool:
        return self._state == IDLE

    def is_closed(self) -> bool:
        return self._state == CLOSED  # also after a failed connect

    def has_expired(self) -> bool:
        if self._state != IDLE or self._stream is None:
            return self._state == CLOSED
        if self._expire_at is not None and time.monotonic() > self._expire_at:
            return True
        # An idle connection with news is one the server closed (or broke): not reusable.
        return bool(self._buffer) or bool(self._stream.get_extra_info("is_readable"))

    def info(self) -> str:
        return f"{self._origin!s}, HTTP/1.1, {self._state}, Request Count: {self._requests}"

    async def aclose(self) -> None:
        self._state = CLOSED
        stream, self._stream = self._stream, None
        self._buffer.clear()
        if stream is not None:
            await stream.aclose()

    # ---- one exchange ------------------------------------------------------------------

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        if not self.can_handle_request(request.url.origin):
            raise RuntimeError(
                f"Attempted to send request to {request.url.origin} on connection to {self._origin}"
            )
        if self._state not in (NEW, IDLE):
            raise httpcore.ConnectionNotAvailable()
        self._state = ACTIVE
        self._requests += 1
        timeouts = request.extensions.get("timeout", {})
        try:
            if self._stream is None:
                self._stream = await self._connect(request)
            await self._send(request, timeouts.get("write"))
            read_timeout = timeouts.get("read")
            while True:
                status, reason, headers, closing = await self._read_head(read_timeout)
                if not 100 <= status < 200:
                    break  # interim answers (100 Continue) come before the real one
            closing = closing or b"close" in _connection_tokens(request.headers)
            body = self._body(request.method, status, headers, closing, read_timeout)
        except BaseException:
            await self.aclose()
            raise
        return httpcore.Response(
            status,
            headers=headers,
            content=body,
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": reason,
                "network_stream": self._stream,
            },
        )

    async def _send(self, request: httpcore.Request, timeout: float | None) -> None:
        stream = self._stream
        assert stream is not None
        target = request.url.target
        if _illegal(target) or b" " in target:
            raise httpcore.LocalProtocolError("Illegal request target")
        head = [request.method, b" ", target, b" HTTP/1.1\r\n"]
        chunked = False
        for name, value in request.headers:
            if _illegal(name) or _illegal(value) or b":" in name:
                raise httpcore.LocalProtocolError("Illegal header name or value")
            if name.lower() == b"transfer-encoding" and value.lower().strip() == b"chunked":
                chunked = True
            head += (name, b": ", value, b"\r\n")
        head.append(b"\r\n")
        await stream.write(b"".join(head), timeout)
        async for chunk in request.stream:  # type: ignore[union-attr]
            if chunked and chunk:
                chunk = b"%x\r\n%s\r\n" % (len(chunk), chunk)
            await stream.write(chunk, timeout)
        if chunked:
            await stream.write(b"0\r\n\r\n", timeout)

    async def _fill(self, timeout: float | None) -> bool:
        """Read more into the buffer; False at the end of the connection."""
        assert self._stream is not None
        data = await self._stream.read(READ_BYTES, timeout)
        if not data:
            return False
        self._buffer += data
        return True

    async def _read_head(
        self, timeout: float | None
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]], bool]:
        buffer = self._buffer
        while (end := buffer.find(b"\r\n\r\n")) < 0:
            if len(buffer) > MAX_HEAD_BYTES:
                raise httpcore.RemoteProtocolError("answer head too large")
            if not await self._fill(timeout):
                if buffer:
                    raise httpcore.RemoteProtocolError("peer closed in the middle of a head")
                raise httpcore.RemoteProtocolError(
                    "Server disconnected without sending a response."
                )
        lines = bytes(buffer[:end]).split(b"\r\n")
        del buffer[: end + 4]
        version, _, rest = lines[0].partition(b" ")
        code, _, reason = rest.partition(b" ")
        if version not in (b"HTTP/1.1", b"HTTP/1.0") or len(code) != 3 or not code.isdigit():
            raise httpcore.RemoteProtocolError("malformed status line")
        headers: list[tuple[bytes, bytes]] = []
        for line in lines[1:]:
            name, colon, value = line.partition(b":")
            if not colon or not name or name != name.strip() or line[:1] in (b" ", b"\t"):
                raise httpcore.RemoteProtocolError("malformed header line")
            headers.append((name, value.strip(b" \t")))
        tokens = _connection_tokens(headers)
        if version == b"HTTP/1.0":
            closing = b"keep-alive" not in tokens or b"close" in tokens
        else:
            closing = b"close" in tokens
        return int(code), reason, headers, closing

    def _body(
        self,
        method: bytes,
        status: int,
        headers: list[tuple[bytes, bytes]],
        closing: bool,
        timeout: float | None,
    ) -> _Body:
        length: int | None = None
        chunked = False
        for name, value in headers:
            lower = name.lower()
            if lower == b"transfer-encoding":
                chunked = value.lower().split(b",")[-1].strip() == b"chunked"
                if not chunked:
                    raise httpcore.RemoteProtocolError("unsupported transfer encoding")
            elif lower == b"content-length":
                if not value.isdigit() or (length is not None and int(value) != length):
                    raise httpcore.RemoteProtocolError("bad Content-Length")
                length = int(value)
        if method == b"HEAD" or status in _NO_BODY_STATUSES:
            return _Body(self, "none", 0, closing, timeout)
        if chunked:
            return _Body(self, "chunked", 0, closing, timeout)
        if length is not None:
            return _Body(self, "length", length, closing, timeout)
        return _Body(self, "eof", 0, True, timeout)

    async def _finished(self, reusable: bool) -> None:
        """The answer was read whole (`reusable`) or abandoned: keep or close the connection."""
        if self._state != ACTIVE:
            return
        if reusable and not self._buffer:
            self._state = IDLE
            expiry = self._keepalive_expiry
            self._expire_at = None if expiry is None else time.monotonic() + expiry
        else:
            await self.aclose()


def _connection_tokens(headers: list[tuple[bytes, bytes]]) -> set[bytes]:
    """Return the lower-cased options of every `Connection` header (`close`, `keep-alive`)."""
    return {
        token.strip()
        for name, value in headers
        if name.lower() == b"connection"
        for token in value.lower().split(b",")
    }


def _illegal(value: bytes) -> bool:
    return b"\r" in value or b"\n" in value or b"\0" in value


class _Body:
    """The answer's body as httpcore's response stream: read once, then the connection is
    kept or closed.
    """

    __slots__ = ("_closing", "_connection", "_done", "_kind", "_left", "_timeout")

    def __init__(
        self,
        connection: LeanHTTPConnection,
        kind: str,
        length: int,
        closing: bool,
        timeout: float | None,
    ) -> None:
        self._connection, self._kind, self._left = connection, kind, length
        self._closing, self._timeout, self._done = closing, timeout, False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        parts = {"length": self._by_length, "chunked": self._by_chunks, "eof": self._to_end}
        try:
            if self._kind in parts:
                async for chunk in parts[self._kind]():
                    yield chunk
        except BaseException:
            self._done = True
            await self._connection.aclose()
            raise
        self._done = True
        await self._connection._finished(reusable=not self._closing)

    async def aclose(self) -> None:
        if not self._done:
            self._done = True
            await self._connection._finished(reusable=False)

    async def _by_length(self) -> AsyncIterator[bytes]:
        connection, buffer = self._connection, self._connection._buffer
        while self._left:
            if not buffer and not await connection._fill(self._timeout):
                raise httpcore.RemoteProtocolError(
                    "peer closed connection without sending complete message body"
                )
            take = min(self._left, len(buffer))
            chunk = bytes(buffer[:take])
            del buffer[:take]
            self._left -= take
            yield chunk

    async def _by_chunks(self) -> AsyncIterator[bytes]:
        connection, buffer = self._connection, self._connection._buffer
        while True:
            while (end := buffer.find(b"\r\n")) < 0:
                if len(buffer) > MAX_HEAD_BYTES or not await connection._fill(self._timeout):
                    raise httpcore.RemoteProtocolError("malformed chunked body")
            size_text = bytes(buffer[:end]).split(b";", 1)[0].strip()
            del buffer[: end + 2]
            try:
                size = int(size_text, 16)
            except ValueError:
                raise httpcore.RemoteProtocolError("malformed chunk size") from None
            if size == 0:
                while (end := buffer.find(b"\r\n")) != 0:  # trailers, up to the blank line
                    if end > 0:
                        del buffer[: end + 2]
                    elif len(buffer) > MAX_HEAD_BYTES or not await connection._fill(self._timeout):
                        raise httpcore.RemoteProtocolError("malformed chunked body")
                del buffer[:2]
                return
            while len(buffer) < size + 2:
                if not await connection._fill(self._timeout):
                    raise httpcore.RemoteProtocolError("peer closed in the middle of a chunk")
            if buffer[size : size + 2] != b"\r\n":
                raise httpcore.RemoteProtocolError("malformed chunked body")
            chunk = bytes(buffer[:size])
            del buffer[: size + 2]
            yield chunk

    async def _to_end(self) -> AsyncIterator[bytes]:
        connection, buffer = self._connection, self._connection._buffer
        while True:
            if buffer:
                chunk = bytes(buffer)
                buffer.clear()
                yield chunk
            if not await connection._fill(self._timeout):
                return
