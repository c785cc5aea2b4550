"""The replay report: one block per changed delivery (or every one, verbosely) and a summary.

Pure: results in, lines of text (or JSON-ready dicts) out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from replay.diff import Comparison, Observed, describe_call
from replay.payload import Record

_READ_PREFIXES = ("list_", "retrieve_", "get_")


@dataclass(frozen=True, slots=True)
class Result:
    """One replayed delivery: the record, what the service answered now, the verdict."""

    record: Record
    observed: Observed
    comparison: Comparison

    @property
    def verdict(self) -> str:
        """Return `same` or `changed`."""
        return "same" if self.comparison.same else "changed"


@dataclass(slots=True)
class Tally:
    """Counts over a whole replay."""

    same: int = 0
    changed: int = 0
    filtered: int = 0
    unreplayable: int = 0
    calls_unknown: int = 0
    writes: Counter[str] = field(default_factory=Counter)

    def add(self, result: Result) -> None:
        """Count one replayed delivery."""
        if result.comparison.same:
            self.same += 1
        else:
            self.changed += 1
        if not result.comparison.labels_compared:
            self.calls_unknown += 1
        for call in write_calls(result.observed.calls):
            self.writes[call.get("call", "?")] += 1


def write_calls(calls: Sequence[Mapping[str, Any]] | None) -> list[Mapping[str, Any]]:
    """Return the calls that change something in Rossum (reads left out)."""
    return [c for c in calls or () if not str(c.get("call", "")).startswith(_READ_PREFIXES)]


def headline(result: Result) -> str:
    """Return the one-line identification of a replayed delivery."""
    record = result.record
    parts = [
        f"{result.verdict.upper():8}",
        f"line {record.line}",
        f"{record.event}.{record.action}",
    ]
    if record.annotation_id is not None:
        parts.append(f"annotation {record.annotation_id}")
    if record.request_id:
        parts.append(f"request {record.request_id}")
    return "  ".join(parts)


def render_result(result: Result, *, dry_run: bool, verbose: bool) -> list[str]:
    """Return the report lines of one delivery (none for a quiet `same` without writes)."""
    writes = write_calls(result.observed.calls)
    if result.comparison.same and not verbose and not (dry_run and writes):
        return []
    lines = [headline(result)]
    for difference in result.comparison.differences:
        lines.append(f"  {difference.aspect} (- recorded, + replayed):")
        lines += [f"    - {line}" for line in difference.recorded]
        lines += [f"    + {line}" for line in difference.new]
    verb = "would call" if dry_run else "called"
    lines += [f"  {verb}: {describe_call(call)}" for call in writes]
    return lines


def render_summary(tally: Tally, *, dry_run: bool) -> list[str]:
    """Return the closing summary lines."""
    replayed = tally.same + tally.changed
    lines = [
        f"replayed {replayed} deliveries: {tally.same} same, {tally.changed} changed"
        + _skipped(tally)
    ]
    if tally.calls_unknown:
        lines.append(
            f"labels and API updates not compared for {tally.calls_unknown} deliveries "
            "(calls unknown: imported hook logs, or a service running elsewhere)"
        )
    if dry_run:
        counts = ", ".join(f"{name} {n}" for name, n in sorted(tally.writes.items()))
        total = sum(tally.writes.values())
        lines.append(
            f"dry run: {total} intended API writes"
            + (f" ({counts})" if counts else "")
            + "; nothing was written"
        )
    return lines


def _skipped(tally: Tally) -> str:
    parts = []
    if tally.filtered:
        parts.append(f"{tally.filtered} filtered out")
    if tally.unreplayable:
        parts.append(f"{tally.unreplayable} without a recorded body")
    if not parts:
        return ""
    return f"; skipped {tally.filtered + tally.unreplayable} ({', '.join(parts)})"


def result_json(result: Result) -> dict[str, Any]:
    """Return a JSON-ready description of one replayed delivery (the `--report` format)."""
    record = result.record
    return {
        "line": record.line,
        "request_id": record.request_id,
        "event": record.event,
        "action": record.action,
        "annotation_id": record.annotation_id,
        "verdict": result.verdict,
        "status": result.observed.status,
        "answer": result.observed.answer,
        "calls": result.observed.calls,
        "labels_compared": result.comparison.labels_compared,
        "differences": [
            {"aspect": d.aspect, "recorded": list(d.recorded), "replayed": list(d.new)}
            for d in result.comparison.differences
        ],
    }


def summary_json(tally: Tally) -> dict[str, Any]:
    """Return the summary as a JSON-ready dict."""
    return {
        "same": tally.same,
        "changed": tally.changed,
        "filtered": tally.filtered,
        "unreplayable": tally.unreplayable,
        "calls_unknown": tally.calls_unknown,
        "writes": dict(tally.writes),
    }


def count_all(results: Iterable[Result]) -> Tally:
    """Return the tally of `results` (for callers that kept them all)."""
    tally = Tally()
    for result in results:
        tally.add(result)
    return tally
