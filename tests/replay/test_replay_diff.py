"""Comparing a replayed answer with the recorded one (pure)."""

from __future__ import annotations

from typing import Any

import pytest

from replay.diff import (
    Comparison,
    Observed,
    compact,
    compare,
    describe_call,
    label_lines,
    message_lines,
    operation_lines,
)

WARNING = {"type": "warning", "content": "Purchase order missing", "id": 1001}
ERROR = {"type": "error", "content": "Totals do not match"}
REPLACE = {"op": "replace", "id": 1002, "value": {"content": {"value": "EUR"}}}
APPLY = {"call": "apply_labels", "annotation": "https://x.rossum.app/api/v1/annotations/1"}


def _content(messages: list[Any], operations: list[Any] | None = None) -> dict[str, Any]:
    return {"messages": messages, "operations": operations or [], "automation_blockers": []}


def _by_aspect(comparison: Comparison) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    return {d.aspect: (d.recorded, d.new) for d in comparison.differences}


def test_identical_results_are_same() -> None:
    """Same status, answer and label calls: no differences."""
    calls = [{**APPLY, "add": ["expedite"], "remove": []}]
    recorded = Observed(200, _content([WARNING], [REPLACE]), calls)
    result = compare(recorded, Observed(200, _content([WARNING], [REPLACE]), list(calls)))
    assert result.same and result.labels_compared


def test_message_order_does_not_matter() -> None:
    """Messages are compared as a multiset: reordering is not a change."""
    recorded = Observed(200, _content([WARNING, ERROR]))
    assert compare(recorded, Observed(200, _content([ERROR, WARNING]))).same


def test_changed_message_is_reported_readably() -> None:
    """A new message and a vanished one appear as + and - lines naming type and place."""
    recorded = Observed(200, _content([WARNING]))
    new = Observed(200, _content([ERROR]))
    diff = _by_aspect(compare(recorded, new))
    assert diff == {
        "messages": (
            ('warning on datapoint 1001: "Purchase order missing"',),
            ('error on document: "Totals do not match"',),
        )
    }


def test_changed_operation_value_is_reported() -> None:
    """A replace with a different value shows the old and the new value."""
    other = {"op": "replace", "id": 1002, "value": {"content": {"value": "USD"}}}
    diff = _by_aspect(
        compare(Observed(200, _content([], [REPLACE])), Observed(200, _content([], [other])))
    )
    assert diff["operations"] == (('replace 1002 with "EUR"',), ('replace 1002 with "USD"',))


def test_label_changes_come_from_the_calls() -> None:
    """Labels added or removed through apply_labels are compared by name."""
    recorded = Observed(200, {}, [{**APPLY, "add": ["expedite"], "remove": []}])
    new = Observed(200, {}, [{**APPLY, "add": [], "remove": ["expedite"]}])
    diff = _by_aspect(compare(recorded, new))
    assert diff == {"labels": (("add expedite",), ("remove expedite",))}


def test_labels_are_not_compared_when_calls_are_unknown() -> None:
    """Without recorded calls (imported hook logs) only the answer is compared."""
    recorded = Observed(200, {}, None)
    new = Observed(200, {}, [{**APPLY, "add": ["expedite"], "remove": []}])
    result = compare(recorded, new)
    assert result.same and not result.labels_compared


def test_reads_do_not_count_as_changes() -> None:
    """A label list read or a label creation is not a change in what the delivery did."""
    recorded = Observed(
        200, {}, [{"call": "list_labels"}, {"call": "create_new_label", "name": "x"}]
    )
    assert compare(recorded, Observed(200, {}, [])).same


def test_annotation_updates_are_compared() -> None:
    """A different annotation update sent through the API is a change."""
    old = [{"call": "update_part_annotation", "annotation_id": 1, "data": {"status": "postponed"}}]
    new = [{"call": "update_part_annotation", "annotation_id": 1, "data": {"status": "rejected"}}]
    diff = _by_aspect(compare(Observed(200, {}, old), Observed(200, {}, new)))
    assert diff["updates"] == (
        ('update_part_annotation {"data":{"status":"postponed"}}',),
        ('update_part_annotation {"data":{"status":"rejected"}}',),
    )


def test_status_change_is_reported() -> None:
    """A different HTTP status is a change of its own."""
    recorded = Observed(200, {"messages": [], "operations": []})
    new = Observed(503, {"detail": "slow", "code": "deadline_exceeded"})
    diff = _by_aspect(compare(recorded, new))
    assert diff["status"] == (("status 200",), ("status 503",))


@pytest.mark.parametrize(
    ("new_detail", "new_code", "same"),
    [
        pytest.param("reworded", "invalid_signature", True, id="detail-reworded"),
        pytest.param("signature ok", "base_url_not_allowed", False, id="code-changed"),
    ],
)
def test_error_answers_compare_by_code(new_detail: str, new_code: str, same: bool) -> None:
    """Error answers are the same when their code is, whatever the prose says."""
    recorded = Observed(401, {"detail": "missing header", "code": "invalid_signature"})
    new = Observed(401, {"detail": new_detail, "code": new_code})
    assert compare(recorded, new).same is same


def test_other_answer_keys_are_compared() -> None:
    """Keys besides messages and operations (e.g. automation blockers) are compared too."""
    blocker = {"content": "Check the vendor", "id": 7}
    recorded = Observed(200, {**_content([]), "automation_blockers": [blocker]})
    diff = _by_aspect(compare(recorded, Observed(200, _content([]))))
    assert diff == {
        "answer.automation_blockers": (('[{"content":"Check the vendor","id":7}]',), ("[]",))
    }


def test_non_object_answers_are_compared_whole() -> None:
    """A text or empty answer is compared as a whole."""
    diff = _by_aspect(compare(Observed(500, "oops"), Observed(500, None)))
    assert diff == {"answer": (('"oops"',), ("null",))}


def test_line_helpers_render_every_shape() -> None:
    """Messages with detail, add/remove operations and label calls all render on one line."""
    detailed = {**WARNING, "detail": {"hook": 5}}
    assert message_lines([detailed, "junk"]) == [
        'warning on datapoint 1001: "Purchase order missing" detail={"hook":5}'
    ]
    add = {"op": "add", "id": 7, "value": [{"schema_id": "item_code"}]}
    assert operation_lines([add, {"op": "remove", "id": 9}]) == [
        'add 7 [{"schema_id":"item_code"}]',
        "remove 9",
    ]
    assert label_lines([{**APPLY, "add": ["a"], "remove": ["b"]}]) == ["add a", "remove b"]
    assert describe_call({"call": "list_labels"}) == "list_labels"
    assert compact("x" * 500, limit=10) == '"xxxxxxxx…'
