"""What an upload triggers (API reference, "Upload created event data/response format",
"Upload"; spec section 2.6).

An upload (through `POST /uploads`, or made by an email import) stores its files as documents,
then fires `upload.created` to the active hooks of its queue subscribed to it. The payload holds
`files` (per document: `document`, `prevent_importing`, `values`, `queue`, `annotation`),
`documents` (the document objects), `upload` (its URL), `metadata` and `email` (URL, or null
for an API upload). The answers of the hooks that succeeded are applied as Rossum does:

- `files[].prevent_importing: true`: no annotation is created for that document;
- `files[].messages`: appended to that document's annotation (with Rossum's `detail`);
- a listed document that is not one of the upload's (a hook created it): imported as an
  additional document (unless prevented), and listed in the upload's `additional_documents`.

Then each document still to import gets an `importing` annotation (values named by the
schema's `rir_field_names` filled in) and runs the import flow (`initialize`, `to_review`).
A hook that failed, or answered without `files`, changes nothing.

A hook may also create annotations itself while `upload.created` runs (`POST /annotations`
with `status: created`, e.g. for a document it converted from a format Rossum cannot read):
when the event ends, every `created` annotation of the upload's queue made since the upload
began is switched to `importing` and imported, unless its document was answered with
`prevent_importing` (API reference, "Annotation Lifecycle", "Create an annotation").
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox import serialize
from sandbox.answers import AnswerContext, hook_messages
from sandbox.errors import ApiError
from sandbox.importer import annotate_document
from sandbox.payloads import Trigger
from sandbox.store import Record, Store, now_iso
from sandbox.urls import Urls, id_from_url
from sandbox.workflow import set_status

if TYPE_CHECKING:
    from sandbox.delivery_log import Delivery
    from sandbox.state import Sandbox


def create_upload(
    store: Store,
    *,
    queue_id: int,
    documents: list[int],
    creator: int,
    values: Mapping[str, str],
    metadata: Mapping[str, Any],
    email_id: int | None = None,
    file_values: Mapping[int, Mapping[str, str]] | None = None,
) -> Record:
    """Store an upload of already stored `documents` into queue `queue_id`.

    `values` apply to every document, `file_values` (document id -> values) to one.
    """
    return store.add(
        "uploads",
        {
            "queue": queue_id,
            "organization": 1,
            "creator": creator,
            "created_at": now_iso(),
            "email": email_id,
            "documents": list(documents),
            "additional_documents": [],
            "annotations": [],
            "values": dict(values),
            "file_values": {k: dict(v) for k, v in (file_values or {}).items()},
            "metadata": dict(metadata),
        },
    )


def values_of(upload: Record, doc_id: int) -> dict[str, str]:
    """Return the values that initialise the annotation of one of the upload's documents."""
    return {**upload["values"], **upload["file_values"].get(doc_id, {})}


def serialize_upload(r: Record, urls: Urls) -> dict[str, Any]:
    """Serialise an upload object."""
    return {
        "id": r["id"],
        "url": urls.of("uploads", r["id"]),
        "queue": urls.of("queues", r["queue"]),
        "organization": urls.of("organizations", r["organization"]),
        "creator": urls.of("users", r["creator"]),
        "created_at": r["created_at"],
        "email": urls.maybe("emails", r["email"]),
        "documents": urls.many("documents", r["documents"]),
        "additional_documents": urls.many("documents", r["additional_documents"]),
        "annotations": urls.many("annotations", r["annotations"]),
    }


def upload_trigger(store: Store, upload: Record, urls: Urls) -> Trigger:
    """Return the `upload.created` trigger of an upload."""
    queue = urls.of("queues", upload["queue"])
    files, documents = [], []
    for doc_id in upload["documents"]:
        document = store.get("documents", doc_id)
        values = [{"id": k, "value": v} for k, v in values_of(upload, doc_id).items()]
        files.append(
            {
                "document": urls.of("documents", doc_id),
                "prevent_importing": False,
                "values": values,
                "queue": queue,
                "annotation": None,
            }
        )
        documents.append(serialize.document(store, document, urls))
    fields = {
        "files": files,
        "documents": documents,
        "upload": urls.of("uploads", upload["id"]),
        "metadata": upload["metadata"],
        "email": urls.maybe("emails", upload["email"]),
    }
    return Trigger("upload", "created", None, urls, queue_id=upload["queue"], fields=fields)


