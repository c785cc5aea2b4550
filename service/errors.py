"""Errors of the service shell and the one table that maps every error to a JSON answer.

ServiceError (status, code, detail)
├── UnsupportedMediaType  415  the body is declared as something other than JSON
├── PayloadTooLarge       413  the body exceeds `MAX_BODY_BYTES`
├── TimestampOutOfWindow  400  the delivery's `timestamp` is outside `TIMESTAMP_WINDOW_S`
├── BodyTimeout           408  the body did not arrive within `BODY_TIMEOUT_S`
├── ClientDisconnected    499  the client closed the connection before its body was read
└── MissingCredentials    400  API work is needed but there is no token and no own credentials

`handlers.errors.HookError` (bad signature 401, bad payload 422, invalid JSON 400) and
Starlette's `HTTPException` (unknown path, wrong method) are answered the same way:
`{"detail": str, "code": str}`. Starlette's `ClientDisconnect` (raised while reading the body of
a request whose client went away) becomes `ClientDisconnected`: logged as what it is, at
warning level on the canonical line, never as a bug. Refusals below the application (request
head too large or malformed, head timeout, connection limit) are answered in the same shape by
`service.protocol`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from handlers.errors import BadPayload, HookError, InvalidSignature
from service.json_answer import JSONAnswer

log = structlog.get_logger()


class ServiceError(Exception):
    """A delivery the service refuses; `status` and `code` are stable, `detail` is for humans."""

    status = 400
    code = "bad_request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class UnsupportedMediaType(ServiceError):
    """The request declares a content type other than JSON."""

    status = 415
    code = "unsupported_media_type"


class PayloadTooLarge(ServiceError):
    """The request body is larger than the configured limit."""

    status = 413
    code = "payload_too_large"


class BodyTimeout(ServiceError):
    """The request body did not arrive in time (a slow or stalled client)."""

    status = 408
    code = "body_timeout"


class ClientDisconnected(ServiceError):
    """The client went away before sending the whole body; nobody reads the answer.

    499 is the status proxies (nginx) log for this; it is what the canonical line shows.
    """

    status = 499
    code = "client_disconnected"


class TimestampOutOfWindow(ServiceError):
    """The delivery is dated too far from now: a replayed capture, or a badly wrong clock."""

    status = 400
    code = "timestamp_out_of_window"


class MissingCredentials(ServiceError):
    """The decision needs the API, but the payload has no token and no credentials are set."""

    status = 400
    code = "missing_credentials"


_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}
# Where a handler leaves the refusal's code for the canonical log line (see service.delivery).
OUTCOME_KEY = "rossum_hooks.outcome"


def _note_outcome(request: Request, code: str) -> None:
    request.scope[OUTCOME_KEY] = code


def error_response(*, status: int, code: str, detail: str) -> JSONResponse:
    """Return the JSON error answer every non-2xx response of the service uses."""
    return JSONAnswer({"detail": detail, "code": code}, status_code=status)


def _service_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    _note_outcome(request, exc.code)
    return error_response(status=exc.status, code=exc.code, detail=exc.detail)


def _hook_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HookError)
    _note_outcome(request, exc.code)
    status = 401 if isinstance(exc, InvalidSignature) else 422
    if isinstance(exc, BadPayload) and exc.code in {"invalid_json", "bad_json"}:
        status = 400
    return error_response(status=status, code=exc.code, detail=exc.detail)


def _client_disconnect(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ClientDisconnect)
    log.info("webhook.client_disconnected", path=request.url.path)
    return _service_error(
        request, ClientDisconnected("the client closed the connection before sending the body")
    )


def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = _HTTP_CODES.get(exc.status_code, "http_error")
    _note_outcome(request, code)
    return JSONResponse(
        {"detail": exc.detail, "code": code}, status_code=exc.status_code, headers=exc.headers
    )


def _unexpected(request: Request, exc: Exception) -> Response:
    # A bug, not bad input: log the type only (a message could quote payload data).
    log.error("webhook.bug", error_type=type(exc).__name__, path=request.url.path)
    return error_response(status=500, code="internal_error", detail="internal error")


EXCEPTION_HANDLERS: Mapping[Any, Any] = {
    ServiceError: _service_error,
    HookError: _hook_error,
    HTTPException: _http_error,
    ClientDisconnect: _client_disconnect,
    Exception: _unexpected,
}
