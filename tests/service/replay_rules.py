"""A changed rule set for the replay tests: `missing_po` swapped for a stricter rule."""

from __future__ import annotations

from handlers.decision import Decision, error
from handlers.events import REVIEW_ACTIONS, AnnotationContentEvent
from handlers.routing import Router
from handlers.rules import due_soon, expedite, normalise, totals

strict = Router()


@strict.register("annotation_content", action=REVIEW_ACTIONS)
def everything_wrong(event: AnnotationContentEvent) -> Decision:
    """Refuse every invoice without a purchase order, with a document-level error."""
    if event.content.value("order_id"):
        return Decision()
    return Decision(messages=[error("Replay test rule: every invoice is wrong.")])


router = Router(normalise.router, totals.router, expedite.router, due_soon.router, strict)
