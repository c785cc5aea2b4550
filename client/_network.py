"""httpcore's network layer on asyncio's own streams, with a request's writes sent together.

httpcore reaches the socket through anyio by default: every read and write enters an anyio
cancel scope and a stream wrapper over asyncio's transport, and a request goes out in two
system calls, its head and then its body. `AsyncioBackend` opens connections with
`asyncio.open_connection` and its streams talk to asyncio's reader and writer directly.
Writes are held until the connection next reads (or until `COALESCE_BYTES` are waiting), so
the head and body of a request leave in one `send`; a large upload is still written in
bounded pieces, each drained before the next. Timeouts and errors map to httpcore's
exceptions as anyio's backend maps them, so httpx raises the same `httpx` errors.

Under another event loop (trio) connections go through httpcore's own backend.
"""

# ruff: noqa: ASYNC109 - httpcore's stream and backend interface takes `timeout` arguments

from __future__ import annotations

import asyncio
import select
import ssl
from collections.abc import Iterable
from typing import Any

import httpcore
import sniffio
from httpcore._backends.base import SOCKET_OPTION as SocketOption

COALESCE_BYTES = 64 * 1024  # writes held for one send up to this size; beyond, sent and drained


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection: asyncio's reader and writer, writes sent together before a read."""

    __slots__ = ("_held", "_held_bytes", "_reader", "_writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader, self._writer = reader, writer
        self._held: list[bytes] = []
        self._held_bytes = 0

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._held:
            try:
                self._send_held()
            except OSError as exc:
                raise httpcore.WriteError(str(exc) or type(exc).__name__) from exc
        try:
            async with asyncio.timeout(timeout):  # None: no limit
                return await self._reader.read(max_bytes)
        except TimeoutError as exc:
            raise httpcore.ReadTimeout("timed out reading from the server") from exc
        except OSError as exc:
            raise httpcore.ReadError(str(exc) or type(exc).__name__) from exc

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        self._held.append(buffer)
        self._held_bytes += len(buffer)
        if self._held_bytes < COALESCE_BYTES:
            return
        try:
            self._send_held()
            async with asyncio.timeout(timeout):
                await self._writer.drain()
        except TimeoutError as exc:
            raise httpcore.WriteTimeout("timed out writing to the server") from exc
        except OSError as exc:
            raise httpcore.WriteError(str(exc) or type(exc).__name__) from exc

    def _send_held(self) -> None:
        data = self._held[0] if len(self._held) == 1 else b"".join(self._held)
        self._held.clear()
        self._held_bytes = 0
        if self._writer.is_closing():
            raise ConnectionResetError("the connection is closed")
        self._writer.write(data)

    async def aclose(self) -> None:
        self._held.clear()
        self._writer.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError as exc:
            await self.aclose()
            raise httpcore.ConnectTimeout("timed out in the TLS handshake") from exc
        except (OSError, ssl.SSLError) as exc:
            await self.aclose()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return self

    def get_extra_info(self, info: str) -> Any:
        writer = self._writer
        if info == "ssl_object":
            return writer.get_extra_info("ssl_object")
        if info == "client_addr":
            return writer.get_extra_info("sockname")
        if info == "server_addr":
            return writer.get_extra_info("peername")
        if info == "socket":
            return writer.get_extra_info("socket")
        if info == "is_readable":
            return self._is_readable()
        return None

    def _is_readable(self) -> bool:
        """Tell whether an idle connection has news: the server hung up or sent data.

        The event loop reads the socket as soon as data or end-of-file arrive, so the
        reader's state is asked first; the socket itself for what the loop has not read yet.
        """
        if (
            self._reader.at_eof()
            or self._writer.is_closing()
            or len(getattr(self._reader, "_buffer", b"")) > 0
        ):
            return True
        sock = self._writer.get_extra_info("socket")
        if sock is None or sock.fileno() < 0:
            return True
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable)


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend on asyncio streams (httpcore's anyio one under trio)."""

    def __init__(self) -> None:
        self._other: httpcore.AsyncNetworkBackend | None = None

    def _elsewhere(self) -> httpcore.AsyncNetworkBackend | None:
        if sniffio.current_async_library() == "asyncio":
            return None
        if self._other is None:
            self._other = httpcore.AnyIOBackend()
        return self._other

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        other = self._elsewhere()
        if other is not None:
            return await other.connect_tcp(host, port, timeout, local_address, socket_options)
        local = None if local_address is None else (local_address, 0)
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(host, port, local_addr=local)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"timed out connecting to {host}:{port}") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        sock = writer.get_extra_info("socket")
        for option in socket_options or ():  # asyncio sets TCP_NODELAY itself
            sock.setsockopt(*option)
        return AsyncioStream(reader, writer)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        other = self._elsewhere()
        if other is not None:
            return await other.connect_unix_socket(path, timeout, socket_options)
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_unix_connection(path)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"timed out connecting to {path}") from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        return AsyncioStream(reader, writer)

    async def sleep(self, seconds: float) -> None:
        other = self._elsewhere()
        if other is not None:
            await other.sleep(seconds)
        else:
            await asyncio.sleep(seconds)
