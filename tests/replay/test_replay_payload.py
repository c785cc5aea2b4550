"""Reading recordings and rebuilding their deliveries for another target (pure)."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from typing import Any

import pytest

from handlers.signature import verify
from replay.offline import OfflineRossum, called_label_names
from replay.payload import (
    Record,
    RecordingError,
    Rewrite,
    Selection,
    _cut_around_body,
    build_request,
    decode_line,
    parse_records,
    rewrite_body,
)
from replay.progress import ProgressBar
from tests.replay.replay_kit import invoice_payloads, record

OLD = "https://acme.rossum.app"
NEW = "http://127.0.0.1:8001"


def _record(body: dict[str, Any] | None = None, **data: Any) -> Record:
    payload = {
        "request_id": "r-1",
        "base_url": OLD,
        "hook": f"{OLD}/api/v1/hooks/5",
        "rossum_authorization_token": "[redacted]",
        "settings": {"due_soon_days": 5},
        "annotation": {"url": f"{OLD}/api/v1/annotations/9", "labels": [f"{OLD}/api/v1/labels/1"]},
        "event": "annotation_content",
        "action": "updated",
    }
    values = {"status": 200, "answer": {}, "headers": {"content-type": "application/json"}}
    return Record(1, {"body": payload if body is None else body, **values, **data})


def test_records_are_parsed_with_line_numbers() -> None:
    """Blank lines are skipped; a bad line raises naming its number."""
    good = json.dumps({"status": 200, "body": {}})
    records = list(parse_records([good, "", good]))
    assert [r.line for r in records] == [1, 3]
    with pytest.raises(RecordingError, match="line 2: not JSON"):
        list(parse_records([good, "{nope"]))


def test_selection_matches_event_action_and_annotation() -> None:
    """Filters combine: each given filter must match."""
    record = _record(event="annotation_content", action="updated", annotation_id=9)
    assert Selection().matches(record)
    assert Selection(events=frozenset({"annotation_content.updated"})).matches(record)
    assert not Selection(events=frozenset({"annotation_status"})).matches(record)
    assert not Selection(annotations=frozenset({10})).matches(record)
    assert Selection(actions=frozenset({"updated"}), annotations=frozenset({9})).matches(record)


def test_rewrite_points_every_url_at_the_target_and_substitutes_the_token() -> None:
    """The base URL, nested URLs under it, the redacted token and settings are rewritten."""
    rewrite = Rewrite(token="sandbox-token", base_url=NEW, hook_settings={"expedite_amount": 5})
    body = rewrite_body(_record(), rewrite)
    assert body["base_url"] == NEW and body["hook"] == f"{NEW}/api/v1/hooks/5"
    assert body["annotation"]["labels"] == [f"{NEW}/api/v1/labels/1"]
    assert body["rossum_authorization_token"] == "sandbox-token"
    assert body["settings"] == {"due_soon_days": 5, "expedite_amount": 5}


def test_rewrite_leaves_out_what_the_recording_left_out() -> None:
    """No token is added to a payload sent without one; a refused base URL stays refused."""
    no_token = _record()
    del no_token.data["body"]["rossum_authorization_token"]
    assert "rossum_authorization_token" not in rewrite_body(no_token, Rewrite(token="t"))
    refused = _record(status=403, answer={"detail": "no", "code": "base_url_not_allowed"})
    assert rewrite_body(refused, Rewrite(base_url=NEW))["base_url"] == OLD
    assert refused.host_refused and not _record().host_refused
    # Since a refused host still gets its rules: a 200 whose outcome says the host was refused.
    answered = _record(outcome="base_url_not_allowed")
    assert rewrite_body(answered, Rewrite(base_url=NEW))["base_url"] == OLD
    assert answered.host_refused


def test_build_request_signs_the_new_bytes() -> None:
    """The rebuilt body verifies with the target's secret; hop headers are not forwarded."""
    record = _record(headers={"content-type": "application/json", "host": "x", "x-extra": "1"})
    headers, body = build_request(record, Rewrite(base_url=NEW), secret="s3cret")
    assert verify(dict(headers), body, ["s3cret"]) == "sha256"
    assert json.loads(body)["base_url"] == NEW
    assert [name for name, _ in headers][:2] == ["content-type", "x-extra"]


