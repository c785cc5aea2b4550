"""One delivery's facts, and the ASGI middleware that logs and records each delivery once.

The endpoint and the exception handlers fill in a `Delivery` found on the request scope; the
middleware makes it the context's delivery (`service.context`: log lines name it), turns an
unexpected exception into a JSON 500 (no trace leaves the process), emits the canonical
`webhook.handled` line and hands the delivery to the recorder, after the answer has been sent.
"""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from handlers.events import HookEvent
from service import context
from service.errors import OUTCOME_KEY, error_response
from service.logging import enabled as logging_enabled
from service.recording import Entry, Recorder

if TYPE_CHECKING:
    from service.metrics import Metrics

log = structlog.get_logger()

SCOPE_KEY = "rossum_hooks.delivery"
BUG_MESSAGE = "The extension failed unexpectedly; its checks did not run. Details are in its log."


@dataclass(slots=True)
class Delivery:
    """What the service learnt and did for one webhook delivery."""

    received: float  # wall clock (epoch seconds); `received_at` is its text
    started: float
    dry_run: bool
    body: bytes | None = None
    payload: HookEvent | None = None  # as parsed (its content tree let go once the rules ran)
    request_id: str | None = None
    event: str | None = None
    action: str | None = None
    annotation_id: int | None = None
    hook_id: int | None = None
    api_host: str | None = None
    api_calls: int = 0
    api_wait_s: float = 0.0
    rules_fired: tuple[str, ...] = ()
    labels_added: tuple[str, ...] = ()
    labels_removed: tuple[str, ...] = ()
    operations: int = 0
    messages: int = 0
    outcome: str = "ok"
    stale: bool = False
    calls: list[dict[str, Any]] = field(default_factory=list)
    identified: bool = False  # `identify` called: log lines name the delivery

    @property
    def received_at(self) -> str:
        """Return when the request arrived, as UTC ISO 8601 (`2024-05-01T12:00:00.123456Z`).

        Formatted only when read (by the recorder): most deliveries are never recorded.
        """
        return datetime.fromtimestamp(self.received, UTC).isoformat().replace("+00:00", "Z")

    def identify(
        self,
        *,
        request_id: str | None,
        event: str | None,
        action: str | None,
        annotation_id: int | None,
    ) -> None:
        """Store the payload's identity; from now on the log lines written in the delivery's
        context name it (`service.context.delivery_fields`).
        """
        self.request_id, self.event, self.action = request_id, event, action
        self.annotation_id = annotation_id
        self.identified = True


def current_delivery(request: Request) -> Delivery | None:
    """Return the delivery being handled on this request, if the middleware started one."""
    delivery = request.scope.get(SCOPE_KEY)
    return delivery if isinstance(delivery, Delivery) else None


class DeliveryMiddleware:
    """Plain ASGI middleware around the webhook path: context, canonical line, recording."""

    def __init__(self, app: ASGIApp, *, path: str = "/hooks", dry_run: bool = False) -> None:
        self.app, self.path, self.dry_run = app, path, dry_run

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        delivery = Delivery(received=time.time(), started=time.perf_counter(), dry_run=self.dry_run)
        scope[SCOPE_KEY] = delivery
        state = scope.get("state", {})
        recorder: Recorder | None = state.get("recorder")
        counters: Metrics | None = state.get("metrics")
        current = context.current.set(delivery)
        sent: dict[str, Any] = {"status": 500, "started": False, "body": []}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"], sent["started"] = message["status"], True
            elif message["type"] == "http.response.body" and recorder is not None:
                sent["body"].append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:
            delivery.outcome = "internal_error"
            # Type and frames only: an exception's message may quote payload data (tokens).
            log.error("webhook.bug", error_type=type(exc).__name__, frames=_frames(exc))
            if not sent["started"]:
                await _bug_response(delivery)(scope, receive, send_wrapper)
        finally:
            context.current.reset(current)
            delivery.outcome = scope.get(OUTCOME_KEY, delivery.outcome)
            seconds = time.perf_counter() - delivery.started
            duration_ms = round(seconds * 1000, 2)
            log_handled(delivery, status=sent["status"], duration_ms=duration_ms)
            if counters is not None:
                counters.delivery(
                    event=delivery.event,
                    action=delivery.action,
                    outcome=delivery.outcome,
                    status=sent["status"],
                    seconds=seconds,
                )
            if recorder is not None:
                await recorder.put(_entry(scope, delivery, sent, duration_ms))


def log_handled(
    delivery: Delivery, *, status: int, duration_ms: float, line: str = "webhook.handled"
) -> None:
    """Emit the canonical log line of a delivery (`line`: which one, e.g. the async result)."""
    quiet = status < 400 and delivery.outcome in {"ok", "duplicate", "accepted"}
    if not logging_enabled(logging.INFO if quiet else logging.WARNING):
        return  # filtered out by the level: do not build the line
    level = log.info if quiet else log.warning
    level(
        line,
        request_id=delivery.request_id,
        hook_event=delivery.event,
        action=delivery.action,
        annotation_id=delivery.annotation_id,
        hook_id=delivery.hook_id,
        api_host=delivery.api_host,
        rules_fired=list(delivery.rules_fired),
        labels_added=list(delivery.labels_added),
        labels_removed=list(delivery.labels_removed),
        operations=delivery.operations,
        messages=delivery.messages,
        outcome=delivery.outcome,
        stale=delivery.stale,
        status=status,
        duration_ms=duration_ms,
        api_calls=delivery.api_calls,
        api_wait_ms=round(delivery.api_wait_s * 1000, 1),
        dry_run=delivery.dry_run,
        **({"calls": delivery.calls} if delivery.dry_run else {}),
    )


def _frames(exc: BaseException) -> list[str]:
    return [f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(exc.__traceback__)]


def _bug_response(delivery: Delivery) -> Response:
    """Answer a bug: content events keep a 200 with an error message, others get a JSON 500."""
    if delivery.event == "annotation_content":
        message = {"type": "error", "content": BUG_MESSAGE}
        return JSONResponse({"messages": [message], "operations": []})
    return error_response(status=500, code="internal_error", detail="internal error")


def _entry(scope: Scope, delivery: Delivery, sent: dict[str, Any], duration_ms: float) -> Entry:
    return Entry(
        received_at=delivery.received_at,
        method=scope["method"],
        path=scope["path"],
        headers=list(scope["headers"]),
        body=delivery.body,
        status=sent["status"],
        answer=b"".join(sent["body"]),
        duration_ms=duration_ms,
        outcome=delivery.outcome,
        dry_run=delivery.dry_run,
        request_id=delivery.request_id,
        event=delivery.event,
        action=delivery.action,
        annotation_id=delivery.annotation_id,
        calls=list(delivery.calls),
    )
