"""The async client's own httpx plumbing: a connection pool with a linear bookkeeping pass
and an httpx client that keeps no cookies.

httpcore re-plans its pool whenever a request arrives or a response is closed (twice per
request). Its plan asks every idle connection `has_expired()`, which polls the socket (a
`select` system call through anyio's attribute table), and counts all connections once per
idle connection (quadratic; its "surplus idle" test counts every connection, not the idle
ones). With eight keep-alive connections that is ~100 state checks and several system calls
per API call, a third of what httpcore spends on it.

`LeanConnectionPool` plans the same way with one pass: closed connections are dropped, idle
ones above `max_keepalive_connections` closed, and queued requests assigned to an available
connection (or a new one, or one made by closing an idle one), in httpcore's order. An idle
connection is asked `has_expired()` (keep-alive timeout passed, or the server hung up) just
before it is handed out, and all of them at most once every `SWEEP_INTERVAL` seconds, so
stale connections are still closed and never used. Sending, TLS, timeouts and errors stay
httpcore's and httpx's: only the planning method is replaced. Its direct HTTP/1.1 connections
are `client._http11.LeanHTTPConnection`s on `client._network` (asyncio streams, one send per
request) instead of h11 over anyio.
"""

from __future__ import annotations

import time
from typing import Any

import httpcore
import httpx

from client._http11 import LeanHTTPConnection
from client._network import AsyncioBackend

SWEEP_INTERVAL = 1.0  # seconds between checks of every idle connection for expiry


class LeanConnectionPool(httpcore.AsyncConnectionPool):
    """An httpcore pool whose request-to-connection planning is one linear pass."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._swept_at = time.monotonic()

    def _assign_requests_to_connections(self) -> list[httpcore.AsyncConnectionInterface]:
        closing: list[httpcore.AsyncConnectionInterface] = []
        now = time.monotonic()
        sweep = now - self._swept_at >= SWEEP_INTERVAL
        if sweep:
            self._swept_at = now
        kept: list[httpcore.AsyncConnectionInterface] = []
        idle = 0
        for connection in self._connections:
            if connection.is_closed():
                continue
            if connection.is_idle():
                if (sweep and connection.has_expired()) or idle >= self._max_keepalive_connections:
                    closing.append(connection)
                    continue
                idle += 1
            kept.append(connection)
        self._connections = kept

        for pool_request in self._requests:
            if not pool_request.is_queued():
                continue
            origin = pool_request.request.url.origin
            available = self._available(origin, closing)
            if available is not None:
                connection = available
            else:
                if len(self._connections) < self._max_connections:
                    connection = self.create_connection(origin)
                    self._connections.append(connection)
                else:
                    replaced = next((c for c in self._connections if c.is_idle()), None)
                    if replaced is None:
                        continue  # every connection is busy: the request waits its turn
                    self._connections.remove(replaced)
                    closing.append(replaced)
                    connection = self.create_connection(origin)
                    self._connections.append(connection)
            pool_request.assign_to_connection(connection)
        return closing

    def create_connection(self, origin: httpcore.Origin) -> httpcore.AsyncConnectionInterface:
        """A `LeanHTTPConnection` for a direct HTTP/1.1 origin; httpcore's own otherwise
        (proxies, Unix sockets, HTTP/2).
        """
        if self._proxy is not None or self._uds is not None or self._http2 or not self._http1:
            return super().create_connection(origin)
        return LeanHTTPConnection(
            origin=origin,
            ssl_context=self._ssl_context,
            keepalive_expiry=self._keepalive_expiry,
            retries=self._retries,
            local_address=self._local_address,
            network_backend=self._network_backend,
            socket_options=self._socket_options,
        )

    def _available(
        self, origin: httpcore.Origin, closing: list[httpcore.AsyncConnectionInterface]
    ) -> httpcore.AsyncConnectionInterface | None:
        """Return the first connection that can take a request for `origin` now, closing
        the expired ones met on the way.
        """
        for connection in list(self._connections):
            if not (connection.can_handle_request(origin) and connection.is_available()):
                continue
            if connection.is_idle() and connection.has_expired():
                self._connections.remove(connection)
                closing.append(connection)
                continue
            return connection
        return None


def async_transport(verify: Any, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """Return httpx's async transport with its connection pool a `LeanConnectionPool` on the
    asyncio network backend.

    Proxies from the environment are mounted by `httpx.AsyncClient` beside this transport,
    as with the stock one. If httpx ever stops keeping its pool in `_pool`, the stock pool
    is kept (slower, same behaviour).
    """
    transport = httpx.AsyncHTTPTransport(verify=verify, limits=limits)
    stock = getattr(transport, "_pool", None)
    if type(stock) is httpcore.AsyncConnectionPool:
        transport._pool = LeanConnectionPool(
            ssl_context=stock._ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=AsyncioBackend(),
        )
    return transport


class _NoCookies(httpx.Cookies):
    """An always-empty cookie store: answers' `Set-Cookie` headers are not read."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class SessionlessClient(httpx.AsyncClient):
    """`httpx.AsyncClient` without a cookie store.

    The Rossum API authenticates every request by its token, so cookies are never needed;
    httpx would otherwise wrap every answer and its request in `urllib` objects to look for
    them (~8% of the client's CPU per call). Cookies given to it are ignored.
    """

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._no_cookies = _NoCookies()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._no_cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        return None
