"""Check that the line items add up to the invoice total.

Setting: `totals_tolerance` (number, default 0.01), the largest difference accepted.
On `initialize` a mismatch also blocks automation, so the document waits for a human.
"""

from __future__ import annotations

from decimal import Decimal

from handlers.content import number_of
from handlers.decision import AutomationBlocker, Decision, error
from handlers.events import REVIEW_ACTIONS, AnnotationContentEvent
from handlers.hook_settings import Setting
from handlers.routing import Router

router = Router()
CENTS = Decimal("0.01")
TOTALS_TOLERANCE = Setting(
    "totals_tolerance",
    Decimal,
    default=CENTS,
    description="Largest accepted difference between `amount_total` and the line items' sum.",
)


def _amount(value: Decimal) -> str:
    """Show money with two decimals unless it has more (then all of them)."""
    return f"{value:.2f}" if value == value.quantize(CENTS) else str(value)


@router.register("annotation_content", action=REVIEW_ACTIONS, settings=[TOTALS_TOLERANCE])
def totals(event: AnnotationContentEvent) -> Decision | None:
    """Put an error on `amount_total` when it differs from the sum of `item_amount_total`."""
    rows = event.content.rows("line_items")
    amounts = [a for row in rows if (a := number_of(row.get("item_amount_total"))) is not None]
    total = event.content.number("amount_total")
    if not amounts or total is None:
        return None
    items = sum(amounts, Decimal(0))
    if abs(items - total) <= TOTALS_TOLERANCE.read(event):
        return None
    text = (
        f"Line items add up to {_amount(items)} but the total amount is {_amount(total)}"
        f" (difference {_amount(abs(items - total))})."
    )
    target = event.content.datapoint("amount_total")
    blockers = [AutomationBlocker.on(text, target)] if event.action == "initialize" else []
    return Decision(messages=[error(text, target)], automation_blockers=blockers)
