"""Annotation data: `GET /annotations/{id}/content`, `POST .../content/operations`,
`GET`/`PATCH .../content/{datapoint_id}`.

A change made with a user's token fires `annotation_content.updated` (interactive, awaited)
with the changed ids in `updated_datapoints`, and the answer shows the data after the hooks'
operations, as the validation screen would. Changes made with a hook's token fire nothing.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox import operations
from sandbox.content_tree import Schema, locate, served
from sandbox.errors import bad_request, not_found
from sandbox.http import caller, read_object, sandbox_of, urls_of
from sandbox.state import Sandbox
from sandbox.store import Record
from sandbox.urls import Urls
from sandbox.workflow import require_editable


def _annotation(request: Request) -> Record:
    return sandbox_of(request).store.get("annotations", request.path_params["annotation_id"])


def served_content(sandbox: Sandbox, ann: Record, urls: Urls) -> list[dict[str, Any]]:
    """Return the annotation's content tree as the API serves it (with URLs)."""
    tree = sandbox.store.contents.get(ann["id"], [])
    return served(tree, annotation_url=urls.of("annotations", ann["id"]))


async def get_content(request: Request) -> Response:
    """Return the annotation's content tree."""
    sandbox, urls = sandbox_of(request), urls_of(request)
    return JSONResponse({"content": served_content(sandbox, _annotation(request), urls)})


async def _change(request: Request, ann: Record, ops: Any) -> list[int]:
    """Apply operations all-or-nothing (400 if any is invalid); fire `updated` for users."""
    sandbox, who = sandbox_of(request), caller(request)
    require_editable(ann, who)
    schema = Schema(sandbox.store.get("schemas", ann["schema"])["content"])
    try:
        result = operations.apply(
            sandbox.store.contents.get(ann["id"], []),
            ops,
            schema=schema,
            ids=lambda: sandbox.store.new_id("datapoints"),
        )
    except operations.OperationRefused as exc:
        raise bad_request(str(exc)) from None
    sandbox.store.contents[ann["id"]] = result.tree
    changed = result.changed
    if changed and not who.is_hook:
        await sandbox.workflow.content_changed(ann, changed, urls=urls_of(request))
    return changed


async def post_operations(request: Request) -> Response:
    """Apply `{"operations": [...]}` and return the resulting content tree."""
    ann = _annotation(request)
    body = await read_object(request)
    if "operations" not in body:
        raise bad_request("operations: this field is required.")
    await _change(request, ann, body["operations"])
    return JSONResponse({"content": served_content(sandbox_of(request), ann, urls_of(request))})


def _datapoint(sandbox: Sandbox, ann: Record, node_id: int) -> Record:
    found = locate(sandbox.store.contents.get(ann["id"], []), node_id)
    if found is None:
        raise not_found()
    return found[0]


def _served(node: Record, ann_id: int, urls: Urls) -> dict[str, Any]:
    return served([node], annotation_url=urls.of("annotations", ann_id))[0]


async def get_datapoint(request: Request) -> Response:
    """Return one node of the content tree."""
    sandbox, ann = sandbox_of(request), _annotation(request)
    node = _datapoint(sandbox, ann, request.path_params["datapoint_id"])
    return JSONResponse(_served(node, ann["id"], urls_of(request)))


async def patch_datapoint(request: Request) -> Response:
    """Update one datapoint (`content`, `validation_sources`, `hidden`, `options`)."""
    sandbox, ann = sandbox_of(request), _annotation(request)
    node_id = request.path_params["datapoint_id"]
    _datapoint(sandbox, ann, node_id)
    body = await read_object(request)
    await _change(request, ann, [{"op": "replace", "id": node_id, "value": body}])
    node = _datapoint(sandbox, ann, node_id)
    return JSONResponse(_served(node, ann["id"], urls_of(request)))


_ANN = "/annotations/{annotation_id:int}/content"
routes = [
    Route(_ANN, get_content, methods=["GET"]),
    Route(f"{_ANN}/operations", post_operations, methods=["POST"]),
    Route(_ANN + "/{datapoint_id:int}", get_datapoint, methods=["GET"]),
    Route(_ANN + "/{datapoint_id:int}", patch_datapoint, methods=["PATCH"]),
]
