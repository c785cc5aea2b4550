"""Rossum's error bodies and the exception that carries them out of an endpoint.

Every error the sandbox answers is `{"detail": str, "code": str}` (plus `url` for 429), with the
texts of the Labels API reference (seed `000_bc02970507d672fd`). Endpoints raise `ApiError`;
one exception-handler table turns it (and Starlette's own 404/405) into JSON, and anything
unexpected becomes a plain 500 `error` body, never a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

RATE_LIMIT_DOC_URL = "https://rossum.app/api/docs/openapi/guides/overview/#rate-limiting"

# status -> (default detail, code), verbatim from the seed's error examples.
STANDARD_ERRORS: Mapping[int, tuple[str, str]] = {
    400: ("Bad Request.", "bad_request"),
    401: ("Invalid token.", "authentication_failed"),
    403: ("Access to the requested resource is forbidden.", "access_forbidden"),
    404: ("Not found.", "not_found"),
    405: ("Method not allowed.", "method_not_allowed"),
    409: ("Conflict.", "conflict_status"),
    413: ("Payload Too Large.", "payload_too_large"),
    429: ("Request was rate limited.", "rate_limited"),
    500: ("Server error.", "error"),
    502: ("Bad Gateway.", "bad_gateway"),
    503: ("Service Unavailable.", "service_unavailable"),
    504: ("Gateway timeout.", "gateway_timeout"),
}


class ApiError(Exception):
    """An error answer: HTTP status plus Rossum's `{"detail", "code"}` body."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        default_detail, default_code = STANDARD_ERRORS.get(status, ("Error.", "error"))
        self.status = status
        self.detail = detail or default_detail
        self.code = code or default_code
        self.headers = dict(headers or {})
        super().__init__(self.detail)

    def body(self) -> dict[str, Any]:
        """Return the JSON body Rossum sends for this error."""
        body: dict[str, Any] = {"detail": self.detail, "code": self.code}
        if self.status == 429:
            body["url"] = RATE_LIMIT_DOC_URL
        return body

    def response(self) -> JSONResponse:
        """Return the error as a JSON response."""
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def bad_request(detail: str) -> ApiError:
    """Return a 400 `bad_request` error naming what was wrong."""
    return ApiError(400, detail)


def not_found() -> ApiError:
    """Return Rossum's 404 (`"Not found."`, as Django REST framework words it)."""
    return ApiError(404)


def rate_limited(retry_after_s: int) -> ApiError:
    """Return Rossum's 429 with the `Retry-After` header in whole seconds."""
    return ApiError(429, headers={"Retry-After": str(retry_after_s)})


async def api_error_handler(request: Request, exc: Exception) -> Response:
    """Answer an `ApiError` raised by an endpoint."""
    assert isinstance(exc, ApiError)
    return exc.response()


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """Answer Starlette's routing errors (unknown path, wrong method) as Rossum JSON."""
    assert isinstance(exc, HTTPException)
    detail = None
    if exc.status_code == 405:
        detail = f'Method "{request.method}" not allowed.'
    return ApiError(exc.status_code, detail, headers=exc.headers).response()


async def server_error_handler(request: Request, exc: Exception) -> Response:
    """Answer an unexpected failure with a plain 500 body, never a traceback."""
    return ApiError(500).response()


EXCEPTION_HANDLERS = {
    ApiError: api_error_handler,
    HTTPException: http_error_handler,
    Exception: server_error_handler,
}