def test_refused_signature_is_sent_unsigned() -> None:
    """A delivery the service refused for its signature is replayed without one."""
    record = _record(status=401, answer={"detail": "bad", "code": "invalid_signature"})
    headers, _ = build_request(record, Rewrite(), secret="s3cret")
    assert all("signature" not in name for name, _ in headers)


def test_record_identity_falls_back_to_the_body() -> None:
    """A refused delivery's event and action are read from its body."""
    record = _record(event=None, action=None)
    assert (record.event, record.action) == ("annotation_content", "updated")
    assert not Record(1, {"body": None, "status": 400}).replayable


def test_offline_label_sources() -> None:
    """Labels come from sideloads (with URLs, a real one beating a placeholder) and from the
    names the recorded calls used, under the origin of the annotation they were applied to."""
    calls = [{"call": "create_new_label", "name": "x"}, {"call": "apply_labels", "add": ["y"]}]
    assert called_label_names([*calls, "junk"]) == ["x", "y"]
    offline = OfflineRossum()
    applied = {**calls[1], "annotation": f"{OLD}/api/v1/annotations/9"}
    offline.learn_calls(_record(calls=[calls[0], applied]))
    placeholders = offline.labels(OLD)
    assert sorted(placeholders) == ["x", "y"]
    assert all(url.startswith(f"{OLD}/api/v1/labels/9000") for url in placeholders.values())
    offline.learn_calls(_record(calls=calls))  # no annotation named: no origin to learn for
    offline.learn_labels(OLD, {"y": "u-y", "z": "u-z"})
    assert offline.labels(OLD) == {"x": placeholders["x"], "y": "u-y", "z": "u-z"}
    offline.learn_labels(OLD, {"y": "u-y2"})  # a real URL is not replaced by another
    assert offline.labels(OLD)["y"] == "u-y"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_on_a_terminal_only() -> None:
    """On a TTY the bar redraws at most once per interval and ends its line; else silent."""
    now = [0.0]
    terminal = _Terminal()
    bar = ProgressBar(total=4, stream=terminal, interval=1.0, clock=lambda: now[0])
    bar.advance()  # within the interval: not drawn
    now[0] = 2.0
    bar.advance()
    bar.advance(2)  # done: drawn even within the interval
    bar.close()
    frames = terminal.getvalue().split("\r")[1:]
    assert frames[0].startswith("replay [###############...............] 2/4  50% 1/s")
    assert frames[1].startswith("replay [##############################] 4/4 100%")
    assert terminal.getvalue().endswith("\n")
    quiet = io.StringIO()
    silent = ProgressBar(total=1, stream=quiet)
    silent.advance()
    silent.close()
    assert quiet.getvalue() == ""


def test_a_line_read_from_a_recording_sends_its_recorded_body_bytes() -> None:
    """Without a rewrite the recorded body bytes go out as they are (signed); with one, the
    body is parsed and rebuilt."""
    body = (
        '{"base_url": "https://acme.rossum.app", "labels": [{"name": "vip", "url": "u1"}],'
        ' "annotation": {"labels": ["u1"], "content": [{"id": 1}]}, "settings": {}}'
    )
    line = '{"status": 200, "answer": {}, "body": ' + body + "}"
    [record] = parse_records([line.encode()])
    headers, sent = build_request(record, Rewrite(), secret="s")
    assert sent == body.encode()
    verify(dict(headers), sent, ["s"])
    _, rebuilt = build_request(record, Rewrite(hook_settings={"x": 1}), secret="s")
    assert json.loads(rebuilt)["settings"] == {"x": 1}
    assert record.data["body"]["annotation"]["content"] == [{"id": 1}]
    [unreadable] = parse_records(['{"status": 400, "body": null}'])
    assert not unreadable.replayable


