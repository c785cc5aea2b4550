"""The `missing_po` rule: label and warn while the purchase order number is empty."""

from __future__ import annotations

import pytest

from handlers.rules.missing_po import missing_po
from handlers.testing import (
    assert_labels,
    assert_message,
    assert_no_messages,
    build_content_event,
)


@pytest.mark.parametrize("order_id", ["", "   ", "None"], ids=["empty", "blank", "none-string"])
def test_empty_po_is_labelled_and_warned_on_the_field(order_id: str) -> None:
    """An empty PO adds `missing-po` and a warning on the `order_id` datapoint."""
    event = build_content_event(fields={"order_id": order_id})
    decision = missing_po(event)
    assert_labels(decision, add={"missing-po"}, remove=set())
    message = assert_message(
        decision, type="warning", schema_id="order_id", contains="purchase order"
    )
    assert message.id == event.content.datapoint("order_id")["id"]  # type: ignore[index]


def test_absent_po_field_warns_on_the_document() -> None:
    """Without an `order_id` datapoint in the schema, the warning is document-level."""
    decision = missing_po(build_content_event(omit=["order_id"]))
    assert_message(decision, type="warning", document_level=True)
    assert_labels(decision, add={"missing-po"})


def test_present_po_removes_the_label() -> None:
    """Once the PO is filled in, the label is removed and nothing is said."""
    decision = missing_po(build_content_event(fields={"order_id": "PO-7731"}))
    assert_labels(decision, add=set(), remove={"missing-po"})
    assert_no_messages(decision)
