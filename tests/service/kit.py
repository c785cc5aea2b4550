"""Payload builders and signing helpers for the service tests (realistic Rossum shapes)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from handlers.invoice_schema import INVOICE_SCHEMA
from handlers.signature import signature_headers

SECRET = "whsec-test-0f1e2d3c"
OLD_SECRET = "whsec-old-9a8b7c6d"
TOKEN = "rossum-token-5e6f7a8b9c0d1e2f"
HOOK_SECRET_VALUE = "sftp-password-zz-top"
BASE_URL = "https://acme.rossum.app"
API = f"{BASE_URL}/api/v1"
ORG = f"{API}/organizations/1"
ANNOTATION_ID = 314521
ANNOTATION_URL = f"{API}/annotations/{ANNOTATION_ID}"

# A complete, consistent invoice: no rule wants to label or warn about it.
CLEAN_VALUES = {
    "document_id": "INV-2024-001",
    "order_id": "PO-7788",
    "date_issue": "2024-05-01",
    "date_due": "2024-09-30",
    "amount_total": "1200.00",
    "currency": "EUR",
    "sender_name": "Acme Supplies Ltd.",
}


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


def _datapoint(ids: Iterator[int], schema_id: str, value: str | None) -> dict[str, Any]:
    dp_id = next(ids)
    return {
        "id": dp_id,
        "url": f"{ANNOTATION_URL}/content/{dp_id}",
        "schema_id": schema_id,
        "category": "datapoint",
        "content": {
            "value": value or "",
            "normalized_value": value or "",
            "page": 1,
            "position": [120.0, 300.0, 380.0, 322.0],
            "rir_text": value or "",
            "rir_confidence": 0.97,
        },
        "validation_sources": ["score"],
        "time_spent": 0.0,
        "hidden": False,
    }


def invoice_content(
    values: Mapping[str, str | None], rows: Sequence[Mapping[str, str]]
) -> list[dict[str, Any]]:
    """Build a content tree of Rossum's standard invoice schema with these values and rows."""
    ids = itertools.count(1_000_000)
    sections = []
    for section in INVOICE_SCHEMA:
        children: list[dict[str, Any]] = []
        for node in section["children"]:
            if node["category"] == "datapoint":
                children.append(_datapoint(ids, node["id"], values.get(node["id"])))
                continue
            row_schema = node["children"]
            table_rows = rows if node["id"] == "line_items" else []
            tuples = [
                {
                    "id": next(ids),
                    "schema_id": row_schema["id"],
                    "category": "tuple",
                    "children": [
                        _datapoint(ids, cell["id"], row.get(cell["id"]))
                        for cell in row_schema["children"]
                    ],
                }
                for row in table_rows
            ]
            children.append(
                {
                    "id": next(ids),
                    "schema_id": node["id"],
                    "category": "multivalue",
                    "children": tuples,
                }
            )
        sections.append(
            {
                "id": next(ids),
                "schema_id": section["id"],
                "category": "section",
                "children": children,
            }
        )
    return sections


def _common(event: str, action: str, **overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "request_id": "ae7bc8dd-73bd-489b-a3d2-f5214b209591",
        "timestamp": "2024-07-25T10:00:00.000000Z",
        "base_url": BASE_URL,
        "rossum_authorization_token": TOKEN,
        "hook": f"{API}/hooks/781",
        "settings": {},
        "secrets": {"sftp_password": HOOK_SECRET_VALUE},
        "event": event,
        "action": action,
    }
    payload.update(overrides)
    return payload


def _annotation(
    *, content: Any, labels: Sequence[str] | None, annotation_id: int, status: str
) -> dict[str, Any]:
    annotation: dict[str, Any] = {
        "id": annotation_id,
        "url": f"{API}/annotations/{annotation_id}",
        "status": status,
        "previous_status": "importing",
        "queue": f"{API}/queues/8236",
        "schema": f"{API}/schemas/223",
        "document": f"{API}/documents/314621",
        "organization": ORG,
        "metadata": {},
        "content": content,
    }
    if labels is not None:
        annotation["labels"] = list(labels)
    return annotation


def content_event(
    action: str = "updated",
    *,
    values: Mapping[str, str | None] | None = None,
    rows: int = 3,
    labels: Sequence[str] | None = (),
    annotation_id: int = ANNOTATION_ID,
    **overrides: Any,
) -> dict[str, Any]:
    """Build an `annotation_content` payload; `labels=None` leaves the labels key out."""
    merged = {**CLEAN_VALUES, **(values or {})}
    content = invoice_content(merged, _rows(rows, merged.get("amount_total") or "0"))
    annotation = _annotation(
        content=content, labels=labels, annotation_id=annotation_id, status="to_review"
    )
    return _common(
        "annotation_content", action, annotation=annotation, updated_datapoints=[], **overrides
    )


def status_event(
    *, labels: Sequence[str] | None = (), annotation_id: int = ANNOTATION_ID, **overrides: Any
) -> dict[str, Any]:
    """Build an `annotation_status.changed` payload (content is a URL there)."""
    annotation = _annotation(
        content=f"{API}/annotations/{annotation_id}/content",
        labels=labels,
        annotation_id=annotation_id,
        status="to_review",
    )
    return _common("annotation_status", "changed", annotation=annotation, **overrides)


def signed(
    payload: Mapping[str, Any] | bytes, secret: str = SECRET, *, legacy: bool = False
) -> tuple[bytes, dict[str, str]]:
    """Return the body and the headers Rossum would send for `payload`."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"content-type": "application/json", **signature_headers(body, secret, legacy=legacy)}
    return body, headers
