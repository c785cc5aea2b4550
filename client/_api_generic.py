"""Generic requests to endpoints the client has no method for (as in the reference SDK)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from client._plans import Call, Listing, query_params


def request(
    base: str, /, method: str, url: str, *, idempotent: bool | None = None, **kwargs: Any
) -> Call[httpx.Response]:
    """Send a request to any endpoint (relative to `base_url`); return the raw answer.

    `kwargs` go to httpx (`params`, `json`, `data`, `files`, `content`, `headers`). Pass
    `idempotent=True` to let a POST be retried like a GET.
    """
    return Call(method.upper(), url, "response", idempotent=idempotent, extra=kwargs)


def request_json(
    base: str, /, method: str, url: str, *, idempotent: bool | None = None, **kwargs: Any
) -> Call[Any]:
    """Send a request to any endpoint; return its decoded JSON (`{}` for no content)."""
    return Call(method.upper(), url, "json", idempotent=idempotent, extra=kwargs)


def request_paginated(
    base: str,
    /,
    url: str,
    ordering: Sequence[str] = (),
    sideloads: Sequence[str] = (),
    content_schema_ids: Sequence[str] = (),
    method: str = "GET",
    max_pages: int | None = None,
    json: Any = None,
    *,
    page_numbers: bool = False,
    **filters: Any,
) -> Listing[Any]:
    """Iterate over the results of any paginated endpoint, as plain dicts.

    Cursors in `pagination.next` are followed verbatim; `page_numbers=True` counts pages
    (`page=1, 2, ...`) instead.
    """
    params = query_params(ordering, sideloads, content_schema_ids, filters)
    return Listing(
        url,
        None,
        params,
        method.upper(),
        json,
        tuple(sideloads),
        page_numbers=page_numbers,
        max_pages=max_pages,
    )
