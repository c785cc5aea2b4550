"""Read a rule's parameters from the hook's `settings` (copied into every payload), with defaults.

A value of the wrong type raises `SettingError`, naming the key and what was expected; the
router turns it into an error message on the document, so a misconfigured hook is visible.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from handlers.events import HookEvent


class SettingError(ValueError):
    """A hook setting is present but not of the expected type."""


def _raw(event: HookEvent, key: str) -> Any:
    value = event.settings.get(key)
    return None if value in (None, "", "None") else value


def decimal_setting(event: HookEvent, key: str, *, default: Decimal | int | str) -> Decimal:
    """Return `settings[key]` as a finite Decimal (number or numeric string), else `default`."""
    value = _raw(event, key)
    if value is None:
        return Decimal(default)
    if not isinstance(value, bool) and isinstance(value, int | float | str):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            pass
        else:
            if number.is_finite():
                return number
    raise SettingError(f"hook setting {key!r} must be a number, got {value!r}")


def int_setting(event: HookEvent, key: str, *, default: int) -> int:
    """Return `settings[key]` as an int (integer or integer string), else `default`."""
    value = _raw(event, key)
    if value is None:
        return default
    number = decimal_setting(event, key, default=default)
    if number != number.to_integral_value():
        raise SettingError(f"hook setting {key!r} must be a whole number, got {value!r}")
    return int(number)
