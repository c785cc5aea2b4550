"""Tests of the JSONL delivery recorder: content, redaction, rotation, never blocking."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import pytest

from service.recording import Entry, Recorder, RotatingWriter, to_record

TOKEN = "tok-1024873d424a007d8eebff7b"
SECRET_VALUE = "secret-importer-user-password"
SIGNATURE = "sha256=" + "ab" * 32


def _entry(**overrides: object) -> Entry:
    body = {
        "request_id": "r-1",
        "event": "annotation_content",
        "action": "updated",
        "rossum_authorization_token": TOKEN,
        "secrets": {"password": SECRET_VALUE, "api": "k-999"},
        "settings": {"amount_threshold": 1000, "sftp_password": "pw-777"},
        "annotation": {"id": 7, "content": [{"schema_id": "amount_total"}]},
    }
    fields: dict[str, object] = {
        "received_at": "2024-05-01T12:00:00Z",
        "method": "POST",
        "path": "/hooks",
        "headers": [
            (b"content-type", b"application/json"),
            (b"X-Rossum-Signature-SHA256", SIGNATURE.encode()),
            (b"x-elis-signature", b"sha1=" + b"cd" * 20),
            (b"authorization", b"Bearer " + TOKEN.encode()),
        ],
        "body": json.dumps(body).encode(),
        "status": 200,
        "answer": b'{"messages":[],"operations":[]}',
        "duration_ms": 3.5,
        "outcome": "ok",
        "dry_run": False,
        "request_id": "r-1",
        "event": "annotation_content",
        "action": "updated",
        "annotation_id": 7,
        "calls": [{"call": "apply_labels", "add": ["expedite"]}],
    }
    fields.update(overrides)
    return Entry(**fields)  # type: ignore[arg-type]


def test_record_keeps_payload_as_json_and_redacts_credentials() -> None:
    """The body is stored as JSON with token, secret values and credential keys masked."""
    record = to_record(_entry())
    line = json.dumps(record)
    for leaked in (TOKEN, SECRET_VALUE, "k-999", "pw-777", SIGNATURE, "cd" * 20):
        assert leaked not in line
    assert record["body"]["secrets"] == {"password": "[redacted]", "api": "[redacted]"}
    assert record["body"]["settings"]["amount_threshold"] == 1000
    assert record["body"]["annotation"]["content"] == [{"schema_id": "amount_total"}]
    assert record["headers"] == {"content-type": "application/json"}
    assert record["answer"] == {"messages": [], "operations": []}
    assert record["calls"] == [{"call": "apply_labels", "add": ["expedite"]}]
    assert (record["status"], record["outcome"], record["annotation_id"]) == (200, "ok", 7)


def test_record_of_unparsable_or_unread_body_says_why() -> None:
    """A body that is not JSON is not stored verbatim; body_error explains its absence."""
    broken = to_record(_entry(body=b'{"rossum_authorization_token": "' + TOKEN.encode()))
    assert broken["body"] is None and broken["body_error"] == "body is not valid JSON"
    assert TOKEN not in json.dumps(broken)
    unread = to_record(_entry(body=None, answer=b""))
    assert unread["body"] is None and unread["body_error"] == "body not read"
    assert unread["answer"] is None


def test_recorder_writes_one_line_per_delivery_and_flushes_on_close(tmp_path: Path) -> None:
    """Submitted entries all reach the file, one JSON object per line, by close()."""
    path = tmp_path / "deliveries.jsonl"
    recorder = Recorder(path, max_bytes=10_000_000, keep=2)
    recorder.start()
    for n in range(50):
        assert recorder.submit(_entry(request_id=f"r-{n}"))
    recorder.close()
    lines = path.read_text().splitlines()
    assert [json.loads(line)["request_id"] for line in lines] == [f"r-{n}" for n in range(50)]
    assert recorder.written == 50 and not recorder.alive


def test_recorder_drops_instead_of_blocking_when_queue_is_full(tmp_path: Path) -> None:
    """With the writer not running, submits past the queue size return False at once."""
    recorder = Recorder(tmp_path / "r.jsonl", max_bytes=1000, keep=1, queue_size=2)
    assert recorder.submit(_entry()) and recorder.submit(_entry())
    assert recorder.submit(_entry()) is False
    assert recorder.dropped == 1
    recorder.close()


def test_writer_rotates_by_size_and_keeps_n_files(tmp_path: Path) -> None:
    """Past max_bytes the file rotates to .1, .2 and files beyond `keep` are deleted."""
    path = tmp_path / "rec.jsonl"
    writer = RotatingWriter(path, max_bytes=25, keep=2)
    for n in range(5):
        writer.write(f"line-{n}-".ljust(14, "x").encode() + b"\n")  # 15 bytes each
    writer.close()
    assert path.read_text().startswith("line-4")
    assert (tmp_path / "rec.jsonl.1").read_text().startswith("line-3")
    assert (tmp_path / "rec.jsonl.2").read_text().startswith("line-2")
    assert not (tmp_path / "rec.jsonl.3").exists()


def test_close_writes_every_one_of_10000_queued_entries(tmp_path: Path) -> None:
    """10,000 entries queued, then close(): every one is on disk, in order, none failed."""
    path = tmp_path / "backlog.jsonl"
    recorder = Recorder(path, max_bytes=1 << 40, keep=1, queue_size=10_000)
    recorder.start()
    for n in range(10_000):
        assert recorder.submit(_entry(request_id=f"r-{n}"))
    recorder.close()
    ids = [json.loads(line)["request_id"] for line in path.read_text().splitlines()]
    assert ids == [f"r-{n}" for n in range(10_000)]
    assert (recorder.written, recorder.failed, recorder.dropped) == (10_000, 0, 0)


def test_close_writes_the_backlog_when_the_writer_thread_is_not_running(tmp_path: Path) -> None:
    """Entries queued while no thread runs are written by close() itself, not discarded."""
    path = tmp_path / "no-thread.jsonl"
    recorder = Recorder(path, max_bytes=1 << 40, keep=1, queue_size=500)
    for n in range(500):
        assert recorder.submit(_entry(request_id=f"r-{n}"))
    recorder.close()
    assert len(path.read_text().splitlines()) == 500 == recorder.written


def test_close_waits_for_a_slow_writer_instead_of_closing_the_file_under_it(
    tmp_path: Path,
) -> None:
    """A writer busy with its backlog is waited for: the file is not closed under it."""
    path = tmp_path / "slow.jsonl"
    recorder = Recorder(path, max_bytes=1 << 40, keep=1)
    writer = recorder._writer
    release = threading.Event()
    real_write = writer.write

    def slow_write(line: bytes) -> None:
        release.wait()
        real_write(line)

    writer.write = slow_write  # type: ignore[method-assign]
    recorder.start()
    for n in range(100):
        recorder.submit(_entry(request_id=f"r-{n}"))
    closing = threading.Thread(target=recorder.close)
    closing.start()
    closing.join(0.3)
    assert closing.is_alive(), "close() returned while 100 entries were still queued"
    release.set()
    closing.join(10)
    assert not closing.is_alive()
    assert len(path.read_text().splitlines()) == 100
    assert (recorder.written, recorder.failed) == (100, 0)


def test_writer_thread_survives_a_full_disk_and_counts_the_failures(tmp_path: Path) -> None:
    """On /dev/full (ENOSPC on every flush) the thread keeps running and counts each failure."""
    full = Path("/dev/full")
    if not full.exists():
        pytest.skip("needs /dev/full")
    recorder = Recorder(full, max_bytes=1 << 40, keep=1)
    recorder.start()
    for n in range(3):
        recorder.submit(_entry(request_id=f"r-{n}"))
        deadline = time.monotonic() + 5
        while recorder.failed <= n and time.monotonic() < deadline:
            time.sleep(0.01)
    assert recorder.failed >= 3
    assert recorder.alive, "a write error killed the writer thread"
    recorder.close()


def test_a_failed_rotation_keeps_writing_to_the_current_file(tmp_path: Path) -> None:
    """When rotating is refused (`.1` is a non-empty directory), no line is lost."""
    path = tmp_path / "rec.jsonl"
    blocker = tmp_path / "rec.jsonl.1"
    blocker.mkdir()
    (blocker / "keep").write_text("x")
    writer = RotatingWriter(path, max_bytes=25, keep=1)
    for n in range(5):
        writer.write(f"line-{n}-".ljust(14, "x").encode() + b"\n")
    writer.close()
    assert [line[:6] for line in path.read_text().splitlines()] == [f"line-{n}" for n in range(5)]
    assert writer.rotate_failures >= 1


async def test_put_waits_for_room_instead_of_dropping(tmp_path: Path) -> None:
    """The service's `put` waits while the queue is full; every entry is written."""
    path = tmp_path / "full-queue.jsonl"
    recorder = Recorder(path, max_bytes=1 << 40, keep=1, queue_size=4)
    recorder.start()
    results = [await recorder.put(_entry(request_id=f"r-{n}")) for n in range(200)]
    await asyncio.to_thread(recorder.close)
    assert all(results) and recorder.dropped == 0
    assert len(path.read_text().splitlines()) == 200
