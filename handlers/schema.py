"""The schema a rule writes against, and the values a datapoint of it may take.

Rossum sideloads the annotation's schema object when the hook asks for it (`sideload:
["schemas"]`); it then sits under the payload's top-level `schemas` key. Without it the shipped
rules assume Rossum's standard invoice schema (`handlers.invoice_schema`). A rule that writes a
value uses `allowed_value` so it never writes one outside an `enum` datapoint's options.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from handlers.events import AnnotationContentEvent
from handlers.invoice_schema import INVOICE_SCHEMA, iter_nodes


def schema_content(event: AnnotationContentEvent) -> list[dict[str, Any]]:
    """Return the sideloaded schema content of the event's annotation, else the standard one."""
    sideloaded = (event.model_extra or {}).get("schemas")
    if isinstance(sideloaded, list):
        wanted = event.annotation.schema_url
        for schema in sideloaded:
            if not isinstance(schema, Mapping) or not isinstance(schema.get("content"), list):
                continue
            if wanted is None or schema.get("url") in (None, wanted):
                return list(schema["content"])
    return INVOICE_SCHEMA


def datapoint_schema(event: AnnotationContentEvent, schema_id: str) -> Mapping[str, Any] | None:
    """Return the schema node of datapoint `schema_id`, or None if the schema has none."""
    for node in iter_nodes(schema_content(event)):
        if node.get("category") == "datapoint" and node.get("id") == schema_id:
            return node
    return None


def options(node: Mapping[str, Any] | None) -> Sequence[Mapping[str, Any]] | None:
    """Return an `enum` datapoint's options (`{"value", "label"}`), or None for other types."""
    if node is None or node.get("type") != "enum":
        return None
    found = node.get("options")
    return [o for o in found if isinstance(o, Mapping)] if isinstance(found, list) else []


def allowed_value(event: AnnotationContentEvent, schema_id: str, wanted: str) -> str | None:
    """Return what to write for `wanted` into `schema_id`, or None when nothing fits.

    A free datapoint takes `wanted` as is. An `enum` takes the option whose value is `wanted`,
    else the one whose value or label matches it ignoring case and surrounding space (so
    `"EUR"` becomes Rossum's `"eur"`); no match means no write.
    """
    choices = options(datapoint_schema(event, schema_id))
    if choices is None:
        return wanted
    values = [str(o.get("value")) for o in choices if o.get("value") is not None]
    if wanted in values:
        return wanted
    folded = wanted.strip().casefold()
    for option in choices:
        value, label = option.get("value"), option.get("label")
        if value is not None and folded in {str(value).casefold(), str(label or "").casefold()}:
            return str(value)
    return None
