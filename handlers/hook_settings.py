"""Hook settings a rule declares once: name, type, default and description.

A declaration reads the value from the hook's `settings` (copied into every payload), checks it,
and describes it as JSON Schema, so the hook's `settings_schema` comes from the code:

    EXPEDITE_AMOUNT = Setting(
        "expedite_amount", Decimal, default=Decimal(10000), description="Label from this total."
    )

    @router.register("annotation_content", action=REVIEW_ACTIONS, settings=[EXPEDITE_AMOUNT])
    def expedite(event: AnnotationContentEvent) -> Decision:
        threshold = EXPEDITE_AMOUNT.read(event)

Types: `Decimal` (numbers, also numeric strings), `int` (whole numbers, also as strings), `str`,
`bool` (also "true"/"false"), and `list[str]` (a list of strings, or one comma-separated
string). A missing, null or empty value gives the default. The JSON Schema states the canonical
type (`number`, `integer`, `string`, `boolean`, array of strings); the string forms are accepted
for settings typed by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")
_MISSING = (None, "", "None")


class SettingError(ValueError):
    """A hook setting is present but not of its declared type."""


class SettingConflict(ValueError):
    """Two rules declare one setting name with different types or defaults."""


def _number(value: object) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _decimal(value: object) -> Decimal:
    number = _number(value)
    if number is None:
        raise SettingError("must be a number")
    return number


def _integer(value: object) -> int:
    number = _number(value)
    if number is None or number != number.to_integral_value():
        raise SettingError("must be a whole number")
    return int(number)


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise SettingError("must be a string")
    return value


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "false"}:
        return value.strip().lower() == "true"
    raise SettingError("must be true or false")


def _names(value: object) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise SettingError("must be a list of strings (or one comma-separated string)")


def _json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


# type -> (parser, JSON Schema of the canonical type, default as JSON)
_KINDS: Mapping[Any, tuple[Callable[[object], Any], dict[str, Any], Callable[[Any], Any]]] = {
    Decimal: (_decimal, {"type": "number"}, _json_number),
    int: (_integer, {"type": "integer"}, int),
    str: (_text, {"type": "string"}, str),
    bool: (_flag, {"type": "boolean"}, bool),
    list[str]: (_names, {"type": "array", "items": {"type": "string"}}, list),
}


class Setting(Generic[T]):
    """One hook setting: its name, type, default and description."""

    __slots__ = ("default", "description", "name", "type")

    def __init__(self, name: str, type: type[T], *, default: T, description: str) -> None:
        if type not in _KINDS:
            supported = "Decimal, int, str, bool, list[str]"
            raise TypeError(f"setting {name!r}: type {type!r} is not one of {supported}")
        if not name or not description.strip():
            raise ValueError("a setting needs a name and a description")
        self.name, self.type, self.description = name, type, description
        self.default: T = cast(T, _KINDS[type][0](default))  # checks the default too

    def __repr__(self) -> str:
        return f"Setting({self.name!r}, {self._type_name()}, default={self.default!r})"

    def _type_name(self) -> str:
        return "list[str]" if self.type == list[str] else getattr(self.type, "__name__", "?")

    def parse(self, value: object) -> T:
        """Return `value` as this setting's type (the default when missing or empty)."""
        if value is None or (isinstance(value, str) and value in _MISSING):
            return cast(T, list(self.default) if isinstance(self.default, list) else self.default)
        try:
            return cast(T, _KINDS[self.type][0](value))
        except SettingError as exc:
            raise SettingError(f"hook setting {self.name!r} {exc}, got {value!r}") from None

    def read(self, event: Any) -> T:
        """Return the setting's value in `event.settings` (a hook event), checked."""
        return self.parse(event.settings.get(self.name))

    def problem(self, settings: Mapping[str, Any]) -> str | None:
        """Return why `settings` holds no valid value for this setting, or None if it does."""
        try:
            self.parse(settings.get(self.name))
        except SettingError as exc:
            return str(exc)
        return None

    def json_schema(self) -> dict[str, Any]:
        """Return the JSON Schema of this setting (type, default, description)."""
        _, schema, as_json = _KINDS[self.type]
        return {**schema, "default": as_json(self.default), "description": self.description}

    def same_as(self, other: Setting[Any]) -> bool:
        """Tell whether `other` declares the same type and default."""
        return (self.type, self.default) == (other.type, other.default)


def merged(declared: Iterable[tuple[str, Setting[Any]]]) -> tuple[Setting[Any], ...]:
    """Return the settings of `(declaring rule, setting)` pairs, once each, in order.

    Raise `SettingConflict` when two rules declare one name differently.
    """
    found: dict[str, tuple[str, Setting[Any]]] = {}
    for owner, setting in declared:
        seen = found.get(setting.name)
        if seen is None:
            found[setting.name] = (owner, setting)
        elif not seen[1].same_as(setting):
            raise SettingConflict(
                f"hook setting {setting.name!r} is declared as {seen[1]!r} by {seen[0]} "
                f"and as {setting!r} by {owner}"
            )
    return tuple(setting for _, setting in found.values())


def settings_schema(settings: Iterable[Setting[Any]]) -> dict[str, Any]:
    """Return the JSON Schema of a hook's `settings` object (other keys allowed)."""
    return {
        "type": "object",
        "properties": {s.name: s.json_schema() for s in settings},
        "additionalProperties": True,
    }


DISABLED_RULES: Setting[list[str]] = Setting(
    "disabled_rules",
    list[str],
    default=[],
    description="Names of rules to skip (a list, or one comma-separated string).",
)
