"""The `totals` rule: line items must add up to the invoice total."""

from __future__ import annotations

import pytest

from handlers.rules.totals import totals
from handlers.testing import assert_blocker, assert_message, build_content_event

ITEMS = [{"item_amount_total": "100.00"}, {"item_amount_total": "23.45"}]


def test_mismatch_is_an_error_on_the_total() -> None:
    """When items and total differ, an error on `amount_total` names both sums."""
    event = build_content_event(fields={"amount_total": "130.00"}, line_items=ITEMS)
    decision = totals(event) or pytest.fail("expected a decision")
    message = assert_message(decision, type="error", schema_id="amount_total")
    assert "123.45" in message.content and "130.00" in message.content
    assert "6.55" in message.content
    assert decision.automation_blockers == ()  # not on `updated`


def test_mismatch_on_initialize_also_blocks_automation() -> None:
    """On `initialize` a mismatch adds an automation blocker on the total."""
    event = build_content_event("initialize", fields={"amount_total": "1"}, line_items=ITEMS)
    decision = totals(event) or pytest.fail("expected a decision")
    blocker = assert_blocker(decision, contains="line items add up to 123.45")
    assert blocker.id == event.content.datapoint("amount_total")["id"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("total", "settings"),
    [
        pytest.param("123.45", {}, id="exact"),
        pytest.param("123.46", {}, id="within-default-tolerance"),
        pytest.param("124.00", {"totals_tolerance": "1"}, id="within-setting"),
    ],
)
def test_matching_totals_say_nothing(total: str, settings: dict[str, object]) -> None:
    """Totals within the tolerance produce no decision."""
    event = build_content_event(fields={"amount_total": total}, line_items=ITEMS, settings=settings)
    assert totals(event) is None


def test_rows_without_amounts_and_missing_total_are_skipped() -> None:
    """No line items, no item amounts, or no total: nothing to compare, nothing said."""
    assert totals(build_content_event(fields={"amount_total": "5"})) is None
    blank_rows = build_content_event(
        fields={"amount_total": "5"}, line_items=[{"item_description": "x"}]
    )
    assert totals(blank_rows) is None
    assert totals(build_content_event(line_items=ITEMS)) is None


def test_blank_rows_are_ignored_in_the_sum() -> None:
    """Rows with an empty amount do not count; the others must still add up."""
    event = build_content_event(
        fields={"amount_total": "123.45"}, line_items=[*ITEMS, {"item_description": "note"}]
    )
    assert totals(event) is None
