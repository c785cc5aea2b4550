"""Checks on a schema's `content` (API reference, "Document Schema") before it is stored."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.errors import bad_request

DATAPOINT_TYPES = frozenset({"string", "number", "date", "enum", "button"})


def check_schema_content(content: Any) -> None:
    """Raise 400 naming the first node that is not a valid schema node."""
    if not isinstance(content, list):
        raise bad_request("content: expected a list of sections.")
    seen: set[str] = set()
    for index, section in enumerate(content):
        where = f"content[{index}]"
        if not isinstance(section, Mapping) or section.get("category") != "section":
            raise bad_request(f"{where}: top-level nodes must be sections.")
        _check_node(section, where, seen, allowed={"section"})


def _check_node(node: Any, where: str, seen: set[str], *, allowed: set[str]) -> None:
    if not isinstance(node, Mapping):
        raise bad_request(f"{where}: expected an object.")
    category, schema_id = node.get("category"), node.get("id")
    if category not in allowed:
        raise bad_request(
            f"{where}: category {category!r} not allowed here; expected {sorted(allowed)}."
        )
    if not isinstance(schema_id, str) or not schema_id:
        raise bad_request(f"{where}: id must be a non-empty string.")
    if schema_id in seen:
        raise bad_request(f"{where}: duplicate schema id {schema_id!r}.")
    seen.add(schema_id)
    children = node.get("children")
    if category == "datapoint":
        if node.get("type", "string") not in DATAPOINT_TYPES:
            raise bad_request(f"{where}: type must be one of {sorted(DATAPOINT_TYPES)}.")
    elif category == "multivalue":
        _check_node(children, f"{where}.children", seen, allowed={"tuple", "datapoint"})
    else:
        if not isinstance(children, list):
            raise bad_request(f"{where}: children must be a list.")
        inner = {"datapoint"} if category == "tuple" else {"datapoint", "multivalue"}
        for index, child in enumerate(children):
            _check_node(child, f"{where}.children[{index}]", seen, allowed=inner)
