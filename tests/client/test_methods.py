"""Every single-request method: its HTTP verb, path, body and decoded result, in both clients."""

from __future__ import annotations

import inspect
import json
from typing import Any

import httpx
import pytest
import respx

from client import AsyncRossumAPIClient, SyncRossumAPIClient, models
from tests.client.conftest import BASE

OPS = [{"op": "replace", "id": 7, "value": {"content": {"value": "42"}}}]

# (method, args, HTTP method, path, JSON body sent, model of the result or None)
CASES: list[tuple[str, tuple[Any, ...], str, str, Any, type[Any] | None]] = [
    ("retrieve_annotation", (1,), "GET", "/annotations/1", None, models.Annotation),
    ("create_new_annotation", ({"a": 1},), "POST", "/annotations", {"a": 1}, models.Annotation),
    ("update_annotation", (1, {"s": 1}), "PUT", "/annotations/1", {"s": 1}, models.Annotation),
    (
        "update_part_annotation",
        (1, {"s": 1}),
        "PATCH",
        "/annotations/1",
        {"s": 1},
        models.Annotation,
    ),
    ("start_annotation", (1,), "POST", "/annotations/1/start", None, None),
    ("confirm_annotation", (1,), "POST", "/annotations/1/confirm", None, None),
    ("cancel_annotation", (1,), "POST", "/annotations/1/cancel", None, None),
    ("postpone_annotation", (1,), "POST", "/annotations/1/postpone", None, None),
    ("delete_annotation", (1,), "POST", "/annotations/1/delete", None, None),
    ("reject_annotation", (1,), "POST", "/annotations/1/reject", None, None),
    (
        "reject_annotation",
        (1, "blurred"),
        "POST",
        "/annotations/1/reject",
        {"note_content": "blurred"},
        None,
    ),
    (
        "switch_annotation_queue",
        (1, 5),
        "PATCH",
        "/annotations/1",
        {"queue": f"{BASE}/queues/5"},
        models.Annotation,
    ),
    (
        "bulk_update_annotation_data",
        (1, OPS),
        "POST",
        "/annotations/1/content/operations",
        {"operations": OPS},
        dict,
    ),
    ("retrieve_annotation_content", (1,), "GET", "/annotations/1/content", None, dict),
    ("retrieve_document", (1,), "GET", "/documents/1", None, models.Document),
    (
        "retrieve_document_relation",
        (1,),
        "GET",
        "/document_relations/1",
        None,
        models.DocumentRelation,
    ),
    (
        "create_new_document_relation",
        ({"a": 1},),
        "POST",
        "/document_relations",
        {"a": 1},
        models.DocumentRelation,
    ),
    (
        "update_document_relation",
        (1, {"a": 1}),
        "PUT",
        "/document_relations/1",
        {"a": 1},
        models.DocumentRelation,
    ),
    (
        "update_part_document_relation",
        (1, {"a": 1}),
        "PATCH",
        "/document_relations/1",
        {"a": 1},
        models.DocumentRelation,
    ),
    ("delete_document_relation", (1,), "DELETE", "/document_relations/1", None, None),
    (
        "create_new_relation",
        ({"type": "edit"},),
        "POST",
        "/relations",
        {"type": "edit"},
        models.Relation,
    ),
    ("retrieve_upload", (1,), "GET", "/uploads/1", None, models.Upload),
    ("retrieve_queue", (1,), "GET", "/queues/1", None, models.Queue),
    ("create_new_queue", ({"n": 1},), "POST", "/queues", {"n": 1}, models.Queue),
    ("update_queue", (1, {"n": 1}), "PUT", "/queues/1", {"n": 1}, models.Queue),
    ("update_part_queue", (1, {"n": 1}), "PATCH", "/queues/1", {"n": 1}, models.Queue),
    ("delete_queue", (1,), "DELETE", "/queues/1", None, None),
    ("retrieve_organization", (1,), "GET", "/organizations/1", None, models.Organization),
    ("retrieve_schema", (1,), "GET", "/schemas/1", None, models.Schema),
    ("create_new_schema", ({"n": 1},), "POST", "/schemas", {"n": 1}, models.Schema),
    ("update_schema", (1, {"n": 1}), "PUT", "/schemas/1", {"n": 1}, models.Schema),
    ("update_part_schema", (1, {"n": 1}), "PATCH", "/schemas/1", {"n": 1}, models.Schema),
    ("delete_schema", (1,), "DELETE", "/schemas/1", None, None),
    ("retrieve_user", (1,), "GET", "/users/1", None, models.User),
    ("create_new_user", ({"n": 1},), "POST", "/users", {"n": 1}, models.User),
    ("update_user", (1, {"n": 1}), "PUT", "/users/1", {"n": 1}, models.User),
    ("update_part_user", (1, {"n": 1}), "PATCH", "/users/1", {"n": 1}, models.User),
    ("retrieve_workspace", (1,), "GET", "/workspaces/1", None, models.Workspace),
    ("create_new_workspace", ({"n": 1},), "POST", "/workspaces", {"n": 1}, models.Workspace),
    ("update_workspace", (1, {"n": 1}), "PUT", "/workspaces/1", {"n": 1}, models.Workspace),
    ("update_part_workspace", (1, {"n": 1}), "PATCH", "/workspaces/1", {"n": 1}, models.Workspace),
    ("delete_workspace", (1,), "DELETE", "/workspaces/1", None, None),
    ("create_new_inbox", ({"n": 1},), "POST", "/inboxes", {"n": 1}, models.Inbox),
    ("retrieve_email", (1,), "GET", "/emails/1", None, models.Email),
    ("retrieve_email_template", (1,), "GET", "/email_templates/1", None, models.EmailTemplate),
    (
        "create_new_email_template",
        ({"n": 1},),
        "POST",
        "/email_templates",
        {"n": 1},
        models.EmailTemplate,
    ),
    ("retrieve_connector", (1,), "GET", "/connectors/1", None, models.Connector),
    ("create_new_connector", ({"n": 1},), "POST", "/connectors", {"n": 1}, models.Connector),
    ("retrieve_hook", (1,), "GET", "/hooks/1", None, models.Hook),
    ("create_new_hook", ({"n": 1},), "POST", "/hooks", {"n": 1}, models.Hook),
    ("update_part_hook", (1, {"n": 1}), "PATCH", "/hooks/1", {"n": 1}, models.Hook),
    ("delete_hook", (1,), "DELETE", "/hooks/1", None, None),
    ("retrieve_rule", (1,), "GET", "/rules/1", None, models.Rule),
    ("create_new_rule", ({"n": 1},), "POST", "/rules", {"n": 1}, models.Rule),
    ("update_part_rule", (1, {"n": 1}), "PATCH", "/rules/1", {"n": 1}, models.Rule),
    ("delete_rule", (1,), "DELETE", "/rules/1", None, None),
    ("retrieve_task", (1,), "GET", "/tasks/1", None, models.Task),
    ("retrieve_label", (1,), "GET", "/labels/1", None, models.Label),
]
IDS = [f"{name}{len(args)}" for name, args, *_ in CASES]
ANSWER = {"id": 1, "url": f"{BASE}/x/1", "extra_field": True}


