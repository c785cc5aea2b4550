"""Notes on annotations (API reference, "Note"): `GET/POST /notes`, `GET/PATCH/PUT/DELETE
/notes/{id}`. A note is `{type: "rejection", content (<= 4096 characters), annotation, metadata}`;
lists filter `annotation` and `creator` and order by `created_at`, `modified_at` (and `id`).
`POST /annotations/{id}/reject` with `note_content` creates a rejection note too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox import serialize
from sandbox.errors import bad_request
from sandbox.http import caller, read_object, sandbox_of, urls_of
from sandbox.listing import ListSpec, field_value, ids, plain_orderings
from sandbox.pagination import paginate_pages
from sandbox.state import Sandbox
from sandbox.store import Record, now_iso

CONTENT_MAX_LENGTH = 4096
NOTE_TYPES = ("rejection",)
NOTES = ListSpec(
    "notes",
    {
        "id": ids(field_value("id")),
        "annotation": ids(field_value("annotation")),
        "creator": ids(field_value("creator")),
    },
    plain_orderings("created_at", "modified_at"),
)


def _validated(sandbox: Sandbox, body: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    missing = [name for name in ("type", "content", "annotation") if name not in body]
    if missing and not partial:
        raise bad_request(f"{', '.join(missing)}: this field is required.")
    if "type" in body:
        if body["type"] not in NOTE_TYPES:
            raise bad_request(
                f"type: {body['type']!r} is not a valid choice; expected {NOTE_TYPES}."
            )
        changes["type"] = body["type"]
    if "content" in body:
        content = body["content"]
        if not isinstance(content, str) or len(content) > CONTENT_MAX_LENGTH:
            raise bad_request(f"content: expected a string of at most {CONTENT_MAX_LENGTH} chars.")
        changes["content"] = content
    if "annotation" in body:
        changes["annotation"] = sandbox.store.ref(
            "annotations", body["annotation"], field="annotation"
        )
    if "metadata" in body:
        if not isinstance(body["metadata"], dict):
            raise bad_request("metadata: expected a JSON object.")
        changes["metadata"] = body["metadata"]
    return changes


def add_note(sandbox: Sandbox, annotation: int, content: str, *, creator: int) -> Record:
    """Store a rejection note on `annotation`."""
    return sandbox.store.add(
        "notes",
        {
            "type": "rejection",
            "content": content,
            "annotation": annotation,
            "metadata": {},
            "creator": creator,
            "created_at": now_iso(),
            "modified_at": None,
            "modifier": None,
        },
    )


async def list_notes(request: Request) -> Response:
    """List notes, filtered and ordered."""
    sandbox, urls = sandbox_of(request), urls_of(request)
    items = NOTES.select(request, sandbox.store, sandbox.store.values("notes"))
    page = paginate_pages(request, items, urls)
    page["results"] = [serialize.note(sandbox.store, n, urls) for n in page["results"]]
    return JSONResponse(page)


async def create_note(request: Request) -> Response:
    """Create a note; 201."""
    sandbox, urls = sandbox_of(request), urls_of(request)
    changes = _validated(sandbox, await read_object(request), partial=False)
    record = add_note(
        sandbox, changes["annotation"], changes["content"], creator=caller(request).user_id
    )
    record.update(changes)
    return JSONResponse(serialize.note(sandbox.store, record, urls), status_code=201)


async def retrieve_note(request: Request) -> Response:
    """Return one note."""
    sandbox = sandbox_of(request)
    record = sandbox.store.get("notes", request.path_params["note_id"])
    return JSONResponse(serialize.note(sandbox.store, record, urls_of(request)))


async def update_note(request: Request) -> Response:
    """Change a note: PUT needs type, content and annotation; PATCH what it sends."""
    sandbox = sandbox_of(request)
    record = sandbox.store.get("notes", request.path_params["note_id"])
    body = await read_object(request, allow_empty=request.method == "PATCH")
    record.update(_validated(sandbox, body, partial=request.method == "PATCH"))
    record.update(modified_at=now_iso(), modifier=caller(request).user_id)
    return JSONResponse(serialize.note(sandbox.store, record, urls_of(request)))


async def delete_note(request: Request) -> Response:
    """Delete a note; 204."""
    sandbox_of(request).store.remove("notes", request.path_params["note_id"])
    return Response(status_code=204)


routes = [
    Route("/notes", list_notes, methods=["GET"]),
    Route("/notes", create_note, methods=["POST"]),
    Route("/notes/{note_id:int}", retrieve_note, methods=["GET"]),
    Route("/notes/{note_id:int}", update_note, methods=["PATCH", "PUT"]),
    Route("/notes/{note_id:int}", delete_note, methods=["DELETE"]),
]
