"""Invocations of a hook with no document behind them (API reference, "Manual hook trigger",
"Schedule object"; spec section 2.8).

- `POST /hooks/{id}/invoke`: `invocation.manual`. The request's JSON object is merged at the top
  level of the payload (never over the common keys); one attempt (interactive); the hook's
  JSON answer is the response (200). 400 when the hook is not subscribed to
  `invocation.manual`, or when it fails or answers something that is not a JSON object or list.
- `invocation.scheduled`: fired for each active hook subscribed to it whose
  `config.schedule.cron` matches the minute, by `POST /api/v1/sandbox/tick` (sandbox-only:
  `{"at": ISO time}` fires what is due in that minute, `{"hooks": [ids]}` fires those hooks now)
  or, with `run_schedules`, by a clock at every UTC minute. Non-interactive: retried, and may
  answer asynchronously (202). The answer is not used.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.cron import Cron, CronError
from sandbox.delivery import subscription
from sandbox.errors import bad_request
from sandbox.http import bool_filter, read_object, sandbox_of, urls_of
from sandbox.payloads import Trigger
from sandbox.store import Record, Store
from sandbox.urls import Urls

if TYPE_CHECKING:
    from sandbox.state import Sandbox

log = structlog.get_logger()


def due_hooks(store: Store, moment: datetime) -> list[int]:
    """Return the ids of active scheduled hooks whose cron fires in the minute of `moment`."""
    due = []
    for hook in store.values("hooks"):
        cron = (hook.get("config", {}).get("schedule") or {}).get("cron")
        wanted = hook.get("active") and subscription(hook, "invocation", "scheduled")
        if not wanted or not isinstance(cron, str):
            continue
        try:
            if Cron.parse(cron).matches(moment):
                due.append(hook["id"])
        except CronError:
            continue  # validated on write; an old record must not stop the clock
    return due


async def fire_scheduled(sandbox: Sandbox, hook_ids: list[int], urls: Urls) -> None:
    """Deliver `invocation.scheduled` to the given hooks (chained by `run_after`)."""
    if hook_ids:
        trigger = Trigger("invocation", "scheduled", None, urls, hook_ids=frozenset(hook_ids))
        await sandbox.deliveries.dispatch(trigger)


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def run_clock(
    sandbox: Sandbox, urls: Urls, *, now: Callable[[], datetime] = _utc_now
) -> None:
    """Fire due scheduled hooks at the start of every UTC minute, until cancelled."""
    while True:
        moment = now()
        await sandbox.sleep(60 - moment.second - moment.microsecond / 1e6)
        moment = now()
        due = due_hooks(sandbox.store, moment)
        if due:
            log.info("sandbox.schedule_fired", hooks=due, at=moment.isoformat())
            sandbox.deliveries.spawn(fire_scheduled(sandbox, due, urls))


def _at(body: dict[str, Any]) -> datetime:
    raw = body.get("at")
    if raw is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"at: expected an ISO 8601 time, got {raw!r}.") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _named_hooks(store: Store, raw: Any) -> list[int]:
    if not isinstance(raw, list) or not all(isinstance(i, int) for i in raw):
        raise bad_request("hooks: expected a list of hook ids.")
    for hook_id in raw:
        hook = store.get("hooks", hook_id)
        if not subscription(hook, "invocation", "scheduled"):
            raise bad_request(f"hooks: hook {hook_id} is not subscribed to invocation.scheduled.")
    return list(dict.fromkeys(raw))


async def tick(request: Request) -> Response:
    """Fire the scheduled hooks due at `at` (default now), or the `hooks` named."""
    sandbox, urls = sandbox_of(request), urls_of(request)
    body = await read_object(request, allow_empty=True)
    if "hooks" in body:
        moment, fired = datetime.now(UTC), _named_hooks(sandbox.store, body["hooks"])
    else:
        moment = _at(body)
        fired = due_hooks(sandbox.store, moment)
    task = sandbox.deliveries.spawn(fire_scheduled(sandbox, fired, urls))
    if bool_filter(request, "wait"):
        await asyncio.shield(task)
    answer = {"at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "fired": urls.many("hooks", fired)}
    return JSONResponse(answer)


def _manual_hook(store: Store, hook_id: int) -> Record:
    hook = store.get("hooks", hook_id)
    if not subscription(hook, "invocation", "manual"):
        raise bad_request(f"Hook {hook_id} is not subscribed to the invocation.manual event.")
    return hook


async def invoke(request: Request) -> Response:
    """Invoke a hook with `invocation.manual`; answer with the hook's JSON answer."""
    sandbox, urls = sandbox_of(request), urls_of(request)
    hook = _manual_hook(sandbox.store, request.path_params["hook_id"])
    body = await read_object(request, allow_empty=True)
    trigger = Trigger(
        "invocation", "manual", None, urls, fields=body, hook_ids=frozenset({hook["id"]})
    )
    (delivery,) = await sandbox.deliveries.dispatch(trigger)
    if delivery.state != "succeeded":
        attempt = delivery.attempts[-1] if delivery.attempts else None
        failure = (attempt.error or f"HTTP {attempt.status_code}") if attempt else "not called"
        raise bad_request(f"The hook failed: {failure}.")
    if not isinstance(delivery.answer, dict | list):
        raise bad_request("The hook's response is not a JSON object or list.")
    return JSONResponse(delivery.answer)


routes = [Route("/hooks/{hook_id:int}/invoke", invoke, methods=["POST"])]
control_routes = [Route("/sandbox/tick", tick, methods=["POST"])]
