"""Recording of every delivery to a JSONL file, off the answer path, rotated by size.

Enable with `ROSSUM_HOOKS_RECORD_PATH`. Each line is one JSON object (format version 1):

    {"version": 1,
     "received_at": "2024-05-01T12:00:00.123456Z",   # UTC, when the request arrived
     "request_id": "ae7b...", "event": "annotation_content", "action": "updated",
     "annotation_id": 314521,                       # null when the payload names none
     "method": "POST", "path": "/hooks",
     "headers": {"content-type": "application/json", ...},   # lower-case names; signature,
                                                    # authorization and cookie headers dropped
     "body": {...},          # the payload as JSON (not a string); `rossum_authorization_token`,
                             # every value under `secrets` and any key naming a token, secret,
                             # password or signature replaced by "[redacted]"; null if the body
                             # was not JSON or was not read (then `body_error` says why)
     "body_error": null,     # right after `body`: a replay cuts a line between the two keys
                             # and sends the body's bytes unread (`replay.payload`)
     "status": 200, "answer": {...},                # the JSON the service answered (or null)
     "outcome": "ok", "duration_ms": 12.5, "dry_run": false,
     "calls": [{"call": "apply_labels", ...}]}      # API calls made (or, dry run, intended)

Writing happens on a daemon thread fed by a bounded queue. The service queues each delivery after
its answer is sent and, when the queue is full, waits for room rather than dropping it; `close()`
(at shutdown) returns only once every queued entry is on disk. A write error (full disk) is
retried once on a reopened file, then counted in `failed` and logged; the thread keeps going.
When the file would exceed `max_bytes` it is rotated like `logging.handlers.RotatingFileHandler`:
`path` -> `path.1` -> ... -> `path.<keep>`; a failed rotation keeps writing to `path`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import structlog

from service.logging import REDACTED, is_sensitive, redact

log = structlog.get_logger()

FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Entry:
    """The raw facts of one delivery; turned into a JSON line on the writer thread."""

    received_at: str
    method: str
    path: str
    headers: Iterable[tuple[bytes, bytes]]
    body: bytes | None
    status: int
    answer: bytes
    duration_ms: float
    outcome: str
    dry_run: bool
    request_id: str | None = None
    event: str | None = None
    action: str | None = None
    annotation_id: int | None = None
    calls: list[dict[str, Any]] = field(default_factory=list)
    body_error: str | None = None


def redact_body(body: Any) -> Any:
    """Return a payload with the hook token, every secret value and credential keys masked."""
    if not isinstance(body, dict):
        return redact(body)
    cleaned = redact({k: v for k, v in body.items() if k != "secrets"})
    secrets = body.get("secrets")
    if isinstance(secrets, dict):
        cleaned["secrets"] = dict.fromkeys(secrets, REDACTED)
    elif "secrets" in body:
        cleaned["secrets"] = REDACTED
    return cleaned


def _json_or_none(raw: bytes | None) -> tuple[Any, str | None]:
    if raw is None:
        return None, "body not read"
    try:
        return json.loads(raw), None
    except ValueError:
        return None, "body is not valid JSON"


def to_record(entry: Entry) -> dict[str, Any]:
    """Return the JSON-ready record of one delivery (the line format above)."""
    body, body_error = _json_or_none(entry.body)
    answer, _ = _json_or_none(entry.answer) if entry.answer else (None, None)
    headers = {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in entry.headers
        if not is_sensitive(name.decode("latin-1"))
    }
    return {
        "version": FORMAT_VERSION,
        "received_at": entry.received_at,
        "request_id": entry.request_id,
        "event": entry.event,
        "action": entry.action,
        "annotation_id": entry.annotation_id,
        "method": entry.method,
        "path": entry.path,
        "headers": headers,
        "body": redact_body(body),
        "body_error": entry.body_error or body_error,
        "status": entry.status,
        "answer": redact(answer),
        "outcome": entry.outcome,
        "duration_ms": entry.duration_ms,
        "dry_run": entry.dry_run,
        "calls": redact(entry.calls),
    }


class RotatingWriter:
    """Append lines to a file, rotating it before it would grow past `max_bytes`.

    A rotation that fails (a rename refused, a full disk) loses nothing: the line goes to the
    current file, which then grows past `max_bytes` until the next rotation succeeds (tried
    again after another `max_bytes`); `rotate_failures` counts them.
    """

    def __init__(self, path: Path, *, max_bytes: int, keep: int) -> None:
        self.path, self.max_bytes, self.keep = path, max_bytes, keep
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[bytes] = path.open("ab")
        self._limit = max_bytes
        self.rotate_failures = 0

    def write(self, line: bytes) -> None:
        """Append one line (with its newline), rotating first if it would not fit."""
        if self._file.closed:
            self._file = self.path.open("ab")
        size = self._file.tell()
        if size and size + len(line) > self._limit:
            self._rotate(size)
        self._file.write(line)

    def flush(self) -> None:
        """Flush buffered lines to the operating system."""
        if not self._file.closed:
            self._file.flush()

    def reopen(self) -> None:
        """Close the current file and open it again (after a failed write)."""
        with contextlib.suppress(OSError, ValueError):
            self._file.close()
        self._file = self.path.open("ab")

    def close(self) -> None:
        """Flush and close the current file."""
        self._file.close()

    def _rotate(self, size: int) -> None:
        self._file.close()
        try:
            oldest = self.path.with_name(f"{self.path.name}.{self.keep}")
            oldest.unlink(missing_ok=True)
            for n in range(self.keep - 1, 0, -1):
                older = self.path.with_name(f"{self.path.name}.{n}")
                if older.exists():
                    older.rename(self.path.with_name(f"{self.path.name}.{n + 1}"))
            self.path.rename(self.path.with_name(f"{self.path.name}.1"))
        except OSError as exc:
            self.rotate_failures += 1
            self._limit = size + self.max_bytes
            log.error("recording.rotate_failed", error_type=type(exc).__name__)
        else:
            self._limit = self.max_bytes
        finally:
            self._file = self.path.open("ab")


_STOP = object()
_BATCH = 256


class Recorder:
    """Record deliveries on a background thread; `submit` never blocks the answer.

    Nothing accepted is lost: `put` (what the service uses, after the answer is sent) waits
    for room when the queue is full instead of dropping; a write that fails is retried once on
    a reopened file and then counted in `failed` (the thread keeps running); `close` waits
    until every queued entry is on disk, writing them itself if the thread is gone.
    """

    def __init__(self, path: Path, *, max_bytes: int, keep: int, queue_size: int = 10_000) -> None:
        self._writer = RotatingWriter(path, max_bytes=max_bytes, keep=keep)
        self._queue: queue.Queue[object] = queue.Queue(maxsize=queue_size)
        self._thread = threading.Thread(target=self._drain, name="recorder", daemon=True)
        self._closed = False
        self.dropped = 0
        self.written = 0
        self.failed = 0

    def start(self) -> None:
        """Start the writer thread."""
        self._thread.start()

    def submit(self, entry: Entry) -> bool:
        """Queue `entry` without waiting; return False (and count it) if the queue is full."""
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            self.dropped += 1
            log.warning("recording.dropped", dropped=self.dropped)
            return False
        return True

    async def put(self, entry: Entry, *, poll_s: float = 0.005) -> bool:
        """Queue `entry`, waiting (without blocking the event loop) while the queue is full.

        Return False (and count it as dropped) only when no writer thread will ever take it:
        the recorder is closed, or its thread was never started.
        """
        while True:
            if self._closed or not self._thread.is_alive():
                self.dropped += 1
                log.warning("recording.dropped", dropped=self.dropped, reason="recorder stopped")
                return False
            try:
                self._queue.put_nowait(entry)
            except queue.Full:
                await asyncio.sleep(poll_s)
            else:
                return True

    def close(self) -> None:
        """Write every queued entry, then stop the thread and close the file.

        Waits as long as the backlog needs (10,000 entries take a few seconds); with the thread
        not running (never started, or gone), the entries are written here instead.
        """
        self._closed = True
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join()
        self._write_backlog()
        try:
            self._writer.close()
        except OSError as exc:
            self.failed += 1
            log.error("recording.flush_failed", error_type=type(exc).__name__)

    @property
    def queued(self) -> int:
        """Return how many entries wait to be written (approximate, for metrics)."""
        return self._queue.qsize()

    @property
    def alive(self) -> bool:
        """Return True while the writer thread runs."""
        return self._thread.is_alive()

    def _write_backlog(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is not _STOP:
                self._write(item)
        self._flush()

    def _drain(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < _BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            for position, item in enumerate(batch):
                if item is _STOP:
                    # Anything after the stop marker is written by close() itself.
                    for later in batch[position + 1 :]:
                        self._write(later)
                    self._flush()
                    return
                self._write(item)
            self._flush()

    def _flush(self) -> None:
        try:
            self._writer.flush()
        except (OSError, ValueError) as exc:
            self.failed += 1
            log.error("recording.flush_failed", error_type=type(exc).__name__)

    def _write(self, entry: object) -> None:
        assert isinstance(entry, Entry)
        try:
            line = json.dumps(to_record(entry), separators=(",", ":"), default=str).encode()
        except Exception as exc:  # an entry that cannot be serialised is counted, not fatal
            self.failed += 1
            log.error("recording.write_failed", error_type=type(exc).__name__, stage="encode")
            return
        for attempt in (1, 2):
            try:
                self._writer.write(line + b"\n")
            except (OSError, ValueError) as exc:  # a full disk must not kill the writer
                if attempt == 2:
                    self.failed += 1
                    log.error("recording.write_failed", error_type=type(exc).__name__)
                    return
                with contextlib.suppress(OSError):
                    self._writer.reopen()
            else:
                self.written += 1
                return
