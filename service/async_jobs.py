"""Rossum's asynchronous hook mode, on the service's side (API reference, "Webhook extension",
asynchronous framework; spec section 5.3).

For the non-interactive events named in `ROSSUM_HOOKS_ASYNC_EVENTS` the service answers at
once with 202 and `Location: <public URL>/hooks/results/<job id>`, and runs the rules and their
API calls in the background, within `ASYNC_DEADLINE_S`. Rossum polls the URL (every 30 s, up
to the hook's `max_polling_time_s`): `GET /hooks/results/<job id>` answers

- 202 while the job runs;
- 201 with the answer Rossum would have got synchronously, once it is done;
- 424 `{"detail", "code"}` when the job failed (the Rossum API failed or was too slow, or the
  job crashed): a polling failure, so Rossum retries the original call;
- 404 for an unknown or expired job id.

The job id is 256 random bits, so the URL is unguessable (Rossum's polls carry no signature).
Results are kept `ASYNC_RESULT_TTL_S` after the job ends, in the delivery ledger (in-process, or
the shared store), so any replica sharing it can answer a poll; a successful answer is also
remembered under the delivery's `request_id`, so a retried call is answered from it. At most
`ASYNC_MAX_JOBS` jobs run in one process; past that a delivery gets 503 and Rossum retries it.

The payload's token dies when Rossum receives the 202 (unless the hook's `token_lifetime_s`
keeps it alive), so background API work needs own credentials or `token_lifetime_s`.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Awaitable, Callable

import structlog
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from handlers.events import INTERACTIVE_ACTIONS, HookEvent
from service import context
from service.delivery import Delivery, log_handled
from service.errors import error_response
from service.stores import Answer, DeliveryLedger

log = structlog.get_logger()

RESULTS_PATH = "/hooks/results"
DONE_LINE = "webhook.async_done"  # the canonical line of a delivery finished in the background
_RUNNING = Answer(status=202, body=b'{"status": "running"}')
_KEY = "async-result:"

Work = Callable[[Delivery], Awaitable[Response]]


class AsyncJobs:
    """Accept deliveries with 202, run them in the background, serve their results."""

    def __init__(
        self,
        *,
        events: tuple[str, ...],
        ledger: DeliveryLedger,
        deadline_s: float,
        result_ttl_s: float,
        max_jobs: int,
        public_url: str | None,
    ) -> None:
        self.events = frozenset(events)
        self._ledger = ledger
        self._deadline_s = deadline_s
        self._result_ttl_s = result_ttl_s
        self._max_jobs = max_jobs
        self._public_url = public_url.rstrip("/") if public_url else None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> int:
        """Return how many jobs run in this process."""
        return len(self._tasks)

    def wants(self, event: HookEvent) -> bool:
        """Tell whether `event` is to be answered asynchronously."""
        if event.event == "annotation_content" and event.action in INTERACTIVE_ACTIONS:
            return False
        if (event.event, event.action) == ("invocation", "manual"):
            return False
        return event.event in self.events or f"{event.event}.{event.action}" in self.events

    async def accept(
        self, request: Request, event: HookEvent, delivery: Delivery, work: Work
    ) -> Response:
        """Start `work` in the background and answer 202 with its poll URL (503 when full)."""
        if len(self._tasks) >= self._max_jobs:
            delivery.outcome = "async_capacity"
            return error_response(
                status=503,
                code="async_capacity",
                detail=f"{self._max_jobs} asynchronous deliveries are running; retry later",
            )
        job_id = secrets.token_urlsafe(32)
        await self._ledger.remember(_KEY + job_id, _RUNNING, ttl_s=self._running_ttl_s)
        task = asyncio.get_running_loop().create_task(self._run(job_id, event, delivery, work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        delivery.outcome = "accepted"
        base = self._public_url or str(request.base_url).rstrip("/")
        return JSONResponse(
            {"status": "accepted"},
            status_code=202,
            headers={"Location": f"{base}{RESULTS_PATH}/{job_id}"},
        )

    @property
    def _running_ttl_s(self) -> float:
        # The placeholder outlives the job's deadline a little, then a lost job reads as 404.
        return self._deadline_s + 60

    async def _run(self, job_id: str, event: HookEvent, accepted: Delivery, work: Work) -> None:
        delivery = Delivery(
            received=time.time(),
            started=time.perf_counter(),
            dry_run=accepted.dry_run,
            body=accepted.body,
        )
        delivery.identify(
            request_id=event.request_id,
            event=event.event,
            action=event.action,
            annotation_id=event.annotation_id,
        )
        delivery.hook_id = accepted.hook_id
        context.current.set(delivery)  # this task's calls and log lines are the job's delivery's
        try:
            async with asyncio.timeout(self._deadline_s):
                response = await work(delivery)
            ok = response.status_code < 300 and delivery.outcome == "ok"
            answer = Answer(status=response.status_code, body=bytes(response.body))
        except TimeoutError:
            delivery.outcome, ok = "deadline_exceeded", False
            answer = _failure("deadline_exceeded", "the asynchronous delivery ran out of time")
        except Exception as exc:  # a crashed job must still end as a failure Rossum can see
            delivery.outcome, ok = "internal_error", False
            log.error("webhook.async_bug", error_type=type(exc).__name__)
            answer = _failure("internal_error", "the asynchronous delivery failed unexpectedly")
        if ok or answer.status < 300:
            result = Answer(status=201, body=answer.body)
        else:
            result = Answer(status=424, body=answer.body)
        await self._ledger.remember(_KEY + job_id, result, ttl_s=self._result_ttl_s)
        if ok and event.request_id:
            await self._ledger.remember(event.request_id, answer, ttl_s=self._result_ttl_s)
        duration_ms = round((time.perf_counter() - delivery.started) * 1000, 2)
        log_handled(delivery, status=result.status, duration_ms=duration_ms, line=DONE_LINE)

    async def result(self, request: Request) -> Response:
        """Serve `GET /hooks/results/{job_id}`: 202 running, 201 done, 424 failed, 404."""
        job_id = request.path_params["job_id"]
        kept = await self._ledger.recall(_KEY + job_id) if len(job_id) <= 64 else None
        if kept is None:
            return error_response(status=404, code="not_found", detail="no such result")
        headers = {"Retry-After": "30"} if kept.status == 202 else None
        return Response(
            kept.body, status_code=kept.status, media_type="application/json", headers=headers
        )

    async def aclose(self) -> None:
        """Cancel the jobs still running (shutdown)."""
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def _failure(code: str, detail: str) -> Answer:
    return Answer(status=500, body=json.dumps({"detail": detail, "code": code}).encode())
