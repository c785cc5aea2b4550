"""Annotation content trees (built by `handlers.tree`), changed by Rossum's content operations.

Operations follow "Bulk update annotation data": `replace` (datapoints only; `value`,
`normalized_value`, `position`, `page`, `validation_sources`, `hidden`, `options`), `add`
(append a row to a multivalue), `remove` (only children of a multivalue).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from handlers.normalize import normalize, same_normalized
from handlers.tree import Node

VALIDATION_SOURCES = frozenset(
    {"score", "checks", "not_found", "data_matching", "history", "connector"}
    | {"table_suggester", "rules", "human", "non_required", "NA"}
)


class InvalidOperation(ValueError):
    """An operation that Rossum would refuse; the message names the operation and why."""


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
