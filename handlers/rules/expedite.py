"""Label high-value invoices `expedite` so that approvers see them first.

Setting: `expedite_amount` (number, default 10000), the `amount_total` from which to label.
"""

from __future__ import annotations

from handlers.decision import Decision
from handlers.events import REVIEW_ACTIONS, AnnotationContentEvent
from handlers.params import decimal_setting
from handlers.routing import Router

router = Router()


@router.register("annotation_content", action=REVIEW_ACTIONS)
def expedite(event: AnnotationContentEvent) -> Decision:
    """Label `expedite` when the total amount reaches `expedite_amount`; remove it otherwise."""
    threshold = decimal_setting(event, "expedite_amount", default=10000)
    total = event.content.number("amount_total")
    return Decision.label("expedite", when=total is not None and total >= threshold)
