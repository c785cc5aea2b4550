"""Applying content operations: all-or-nothing, as Rossum does."""

from __future__ import annotations

import itertools

import pytest

from handlers.errors import InvalidOperation
from handlers.invoice_schema import INVOICE_SCHEMA
from handlers.operations import apply_operations
from handlers.tree import build_tree, iter_tree, schema_index


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
