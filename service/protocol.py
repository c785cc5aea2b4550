"""HTTP/1.1 connections of `rossum-hooks serve`: uvicorn's h11 protocol, bounded, in JSON.

uvicorn answers what it refuses below the application in plain text (a malformed request, a
request head over h11's size limit), bounds neither the time a client may take to send its
request head nor the number of open connections, and closes a connection with unread input in
a way that resets it, so the client may never read the answer. `HookProtocol`, the `http`
protocol `rossum-hooks serve` gives uvicorn, changes exactly that:

- a request head larger than `MAX_HEAD_BYTES` (many headers, or one huge one) is answered
  431 `headers_too_large`; any other malformed request 400 `bad_request`;
- each request head must be complete within `header_timeout_s` of the connection opening (or
  of the previous answer, on a kept-alive connection): a partly sent head is answered 408
  `header_timeout`, a connection that sent nothing is closed silently (as keep-alive does);
- past `max_connections` open connections, a new one is answered 503 `too_many_connections`
  (with `Retry-After: 1`) and closed; every request is on one connection (HTTP/1.1), so this
  also bounds the requests handled at once;
- an answer's head and body, which uvicorn writes apart, leave in one `send`;
- when a connection is closed with input still unread (after these answers, or after the
  application refused a body it did not read, e.g. 413), it is half-closed and the client's
  remaining input read and discarded for up to `LINGER_S` (at most `LINGER_BYTES`), so that
  the client reads the answer instead of a connection reset.

h11 checks its head limit only while a head is incomplete, so a 100 kB head arriving in one
read would pass it; the limit is therefore counted here on the bytes themselves.

Every answer is `{"detail", "code"}` JSON with `Connection: close`. The time a request's body
may take is the application's concern (`service.intake.BodyDeadline`, 408 `body_timeout`), so
that it is answered and logged like any other refusal. What remains the proxy's job is said
in deploy/README.md: TLS, and cutting off clients by address or rate.
"""

from __future__ import annotations

import asyncio
import functools
import http
import json
import re
from dataclasses import dataclass
from typing import Any, ClassVar, cast

import h11
import structlog
from uvicorn.config import Config
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from service.settings import Settings

log = structlog.get_logger()

MAX_HEAD_BYTES = 16 * 1024  # h11's default limit for a request line plus headers
LINGER_S = 2.0
LINGER_BYTES = 16 << 20
_END_OF_HEAD = re.compile(rb"\n\r?\n")  # what h11 accepts as the blank line ending a head


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """The per-connection bounds `HookProtocol` enforces."""

    header_timeout_s: float = 10.0
    max_connections: int = 200

    @classmethod
    def from_settings(cls, settings: Settings) -> ConnectionLimits:
        """Return the limits of `ROSSUM_HOOKS_HEADER_TIMEOUT_S` and `_MAX_CONNECTIONS`."""
        return cls(
            header_timeout_s=settings.header_timeout_s, max_connections=settings.max_connections
        )


@functools.cache
def _limits_from_env() -> ConnectionLimits:
    # Read once per worker process; `rossum-hooks serve` has checked the settings already.
    return ConnectionLimits.from_settings(Settings())


class _Connection(h11.Connection):
    """An h11 connection that remembers the protocol error it last raised."""

    last_error: h11.RemoteProtocolError | None = None

    def next_event(self) -> Any:
        try:
            return super().next_event()
        except h11.RemoteProtocolError as exc:
            self.last_error = exc
            raise


def error_bytes(
    status: int, code: str, detail: str, headers: tuple[tuple[str, str], ...] = ()
) -> bytes:
    """Return a complete HTTP/1.1 answer `{"detail", "code"}` that closes the connection."""
    body = json.dumps({"detail": detail, "code": code}).encode()
    lines = [
        f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}",
        "content-type: application/json",
        f"content-length: {len(body)}",
        "connection: close",
        *(f"{name}: {value}" for name, value in headers),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


class _ClosingTransport:
    """The transport as uvicorn's request cycle sees it: an answer's writes leave together, and
    `close()` lingers when input is unread.

    uvicorn writes a response's head, then its body, each straight to the socket: two system
    calls per answer. Writes made in one turn of the event loop are held and sent as one at
    its end (or before anything else touches the connection: `HookProtocol._raw_transport`
    sends them first), so an answer normally leaves in one `send`.
    """

    def __init__(self, transport: asyncio.Transport, protocol: HookProtocol) -> None:
        self.raw, self._protocol = transport, protocol
        self._held: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not data:
            return
        if not self._held:
            self._protocol.loop.call_soon(self.send_held)
        self._held.append(bytes(data))

    def send_held(self) -> None:
        """Send what the request cycle wrote and is still held (nothing if the peer left)."""
        if not self._held:
            return
        data = self._held[0] if len(self._held) == 1 else b"".join(self._held)
        self._held.clear()
        if not self.raw.is_closing():
            self.raw.write(data)

    def close(self) -> None:
        self._protocol.close_connection()

    def is_closing(self) -> bool:
        return self._protocol.lingering or self.raw.is_closing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


