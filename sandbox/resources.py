"""The plainer objects: organizations, organization groups, users, workspaces, queues,
schemas, documents, automation blockers. Lists use page-number pagination and the filters and
ordering keys of each kind's `ListSpec` (others are refused with 400).

Writable here: queues, schemas and workspaces (create, PATCH, PUT, DELETE) and users (PATCH of
names and metadata). A schema or workspace still in use by a queue cannot be deleted (409);
deleting a queue deletes its annotations and documents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox import serialize
from sandbox.demo_data import new_queue
from sandbox.errors import ApiError, bad_request
from sandbox.http import read_object, sandbox_of, urls_of
from sandbox.listing import (
    ListSpec,
    boolean,
    common,
    field_value,
    ids,
    plain_orderings,
    time_range,
)
from sandbox.pagination import paginate_pages
from sandbox.schemas import check_schema_content
from sandbox.state import Sandbox
from sandbox.store import Record, Store


@dataclass(frozen=True)
class Kind:
    """What the API lets a client list, filter, order and write on one object kind."""

    name: str
    listing: ListSpec
    types: Mapping[str, type | tuple[type, ...]] = field(default_factory=dict)
    refs: Mapping[str, str] = field(default_factory=dict)  # writable field -> referenced kind
    required: tuple[str, ...] = ()
    creatable: bool = False


def _queue_hooks(store: Store, queue: Record) -> list[int]:
    return [h["id"] for h in store.values("hooks") if queue["id"] in h["queues"]]


def _schema_queues(store: Store, schema: Record) -> list[int]:
    return [q["id"] for q in store.values("queues") if q["schema"] == schema["id"]]


def _document_created_at(store: Store, document: Record) -> Any:
    return document.get("created_at") or document["arrived_at"]


_USER_FIELDS = ("username", "first_name", "last_name", "email")
KINDS = {
    k.name: k
    for k in (
        Kind(
            "organizations",
            ListSpec("organizations", common("organizations", "name"), plain_orderings("name")),
        ),
        Kind(
            "organization_groups",
            ListSpec("organization_groups", common("organization_groups"), plain_orderings("name")),
        ),
        Kind(
            "users",
            ListSpec(
                "users",
                {
                    **common("users", *_USER_FIELDS),
                    "organization": ids(field_value("organization")),
                    "is_active": boolean(field_value("is_active")),
                },
                plain_orderings(*_USER_FIELDS, "last_login", "date_joined"),
            ),
            {"first_name": str, "last_name": str, "metadata": dict},
        ),
        Kind(
            "workspaces",
            ListSpec(
                "workspaces",
                {**common("workspaces", "name"), "organization": ids(field_value("organization"))},
                plain_orderings("name"),
            ),
            {"name": str, "metadata": dict},
            {"organization": "organizations"},
            ("name", "organization"),
            True,
        ),
        Kind(
            "queues",
            ListSpec(
                "queues",
                {
                    **common("queues", "name", "locale"),
                    "workspace": ids(field_value("workspace")),
                    "schema": ids(field_value("schema")),
                    "hooks": ids(_queue_hooks),
                    "webhooks": ids(_queue_hooks),
                },
                plain_orderings("name", "workspace", "schema", "locale"),
            ),
            {
                "name": str,
                "metadata": dict,
                "settings": dict,
                "use_confirmed_state": bool,
                "automation_enabled": bool,
                "automation_level": str,
                "locale": str,
                "session_timeout": str,
                "default_score_threshold": (int, float),
            },
            {"workspace": "workspaces", "schema": "schemas"},
            ("name", "schema"),
            True,
        ),
        Kind(
            "schemas",
            ListSpec(
                "schemas",
                {**common("schemas", "name"), "queue": ids(_schema_queues)},
                plain_orderings(),
            ),
            {"name": str, "content": list, "metadata": dict},
            {},
            ("name", "content"),
            True,
        ),
        Kind(
            "documents",
            ListSpec(
                "documents",
                {
                    **common("documents", "original_file_name"),
                    "creator": ids(field_value("creator")),
                    **time_range("arrived_at"),
                    **time_range("created_at", _document_created_at),
                },
                plain_orderings("arrived_at", "created_at", "original_file_name", "mime_type"),
            ),
        ),
        Kind(
            "automation_blockers",
            ListSpec(
                "automation_blockers",
                {**common("automation_blockers"), "annotation": ids(field_value("annotation"))},
                plain_orderings(),
            ),
        ),
    )
}


def _kind(request: Request) -> Kind:
    return KINDS[request.url.path.split("/api/v1/", 1)[1].split("/", 1)[0]]


async def list_objects(request: Request) -> Response:
    """List objects of one kind, filtered, one numbered page at a time."""
    sandbox, urls, kind = sandbox_of(request), urls_of(request), _kind(request)
    items = kind.listing.select(request, sandbox.store, sandbox.store.values(kind.name))
    page = paginate_pages(request, items, urls)
    page["results"] = [
        serialize.serialize(sandbox.store, kind.name, r, urls) for r in page["results"]
    ]
    return JSONResponse(page)


async def retrieve_object(request: Request) -> Response:
    """Return one object."""
    sandbox, kind = sandbox_of(request), _kind(request)
    record = sandbox.store.get(kind.name, request.path_params["object_id"])
    return JSONResponse(serialize.serialize(sandbox.store, kind.name, record, urls_of(request)))


def _validated(
    sandbox: Sandbox, kind: Kind, body: Mapping[str, Any], *, partial: bool
) -> dict[str, Any]:
    missing = [name for name in kind.required if name not in body]
    if missing and not partial:
        raise bad_request(f"{', '.join(missing)}: this field is required.")
    changes: dict[str, Any] = {}
    for name, expected in kind.types.items():
        if name in body:
            value = body[name]
            blank = isinstance(value, str) and not value.strip()
            if not isinstance(value, expected) or blank:
                raise bad_request(f"{name}: invalid value {value!r}.")
            changes[name] = value
    for name, target in kind.refs.items():
        if name in body:
            changes[name] = sandbox.store.ref(target, body[name], field=name)
    if "content" in changes:
        check_schema_content(changes["content"])
    return changes


async def create_object(request: Request) -> Response:
    """Create a queue, schema or workspace; 201."""
    sandbox, urls, kind = sandbox_of(request), urls_of(request), _kind(request)
    changes = _validated(sandbox, kind, await read_object(request), partial=False)
    if kind.name == "queues":
        record = new_queue(
            changes["name"], workspace=changes.get("workspace"), schema=changes["schema"]
        )
        record.update(changes)
    else:
        record = {"metadata": {}, **changes}
    sandbox.store.add(kind.name, record)
    return JSONResponse(
        serialize.serialize(sandbox.store, kind.name, record, urls), status_code=201
    )


async def update_object(request: Request) -> Response:
    """Change an object: PUT needs the required fields, PATCH only what it sends."""
    sandbox, urls, kind = sandbox_of(request), urls_of(request), _kind(request)
    record = sandbox.store.get(kind.name, request.path_params["object_id"])
    body = await read_object(request, allow_empty=request.method == "PATCH")
    partial = request.method == "PATCH" or not kind.creatable
    record.update(_validated(sandbox, kind, body, partial=partial))
    return JSONResponse(serialize.serialize(sandbox.store, kind.name, record, urls))


async def delete_object(request: Request) -> Response:
    """Delete a queue (with its annotations), or an unused schema or workspace; 204."""
    sandbox, kind = sandbox_of(request), _kind(request)
    object_id = request.path_params["object_id"]
    sandbox.store.get(kind.name, object_id)
    used_by = "schema" if kind.name == "schemas" else "workspace"
    if kind.name != "queues" and any(
        q.get(used_by) == object_id for q in sandbox.store.values("queues")
    ):
        raise ApiError(
            409, f"This {used_by} is still used by a queue; delete or move the queue first."
        )
    if kind.name == "queues":
        _delete_queue_contents(sandbox, object_id)
        for hook in sandbox.store.values("hooks"):
            hook["queues"] = [q for q in hook["queues"] if q != object_id]
    sandbox.store.remove(kind.name, object_id)
    return Response(status_code=204)


def _delete_queue_contents(sandbox: Sandbox, queue_id: int) -> None:
    for ann in sandbox.store.values("annotations"):
        if ann["queue"] == queue_id:
            sandbox.store.remove("annotations", ann["id"])
            sandbox.store.contents.pop(ann["id"], None)
            if sandbox.store.find("documents", ann["document"]):
                sandbox.store.remove("documents", ann["document"])
                sandbox.store.files.pop(ann["document"], None)


async def document_content(request: Request) -> Response:
    """Return the document's file bytes."""
    sandbox = sandbox_of(request)
    record: Record = sandbox.store.get("documents", request.path_params["object_id"])
    data = sandbox.store.files.get(record["id"], b"")
    disposition = f'inline; filename="{record["original_file_name"]}"'
    return Response(
        data, media_type=record["mime_type"], headers={"Content-Disposition": disposition}
    )


def _routes() -> list[Route]:
    routes = []
    for name, kind in KINDS.items():
        one = f"/{name}/{{object_id:int}}"
        routes.append(Route(f"/{name}", list_objects, methods=["GET"]))
        routes.append(Route(one, retrieve_object, methods=["GET"]))
        if kind.creatable:
            routes.append(Route(f"/{name}", create_object, methods=["POST"]))
            routes.append(Route(one, delete_object, methods=["DELETE"]))
        if kind.types:
            routes.append(
                Route(one, update_object, methods=["PATCH", "PUT"] if kind.creatable else ["PATCH"])
            )
    routes.append(Route("/documents/{object_id:int}/content", document_content, methods=["GET"]))
    return routes


routes = _routes()
