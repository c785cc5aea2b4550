"""Dry runs: unsafe requests are recorded and answered with a plausible synthetic success.

Enforced inside the client's send path, so no caller can forget it. Creates echo their body
with a negative fake id and URL, so "create the label if missing, then apply it" still works.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class DryRunCall:
    """An unsafe request a dry-run client did not send."""

    method: str
    url: str
    json: Any = None
    params: Mapping[str, Any] | None = None


def synthetic_answer(
    method: str, path: str, body: Any, prefix: str, fake_id: int
) -> tuple[int, Any]:
    """Return the status and JSON a dry run answers instead of sending an unsafe request."""
    segments = path.split("?", 1)[0].strip("/").split("/")
    echo = dict(body) if isinstance(body, Mapping) else {}
    if method == "DELETE":
        return 204, None
    if method == "POST" and len(segments) == 1:  # a create: echo with a fake id and URL
        return 201, {**echo, "id": fake_id, "url": f"{prefix}{segments[0]}/{fake_id}"}
    if method in ("PUT", "PATCH"):
        last = segments[-1]
        return 200, {**echo, "id": int(last) if last.isdigit() else None, "url": prefix + path}
    return 204, None


@functools.lru_cache(maxsize=256)
def _request(method: str, url: str) -> httpx.Request:
    """Return the request a synthetic answer names (parsed once per URL; only read)."""
    return httpx.Request(method, url)


def synthetic_response(
    method: str, url: str, body: Any, prefix: str, fake_id: int
) -> httpx.Response:
    """Return the synthetic answer as an httpx response."""
    status, payload = synthetic_answer(method, url.removeprefix(prefix), body, prefix, fake_id)
    request = _request(method, url)
    if payload is None:
        return httpx.Response(status, request=request)
    return httpx.Response(status, json=payload, request=request)