@dataclass
class UploadAnswers:
    """The hooks' answers to one `upload.created`, combined."""

    prevented: set[int] = field(default_factory=set)
    additional: list[int] = field(default_factory=list)
    # document id -> message-batch key -> messages
    messages: dict[int, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)


def _context(store: Store, delivery: Delivery) -> AnswerContext:
    hook = store.find("hooks", delivery.hook_id) or {
        "id": delivery.hook_id,
        "name": delivery.hook_name,
    }
    return AnswerContext(
        hook=hook,
        request_id=delivery.request_id,
        timestamp=delivery.finished_at or now_iso(),
        ok=True,
    )


def combine_answers(store: Store, upload: Record, deliveries: list[Delivery]) -> UploadAnswers:
    """Read the `files` of every successful answer; note what was ignored and why."""
    combined = UploadAnswers()
    for delivery in deliveries:
        answer = delivery.answer
        entries = answer.get("files") if isinstance(answer, Mapping) else None
        if delivery.state != "succeeded" or not isinstance(entries, list):
            continue
        ctx, problems = _context(store, delivery), delivery.outcome.problems
        for index, entry in enumerate(entries):
            where = f"files[{index}]"
            doc_id = _document_id(store, entry, where, problems)
            if doc_id is None:
                continue
            if entry.get("prevent_importing") is True:
                combined.prevented.add(doc_id)
            known = upload["documents"] + combined.additional
            if doc_id not in known:
                combined.additional.append(doc_id)
            if entry.get("messages"):
                messages = hook_messages(entry, ctx, delivery.outcome)
                batch = combined.messages.setdefault(doc_id, {})
                batch.setdefault(f"upload:{delivery.hook_id}", []).extend(messages)
                delivery.outcome.messages += len(messages)
    return combined


def _document_id(store: Store, entry: Any, where: str, problems: list[str]) -> int | None:
    if not isinstance(entry, Mapping) or "document" not in entry:
        problems.append(f"{where} ignored: needs a document URL")
        return None
    try:
        doc_id = id_from_url(entry["document"], "documents", field=f"{where}.document")
    except ApiError as exc:
        problems.append(f"{where} ignored: {exc.detail}")
        return None
    if store.find("documents", doc_id) is None:
        problems.append(f"{where} ignored: document {doc_id} does not exist")
        return None
    return doc_id


def created_during(store: Store, upload: Record, answers: UploadAnswers) -> list[Record]:
    """Return the `created` annotations hooks made in the upload's queue while it ran."""
    return [
        a
        for a in store.values("annotations")
        if a["status"] == "created"
        and a["queue"] == upload["queue"]
        and a["created_at"] >= upload["created_at"]
        and a["document"] not in answers.prevented
    ]


async def run_upload(sandbox: Sandbox, upload_id: int, urls: Urls) -> list[int]:
    """Fire `upload.created`, apply the answers, import the documents; return annotation ids."""
    store = sandbox.store
    upload = store.get("uploads", upload_id)
    deliveries = await sandbox.deliveries.dispatch(upload_trigger(store, upload, urls))
    answers = combine_answers(store, upload, deliveries)
    upload["additional_documents"] = list(answers.additional)
    created = []
    for ann in created_during(store, upload, answers):
        set_status(ann, "importing", user_id=None)  # "switched automatically" at the event's end
        ann["hook_messages"].update(answers.messages.get(ann["document"], {}))
        created.append(ann["id"])
    for doc_id in upload["documents"] + answers.additional:
        document = store.find("documents", doc_id)
        already = any(a["document"] == doc_id for a in store.values("annotations"))
        if document is None or doc_id in answers.prevented or already:
            continue
        ann = annotate_document(
            store,
            upload["queue"],
            document,
            values=values_of(upload, doc_id),
            metadata=upload["metadata"],
            creator=upload["creator"],
        )
        ann["email"] = upload["email"]
        ann["hook_messages"].update(answers.messages.get(doc_id, {}))
        created.append(ann["id"])
    upload["annotations"] = list(created)
    await asyncio.gather(*(sandbox.workflow.run_import(ann_id, urls) for ann_id in created))
    return created
