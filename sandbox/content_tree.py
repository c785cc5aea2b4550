"""The sandbox's model of annotation content: schemas, and trees as extraction leaves them.

API reference, "Document Schema" and "Annotation Data": a schema's `content` is a list of
sections; a section holds datapoints and multivalues; a multivalue's `children` is one node,
its row template (a tuple of datapoints for a table, or a single datapoint for a list). An
annotation's content mirrors it with numeric ids: sections, multivalues with one child per row,
tuples, and datapoints carrying `content` (`value`, `normalized_value`, page and position of the
extracted text, the engine's `rir_*` fields) plus `validation_sources`, `hidden` and, for enums,
`options`. Every header datapoint of the schema is present, empty unless extracted. The API
serves each node with its `url` (`<annotation>/content/<id>`); the store keeps trees without.

This is the sandbox's own implementation, written from Rossum's documentation; it shares no
code with the rules it is used to test.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from sandbox.normalize import normalized_value

Node = dict[str, Any]
IdSource = Callable[[], int]
CellValue = str | int | float | date | None


class Schema:
    """A schema's `content` indexed by schema id, with each multivalue's row template."""

    def __init__(self, content: Iterable[Mapping[str, Any]]) -> None:
        self.content = [dict(section) for section in content]
        self._nodes: dict[str, Node] = {}
        for node in walk_schema(self.content):
            self._nodes[node["id"]] = node

    def __contains__(self, schema_id: object) -> bool:
        return schema_id in self._nodes

    def get(self, schema_id: str) -> Node | None:
        """Return the schema node with this id, or None."""
        return self._nodes.get(schema_id)

    def datapoint_ids(self) -> set[str]:
        """Return the ids of every datapoint (header fields and table cells)."""
        return {i for i, n in self._nodes.items() if n.get("category") == "datapoint"}

    def row_of(self, multivalue_id: str) -> Node | None:
        """Return a multivalue's row template (a tuple or a datapoint), or None."""
        node = self._nodes.get(multivalue_id)
        if node is None or node.get("category") != "multivalue":
            return None
        return row_template(node)


def row_template(multivalue: Mapping[str, Any]) -> Node | None:
    """Return the single child of a multivalue schema node (a one-item list is tolerated)."""
    child = multivalue.get("children")
    if isinstance(child, list):
        child = child[0] if len(child) == 1 else None
    return dict(child) if isinstance(child, Mapping) and child else None


def cells_of(template: Mapping[str, Any]) -> list[Node]:
    """Return the datapoint schemas a row of this template holds (itself for a list)."""
    if template.get("category") == "tuple":
        return [dict(cell) for cell in template.get("children", [])]
    return [dict(template)]


def walk_schema(nodes: Iterable[Mapping[str, Any]]) -> Iterator[Node]:
    """Yield every schema node, parents before children."""
    for node in nodes:
        yield dict(node)
        children = node.get("children")
        if isinstance(children, Mapping):
            yield from walk_schema([children])
        elif isinstance(children, list):
            yield from walk_schema(children)


def _text(value: CellValue) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def datapoint(field: Mapping[str, Any], value: CellValue, *, ids: IdSource, line: int) -> Node:
    """Return a datapoint of schema `field` as extraction finds `value` on line `line` of page 1.

    An empty value is a datapoint the engine did not find: no page, position or score.
    """
    text = _text(value)
    node: Node = {
        "id": ids(),
        "category": "datapoint",
        "schema_id": field["id"],
        "hidden": bool(field.get("hidden", False)),
        "validation_sources": ["score"] if text else [],
        "time_spent": 0.0,
        "time_spent_overall": 0.0,
    }
    if field.get("type") == "button":
        node["content"] = None
        return node
    found = bool(text)
    box = [90, 120 + 22 * line, 420, 136 + 22 * line] if found else None
    node["content"] = {
        "value": text,
        "normalized_value": normalized_value(text, field),
        "page": 1 if found else None,
        "position": box,
        "rir_text": text if found else None,
        "rir_raw_text": text if found else None,
        "rir_page": 1 if found else None,
        "rir_position": box,
        "rir_confidence": 0.97 if found else None,
        "connector_text": None,
        "ocr_text": None,
        "ocr_raw_text": None,
        "ocr_position": None,
    }
    if field.get("type") == "enum" and "options" in field:
        node["options"] = copy.deepcopy(field["options"])
    return node


def table_row(
    template: Mapping[str, Any], cells: Mapping[str, Any], *, ids: IdSource, line: int
) -> Node:
    """Return one multivalue child: a tuple holding every cell of the template, or a datapoint."""
    if template.get("category") != "tuple":
        return datapoint(template, cells.get(template["id"]), ids=ids, line=line)
    row: Node = {"id": ids(), "category": "tuple", "schema_id": template["id"]}
    row["children"] = [
        datapoint(cell, cells.get(cell["id"]), ids=ids, line=line) for cell in cells_of(template)
    ]
    return row


def extracted_tree(
    schema: Schema,
    *,
    fields: Mapping[str, Any],
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    ids: IdSource,
) -> list[Node]:
    """Return the content tree extraction leaves for these header values and table rows."""
    line = 0

    def next_line() -> int:
        nonlocal line
        line += 1
        return line - 1

    def build(field: Mapping[str, Any]) -> Node:
        category = field.get("category")
        if category == "datapoint":
            return datapoint(field, fields.get(field["id"]), ids=ids, line=next_line())
        node: Node = {"id": ids(), "category": category, "schema_id": field["id"], "children": []}
        if category == "multivalue":
            template = row_template(field)
            for cells in tables.get(field["id"], []) if template else []:
                node["children"].append(table_row(template or {}, cells, ids=ids, line=next_line()))
        else:
            node["children"] = [build(child) for child in field.get("children", [])]
        return node

    return [build(section) for section in schema.content]


def walk(tree: Iterable[Node], parent: Node | None = None) -> Iterator[tuple[Node, Node | None]]:
    """Yield `(node, parent)` for every node of a content tree, parents first."""
    for node in tree:
        yield node, parent
        yield from walk(node.get("children") or (), node)


def locate(tree: Iterable[Node], node_id: object) -> tuple[Node, Node | None] | None:
    """Return `(node, parent)` of the node with this id, or None."""
    for node, parent in walk(tree):
        if node.get("id") == node_id:
            return node, parent
    return None


def served(tree: Iterable[Mapping[str, Any]], *, annotation_url: str) -> list[Node]:
    """Return a copy of the tree as the API serves it: each node with its `url`."""
    copied: list[Node] = copy.deepcopy([dict(node) for node in tree])
    for node, _ in walk(copied):
        node["url"] = f"{annotation_url}/content/{node['id']}"
    return copied
