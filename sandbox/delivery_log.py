"""Records of deliveries (sandbox-only listing) and Rossum-style hook log entries.

Hook logs follow `GET /hooks/logs` (spec section 6): one entry per attempt, with `request` (the
payload, only when the hook has `payload_logging_enabled`, token and secrets redacted) and
`response`. Neither listing ever holds a token, a secret or a signature.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from sandbox.answers import Outcome
from sandbox.demo_data import ORGANIZATION_ID
from sandbox.payloads import redacted
from sandbox.store import Record, Store, now_iso


@dataclass
class Attempt:
    """One HTTP call of a delivery."""

    number: int
    started_at: str
    duration_ms: float
    status_code: int | None
    error: str | None
    # Asynchronous mode: the hook answered 202 and its `Location` was polled this many times;
    # `result_status` is the last poll's status (201 when the result was fetched).
    polls: int = 0
    result_status: int | None = None

    @property
    def final_status(self) -> int | None:
        """Return the status that decided the attempt: the last poll's, or the call's."""
        return self.result_status if self.polls else self.status_code


@dataclass
class Delivery:
    """One event delivered to one hook, across its attempts."""

    id: int
    request_id: str
    hook_id: int
    hook_name: str
    event: str
    action: str
    annotation_id: int | None
    queue_id: int | None
    interactive: bool
    created_at: str
    state: str = "pending"
    attempts: list[Attempt] = field(default_factory=list)
    answer: Any = None
    outcome: Outcome = field(default_factory=Outcome)
    finished_at: str | None = None

    def as_json(self) -> dict[str, Any]:
        """Return the record for `GET /api/v1/sandbox/deliveries`."""
        data = asdict(self)
        data["outcome"] = self.outcome.as_json()
        data["status_code"] = self.attempts[-1].final_status if self.attempts else None
        data["duration_ms"] = round(sum(a.duration_ms for a in self.attempts), 3)
        return data


def _email_id(payload: dict[str, Any]) -> int | None:
    tail = str(payload.get("email") or "").rstrip("/").rpartition("/")[2]
    return int(tail) if tail.isdigit() else None


def log_entry(
    store: Store,
    hook: Record,
    delivery: Delivery,
    attempt: Attempt,
    payload: dict[str, Any],
    final: bool,
) -> dict[str, Any]:
    """Return the hook log entry of one attempt (`final`: no retry follows it)."""
    ann = store.find("annotations", delivery.annotation_id or 0)
    status_code = attempt.final_status
    ok = status_code is not None and 200 <= status_code < 300 and attempt.error is None
    if ok:
        level, status, message = "INFO", "completed", "Hook call succeeded."
    else:
        failure = attempt.error or f"HTTP {status_code}"
        level = "ERROR" if final else "WARNING"
        status = "failed" if final else "running"
        message = f"Hook call failed: {failure}." + ("" if final else " Retrying.")
    logging = bool(hook["config"].get("payload_logging_enabled"))
    return {
        "timestamp": now_iso(),
        "uuid": str(uuid.uuid4()),
        "request_id": delivery.request_id,
        "event": delivery.event,
        "action": delivery.action,
        "organization_id": ann["organization"] if ann else ORGANIZATION_ID,
        "queue_id": ann["queue"] if ann else delivery.queue_id,
        "annotation_id": delivery.annotation_id,
        "email_id": _email_id(payload) if delivery.event == "email" else None,
        "hook_id": hook["id"],
        "hook_type": hook.get("type", "webhook"),
        "log_level": level,
        "message": message,
        "request": redacted(payload) if logging else None,
        "response": delivery.answer,
        "start": attempt.started_at,
        "end": now_iso(),
        "settings": dict(hook.get("settings", {})),
        "status": status,
        "status_code": status_code,
        "output": None,
    }
