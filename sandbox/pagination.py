"""List pagination both ways Rossum does it: page numbers and opaque signed cursors.

Page numbers (API reference, "Pagination"): `?page=N&page_size=M` (default 20, max 100), answer
`{"pagination": {"total", "total_pages", "next", "previous"}, "results"}`.
Cursors (new API docs, Label list): `{"pagination": {"next", "previous"}, "results"}` where the
URLs carry a `cursor` that clients must not build or modify. Ours is a keyset position
(sort values of the boundary object) signed with HMAC-SHA256, so a tampered cursor is a 400 and
pages stay stable while objects are added or deleted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from sandbox.errors import ApiError, bad_request
from sandbox.urls import Urls

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

Page = dict[str, Any]


def int_param(request: Request, name: str, *, default: int, minimum: int = 1) -> int:
    """Read an integer query parameter, or raise 400 naming it."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"{name}: expected an integer, got {raw!r}.") from None
    if value < minimum:
        raise bad_request(f"{name}: must be at least {minimum}, got {value}.")
    return value


def page_size(request: Request, *, strict_max: bool = False, max_size: int = MAX_PAGE_SIZE) -> int:
    """Read `page_size`: capped at `max_size` (100), or a 400 above it when `strict_max`."""
    size = int_param(request, "page_size", default=DEFAULT_PAGE_SIZE)
    if size > max_size and strict_max:
        raise bad_request(f"page_size: must be at most {max_size}, got {size}.")
    return min(size, max_size)


def page_link(request: Request, urls: Urls, **replace: str | int) -> str:
    """Return this request's URL with the given query parameters replaced."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k not in replace]
    params.extend((k, str(v)) for k, v in replace.items())
    return f"{urls.base}{request.url.path}?{urlencode(params)}"


def paginate_pages(
    request: Request,
    items: Sequence[Any],
    urls: Urls,
    *,
    strict_max: bool = False,
    max_size: int = MAX_PAGE_SIZE,
    page: int | None = None,
) -> Page:
    """Slice `items` by `page`/`page_size` and describe the neighbouring pages."""
    size = page_size(request, strict_max=strict_max, max_size=max_size)
    page = page or int_param(request, "page", default=1)
    total_pages = max(1, math.ceil(len(items) / size))
    if page > total_pages:
        raise ApiError(404, "Invalid page.")
    results = list(items[(page - 1) * size : page * size])
    return {
        "pagination": {
            "total": len(items),
            "total_pages": total_pages,
            "next": page_link(request, urls, page=page + 1) if page < total_pages else None,
            "previous": page_link(request, urls, page=page - 1) if page > 1 else None,
        },
        "results": results,
    }


class CursorCodec:
    """Encode and verify opaque cursors under a secret key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, payload: bytes) -> str:
        digest = hmac.new(self._key, payload, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def encode(self, position: list[Any], *, direction: str, ordering: str) -> str:
        """Return a signed cursor for `position` in `ordering`, read forwards or backwards."""
        raw = json.dumps({"p": position, "d": direction, "o": ordering}, separators=(",", ":"))
        payload = base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
        return f"{payload}.{self._mac(payload.encode())}"

    def decode(self, cursor: str, *, ordering: str) -> tuple[list[Any], str]:
        """Return `(position, direction)` of a cursor, or raise 400 if it was tampered with."""
        payload, _, mac = cursor.partition(".")
        if not mac or not hmac.compare_digest(mac, self._mac(payload.encode())):
            raise bad_request("Invalid cursor.")
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (ValueError, binascii.Error):
            raise bad_request("Invalid cursor.") from None
        if data.get("o") != ordering or data.get("d") not in {"n", "p"}:
            raise bad_request("Invalid cursor: it belongs to a different ordering.")
        return list(data["p"]), str(data["d"])


def _window(
    keys: list[list[Any]],
    position: list[Any] | None,
    direction: str,
    *,
    size: int,
    descending: bool,
) -> tuple[int, int]:
    """Return the slice of a page: the first page, or `size` items after/before `position`."""
    if position is None:
        return 0, min(size, len(keys))
    split = sum(1 for k in keys if (k > position if descending else k < position))
    if direction == "p":
        return max(0, split - size), split
    start = split + (1 if split < len(keys) and keys[split] == position else 0)
    return start, min(start + size, len(keys))


def paginate_cursor(
    request: Request,
    items: Sequence[Any],
    urls: Urls,
    *,
    codec: CursorCodec,
    ordering: str,
    key: Callable[[Any], list[Any]],
) -> Page:
    """Return one page of `items` (already sorted by `ordering`) after/before the cursor."""
    keys = [key(item) for item in items]
    cursor = request.query_params.get("cursor")
    position, direction = codec.decode(cursor, ordering=ordering) if cursor else (None, "n")
    start, end = _window(
        keys, position, direction, size=page_size(request), descending=ordering.startswith("-")
    )
    nxt = prev = None
    if start < end < len(keys):
        nxt = codec.encode(keys[end - 1], direction="n", ordering=ordering)
    if 0 < start < len(keys):
        prev = codec.encode(keys[start], direction="p", ordering=ordering)
    return {
        "pagination": {
            "next": page_link(request, urls, cursor=nxt) if nxt else None,
            "previous": page_link(request, urls, cursor=prev) if prev else None,
        },
        "results": list(items[start:end]),
    }
