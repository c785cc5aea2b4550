"""Normalise header fields in place: trimmed `document_id`, `currency` as the schema wants it.

`currency` is an `enum` in Rossum's standard invoice schema whose option values are lower-case
ISO 4217 codes (`"eur"`): a value matching an option but for case or spaces (`"EUR "`) becomes
that option's value, and nothing is written when no option matches. On a schema where
`currency` is free text (a sideloaded schema says so) the code is trimmed and upper-cased.
Idempotent: once the operations are applied, the next delivery yields none.
"""

from __future__ import annotations

from handlers.content import Node, raw_value, replace
from handlers.decision import Decision, Operation
from handlers.events import REVIEW_ACTIONS, AnnotationContentEvent
from handlers.routing import Router
from handlers.schema import allowed_value, datapoint_schema, options

router = Router()


def _fix(
    event: AnnotationContentEvent, schema_id: str, datapoint: Node | None, wanted: str
) -> list[Operation]:
    """Replace the datapoint's value (and normalized value) unless both already equal `wanted`.

    The value written is always one the datapoint's schema allows.
    """
    if datapoint is None or not wanted:
        return []
    value = allowed_value(event, schema_id, wanted)
    if not value:
        return []
    normalized = (datapoint.get("content") or {}).get("normalized_value")
    if raw_value(datapoint) == value and normalized in (None, "", value):
        return []
    return [replace(datapoint, value, normalized_value=value)]


def _currency(event: AnnotationContentEvent, raw: str) -> str:
    if options(datapoint_schema(event, "currency")) is None:
        return raw.strip().upper()  # free text: ISO 4217 codes are upper case
    return raw.strip()  # an enum: `allowed_value` picks the option


@router.register("annotation_content", action=REVIEW_ACTIONS)
def normalise(event: AnnotationContentEvent) -> Decision:
    """Trim `document_id`; make `currency` the schema's own spelling of the code."""
    document_id = event.content.datapoint("document_id")
    currency = event.content.datapoint("currency")
    return Decision(
        operations=[
            *_fix(event, "document_id", document_id, (raw_value(document_id) or "").strip()),
            *_fix(event, "currency", currency, _currency(event, raw_value(currency) or "")),
        ]
    )
