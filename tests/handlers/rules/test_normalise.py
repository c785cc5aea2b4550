"""The `normalise` rule: trimmed document id, upper-case currency, idempotent."""

from __future__ import annotations

from handlers.rules import router
from handlers.rules.normalise import normalise
from handlers.testing import (
    after,
    assert_no_operations,
    assert_replaced,
    build_content_event,
    replaced_values,
)


def test_untidy_fields_are_replaced_with_consistent_values() -> None:
    """A padded document id is trimmed and a lower-case currency upper-cased."""
    event = build_content_event(fields={"document_id": "  INV-1 \n", "currency": "eur "})
    decision = normalise(event)
    assert replaced_values(decision) == {"document_id": "INV-1", "currency": "EUR"}
    op = assert_replaced(decision, "currency", "EUR")
    assert op.value["content"]["normalized_value"] == "EUR"
    assert op.id == event.content.datapoint("currency")["id"]  # type: ignore[index]


def test_normal_fields_and_empty_fields_give_no_operations() -> None:
    """Already normal or empty fields are left alone."""
    assert_no_operations(
        normalise(build_content_event(fields={"document_id": "A", "currency": "USD"}))
    )
    assert_no_operations(normalise(build_content_event()))


def test_stale_normalized_value_is_fixed() -> None:
    """A value already upper-case but with a lower-case normalized value is still replaced."""
    fields = {"currency": {"value": "EUR", "normalized_value": "eur"}}
    assert_replaced(normalise(build_content_event(fields=fields)), "currency", "EUR")


def test_second_delivery_after_applying_is_a_no_op() -> None:
    """Once Rossum applied the operations, the next delivery yields no operations at all."""
    event = build_content_event("initialize", fields={"document_id": " X ", "currency": "czk"})
    first = router.dispatch(event)
    assert len(first.operations) == 2
    second = router.dispatch(after(event, first, action="updated"))
    assert_no_operations(second)
