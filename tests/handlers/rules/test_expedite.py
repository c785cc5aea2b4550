"""The `expedite` rule: label invoices at or above the configured amount."""

from __future__ import annotations

import pytest

from handlers.rules import router
from handlers.rules.expedite import expedite
from handlers.testing import assert_labels, assert_message, build_content_event


@pytest.mark.parametrize(
    ("amount", "settings", "labelled"),
    [
        pytest.param("12000.00", {}, True, id="above-default"),
        pytest.param("10 000,00", {}, True, id="exactly-default-formatted"),
        pytest.param("9999.99", {}, False, id="below-default"),
        pytest.param("600", {"expedite_amount": 500}, True, id="setting-number"),
        pytest.param("600", {"expedite_amount": "750.5"}, False, id="setting-string"),
        pytest.param("", {}, False, id="no-amount"),
    ],
)
def test_expedite_label(amount: str, settings: dict[str, object], labelled: bool) -> None:
    """The label is added from the threshold up, and removed below it or without an amount."""
    event = build_content_event(fields={"amount_total": amount}, settings=settings)
    if labelled:
        assert_labels(expedite(event), add={"expedite"}, remove=set())
    else:
        assert_labels(expedite(event), add=set(), remove={"expedite"})


def test_bad_threshold_setting_is_reported_on_the_document() -> None:
    """A non-numeric `expedite_amount` surfaces as an error naming the setting."""
    event = build_content_event(fields={"amount_total": "5"}, settings={"expedite_amount": "lots"})
    decision = router.dispatch(event)
    assert_message(decision, type="error", contains="'expedite_amount' must be a number")
    assert "expedite" not in decision.add_labels | decision.remove_labels
