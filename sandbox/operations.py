"""Content operations as Rossum applies them: `replace`, `add` and `remove`, all or nothing.

API reference, "Bulk update annotation data" (`POST /annotations/{id}/content/operations`) and
"Annotation content event response format" (a hook's `operations`), which share one format:

- `{"op": "replace", "id": <datapoint id>, "value": {...}}` updates a datapoint only. Of
  `value` Rossum takes `content.value`, `content.normalized_value`, `content.position`,
  `content.page`, `validation_sources`, `hidden` and `options`. A new `value` gets its
  `normalized_value` recomputed; a `normalized_value` given with it must agree. A
  `normalized_value` alone sets both.
- `{"op": "add", "id": <multivalue id>, "value": [cells]}` appends a row: each cell names its
  `schema_id` and may carry `content`; cells not given are empty. For a multivalue of plain
  datapoints (a list) `value` is one datapoint object. An optional `validation_sources` applies
  to every new cell.
- `{"op": "remove", "id": <id>}` deletes a child (a row) of a multivalue.

If any operation is refused, none is applied; the refusal names the operation by its index.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sandbox.content_tree import IdSource, Node, Schema, cells_of, datapoint, locate, walk
from sandbox.normalize import normalized_value, same_number

# API reference, "Annotation Data": the sources that may have validated a datapoint.
VALIDATION_SOURCES = frozenset(
    {"score", "checks", "not_found", "data_matching", "history", "connector", "human"}
    | {"table_suggester", "rules", "non_required", "NA"}
)


class OperationRefused(ValueError):
    """An operation Rossum would refuse with 400; `str()` names which one and why."""


@dataclass(frozen=True)
class Result:
    """The tree after the operations, and the ids they changed (in first-change order)."""

    tree: list[Node]
    changed: list[int]


def apply(
    tree: Sequence[Mapping[str, Any]], operations: Any, *, schema: Schema, ids: IdSource
) -> Result:
    """Apply `operations` to a copy of `tree`; raise `OperationRefused` and change nothing."""
    if not isinstance(operations, list):
        raise OperationRefused("operations: expected a list of operations.")
    work: list[Node] = copy.deepcopy([dict(node) for node in tree])
    changed: dict[int, None] = {}
    for index, operation in enumerate(operations):
        for node_id in _one(work, operation, schema, ids, f"operations[{index}]"):
            changed.setdefault(node_id, None)
    return Result(work, list(changed))


def _one(work: list[Node], operation: Any, schema: Schema, ids: IdSource, at: str) -> list[int]:
    if not isinstance(operation, Mapping):
        raise OperationRefused(f"{at}: expected an object with op, id and value.")
    kind, target = operation.get("op"), operation.get("id")
    if kind not in ("replace", "add", "remove"):
        raise OperationRefused(f"{at}: op must be one of replace, add, remove; got {kind!r}.")
    if type(target) is not int:
        raise OperationRefused(f"{at}: id must be the integer id of a content node.")
    found = locate(work, target)
    if found is None:
        raise OperationRefused(f"{at}: the annotation has no content node {target}.")
    node, parent = found
    if kind == "replace":
        field = schema.get(node["schema_id"]) or {}
        _replace(node, operation.get("value"), field, at)
        return [target]
    if kind == "remove":
        if parent is None or parent.get("category") != "multivalue":
            raise OperationRefused(f"{at}: only a row of a multivalue can be removed.")
        parent["children"] = [child for child in parent["children"] if child is not node]
        return [parent["id"]]
    row = _new_row(node, operation, schema, ids, at)
    node.setdefault("children", []).append(row)
    return [node["id"], *(n["id"] for n, _ in walk([row]))]


def _replace(node: Node, value: Any, field: Mapping[str, Any], at: str) -> None:
    if node.get("category") != "datapoint":
        raise OperationRefused(f"{at}: replace changes datapoints, not a {node.get('category')}.")
    if not isinstance(value, Mapping):
        raise OperationRefused(f"{at}: value must be an object.")
    if "content" in value and value["content"] is not None:
        _replace_content(node, value["content"], field, at)
    if value.get("validation_sources") is not None:
        node["validation_sources"] = _sources(value["validation_sources"], at)
    if "hidden" in value:
        if not isinstance(value["hidden"], bool):
            raise OperationRefused(f"{at}: hidden must be true or false.")
        node["hidden"] = value["hidden"]
    if "options" in value:
        options = value["options"]
        if not isinstance(options, list) or not all(isinstance(o, Mapping) for o in options):
            raise OperationRefused(f"{at}: options must be a list of {{value, label}} objects.")
        node["options"] = copy.deepcopy(options)


def _sources(sources: Any, at: str) -> list[str]:
    if not isinstance(sources, list) or not all(s in VALIDATION_SOURCES for s in sources):
        raise OperationRefused(
            f"{at}: validation_sources must be a list of {sorted(VALIDATION_SOURCES)}."
        )
    return list(sources)


def _replace_content(node: Node, change: Any, field: Mapping[str, Any], at: str) -> None:
    content = node.get("content")
    if not isinstance(change, Mapping):
        raise OperationRefused(f"{at}: content must be an object.")
    if content is None:
        raise OperationRefused(f"{at}: a button datapoint has no content to replace.")
    for key in ("value", "normalized_value"):
        if key in change and not isinstance(change[key], str):
            raise OperationRefused(f"{at}: content.{key} must be a string.")
    if "value" in change:
        computed = normalized_value(change["value"], field)
        given = change.get("normalized_value")
        if given is not None and not _agree(given, computed, field):
            raise OperationRefused(
                f"{at}: value {change['value']!r} does not match normalized_value {given!r}."
            )
        content["value"], content["normalized_value"] = change["value"], computed
    elif "normalized_value" in change:
        given = change["normalized_value"]
        content["value"], content["normalized_value"] = given, normalized_value(given, field)
    if "page" in change:
        content["page"] = change["page"]
    if "position" in change:
        content["position"] = change["position"]


def _agree(given: str, computed: str | None, field: Mapping[str, Any]) -> bool:
    if computed is None:
        return False
    if field.get("type") == "number" and given and computed:
        return same_number(given, computed)
    return given == computed


def _new_row(
    multivalue: Node, operation: Mapping[str, Any], schema: Schema, ids: IdSource, at: str
) -> Node:
    if multivalue.get("category") != "multivalue":
        raise OperationRefused(
            f"{at}: add needs the id of a multivalue, not a {multivalue.get('category')}."
        )
    template = schema.row_of(multivalue["schema_id"])
    if template is None:
        raise OperationRefused(f"{at}: the schema defines no rows for {multivalue['schema_id']!r}.")
    value = operation.get("value")
    is_table = template.get("category") == "tuple"
    given = value if is_table else [value]
    if not isinstance(given, list) or not all(isinstance(cell, Mapping) for cell in given):
        expected = "a list of cells" if is_table else "one datapoint object"
        raise OperationRefused(f"{at}: add value must be {expected}.")
    by_id = {cell["id"]: cell for cell in cells_of(template)}
    row = _empty_row(template, ids)
    slots = {n["schema_id"]: n for n, _ in walk([row]) if n.get("category") == "datapoint"}
    for cell in given:
        schema_id = cell.get("schema_id", None if is_table else template["id"])
        if schema_id not in by_id:
            raise OperationRefused(
                f"{at}: each cell needs a schema_id of the row, one of {sorted(by_id)}."
            )
        rest = {k: v for k, v in cell.items() if k != "schema_id"}
        _replace(slots[schema_id], rest, by_id[schema_id], at)
    if operation.get("validation_sources") is not None:
        sources = _sources(operation["validation_sources"], at)
        for slot in slots.values():
            slot["validation_sources"] = list(sources)
    return row


def _empty_row(template: Mapping[str, Any], ids: IdSource) -> Node:
    if template.get("category") != "tuple":
        return datapoint(template, None, ids=ids, line=0)
    return {
        "id": ids(),
        "category": "tuple",
        "schema_id": template["id"],
        "children": [datapoint(cell, None, ids=ids, line=0) for cell in cells_of(template)],
    }
