"""Compare a replayed delivery with its recording: the same answer, or what changed.

Pure: no I/O. A delivery's result is its HTTP status, its JSON answer and the API calls it
made (`calls`, the recorder's journal; None when unknown, e.g. imported hook logs or a remote
service). Aspects compared, each as a set of readable lines (`-` recorded only, `+` new only):

- `status`: the HTTP status;
- `messages`: order ignored, duplicates counted;
- `operations`: `replace`/`remove` keyed by datapoint id, `add` rows by value;
- `labels`: names added and removed through `apply_labels` (only when both sides know calls);
- `updates`: annotation updates and content operations sent through the API;
- `answer.<key>`: every other key of the answer (automation blockers, files, ...).

Error answers (`{"detail", "code"}`, status >= 400) are compared by `code`: `detail` is prose
that may be reworded without changing behaviour.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

_MAX_VALUE_CHARS = 160
_COMPACT = msgspec.json.Encoder(order="sorted", enc_hook=str)
_ANSWER_ASPECTS = ("messages", "operations")
_UPDATE_CALLS = ("update_part_annotation", "bulk_update_annotation_data")


@dataclass(frozen=True, slots=True)
class Observed:
    """What one delivery produced: status, JSON answer, and API calls (None: unknown)."""

    status: int | None
    answer: Any
    calls: Sequence[Mapping[str, Any]] | None = None

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Observed:
        """Return what a recorded delivery produced (a line of the recording)."""
        calls = record.get("calls")
        return cls(
            status=record.get("status"),
            answer=record.get("answer"),
            calls=calls if isinstance(calls, list) else None,
        )


@dataclass(frozen=True, slots=True)
class Difference:
    """One aspect that changed: lines only in the recording, lines only in the new answer."""

    aspect: str
    recorded: tuple[str, ...]
    new: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    """The verdict on one replayed delivery."""

    differences: tuple[Difference, ...] = ()
    labels_compared: bool = True

    @property
    def same(self) -> bool:
        """Tell whether the new answer matches the recorded one in every compared aspect."""
        return not self.differences


# The verdict "same" (immutable, so shared), by whether labels were compared.
_SAME = {True: Comparison((), True), False: Comparison((), False)}


def compare(recorded: Observed, new: Observed) -> Comparison:
    """Compare a new result with the recorded one, aspect by aspect."""
    labels_compared = recorded.calls is not None and new.calls is not None
    if (
        recorded.status == new.status
        and recorded.answer == new.answer
        and (
            not labels_compared
            or recorded.calls == new.calls  # the same journal: the same effects, unread
            or _effects(recorded.calls) == _effects(new.calls)
        )
    ):
        return _SAME[labels_compared]  # the common case, decided without a diff
    differences = [
        _lines_diff("status", _status_lines(recorded), _status_lines(new)),
        *_answer_diffs(recorded, new),
    ]
    if labels_compared:
        assert recorded.calls is not None and new.calls is not None
        differences.append(
            _lines_diff("labels", label_lines(recorded.calls), label_lines(new.calls))
        )
        differences.append(
            _lines_diff("updates", update_lines(recorded.calls), update_lines(new.calls))
        )
    return Comparison(tuple(d for d in differences if d is not None), labels_compared)


def _effects(calls: Sequence[Mapping[str, Any]] | None) -> tuple[list[str], list[str]]:
    return sorted(label_lines(calls or ())), sorted(update_lines(calls or ()))


def _status_lines(observed: Observed) -> list[str]:
    return [f"status {observed.status}"]


def _is_error(observed: Observed) -> bool:
    return (
        observed.status is not None
        and observed.status >= 400
        and isinstance(observed.answer, Mapping)
        and "code" in observed.answer
    )


def _answer_diffs(recorded: Observed, new: Observed) -> Iterable[Difference | None]:
    old_answer, new_answer = recorded.answer, new.answer
    if _is_error(recorded) and _is_error(new):
        yield _lines_diff("answer.code", [_code(old_answer)], [_code(new_answer)])
        return
    if not isinstance(old_answer, Mapping) or not isinstance(new_answer, Mapping):
        yield _lines_diff("answer", [compact(old_answer)], [compact(new_answer)])
        return
    yield _lines_diff(
        "messages",
        message_lines(old_answer.get("messages")),
        message_lines(new_answer.get("messages")),
    )
    yield _lines_diff(
        "operations",
        operation_lines(old_answer.get("operations")),
        operation_lines(new_answer.get("operations")),
    )
    for key in sorted(set(old_answer) | set(new_answer)):
        if key in _ANSWER_ASPECTS or old_answer.get(key) == new_answer.get(key):
            continue
        yield _lines_diff(f"answer.{key}", [_keyed(old_answer, key)], [_keyed(new_answer, key)])


def _code(answer: Any) -> str:
    return f"code {answer.get('code')}"


def _keyed(answer: Mapping[str, Any], key: str) -> str:
    return compact(answer[key]) if key in answer else "(absent)"


def _lines_diff(aspect: str, recorded: Iterable[str], new: Iterable[str]) -> Difference | None:
    """Return the lines that differ as a multiset, or None when both sides match."""
    old_count, new_count = Counter(recorded), Counter(new)
    only_old = tuple(sorted((old_count - new_count).elements()))
    only_new = tuple(sorted((new_count - old_count).elements()))
    if not only_old and not only_new:
        return None
    return Difference(aspect, only_old, only_new)


def compact(value: Any, *, limit: int = _MAX_VALUE_CHARS) -> str:
    """Return `value` as one line of compact JSON (keys sorted, text as it is, anything else
    as its `str`), shortened to about `limit` characters."""
    try:
        text = _COMPACT.encode(value).decode()
    except (TypeError, ValueError):  # e.g. keys of mixed types, which cannot be sorted
        text = json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _where(item: Mapping[str, Any]) -> str:
    node = item.get("id")
    return "document" if node in (None, "all") else f"datapoint {node}"


def message_lines(messages: Any) -> list[str]:
    """Return one readable line per message: type, where, content (and detail if any)."""
    lines = []
    for message in _mappings(messages):
        line = f"{message.get('type')} on {_where(message)}: {json.dumps(message.get('content'))}"
        if message.get("detail") is not None:
            line += f" detail={compact(message['detail'])}"
        lines.append(line)
    return lines


def operation_lines(operations: Any) -> list[str]:
    """Return one readable line per content operation."""
    lines = []
    for op in _mappings(operations):
        kind, node, value = op.get("op"), op.get("id"), op.get("value")
        if kind == "replace" and isinstance(value, Mapping):
            lines.append(f"replace {node} with {_replacement(value)}")
        elif kind == "remove":
            lines.append(f"remove {node}")
        else:
            lines.append(f"{kind} {node} {compact(value)}")
    return lines


def _replacement(value: Mapping[str, Any]) -> str:
    content = value.get("content")
    rest = {k: v for k, v in value.items() if k != "content"}
    text = json.dumps(content.get("value")) if isinstance(content, Mapping) else compact(content)
    if isinstance(content, Mapping) and len(content) > 1:
        text += f" content={compact({k: v for k, v in content.items() if k != 'value'})}"
    return text + (f" {compact(rest)}" if rest else "")


def label_lines(calls: Sequence[Mapping[str, Any]]) -> list[str]:
    """Return `add NAME` / `remove NAME` for every label change the calls made."""
    lines = []
    for call in calls:
        if call.get("call") != "apply_labels":
            continue
        lines += [f"add {name}" for name in call.get("add") or ()]
        lines += [f"remove {name}" for name in call.get("remove") or ()]
    return lines


def update_lines(calls: Sequence[Mapping[str, Any]]) -> list[str]:
    """Return one line per annotation update or API content operation the calls made."""
    lines = []
    for call in calls:
        name = call.get("call")
        if name in _UPDATE_CALLS:
            details = {k: v for k, v in call.items() if k not in ("call", "annotation_id")}
            lines.append(f"{name} {compact(details)}")
    return lines


def describe_call(call: Mapping[str, Any]) -> str:
    """Return a one-line description of a journal entry (an API call made or intended)."""
    details = {k: v for k, v in call.items() if k != "call"}
    return f"{call.get('call')} {compact(details)}" if details else str(call.get("call"))


def _mappings(items: Any) -> list[Mapping[str, Any]]:
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, Mapping)]
