"""Hook delivery the way Rossum does it (API reference, "Webhook extension"; spec sections 2-5).

For each active hook subscribed to the event on the annotation's queue: POST the JSON payload,
signed with `config.secret` (`X-Rossum-Signature-SHA256`), carrying a fresh token for
`token_owner` that is revoked as soon as the hook answers (unless `token_lifetime_s` is set).
Non-interactive events time out after `config.timeout_s` and are retried `config.retry_count`
times on 408/429/500/502/503/504, timeouts and connection errors; interactive ones get one try.
Hooks without `run_after` run in parallel; a hook with `run_after` waits for its predecessors and
sees their changes, with `updated_datapoints` accumulated along the chain.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx
import structlog

from handlers.signature import signature_headers
from sandbox.answers import AnswerContext, Outcome, apply_content_answer
from sandbox.delivery_log import Attempt, Delivery, log_entry
from sandbox.payloads import Trigger, build_payload
from sandbox.store import Record, now_iso

if TYPE_CHECKING:
    from sandbox.state import Sandbox

log = structlog.get_logger()

INTERACTIVE_ACTIONS = frozenset({"started", "updated", "user_update", "confirm"})
RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
DEFAULT_TOKEN_LIFETIME_S = 600


def is_interactive(event: str, action: str) -> bool:
    """Tell whether Rossum treats the event as interactive (one attempt, fixed 30 s timeout)."""
    if event == "annotation_content":
        return action in INTERACTIVE_ACTIONS
    return (event, action) == ("invocation", "manual")


def subscription(hook: Record, event: str, action: str) -> str | None:
    """Return the action to send to `hook` for `event.action`, or None if not subscribed."""
    events = set(hook.get("events", []))
    if event in events or f"{event}.{action}" in events:
        return action
    if action == "updated" and f"{event}.user_update" in events:
        return "user_update"  # the deprecated name, for hooks that still subscribe to it
    return None


@dataclass
class _Response:
    status_code: int | None
    answer: Any
    error: str | None


class Deliveries:
    """Send hook deliveries, keep their records and the hook logs, and track idleness."""

    def __init__(self, sandbox: Sandbox, *, transport: httpx.AsyncBaseTransport | None) -> None:
        self._sandbox = sandbox
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.records: list[Delivery] = []
        self.logs: list[dict[str, Any]] = []

    def spawn(self, work: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run `work` in the background; `idle()` waits for it."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("sandbox.delivery_task_failed", error=repr(task.exception()))

    @property
    def busy(self) -> bool:
        """Tell whether any delivery work is still running."""
        return bool(self._tasks)

    async def idle(self) -> None:
        """Wait until no delivery work is running (work started meanwhile included)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def aclose(self) -> None:
        """Cancel running work and close the HTTP client."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(set(self._tasks))
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def subscribers(self, trigger: Trigger) -> list[tuple[Record, str]]:
        """Return `(hook, action sent)` for the active hooks that want this trigger."""
        ann = self._sandbox.store.find("annotations", trigger.annotation_id)
        if ann is None:
            return []
        found = []
        for hook in self._sandbox.store.values("hooks"):
            action = subscription(hook, trigger.event, trigger.action)
            if hook.get("active") and action and ann["queue"] in hook["queues"]:
                found.append((hook, action))
        return found

    async def dispatch(self, trigger: Trigger) -> list[Delivery]:
        """Deliver `trigger` to every subscriber, chained by `run_after`; return the records."""
        pending = dict((hook["id"], (hook, action)) for hook, action in self.subscribers(trigger))
        updated = list(trigger.updated_datapoints)
        done: list[Delivery] = []
        while pending:
            wave = [
                pair
                for pair in pending.values()
                if not set(pair[0].get("run_after", [])) & pending.keys()
            ] or list(pending.values())  # a run_after cycle: send the rest together
            results = await asyncio.gather(
                *(self._deliver(hook, action, trigger, list(updated)) for hook, action in wave)
            )
            for delivery in results:
                pending.pop(delivery.hook_id, None)
                updated.extend(i for i in delivery.outcome.changed_ids if i not in updated)
            done.extend(results)
        return done

    async def _deliver(
        self, hook: Record, action: str, trigger: Trigger, updated: list[int]
    ) -> Delivery:
        interactive = is_interactive(trigger.event, action)
        delivery = Delivery(
            id=len(self.records) + 1,
            request_id=str(uuid.uuid4()),
            hook_id=hook["id"],
            hook_name=hook["name"],
            event=trigger.event,
            action=action,
            annotation_id=trigger.annotation_id,
            interactive=interactive,
            created_at=now_iso(),
        )
        self.records.append(delivery)
        config = hook.get("config", {})
        attempts = 1 if interactive else 1 + int(config.get("retry_count", 4))
        for number in range(1, attempts + 1):
            delivery.state = "running"
            response, payload = await self._attempt(
                hook, action, trigger, updated, delivery, number
            )
            ok = response.status_code is not None and 200 <= response.status_code < 300
            final = ok or number == attempts or not self._retryable(response, config)
            delivery.state = "succeeded" if ok else "failed"
            self.logs.append(
                log_entry(
                    self._sandbox.store, hook, delivery, delivery.attempts[-1], payload, final
                )
            )
            if final:
                break
            await self._sandbox.sleep(self._retry_delay(number))
        delivery.finished_at = now_iso()
        self._apply(hook, trigger, delivery, response)
        return delivery

    def _retryable(self, response: _Response, config: Record) -> bool:
        if response.status_code is None:
            return True
        return response.status_code in RETRYABLE_STATUSES or bool(
            config.get("retry_on_any_non_2xx")
        )

    def _retry_delay(self, attempt: int) -> float:
        settings = self._sandbox.settings
        delay = settings.delivery_retry_delay_s * 2 ** (attempt - 1)
        return float(min(delay, settings.delivery_retry_max_delay_s))

    async def _attempt(
        self,
        hook: Record,
        action: str,
        trigger: Trigger,
        updated: list[int],
        delivery: Delivery,
        number: int,
    ) -> tuple[_Response, dict[str, Any]]:
        sandbox = self._sandbox
        config = hook.get("config", {})
        token = None
        if hook.get("token_owner") is not None:
            lifetime = hook.get("token_lifetime_s") or DEFAULT_TOKEN_LIFETIME_S
            token = sandbox.tokens.issue(
                user_id=hook["token_owner"], lifetime_s=lifetime, hook_id=hook["id"]
            )
        payload = build_payload(
            sandbox.store,
            hook,
            dataclasses.replace(trigger, action=action),
            request_id=delivery.request_id,
            timestamp=now_iso(),
            token=token.key if token else None,
            updated_datapoints=updated,
        )
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if config.get("secret"):
            headers |= signature_headers(body, config["secret"])
        timeout = (
            sandbox.settings.interactive_timeout_s
            if delivery.interactive
            else float(config.get("timeout_s", 30)) or sandbox.settings.interactive_timeout_s
        )
        started_at, start = now_iso(), time.perf_counter()
        response = await self._post(config["url"], body, headers, timeout_s=timeout)
        answered = response.status_code is not None
        if token is not None and answered and hook.get("token_lifetime_s") is None:
            sandbox.tokens.revoke(token.key)  # "valid until Rossum receives the response"
        attempt = Attempt(
            number=number,
            started_at=started_at,
            duration_ms=round((time.perf_counter() - start) * 1000, 3),
            status_code=response.status_code,
            error=response.error,
        )
        delivery.attempts.append(attempt)
        delivery.answer = response.answer
        log.info(
            "sandbox.delivery",
            hook_id=hook["id"],
            hook_event=trigger.event,
            hook_action=action,
            annotation_id=trigger.annotation_id,
            attempt=number,
            status_code=response.status_code,
            error=response.error,
            duration_ms=attempt.duration_ms,
        )
        return response, payload

    async def _post(
        self, url: str, body: bytes, headers: dict[str, str], *, timeout_s: float
    ) -> _Response:
        if self._client is None:
            self._client = httpx.AsyncClient(transport=self._transport, follow_redirects=False)
        try:
            async with asyncio.timeout(timeout_s):
                response = await self._client.post(url, content=body, headers=headers)
        except (TimeoutError, httpx.TimeoutException):
            return _Response(None, None, f"timeout after {timeout_s:g} s")
        except httpx.HTTPError as exc:
            return _Response(None, None, f"connection error: {type(exc).__name__}")
        except Exception as exc:  # an in-process hook app that raised, seen through ASGITransport
            return _Response(None, None, f"hook raised {type(exc).__name__}")
        try:
            answer: Any = response.json()
        except ValueError:
            answer = response.text[:2000] or None
        return _Response(response.status_code, answer, None)

    def _apply(
        self, hook: Record, trigger: Trigger, delivery: Delivery, response: _Response
    ) -> None:
        ann = self._sandbox.store.find("annotations", trigger.annotation_id)
        if trigger.event != "annotation_content" or ann is None:
            return
        failure = response.error or f"HTTP {response.status_code}"
        ctx = AnswerContext(
            hook=hook,
            request_id=delivery.request_id,
            timestamp=delivery.finished_at or now_iso(),
            ok=delivery.state == "succeeded",
            failure=failure,
        )
        delivery.outcome = apply_content_answer(self._sandbox.store, ann, response.answer, ctx)


__all__ = ["Deliveries", "Delivery", "Outcome", "Trigger", "is_interactive", "subscription"]
