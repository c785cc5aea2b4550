"""Request helpers shared by the endpoints: state, caller, body and query parsing."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

from starlette.requests import Request

from sandbox.auth import Principal
from sandbox.errors import ApiError, bad_request
from sandbox.urls import Urls

if TYPE_CHECKING:
    from sandbox.state import Sandbox


def sandbox_of(request: Request) -> Sandbox:
    """Return the sandbox serving this request."""
    return cast("Sandbox", request.app.state.sandbox)


def caller(request: Request) -> Principal:
    """Return the authenticated caller (set by the gate middleware)."""
    return cast(Principal, request.state.principal)


def urls_of(request: Request) -> Urls:
    """Return the URL builder for this request's advertised base."""
    return Urls.from_request(request, sandbox_of(request).settings.public_url)


async def read_body(request: Request) -> bytes:
    """Read the body, refusing more than the configured size with 413."""
    limit = sandbox_of(request).settings.max_body_bytes
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413)
        chunks.append(chunk)
    return b"".join(chunks)


async def read_object(request: Request, *, allow_empty: bool = False) -> dict[str, Any]:
    """Read a JSON object body, or raise 400 saying what is wrong with it."""
    body = await read_body(request)
    if not body.strip():
        if allow_empty:
            return {}
        raise bad_request("The request body must be a JSON object.")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"JSON parse error: {exc}.") from None
    if not isinstance(data, dict):
        raise bad_request(f"The request body must be a JSON object, not {type(data).__name__}.")
    return data


def id_filter(request: Request, name: str) -> set[int] | None:
    """Read a comma-separated id filter (`?id=1,2`), or raise 400 on a non-integer."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return {int(part) for part in raw.split(",") if part.strip()}
    except ValueError:
        raise bad_request(f"{name}: expected comma-separated integer ids, got {raw!r}.") from None


def text_filter(request: Request, name: str) -> set[str] | None:
    """Read a comma-separated text filter (`?status=to_review,reviewing`)."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    return {part.strip() for part in raw.split(",") if part.strip()}


def bool_filter(request: Request, name: str) -> bool | None:
    """Read a boolean filter (`true`/`false`), or raise 400."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in {"true", "1"}:
        return True
    if raw.lower() in {"false", "0"}:
        return False
    raise bad_request(f"{name}: expected true or false, got {raw!r}.")
