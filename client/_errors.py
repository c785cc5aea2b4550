"""Errors raised by the Rossum API clients.

Every failure surfaces as one of these; httpx and pydantic exceptions are translated once, at
the boundary, and chained (`raise X(...) from exc`)::

    RossumError
    ├── APIError                  the API answered with an error status
    │   ├── BadRequest            400
    │   ├── AuthenticationError   401 (bad credentials, expired token, login failed)
    │   ├── Forbidden             403
    │   ├── NotFound              404
    │   ├── Conflict              409
    │   ├── PayloadTooLarge       413
    │   ├── RateLimited           429, carries `retry_after` (seconds or None)
    │   └── ServerError           5xx
    ├── TransportError            no usable answer: connection refused, reset, broken stream
    │   └── Timeout               connect/read/write/pool timeout
    │       └── DeadlineExceeded  the client's overall per-call deadline ran out
    ├── InvalidResponse           a 2xx answer whose body is not the JSON we expect
    └── DryRunRefused             a dry-run client was asked for something it cannot fake
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import httpx

from client._retry import ErrorKind


class RossumError(Exception):
    """Root of every error raised by the client."""


class APIError(RossumError):
    """The API answered with an error status; `detail` and `code` come from its JSON body."""

    def __init__(
        self,
        status_code: int | None,
        detail: str,
        code: str | None = None,
        *,
        method: str = "",
        url: str = "",
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status_code = status_code
        self.detail = detail
        self.code = code
        self.method = method
        self.url = url
        self.body = body
        self.headers = dict(headers or {})
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.method} {self.url} -> " if self.method else ""
        code = f" [{self.code}]" if self.code else ""
        return f"{where}{self.status_code}{code}: {self.detail}"


class BadRequest(APIError):
    """400: the API rejected the request data."""


class AuthenticationError(APIError):
    """401: the credentials or token were refused (or cannot be refreshed)."""


class Forbidden(APIError):
    """403: the token's user may not do this."""


class NotFound(APIError):
    """404: no such object."""


class Conflict(APIError):
    """409: the object is in a state that forbids this (e.g. annotation started by someone else)."""


class PayloadTooLarge(APIError):
    """413: the request body is too large."""


class RateLimited(APIError):
    """429: too many requests; `retry_after` is the wait the API asked for, in seconds."""

    def __init__(self, *args: Any, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kwargs)


class ServerError(APIError):
    """5xx: the API failed."""


class TransportError(RossumError):
    """No usable answer arrived: the connection failed or broke."""

    def __init__(self, message: str, *, method: str = "", url: str = "") -> None:
        self.method = method
        self.url = url
        super().__init__(f"{method} {url}: {message}" if method else message)


class Timeout(TransportError):
    """A connect, read, write or pool timeout expired."""


class DeadlineExceeded(Timeout):
    """The overall deadline of the call ran out (retries and waits included)."""


class InvalidResponse(RossumError):
    """A successful answer did not carry the JSON we expected."""


class DryRunRefused(RossumError):
    """A dry-run client refused an unsafe call it cannot answer with a synthetic success."""


STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequest,
    401: AuthenticationError,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: PayloadTooLarge,
    429: RateLimited,
}


def error_class(status_code: int) -> type[APIError]:
    """Return the error class for an HTTP error status."""
    if status_code >= 500:
        return ServerError
    return STATUS_ERRORS.get(status_code, APIError)


def classify(exc: Exception) -> ErrorKind:
    """Tell whether a failed request surely never reached the server, or may have."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return "connect"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):
        return "fatal"
    if isinstance(exc, httpx.TransportError):
        return "transport"
    return "fatal"


def transport_error(exc: Exception, method: str, url: str) -> TransportError:
    """Translate an httpx failure into our error (to be raised `from exc`)."""
    kind = Timeout if isinstance(exc, httpx.TimeoutException) else TransportError
    return kind(f"{type(exc).__name__}: {exc}", method=method, url=url)


def api_error(
    response: httpx.Response, method: str, url: str, retry_after: float | None = None
) -> APIError:
    """Build the typed error of an error answer, with its parsed `{"detail", "code"}`."""
    body: Any = None
    with contextlib.suppress(ValueError):
        body = response.json()
    if isinstance(body, Mapping):
        detail = str(body.get("detail") or response.reason_phrase)
        code = body.get("code")
    else:
        detail = response.text[:200] or response.reason_phrase
        code = None
    status = response.status_code
    headers = {k: v for k, v in response.headers.items() if k.lower() != "set-cookie"}
    kwargs: dict[str, Any] = {"method": method, "url": url, "body": body, "headers": headers}
    if status == 429:
        return RateLimited(status, detail, code, retry_after=retry_after, **kwargs)
    return error_class(status)(status, detail, code, **kwargs)
