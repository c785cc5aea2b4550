"""The standard invoice schema data."""

from __future__ import annotations

from collections import Counter

from handlers.invoice_schema import INVOICE_SCHEMA, datapoint_types, iter_nodes, section_of


def test_schema_ids_are_unique_and_cover_the_rules_fields() -> None:
    """Every schema id is unique and the ids the shipped rules read exist with their types."""
    counts = Counter(node["id"] for node in iter_nodes())
    assert [i for i, n in counts.items() if n > 1] == []
    types = datapoint_types()
    assert types["amount_total"] == "number"
    assert types["item_amount_total"] == "number"
    assert types["date_due"] == "date"
    assert {"order_id", "document_id", "currency", "sender_name"} <= types.keys()


def test_schema_shape_follows_rossum() -> None:
    """Sections sit at the top; `line_items` is a multivalue whose single child is a tuple."""
    assert {node["category"] for node in INVOICE_SCHEMA} == {"section"}
    line_items = next(n for n in iter_nodes() if n["id"] == "line_items")
    assert line_items["category"] == "multivalue"
    assert line_items["children"]["category"] == "tuple"
    assert line_items["children"]["id"] == "line_item"
    assert section_of()["line_items"] == "line_items_section"


def test_choices_are_enums_with_rossums_option_values() -> None:
    """`currency` and `document_type` are enums; currency options are lower-case ISO codes."""
    nodes = {n["id"]: n for n in iter_nodes()}
    currency = nodes["currency"]
    assert currency["type"] == "enum"
    values = [o["value"] for o in currency["options"]]
    assert "eur" in values and "nok" in values
    assert all(v == v.lower() and len(v) == 3 for v in values)
    assert all(o["label"] == o["value"].upper() for o in currency["options"])
    assert nodes["document_type"]["type"] == "enum"
    assert "tax_invoice" in [o["value"] for o in nodes["document_type"]["options"]]
