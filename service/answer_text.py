"""A hook's answer as a few readable lines (for `hook test` and `send`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from handlers.content import walk


def schema_ids(payload: Mapping[str, Any]) -> dict[int, str]:
    """Return datapoint id -> schema_id of the content tree a payload carries (if any)."""
    annotation = payload.get("annotation")
    tree = annotation.get("content") if isinstance(annotation, Mapping) else None
    if not isinstance(tree, list):
        return {}
    return {n["id"]: str(n.get("schema_id")) for n in walk(tree) if isinstance(n.get("id"), int)}


def _target(node_id: Any, names: Mapping[int, str]) -> str:
    if node_id is None:
        return ""
    name = names.get(node_id) if isinstance(node_id, int) else None
    return f" on {name} ({node_id})" if name else f" on datapoint {node_id}"


def describe_answer(answer: Any, names: Mapping[int, str] | None = None) -> str:
    """Return a hook answer as text: messages, operations, blockers, then the raw JSON.

    `names` (datapoint id -> schema_id, see `schema_ids`) says which field each one is on.
    """
    names = names or {}
    lines = []
    if isinstance(answer, Mapping):
        for message in answer.get("messages") or []:
            where = _target(message.get("id"), names)
            lines.append(f"message {message.get('type')}{where}: {message.get('content')}")
        for operation in answer.get("operations") or []:
            value = operation.get("value")
            shown = json.dumps(value.get("content", value) if isinstance(value, Mapping) else value)
            where = _target(operation.get("id"), names)
            lines.append(f"operation {operation.get('op')}{where}: {shown}")
        for blocker in answer.get("automation_blockers") or []:
            lines.append(f"automation blocker: {blocker.get('content')}")
    lines.append(f"answer: {json.dumps(answer, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"
