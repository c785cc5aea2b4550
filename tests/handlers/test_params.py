"""Reading rule parameters from the hook's settings."""

from __future__ import annotations

from decimal import Decimal

import pytest

from handlers.params import SettingError, decimal_setting, int_setting
from handlers.testing import build_status_event


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(None, Decimal(10), id="missing"),
        pytest.param("", Decimal(10), id="empty"),
        pytest.param(5, Decimal(5), id="int"),
        pytest.param(0.5, Decimal("0.5"), id="float"),
        pytest.param(" 7.25 ", Decimal("7.25"), id="string"),
    ],
)
def test_decimal_setting(value: object, expected: Decimal) -> None:
    """Numbers and numeric strings are read; a missing or empty key gives the default."""
    settings = {} if value is None else {"k": value}
    assert decimal_setting(build_status_event(settings=settings), "k", default=10) == expected


@pytest.mark.parametrize("value", [True, "ten", "NaN", [1], {"a": 1}], ids=repr)
def test_decimal_setting_rejects_non_numbers(value: object) -> None:
    """Booleans, words, NaN and containers raise SettingError naming the key."""
    with pytest.raises(SettingError, match="'k' must be a number"):
        decimal_setting(build_status_event(settings={"k": value}), "k", default=1)


def test_int_setting() -> None:
    """Whole numbers (also as strings) are read; fractions are refused."""
    assert int_setting(build_status_event(settings={"d": "14"}), "d", default=7) == 14
    assert int_setting(build_status_event(), "d", default=7) == 7
    with pytest.raises(SettingError, match="whole number"):
        int_setting(build_status_event(settings={"d": "1.5"}), "d", default=7)
