"""The sandbox's own content model where the kit has no counterpart: schema formats and trees.

`tests/test_sandbox_agrees_with_handlers.py` compares the shared ground; this covers what only
the sandbox knows: a number's decimal mark and a date's order taken from the schema `format`,
and trees as extraction leaves them.
"""

from __future__ import annotations

import itertools

import pytest

from sandbox.content_tree import Schema, extracted_tree, locate, served, walk
from sandbox.invoice_schema import invoice_schema
from sandbox.normalize import normalized_value


@pytest.mark.parametrize(
    ("number_format", "value", "expected"),
    [
        ("# ##0.#", "1.234", "1.234"),
        ("# ##0.#", "1,234", "1234"),
        ("#,##0.#", "1,234", "1234"),
        ("#.##0,#", "1.234", "1234"),
        ("#.##0,#", "1,234", "1.234"),
        ("#.##0,#", "1.234,5", "1234.5"),
        ("# ##0,#", "12 500,75", "12500.75"),
        ("#'##0.#", "12'500.75", "12500.75"),
        ("#,##0", "1,234", "1234"),
        ("#.##0", "1.234", "1234"),
        ("#,##0", "12,5", "12.5"),
        (None, "1.234", "1.234"),
    ],
)
def test_the_schema_format_decides_an_ambiguous_separator(
    number_format: str | None, value: str, expected: str
) -> None:
    """`1,234` / `1.234` read by the format's decimal mark; unambiguous text reads alike."""
    field = {"id": "amount", "type": "number", "format": number_format}
    assert normalized_value(value, field) == expected


@pytest.mark.parametrize(
    ("date_format", "value", "expected"),
    [
        ("MM/DD/YYYY", "01/31/2030", "2030-01-31"),
        ("M/D/YYYY", "1/5/2030", "2030-01-05"),
        ("D/M/YYYY", "5/1/2030", "2030-01-05"),
        ("DD.MM.YY", "31.01.30", "2030-01-31"),
        ("YYYY-MM-DD", "31/01/2030", "2030-01-31"),
        ("MM/DD/YYYY", "02/30/2030", None),
        ("D/M/YYYY", "not a date", None),
    ],
)
def test_the_schema_date_format_is_read_first(
    date_format: str, value: str, expected: str | None
) -> None:
    """A date in the schema's format reads in that order (month first for `MM/DD/YYYY`)."""
    field = {"id": "date_due", "type": "date", "format": date_format}
    assert normalized_value(value, field) == expected


def test_extracted_tree_holds_every_field_and_each_row() -> None:
    """Every header datapoint is present (empty ones without page or score), one tuple per
    row with every cell, enum datapoints carry the schema's options, ids are unique."""
    counter = itertools.count(100)
    schema = Schema(invoice_schema())
    tree = extracted_tree(
        schema,
        fields={"amount_total": "1 250.00", "currency": "eur"},
        tables={"line_items": [{"item_amount_total": "1 000"}, {"item_description": "Travel"}]},
        ids=lambda: next(counter),
    )
    nodes = [node for node, _ in walk(tree)]
    assert len({n["id"] for n in nodes}) == len(nodes)
    datapoints = {n["schema_id"]: n for n in nodes if n["category"] == "datapoint"}
    cells = {"item_", "tax_detail_"}
    header = {s for s in schema.datapoint_ids() if not s.startswith(tuple(cells))}
    assert header <= set(datapoints)
    total = datapoints["amount_total"]["content"]
    assert (total["value"], total["normalized_value"], total["page"]) == ("1 250.00", "1250.00", 1)
    empty = datapoints["order_id"]
    assert (empty["content"]["value"], empty["content"]["page"], empty["validation_sources"]) == (
        "",
        None,
        [],
    )
    assert datapoints["currency"]["options"][0] == {"value": "eur", "label": "EUR"}
    rows = next(n for n in nodes if n["schema_id"] == "line_items")["children"]
    assert [r["category"] for r in rows] == ["tuple", "tuple"]
    assert all(len(r["children"]) == 8 for r in rows)
    first_total = locate(tree, rows[0]["children"][-1]["id"])
    assert first_total is not None and first_total[1] is rows[0]
    assert first_total[0]["content"]["normalized_value"] == "1000"


def test_served_tree_has_urls_and_leaves_the_stored_one_alone() -> None:
    """The served copy carries `<annotation>/content/<id>` URLs; the stored tree has none."""
    counter = itertools.count(1)
    tree = extracted_tree(Schema(invoice_schema()), fields={}, tables={}, ids=lambda: next(counter))
    copy = served(tree, annotation_url="http://x/api/v1/annotations/7")
    assert copy[0]["url"] == f"http://x/api/v1/annotations/7/content/{tree[0]['id']}"
    assert all("url" not in node for node, _ in walk(tree))
