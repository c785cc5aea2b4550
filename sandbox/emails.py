"""Email import (API reference, "Import email", "Email", "Inbox", "Email received event data /
response format"; spec section 2.7).

`POST /emails/import` (multipart: `raw_message` file, `recipient` inbox address, optional
`metadata` and `values` JSON, `values` keys starting with `emails_import:`) answers 202
`{"url": <task URL>}`. In the background the raw MIME message becomes an `incoming` email object
of the inbox's queue, each attachment a document, and `email.received` goes to the active hooks
of that queue. Their successful answers are applied:

- `files: [{id, values}]`: only the listed attachments are imported, each with its `email:*`
  values (when no hook answers `files`, every PDF and image attachment is imported);
- `additional_files: [{document, values, import_document}]`: those documents are linked to the
  email, and imported when `import_document` is true;
- `extracted_original_sender: {email, name}`: replaces the email's `from`.

The documents to import then go through an upload made by the email (`upload.created` with the
email's URL, see `sandbox.upload_events`); every annotation also gets the `email_header:<id>`
values (`from`, `to`, `reply-to`, `subject`, `message-id`, `date`) and the import's `values`.
The task succeeds and redirects to the email. The demo queue's inbox is
`invoices@sandbox.rossum.app`; `POST /inboxes` adds more.
"""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import getaddresses
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.errors import ApiError, bad_request
from sandbox.http import caller, read_body, read_object, sandbox_of, urls_of
from sandbox.importer import add_document
from sandbox.listing import ListSpec, common, plain_orderings
from sandbox.pagination import paginate_pages
from sandbox.payloads import Trigger
from sandbox.store import Record, Store, now_iso
from sandbox.tasks import finish, new_task
from sandbox.upload_events import create_upload, run_upload
from sandbox.uploads import checked_metadata, checked_values, json_part, parse_form, part_text
from sandbox.urls import Urls, id_from_url

if TYPE_CHECKING:
    from sandbox.delivery_log import Delivery
    from sandbox.state import Sandbox

DEMO_INBOX_EMAIL = "invoices@sandbox.rossum.app"
HEADER_KEYS = ("from", "to", "reply-to", "subject", "date", "message-id", "authentication-results")
VALUE_HEADERS = ("from", "to", "reply-to", "subject", "message-id", "date")
BODY_MAX_CHARS = 4096
PDF_DPI = 300


def add_inbox(store: Store, *, name: str, queue_id: int, address: str) -> Record:
    """Add an inbox feeding `queue_id` from `address`."""
    return store.add(
        "inboxes",
        {"name": name, "queues": [queue_id], "email": address, "metadata": {}, "filters": {}},
    )


def serialize_inbox(r: Record, urls: Urls) -> dict[str, Any]:
    """Serialise an inbox."""
    local = r["email"].partition("@")[0]
    return {
        "id": r["id"],
        "url": urls.of("inboxes", r["id"]),
        "name": r["name"],
        "queues": urls.many("queues", r["queues"]),
        "email": r["email"],
        "email_prefix": local,
        "bounce_email_to": None,
        "bounce_unprocessable_attachments": False,
        "bounce_deleted_annotations": False,
        "bounce_email_with_no_attachments": True,
        "metadata": r["metadata"],
        "filters": r["filters"],
        "dmarc_check_action": "accept",
    }


def serialize_email(store: Store, r: Record, urls: Urls) -> dict[str, Any]:
    """Serialise an email object."""
    annotations = [a["id"] for a in store.values("annotations") if a.get("email") == r["id"]]
    return {
        "id": r["id"],
        "url": urls.of("emails", r["id"]),
        "queue": urls.of("queues", r["queue"]),
        "inbox": urls.of("inboxes", r["inbox"]),
        "parent": None,
        "children": [],
        "documents": urls.many("documents", r["documents"]),
        "created_at": r["created_at"],
        "subject": r["subject"],
        "from": r["from"],
        "to": r["to"],
        "cc": r["cc"],
        "bcc": [],
        "body_text_plain": r["body_text_plain"],
        "body_text_html": r["body_text_html"],
        "metadata": r["metadata"],
        "type": "incoming",
        "annotations": urls.many("annotations", annotations),
        "related_annotations": [],
        "related_documents": urls.many("documents", r["related_documents"]),
        "creator": urls.maybe("users", r["creator"]),
        "filtered_out_document_count": 0,
        "labels": [],
    }


