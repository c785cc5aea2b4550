"""Pure content-tree code: value normalisation, tree building, operation edge cases."""

from __future__ import annotations

import itertools

import pytest

from handlers.invoice_schema import INVOICE_SCHEMA
from sandbox.content import InvalidOperation, build_tree, iter_tree, schema_index
from sandbox.normalize import normalize, same_normalized
from sandbox.operations import apply_operations


@pytest.mark.parametrize(
    ("value", "type_", "expected"),
    [
        pytest.param("18 492.48", "number", "18492.48", id="space-thousands"),
        pytest.param("1.234,50", "number", "1234.50", id="dot-thousands-comma-decimal"),
        pytest.param("1,234.50", "number", "1234.50", id="comma-thousands"),
        pytest.param("12,5", "number", "12.5", id="comma-decimal"),
        pytest.param("1,234", "number", "1234", id="comma-thousands-only"),
        pytest.param("1.234.567", "number", "1234567", id="dotted-millions"),
        pytest.param("-42", "number", "-42", id="negative"),
        pytest.param("12\u00a0500,00", "number", "12500.00", id="nbsp"),
        pytest.param("abc", "number", None, id="not-a-number"),
        pytest.param("inf", "number", None, id="infinity"),
        pytest.param("2030-01-31", "date", "2030-01-31", id="iso-date"),
        pytest.param("31.01.2030", "date", "2030-01-31", id="dotted-date"),
        pytest.param("31/01/2030", "date", "2030-01-31", id="slashed-date"),
        pytest.param("January 31, 2030", "date", "2030-01-31", id="long-date"),
        pytest.param("soon", "date", None, id="not-a-date"),
        pytest.param("", "number", "", id="empty"),
        pytest.param(" INV ", "string", " INV ", id="string-kept"),
    ],
)
def test_normalize(value: str, type_: str, expected: str | None) -> None:
    """Values normalise like Rossum's `normalized_value`: JSON numbers and ISO dates."""
    assert normalize(value, type_) == expected


def test_number_normalized_values_compare_numerically() -> None:
    """ "12500" agrees with "12500.00"; a different number or an unparsable value does not."""
    assert same_normalized("12500", "12500.00", "number")
    assert not same_normalized("12501", "12500.00", "number")
    assert not same_normalized("12500", None, "number")


def test_build_tree_gives_unique_ids_and_empty_unfilled_fields() -> None:
    """Every node of a built tree has a unique id; fields not given are empty strings."""
    counter = itertools.count(1)
    tree = build_tree(
        INVOICE_SCHEMA,
        fields={"amount_total": 10},
        tables={"line_items": [{"item_amount_total": "10"}]},
        new_id=lambda: next(counter),
    )
    ids = [node["id"] for node, _ in iter_tree(tree)]
    assert len(ids) == len(set(ids))
    leaves = {n["schema_id"]: n for n, _ in iter_tree(tree) if n["category"] == "datapoint"}
    assert leaves["amount_total"]["content"]["value"] == "10"
    assert leaves["order_id"]["content"] == leaves["order_id"]["content"] | {
        "value": "",
        "normalized_value": "",
        "page": None,
    }
    assert leaves["document_type"]["options"][0]["value"] == "tax_invoice"
    assert [n["schema_id"] for n in tree] == [s["id"] for s in INVOICE_SCHEMA]


def test_failed_operations_leave_the_tree_untouched() -> None:
    """`apply_operations` works on a copy: a failure later in the list changes nothing."""
    counter = itertools.count(1)
    tree = build_tree(INVOICE_SCHEMA, fields={}, tables={}, new_id=lambda: next(counter))
    first = next(n for n, _ in iter_tree(tree) if n["schema_id"] == "document_id")
    ops = [
        {"op": "replace", "id": first["id"], "value": {"content": {"value": "X"}}},
        {"op": "replace", "id": 10**9, "value": {}},
    ]
    with pytest.raises(InvalidOperation, match="no datapoint with id"):
        apply_operations(
            tree, ops, schema=schema_index(INVOICE_SCHEMA), new_id=lambda: next(counter)
        )
    assert first["content"]["value"] == ""
