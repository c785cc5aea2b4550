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
    sideloaded = _sideloaded_content(event)
    return INVOICE_SCHEMA if sideloaded is None else list(sideloaded)


def _sideloaded_content(event: AnnotationContentEvent) -> list[dict[str, Any]] | None:
    """Return the content list of the annotation's sideloaded schema (the payload's own)."""
    sideloaded = (event.model_extra or {}).get("schemas")
    if isinstance(sideloaded, list):
        wanted = event.annotation.schema_url
        for schema in sideloaded:
            if not isinstance(schema, Mapping) or not isinstance(schema.get("content"), list):
                continue
            if wanted is None or schema.get("url") in (None, wanted):
                content: list[dict[str, Any]] = schema["content"]
                return content
    return None


def datapoint_schema(event: AnnotationContentEvent, schema_id: str) -> Mapping[str, Any] | None:
    """Return the schema node of datapoint `schema_id`, or None if the schema has none."""
    return _datapoint_index(_sideloaded_content(event)).get(schema_id)


def _index(content: list[dict[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Return `{schema_id: node}` of a schema's datapoints (the first one depth-first wins)."""
    index: dict[str, Mapping[str, Any]] = {}
    for node in iter_nodes(content):
        key = node.get("id")
        if node.get("category") == "datapoint" and isinstance(key, str):
            index.setdefault(key, node)
    return index


_STANDARD_INDEX = _index(INVOICE_SCHEMA)
# Indexes of sideloaded schemas by the identity of the payload's content list, which each entry
# holds (so the id cannot be reused while the entry lives); rules consult a schema several times
# per delivery. A payload's objects are not changed once parsed.
_SIDELOADED: dict[int, tuple[list[dict[str, Any]], dict[str, Mapping[str, Any]]]] = {}
_SIDELOADED_MAX = 8


def _datapoint_index(content: list[dict[str, Any]] | None) -> dict[str, Mapping[str, Any]]:
    if content is None:
        return _STANDARD_INDEX
    entry = _SIDELOADED.get(id(content))
    if entry is None or entry[0] is not content:
        if len(_SIDELOADED) >= _SIDELOADED_MAX:
            _SIDELOADED.clear()
        entry = _SIDELOADED[id(content)] = (content, _index(content))
    return entry[1]


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
