"""`POST /auth/login` (JSON or form-encoded), `POST /auth/logout` and `GET /auth/user` (the
user the token belongs to)."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox import serialize
from sandbox.auth import MAX_TOKEN_LIFETIME_S
from sandbox.errors import ApiError, bad_request
from sandbox.http import caller, read_body, sandbox_of, urls_of
from sandbox.store import now_iso


async def _credentials(request: Request) -> dict[str, str]:
    body = await read_body(request)
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        try:
            form = parse_qs(body.decode(), keep_blank_values=True, strict_parsing=bool(body))
        except (UnicodeDecodeError, ValueError):
            raise bad_request("The form body could not be parsed.") from None
        return {key: values[-1] for key, values in form.items()}
    if media not in {"application/json", ""}:
        raise ApiError(
            415, f'Unsupported media type "{media}" in request.', code="unsupported_media_type"
        )
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise bad_request("JSON parse error.") from None
    if not isinstance(data, dict):
        raise bad_request("The request body must be a JSON object.")
    return {key: str(value) for key, value in data.items() if isinstance(value, str | int)}


def _lifetime(raw: object) -> int:
    if raw is None or raw == "":
        return MAX_TOKEN_LIFETIME_S
    try:
        value = int(str(raw))
    except ValueError:
        raise bad_request(f"max_token_lifetime_s: expected an integer, got {raw!r}.") from None
    if not 1 <= value <= MAX_TOKEN_LIFETIME_S:
        raise bad_request(f"max_token_lifetime_s: must be between 1 and {MAX_TOKEN_LIFETIME_S}.")
    return value


async def login(request: Request) -> Response:
    """Exchange username and password for an API token."""
    sandbox = sandbox_of(request)
    data = await _credentials(request)
    username, password = data.get("username"), data.get("password")
    missing = [
        name for name, value in (("username", username), ("password", password)) if not value
    ]
    if missing:
        raise bad_request(f"{', '.join(missing)}: this field is required.")
    lifetime = _lifetime(data.get("max_token_lifetime_s"))
    user = next(
        (u for u in sandbox.store.values("users") if u["username"] == username),
        None,
    )
    if user is None or user["password"] != password or not user.get("is_active", True):
        raise ApiError(401, "Unable to log in with provided credentials.")
    token = sandbox.tokens.issue(user_id=user["id"], lifetime_s=lifetime)
    user["last_login"] = now_iso()
    domain = urlsplit(urls_of(request).base).hostname or "localhost"
    return JSONResponse({"key": token.key, "domain": domain})


async def logout(request: Request) -> Response:
    """Revoke the token used for this request."""
    sandbox_of(request).tokens.revoke(caller(request).token)
    return JSONResponse({"detail": "Successfully logged out."})


async def current_user(request: Request) -> Response:
    """Return the user object of the caller."""
    sandbox = sandbox_of(request)
    user = sandbox.store.get("users", caller(request).user_id)
    return JSONResponse(serialize.user(sandbox.store, user, urls_of(request)))


routes = [
    Route("/auth/user", current_user, methods=["GET"]),
    Route("/auth/login", login, methods=["POST"]),
    Route("/auth/logout", logout, methods=["POST"]),
]
