"""Content trees built from a schema: ids, empty fields, positions, URLs, omitted nodes."""

from __future__ import annotations

import itertools

from handlers.invoice_schema import INVOICE_SCHEMA
from handlers.tree import build_tree, find_node, iter_tree, with_urls


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


def test_each_filled_line_has_its_own_position_and_hidden_follows_the_schema() -> None:
    """Filled header fields sit on distinct lines; `hidden` comes from the schema node."""
    schema = [
        {
            "id": "s",
            "category": "section",
            "children": [
                {"id": "a", "category": "datapoint", "type": "string"},
                {"id": "b", "category": "datapoint", "type": "number", "hidden": True},
                {"id": "go", "category": "datapoint", "type": "button"},
            ],
        }
    ]
    counter = itertools.count(1)
    tree = build_tree(schema, fields={"a": "x", "b": 2}, tables={}, new_id=lambda: next(counter))
    a, b, go = tree[0]["children"]
    assert a["content"]["position"] != b["content"]["position"]
    assert (a["hidden"], b["hidden"]) == (False, True)
    assert b["content"]["normalized_value"] == "2"
    assert go["content"] is None


def test_omitted_nodes_are_absent_and_urls_point_under_the_annotation() -> None:
    """`omit` drops schema ids; `with_urls` adds URLs to a copy, leaving the tree as it was."""
    counter = itertools.count(7)
    tree = build_tree(
        INVOICE_SCHEMA, fields={}, tables={}, new_id=lambda: next(counter), omit=["order_id"]
    )
    assert "order_id" not in {n["schema_id"] for n, _ in iter_tree(tree)}
    served = with_urls(tree, annotation_url="https://x/api/v1/annotations/1")
    node, parent = find_node(served, 8) or ({}, None)
    assert node["url"] == "https://x/api/v1/annotations/1/content/8"
    assert parent is not None and parent["id"] == 7
    assert all("url" not in n for n, _ in iter_tree(tree))
