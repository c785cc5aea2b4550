"""Apply content operations (`replace`, `add`, `remove`) to a tree as Rossum does, without Rossum.

API reference, "Bulk update annotation data" and the hook response format: the same operation
list is accepted by `POST /annotations/{id}/content/operations` and in `annotation_content`
hook answers. Either every operation applies or none does; one Rossum would refuse raises
`handlers.errors.InvalidOperation` naming the operation and why. `replace` changes datapoints
only (`value`, `normalized_value` -- recomputed from the schema type and checked against a given
one -- `position`, `page`, `validation_sources`, `hidden`, `options`); `add` appends a row built
from the multivalue's schema; `remove` deletes a child of a multivalue.

Used by the sandbox (the API stand-in) and by `handlers.testing.after` (the next delivery).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from handlers.decision import Operation
from handlers.errors import InvalidOperation
from handlers.normalize import normalize, same_normalized
from handlers.tree import NewId, Node, find_node, new_datapoint, row_template

VALIDATION_SOURCES = frozenset(
    {"score", "checks", "not_found", "data_matching", "history", "connector"}
    | {"table_suggester", "rules", "human", "non_required", "NA"}
)


class Applied(NamedTuple):
    """The tree after the operations, and the ids of the nodes they touched (in order)."""

    tree: list[Node]
    changed: list[int]


def apply_operations(
    content: Sequence[Mapping[str, Any]],
    operations: Any,
    *,
    schema: Mapping[str, Node],
    new_id: NewId,
) -> list[Node]:
    """Return a copy of the tree with the operations applied, as Rossum would apply them.

    `schema` is the schema index (`handlers.tree.schema_index`); `new_id` mints ids for nodes
    created by `add`. Operations are `Operation`s or their JSON.
    """
    return applied(content, operations, schema=schema, new_id=new_id).tree


def applied(
    content: Sequence[Mapping[str, Any]],
    operations: Any,
    *,
    schema: Mapping[str, Node],
    new_id: NewId,
) -> Applied:
    """Apply the operations all-or-nothing to a copy of the tree; say which nodes changed."""
    if not isinstance(operations, list | tuple):
        raise InvalidOperation("operations must be a list")
    work: list[Node] = copy.deepcopy([dict(node) for node in content])
    changed: list[int] = []
    for index, op in enumerate(operations):
        json_op = op.to_json() if isinstance(op, Operation) else op
        changed.extend(_apply(work, json_op, schema, new_id, where=f"operations[{index}]"))
    return Applied(work, list(dict.fromkeys(changed)))


def _apply(
    work: list[Node], op: Any, schema: Mapping[str, Node], new_id: NewId, *, where: str
) -> list[int]:
    if not isinstance(op, Mapping):
        raise InvalidOperation(f"{where}: must be an object")
    node_id = op.get("id")
    if not isinstance(node_id, int) or isinstance(node_id, bool):
        raise InvalidOperation(f"{where}: id must be an integer datapoint id, got {node_id!r}")
    found = find_node(work, node_id)
    if found is None:
        raise InvalidOperation(f"{where}: no datapoint with id {node_id} in this annotation")
    node, parent = found
    kind = op.get("op")
    if kind == "replace":
        type_ = schema.get(node["schema_id"], {}).get("type", "string")
        update_datapoint(node, op.get("value"), type_=type_, where=where)
        return [node_id]
    if kind == "add":
        return _add(node, op, schema=schema, new_id=new_id, where=where)
    if kind == "remove":
        if parent is None or parent.get("category") != "multivalue":
            raise InvalidOperation(f"{where}: only rows of a multivalue can be removed")
        parent["children"] = [c for c in parent["children"] if c["id"] != node_id]
        return [parent["id"]]
    raise InvalidOperation(f"{where}: op must be replace, add or remove, got {kind!r}")


def _add(
    multivalue: Node,
    op: Mapping[str, Any],
    *,
    schema: Mapping[str, Node],
    new_id: NewId,
    where: str,
) -> list[int]:
    if multivalue.get("category") != "multivalue":
        raise InvalidOperation(
            f"{where}: add needs a multivalue id, not a {multivalue['category']}"
        )
    template = row_template(schema.get(multivalue["schema_id"], {}))
    if not template:
        raise InvalidOperation(f"{where}: the schema has no row template for this multivalue")
    value = op.get("value")
    if template.get("category") == "tuple":
        cells = value if isinstance(value, list) else None
        cell_schemas = {c["id"]: c for c in template.get("children", [])}
    else:
        cells = [value] if isinstance(value, Mapping) else None
        cell_schemas = {template["id"]: template}
    if cells is None or not all(isinstance(c, Mapping) for c in cells):
        raise InvalidOperation(f"{where}: add value must be a list of cells (or one datapoint)")
    row = _empty_row(template, new_id=new_id)
    by_schema = {dp["schema_id"]: dp for dp in row.get("children", [row])}
    for cell in cells:
        schema_id = cell.get("schema_id", template["id"])
        if schema_id not in cell_schemas:
            raise InvalidOperation(f"{where}: unknown cell schema_id {schema_id!r} for this row")
        cell_value = {k: v for k, v in cell.items() if k != "schema_id"}
        type_ = cell_schemas[schema_id].get("type", "string")
        update_datapoint(by_schema[schema_id], cell_value, type_=type_, where=where)
    sources = op.get("validation_sources")
    if sources is not None:
        for datapoint in by_schema.values():
            update_datapoint(datapoint, {"validation_sources": sources}, type_="", where=where)
    multivalue.setdefault("children", []).append(row)
    return [multivalue["id"], row["id"], *(dp["id"] for dp in by_schema.values() if dp is not row)]


def _empty_row(template: Node, *, new_id: NewId) -> Node:
    if template.get("category") != "tuple":
        return new_datapoint(template, None, new_id=new_id)
    return {
        "id": new_id(),
        "schema_id": template["id"],
        "category": "tuple",
        "children": [new_datapoint(c, None, new_id=new_id) for c in template.get("children", [])],
    }


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
