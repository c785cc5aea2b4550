"""Flag invoices without a purchase order number (`order_id`): label and a warning."""

from __future__ import annotations

from handlers.decision import Decision, warning
from handlers.events import REVIEW_ACTIONS, AnnotationContentEvent
from handlers.routing import Router

router = Router()


@router.register("annotation_content", action=REVIEW_ACTIONS)
def missing_po(event: AnnotationContentEvent) -> Decision:
    """Label `missing-po` and warn on `order_id` while it is empty; remove the label once set."""
    if event.content.value("order_id") is not None:
        return Decision(remove_labels={"missing-po"})
    # On the field when the schema has it, else on the document.
    message = warning("Purchase order number is missing.", event.content.datapoint("order_id"))
    return Decision(add_labels={"missing-po"}, messages=[message])
