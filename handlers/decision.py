"""What rules decide, as frozen values the service carries out.

A rule returns a `Decision`; the router merges the decisions of every rule that ran with
`Decision.merge`, which is deterministic (see its docstring for the conflict rules).
`Message`, `Operation` and `AutomationBlocker` serialise to the JSON shapes of Rossum's
"Annotation content event response format" (API reference, `#webhook-extension`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, fields, replace
from typing import Any, Literal, TypeVar

MessageType = Literal["error", "warning", "info"]
Target = Mapping[str, Any] | int | None
T = TypeVar("T")


def _target(datapoint: Target) -> tuple[int | None, str | None]:
    """Return `(id, schema_id)` of a datapoint node, a bare id, or None (document-level)."""
    if datapoint is None or isinstance(datapoint, int):
        return datapoint, None
    return datapoint.get("id"), datapoint.get("schema_id")


@dataclass(frozen=True, slots=True)
class Message:
    """A message shown in the validation screen, on a datapoint or (id None) the document.

    `schema_id` is informational (tests, logs) and is not sent to Rossum.
    """

    type: MessageType
    content: str
    id: int | None = None
    detail: Mapping[str, Any] | None = None
    schema_id: str | None = field(default=None, compare=False)

    @classmethod
    def on(cls, type: MessageType, content: str, datapoint: Target = None) -> Message:
        """Build a message attached to `datapoint` (a node or an id), or the document if None."""
        id_, schema_id = _target(datapoint)
        return cls(type=type, content=content, id=id_, schema_id=schema_id)

    def to_json(self) -> dict[str, Any]:
        """Return the message as Rossum expects it in `messages`."""
        out: dict[str, Any] = {"type": self.type, "content": self.content}
        if self.id is not None:
            out["id"] = self.id
        if self.detail is not None:
            out["detail"] = dict(self.detail)
        return out


def error(content: str, datapoint: Target = None) -> Message:
    """Build an `error` message (blocks confirmation and automation)."""
    return Message.on("error", content, datapoint)


def warning(content: str, datapoint: Target = None) -> Message:
    """Build a `warning` message."""
    return Message.on("warning", content, datapoint)


def info(content: str, datapoint: Target = None) -> Message:
    """Build an `info` message."""
    return Message.on("info", content, datapoint)


@dataclass(frozen=True, slots=True)
class Operation:
    """A content operation (`replace`, `add` or `remove`) on the annotation's content tree.

    Build them with `handlers.content.replace/add_row/remove`; `schema_id` is informational.
    """

    op: Literal["replace", "add", "remove"]
    id: int
    value: Any = None
    schema_id: str | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, Any]:
        """Return the operation as Rossum expects it in `operations`."""
        out: dict[str, Any] = {"op": self.op, "id": self.id}
        if self.value is not None:
            out["value"] = self.value
        return out


@dataclass(frozen=True, slots=True)
class AutomationBlocker:
    """An `extension` automation blocker (honoured on `annotation_content.initialize`)."""

    content: str
    id: int | None = None

    @classmethod
    def on(cls, content: str, datapoint: Target = None) -> AutomationBlocker:
        """Build a blocker attached to `datapoint` (a node or an id), or the document if None."""
        return cls(content=content, id=_target(datapoint)[0])

    def to_json(self) -> dict[str, Any]:
        """Return the blocker as Rossum expects it in `automation_blockers`."""
        return (
            {"content": self.content}
            if self.id is None
            else {"id": self.id, "content": self.content}
        )


@dataclass(frozen=True, slots=True)
class RuleFailure:
    """A rule that raised during dispatch; the service logs it."""

    rule: str
    error_type: str
    error: str


_SEQUENCES = (
    "operations",
    "messages",
    "automation_blockers",
    "files",
    "additional_files",
    "rules_fired",
    "errors",
)


@dataclass(frozen=True, slots=True)
class Decision:
    """Everything the rules decided for one delivery; empty by default.

    Collections may be given as lists or sets; they are stored as frozensets (labels) and
    tuples (the rest). A label both added and removed is added (see `merge`).
    """

    add_labels: AbstractSet[str] = frozenset()
    remove_labels: AbstractSet[str] = frozenset()
    operations: Sequence[Operation] = ()
    messages: Sequence[Message] = ()
    automation_blockers: Sequence[AutomationBlocker] = ()
    annotation_update: Mapping[str, Any] = field(default_factory=dict)
    files: Sequence[Mapping[str, Any]] = ()
    additional_files: Sequence[Mapping[str, Any]] = ()
    extracted_original_sender: Mapping[str, Any] | None = None
    response: Mapping[str, Any] | None = None
    rules_fired: Sequence[str] = ()
    errors: Sequence[RuleFailure] = ()

    def __post_init__(self) -> None:
        for name in ("add_labels", "remove_labels"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
        for name in _SEQUENCES:
            object.__setattr__(self, name, tuple(getattr(self, name)))
        object.__setattr__(self, "annotation_update", dict(self.annotation_update))
        object.__setattr__(self, "remove_labels", self.remove_labels - self.add_labels)

    @classmethod
    def label(cls, name: str, *, when: bool) -> Decision:
        """Add label `name` when the condition holds, otherwise remove it."""
        return cls(add_labels={name}) if when else cls(remove_labels={name})

    @property
    def is_empty(self) -> bool:
        """Tell whether the decision asks for nothing (bookkeeping fields aside)."""
        return not any(
            getattr(self, f.name) for f in fields(self) if f.name not in ("rules_fired", "errors")
        )

    def with_rule(self, name: str) -> Decision:
        """Return this decision recorded as fired by rule `name` (unless it is empty)."""
        return self if self.is_empty else replace(self, rules_fired=(*self.rules_fired, name))

    @classmethod
    def merge(cls, *decisions: Decision) -> Decision:
        """Merge decisions in rule order, deterministically.

        - labels: union of adds and of removes; a label both added and removed is **added**
          (a label stays if any rule wants it).
        - operations: concatenated in rule order, but at most one `replace` and one `remove`
          per datapoint id: **the earlier rule wins**, later ones are dropped. `add` is kept.
        - messages, automation blockers, files: concatenated, exact duplicates dropped
          (files: the earlier entry per `document`/`id` wins).
        - annotation_update and response: merged per key, the earlier rule winning per key;
          `metadata` inside annotation_update is itself merged per key the same way.
        - extracted_original_sender: the first one set wins.
        - rules_fired and errors: concatenated.
        """
        if len(decisions) == 1:
            return decisions[0]
        return cls(
            add_labels=frozenset().union(*(d.add_labels for d in decisions)),
            remove_labels=frozenset().union(*(d.remove_labels for d in decisions)),
            operations=_merge_operations(op for d in decisions for op in d.operations),
            messages=_unique((m for d in decisions for m in d.messages), key=_json_key),
            automation_blockers=_unique(
                (b for d in decisions for b in d.automation_blockers), key=_json_key
            ),
            annotation_update=_merge_update(d.annotation_update for d in decisions),
            files=_unique((f for d in decisions for f in d.files), key=_file_key),
            additional_files=_unique(
                (f for d in decisions for f in d.additional_files), key=_file_key
            ),
            extracted_original_sender=next(
                (d.extracted_original_sender for d in decisions if d.extracted_original_sender),
                None,
            ),
            response=_merge_first_wins(d.response for d in decisions if d.response is not None),
            rules_fired=tuple(r for d in decisions for r in d.rules_fired),
            errors=tuple(e for d in decisions for e in d.errors),
        )

    def content_response(self, *, automation_blockers: bool = True) -> dict[str, Any]:
        """Return the `annotation_content` answer: messages, operations, automation blockers."""
        out: dict[str, Any] = {
            "messages": [m.to_json() for m in self.messages],
            "operations": [op.to_json() for op in self.operations],
        }
        if automation_blockers:
            out["automation_blockers"] = [b.to_json() for b in self.automation_blockers]
        return out


def _unique(items: Iterable[T], *, key: Callable[[T], Hashable]) -> tuple[T, ...]:
    seen: set[Hashable] = set()
    out: list[T] = []
    for item in items:
        k = key(item)
        if k not in seen:
            seen.add(k)
            out.append(item)
    return tuple(out)


def _merge_operations(operations: Iterable[Operation]) -> tuple[Operation, ...]:
    seen: set[tuple[str, int]] = set()
    out: list[Operation] = []
    for op in operations:
        if op.op != "add":  # every add appends a row: all of them are kept
            if (op.op, op.id) in seen:
                continue
            seen.add((op.op, op.id))
        out.append(op)
    return tuple(out)


def _json_key(item: Message | AutomationBlocker) -> str:
    return json.dumps(item.to_json(), sort_keys=True, default=str)


def _file_key(item: Mapping[str, Any]) -> str:
    ref = item.get("document") or item.get("id")
    return f"ref:{ref}" if ref is not None else json.dumps(item, sort_keys=True, default=str)


def _merge_first_wins(mappings: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    merged: dict[str, Any] | None = None
    for mapping in mappings:
        merged = {**mapping, **(merged or {})}
    return merged


def _merge_update(updates: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    for update in updates:
        for key, value in update.items():
            if key == "metadata" and isinstance(value, Mapping):
                metadata = {**value, **metadata}
            else:
                merged.setdefault(key, value)
    if metadata:
        merged["metadata"] = metadata
    return merged
