"""Organizations, users, workspaces, queues, schemas, documents and automation blockers."""

from __future__ import annotations

import httpx
import pytest

from sandbox.invoice_schema import invoice_schema
from tests.sandbox.helpers import API, import_invoice


async def test_seeded_objects_are_linked(api: httpx.AsyncClient) -> None:
    """Organisation 1, user 1, workspace 11, schema 201 and queue 101 point at each other."""
    org = (await api.get("/api/v1/organizations/1")).json()
    assert org["workspaces"] == [f"{API}/workspaces/11"]
    user = (await api.get("/api/v1/users/1")).json()
    assert (user["username"], user["organization"]) == ("demo@example.com", org["url"])
    assert "password" not in user
    queue = (await api.get("/api/v1/queues/101")).json()
    assert (queue["name"], queue["schema"], queue["workspace"]) == (
        "Invoices",
        f"{API}/schemas/201",
        f"{API}/workspaces/11",
    )
    schema = (await api.get("/api/v1/schemas/201")).json()
    assert schema["content"] == invoice_schema() and schema["queues"] == [queue["url"]]


async def test_lists_filter_by_id_and_name(api: httpx.AsyncClient) -> None:
    """Resource lists page by number and filter by `id` and `name`."""
    body = (await api.get("/api/v1/queues?name=Invoices")).json()
    assert [q["id"] for q in body["results"]] == [101]
    assert body["pagination"]["total"] == 1
    assert (await api.get("/api/v1/users?id=2")).json()["results"][0]["username"] == (
        "viewer@example.com"
    )
    assert (await api.get("/api/v1/queues?name=Nope")).json()["results"] == []


async def test_create_update_and_delete_a_queue_with_its_schema(api: httpx.AsyncClient) -> None:
    """Schema and queue creation (201), PATCH/PUT, and deletion rules (409, then 204)."""
    content = invoice_schema()[:1]
    schema = await api.post("/api/v1/schemas", json={"name": "Small", "content": content})
    assert schema.status_code == 201
    queue = await api.post(
        "/api/v1/queues", json={"name": "Small queue", "schema": schema.json()["url"]}
    )
    assert queue.status_code == 201 and queue.json()["automation_level"] == "never"
    patched = await api.patch(queue.json()["url"], json={"name": "Renamed", "locale": "cs_CZ"})
    assert (patched.json()["name"], patched.json()["locale"]) == ("Renamed", "cs_CZ")
    replaced = await api.put(
        queue.json()["url"], json={"name": "Put", "schema": schema.json()["url"]}
    )
    assert replaced.status_code == 200 and replaced.json()["name"] == "Put"
    assert (await api.delete(schema.json()["url"])).status_code == 409
    ann = await import_invoice(api)
    assert (await api.delete(queue.json()["url"])).status_code == 204
    assert (await api.delete(schema.json()["url"])).status_code == 204
    assert (await api.get(ann["url"])).status_code == 200  # other queue's annotation kept


async def test_deleting_a_queue_deletes_its_annotations(api: httpx.AsyncClient) -> None:
    """Annotations and documents of a deleted queue are gone."""
    ann = await import_invoice(api)
    assert (await api.delete("/api/v1/queues/101")).status_code == 204
    assert (await api.get(ann["url"])).status_code == 404
    assert (await api.get(ann["document"])).status_code == 404


@pytest.mark.parametrize(
    ("path", "body"),
    [
        pytest.param("/api/v1/queues", {"name": "Q"}, id="queue-without-schema"),
        pytest.param(
            "/api/v1/queues", {"name": "Q", "schema": f"{API}/schemas/9"}, id="unknown-schema"
        ),
        pytest.param("/api/v1/queues", {"name": "", "schema": f"{API}/schemas/201"}, id="no-name"),
        pytest.param("/api/v1/schemas", {"name": "S", "content": {}}, id="content-not-list"),
        pytest.param(
            "/api/v1/schemas",
            {"name": "S", "content": [{"category": "datapoint", "id": "x"}]},
            id="top-level-datapoint",
        ),
        pytest.param(
            "/api/v1/schemas",
            {
                "name": "S",
                "content": [
                    {
                        "category": "section",
                        "id": "s",
                        "children": [
                            {"category": "datapoint", "id": "a"},
                            {"category": "datapoint", "id": "a"},
                        ],
                    }
                ],
            },
            id="duplicate-schema-id",
        ),
        pytest.param("/api/v1/workspaces", {"name": "W"}, id="workspace-without-organization"),
    ],
)
async def test_invalid_objects_answer_400(api: httpx.AsyncClient, path: str, body: object) -> None:
    """Creating an invalid queue, schema or workspace answers 400 `bad_request`."""
    response = await api.post(path, json=body)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


async def test_users_can_be_patched_but_not_created(api: httpx.AsyncClient) -> None:
    """PATCH changes a user's names; there is no user creation."""
    response = await api.patch("/api/v1/users/1", json={"first_name": "Dana"})
    assert response.json()["first_name"] == "Dana"
    assert (await api.post("/api/v1/users", json={"username": "x"})).status_code == 405


async def test_viewer_can_read_but_not_write_resources(viewer: httpx.AsyncClient) -> None:
    """A read-only user reads queues but gets 403 on writes."""
    assert (await viewer.get("/api/v1/queues/101")).status_code == 200
    assert (await viewer.patch("/api/v1/queues/101", json={"name": "x"})).status_code == 403
