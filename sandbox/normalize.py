"""The `normalized_value` Rossum stores next to a datapoint's `value`.

API reference, "Annotation Data": `content.value` is the text as shown in the validation screen
(`"18 492.48"`), `content.normalized_value` its machine form: a number with `.` as the decimal
separator and no grouping (`"18492.48"`), a date as `YYYY-MM-DD`. An empty value normalises to
`""`; a value that cannot be read as its type to `None`. Strings and enums keep their value.

Numbers follow the shapes of Rossum's number formats (`# ##0.#`, `#,##0.#`, `#'##0.#`,
`#.##0,#`, ...): digits, optionally grouped in threes by a space, no-break space, `'`, `,` or
`.`, and one decimal separator; a leading minus; a currency symbol, or an upper-case ISO code
set off by a space. Anything else (`"1e3"`, `"1 25"`, `"INV123"`) is not a number.
A single separator followed by exactly three digits (`"1,234"`, `"1.234"`) is ambiguous; the
schema's number `format` names the decimal separator that decides it (`.` when none is given).

Dates: the schema's date `format` (`"D/M/YYYY"`, `"MM/DD/YYYY"`, ...) first, then ISO
`YYYY-MM-DD`, numeric day-first dates (`31.01.2030`, `31/01/2030`, `31. 1. 2030`: the default
`en_GB` queue locale reads day first), and English month names (`31 January 2030`,
`Jan 31, 2030`). Two-digit years are read only where the schema's format says `YY` (as 20xx).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

_CURRENCY_SYMBOLS = "$€£¥₹₽₩₪₫฿₴₺₦₱₡₲₵₸"
_CODE = re.compile(r"^[A-Z]{3}$")
_GROUP_SPACES = "\u0020\u00a0\u202f\u2009"
_NUMBER_BODY = re.compile(r"^\d[\d.,'\u2019 \u00a0\u202f\u2009]*$|^[.,]\d+$")

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_YEAR_FIRST = re.compile(r"^(\d{4})\s*[./]\s*(\d{1,2})\s*[./]\s*(\d{1,2})\.?$")
_DAY_FIRST = re.compile(r"^(\d{1,2})\s*([./-])\s*(\d{1,2})\s*\2\s*(\d{4})$")
_DAY_MONTH_NAME = re.compile(r"^(\d{1,2})\.?\s+([A-Za-z]+)\.?,?\s+(\d{4})$")
_MONTH_NAME_DAY = re.compile(r"^([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_FORMAT_TOKEN = re.compile(r"(YYYY|YY|MM|M|DD|D)")


def normalized_value(value: str, field: Mapping[str, Any]) -> str | None:
    """Return the `normalized_value` for `value` of the schema datapoint `field`."""
    text = value.strip()
    if not text:
        return ""
    kind = field.get("type", "string")
    if kind == "number":
        number = read_number(text, decimal_mark=_decimal_mark(field.get("format")))
        return None if number is None else _plain(number)
    if kind == "date":
        day = read_date(text, display_format=field.get("format"))
        return None if day is None else day.isoformat()
    return value


def same_number(a: str, b: str) -> bool:
    """Tell whether two normalised numbers are the same number (`"12500"` and `"12500.00"`)."""
    try:
        return Decimal(a) == Decimal(b)
    except InvalidOperation:
        return False


def _plain(number: Decimal) -> str:
    return f"{number:f}"


def _decimal_mark(number_format: Any) -> str:
    """Return the decimal separator a schema number format names: the mark after its last
    `0` (`"# ##0.#"` -> `"."`, `"#.##0,#"` -> `","`, `"#,##0"` -> `""`, none); `.` by default.
    """
    if not isinstance(number_format, str) or "0" not in number_format:
        return "."
    after = number_format[number_format.rindex("0") + 1 :][:1]
    return after if after in (".", ",") else ""


def read_number(text: str, *, decimal_mark: str = ".") -> Decimal | None:
    """Read a UI-formatted number, or return None when it is not one."""
    body, negative = _unsigned(text)
    if body is None or not _NUMBER_BODY.match(body):
        return None
    for space in _GROUP_SPACES:
        body = body.replace(space, " ")
    body = body.replace("\u2019", "'")
    marks = [c for c in body if c in ".,"]
    if marks:
        last = marks[-1]
        head, _, tail = body.rpartition(last)
        is_decimal = (
            marks.count(last) == 1
            and (len(set(marks)) == 2 or not _ambiguous(head, tail) or last == decimal_mark)
            and (tail.isdigit() or (tail == "" and head != ""))
        )
        integer, fraction = (head, tail) if is_decimal else (body, "")
    else:
        integer, fraction = body, ""
    digits = _ungrouped(integer)
    if digits is None:
        return None
    try:
        number = Decimal(f"{digits or '0'}.{fraction}" if fraction else digits)
    except InvalidOperation:
        return None
    return -number if negative else number


def _ambiguous(head: str, tail: str) -> bool:
    """Tell whether `head<sep>tail` could also be one grouped integer (`1,234`)."""
    return len(tail) == 3 and tail.isdigit() and _ungrouped(head) is not None


def _ungrouped(integer: str) -> str | None:
    """Return the digits of an integer part whose groups are well formed, or None."""
    separators = {c for c in integer if not c.isdigit()}
    if not separators:
        return integer
    if len(separators) > 1:
        return None
    groups = integer.split(separators.pop())
    if not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:]):
        return None
    if not all(g.isdigit() for g in groups):
        return None
    return "".join(groups)


def _unsigned(text: str) -> tuple[str | None, bool]:
    """Split a number's text into its unsigned body and its sign, without a currency affix.

    A currency is a symbol next to the number or an upper-case three-letter code set off by a
    space (`"EUR 1 250,00"`, `"12.50 €"`); the sign is a leading `-` (or U+2212) or `+`.
    """
    text = text.strip().replace("\u2212", "-")
    parts = text.split()
    if len(parts) > 1 and _CODE.match(parts[0]):
        text = text[len(parts[0]) :]
    elif len(parts) > 1 and _CODE.match(parts[-1]):
        text = text[: -len(parts[-1])]
    text = text.strip().strip(_CURRENCY_SYMBOLS).strip()
    negative = text.startswith("-")
    if text[:1] in ("-", "+"):
        text = text[1:].strip().lstrip(_CURRENCY_SYMBOLS).strip()
    return (text or None), negative


def read_date(text: str, *, display_format: Any = None) -> date | None:
    """Read a date as an invoice prints it, or return None when it is not one."""
    text = text.strip()
    if isinstance(display_format, str):
        found = _by_format(text, display_format)
        if found is not None:
            return found
    if match := _ISO.match(text) or _YEAR_FIRST.match(text):
        year, month, day = match.groups()
        return _date(year, month, day)
    if match := _DAY_FIRST.match(text):
        day, _, month, year = match.groups()
        return _date(year, month, day)
    if match := _DAY_MONTH_NAME.match(text):
        day, name, year = match.groups()
        return _date(year, _MONTHS.get(name.lower()), day)
    if match := _MONTH_NAME_DAY.match(text):
        name, day, year = match.groups()
        return _date(year, _MONTHS.get(name.lower()), day)
    return None


def _by_format(text: str, display_format: str) -> date | None:
    """Read `text` by a Rossum date format made of `D`, `DD`, `M`, `MM`, `YY`, `YYYY`."""
    pattern, order = "", []
    for index, piece in enumerate(_FORMAT_TOKEN.split(display_format)):
        if index % 2 == 0:
            pattern += re.escape(piece)
            continue
        order.append(piece[0])
        pattern += r"(\d{4})" if piece == "YYYY" else r"(\d{2})" if piece == "YY" else r"(\d{1,2})"
    match = re.fullmatch(pattern, text)
    if match is None or sorted(order) != ["D", "M", "Y"]:
        return None
    parts = dict(zip(order, match.groups(), strict=True))
    return _date(parts["Y"], parts["M"], parts["D"])


def _date(year: str, month: str | int | None, day: str) -> date | None:
    if month is None:
        return None
    full_year = int(year) + 2000 if len(year) == 2 else int(year)
    try:
        return date(full_year, int(month), int(day))
    except ValueError:
        return None
