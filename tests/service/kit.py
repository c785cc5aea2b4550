"""Service-test defaults over the rule authors' kit (`handlers.testing`).

The payloads are the kit's; this adds what the service tests share: the webhook secrets, one
fixed annotation (its URL is what label calls target), invoices whose line items add up to
the total, and `updated_datapoints=[]` so only the fields decide which rules fire.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from handlers.testing import BASE_URL, CLEAN_INVOICE, SECRETS, content_payload, status_payload

SECRET = "whsec-test-0f1e2d3c"
OLD_SECRET = "whsec-old-9a8b7c6d"
HOOK_SECRET_VALUE = SECRETS["api_password"]
API = f"{BASE_URL}/api/v1"
ORG = f"{API}/organizations/1"
ANNOTATION_ID = 314521
ANNOTATION_URL = f"{API}/annotations/{ANNOTATION_ID}"


def _rows(count: int, total: str) -> list[dict[str, str]]:
    each = f"{float(total) / count:.2f}" if count else "0"
    return [
        {
            "item_code": f"SKU-{n:04d}",
            "item_description": f"Industrial widget, type {n}",
            "item_quantity": "1",
            "item_amount_total": each,
        }
        for n in range(count)
    ]


def content_event(
    action: str = "updated",
    *,
    values: Mapping[str, str | None] | None = None,
    rows: int = 3,
    labels: Sequence[str] | None = (),
    annotation_id: int = ANNOTATION_ID,
    **keys: Any,
) -> dict[str, Any]:
    """Build the kit's clean invoice with `values` over it and `rows` line items adding up."""
    fields = {**CLEAN_INVOICE["fields"], **(values or {})}
    return content_payload(
        action,
        fields=fields,
        line_items=_rows(rows, fields.get("amount_total") or "0"),
        labels=labels,
        annotation_id=annotation_id,
        updated_datapoints=[],
        **keys,
    )


def status_event(
    *, labels: Sequence[str] | None = (), annotation_id: int = ANNOTATION_ID, **keys: Any
) -> dict[str, Any]:
    """Build the kit's `annotation_status.changed` payload for the fixed annotation."""
    return status_payload(labels=labels, annotation_id=annotation_id, **keys)