class HookProtocol(H11Protocol):
    """uvicorn's h11 protocol with JSON refusals, a head deadline and a connection limit.

    `limits` is read from the `ROSSUM_HOOKS_*` settings unless a subclass sets it (tests).
    """

    limits: ClassVar[ConnectionLimits | None] = None

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._h11 = _Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD_BYTES)
        self.conn = self._h11
        self.limit_concurrency = None  # enforced here, per connection, and answered in JSON
        self._limits = type(self).limits or _limits_from_env()
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_bytes = 0
        self._head_tail = b""
        self._cycle_transport: _ClosingTransport | None = None
        self.lingering = False
        self._discarded = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Register the connection; refuse it when too many are open."""
        super().connection_made(transport)
        self._cycle_transport = _ClosingTransport(transport, self)
        self.transport = cast(asyncio.Transport, self._cycle_transport)
        if len(self.connections) > self._limits.max_connections:
            self._refuse(
                503,
                "too_many_connections",
                f"more than {self._limits.max_connections} open connections "
                "(ROSSUM_HOOKS_MAX_CONNECTIONS); retry shortly",
                headers=(("retry-after", "1"),),
            )
            return
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        """Feed h11, or discard the input of a connection that is being closed."""
        if self.lingering:
            self._discarded += len(data)
            if self._discarded > LINGER_BYTES:
                self._raw_transport.close()
            return
        if self.conn.their_state is h11.IDLE and self._head_too_large(data):
            self._refuse(
                431,
                "headers_too_large",
                f"request head larger than {MAX_HEAD_BYTES} bytes (too many or long headers)",
            )
            return
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._cancel_head_timer()

    def on_response_complete(self) -> None:
        """After an answer, the next request head on this connection gets its own deadline."""
        super().on_response_complete()
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection and its timer."""
        self._cancel_head_timer()
        super().connection_lost(exc)

    def shutdown(self) -> None:
        """Close at server shutdown; a connection already being closed just closes."""
        if self.lingering:
            self._raw_transport.close()
            return
        super().shutdown()

    def close_connection(self) -> None:
        """Close now, or linger first when the client may still be sending (see module doc)."""
        raw = self._raw_transport
        if raw.is_closing() or self.lingering:
            raw.close()
        elif self.conn.their_state is h11.SEND_BODY or self.conn.trailing_data[0]:
            self._linger()
        else:
            raw.close()

    @property
    def _raw_transport(self) -> asyncio.Transport:
        """The socket's transport, once the answer bytes held for it are sent (in order)."""
        cycle = self._cycle_transport
        assert cycle is not None, "no connection yet"
        cycle.send_held()
        return cycle.raw

    def _head_too_large(self, data: bytes) -> bool:
        """Count the request head's bytes as they arrive; True once it exceeds the limit."""
        window = self._head_tail + data
        end = _END_OF_HEAD.search(window)
        if end is not None:
            size = self._head_bytes - len(self._head_tail) + end.end()
        else:
            size = self._head_bytes + len(data)
        self._head_bytes += len(data)
        self._head_tail = window[-2:]
        return size > MAX_HEAD_BYTES

    def send_400_response(self, msg: str) -> None:
        """Answer a request h11 could not parse, in JSON (uvicorn's is plain text)."""
        error = self._h11.last_error
        status = error.error_status_hint if error is not None else 400
        if status == 431:
            code = "headers_too_large"
            detail = f"request head larger than {MAX_HEAD_BYTES} bytes (too many or long headers)"
        else:
            status, code = (status if 400 <= status < 500 else 400), "bad_request"
            detail = "malformed HTTP/1.1 request" + (f": {error}" if error else "")
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            # The application is reading this request's body: it sees a disconnect.
            cycle.disconnected = True
            cycle.message_event.set()
            if cycle.response_started:
                self._raw_transport.close()
                return
        self._refuse(status, code, detail)

    def _refuse(
        self, status: int, code: str, detail: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> None:
        log.warning("http.refused", status=status, code=code)
        self._raw_transport.write(error_bytes(status, code, detail, headers))
        self._linger()

    def _linger(self) -> None:
        """Half-close, then read and drop what the client still sends, for a bounded time."""
        self._cancel_head_timer()
        raw = self._raw_transport
        self.lingering = True
        if raw.is_closing():
            return
        if raw.can_write_eof():
            raw.write_eof()
        raw.resume_reading()
        self.loop.call_later(LINGER_S, raw.close)

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_bytes, self._head_tail = 0, b""
        self._head_timer = self.loop.call_later(self._limits.header_timeout_s, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._raw_transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if not self._head_bytes and not self.conn.trailing_data[0]:
            self._raw_transport.close()  # nothing sent: idle, closed as keep-alive would
            return
        self._refuse(
            408,
            "header_timeout",
            f"request head not received within {self._limits.header_timeout_s:g} s "
            "(ROSSUM_HOOKS_HEADER_TIMEOUT_S)",
        )