def _addresses(value: str | None) -> list[dict[str, str]]:
    return [{"email": addr, "name": name} for name, addr in getaddresses([value or ""]) if addr]


def _body(message: EmailMessage, kind: str) -> str:
    part = message.get_body(preferencelist=(kind,))
    if part is None:
        return ""
    return str(part.get_content())[:BODY_MAX_CHARS]


def _pdf_geometry(data: bytes) -> tuple[int, float | None, float | None]:
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", data)) or 1
    box = re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", data)
    if box is None:
        return pages, None, None
    width, height = (float(box[3]) - float(box[1])), (float(box[4]) - float(box[2]))
    return pages, round(height / 72 * PDF_DPI, 1), round(width / 72 * PDF_DPI, 1)


@dataclass
class Attachment:
    """One attachment of an imported email, stored as a document."""

    file_id: str
    document: Record
    data: bytes

    @property
    def importable(self) -> bool:
        """Tell whether Rossum imports it without being told (PDFs and images)."""
        mime = str(self.document["mime_type"])
        return mime == "application/pdf" or mime.startswith("image/")

    def as_file(self, urls: Urls) -> dict[str, Any]:
        """Return its `files` entry of the `email.received` payload."""
        mime = str(self.document["mime_type"])
        pages, height, width = (
            _pdf_geometry(self.data) if mime == "application/pdf" else (1, None, None)
        )
        return {
            "id": self.file_id,
            "filename": self.document["original_file_name"],
            "mime_type": mime,
            "n_pages": pages,
            "height_px": height,
            "width_px": width,
            "document": urls.of("documents", self.document["id"]),
        }


def store_email(
    store: Store,
    raw: bytes,
    *,
    inbox: Record,
    creator: int,
    metadata: dict[str, Any],
) -> Record:
    """Parse a raw MIME message into an email object (headers kept) and attachment documents."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if not isinstance(message, EmailMessage) or not message.keys():
        raise bad_request("raw_message: not an RFC 5322 email message.")
    headers = {k: str(message[k]) for k in HEADER_KEYS if message[k] is not None}
    documents = []
    for number, part in enumerate(message.iter_attachments(), start=1):
        name = part.get_filename() or f"attachment-{number}"
        data = part.get_content()
        data = data.encode() if isinstance(data, str) else bytes(data)
        document = add_document(
            store, file_name=name.replace("/", "_"), mime_type=part.get_content_type(), data=data
        )
        documents.append(document["id"])
    senders = _addresses(headers.get("from"))
    return store.add(
        "emails",
        {
            "queue": inbox["queues"][0],
            "inbox": inbox["id"],
            "created_at": now_iso(),
            "subject": headers.get("subject", ""),
            "from": senders[0] if senders else None,
            "to": _addresses(headers.get("to")),
            "cc": _addresses(str(message["cc"]) if message["cc"] else None),
            "body_text_plain": _body(message, "plain"),
            "body_text_html": _body(message, "html"),
            "metadata": metadata,
            "documents": documents,
            "related_documents": [],
            "creator": creator,
            "headers": headers,
        },
    )


def attachments_of(store: Store, record: Record) -> list[Attachment]:
    """Return the email's attachments, numbered from 1 in the order they came."""
    found = []
    for number, doc_id in enumerate(record["documents"], start=1):
        document = store.find("documents", doc_id)
        if document is not None:
            found.append(Attachment(str(number), document, store.files.get(doc_id, b"")))
    return found


def email_trigger(store: Store, record: Record, urls: Urls) -> Trigger:
    """Return the `email.received` trigger of an imported email."""
    fields = {
        "email": urls.of("emails", record["id"]),
        "queue": urls.of("queues", record["queue"]),
        "files": [a.as_file(urls) for a in attachments_of(store, record)],
        "headers": dict(record["headers"]),
        "body": {
            "body_text_plain": record["body_text_plain"],
            "body_text_html": record["body_text_html"],
        },
    }
    return Trigger("email", "received", None, urls, queue_id=record["queue"], fields=fields)


