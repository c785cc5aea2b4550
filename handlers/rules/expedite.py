"""Label high-value invoices `expedite` so that approvers see them first.

Setting: `expedite_amount` (number, default 10000), the `amount_total` from which to label.
"""

from __future__ import annotations

from decimal import Decimal

from handlers.decision import Decision
from handlers.events import REVIEW_ACTIONS, AnnotationContentEvent
from handlers.hook_settings import Setting
from handlers.routing import Router

router = Router()

EXPEDITE_AMOUNT = Setting(
    "expedite_amount",
    Decimal,
    default=Decimal(10000),
    description="Label `expedite` when `amount_total` is at least this.",
)


@router.register("annotation_content", action=REVIEW_ACTIONS, settings=[EXPEDITE_AMOUNT])
def expedite(event: AnnotationContentEvent) -> Decision:
    """Label `expedite` when the total amount reaches `expedite_amount`; remove it otherwise."""
    threshold = EXPEDITE_AMOUNT.read(event)
    total = event.content.number("amount_total")
    return Decision.label("expedite", when=total is not None and total >= threshold)
