"""The `due_soon` rule: label invoices due within the configured days of the event."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from handlers.rules.due_soon import due_soon
from handlers.testing import assert_labels, build_content_event

NOW = datetime(2024, 5, 1, 23, 59, tzinfo=UTC)


@pytest.mark.parametrize(
    ("due", "settings", "labelled"),
    [
        pytest.param("2024-05-08", {}, True, id="in-7-days"),
        pytest.param("2024-05-09", {}, False, id="in-8-days"),
        pytest.param("2024-05-01", {}, True, id="today"),
        pytest.param("2024-03-01", {}, True, id="overdue"),
        pytest.param("2024-05-04", {"due_soon_days": 2}, False, id="setting-shorter"),
        pytest.param("2024-05-20", {"due_soon_days": "30"}, True, id="setting-string"),
        pytest.param("", {}, False, id="no-due-date"),
    ],
)
def test_due_soon_label(due: str, settings: dict[str, object], labelled: bool) -> None:
    """The label follows the due date relative to the event's timestamp, not the wall clock."""
    event = build_content_event(fields={"date_due": due}, settings=settings, timestamp=NOW)
    expected = {"due-soon"}
    if labelled:
        assert_labels(due_soon(event), add=expected, remove=set())
    else:
        assert_labels(due_soon(event), add=set(), remove=expected)


def test_due_date_read_from_normalized_value() -> None:
    """A UI-formatted due date is read from its ISO `normalized_value`."""
    fields = {"date_due": {"value": "03/05/2024", "normalized_value": "2024-05-03"}}
    event = build_content_event(fields=fields, timestamp=NOW)
    assert_labels(due_soon(event), add={"due-soon"})


def test_fractional_days_setting_is_refused() -> None:
    """`due_soon_days` must be whole: 2.5 raises a SettingError naming the key."""
    event = build_content_event(fields={"date_due": "2024-05-02"}, settings={"due_soon_days": 2.5})
    with pytest.raises(ValueError, match="'due_soon_days' must be a whole number"):
        due_soon(event)
