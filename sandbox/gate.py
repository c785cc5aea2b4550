"""The ASGI gate in front of the Rossum API: size limit, faults, rate limit, authentication.

In that order, before any endpoint runs, so an injected or rate-limited failure means the
request was not processed. Sandbox-only endpoints (`/api/v1/sandbox/...`) pass straight through:
they are the test harness, not the API under test.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.auth import Principal, key_from_header
from sandbox.errors import ApiError, rate_limited
from sandbox.urls import API_PREFIX

if TYPE_CHECKING:
    from sandbox.state import Sandbox

log = structlog.get_logger()

SANDBOX_PREFIX = f"{API_PREFIX}/sandbox"
PUBLIC_PATHS = frozenset({f"{API_PREFIX}/auth/login"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A viewer may still end its own session.
VIEWER_WRITES = frozenset({f"{API_PREFIX}/auth/logout"})


class GateMiddleware:
    """Answer errors for requests that must not reach an endpoint."""

    def __init__(self, app: ASGIApp, *, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the request, then pass it on or answer the error."""
        path = scope.get("path", "")
        exempt = not path.startswith(API_PREFIX) or path.startswith(SANDBOX_PREFIX)
        if scope["type"] != "http" or exempt:
            await self.app(scope, receive, send)
            return
        try:
            await self._check(scope, path)
        except ApiError as exc:
            await exc.response()(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _check(self, scope: Scope, path: str) -> None:
        self.sandbox.request_rate.note()
        headers = Headers(scope=scope)
        limit = self.sandbox.settings.max_body_bytes
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            raise ApiError(413)
        draw = self.sandbox.faults.draw()
        if draw.delay_s:
            await self.sandbox.sleep(draw.delay_s)
        if draw.status is not None:
            log.info("sandbox.fault_injected", path=path, status=draw.status)
            headers_out = {}
            if draw.status == 429:
                headers_out["Retry-After"] = str(self.sandbox.faults.config.retry_after_s)
            raise ApiError(draw.status, headers=headers_out)
        retry_after = self.sandbox.limiter.acquire()
        if retry_after is not None:
            self.sandbox.request_rate.rate_limited += 1
            log.info("sandbox.rate_limited", path=path, retry_after_s=retry_after)
            raise rate_limited(retry_after)
        if path in PUBLIC_PATHS:
            return
        principal = self._authenticate(headers)
        writes = scope["method"] not in SAFE_METHODS and path not in VIEWER_WRITES
        if principal.role == "viewer" and writes:
            raise ApiError(403)
        scope.setdefault("state", {})["principal"] = principal

    def _authenticate(self, headers: Headers) -> Principal:
        key = key_from_header(headers.get("authorization"))
        token = self.sandbox.tokens.lookup(key) if key else None
        user = self.sandbox.store.find("users", token.user_id) if token else None
        if token is None or user is None or not user.get("is_active", True):
            raise ApiError(401, headers={"WWW-Authenticate": "Bearer"})
        return Principal(
            user_id=user["id"],
            role=user.get("role", "admin"),
            token=token.key,
            hook_id=token.hook_id,
        )
