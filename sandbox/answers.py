"""What Rossum does with a hook's answer to an `annotation_content` event.

API reference, "Annotation content event response format": on a 2xx answer, `operations` are
applied to the annotation data, `messages` are shown, and (`initialize`) `automation_blockers`
create blockers of type `extension`. On a non-2xx answer operations are ignored but messages
are still taken. Messages are kept per hook, and each new answer of a hook replaces that hook's
earlier messages, as a re-validation does. Rossum attaches `detail` (hook id and name, request
id, timestamp, `is_exception` for a failed call) to each message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sandbox import operations as content_operations
from sandbox.content_tree import Schema, locate
from sandbox.store import Record, Store

MESSAGE_TYPES = frozenset({"error", "warning", "info"})


@dataclass
class Outcome:
    """What an answer changed on the annotation."""

    operations_applied: int = 0
    changed_ids: list[int] = field(default_factory=list)
    messages: int = 0
    error_messages: int = 0
    automation_blockers: int = 0
    problems: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """Return the outcome for the deliveries listing."""
        return {
            "operations_applied": self.operations_applied,
            "changed_datapoints": list(self.changed_ids),
            "messages": self.messages,
            "error_messages": self.error_messages,
            "automation_blockers": self.automation_blockers,
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class AnswerContext:
    """The delivery an answer belongs to."""

    hook: Record
    request_id: str
    timestamp: str
    ok: bool
    failure: str | None = None


def _message(
    ctx: AnswerContext, *, type_: str, content: str, datapoint: Any = None, extra: Any = None
) -> dict[str, Any]:
    detail = {
        **(extra if isinstance(extra, Mapping) else {}),
        "hook_id": ctx.hook["id"],
        "hook_name": ctx.hook["name"],
        "request_id": ctx.request_id,
        "timestamp": ctx.timestamp,
        "is_exception": not ctx.ok,
    }
    return {"id": datapoint, "type": type_, "content": content[:4096], "detail": detail}


def hook_messages(answer: Any, ctx: AnswerContext, outcome: Outcome) -> list[dict[str, Any]]:
    """Return the valid `messages` of an answer with Rossum's `detail` (plus one on failure)."""
    raw = answer.get("messages") if isinstance(answer, Mapping) else None
    kept: list[dict[str, Any]] = []
    for index, message in enumerate(raw if isinstance(raw, list) else []):
        valid = (
            isinstance(message, Mapping)
            and message.get("type") in MESSAGE_TYPES
            and isinstance(message.get("content"), str)
        )
        if not valid:
            outcome.problems.append(f"messages[{index}] ignored: needs type and content")
            continue
        kept.append(
            _message(
                ctx,
                type_=message["type"],
                content=message["content"],
                datapoint=message.get("id"),
                extra=message.get("detail"),
            )
        )
    if not ctx.ok and not kept:
        failure = f"Extension {ctx.hook['name']!r} failed: {ctx.failure}."
        kept.append(_message(ctx, type_="error", content=failure))
    return kept


def apply_content_answer(store: Store, ann: Record, answer: Any, ctx: AnswerContext) -> Outcome:
    """Apply a hook's answer to annotation `ann` and say what changed."""
    outcome = Outcome()
    messages = hook_messages(answer, ctx, outcome)
    if ctx.ok and isinstance(answer, Mapping):
        _apply_operations(store, ann, answer.get("operations"), ctx, outcome, messages)
        _apply_blockers(store, ann, answer.get("automation_blockers"), outcome)
    ann["hook_messages"][ctx.hook["id"]] = messages
    outcome.messages = len(messages)
    outcome.error_messages = sum(1 for m in messages if m["type"] == "error")
    return outcome


def _apply_operations(
    store: Store,
    ann: Record,
    operations: Any,
    ctx: AnswerContext,
    outcome: Outcome,
    messages: list[dict[str, Any]],
) -> None:
    if not operations:
        return
    schema = Schema(store.get("schemas", ann["schema"])["content"])
    tree = store.contents.get(ann["id"], [])
    try:
        result = content_operations.apply(
            tree, operations, schema=schema, ids=lambda: store.new_id("datapoints")
        )
    except content_operations.OperationRefused as exc:
        # All or nothing, and visible: the hook author sees why in the annotation's messages.
        outcome.problems.append(f"operations refused: {exc}")
        content = f"Extension {ctx.hook['name']!r} returned invalid operations: {exc}"
        messages.append(_message(ctx, type_="error", content=content))
        return
    store.contents[ann["id"]] = result.tree
    outcome.operations_applied = len(operations)
    outcome.changed_ids = result.changed


def _apply_blockers(store: Store, ann: Record, blockers: Any, outcome: Outcome) -> None:
    if not isinstance(blockers, list) or not blockers:
        return
    tree = store.contents.get(ann["id"], [])
    entries = []
    for index, blocker in enumerate(blockers):
        if not isinstance(blocker, Mapping) or not isinstance(blocker.get("content"), str):
            outcome.problems.append(f"automation_blockers[{index}] ignored: needs content")
            continue
        entries.append(_blocker_entry(tree, blocker))
    if not entries:
        return
    record = store.find("automation_blockers", ann.get("automation_blocker") or 0)
    if record is None:
        record = store.add("automation_blockers", {"annotation": ann["id"], "content": []})
        ann["automation_blocker"] = record["id"]
    record["content"].extend(entries)
    outcome.automation_blockers = len(entries)


def _blocker_entry(tree: list[Record], blocker: Mapping[str, Any]) -> dict[str, Any]:
    details = {"content": [blocker["content"]]}
    datapoint_id = blocker.get("id")
    found = locate(tree, datapoint_id) if isinstance(datapoint_id, int) else None
    if found is None:
        return {"level": "annotation", "type": "extension", "details": details}
    return {
        "level": "datapoint",
        "type": "extension",
        "schema_id": found[0]["schema_id"],
        "samples": [{"datapoint_id": datapoint_id, "details": details}],
    }
