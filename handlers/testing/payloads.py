"""Realistic hook payloads for every event, as dicts (`*_payload`) or parsed (`build_*`).

Defaults are plausible and unique per call (ids, request ids); override what a test is
about. Tokens and secrets are recognisable dummies, so redaction tests can look for them.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from handlers.content import walk
from handlers.events import (
    AnnotationContentEvent,
    AnnotationStatusEvent,
    EmailEvent,
    HookEvent,
    InvocationEvent,
    UploadEvent,
    parse_event,
)
from handlers.invoice_schema import INVOICE_SCHEMA
from handlers.testing.tree import TreeBuilder
from handlers.tree import FieldValue, Rows

BASE_URL = "https://example.rossum.app"
TIMESTAMP = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
TOKEN = "test-rossum-token-2f9c0d7e"
SECRETS: Mapping[str, str] = {"api_password": "test-secret-value-41b7"}
E = TypeVar("E", bound=HookEvent)

# An invoice none of the shipped rules objects to (at TIMESTAMP): use it as a baseline.
CLEAN_INVOICE: Mapping[str, Any] = {
    "fields": {
        "document_id": "INV-2024-0042",
        "order_id": "PO-7731",
        "date_issue": "2024-04-28",
        "date_due": "2024-05-28",
        "amount_total": "1250.00",
        "currency": "eur",
        "sender_name": "Acme Supplies Ltd.",
    },
    "line_items": [
        {"item_description": "Paper A4", "item_quantity": "10", "item_amount_total": "250.00"},
        {"item_description": "Toner", "item_quantity": "2", "item_amount_total": "1000.00"},
    ],
}
_numbers = itertools.count(314_521)


def _api(base_url: str, path: str) -> str:
    return f"{base_url}/api/v1/{path}"


def common(
    event: str,
    action: str,
    *,
    settings: Mapping[str, Any] | None = None,
    secrets: Mapping[str, Any] | None = None,
    timestamp: datetime = TIMESTAMP,
    base_url: str | None = BASE_URL,
    token: str | None = TOKEN,
    hook_id: int = 781,
    request_id: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Return the keys every delivery carries (request_id, timestamp, hook, settings, ...).

    `extra` adds top-level keys, e.g. sideloads (`{"schemas": [...]}`).
    """
    payload: dict[str, Any] = {
        "request_id": request_id or str(uuid.uuid4()),
        "timestamp": timestamp.isoformat().replace("+00:00", "Z"),
        "hook": _api(base_url or BASE_URL, f"hooks/{hook_id}"),
        "event": event,
        "action": action,
        "settings": dict(settings or {}),
        "secrets": dict(SECRETS if secrets is None else secrets),
    }
    if base_url is not None:
        payload["base_url"] = base_url
    if token is not None:
        payload["rossum_authorization_token"] = token
    return {**payload, **(extra or {})}


