"""Label invoices whose due date is near (or past) `due-soon`, so they are paid on time.

Setting: `due_soon_days` (integer, default 7). The clock is the event's timestamp (UTC).
"""

from __future__ import annotations

from handlers.decision import Decision
from handlers.events import REVIEW_ACTIONS, AnnotationContentEvent
from handlers.hook_settings import Setting
from handlers.routing import Router

router = Router()

DUE_SOON_DAYS = Setting(
    "due_soon_days",
    int,
    default=7,
    description="Label `due-soon` when `date_due` is at most this many days away (or past).",
)


@router.register("annotation_content", action=REVIEW_ACTIONS, settings=[DUE_SOON_DAYS])
def due_soon(event: AnnotationContentEvent) -> Decision:
    """Label `due-soon` when `date_due` is at most `due_soon_days` away or overdue."""
    days = DUE_SOON_DAYS.read(event)
    due = event.content.date("date_due")
    return Decision.label(
        "due-soon", when=due is not None and (due - event.now.date()).days <= days
    )
