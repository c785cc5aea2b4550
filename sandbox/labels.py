"""The Labels API, as seed `000_bc02970507d672fd` (Rossum's Label reference) describes it.

Object `{id, url, name, organization, color}`; `GET /labels` with an opaque signed cursor,
`page_size`, filters `id` (comma list) and `name` (exact), ordering `id`/`name` (`-` for
descending); `POST /labels` 201; `GET/PATCH/PUT/DELETE /labels/{id}` (DELETE 204, also removes
the label from annotations); `POST /labels/apply` 204.

Decisions where Rossum's behaviour is unconfirmed (documented in the README):
- a second label with the same name in the organisation is refused with 409 `conflict_status`;
- `name` is 1-255 characters after trimming; `color` is `#RRGGBB` or null;
- in `POST /labels/apply`, an unknown label or annotation URL is a 400 (it is body input, not
  the resource addressed by the path), and so is a label listed in both `add` and `remove`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox import serialize
from sandbox.errors import ApiError, bad_request, not_found
from sandbox.http import caller, id_filter, read_object, sandbox_of, urls_of
from sandbox.listing import refuse_unknown
from sandbox.pagination import paginate_cursor
from sandbox.state import Sandbox
from sandbox.store import Record, now_iso

NAME_MAX_LENGTH = 255
COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
ORDERINGS = frozenset({"id", "-id", "name", "-name"})


def _organization_of(sandbox: Sandbox, request: Request) -> int:
    user = sandbox.store.get("users", caller(request).user_id)
    return int(user["organization"])


def _sort_key(ordering: str) -> Any:
    field = ordering.lstrip("-")
    if field == "id":
        return lambda r: [r["id"]]
    return lambda r: [r[field], r["id"]]


async def list_labels(request: Request) -> Response:
    """List the organisation's labels, one cursor page at a time."""
    sandbox, urls = sandbox_of(request), urls_of(request)
    refuse_unknown(request, "labels", {"id", "name", "ordering", "cursor"})
    ordering = request.query_params.get("ordering") or "id"
    if ordering not in ORDERINGS:
        raise bad_request(f"ordering: expected one of {sorted(ORDERINGS)}, got {ordering!r}.")
    ids = id_filter(request, "id")
    name = request.query_params.get("name")
    org = _organization_of(sandbox, request)
    items = [
        r
        for r in sandbox.store.values("labels")
        if r["organization"] == org
        and (ids is None or r["id"] in ids)
        and (name is None or r["name"] == name)
    ]
    key = _sort_key(ordering)
    items.sort(key=key, reverse=ordering.startswith("-"))
    page = paginate_cursor(request, items, urls, codec=sandbox.cursors, ordering=ordering, key=key)
    page["results"] = [serialize.label(sandbox.store, r, urls) for r in page["results"]]
    return JSONResponse(page)


def _validated(
    sandbox: Sandbox, body: Mapping[str, Any], *, org: int, partial: bool, label_id: int | None
) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if "name" in body or not partial:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise bad_request("name: this field is required and must be a non-empty string.")
        if len(name.strip()) > NAME_MAX_LENGTH:
            raise bad_request(
                f"name: ensure this field has no more than {NAME_MAX_LENGTH} characters."
            )
        changes["name"] = name.strip()
    if "color" in body:
        color = body["color"]
        if color is not None and (not isinstance(color, str) or not COLOR.match(color)):
            raise bad_request(f"color: expected '#RRGGBB' or null, got {color!r}.")
        changes["color"] = color
    if "organization" in body:
        target = sandbox.store.ref("organizations", body["organization"], field="organization")
        if target != org:
            raise bad_request("organization: you can only use labels of your own organization.")
    if "name" in changes:
        for other in sandbox.store.values("labels"):
            if (
                other["organization"] == org
                and other["name"] == changes["name"]
                and other["id"] != label_id
            ):
                raise ApiError(
                    409, f"A label named {changes['name']!r} already exists (id {other['id']})."
                )
    return changes


def _own_label(sandbox: Sandbox, request: Request) -> Record:
    record = sandbox.store.get("labels", request.path_params["label_id"])
    if record["organization"] != _organization_of(sandbox, request):
        raise not_found()
    return record


