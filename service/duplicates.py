"""Answer a delivery Rossum (or anyone holding a captured one) sends again, without redoing it.

A delivery whose `request_id` was handled successfully within `DUPLICATE_WINDOW_S` gets the
same answer again and makes no API call. Deliveries with one `request_id` are handled one at a
time, so a duplicate arriving while the first is still running waits for its answer. Only
successful answers (200 with outcome `ok`) are kept: after a failure (a 503, a deadline) the
next attempt runs the delivery again, as Rossum's retries expect.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from starlette.responses import Response

from handlers.events import HookEvent
from service.delivery import Delivery
from service.state import ServiceState
from service.stores import Answer

log = structlog.get_logger()


async def answer_once(
    state: ServiceState,
    event: HookEvent,
    delivery: Delivery,
    handle: Callable[[Delivery], Awaitable[Response]],
) -> Response:
    """Return the kept answer for `event.request_id`, or `handle` it and keep the answer."""
    window = state.settings.duplicate_window_s
    request_id = event.request_id
    if window is None or not request_id:
        return await handle(delivery)
    async with state.locks.hold(f"request:{request_id}"):
        kept = await state.ledger.recall(request_id)
        if kept is not None:
            delivery.outcome = "duplicate"
            return Response(kept.body, status_code=kept.status, media_type="application/json")
        response = await handle(delivery)
        if response.status_code == 200 and delivery.outcome == "ok":
            answer = Answer(status=response.status_code, body=bytes(response.body))
            await state.ledger.remember(request_id, answer, ttl_s=window)
        return response
