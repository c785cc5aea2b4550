"""Annotations: list, retrieve, partial update, and the workflow verbs with status checks.

`GET /annotations` takes the filters, ordering keys and sideloads of
`sandbox.annotation_query.ANNOTATIONS` (anything else is a 400), page-number pagination.
`PATCH /annotations/{id}` changes `status`, `metadata` (<= 4 kB) and `queue`; `PUT` replaces
them (`status`, `queue` and `document` required; `document` cannot change). `labels` is
read-only (use `POST /labels/apply`). Verbs answer 409 `conflict_status` when the annotation is
not in a status that allows them.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox import serialize
from sandbox.annotation_query import ANNOTATIONS, ATTRIBUTES
from sandbox.errors import bad_request
from sandbox.http import caller, read_object, sandbox_of, urls_of
from sandbox.listing import field_selection
from sandbox.notes import add_note
from sandbox.pagination import paginate_pages
from sandbox.sideloads import sideloaded
from sandbox.state import Sandbox
from sandbox.store import Record
from sandbox.urls import Urls
from sandbox.workflow import STATUSES, require_editable, require_status

METADATA_MAX_BYTES = 4096


def _annotation(request: Request) -> Record:
    return sandbox_of(request).store.get("annotations", request.path_params["annotation_id"])


async def list_annotations(request: Request) -> Response:
    """List annotations matching the filters, ordered, one numbered page at a time."""
    sandbox, urls = sandbox_of(request), urls_of(request)
    items = ANNOTATIONS.select(request, sandbox.store, sandbox.store.values("annotations"))
    return JSONResponse(annotation_page(request, sandbox, items, urls))


def annotation_page(
    request: Request,
    sandbox: Sandbox,
    items: list[Record],
    urls: Urls,
    *,
    max_size: int = 100,
    page: int | None = None,
) -> dict[str, Any]:
    """Return one page of annotation records, serialised, with the requested sideloads."""
    served = paginate_pages(request, items, urls, max_size=max_size, page=page)
    return _with_sideloads(request, sandbox, served, urls)


def _with_sideloads(
    request: Request, sandbox: Sandbox, page: dict[str, Any], urls: Urls
) -> dict[str, Any]:
    select = field_selection(request, ATTRIBUTES)
    page.update(sideloaded(request, sandbox, page["results"], urls))
    page["results"] = [
        select(serialize.annotation(sandbox.store, a, urls)) for a in page["results"]
    ]
    return page


async def retrieve_annotation(request: Request) -> Response:
    """Return one annotation with its labels, messages and automation blocker."""
    sandbox = sandbox_of(request)
    return JSONResponse(serialize.annotation(sandbox.store, _annotation(request), urls_of(request)))


def _checked_metadata(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_request("metadata: expected a JSON object.")
    if len(json.dumps(value).encode()) > METADATA_MAX_BYTES:
        raise bad_request(f"metadata: must not exceed {METADATA_MAX_BYTES} bytes as JSON.")
    return value


async def patch_annotation(request: Request) -> Response:
    """Change `status`, `metadata` or `queue` (PUT: all of them); a status change fires its
    hook event."""
    sandbox, urls, who = sandbox_of(request), urls_of(request), caller(request)
    ann = _annotation(request)
    body = await read_object(request, allow_empty=request.method == "PATCH")
    if request.method == "PUT":
        body = _full_update(sandbox, ann, body)
    if "labels" in body:
        raise bad_request("labels: read-only; use POST /labels/apply.")
    status = body.get("status")
    if status is not None and status not in STATUSES:
        raise bad_request(f"status: {status!r} is not a valid choice; expected {list(STATUSES)}.")
    metadata = _checked_metadata(body["metadata"]) if "metadata" in body else None
    queue = sandbox.store.ref("queues", body["queue"], field="queue") if "queue" in body else None
    if metadata is not None:
        ann["metadata"] = metadata
    if queue is not None:
        ann["queue"] = queue
    if status is not None and status != ann["status"]:
        sandbox.workflow.change_status(ann, status, urls=urls, who=who)
    return JSONResponse(serialize.annotation(sandbox.store, ann, urls))


def _full_update(sandbox: Sandbox, ann: Record, body: dict[str, Any]) -> dict[str, Any]:
    missing = [name for name in ("document", "queue", "status") if name not in body]
    if missing:
        raise bad_request(f"{', '.join(missing)}: this field is required.")
    document = sandbox.store.ref("documents", body["document"], field="document")
    if document != ann["document"]:
        raise bad_request("document: the document of an annotation cannot be changed.")
    return {"metadata": {}, **body}


async def start(request: Request) -> Response:
    """Start reviewing (`statuses` in the body widens the allowed start statuses)."""
    sandbox, urls = sandbox_of(request), urls_of(request)
    ann = _annotation(request)
    body = await read_object(request, allow_empty=True)
    allowed: set[str] = {"to_review", "postponed"}
    if "statuses" in body:
        if not isinstance(body["statuses"], list) or not set(body["statuses"]) <= set(STATUSES):
            raise bad_request(f"statuses: expected a list of {list(STATUSES)}.")
        allowed = set(body["statuses"])
    await sandbox.workflow.start(ann, allowed, urls=urls, who=caller(request))
    return JSONResponse(
        {"annotation": urls.of("annotations", ann["id"]), "session_timeout": "01:00:00"}
    )


async def confirm(request: Request) -> Response:
    """Confirm; then `confirmed` or the export flow."""
    await read_object(request, allow_empty=True)
    sandbox, ann = sandbox_of(request), _annotation(request)
    await sandbox.workflow.confirm(ann, urls=urls_of(request), who=caller(request))
    return Response(status_code=204)


async def cancel(request: Request) -> Response:
    """Stop reviewing and return to the status before `start`."""
    await read_object(request, allow_empty=True)
    sandbox, ann = sandbox_of(request), _annotation(request)
    sandbox.workflow.cancel(ann, urls=urls_of(request), who=caller(request))
    return Response(status_code=204)


def _simple_verb(verb: str, target: str, allowed: frozenset[str]) -> Any:
    async def endpoint(request: Request) -> Response:
        body = await read_object(request, allow_empty=True)
        sandbox, who, ann, urls = (
            sandbox_of(request),
            caller(request),
            _annotation(request),
            urls_of(request),
        )
        note = body.get("note_content", "") if verb == "reject" else ""
        if not isinstance(note, str):
            raise bad_request("note_content: expected a string.")
        require_status(ann, allowed, verb=verb)
        if ann["status"] == "reviewing":
            require_editable(ann, who)
        ann["started_by"] = None
        sandbox.workflow.change_status(ann, target, urls=urls, who=who)
        if verb == "reject":  # API reference: `{"status", "note"}`, a note for the reason
            record = add_note(sandbox, ann["id"], note, creator=who.user_id)
            return JSONResponse({"status": target, "note": urls.of("notes", record["id"])})
        return Response(status_code=204)

    endpoint.__doc__ = f"Move the annotation to {target!r} ({verb})."
    return endpoint


_LIVE = frozenset({"to_review", "reviewing", "postponed"})
postpone = _simple_verb("postpone", "postponed", frozenset({"to_review", "reviewing"}))
reject = _simple_verb("reject", "rejected", _LIVE | {"confirmed"})
delete = _simple_verb("delete", "deleted", frozenset(STATUSES) - {"deleted", "purged", "importing"})


routes = [
    Route("/annotations", list_annotations, methods=["GET"]),
    Route("/annotations/{annotation_id:int}", retrieve_annotation, methods=["GET"]),
    Route("/annotations/{annotation_id:int}", patch_annotation, methods=["PATCH", "PUT"]),
    Route("/annotations/{annotation_id:int}/start", start, methods=["POST"]),
    Route("/annotations/{annotation_id:int}/confirm", confirm, methods=["POST"]),
    Route("/annotations/{annotation_id:int}/cancel", cancel, methods=["POST"]),
    Route("/annotations/{annotation_id:int}/postpone", postpone, methods=["POST"]),
    Route("/annotations/{annotation_id:int}/reject", reject, methods=["POST"]),
    Route("/annotations/{annotation_id:int}/delete", delete, methods=["POST"]),
]
