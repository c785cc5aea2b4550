"""Schema lookups: the standard schema's index built once, a sideloaded one per payload."""

from __future__ import annotations

import copy
from typing import Any

from handlers.invoice_schema import INVOICE_SCHEMA, iter_nodes
from handlers.schema import datapoint_schema
from handlers.testing import build_content_event

SCHEMA_URL = "https://example.rossum.app/api/v1/schemas/223"  # the kit's annotation schema


def _with_currency_label(label: str) -> dict[str, Any]:
    content = copy.deepcopy(INVOICE_SCHEMA)
    for node in iter_nodes(content):
        if node["id"] == "currency":
            node["label"] = label
    return {"schemas": [{"id": 223, "url": SCHEMA_URL, "content": content}]}


def test_each_payload_is_answered_from_its_own_sideloaded_schema() -> None:
    """Lookups never answer one payload from another payload's (or the standard) schema."""
    standard = datapoint_schema(build_content_event(), "currency")
    assert standard is not None and standard["label"] == "Currency"
    for label in ("First", "Second", "First"):
        event = build_content_event(extra=_with_currency_label(label))
        assert datapoint_schema(event, "currency")["label"] == label  # type: ignore[index]
        assert datapoint_schema(event, "currency")["label"] == label  # type: ignore[index]
    assert datapoint_schema(build_content_event(), "currency") == standard
    assert datapoint_schema(build_content_event(), "no_such_field") is None


def test_a_table_column_is_found_under_its_multivalue() -> None:
    """Datapoints nested in a table (multivalue -> tuple -> datapoint) are indexed too."""
    node = datapoint_schema(build_content_event(), "item_amount_total")
    assert node is not None and node["type"] == "number"
