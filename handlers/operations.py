"""Apply content operations to a tree the way Rossum does, without Rossum.

For tests (the next delivery after a decision, see `handlers.testing.after`) and for
stand-ins of the API's `POST /annotations/{id}/content/operations`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, cast

from handlers.content import Node, date_of, parse_number, walk
from handlers.decision import Operation

_NULLISH = (None, "", "None", "null")


def apply_operations(
    content: Sequence[Node], operations: Iterable[Operation], *, new_id: Callable[[], int]
) -> list[dict[str, Any]]:
    """Return a copy of the tree with the operations applied, as Rossum would apply them.

    `new_id` mints ids for nodes created by `add`. Unknown ids raise KeyError.
    """
    tree: list[dict[str, Any]] = copy.deepcopy([dict(n) for n in content])
    parents = {id(c): n for n in walk(tree) for c in n.get("children") or ()}
    index = {n["id"]: cast(dict[str, Any], n) for n in walk(tree) if "id" in n}
    for op in operations:
        node = index.get(op.id)
        if node is None:
            raise KeyError(f"operation {op.op!r} targets unknown node id {op.id}")
        if op.op == "replace":
            _apply_replace(node, op.value or {})
        elif op.op == "remove":
            parents[id(node)]["children"].remove(node)
        else:
            node.setdefault("children", []).append(_new_row(node, op.value, new_id))
    return tree


def _apply_replace(node: dict[str, Any], value: Mapping[str, Any]) -> None:
    old = dict(node.get("content") or {})
    new = dict(value.get("content") or {})
    if "value" in new and "normalized_value" not in new:
        new["normalized_value"] = _renormalize(old.get("normalized_value"), str(new["value"]))
    node["content"] = {**old, **new}
    for key in ("validation_sources", "hidden", "options"):
        if key in value:
            node[key] = value[key]


def _renormalize(previous: Any, value: str) -> str:
    """Normalise a new value the way the previous `normalized_value` was (number, date, text)."""
    if previous in _NULLISH or value.strip() == "":
        return value.strip()
    previous = str(previous)
    if _looks_like_date(previous):
        parsed = date_of({"content": {"value": value}})
        return parsed.isoformat() if parsed else ""
    if parse_number(previous) is not None and re.fullmatch(r"-?\d+(\.\d+)?", previous):
        number = parse_number(value)
        return str(number) if number is not None else ""
    return value


def _looks_like_date(text: str) -> bool:
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) is not None


def _new_row(multivalue: Node, cells: Any, new_id: Callable[[], int]) -> dict[str, Any]:
    def datapoint(cell: Mapping[str, Any]) -> dict[str, Any]:
        content = {"normalized_value": cell.get("content", {}).get("value"), **cell["content"]}
        return {**cell, "id": new_id(), "category": "datapoint", "content": content}

    if isinstance(cells, Mapping):  # a simple multivalue: one datapoint
        return datapoint(cells)
    template = multivalue.get("children") or [{}]
    row_schema_id = template[0].get("schema_id") if template else None
    return {
        "id": new_id(),
        "schema_id": row_schema_id,
        "category": "tuple",
        "children": [datapoint(c) for c in cells],
    }