def annotation(
    *,
    base_url: str,
    annotation_id: int,
    status: str,
    previous_status: str | None,
    labels: Sequence[str | int] | None = (),
    metadata: Mapping[str, Any] | None = None,
    content: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Return an annotation object; `content` is the tree, or its URL when None.

    `labels` are names or URLs (ints become label URLs); None leaves the key out, as in
    payloads of hooks set up before labels existed.
    """
    url = _api(base_url, f"annotations/{annotation_id}")
    ann = {
        "id": annotation_id,
        "url": url,
        "status": status,
        "previous_status": previous_status,
        "document": _api(base_url, f"documents/{annotation_id + 100}"),
        "queue": _api(base_url, "queues/8236"),
        "schema": _api(base_url, "schemas/223"),
        "organization": _api(base_url, "organizations/1"),
        "pages": [_api(base_url, f"pages/{annotation_id + 200}")],
        "creator": _api(base_url, "users/1"),
        "modifier": None,
        "created_at": "2024-04-30T08:00:00.000000Z",
        "confirmed_at": None,
        "exported_at": None,
        "rir_poll_id": "54f6b91cfb751289e71ddf12",
        "messages": None,
        "labels": [
            _api(base_url, f"labels/{x}") if isinstance(x, int) else x for x in labels or ()
        ],
        "metadata": dict(metadata or {}),
        "automated": False,
        "content": content if content is not None else f"{url}/content",
        "time_spent": 0,
    }
    if labels is None:
        del ann["labels"]
    return ann


def document(*, base_url: str, document_id: int, file_name: str = "invoice.pdf") -> dict[str, Any]:
    """Return a document object (no `annotations`, as in hook payloads)."""
    url = _api(base_url, f"documents/{document_id}")
    mime = "application/pdf" if file_name.endswith(".pdf") else "application/octet-stream"
    return {
        "id": document_id,
        "url": url,
        "s3_name": uuid.uuid5(uuid.NAMESPACE_URL, url).hex,
        "mime_type": mime,
        "arrived_at": "2024-04-30T07:59:00.000000Z",
        "original_file_name": file_name,
        "content": f"{url}/content",
        "metadata": {},
    }


def content_payload(
    action: str = "updated",
    *,
    fields: Mapping[str, FieldValue] | None = None,
    line_items: Rows = (),
    tables: Mapping[str, Rows] | None = None,
    omit: Sequence[str] = (),
    schema: Sequence[Mapping[str, Any]] = INVOICE_SCHEMA,
    updated_datapoints: Sequence[int] | None = None,
    status: str = "to_review",
    previous_status: str | None = "importing",
    labels: Sequence[str | int] | None = (),
    metadata: Mapping[str, Any] | None = None,
    annotation_id: int | None = None,
    **keys: Any,
) -> dict[str, Any]:
    """Return an `annotation_content` payload whose tree holds the given fields and rows.

    `fields` maps header schema ids to values (str, number, date, or a content mapping);
    `line_items` are rows of `line_items`, `tables` rows of any multivalue; `omit` drops
    schema ids from the tree. `updated_datapoints` defaults to the given fields' ids on
    `updated` (never empty there, as in Rossum) and to `[]` otherwise. Other keyword
    arguments go to `common` (settings, secrets, timestamp, base_url, token, ...).
    """
    base = common("annotation_content", action, **keys)
    aid = annotation_id if annotation_id is not None else next(_numbers)
    ann = annotation(
        base_url=_base(base),
        annotation_id=aid,
        status=status,
        previous_status=previous_status,
        labels=labels,
        metadata=metadata,
    )
    builder = TreeBuilder(annotation_url=ann["url"], first_id=aid * 1000)
    all_tables = {**({"line_items": line_items} if line_items else {}), **(tables or {})}
    tree = builder.build(schema, fields=fields, tables=all_tables, omit=omit)
    ann["content"] = tree
    if updated_datapoints is None:
        updated_datapoints = _default_updated(action, tree, fields or {})
    return {
        **base,
        "annotation": ann,
        "document": document(base_url=_base(base), document_id=aid + 100),
        "updated_datapoints": list(updated_datapoints),
    }


def _base(payload: Mapping[str, Any]) -> str:
    return str(payload.get("base_url") or BASE_URL)


def _default_updated(
    action: str, tree: list[dict[str, Any]], fields: Mapping[str, Any]
) -> list[int]:
    if action not in ("updated", "user_update"):
        return []
    datapoints = [n for n in walk(tree) if n.get("category") == "datapoint"]
    ids = [n["id"] for n in datapoints if n["schema_id"] in fields]
    return ids or [datapoints[0]["id"]]


def status_payload(
    *,
    status: str = "to_review",
    previous_status: str = "importing",
    labels: Sequence[str | int] | None = (),
    metadata: Mapping[str, Any] | None = None,
    annotation_id: int | None = None,
    **keys: Any,
) -> dict[str, Any]:
    """Return an `annotation_status.changed` payload (annotation content is a URL)."""
    base = common("annotation_status", "changed", **keys)
    aid = annotation_id if annotation_id is not None else next(_numbers)
    return {
        **base,
        "annotation": annotation(
            base_url=_base(base),
            annotation_id=aid,
            status=status,
            previous_status=previous_status,
            labels=labels,
            metadata=metadata,
        ),
        "document": document(base_url=_base(base), document_id=aid + 100),
    }


def upload_payload(
    *,
    file_names: Sequence[str] = ("invoice.pdf",),
    metadata: Mapping[str, Any] | None = None,
    **keys: Any,
) -> dict[str, Any]:
    """Return an `upload.created` payload with one file and document per name."""
    base = common("upload", "created", **keys)
    first = next(_numbers)
    docs = [
        document(base_url=_base(base), document_id=first + i, file_name=name)
        for i, name in enumerate(file_names)
    ]
    files = [
        {
            "document": d["url"],
            "prevent_importing": False,
            "values": [],
            "queue": _api(_base(base), "queues/8236"),
            "annotation": None,
        }
        for d in docs
    ]
    return {
        **base,
        "email": None,
        "upload": _api(_base(base), f"uploads/{first}"),
        "metadata": dict(metadata or {}),
        "files": files,
        "documents": docs,
    }


def email_payload(
    *,
    file_names: Sequence[str] = ("invoice.pdf",),
    sender: str = "billing@vendor.example",
    subject: str = "Invoice",
    body_text: str = "Please find the invoice attached.",
    **keys: Any,
) -> dict[str, Any]:
    """Return an `email.received` payload with one attachment per name."""
    base = common("email", "received", **keys)
    first = next(_numbers)
    files = [
        {
            "id": str(i + 1),
            "filename": name,
            "mime_type": "application/pdf" if name.endswith(".pdf") else "application/octet-stream",
            "n_pages": 1,
            "height_px": 3508.0,
            "width_px": 2480.0,
            "document": _api(_base(base), f"documents/{first + i}"),
        }
        for i, name in enumerate(file_names)
    ]
    return {
        **base,
        "email": _api(_base(base), f"emails/{first}"),
        "queue": _api(_base(base), "queues/8236"),
        "files": files,
        "headers": {
            "from": sender,
            "to": "invoices-a34f3a@example.rossum.app",
            "reply-to": sender,
            "subject": subject,
            "date": "Wed, 01 May 2024 11:29:00 +0200",
            "message-id": uuid.uuid5(uuid.NAMESPACE_URL, str(first)).hex,
        },
        "body": {"body_text_plain": body_text, "body_text_html": f"<div>{body_text}</div>"},
    }


def invocation_payload(
    action: str = "scheduled", *, fields: Mapping[str, Any] | None = None, **keys: Any
) -> dict[str, Any]:
    """Return an `invocation.scheduled` or `invocation.manual` payload (fields merged in)."""
    return {**common("invocation", action, **keys), **(fields or {})}


def build(payload: Mapping[str, Any], model: type[E]) -> E:
    """Parse a payload and check it became `model`."""
    event = parse_event(payload)
    if not isinstance(event, model):
        raise TypeError(f"payload parsed as {type(event).__name__}, expected {model.__name__}")
    return event


def build_content_event(action: str = "updated", **kwargs: Any) -> AnnotationContentEvent:
    """Return a parsed `annotation_content` event; arguments as `content_payload`."""
    return build(content_payload(action, **kwargs), AnnotationContentEvent)


def build_status_event(**kwargs: Any) -> AnnotationStatusEvent:
    """Return a parsed `annotation_status.changed` event; arguments as `status_payload`."""
    return build(status_payload(**kwargs), AnnotationStatusEvent)


def build_upload_event(**kwargs: Any) -> UploadEvent:
    """Return a parsed `upload.created` event; arguments as `upload_payload`."""
    return build(upload_payload(**kwargs), UploadEvent)


def build_email_event(**kwargs: Any) -> EmailEvent:
    """Return a parsed `email.received` event; arguments as `email_payload`."""
    return build(email_payload(**kwargs), EmailEvent)


def build_invocation_event(action: str = "scheduled", **kwargs: Any) -> InvocationEvent:
    """Return a parsed `invocation.*` event; arguments as `invocation_payload`."""
    return build(invocation_payload(action, **kwargs), InvocationEvent)
