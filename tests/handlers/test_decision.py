"""Decision values, their JSON shapes, and the deterministic merge."""

from __future__ import annotations

from handlers.decision import AutomationBlocker, Decision, Message, Operation, error, info, warning
from tests.handlers.conftest import load

DP = {"id": 197467, "schema_id": "document_id"}


def test_message_json_matches_rossum_example() -> None:
    """A datapoint message serialises as in Rossum's documented response example."""
    expected = load("annotation_content_response")["messages"][0]
    message = error("Invalid invoice number format", DP)
    assert message.to_json() == expected
    assert message.schema_id == "document_id"


def test_document_level_message_omits_id() -> None:
    """A message without a datapoint has no `id`, so Rossum shows it on the document."""
    assert warning("check the vendor").to_json() == {
        "type": "warning",
        "content": "check the vendor",
    }
    assert info("x", 5).to_json() == {"type": "info", "content": "x", "id": 5}


def test_message_detail_is_serialised_when_set() -> None:
    """`detail` is passed through as a JSON object."""
    message = Message("info", "vendor matched", id=3, detail={"source": "erp"})
    assert message.to_json() == {
        "type": "info",
        "content": "vendor matched",
        "id": 3,
        "detail": {"source": "erp"},
    }


def test_operation_and_blocker_json() -> None:
    """Operations omit a missing value; blockers omit a missing id (as in Rossum's docs)."""
    assert Operation("remove", 884061).to_json() == {"op": "remove", "id": 884061}
    assert AutomationBlocker.on("PO not found").to_json() == {"content": "PO not found"}
    assert AutomationBlocker.on("Unregistered vendor", {"id": 1357}).to_json() == {
        "id": 1357,
        "content": "Unregistered vendor",
    }


def test_collections_are_frozen_on_construction() -> None:
    """Lists and sets given by a rule are stored as tuples and frozensets."""
    decision = Decision(add_labels={"a"}, messages=[warning("w")], operations=[])
    assert decision.add_labels == frozenset({"a"})
    assert isinstance(decision.add_labels, frozenset)
    assert isinstance(decision.messages, tuple)


def test_label_added_and_removed_in_one_decision_is_added() -> None:
    """Within one decision too, adding wins over removing."""
    decision = Decision(add_labels={"x"}, remove_labels={"x", "y"})
    assert decision.add_labels == {"x"}
    assert decision.remove_labels == {"y"}


def test_label_helper_adds_or_removes() -> None:
    """`Decision.label` adds the label when the condition holds and removes it otherwise."""
    assert Decision.label("expedite", when=True).add_labels == {"expedite"}
    assert Decision.label("expedite", when=False).remove_labels == {"expedite"}


def test_is_empty_ignores_bookkeeping() -> None:
    """Only requested changes make a decision non-empty, not `rules_fired`."""
    assert Decision().is_empty
    assert Decision(rules_fired=("r",)).is_empty
    assert not Decision(remove_labels={"x"}).is_empty
    assert not Decision(annotation_update={"status": "postponed"}).is_empty


def test_merge_label_conflict_add_wins() -> None:
    """When one rule adds a label and another removes it, the label is added."""
    merged = Decision.merge(
        Decision(remove_labels={"vip", "old"}), Decision(add_labels={"vip"}), Decision()
    )
    assert merged.add_labels == {"vip"}
    assert merged.remove_labels == {"old"}


def test_merge_same_datapoint_replaced_twice_earlier_rule_wins() -> None:
    """A second `replace` of one datapoint is dropped; other operations keep rule order."""
    first = Operation("replace", 1, {"content": {"value": "A"}})
    second = Operation("replace", 1, {"content": {"value": "B"}})
    other = Operation("replace", 2, {"content": {"value": "C"}})
    add = Operation("add", 9, [{"schema_id": "item", "content": {"value": "x"}}])
    merged = Decision.merge(
        Decision(operations=[first, add]), Decision(operations=[second, other, add])
    )
    assert [op.to_json() for op in merged.operations] == [
        first.to_json(),
        add.to_json(),
        other.to_json(),
        add.to_json(),
    ]


def test_merge_drops_duplicate_removes_and_messages() -> None:
    """Removing one row twice, or the same message twice, happens once."""
    merged = Decision.merge(
        Decision(operations=[Operation("remove", 5)], messages=[warning("w", 1)]),
        Decision(operations=[Operation("remove", 5)], messages=[warning("w", 1), warning("w", 2)]),
    )
    assert [op.to_json() for op in merged.operations] == [{"op": "remove", "id": 5}]
    assert [m.id for m in merged.messages] == [1, 2]


def test_merge_annotation_update_earlier_wins_per_key_and_metadata_merges() -> None:
    """Annotation updates merge per key with the earlier rule winning, metadata per key."""
    merged = Decision.merge(
        Decision(annotation_update={"status": "postponed", "metadata": {"a": 1}}),
        Decision(annotation_update={"status": "to_review", "metadata": {"a": 2, "b": 3}}),
    )
    assert merged.annotation_update == {"status": "postponed", "metadata": {"a": 1, "b": 3}}


def test_merge_files_response_and_sender() -> None:
    """Files dedupe by document (earlier wins); response merges per key; first sender wins."""
    merged = Decision.merge(
        Decision(files=[{"document": "d1", "prevent_importing": True}], response={"a": 1}),
        Decision(
            files=[{"document": "d1"}, {"document": "d2"}],
            response={"a": 2, "b": 2},
            extracted_original_sender={"email": "a@x"},
        ),
        Decision(extracted_original_sender={"email": "b@x"}),
    )
    assert merged.files == ({"document": "d1", "prevent_importing": True}, {"document": "d2"})
    assert merged.response == {"a": 1, "b": 2}
    assert merged.extracted_original_sender == {"email": "a@x"}


def test_merge_is_deterministic() -> None:
    """Merging the same decisions twice gives equal results, in the same order."""
    decisions = [
        Decision(add_labels={"b", "a"}, messages=[info("1")], rules_fired=("r1",)),
        Decision(remove_labels={"c"}, messages=[info("2")], rules_fired=("r2",)),
    ]
    first, second = Decision.merge(*decisions), Decision.merge(*decisions)
    assert first == second
    assert first.rules_fired == ("r1", "r2")
    assert [m.content for m in first.messages] == ["1", "2"]


def test_content_response_shape() -> None:
    """The content answer holds messages, operations and (optionally) automation blockers."""
    decision = Decision(
        messages=[error("e", 1)],
        operations=[Operation("remove", 2)],
        automation_blockers=[AutomationBlocker("b")],
    )
    assert decision.content_response() == {
        "messages": [{"type": "error", "content": "e", "id": 1}],
        "operations": [{"op": "remove", "id": 2}],
        "automation_blockers": [{"content": "b"}],
    }
    assert "automation_blockers" not in decision.content_response(automation_blockers=False)
