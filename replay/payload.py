"""Read a recording, select deliveries, and rebuild each one as a request to send again.

Pure apart from decoding lines: the recording format is the recorder's (`service.recording`).
A recorded body has its token and secrets redacted, so a replay substitutes a token valid for
the target (only where the original payload carried one), can point `base_url` and every URL
under it at another Rossum API (the sandbox), can override hook `settings` (to try a new
threshold), and signs the new bytes with the target's secret. A delivery the service refused
for its signature is sent unsigned, so that the refusal is replayed too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import msgspec
from pydantic_core import from_json, to_json

from handlers.signature import signature_headers

# Not forwarded: the transport sets them, or they carried credentials (already dropped).
_HOP_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "accept-encoding", "expect"}
)
_REFUSED_SIGNATURE = "invalid_signature"
_REFUSED_BASE_URL = "base_url_not_allowed"
TOKEN_KEY = "rossum_authorization_token"


# A dict is checked before the Mapping ABC (much slower to ask): records are dicts.
MAPPING_TYPES = (dict, Mapping)


class RecordingError(ValueError):
    """A recording line is not a delivery record; the message names the line."""


class RecordData(Mapping[str, Any]):
    """A record line's fields, its `body` kept as the recorded JSON bytes until read.

    Replaying a delivery as recorded needs the body's bytes, not its objects: the replay signs
    and sends them as they are, and only the service parses them. Reading `["body"]` parses
    them (once); bytes that are not JSON (a line cut around its body, see `decode_line`)
    raise `RecordingError` then, naming the line (`line`, set by `parse_records`).
    """

    __slots__ = ("_body", "_fields", "line", "raw_body")

    def __init__(self, fields: dict[str, Any], raw_body: bytes) -> None:
        self._fields, self.raw_body = fields, raw_body
        self._body: Any = _UNPARSED
        self.line: int | None = None

    def __getitem__(self, key: str) -> Any:
        if key != "body":
            return self._fields[key]
        if self._body is _UNPARSED:
            try:
                self._body = from_json(self.raw_body)
            except ValueError as exc:
                where = "" if self.line is None else f"line {self.line}: "
                raise RecordingError(f"{where}the recorded body is not JSON ({exc})") from None
        return self._body

    def get(self, key: str, default: Any = None) -> Any:
        """Return a field (the parsed body for `body`), or `default` (Mapping's, made cheap)."""
        return self["body"] if key == "body" else self._fields.get(key, default)

    def __contains__(self, key: object) -> bool:
        return key == "body" or key in self._fields

    def __iter__(self) -> Iterator[str]:
        yield from self._fields
        yield "body"

    def __len__(self) -> int:
        return len(self._fields) + 1


_UNPARSED = object()


class _Line(msgspec.Struct, forbid_unknown_fields=True):
    """A line of the recorder's format (`service.recording`, and `pull-logs`' `source`)."""

    body: msgspec.Raw | msgspec.UnsetType = msgspec.UNSET
    version: Any = msgspec.UNSET
    received_at: Any = msgspec.UNSET
    request_id: Any = msgspec.UNSET
    event: Any = msgspec.UNSET
    action: Any = msgspec.UNSET
    annotation_id: Any = msgspec.UNSET
    method: Any = msgspec.UNSET
    path: Any = msgspec.UNSET
    headers: Any = msgspec.UNSET
    body_error: Any = msgspec.UNSET
    status: Any = msgspec.UNSET
    answer: Any = msgspec.UNSET
    outcome: Any = msgspec.UNSET
    duration_ms: Any = msgspec.UNSET
    dry_run: Any = msgspec.UNSET
    calls: Any = msgspec.UNSET
    source: Any = msgspec.UNSET


assert _Line.__struct_fields__[0] == "body"
_LINE_KEYS = _Line.__struct_fields__[1:]
_KNOWN_LINE = msgspec.json.Decoder(_Line)
_KNOWN_KEYS = frozenset(_LINE_KEYS)
_OBJECT = msgspec.json.Decoder(dict[str, Any])
_ANY_LINE = msgspec.json.Decoder(dict[str, msgspec.Raw])
_VALUE = msgspec.json.Decoder()


# The recorder writes `body` between these keys (`service.recording`, compact JSON).
_BODY_KEY, _AFTER_BODY_KEY = b',"body":', b',"body_error":'


def decode_line(text: str | bytes) -> RecordData | None:
    """Return a recording line's fields with the body left unparsed, or None when the line is
    JSON but not an object with a body; raise ValueError when it is not JSON.

    A line as the recorder writes it is cut around its body: the fields before and after it
    are decoded, the body's bytes are not read at all (the service parses them; a body that
    is not JSON is answered 400 like any such delivery). Any other line of the recorder's own
    keys is decoded in one pass, and any other object key by key.
    """
    if isinstance(text, bytes):
        data = _cut_around_body(text)
        if data is not None:
            return data
    try:
        line = _KNOWN_LINE.decode(text)
    except msgspec.ValidationError:  # not an object, or one with other keys or shapes
        pass
    except msgspec.DecodeError as exc:
        raise ValueError(str(exc)) from None
    else:
        if line.body is msgspec.UNSET:
            return None
        return RecordData(_present(line), bytes(line.body))
    try:
        fields = _ANY_LINE.decode(text)
    except msgspec.ValidationError:  # valid JSON, but not an object
        return None
    raw_body = fields.pop("body", None)
    if raw_body is None:
        return None
    return RecordData({k: _VALUE.decode(v) for k, v in fields.items()}, bytes(raw_body))


def _cut_around_body(text: bytes) -> RecordData | None:
    """Return the fields of a line of the recorder's layout, its body cut out unread; None
    when the line is laid out otherwise (then it is decoded whole).

    The first `,"body":` is the line's own key: in a JSON string a quote is always escaped,
    and one inside `headers` would leave the fields before it unbalanced, which does not
    decode. Likewise the last `,"body_error":`, as nothing after the body has such a key.
    """
    start, end = text.find(_BODY_KEY), text.rfind(_AFTER_BODY_KEY)
    if start < 0 or end < start + len(_BODY_KEY):
        return None
    try:
        fields = _OBJECT.decode(text[:start] + b"}")
        fields.update(_OBJECT.decode(b"{" + text[end + 1 :]))
    except msgspec.DecodeError:  # (a ValidationError too: not an object)
        return None
    if not fields.keys() <= _KNOWN_KEYS:  # not the recorder's keys (or a second body)
        return None
    return RecordData(fields, text[start + len(_BODY_KEY) : end])


def _present(line: _Line) -> dict[str, Any]:
    """Return the fields of a decoded line present in it, but its body."""
    # A dict of the keys present: each record's fields are read a dozen times.
    values = msgspec.structs.astuple(line)[1:]  # the body is the first field
    return {k: v for k, v in zip(_LINE_KEYS, values, strict=True) if v is not msgspec.UNSET}


@dataclass(frozen=True, slots=True)
class Record:
    """One recorded delivery and the line it came from."""

    line: int
    data: Mapping[str, Any]

    @property
    def raw_body(self) -> bytes | None:
        """Return the body's recorded JSON bytes, when the record was read from a line."""
        return self.data.raw_body if isinstance(self.data, RecordData) else None

    @property
    def event(self) -> str | None:
        """Return the event name (e.g. `annotation_content`), from the body if refused."""
        return self._identity("event")

    @property
    def action(self) -> str | None:
        """Return the action name (e.g. `updated`), from the body if refused."""
        return self._identity("action")

    def _identity(self, key: str) -> str | None:
        # A refused delivery (bad signature) was never parsed: its body still names it.
        value = self.data.get(key)
        if value is None:
            body = self.data.get("body")  # parsed only for a delivery that was never identified
            if isinstance(body, MAPPING_TYPES):
                value = body.get(key)
        return _str_or_none(value)

    @property
    def annotation_id(self) -> int | None:
        """Return the annotation id the delivery was about, if any."""
        value = self.data.get("annotation_id")
        return value if isinstance(value, int) else None

    @property
    def request_id(self) -> str | None:
        """Return Rossum's request id of the delivery."""
        return _str_or_none(self.data.get("request_id"))

    @property
    def replayable(self) -> bool:
        """Tell whether the body was recorded (a body that was not JSON or not read was not)."""
        raw = self.raw_body
        if raw is not None:
            return raw.startswith(b"{")
        return isinstance(self.data.get("body"), dict)

    @property
    def refused_code(self) -> str | None:
        """Return the error `code` the service answered with, if it refused the delivery."""
        answer, status = self.data.get("answer"), self.data.get("status")
        if isinstance(status, int) and status >= 400 and isinstance(answer, MAPPING_TYPES):
            return _str_or_none(answer.get("code"))
        return None

    @property
    def host_refused(self) -> bool:
        """Tell whether the service refused the delivery's host (a 403 before, or since the
        host check no longer refuses a delivery, a 200 with outcome `base_url_not_allowed`)."""
        return _REFUSED_BASE_URL in (self.refused_code, self.data.get("outcome"))


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def parse_records(lines: Iterable[str | bytes]) -> Iterator[Record]:
    """Yield the records of a JSONL recording; raise `RecordingError` on a bad line."""
    for number, text in enumerate(lines, start=1):
        if not text or text.isspace():  # (not `strip`: it would copy every line)
            continue
        try:
            data = decode_line(text)
        except ValueError as exc:
            raise RecordingError(f"line {number}: not JSON ({exc})") from None
        if data is None or "status" not in data:
            raise RecordingError(f"line {number}: not a delivery record (no body and status)")
        data.line = number
        yield Record(number, data)


@dataclass(frozen=True, slots=True)
class Selection:
    """Which records to replay: by event (`event` or `event.action`), action, annotation."""

    events: frozenset[str] = frozenset()
    actions: frozenset[str] = frozenset()
    annotations: frozenset[int] = frozenset()

    def matches(self, record: Record) -> bool:
        """Tell whether `record` passes every given filter."""
        if self.events and not (
            record.event in self.events or f"{record.event}.{record.action}" in self.events
        ):
            return False
        if self.actions and record.action not in self.actions:
            return False
        return not self.annotations or record.annotation_id in self.annotations


@dataclass(frozen=True, slots=True)
class Rewrite:
    """How payloads change for the target: token, API origin, hook settings overrides."""

    token: str | None = None
    base_url: str | None = None
    hook_settings: Mapping[str, Any] = field(default_factory=dict)


def rewrite_body(record: Record, rewrite: Rewrite) -> dict[str, Any]:
    """Return the recorded payload rebuilt for the target described by `rewrite`."""
    body = dict(record.data["body"])
    old_base = body.get("base_url")
    if rewrite.base_url and not record.host_refused:
        if isinstance(old_base, str) and old_base:
            body = _replace_prefix(body, old_base.rstrip("/"), rewrite.base_url)
        body["base_url"] = rewrite.base_url
    if rewrite.token is not None and TOKEN_KEY in body:
        body[TOKEN_KEY] = rewrite.token
    if rewrite.hook_settings:
        current = body.get("settings")
        current = current if isinstance(current, dict) else {}
        body["settings"] = {**current, **rewrite.hook_settings}
    return body


def _rewrites(record: Record, rewrite: Rewrite) -> bool:
    """Tell whether `rewrite_body` may change `record`'s body."""
    moves = bool(rewrite.base_url) and not record.host_refused
    return moves or rewrite.token is not None or bool(rewrite.hook_settings)


def _replace_prefix(value: Any, old: str, new: str) -> Any:
    """Return `value` with every string starting with origin `old` moved to `new`."""
    if isinstance(value, str):
        if value == old or value.startswith(old + "/"):
            return new + value[len(old) :]
        return value
    if isinstance(value, dict):
        return {k: _replace_prefix(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_prefix(v, old, new) for v in value]
    return value


def build_request(
    record: Record, rewrite: Rewrite, *, secret: str | None
) -> tuple[list[tuple[str, str]], bytes]:
    """Return the headers and body bytes to send for `record`, signed with `secret`.

    A body the rewrite leaves as it is goes out as the recorded bytes; others are rebuilt.
    """
    raw = record.raw_body
    if raw is not None and not _rewrites(record, rewrite):
        body = raw
    else:
        body = to_json(rewrite_body(record, rewrite))
    headers = recorded_headers(record)
    if secret is not None and record.refused_code != _REFUSED_SIGNATURE:
        headers += [(k.lower(), v) for k, v in signature_headers(body, secret).items()]
    return headers, body


def recorded_headers(record: Record) -> list[tuple[str, str]]:
    """Return the recorded headers worth sending again (content type first, JSON by default)."""
    recorded = record.data.get("headers")
    headers = dict(recorded) if isinstance(recorded, MAPPING_TYPES) else {}
    out = [("content-type", str(headers.pop("content-type", "application/json")))]
    out += [
        (str(name).lower(), str(value))
        for name, value in headers.items()
        if str(name).lower() not in _HOP_HEADERS
    ]
    return out
