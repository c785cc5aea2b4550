"""Content operations (`replace`, `add`, `remove`) applied all-or-nothing to a content tree.

API reference, "Bulk update annotation data" and the hook response format: the same operation
list is accepted by `POST /annotations/{id}/content/operations` and in `annotation_content`
hook answers. Either every operation applies or none does.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from handlers.tree import NewId, Node, find_node, new_datapoint, row_template
from sandbox.content import InvalidOperation, update_datapoint


def apply_operations(
    tree: list[Node], operations: Any, *, schema: Mapping[str, Node], new_id: NewId
) -> tuple[list[Node], list[int]]:
    """Return the changed copy of `tree` and the ids of the datapoints touched."""
    if not isinstance(operations, list):
        raise InvalidOperation("operations must be a list")
    work = copy.deepcopy(tree)
    changed: list[int] = []
    for index, op in enumerate(operations):
        where = f"operations[{index}]"
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
            changed.append(node_id)
        elif kind == "add":
            changed.extend(_add(node, op, schema=schema, new_id=new_id, where=where))
        elif kind == "remove":
            if parent is None or parent.get("category") != "multivalue":
                raise InvalidOperation(f"{where}: only rows of a multivalue can be removed")
            parent["children"] = [c for c in parent["children"] if c["id"] != node_id]
            changed.append(parent["id"])
        else:
            raise InvalidOperation(f"{where}: op must be replace, add or remove, got {kind!r}")
    return work, list(dict.fromkeys(changed))


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