@dataclass
class EmailAnswers:
    """The hooks' answers to one `email.received`, combined."""

    selected: dict[str, dict[str, str]] | None = None  # file id -> values; None: no hook chose
    additional: dict[int, dict[str, str]] = field(default_factory=dict)  # document -> values
    imported_additional: list[int] = field(default_factory=list)
    sender: dict[str, str] | None = None


def _values(raw: Any, where: str, problems: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for index, item in enumerate(raw if isinstance(raw, list) else []):
        ok = isinstance(item, Mapping) and isinstance(item.get("id"), str)
        if not ok or not isinstance(item.get("value"), str):
            problems.append(f"{where}.values[{index}] ignored: needs id and string value")
            continue
        out[item["id"]] = item["value"]
    return out


def combine_answers(store: Store, deliveries: list[Delivery]) -> EmailAnswers:
    """Read `files`, `additional_files` and `extracted_original_sender` of successful answers."""
    combined = EmailAnswers()
    for delivery in deliveries:
        answer = delivery.answer
        if delivery.state != "succeeded" or not isinstance(answer, Mapping):
            continue
        problems = delivery.outcome.problems
        if isinstance(answer.get("files"), list):
            combined.selected = combined.selected or {}
            for index, entry in enumerate(answer["files"]):
                if not isinstance(entry, Mapping) or entry.get("id") is None:
                    problems.append(f"files[{index}] ignored: needs the file id")
                    continue
                values = _values(entry.get("values"), f"files[{index}]", problems)
                combined.selected.setdefault(str(entry["id"]), {}).update(values)
        for index, entry in enumerate(answer.get("additional_files") or []):
            where = f"additional_files[{index}]"
            try:
                doc_id = id_from_url(
                    entry.get("document") if isinstance(entry, Mapping) else None,
                    "documents",
                    field=f"{where}.document",
                )
            except ApiError as exc:
                problems.append(f"{where} ignored: {exc.detail}")
                continue
            if store.find("documents", doc_id) is None:
                problems.append(f"{where} ignored: document {doc_id} does not exist")
                continue
            values = _values(entry.get("values"), where, problems)
            combined.additional.setdefault(doc_id, {}).update(values)
            if entry.get("import_document") is True and doc_id not in combined.imported_additional:
                combined.imported_additional.append(doc_id)
        sender = answer.get("extracted_original_sender")
        if isinstance(sender, Mapping) and isinstance(sender.get("email"), str):
            combined.sender = combined.sender or {
                "email": sender["email"],
                "name": str(sender.get("name") or ""),
            }
    return combined


async def run_email(
    sandbox: Sandbox, record: Record, urls: Urls, *, values: Mapping[str, str]
) -> None:
    """Fire `email.received`, apply the answers, and import the chosen documents."""
    store = sandbox.store
    headers, attachments = record["headers"], attachments_of(store, record)
    trigger = email_trigger(store, record, urls)
    deliveries = await sandbox.deliveries.dispatch(trigger)
    answers = combine_answers(store, deliveries)
    if answers.sender is not None:
        record["from"] = answers.sender
    record["related_documents"] = [d for d in answers.additional if d not in record["documents"]]
    common = {f"email_header:{k}": headers[k] for k in VALUE_HEADERS if k in headers}
    common |= dict(values)
    file_values: dict[int, dict[str, str]] = {}
    for attachment in attachments:
        chosen = answers.selected
        if chosen is None and attachment.importable:
            file_values[attachment.document["id"]] = {}
        elif chosen is not None and attachment.file_id in chosen:
            file_values[attachment.document["id"]] = chosen[attachment.file_id]
    for doc_id in answers.imported_additional:
        file_values.setdefault(doc_id, answers.additional.get(doc_id, {}))
    if not file_values:
        return
    upload = create_upload(
        store,
        queue_id=record["queue"],
        documents=list(file_values),
        creator=record["creator"],
        values=common,
        metadata=record["metadata"],
        email_id=record["id"],
        file_values=file_values,
    )
    await run_upload(sandbox, upload["id"], urls)


def _inbox(store: Store, recipient: str) -> Record:
    wanted = recipient.strip().lower()
    for inbox in store.values("inboxes"):
        if inbox["email"].lower() == wanted:
            return inbox
    raise bad_request(f"recipient: no inbox has the address {recipient!r}.")


async def import_email(request: Request) -> Response:
    """Import a raw email into the inbox of `recipient`; 202 with the task URL."""
    sandbox, urls = sandbox_of(request), urls_of(request)
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media != "multipart/form-data":
        raise bad_request("Send raw_message and recipient as multipart/form-data.")
    form = await parse_form(request, await read_body(request))
    try:
        raw_bytes = await part_text(form.get("raw_message")) or b""
        recipient = form.get("recipient")
        metadata_text = await part_text(form.get("metadata"))
        values_text = await part_text(form.get("values"))
    finally:
        await form.close()
    if not raw_bytes:
        raise bad_request("raw_message: this field is required.")
    if not isinstance(recipient, str) or not recipient:
        raise bad_request("recipient: this field is required.")
    inbox = _inbox(sandbox.store, recipient)
    metadata = checked_metadata(json_part(metadata_text, "metadata"))
    values = checked_values(json_part(values_text, "values"), prefix="emails_import:")
    raw = raw_bytes.encode() if isinstance(raw_bytes, str) else raw_bytes
    record = store_email(
        sandbox.store, raw, inbox=inbox, creator=caller(request).user_id, metadata=metadata
    )
    task = new_task(sandbox.store, "email_imported", result_kind="emails", result_id=record["id"])

    async def work() -> None:
        try:
            await run_email(sandbox, record, urls, values=values)
        except Exception as exc:
            finish(task, failure=f"email import failed: {type(exc).__name__}")
            raise
        finish(task)

    sandbox.deliveries.spawn(work())
    return JSONResponse({"url": urls.of("tasks", task["id"])}, status_code=202)


async def retrieve_email(request: Request) -> Response:
    """Return one email object."""
    sandbox = sandbox_of(request)
    record = sandbox.store.get("emails", request.path_params["email_id"])
    return JSONResponse(serialize_email(sandbox.store, record, urls_of(request)))


INBOXES = ListSpec("inboxes", common("inboxes", "name", "email"), plain_orderings("name", "email"))


async def list_inboxes(request: Request) -> Response:
    """List the inboxes, filtered by `id`, `name`, `email`, ordered by those keys."""
    sandbox, urls = sandbox_of(request), urls_of(request)
    items = INBOXES.select(request, sandbox.store, sandbox.store.values("inboxes"))
    page = paginate_pages(request, items, urls)
    page["results"] = [serialize_inbox(r, urls) for r in page["results"]]
    return JSONResponse(page)


async def retrieve_inbox(request: Request) -> Response:
    """Return one inbox."""
    record = sandbox_of(request).store.get("inboxes", request.path_params["inbox_id"])
    return JSONResponse(serialize_inbox(record, urls_of(request)))


async def create_inbox(request: Request) -> Response:
    """Create an inbox `{name, queues: [one queue URL], email}`; 201."""
    sandbox = sandbox_of(request)
    body = await read_object(request)
    queues, address, name = body.get("queues"), body.get("email"), body.get("name")
    if not isinstance(queues, list) or len(queues) != 1:
        raise bad_request("queues: expected a list with exactly one queue URL.")
    queue_id = sandbox.store.ref("queues", queues[0], field="queues[0]")
    if not isinstance(address, str) or "@" not in address:
        raise bad_request("email: expected an email address.")
    if any(i["email"].lower() == address.lower() for i in sandbox.store.values("inboxes")):
        raise bad_request("email: an inbox with this address already exists.")
    record = add_inbox(sandbox.store, name=str(name or address), queue_id=queue_id, address=address)
    return JSONResponse(serialize_inbox(record, urls_of(request)), status_code=201)


routes = [
    Route("/emails/import", import_email, methods=["POST"]),
    Route("/emails/{email_id:int}", retrieve_email, methods=["GET"]),
    Route("/inboxes", list_inboxes, methods=["GET"]),
    Route("/inboxes", create_inbox, methods=["POST"]),
    Route("/inboxes/{inbox_id:int}", retrieve_inbox, methods=["GET"]),
]
