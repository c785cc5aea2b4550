"""A stand-in for the Rossum API during a dry-run replay with no API at all.

A dry-run client sends only reads; the one read the service makes is the label list. What an
organisation's labels are is learnt from the recording as it is replayed: labels sideloaded in
payloads (exact URLs; read from the service's own parse of each payload once it is answered,
so the replay reads no body itself) and label names the recorded calls used (placeholder
URLs, learnt before the delivery is replayed, so the
service finds them instead of intending to create them again; which labels an annotation
carries is still read from the payload, so label comparisons are unaffected). Any other read
is answered 404, naming the options that give the replay a real API.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from replay.payload import MAPPING_TYPES, Record

PLACEHOLDER_FIRST_ID = 900_000_001


class OfflineRossum:
    """Answer the label list per organisation origin from what the recording showed."""

    def __init__(self) -> None:
        self._labels: dict[str, dict[str, str]] = {}
        self._ids = itertools.count(PLACEHOLDER_FIRST_ID)

    @property
    def transport(self) -> httpx.MockTransport:
        """Return the httpx transport the in-process service's client uses."""
        return httpx.MockTransport(self._handle)

    def learn_calls(self, record: Record) -> None:
        """Add the label names `record`'s calls used (placeholder URLs where none is known) to
        the organisation each `apply_labels` call names (its annotation's origin).

        Before the delivery is replayed: its own calls' names must be found, not created.
        """
        recorded = record.data.get("calls")
        if not recorded:
            return  # no call recorded (most deliveries): nothing used
        calls = [c for c in _list(recorded) if isinstance(c, MAPPING_TYPES)]
        origin = next((o for c in calls if (o := _applied_origin(c)) is not None), None)
        if origin is None:
            return  # no label applied: nothing used (a label is created only to be applied)
        known = self._labels.setdefault(origin, {})
        for name in called_label_names(calls):
            if name not in known:
                known[name] = f"{origin}/api/v1/labels/{next(self._ids)}"

    def learn_labels(self, origin: str, labels: Mapping[str, str]) -> None:
        """Add labels a payload sideloaded (name -> URL) to the organisation at `origin`."""
        known = self._labels.setdefault(origin, {})
        if known == labels:
            return  # exactly what is known (most deliveries sideload the same labels)
        for name, url in labels.items():
            if known.get(name) == url:
                continue  # already known (most deliveries show the same labels)
            if name not in known or (_tail_id(known[name]) or 0) >= PLACEHOLDER_FIRST_ID:
                known[name] = url  # a real URL beats a placeholder learnt from a call

    def add_label(self, origin: str, *, name: str, url: str) -> None:
        """Make label `name` (at `url`) known to the organisation at `origin`."""
        self._labels.setdefault(origin, {})[name] = url

    def labels(self, origin: str) -> dict[str, str]:
        """Return the label names and URLs known for `origin`."""
        return dict(self._labels.get(origin, {}))

    def _handle(self, request: httpx.Request) -> httpx.Response:
        if request.method == "GET" and request.url.path.rstrip("/").endswith("/labels"):
            origin = f"{request.url.scheme}://{request.url.netloc.decode()}"
            results = [
                {"id": _tail_id(url), "url": url, "name": name}
                for name, url in self._labels.get(origin, {}).items()
            ]
            pagination = {"next": None, "previous": None, "total": len(results)}
            return httpx.Response(200, json={"pagination": pagination, "results": results})
        detail = (
            f"a dry-run replay without a Rossum API cannot answer {request.method} "
            f"{request.url.path}; replay with --api-url or --sandbox"
        )
        return httpx.Response(404, json={"detail": detail, "code": "not_found"})


def called_label_names(calls: Any) -> list[str]:
    """Return the label names used by recorded `apply_labels` / `create_new_label` calls."""
    names: list[str] = []
    for call in _list(calls):
        if not isinstance(call, MAPPING_TYPES):
            continue
        if call.get("call") == "create_new_label" and isinstance(call.get("name"), str):
            names.append(call["name"])
        elif call.get("call") == "apply_labels":
            names += [n for n in (*_list(call.get("add")), *_list(call.get("remove"))) if n]
    return [str(n) for n in names]


def origin_of_url(url: str) -> str | None:
    """Return `scheme://host[:port]` of an http(s) URL, else None."""
    # Parsed once per origin (a recording names few), not once per annotation URL.
    scheme, sep, rest = url.strip().partition("://")
    return _origin(scheme + sep + rest.partition("/")[0])


@functools.lru_cache(maxsize=256)
def _origin(head: str) -> str | None:
    parts = urlsplit(head)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def _applied_origin(call: Mapping[str, Any]) -> str | None:
    annotation = call.get("annotation")
    if call.get("call") != "apply_labels" or not isinstance(annotation, str):
        return None
    return origin_of_url(annotation)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _tail_id(url: str) -> int | None:
    tail = url.rstrip("/").rsplit("/", 1)[-1]
    return int(tail) if tail.isdigit() else None
