"""Request intake: the checks made on a delivery before any rule runs."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request

from handlers.events import HookEvent
from service.errors import PayloadTooLarge, TimestampOutOfWindow, UnsupportedMediaType


def check_content_type(request: Request) -> None:
    """Refuse a body declared as anything but JSON; a missing header is tolerated."""
    declared = request.headers.get("content-type")
    if declared is None:
        return  # Rossum does not document its headers; the JSON parse decides.
    media_type = declared.partition(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(
            f"content type {media_type or declared!r} is not supported; send application/json"
        )


async def read_body(request: Request, *, limit: int) -> bytes:
    """Read the raw body, refusing it as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(_too_large(limit))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(_too_large(limit))
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> str:
    return f"body larger than {limit} bytes (ROSSUM_HOOKS_MAX_BODY_BYTES)"


def check_timestamp(event: HookEvent, *, window_s: float | None, now: datetime) -> None:
    """Refuse a delivery dated more than `window_s` seconds from `now` (None: no check).

    Rossum signs no timestamp, so this bounds how long a captured delivery can be replayed;
    `ROSSUM_HOOKS_DUPLICATE_WINDOW_S` covers replays inside the window.
    """
    if window_s is None:
        return
    offset = (event.timestamp - now).total_seconds()
    if abs(offset) > window_s:
        side = "after" if offset > 0 else "before"
        raise TimestampOutOfWindow(
            f"delivery timestamp {event.timestamp.isoformat()} is {abs(offset):.0f} s {side} "
            f"the service's clock; accepted within {window_s:g} s either side "
            "(ROSSUM_HOOKS_TIMESTAMP_WINDOW_S)"
        )
