"""Annotation content trees built from a schema and field values, as extraction leaves them.

Pure functions over plain dicts. Shapes follow the API reference ("Annotation Data"):
sections hold datapoints and multivalues; a multivalue holds tuples (table rows) or datapoints;
datapoints carry `content.value` and `content.normalized_value` (`handlers.normalize`). Every
schema datapoint is present (empty unless given); ids come from the caller's `new_id`; `url`s
are added by `with_urls`, as the API serves them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from handlers.normalize import normalize

Node = dict[str, Any]
NewId = Callable[[], int]
FieldValue = str | int | float | Decimal | date | Mapping[str, Any] | None
Rows = Sequence[Mapping[str, FieldValue]]


def schema_index(schema_content: Sequence[Mapping[str, Any]]) -> dict[str, Node]:
    """Return `{schema_id: schema node}` for every node of a schema's `content`."""
    index: dict[str, Node] = {}
    stack = list(schema_content)
    while stack:
        node = dict(stack.pop())
        index[node["id"]] = node
        children = node.get("children")
        if isinstance(children, Mapping):
            stack.append(children)
        elif isinstance(children, list):
            stack.extend(children)
    return index


def row_template(multivalue: Mapping[str, Any]) -> Node:
    """Return the row schema of a multivalue schema node (a tuple, or a datapoint)."""
    children = multivalue.get("children")
    if isinstance(children, list):  # tolerate schemas written with a one-item list
        children = children[0] if children else {}
    return dict(children or {})


def new_datapoint(
    schema: Mapping[str, Any], value: FieldValue, *, new_id: NewId, line: int = 0
) -> Node:
    """Return a datapoint for `schema` holding `value` as if extracted from page 1.

    `value` is text, a number or a date; a mapping overrides `content` keys (e.g. a stale
    `normalized_value`). `line` places the value on the page.
    """
    overrides: Mapping[str, Any] = {}
    if isinstance(value, Mapping):
        overrides, value = value, value.get("value", "")
    text = "" if value is None else value.isoformat() if isinstance(value, date) else str(value)
    node: Node = {
        "id": new_id(),
        "schema_id": schema["id"],
        "category": "datapoint",
        "validation_sources": ["score"] if text else [],
        "time_spent": 0.0,
        "time_spent_overall": 0.0,
        "hidden": bool(schema.get("hidden", False)),
    }
    if schema.get("type") == "button":
        node["content"] = None
        return node
    node["content"] = {**_content(text, str(schema.get("type", "string")), line), **overrides}
    if "options" in schema:
        node["options"] = copy.deepcopy(schema["options"])
    return node


def _content(text: str, type_: str, line: int) -> dict[str, Any]:
    position = [90, 120 + 22 * line, 420, 136 + 22 * line] if text else None
    return {
        "value": text,
        "normalized_value": normalize(text, type_),
        "page": 1 if text else None,
        "position": position,
        "rir_text": text or None,
        "rir_raw_text": text or None,
        "rir_page": 1 if text else None,
        "rir_position": position,
        "rir_confidence": 0.97 if text else None,
        "connector_text": None,
        "ocr_text": None,
        "ocr_raw_text": None,
        "ocr_position": None,
    }


def new_row(
    template: Mapping[str, Any], cells: Mapping[str, FieldValue], *, new_id: NewId, line: int = 0
) -> Node:
    """Return one multivalue row: a tuple with every cell of the template, or a datapoint."""
    if template.get("category") != "tuple":
        return new_datapoint(template, cells.get(template["id"]), new_id=new_id, line=line)
    row: Node = {"id": new_id(), "schema_id": template["id"], "category": "tuple"}
    row["children"] = [
        new_datapoint(cell, cells.get(cell["id"]), new_id=new_id, line=line)
        for cell in template.get("children", [])
    ]
    return row


def build_tree(
    schema_content: Sequence[Mapping[str, Any]],
    *,
    fields: Mapping[str, FieldValue],
    tables: Mapping[str, Rows],
    new_id: NewId,
    omit: Sequence[str] = (),
) -> list[Node]:
    """Return a content tree for `schema_content` with header `fields` and table rows filled.

    Schema ids in `omit` (and their subtrees) are left out of the tree.
    """
    lines = iter(range(1_000_000))

    def build(schema: Mapping[str, Any]) -> Node:
        category = schema.get("category")
        if category == "datapoint":
            return new_datapoint(schema, fields.get(schema["id"]), new_id=new_id, line=next(lines))
        node: Node = {"id": new_id(), "schema_id": schema["id"], "category": category}
        if category == "multivalue":
            template = row_template(schema)
            rows = tables.get(schema["id"], ())
            node["children"] = [new_row(template, r, new_id=new_id, line=next(lines)) for r in rows]
        else:
            children = schema.get("children", [])
            node["children"] = [build(child) for child in children if child["id"] not in omit]
        return node

    return [build(section) for section in schema_content]


def iter_tree(
    tree: Sequence[Node], parent: Node | None = None
) -> Iterator[tuple[Node, Node | None]]:
    """Yield `(node, parent)` for every node of a content tree, depth-first."""
    for node in tree:
        yield node, parent
        yield from iter_tree(node.get("children") or [], node)


def find_node(tree: Sequence[Node], node_id: int) -> tuple[Node, Node | None] | None:
    """Return `(node, parent)` for a node id, or None."""
    return next(((n, p) for n, p in iter_tree(tree) if n["id"] == node_id), None)


def with_urls(tree: Sequence[Mapping[str, Any]], *, annotation_url: str) -> list[Node]:
    """Return a copy of the tree with each node's `url`, as the API serves it."""
    copied = copy.deepcopy([dict(node) for node in tree])
    for node, _ in iter_tree(copied):
        node["url"] = f"{annotation_url}/content/{node['id']}"
    return copied
