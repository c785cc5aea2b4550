"""Content-tree access by schema_id, value parsing, operation builders, applying operations."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest

from handlers.content import (
    ContentTree,
    add_row,
    date_of,
    number_of,
    parse_number,
    remove,
    replace,
    value_of,
)
from handlers.errors import InvalidOperation
from handlers.events import AnnotationContentEvent, parse_event
from handlers.invoice_schema import INVOICE_SCHEMA
from handlers.operations import apply_operations
from handlers.testing import content_payload
from handlers.tree import schema_index
from tests.handlers.conftest import load, load_bytes


@pytest.fixture
def tree() -> ContentTree:
    """Return the tree of an invoice with header fields and two line items."""
    payload = content_payload(
        fields={"amount_total": "1 250,50", "date_due": "2024-05-28", "order_id": "  PO-1 "},
        line_items=[{"item_amount_total": "250.50"}, {"item_amount_total": "1000"}],
    )
    return ContentTree(payload["annotation"]["content"])


def test_header_values_are_read_by_schema_id(tree: ContentTree) -> None:
    """Values are stripped strings; numbers and dates come from `normalized_value`."""
    assert tree.value("order_id") == "PO-1"
    assert tree.number("amount_total") == Decimal("1250.50")
    assert tree.date("date_due") == date(2024, 5, 28)
    assert tree.value("notes") is None  # present but empty
    assert tree.value("no_such_field") is None
    assert tree.datapoint("no_such_field") is None


def test_rows_map_schema_ids_to_datapoints(tree: ContentTree) -> None:
    """Each table row maps its cells' schema ids to their datapoints."""
    rows = tree.rows("line_items")
    assert [number_of(r["item_amount_total"]) for r in rows] == [Decimal("250.50"), 1000]
    assert set(rows[0]) >= {"item_description", "item_quantity", "item_amount_total"}
    assert tree.rows("no_such_table") == []
    assert len(tree.datapoints("item_amount_total")) == 2


def test_multivalue_and_by_id(tree: ContentTree) -> None:
    """The multivalue node and any node by id can be looked up."""
    multivalue = tree.multivalue("line_items")
    assert multivalue is not None and multivalue["category"] == "multivalue"
    assert tree.multivalue("amount_total") is None  # a datapoint, not a multivalue
    first_row = multivalue["children"][0]
    assert tree.by_id(first_row["id"]) is first_row
    assert tree.by_id(-1) is None


def test_simple_multivalue_rows_are_single_cell_mappings() -> None:
    """A multivalue of plain datapoints yields one-cell rows."""
    dp = {"id": 3, "schema_id": "po_number", "category": "datapoint", "content": {"value": "7"}}
    mv = {"id": 2, "schema_id": "po_numbers", "category": "multivalue", "children": [dp]}
    tree = ContentTree([{"id": 1, "schema_id": "s", "category": "section", "children": [mv]}])
    assert tree.rows("po_numbers") == [{"po_number": dp}]


def test_docs_example_tree_is_readable() -> None:
    """Rossum's documented content example parses; its number reads from normalized_value."""
    event = parse_event(load_bytes("annotation_content_updated"))
    assert isinstance(event, AnnotationContentEvent)
    assert event.content.number("number") == Decimal("18492.48")
    assert event.content.value("number") == "18 492.48"


def test_status_event_content_url_is_an_empty_tree() -> None:
    """Where `content` is a URL (status events), the tree is empty rather than an error."""
    tree = ContentTree(load("annotation_status_changed")["annotation"]["content"])
    assert tree.datapoint("amount_total") is None
    assert tree.rows("line_items") == []


@pytest.mark.parametrize(
    ("content", "number"),
    [
        pytest.param({"value": "1,5", "normalized_value": "1.5"}, Decimal("1.5"), id="normalized"),
        pytest.param(
            {"value": "1 234,56", "normalized_value": None}, Decimal("1234.56"), id="value"
        ),
        pytest.param({"value": "x", "normalized_value": "None"}, None, id="none-string"),
        pytest.param({"value": "", "normalized_value": ""}, None, id="empty"),
        pytest.param({"value": "12", "normalized_value": "NaN"}, Decimal(12), id="nan-falls-back"),
    ],
)
def test_number_of(content: dict[str, str | None], number: Decimal | None) -> None:
    """Numbers prefer `normalized_value`, fall back to parsing `value`, else None."""
    assert number_of({"content": content}) == number


