"""All shipped rules together, on built invoices and on recorded payloads."""

from __future__ import annotations

from typing import Any

from handlers.events import AnnotationContentEvent, parse_event
from handlers.responses import build_response
from handlers.rules import router
from handlers.testing import (
    CLEAN_INVOICE,
    assert_labels,
    assert_message,
    assert_no_messages,
    assert_no_operations,
    build_content_event,
)
from tests.handlers.conftest import load_bytes

LABELS = {"expedite", "missing-po", "due-soon"}


def test_clean_invoice_gets_no_labels_messages_or_operations(
    invoice_event: AnnotationContentEvent,
) -> None:
    """An invoice no rule objects to only has the rules' labels removed."""
    decision = router.dispatch(invoice_event)
    assert_labels(decision, add=set(), remove=LABELS)
    assert_no_messages(decision)
    assert_no_operations(decision)


def test_problem_invoice_on_initialize() -> None:
    """Every rule contributes on an invoice with all the problems at once."""
    event = build_content_event(
        "initialize",
        fields={
            **CLEAN_INVOICE["fields"],
            "amount_total": "25000.00",
            "order_id": "",
            "date_due": "2024-05-02",
            "currency": "EUR",
        },
        line_items=CLEAN_INVOICE["line_items"],
    )
    decision = router.dispatch(event)
    assert_labels(decision, add=LABELS, remove=set())
    assert_message(decision, type="error", schema_id="amount_total")
    assert_message(decision, type="warning", schema_id="order_id")
    answer = build_response(event, decision)
    assert [op["op"] for op in answer["operations"]] == ["replace"]
    assert len(answer["automation_blockers"]) == 1
    assert set(decision.rules_fired) == {
        "normalise",
        "totals",
        "expedite",
        "missing_po",
        "due_soon",
    }


def test_rules_do_not_run_on_export() -> None:
    """On `export` (where an error fails the export) the shipped rules stay silent."""
    decision = router.dispatch(build_content_event("export", fields={"order_id": ""}))
    assert decision.is_empty
    assert decision.rules_fired == ()


def test_recorded_docs_payload() -> None:
    """Rossum's documented `updated` example: no PO field, no total: labels removed, one warning."""
    event = parse_event(load_bytes("annotation_content_updated"))
    decision = router.dispatch(event)
    assert_labels(decision, add={"missing-po"}, remove={"expedite", "due-soon"})
    assert_message(decision, type="warning", document_level=True)


def test_legacy_recording(legacy_payload: dict[str, Any]) -> None:
    """The 2020-era `user_update` recording is handled like `updated`; `czk` is already an
    option value of the standard schema's currency enum, so only the id is trimmed."""
    decision = router.dispatch(parse_event(legacy_payload))
    assert_labels(decision, add={"expedite", "missing-po"}, remove={"due-soon"})
    assert {op.schema_id: op.value["content"]["value"] for op in decision.operations} == {
        "document_id": "2020-0117",
    }
