"""Pure content-tree code: tree building, operation edge cases."""

from __future__ import annotations

import itertools

import pytest

from handlers.invoice_schema import INVOICE_SCHEMA
from sandbox.content import InvalidOperation, build_tree, iter_tree, schema_index
from sandbox.operations import apply_operations


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
