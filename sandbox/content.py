"""Annotation content trees: built from a schema, changed by Rossum's content operations.

Pure functions over plain dicts. Shapes follow the API reference ("Annotation Data"):
sections hold datapoints and multivalues; a multivalue holds tuples (table rows) or datapoints;
datapoints carry `content.value` and, for numbers and dates, `content.normalized_value`.
Operations follow "Bulk update annotation data": `replace` (datapoints only; `value`,
`normalized_value`, `position`, `page`, `validation_sources`, `hidden`, `options`), `add`
(append a row to a multivalue), `remove` (only children of a multivalue).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from handlers.normalize import normalize, same_normalized

Node = dict[str, Any]
NewId = Callable[[], int]

VALIDATION_SOURCES = frozenset(
    {"score", "checks", "not_found", "data_matching", "history", "connector"}
    | {"table_suggester", "rules", "human", "non_required", "NA"}
)


class InvalidOperation(ValueError):
    """An operation that Rossum would refuse; the message names the operation and why."""


def schema_index(schema_content: Sequence[Node]) -> dict[str, Node]:
    """Return `{schema_id: schema node}` for every node of a schema's `content`."""
    index: dict[str, Node] = {}
    stack = list(schema_content)
    while stack:
        node = stack.pop()
        index[node["id"]] = node
        children = node.get("children")
        if isinstance(children, Mapping):
            stack.append(dict(children))
        elif isinstance(children, list):
            stack.extend(children)
    return index


def row_template(multivalue: Node) -> Node:
    """Return the row schema of a multivalue schema node (a tuple, or a datapoint)."""
    children = multivalue.get("children")
    if isinstance(children, list):  # tolerate schemas written with a one-item list
        children = children[0] if children else {}
    return dict(children or {})


def new_datapoint(schema: Node, value: Any, *, new_id: NewId, position_y: int = 0) -> Node:
    """Return a datapoint for `schema` holding `value` as if extracted from page 1."""
    text = "" if value is None else str(value)
    node: Node = {
        "id": new_id(),
        "schema_id": schema["id"],
        "category": "datapoint",
        "validation_sources": ["score"] if text else [],
        "time_spent": 0.0,
        "hidden": bool(schema.get("hidden", False)),
    }
    if schema.get("type") == "button":
        node["content"] = None
        return node
    position = [90, 120 + 22 * position_y, 420, 136 + 22 * position_y] if text else None
    node["content"] = {
        "value": text,
        "normalized_value": normalize(text, schema.get("type", "string")),
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
    if "options" in schema:
        node["options"] = copy.deepcopy(schema["options"])
    return node


def _new_row(template: Node, cells: Mapping[str, Any], *, new_id: NewId, y: int) -> Node:
    if template.get("category") != "tuple":
        return new_datapoint(template, cells.get(template["id"]), new_id=new_id, position_y=y)
    row: Node = {"id": new_id(), "schema_id": template["id"], "category": "tuple"}
    row["children"] = [
        new_datapoint(cell, cells.get(cell["id"]), new_id=new_id, position_y=y)
        for cell in template.get("children", [])
    ]
    return row


def build_tree(
    schema_content: Sequence[Node],
    *,
    fields: Mapping[str, Any],
    tables: Mapping[str, Sequence[Mapping[str, Any]]],
    new_id: NewId,
) -> list[Node]:
    """Return a content tree for `schema_content` with header `fields` and table rows filled."""
    y = iter(range(10_000))

    def build(schema: Node) -> Node:
        category = schema.get("category")
        if category == "datapoint":
            return new_datapoint(
                schema, fields.get(schema["id"]), new_id=new_id, position_y=next(y)
            )
        node: Node = {"id": new_id(), "schema_id": schema["id"], "category": category}
        if category == "multivalue":
            template = row_template(schema)
            rows = tables.get(schema["id"], ())
            node["children"] = [_new_row(template, r, new_id=new_id, y=next(y)) for r in rows]
        else:
            node["children"] = [build(child) for child in schema.get("children", [])]
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


def with_urls(tree: Sequence[Node], *, annotation_url: str) -> list[Node]:
    """Return a copy of the tree with each node's `url`, as the API serves it."""
    copied = copy.deepcopy(list(tree))
    for node, _ in iter_tree(copied):
        node["url"] = f"{annotation_url}/content/{node['id']}"
    return copied


def update_datapoint(node: Node, value: Any, *, type_: str, where: str) -> None:
    """Apply a `replace` value (`content`, `validation_sources`, `hidden`, `options`)."""
    if node.get("category") != "datapoint":
        raise InvalidOperation(
            f"{where}: only datapoints can be replaced, not a {node.get('category')}"
        )
    if not isinstance(value, Mapping):
        raise InvalidOperation(f"{where}: value must be an object")
    content = value.get("content")
    if content is not None:
        if not isinstance(content, Mapping) or node.get("content") is None:
            raise InvalidOperation(f"{where}: content must be an object on a non-button datapoint")
        node["content"] = _updated_content(node["content"], content, type_=type_, where=where)
    sources = value.get("validation_sources")
    if sources is not None:
        if not isinstance(sources, list) or not set(sources) <= VALIDATION_SOURCES:
            raise InvalidOperation(f"{where}: validation_sources must list known sources")
        node["validation_sources"] = list(sources)
    if "hidden" in value:
        if not isinstance(value["hidden"], bool):
            raise InvalidOperation(f"{where}: hidden must be a boolean")
        node["hidden"] = value["hidden"]
    if "options" in value:
        if not isinstance(value["options"], list):
            raise InvalidOperation(f"{where}: options must be a list")
        node["options"] = copy.deepcopy(value["options"])


def _updated_content(
    current: Mapping[str, Any], change: Mapping[str, Any], *, type_: str, where: str
) -> dict[str, Any]:
    content = dict(current)
    for key in ("value", "normalized_value"):
        if key in change and not isinstance(change[key], str):
            raise InvalidOperation(f"{where}: content.{key} must be a string")
    if "value" in change:
        content["value"] = change["value"]
        content["normalized_value"] = normalize(change["value"], type_)
        given = change.get("normalized_value")
        if given is not None and not same_normalized(given, content["normalized_value"], type_):
            raise InvalidOperation(
                f"{where}: value {change['value']!r} and normalized_value {given!r} disagree"
            )
    elif "normalized_value" in change:
        content["value"] = change["normalized_value"]
        content["normalized_value"] = normalize(change["normalized_value"], type_)
    for key in ("page", "position"):
        if key in change:
            content[key] = change[key]
    return content
