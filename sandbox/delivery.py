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
import itertools
import uuid
from collections import deque
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import httpx
import structlog

from sandbox.answers import AnswerContext, Outcome, apply_content_answer
from sandbox.delivery_log import Delivery, log_entry
from sandbox.hook_call import HookCaller, HookResponse
from sandbox.payloads import Trigger, is_interactive
from sandbox.store import Record, now_iso

if TYPE_CHECKING:
    from sandbox.state import Sandbox

log = structlog.get_logger()

RETRYABLE_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_RECORDS = 20_000


def subscription(hook: Record, event: str, action: str) -> str | None:
    """Return the action to send to `hook` for `event.action`, or None if not subscribed."""
    events = set(hook.get("events", []))
    if event in events or f"{event}.{action}" in events:
        return action
    if action == "updated" and f"{event}.user_update" in events:
        return "user_update"  # the deprecated name, for hooks that still subscribe to it
    return None


class Deliveries:
    """Send hook deliveries, keep their records and the hook logs, and track idleness."""

    def __init__(self, sandbox: Sandbox, *, transport: httpx.AsyncBaseTransport | None) -> None:
        self._sandbox = sandbox
        self._caller = HookCaller(sandbox, transport=transport)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ids = itertools.count(1)
        # Bounded, like Rossum's 7-day log retention, so long benchmark runs stay flat.
        self.records: deque[Delivery] = deque(maxlen=MAX_RECORDS)
        self.logs: deque[dict[str, Any]] = deque(maxlen=MAX_RECORDS)

    @property
    def caller(self) -> HookCaller:
        """Return the HTTP caller deliveries use (also used by `POST /hooks/{id}/test`)."""
        return self._caller

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
        await self._caller.aclose()

    def subscribers(self, trigger: Trigger) -> list[tuple[Record, str]]:
        """Return `(hook, action sent)` for the hooks that want this trigger.

        An invocation goes to the hooks it names (subscribed to its event); every other
        trigger to the active subscribed hooks of its queue (the annotation's, or its own).
        """
        store = self._sandbox.store
        if trigger.hook_ids is not None:
            named = (store.find("hooks", i) for i in sorted(trigger.hook_ids))
            candidates = [(h, True) for h in named if h is not None]
        else:
            queue = trigger.queue_id
            if trigger.annotation_id is not None:
                ann = store.find("annotations", trigger.annotation_id)
                if ann is None:
                    return []
                queue = ann["queue"]
            candidates = [
                (h, bool(h.get("active")) and queue in h["queues"]) for h in store.values("hooks")
            ]
        found = []
        for hook, wanted in candidates:
            action = subscription(hook, trigger.event, trigger.action)
            if wanted and action:
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

    def _record(self, hook: Record, sent: Trigger) -> Delivery:
        delivery = Delivery(
            id=next(self._ids),
            # Kept across retries (Rossum's hook logs group attempts by request_id).
            request_id=str(uuid.uuid4()),
            hook_id=hook["id"],
            hook_name=hook["name"],
            event=sent.event,
            action=sent.action,
            annotation_id=sent.annotation_id,
            queue_id=sent.queue_id,
            interactive=sent.interactive,
            created_at=now_iso(),
        )
        self.records.append(delivery)
        return delivery

    async def _deliver(
        self, hook: Record, action: str, trigger: Trigger, updated: list[int]
    ) -> Delivery:
        sent = dataclasses.replace(trigger, action=action)
        delivery = self._record(hook, sent)
        config = hook.get("config", {})
        attempts = 1 if sent.interactive else 1 + int(config.get("retry_count", 4))
        response = HookResponse(None, None, "deleted before delivery")
        for number in range(1, attempts + 1):
            if self._gone(trigger):
                delivery.state = "cancelled"  # deleted (e.g. with its queue) meanwhile
                break
            delivery.state = "running"
            result = await self._caller.call(
                hook, sent, request_id=delivery.request_id, updated=updated, number=number
            )
            response = result.response
            delivery.attempts.append(result.attempt)
            delivery.answer = response.answer
            final = response.ok or number == attempts or not self._retryable(response, config)
            delivery.state = "succeeded" if response.ok else "failed"
            store = self._sandbox.store
            self.logs.append(
                log_entry(store, hook, delivery, result.attempt, result.payload, final)
            )
            if final:
                break
            await self._sandbox.sleep(self._retry_delay(number))
        delivery.finished_at = now_iso()
        self._apply(hook, trigger, delivery, response)
        return delivery

    def _gone(self, trigger: Trigger) -> bool:
        store = self._sandbox.store
        if trigger.annotation_id is not None:
            return store.find("annotations", trigger.annotation_id) is None
        return trigger.queue_id is not None and store.find("queues", trigger.queue_id) is None

    def _retryable(self, response: HookResponse, config: Record) -> bool:
        if response.polling is not None:
            # The hook accepted the call (202) but its result could not be fetched.
            return response.polling.retry_original
        if response.status_code is None:
            return True
        return response.status_code in RETRYABLE_STATUSES or bool(
            config.get("retry_on_any_non_2xx")
        )

    def _retry_delay(self, attempt: int) -> float:
        settings = self._sandbox.settings
        delay = settings.delivery_retry_delay_s * 2 ** (attempt - 1)
        return float(min(delay, settings.delivery_retry_max_delay_s))

    def _apply(
        self, hook: Record, trigger: Trigger, delivery: Delivery, response: HookResponse
    ) -> None:
        if trigger.event != "annotation_content" or trigger.annotation_id is None:
            return
        ann = self._sandbox.store.find("annotations", trigger.annotation_id)
        if ann is None:
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
