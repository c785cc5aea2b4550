"""The answer sent back to Rossum for each event, built from a Decision."""

from __future__ import annotations

from handlers.decision import AutomationBlocker, Decision, Operation, error
from handlers.responses import build_response
from handlers.testing import (
    build_content_event,
    build_email_event,
    build_invocation_event,
    build_status_event,
    build_upload_event,
)
from tests.handlers.conftest import load

DECISION = Decision(
    messages=[error("bad", 1)],
    operations=[Operation("remove", 2)],
    automation_blockers=[AutomationBlocker("stop")],
    add_labels={"x"},
)


def test_content_answer_has_blockers_only_on_initialize() -> None:
    """Content events answer messages and operations; blockers only on `initialize`."""
    initialize = build_response(build_content_event("initialize"), DECISION)
    updated = build_response(build_content_event("updated"), DECISION)
    assert initialize == {
        "messages": [{"type": "error", "content": "bad", "id": 1}],
        "operations": [{"op": "remove", "id": 2}],
        "automation_blockers": [{"content": "stop"}],
    }
    assert updated == {
        "messages": [{"type": "error", "content": "bad", "id": 1}],
        "operations": [{"op": "remove", "id": 2}],
    }


def test_empty_content_answer_is_still_well_formed() -> None:
    """With nothing decided, a content event still gets empty messages and operations."""
    assert build_response(build_content_event("started"), Decision()) == {
        "messages": [],
        "operations": [],
    }


def test_upload_answer_lists_files_only_when_decided() -> None:
    """Upload events answer `files` when rules set them, else an empty object."""
    event = build_upload_event()
    files = [{"document": "https://x/api/v1/documents/1", "prevent_importing": True}]
    assert build_response(event, Decision(files=files)) == {"files": files}
    assert build_response(event, Decision()) == {}


def test_email_answer_matches_rossums_example() -> None:
    """Email events answer files, additional files and sender as set, like Rossum's example."""
    example = load("email_received_response")
    decision = Decision(files=example["files"], additional_files=example["additional_files"])
    assert build_response(build_email_event(), decision) == example
    sender = {"email": "ap@vendor.example", "name": "Vendor AP"}
    assert build_response(build_email_event(), Decision(extracted_original_sender=sender)) == {
        "extracted_original_sender": sender
    }


def test_invocation_and_status_answers() -> None:
    """Manual invocations answer the rules' response; other events answer `{}`."""
    assert build_response(build_invocation_event("manual"), Decision(response={"ok": 1})) == {
        "ok": 1
    }
    assert build_response(build_invocation_event("manual"), Decision()) == {}
    assert build_response(build_invocation_event("scheduled"), Decision(response={"a": 1})) == {}
    assert build_response(build_status_event(), DECISION) == {}
