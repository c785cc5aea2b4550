"""The delivery being handled in this context, and the log lines that name it.

`DeliveryMiddleware` sets `current` for the request it handles (and `AsyncJobs` for a job
running in the background); the API client's observer adds each call to it, and every log line
written meanwhile gets its identity (`request_id`, `hook_event`, `action`, `annotation_id`)
from `delivery_fields`, once `Delivery.identify` has been called. One variable set per
delivery, read only when a line is written: nothing is bound per key, and nothing is cleared
afterwards (resetting the variable is enough), unlike structlog's context variables.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING

from structlog.typing import EventDict, WrappedLogger

if TYPE_CHECKING:
    from service.delivery import Delivery

current: ContextVar[Delivery | None] = ContextVar("rossum_hooks_delivery", default=None)


def delivery_fields(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Add the identity of the delivery being handled to a log line (a structlog processor).

    Fields the line gives itself win; the event name goes in `hook_event` (`event` is
    structlog's message key).
    """
    delivery = current.get()
    if delivery is not None and delivery.identified:
        event_dict.setdefault("request_id", delivery.request_id)
        event_dict.setdefault("hook_event", delivery.event)
        event_dict.setdefault("action", delivery.action)
        event_dict.setdefault("annotation_id", delivery.annotation_id)
    return event_dict
