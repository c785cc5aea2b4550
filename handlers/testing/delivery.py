"""Turn payloads into deliveries (JSON bytes, signed headers) and play decisions forward."""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from handlers.content import walk
from handlers.decision import Decision
from handlers.events import AnnotationContentEvent, HookEvent
from handlers.invoice_schema import INVOICE_SCHEMA
from handlers.operations import apply_operations
from handlers.signature import signature_headers
from handlers.testing.payloads import build
from handlers.tree import schema_index, with_urls


def payload_of(event: HookEvent) -> dict[str, Any]:
    """Return the event back as a JSON-ready payload (aliases and extras kept)."""
    return event.model_dump(mode="json", by_alias=True)


def encode(payload: Mapping[str, Any] | HookEvent | bytes) -> bytes:
    """Return the payload as the compact JSON bytes Rossum would send (bytes pass through)."""
    if isinstance(payload, bytes):
        return payload
    data = payload_of(payload) if isinstance(payload, HookEvent) else payload
    return json.dumps(data, separators=(",", ":")).encode()


def signed(
    payload: Mapping[str, Any] | HookEvent | bytes, secret: str, *, legacy: bool = False
) -> tuple[dict[str, str], bytes]:
    """Return `(headers, body)` of a delivery signed with `secret`, as Rossum sends it.

    A `bytes` payload is signed as is (e.g. a truncated body, to test refusals).
    """
    body = encode(payload)
    headers = {"Content-Type": "application/json", **signature_headers(body, secret, legacy=legacy)}
    return headers, body


def after(
    event: AnnotationContentEvent,
    decision: Decision,
    *,
    schema: Sequence[Mapping[str, Any]] = INVOICE_SCHEMA,
    **changes: Any,
) -> AnnotationContentEvent:
    """Return the next delivery as Rossum would send it once `decision`'s operations applied.

    Operations apply as in Rossum (`handlers.operations`: values normalised by the `schema`
    the event was built with; one Rossum would refuse raises `InvalidOperation`). Other
    keyword arguments override top-level payload keys (e.g. `action="updated"`).
    """
    payload = payload_of(event)
    tree = payload["annotation"]["content"]
    next_id = itertools.count(max((n["id"] for n in walk(tree)), default=0) + 1)
    annotation_url = payload["annotation"]["url"]
    new_tree = apply_operations(
        tree, decision.operations, schema=schema_index(schema), new_id=lambda: next(next_id)
    )
    payload["annotation"]["content"] = with_urls(new_tree, annotation_url=annotation_url)
    return build({**payload, **changes}, AnnotationContentEvent)
