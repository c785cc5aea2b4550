"""Normalise header fields in place: trimmed `document_id`, upper-case `currency`.

Idempotent: once the operations are applied, the next delivery yields none.
"""

from __future__ import annotations

from handlers.content import Node, raw_value, replace
from handlers.decision import Decision, Operation
from handlers.events import REVIEW_ACTIONS, AnnotationContentEvent
from handlers.routing import Router

router = Router()


def _fix(datapoint: Node | None, wanted: str) -> list[Operation]:
    """Replace the datapoint's value (and normalized value) unless both already equal `wanted`."""
    if datapoint is None or not wanted:
        return []
    normalized = (datapoint.get("content") or {}).get("normalized_value")
    if raw_value(datapoint) == wanted and normalized in (None, "", wanted):
        return []
    return [replace(datapoint, wanted, normalized_value=wanted)]


@router.register("annotation_content", action=REVIEW_ACTIONS)
def normalise(event: AnnotationContentEvent) -> Decision:
    """Trim `document_id` and upper-case `currency` when they are not already so."""
    document_id = event.content.datapoint("document_id")
    currency = event.content.datapoint("currency")
    return Decision(
        operations=[
            *_fix(document_id, (raw_value(document_id) or "").strip()),
            *_fix(currency, (raw_value(currency) or "").strip().upper()),
        ]
    )