def _route(api: respx.MockRouter, verb: str, path: str, model: type[Any] | None) -> respx.Route:
    status = 204 if model is None else 200
    answer = httpx.Response(status) if model is None else httpx.Response(status, json=ANSWER)
    return api.route(method=verb, path=path).mock(return_value=answer)


def _check(route: respx.Route, body: Any, model: type[Any] | None, result: Any) -> None:
    request = route.calls.last.request
    assert request.headers["Authorization"] == "Bearer tok"
    assert (json.loads(request.content) if request.content else None) == body
    if model is None:
        assert result is None
    else:
        assert isinstance(result, model)
        if model is not dict:
            assert result.id == 1
            assert result.extra_field is True


@pytest.mark.parametrize(("name", "args", "verb", "path", "body", "model"), CASES, ids=IDS)
async def test_async_method_sends_and_decodes(
    api: respx.MockRouter,
    client: AsyncRossumAPIClient,
    name: str,
    args: tuple[Any, ...],
    verb: str,
    path: str,
    body: Any,
    model: type[Any] | None,
) -> None:
    """The async method sends its documented request and returns the decoded object."""
    route = _route(api, verb, path, model)
    result = await getattr(client, name)(*args)
    _check(route, body, model, result)


@pytest.mark.parametrize(("name", "args", "verb", "path", "body", "model"), CASES, ids=IDS)
def test_sync_method_sends_and_decodes(
    api: respx.MockRouter,
    sync_client: SyncRossumAPIClient,
    name: str,
    args: tuple[Any, ...],
    verb: str,
    path: str,
    body: Any,
    model: type[Any] | None,
) -> None:
    """The sync method of the same name sends the same request and returns the same object."""
    route = _route(api, verb, path, model)
    result = getattr(sync_client, name)(*args)
    _check(route, body, model, result)


def test_both_clients_expose_the_same_methods_and_signatures() -> None:
    """Sync and async clients have the same public methods with the same parameters."""

    def public(cls: type) -> dict[str, list[str]]:
        return {
            name: list(inspect.signature(member).parameters)
            for name, member in inspect.getmembers(cls, callable)
            if not name.startswith("_") and name not in ("aclose", "close")
        }

    assert public(AsyncRossumAPIClient) == public(SyncRossumAPIClient)
    assert len(public(AsyncRossumAPIClient)) >= 98
