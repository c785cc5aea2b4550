"""Cron expressions of `hook.config.schedule.cron` (API reference, "Schedule object"): five
fields (minute, hour, day of month, month, day of week) in UTC, each `*`, a number, a range
`a-b`, a step `*/n` or `a-b/n`, or a comma-separated list of those. Day of week runs 0-6 from
Sunday (7 is Sunday too). As in cron, when both day fields are restricted, either may match.
Rossum refuses schedules more frequent than every 10 minutes; here that is checked on the
minute field (no two firing minutes of an hour closer than 10 minutes, wrapping around).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime

MIN_INTERVAL_MINUTES = 10
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_NAMES = ("minute", "hour", "day of month", "month", "day of week")


class CronError(ValueError):
    """An expression that is not a valid five-field cron expression."""


def _field(text: str, low: int, high: int, name: str) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        try:
            step = int(step_text) if step_text else 1
            if base == "*":
                start, end = low, high
            elif "-" in base:
                start, end = (int(part) for part in base.split("-", 1))
            else:
                start = end = int(base)
        except ValueError:
            raise CronError(f"{name}: {item!r} is not a number, range or step") from None
        if step < 1 or not low <= start <= end <= high:
            raise CronError(f"{name}: {item!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Cron:
    """A parsed cron expression."""

    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    days_any: bool
    weekdays_any: bool

    @classmethod
    def parse(cls, expression: str) -> Cron:
        """Parse `expression`, or raise CronError saying what is wrong."""
        parts = expression.split()
        if len(parts) != 5:
            raise CronError(f"expected 5 fields, got {len(parts)}")
        sets = [_field(p, lo, hi, n) for p, (lo, hi), n in zip(parts, _BOUNDS, _NAMES, strict=True)]
        minutes, hours, days, months, weekdays = sets
        return cls(
            minutes=minutes,
            hours=hours,
            days=days,
            months=months,
            weekdays=frozenset(d % 7 for d in weekdays),
            days_any=parts[2] == "*",
            weekdays_any=parts[4] == "*",
        )

    def matches(self, moment: datetime) -> bool:
        """Tell whether the schedule fires in the minute of `moment` (UTC)."""
        weekday = (moment.weekday() + 1) % 7  # Python: Monday 0; cron: Sunday 0
        day_ok = moment.day in self.days
        weekday_ok = weekday in self.weekdays
        days = day_ok and weekday_ok if self.days_any or self.weekdays_any else day_ok or weekday_ok
        return (
            moment.minute in self.minutes
            and moment.hour in self.hours
            and moment.month in self.months
            and days
        )

    def shortest_gap_minutes(self) -> int:
        """Return the shortest gap between two firing minutes within an hour (wrapping)."""
        minutes = sorted(self.minutes)
        if len(minutes) == 1:
            return 60
        gaps = [b - a for a, b in itertools.pairwise(minutes)]
        return min([*gaps, minutes[0] + 60 - minutes[-1]])


def check_schedule(schedule: object) -> dict[str, str]:
    """Return a valid `config.schedule` (`{}` or `{"cron": ...}`), or raise CronError."""
    if schedule in (None, {}):
        return {}
    if not isinstance(schedule, dict) or set(schedule) != {"cron"}:
        raise CronError('expected {} or {"cron": "<expression>"}')
    expression = schedule["cron"]
    if not isinstance(expression, str):
        raise CronError("cron: expected a string")
    if Cron.parse(expression).shortest_gap_minutes() < MIN_INTERVAL_MINUTES:
        raise CronError(f"cron: the interval can't be shorter than {MIN_INTERVAL_MINUTES} minutes")
    return {"cron": expression}