@pytest.mark.parametrize(
    ("text", "number"),
    [
        pytest.param("18 492.48", Decimal("18492.48"), id="space-thousands"),
        pytest.param("1.234,56", Decimal("1234.56"), id="european"),
        pytest.param("1,234.56", Decimal("1234.56"), id="english"),
        pytest.param("1,234", Decimal("1234"), id="comma-thousands"),
        pytest.param("12,5", Decimal("12.5"), id="comma-decimal"),
        pytest.param("1.234.567", Decimal("1234567"), id="dot-thousands"),
        pytest.param("EUR -12.00", Decimal("-12.00"), id="currency-code"),
        pytest.param("$1,000", Decimal("1000"), id="symbol"),
        pytest.param("n/a", None, id="junk"),
        pytest.param("inf", None, id="infinite"),
        pytest.param(None, None, id="none"),
    ],
)
def test_parse_number(text: str | None, number: Decimal | None) -> None:
    """UI-formatted numbers parse to Decimal; junk gives None."""
    assert parse_number(text) == number


def test_date_and_value_helpers_tolerate_junk() -> None:
    """Bad dates, `"None"` strings, missing content and button datapoints give None."""
    assert date_of({"content": {"value": "31/02/2024", "normalized_value": "None"}}) is None
    assert date_of({"content": {"value": "2024-02-03"}}) == date(2024, 2, 3)
    assert value_of({"content": None}) is None
    assert value_of({"content": {"value": "None"}}) is None
    assert value_of(None) is None


def test_operation_builders_match_rossums_documented_shapes() -> None:
    """replace/remove/add_row build the operations of Rossum's response example."""
    ops = load("annotation_content_response")["operations"]
    built_replace = replace(
        {"id": 198143, "schema_id": "sender_name"},
        "John",
        position=[103, 110, 121, 122],
        page=1,
        hidden=False,
        options=[],
        validation_sources=["human"],
    )
    assert built_replace.to_json() == ops[0]
    assert built_replace.schema_id == "sender_name"
    assert remove(884061).to_json() == ops[1]
    added = add_row(884060, {"item_description": "Bottle"}).to_json()
    assert added["op"] == "add" and added["id"] == 884060
    assert added["value"] == [{"schema_id": "item_description", "content": {"value": "Bottle"}}]


def test_apply_operations_replaces_adds_and_removes() -> None:
    """Applying operations yields the tree Rossum would hold, leaving the input untouched."""
    payload = content_payload(
        fields={"amount_total": "10.00", "currency": "eur"},
        line_items=[{"item_amount_total": "4"}, {"item_amount_total": "6"}],
    )
    content = payload["annotation"]["content"]
    tree = ContentTree(content)
    first_row = tree.multivalue("line_items")["children"][0]  # type: ignore[index]
    ids = itertools.count(1)
    new = ContentTree(
        apply_operations(
            content,
            [
                replace(tree.datapoint("amount_total") or 0, "12,00"),
                replace(tree.datapoint("currency") or 0, "EUR"),
                remove(first_row),
                add_row(tree.multivalue("line_items") or 0, {"item_amount_total": "6"}),
            ],
            schema=schema_index(INVOICE_SCHEMA),
            new_id=lambda: next(ids),
        )
    )
    assert new.number("amount_total") == Decimal("12.00")
    assert new.value("currency") == "EUR"
    assert [number_of(r["item_amount_total"]) for r in new.rows("line_items")] == [6, 6]
    assert tree.value("currency") == "eur"  # the original is not modified
    with pytest.raises(InvalidOperation, match="no datapoint with id 999"):
        apply_operations(content, [remove(999)], schema={}, new_id=lambda: 0)


def test_row_level_fields_and_nested_multivalues_are_found_in_document_order() -> None:
    """A schema id that lives only in table rows, or a multivalue below a tuple, is still found."""
    cell = {"id": 5, "schema_id": "item_code", "category": "datapoint", "content": {"value": "A"}}
    later = {"id": 6, "schema_id": "item_code", "category": "datapoint", "content": {"value": "B"}}
    inner = {"id": 8, "schema_id": "serials", "category": "multivalue", "children": []}
    row1 = {"id": 4, "schema_id": "item", "category": "tuple", "children": [cell, inner]}
    row2 = {"id": 7, "schema_id": "item", "category": "tuple", "children": [later]}
    table = {"id": 3, "schema_id": "items", "category": "multivalue", "children": [row1, row2]}
    header = {"id": 2, "schema_id": "total", "category": "datapoint", "content": {"value": "9"}}
    tree = ContentTree(
        [{"id": 1, "schema_id": "s", "category": "section", "children": [header, table]}]
    )
    assert tree.value("total") == "9"
    assert tree.datapoint("item_code") is cell  # the first row's cell, not the later one
    assert tree.multivalue("serials") is inner
    assert tree.by_id(6) is later
    assert [dp["id"] for dp in tree.datapoints("item_code")] == [5, 6]
