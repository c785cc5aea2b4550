"""Rossum's `normalized_value` for numbers, dates and strings."""

from __future__ import annotations

import pytest

from handlers.normalize import normalize, same_normalized


@pytest.mark.parametrize(
    ("value", "type_", "expected"),
    [
        pytest.param("18 492.48", "number", "18492.48", id="space-thousands"),
        pytest.param("1.234,50", "number", "1234.50", id="dot-thousands-comma-decimal"),
        pytest.param("1,234.50", "number", "1234.50", id="comma-thousands"),
        pytest.param("12,5", "number", "12.5", id="comma-decimal"),
        pytest.param("1,234", "number", "1234", id="comma-thousands-only"),
        pytest.param("1.234.567", "number", "1234567", id="dotted-millions"),
        pytest.param("-42", "number", "-42", id="negative"),
        pytest.param("12\u00a0500,00", "number", "12500.00", id="nbsp"),
        pytest.param("EUR 1 250,00", "number", "1250.00", id="currency-code"),
        pytest.param("1e3", "number", None, id="exponent-is-not-a-number-format"),
        pytest.param("1 25", "number", None, id="broken-grouping"),
        pytest.param("1.234.5", "number", None, id="one-mark-groups-and-decimals"),
        pytest.param("INV123", "number", None, id="letters-are-not-a-currency"),
        pytest.param("\u22125", "number", "-5", id="unicode-minus"),
        pytest.param("abc", "number", None, id="not-a-number"),
        pytest.param("inf", "number", None, id="infinity"),
        pytest.param("2030-01-31", "date", "2030-01-31", id="iso-date"),
        pytest.param("31.01.2030", "date", "2030-01-31", id="dotted-date"),
        pytest.param("31/01/2030", "date", "2030-01-31", id="slashed-date"),
        pytest.param("January 31, 2030", "date", "2030-01-31", id="long-date"),
        pytest.param("soon", "date", None, id="not-a-date"),
        pytest.param("", "number", "", id="empty"),
        pytest.param(" INV ", "string", " INV ", id="string-kept"),
    ],
)
def test_normalize(value: str, type_: str, expected: str | None) -> None:
    """Values normalise like Rossum's `normalized_value`: JSON numbers and ISO dates."""
    assert normalize(value, type_) == expected


def test_number_normalized_values_compare_numerically() -> None:
    """ "12500" agrees with "12500.00"; a different number or an unparsable value does not."""
    assert same_normalized("12500", "12500.00", "number")
    assert not same_normalized("12501", "12500.00", "number")
    assert not same_normalized("12500", None, "number")
