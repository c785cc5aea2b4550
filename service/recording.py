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
     "body_error": null,
     "status": 200, "answer": {...},                # the JSON the service answered (or null)
     "outcome": "ok", "duration_ms": 12.5, "dry_run": false,
     "calls": [{"call": "apply_labels", ...}]}      # API calls made (or, dry run, intended)

Writing happens on a daemon thread fed by a bounded queue: `submit` never blocks and drops the
entry (counting it) when the queue is full. When the file would exceed `max_bytes` it is rotated
like `logging.handlers.RotatingFileHandler`: `path` -> `path.1` -> ... -> `path.<keep>`.
"""

from __future__ import annotations

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
    """Append lines to a file, rotating it before it would grow past `max_bytes`."""

    def __init__(self, path: Path, *, max_bytes: int, keep: int) -> None:
        self.path, self.max_bytes, self.keep = path, max_bytes, keep
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[bytes] = path.open("ab")

    def write(self, line: bytes) -> None:
        """Append one line (with its newline), rotating first if it would not fit."""
        size = self._file.tell()
        if size and size + len(line) > self.max_bytes:
            self._rotate()
        self._file.write(line)

    def flush(self) -> None:
        """Flush buffered lines to the operating system."""
        self._file.flush()

    def close(self) -> None:
        """Flush and close the current file."""
        self._file.close()

    def _rotate(self) -> None:
        self._file.close()
        oldest = self.path.with_name(f"{self.path.name}.{self.keep}")
        oldest.unlink(missing_ok=True)
        for n in range(self.keep - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{n}")
            if older.exists():
                older.rename(self.path.with_name(f"{self.path.name}.{n + 1}"))
        self.path.rename(self.path.with_name(f"{self.path.name}.1"))
        self._file = self.path.open("ab")


_STOP = object()


class Recorder:
    """Record deliveries on a background thread; `submit` never blocks the answer."""

    def __init__(self, path: Path, *, max_bytes: int, keep: int, queue_size: int = 10_000) -> None:
        self._writer = RotatingWriter(path, max_bytes=max_bytes, keep=keep)
        self._queue: queue.Queue[object] = queue.Queue(maxsize=queue_size)
        self._thread = threading.Thread(target=self._drain, name="recorder", daemon=True)
        self.dropped = 0
        self.written = 0

    def start(self) -> None:
        """Start the writer thread."""
        self._thread.start()

    def submit(self, entry: Entry) -> bool:
        """Queue `entry` for writing; return False (and count it) if the queue is full."""
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            self.dropped += 1
            log.warning("recording.dropped", dropped=self.dropped)
            return False
        return True

    def close(self, *, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the thread and close the file."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout)
        self._writer.close()

    @property
    def queued(self) -> int:
        """Return how many entries wait to be written (approximate, for metrics)."""
        return self._queue.qsize()

    @property
    def alive(self) -> bool:
        """Return True while the writer thread runs."""
        return self._thread.is_alive()

    def _drain(self) -> None:
        while True:
            item = self._queue.get()
            batch = [item]
            while not self._queue.empty() and len(batch) < 256:
                batch.append(self._queue.get_nowait())
            for entry in batch:
                if entry is _STOP:
                    self._writer.flush()
                    return
                self._write(entry)
            self._writer.flush()

    def _write(self, entry: object) -> None:
        assert isinstance(entry, Entry)
        try:
            line = json.dumps(to_record(entry), separators=(",", ":"), default=str)
            self._writer.write(line.encode() + b"\n")
            self.written += 1
        except Exception as exc:  # a full disk must not kill the writer
            log.error("recording.write_failed", error_type=type(exc).__name__)
