"""`POST /hooks`: verify, parse, dispatch, carry out the Decision, answer Rossum.

A straight line; every refusal is an exception that `service.errors` maps to a JSON answer.
Work that needs the hook's token is done before answering, because Rossum invalidates the
token once it has the answer. If that work cannot be done within the delivery deadline, or
fails after the client's retries (`deadline_exceeded`, `actions_failed`):

- interactive events (content `started`, `updated`/`user_update`, `confirm`; a manual
  invocation), which Rossum never retries, answer 200 with the rules' messages and operations
  plus a document-level `error` message saying the actions did not complete (Rossum applies
  the operations; the user sees why labels did not change);
- every other event, `initialize` and `export` included, answers 503 `{"detail", "code"}`,
  so Rossum retries it (all actions are idempotent; a retry finishes what this one did not).

A content event whose decision needs the API while no token or credentials exist answers 200
with an error message (`missing_credentials`); any other event gets 400 `missing_credentials`.
A payload naming a host outside the allowlist makes no API call and is answered like a failure
that is not retried: 200 with an error message (`base_url_not_allowed`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import time
from collections.abc import Mapping
from typing import Any

import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from client import AsyncRossumAPIClient, RossumError
from handlers.decision import Decision, error
from handlers.events import HookEvent
from handlers.responses import build_response
from service.delivery import Delivery, current_delivery
from service.duplicates import answer_once
from service.errors import MissingCredentials, error_response
from service.executor import has_api_work, needs_api
from service.intake import check_content_type, check_timestamp, read_body, request_headers
from service.json_answer import JSONAnswer
from service.state import ApiTarget, ServiceState, hook_id_of

log = structlog.get_logger()

FAILURE_MESSAGES = {
    "deadline_exceeded": "Labels and annotation updates did not finish in time (the Rossum API "
    "was slow); the next change of this document retries them.",
    "actions_failed": "Labels and annotation updates failed (the Rossum API refused or was "
    "unavailable); the next change of this document retries them.",
    "missing_credentials": "Labels and annotation updates were skipped: the hook passes no "
    "authorization token (set its token owner) and the service has no API credentials.",
    "base_url_not_allowed": "Labels and annotation updates were not applied: this document's "
    "Rossum host is not among the service's allowed hosts (ROSSUM_HOOKS_ALLOWED_BASE_URLS), "
    "so no API call was made.",
}


RETRYABLE_FAILURES = frozenset({"deadline_exceeded", "actions_failed"})


class HookEndpoint:
    """`receive_hook` as a plain ASGI app, its refusals answered by the error table.

    What Starlette's routing and its two exception layers did for the route, in one frame:
    `DeliveryMiddleware`, around it, answers anything the table does not name (a bug).
    """

    def __init__(self, handlers: Mapping[Any, Any]) -> None:
        self._handlers = {
            k: v for k, v in handlers.items() if isinstance(k, type) and k is not Exception
        }

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive, send)
        try:
            response = await receive_hook(request)
        except Exception as exc:
            handler = next(
                (h for cls in type(exc).__mro__ if (h := self._handlers.get(cls)) is not None),
                None,
            )
            if handler is None:
                raise
            response = handler(request, exc)
            exc.__traceback__ = None  # a kept exception instance would keep its frames
        await response(scope, receive, send)


async def receive_hook(request: Request) -> Response:
    """Handle one webhook delivery from Rossum."""
    state: ServiceState = request.scope["state"]["service"]  # lifespan state, no `State` view
    delivery = current_delivery(request)
    assert delivery is not None, "DeliveryMiddleware must wrap the webhook route"
    headers = request_headers(request.scope)
    check_content_type(headers)
    body = delivery.body = await read_body(
        request.receive, headers, limit=state.settings.max_body_bytes
    )
    event = HookEvent.from_http(
        headers,
        body,
        secrets=state.secrets,
        allow_unsigned=state.settings.allow_unsigned,
    )
    delivery.payload = event
    delivery.identify(
        request_id=event.request_id,
        event=event.event,
        action=event.action,
        annotation_id=event.annotation_id,
    )
    delivery.hook_id = hook_id_of(event.hook)
    check_timestamp(event, window_s=state.settings.timestamp_window_s)
    handle = functools.partial(_handle, state, event, request)
    return await answer_once(state, event, delivery, handle)


async def _handle(
    state: ServiceState, event: HookEvent, request: Request, delivery: Delivery
) -> Response:
    jobs = state.async_jobs
    if jobs is not None and jobs.wants(event):
        # Answer 202 now; the rules and their API calls run in the background (service.async_jobs).
        work = functools.partial(_decide, state, event, deadline_s=state.settings.async_deadline_s)
        return await jobs.accept(request, event, delivery, work)
    return await _decide(state, event, delivery, deadline_s=state.settings.delivery_deadline_s)


async def _decide(
    state: ServiceState, event: HookEvent, delivery: Delivery, *, deadline_s: float
) -> Response:
    target = state.api_target(event)
    delivery.api_host = state.api_host(target.root)
    decision = state.router.dispatch(event)
    _note_decision(delivery, decision)
    event.release_content()  # the rest needs the envelope only (see the method)
    failure = await _carry_out(
        state, event, decision, target=target, delivery=delivery, deadline_s=deadline_s
    )
    return _answer(event, decision, failure=failure, delivery=delivery)


def _note_decision(delivery: Delivery, decision: Decision) -> None:
    delivery.rules_fired = tuple(decision.rules_fired)
    delivery.operations = len(decision.operations)
    delivery.messages = len(decision.messages)
    for failure in decision.errors:
        log.error("webhook.rule_failed", rule=failure.rule, error_type=failure.error_type)


async def _carry_out(
    state: ServiceState,
    event: HookEvent,
    decision: Decision,
    *,
    target: ApiTarget,
    delivery: Delivery,
    deadline_s: float,
) -> str | None:
    """Make the decision's API calls within `deadline_s`; return None or the failure's code."""
    if target.refused is not None:
        if not needs_api(event, decision):
            return None
        log.warning("webhook.base_url_not_allowed", reason=target.refused)
        return "base_url_not_allowed"
    if not has_api_work(event, decision):
        return None
    api = _ApiOnce(state, event, target)
    elapsed = time.perf_counter() - delivery.started
    deadline = asyncio.get_running_loop().time() + max(0.0, deadline_s - elapsed)
    try:
        async with state.deadlines.within(deadline):
            # The executor holds the annotation's lock for what needs it.
            outcome = await state.executor.carry_out(api, event, decision, journal=delivery.calls)
    except MissingCredentials:
        if event.event != "annotation_content":
            raise
        log.warning("webhook.missing_credentials")
        return "missing_credentials"
    except TimeoutError:
        log.warning("webhook.deadline_exceeded", deadline_s=deadline_s)
        return "deadline_exceeded"
    except RossumError as exc:
        log.warning("webhook.actions_failed", error_type=type(exc).__name__, error=str(exc))
        return "actions_failed"
    delivery.labels_added, delivery.labels_removed = outcome.labels_added, outcome.labels_removed
    delivery.stale = outcome.stale
    return None


class _ApiOnce:
    """The delivery's client, made on the first call (none when no request is due)."""

    __slots__ = ("_client", "_event", "_state", "_target")

    def __init__(self, state: ServiceState, event: HookEvent, target: ApiTarget) -> None:
        self._state, self._event, self._target = state, event, target
        self._client: AsyncRossumAPIClient | None = None

    def __call__(self) -> AsyncRossumAPIClient:
        if self._client is None:
            self._client = self._state.api_for(self._event, target=self._target)
        return self._client


def _answer(
    event: HookEvent, decision: Decision, *, failure: str | None, delivery: Delivery
) -> Response:
    """Build the answer Rossum reads for this event, or a 503 asking it to retry."""
    delivery.outcome = failure or ("rule_failed" if decision.errors else "ok")
    if failure in RETRYABLE_FAILURES and not event.is_interactive:
        # Rossum retries non-interactive events (initialize and export included) on 503;
        # every action is idempotent, so the retry finishes what this attempt could not.
        return error_response(status=503, code=failure, detail=FAILURE_MESSAGES[failure])
    if failure is not None:
        decision = Decision.merge(decision, Decision(messages=(error(FAILURE_MESSAGES[failure]),)))
        delivery.messages = len(decision.messages)
    if delivery.stale:
        # Built from content older than a delivery already acted on: its replaces would
        # overwrite the newer content, so Rossum gets the messages only.
        decision = dataclasses.replace(decision, operations=())
        delivery.operations = 0
    return JSONAnswer(build_response(event, decision))
