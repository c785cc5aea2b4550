"""`normalized_value` of a datapoint: numbers as JSON number strings, dates as ISO dates.

Rossum keeps the UI-formatted text in `content.value` ("18 492.48") and the machine form in
`content.normalized_value` ("18492.48"); an empty value normalises to "", and a value that does
not parse as its type normalises to None. Numbers parse with `handlers.content.parse_number`.
"""

from __future__ import annotations

from datetime import datetime

from handlers.content import parse_number

_DATE_FORMATS = (
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%d. %m. %Y",
    "%d/%m/%Y",
    "%Y/%m/%d",
    "%d-%m-%Y",
    "%d %B %Y",
    "%B %d, %Y",
    "%d %b %Y",
    "%b %d, %Y",
)


def parse_date(text: str) -> str | None:
    """Parse a date in a common invoice format into `YYYY-MM-DD`, or return None."""
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date().isoformat()
        except ValueError:
            continue
    return None


def normalize(value: str, type_: str) -> str | None:
    """Return the `normalized_value` Rossum would store for `value` of schema `type_`."""
    if value.strip() == "":
        return ""
    if type_ == "number":
        number = parse_number(value)
        return None if number is None else format(number, "f")
    if type_ == "date":
        return parse_date(value)
    return value


def same_normalized(given: str, computed: str | None, type_: str) -> bool:
    """Tell whether a client's `normalized_value` agrees with the one computed from `value`."""
    if computed is None:
        return False
    if type_ == "number" and given and computed:
        a, b = parse_number(given), parse_number(computed)
        return a is not None and a == b
    return given == computed