def test_a_line_reads_as_its_fields_whether_of_the_recorders_keys_or_not() -> None:
    """A line of the recorder's keys (decoded in one pass) and a line with other keys too
    (decoded key by key) both read as exactly their JSON fields, the body parsed on demand."""
    fields = {
        "version": 1,
        "request_id": "r-1",
        "event": "annotation_status",
        "action": "changed",
        "annotation_id": 9,
        "headers": {"content-type": "application/json"},
        "status": 200,
        "answer": {"messages": []},
        "outcome": "ok",
        "calls": None,
        "body": {"base_url": "https://acme.rossum.app", "settings": {}},
    }
    for extra in ({}, {"source": "rossum_hook_logs"}, {"a_later_key": [1, 2]}):
        line = json.dumps({**fields, **extra})
        [record] = parse_records([line.encode()])
        assert dict(record.data) == {**fields, **extra}
        assert len(record.data) == len(fields) + len(extra)
        assert "received_at" not in record.data and record.data.get("received_at", "-") == "-"
        with pytest.raises(KeyError):
            record.data["received_at"]
        assert record.raw_body == json.dumps(fields["body"]).encode()
    with pytest.raises(RecordingError, match="line 1: not a delivery record"):
        list(parse_records(['{"status": 200, "answer": null}']))
    with pytest.raises(RecordingError, match="line 1: not a delivery record"):
        list(parse_records(["[1, 2]"]))


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))  # as the recorder writes its lines


def test_a_line_as_the_recorder_writes_it_is_cut_around_its_body() -> None:
    """A line laid out as the recorder writes it reads as its fields, the body's bytes taken
    as they are, unread: a body that is not JSON is sent as it is (the service answers it),
    and reading it names the line. A header named `body`, or a `body_error` key inside the
    body or after it, cannot mislead the cut: the same fields are read."""
    body = {"base_url": "https://acme.rossum.app", "annotation": {"content": [{"id": 1}]}}
    fields = {
        "version": 1,
        "request_id": "r-1",
        "headers": {"content-type": "application/json"},
        "body": body,
        "body_error": None,
        "status": 200,
        "answer": {"messages": []},
        "calls": [{"call": "apply_labels", "add": ["x"]}],
    }
    nested = {"body_error": "?", "body": {"body_error": 1}}
    variants = [
        fields,
        {**fields, "headers": {"x": "1", "body": "2"}},
        {**fields, "body": {**body, **nested}},
        {**fields, "answer": {"messages": [], **nested}},
    ]
    for variant in variants:
        [record] = parse_records([_compact(variant).encode() + b"\n"])
        assert dict(record.data) == variant
        assert record.raw_body == _compact(variant["body"]).encode()
    line = _compact(fields).replace(_compact(body), '{"base_url": "https://acme.rossum.app",')
    [_, record] = parse_records([_compact(fields).encode(), line.encode()])
    assert record.raw_body == b'{"base_url": "https://acme.rossum.app",' and record.replayable
    assert record.data["status"] == 200 and record.data["calls"] == fields["calls"]
    with pytest.raises(RecordingError, match="line 2: the recorded body is not JSON"):
        record.data["body"]
    # A key the recorder does not write: not its layout, so the line is decoded whole.
    other = _compact({**fields, "a_later_key": [1]}).encode()
    assert _cut_around_body(other) is None
    [record] = parse_records([other])
    assert record.data["a_later_key"] == [1] and record.raw_body == _compact(body).encode()


def test_the_recorders_lines_are_cut_around_their_bodies(tmp_path: Path) -> None:
    """The recorder writes the layout the replay cuts without reading the body; the cut
    reads the same fields as decoding the whole line."""
    path = tmp_path / "day.jsonl"
    asyncio.run(record(path, invoice_payloads()))
    for line in path.read_bytes().splitlines():
        cut = _cut_around_body(line)
        assert cut is not None
        whole = decode_line(line.decode())  # (text, not bytes: decoded whole)
        assert whole is not None and cut.raw_body == whole.raw_body
        assert dict(cut) == dict(whole)