async def create_label(request: Request) -> Response:
    """Create a label; 201 with the new object."""
    sandbox, urls = sandbox_of(request), urls_of(request)
    body = await read_object(request)
    org = _organization_of(sandbox, request)
    changes = _validated(sandbox, body, org=org, partial=False, label_id=None)
    record = sandbox.store.add(
        "labels", {"name": changes["name"], "color": changes.get("color"), "organization": org}
    )
    return JSONResponse(serialize.label(sandbox.store, record, urls), status_code=201)


async def retrieve_label(request: Request) -> Response:
    """Return one label."""
    sandbox = sandbox_of(request)
    record = _own_label(sandbox, request)
    return JSONResponse(serialize.label(sandbox.store, record, urls_of(request)))


async def update_label(request: Request) -> Response:
    """Change a label: PUT needs `name`, PATCH changes only what it sends."""
    sandbox = sandbox_of(request)
    record = _own_label(sandbox, request)
    body = await read_object(request, allow_empty=request.method == "PATCH")
    partial = request.method == "PATCH"
    changes = _validated(
        sandbox, body, org=record["organization"], partial=partial, label_id=record["id"]
    )
    if not partial:
        changes.setdefault("color", None)
    record.update(changes)
    return JSONResponse(serialize.label(sandbox.store, record, urls_of(request)))


async def delete_label(request: Request) -> Response:
    """Delete a label and take it off every annotation; 204."""
    sandbox = sandbox_of(request)
    record = _own_label(sandbox, request)
    sandbox.store.remove("labels", record["id"])
    for ann in sandbox.store.values("annotations"):
        if record["id"] in ann["labels"]:
            ann["labels"].remove(record["id"])
    return Response(status_code=204)


def _url_list(
    sandbox: Sandbox, container: Mapping[str, Any], key: str, kind: str, where: str
) -> list[int]:
    values = container.get(key, [])
    if not isinstance(values, list):
        raise bad_request(f"{where}.{key}: expected a list of URLs.")
    return [
        sandbox.store.ref(kind, value, field=f"{where}.{key}[{index}]")
        for index, value in enumerate(values)
    ]


async def apply_labels(request: Request) -> Response:
    """Add and remove labels on annotations; 204."""
    sandbox = sandbox_of(request)
    body = await read_object(request)
    operations, objects = body.get("operations"), body.get("objects")
    for name, value in (("operations", operations), ("objects", objects)):
        if not isinstance(value, dict):
            raise bad_request(f"{name}: this field is required and must be an object.")
    assert isinstance(operations, dict) and isinstance(objects, dict)
    unknown = set(operations) - {"add", "remove"}
    if unknown:
        raise bad_request(f"operations: unknown keys {sorted(unknown)}; expected add and remove.")
    add = _url_list(sandbox, operations, "add", "labels", "operations")
    remove = _url_list(sandbox, operations, "remove", "labels", "operations")
    if set(add) & set(remove):
        raise bad_request("operations: a label cannot be both added and removed.")
    annotation_ids = _url_list(sandbox, objects, "annotations", "annotations", "objects")
    org = _organization_of(sandbox, request)
    for label_id in add + remove:
        if sandbox.store.get("labels", label_id)["organization"] != org:
            raise bad_request(f"operations: label {label_id} belongs to another organization.")
    hook_id = caller(request).hook_id
    for ann_id in annotation_ids:
        ann = sandbox.store.get("annotations", ann_id)
        for op, label_ids in (("remove", remove), ("add", add)):
            for label_id in dict.fromkeys(label_ids):
                changed = (label_id in ann["labels"]) == (op == "remove")
                if changed and op == "add":
                    ann["labels"].append(label_id)
                elif changed:
                    ann["labels"].remove(label_id)
                event = {"annotation": ann_id, "label": label_id, "op": op, "changed": changed}
                sandbox.store.label_events.append(event | {"hook": hook_id, "at": now_iso()})
    return Response(status_code=204)


routes = [
    Route("/labels", list_labels, methods=["GET"]),
    Route("/labels", create_label, methods=["POST"]),
    Route("/labels/apply", apply_labels, methods=["POST"]),
    Route("/labels/{label_id:int}", retrieve_label, methods=["GET"]),
    Route("/labels/{label_id:int}", update_label, methods=["PUT", "PATCH"]),
    Route("/labels/{label_id:int}", delete_label, methods=["DELETE"]),
]
