"""Assertions on a Decision that explain what the decision held when they fail.

They raise AssertionError themselves (no reliance on pytest's assert rewriting) and return
the matched item, so a test can look closer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from handlers.decision import AutomationBlocker, Decision, Message, MessageType, Operation


def _show(items: Iterable[Any]) -> str:
    shown = [getattr(i, "to_json", lambda i=i: i)() for i in items]
    return "\n  ".join(map(repr, shown)) or "(none)"


def assert_labels(
    decision: Decision, *, add: Iterable[str] | None = None, remove: Iterable[str] | None = None
) -> None:
    """Assert the exact label sets added and/or removed (a None argument is not checked)."""
    problems = []
    if add is not None and set(decision.add_labels) != set(add):
        problems.append(f"add_labels: expected {sorted(add)}, got {sorted(decision.add_labels)}")
    if remove is not None and set(decision.remove_labels) != set(remove):
        problems.append(
            f"remove_labels: expected {sorted(remove)}, got {sorted(decision.remove_labels)}"
        )
    if problems:
        raise AssertionError("; ".join(problems))


def _message_matches(
    message: Message,
    type: MessageType | None,
    schema_id: str | None,
    contains: str | None,
    document_level: bool | None,
) -> bool:
    return (
        (type is None or message.type == type)
        and (schema_id is None or message.schema_id == schema_id)
        and (contains is None or contains.lower() in message.content.lower())
        and (document_level is None or (message.id is None) == document_level)
    )


def assert_message(
    decision: Decision,
    *,
    type: MessageType | None = None,
    schema_id: str | None = None,
    contains: str | None = None,
    document_level: bool | None = None,
) -> Message:
    """Assert exactly one message matches (type, datapoint schema id, text, document-level)."""
    found = [
        m
        for m in decision.messages
        if _message_matches(m, type, schema_id, contains, document_level)
    ]
    if len(found) != 1:
        wanted = {"type": type, "schema_id": schema_id, "contains": contains}
        raise AssertionError(
            f"expected one message matching {wanted}, found {len(found)}; messages:\n  "
            + _show(decision.messages)
        )
    return found[0]


def assert_no_messages(decision: Decision, *, type: MessageType | None = None) -> None:
    """Assert the decision holds no message (of `type`, if given)."""
    found = [m for m in decision.messages if type is None or m.type == type]
    if found:
        raise AssertionError(f"expected no {type or ''} messages, got:\n  " + _show(found))


def replaced_values(decision: Decision) -> dict[str, Any]:
    """Return `{schema_id: new value}` for every `replace` operation built with a node."""
    return {
        op.schema_id or str(op.id): op.value["content"].get("value")
        for op in decision.operations
        if op.op == "replace"
    }


def assert_replaced(decision: Decision, schema_id: str, value: str) -> Operation:
    """Assert one `replace` sets the datapoint `schema_id` to `value`."""
    found = [o for o in decision.operations if o.op == "replace" and o.schema_id == schema_id]
    if len(found) != 1 or found[0].value["content"].get("value") != value:
        raise AssertionError(
            f"expected one replace of {schema_id!r} to {value!r}; operations:\n  "
            + _show(decision.operations)
        )
    return found[0]


def assert_no_operations(decision: Decision) -> None:
    """Assert the decision changes no content."""
    if decision.operations:
        raise AssertionError("expected no operations, got:\n  " + _show(decision.operations))


def assert_blocker(decision: Decision, *, contains: str | None = None) -> AutomationBlocker:
    """Assert exactly one automation blocker (whose text contains `contains`, if given)."""
    found = [
        b
        for b in decision.automation_blockers
        if contains is None or contains.lower() in b.content.lower()
    ]
    if len(found) != 1:
        raise AssertionError(
            f"expected one automation blocker containing {contains!r}, got:\n  "
            + _show(decision.automation_blockers)
        )
    return found[0]


def assert_empty(decision: Decision) -> None:
    """Assert the decision asks for nothing at all."""
    if not decision.is_empty:
        raise AssertionError(f"expected an empty decision, got {decision!r}")
