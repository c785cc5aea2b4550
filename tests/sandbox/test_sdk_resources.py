"""Edges of what the SDK is served, in-process: refusals, cursors, uploads, notes, export."""

from __future__ import annotations

import httpx
import pytest

from sandbox.state import Sandbox
from tests.sandbox.helpers import API, import_invoice


async def _annotation_ids(api: httpx.AsyncClient, **params: str) -> list[int]:
    response = await api.get("/api/v1/annotations", params=params)
    assert response.status_code == 200, response.text
    return [a["id"] for a in response.json()["results"]]


async def test_ordering_is_multi_key_with_nulls_last_ascending(api: httpx.AsyncClient) -> None:
    """`confirmed_at` is null on all but one: nulls last going up, first going down."""
    first, second, third = [await import_invoice(api) for _ in range(3)]
    await api.post(f"/api/v1/annotations/{second['id']}/confirm")
    up = await _annotation_ids(api, ordering="confirmed_at,-id")
    down = await _annotation_ids(api, ordering="-confirmed_at,id")
    ids = [first["id"], second["id"], third["id"]]
    assert [i for i in up if i in ids] == [second["id"], third["id"], first["id"]]
    assert [i for i in down if i in ids] == [first["id"], third["id"], second["id"]]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        pytest.param("/annotations", {"assignees": "1"}, id="rossum-filter-not-served"),
        pytest.param("/annotations", {"ordering": "status,bogus"}, id="second-ordering-key"),
        pytest.param("/annotations", {"sideload": "workflow_runs"}, id="sideload"),
        pytest.param("/annotations", {"content.schema_id": "amount_total"}, id="no-content"),
        pytest.param("/documents", {"fields": "id,url"}, id="fields-on-documents"),
        pytest.param("/annotations", {"fields": "id,colour"}, id="unknown-field"),
        pytest.param("/annotations", {"status": "done"}, id="unknown-status"),
        pytest.param("/annotations", {"modified_at_after": "yesterday"}, id="bad-timestamp"),
        pytest.param("/documents", {"sideload": "annotations"}, id="documents-sideload"),
        pytest.param("/notes", {"ordering": "content"}, id="notes-ordering"),
        pytest.param("/schemas", {"ordering": "name"}, id="schemas-ordering"),
        pytest.param("/labels", {"color": "#FF0000"}, id="labels-filter"),
        pytest.param("/hooks/logs", {"search": "timeout"}, id="hook-logs-filter"),
        pytest.param("/hooks/logs", {"ordering": "timestamp"}, id="hook-logs-ordering"),
        pytest.param("/inboxes", {"queue": "101"}, id="inboxes-filter"),
        pytest.param("/organization_groups", {"name": "x"}, id="groups-filter"),
    ],
)
async def test_what_is_not_implemented_is_a_400(
    api: httpx.AsyncClient, path: str, params: dict[str, str]
) -> None:
    """Every refusal is Rossum's `{"detail", "code"}` 400 naming the parameter."""
    response = await api.get(f"/api/v1{path}", params=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "bad_request"
    assert body["detail"].startswith(next(iter(params)))


async def test_search_cursor_is_bound_to_body_and_ordering(api: httpx.AsyncClient) -> None:
    """`next` carries a signed `search_after`; reusing it with another body is a 400."""
    for _ in range(3):
        await import_invoice(api)
    body = {"query": {"$and": [{"status": {"$eq": "to_review"}}]}}
    first = await api.post("/api/v1/annotations/search?page_size=2", json=body)
    cursor_url = first.json()["pagination"]["next"]
    assert "search_after=" in cursor_url
    second = await api.post(cursor_url, json=body)
    changed = await api.post(cursor_url, json={"query_string": {"string": "inv"}})
    tampered = await api.post(cursor_url.replace("search_after=", "search_after=x"), json=body)
    seen = [a["id"] for a in first.json()["results"] + second.json()["results"]]
    assert len(seen) == len(set(seen)) == min(4, first.json()["pagination"]["total"])
    assert (changed.status_code, tampered.status_code) == (400, 400)


async def test_search_refuses_unknown_fields_and_needs_a_query(api: httpx.AsyncClient) -> None:
    """Unknown meta fields, malformed field keys and an empty body are 400s."""
    bodies = [
        {},
        {"query": {"$and": [{"rir_poll_id": {"$eq": "x"}}]}},
        {"query": {"$and": [{"field.amount_total.money": {"$eq": 1}}]}},
        {"query": {"$or": []}},
        {"query": {"$and": [{"field.amount_total.number": {"$gt": "big"}}]}},
    ]
    for body in bodies:
        response = await api.post("/api/v1/annotations/search", json=body)
        assert response.status_code == 400, (body, response.text)


async def test_raw_body_upload_and_task_redirect(api: httpx.AsyncClient, sandbox: Sandbox) -> None:
    """A raw-body upload named by the path; the task redirects to the upload when done."""
    response = await api.post(
        "/api/v1/uploads/scan%20one.pdf?queue=101",
        content=b"%PDF-1.4 raw",
        headers={"Content-Type": "application/pdf"},
    )
    assert response.status_code == 202
    await sandbox.idle()
    task = await api.get(response.json()["url"])
    assert task.status_code == 303
    upload = (await api.get(task.headers["location"])).json()
    document = (await api.get(upload["documents"][0])).json()
    content = await api.get(document["content"])
    assert (document["original_file_name"], content.content) == ("scan one.pdf", b"%PDF-1.4 raw")
    assert (await api.get(upload["annotations"][0])).json()["status"] == "to_review"


@pytest.mark.parametrize(
    ("url", "kwargs"),
    [
        pytest.param("/api/v1/uploads", {"files": {"content": ("a.pdf", b"x")}}, id="no-queue"),
        pytest.param("/api/v1/uploads?queue=999", {"files": {"content": ("a", b"x")}}, id="queue"),
        pytest.param("/api/v1/uploads?queue=101", {"content": b"x"}, id="no-file-name"),
        pytest.param(
            "/api/v1/uploads?queue=101",
            {"files": {"content": ("a.pdf", b"x")}, "data": {"metadata": "{nope"}},
            id="bad-metadata",
        ),
    ],
)
async def test_bad_uploads_are_400(api: httpx.AsyncClient, url: str, kwargs: dict) -> None:  # type: ignore[type-arg]
    """A missing or unknown queue, a nameless body or invalid JSON fields: 400, no task."""
    response = await api.post(url, **kwargs)
    assert response.status_code == 400, response.text
    assert set(response.json()) == {"detail", "code"}


async def test_notes_crud_and_validation(api: httpx.AsyncClient) -> None:
    """Create, filter, patch and delete notes; wrong type or oversized content is a 400."""
    ann = await import_invoice(api)
    body = {"type": "rejection", "content": "Unreadable", "annotation": ann["url"]}
    created = (await api.post("/api/v1/notes", json=body)).json()
    patched = await api.patch(created["url"], json={"content": "Readable now"})
    listed = (await api.get("/api/v1/notes", params={"annotation": ann["id"]})).json()
    bad_type = await api.post("/api/v1/notes", json=body | {"type": "praise"})
    too_long = await api.post("/api/v1/notes", json=body | {"content": "x" * 4097})
    assert patched.json()["modified_by"] == f"{API}/users/1"
    assert [n["content"] for n in listed["results"]] == ["Readable now"]
    assert (bad_type.status_code, too_long.status_code) == (400, 400)
    assert (await api.delete(created["url"])).status_code == 204


async def test_export_to_status_only_on_post(api: httpx.AsyncClient, sandbox: Sandbox) -> None:
    """`to_status=exported` on POST moves what it exports; on GET it is a 400."""
    ann = await import_invoice(api)
    params = {"format": "json", "to_status": "exported", "id": str(ann["id"])}
    refused = await api.get("/api/v1/queues/101/export", params=params)
    moved = await api.post("/api/v1/queues/101/export", params=params)
    assert refused.status_code == 400
    assert [r["status"] for r in moved.json()["results"]] == ["exported"]
    assert (await api.get(ann["url"])).json()["status"] == "exported"
    xlsx = await api.get("/api/v1/queues/101/export", params={"format": "xlsx"})
    assert xlsx.status_code == 400


async def test_annotation_filters_full_text_workspace_and_time(api: httpx.AsyncClient) -> None:
    """`search` matches word prefixes of values; `queue__workspace` and `*_after` narrow too."""
    acme = await import_invoice(api, sender_name="Acme Rockets Inc.")
    other = await import_invoice(api, sender_name="Globex")
    ids = [acme["id"], other["id"]]
    by_text = await _annotation_ids(api, search="rock acm")
    by_workspace = await _annotation_ids(api, queue__workspace="11", ordering="-id")
    future = await _annotation_ids(api, modified_at_after="2999-01-01")
    assert [i for i in by_text if i in ids] == [acme["id"]]
    assert [i for i in by_workspace if i in ids] == [other["id"], acme["id"]]
    assert future == []


async def test_annotation_fields_include_and_exclude(api: httpx.AsyncClient) -> None:
    """`fields` keeps only the named attributes; `fields!` drops them."""
    await import_invoice(api)
    kept = (await api.get("/api/v1/annotations", params={"fields": "id,url"})).json()
    dropped = (await api.get("/api/v1/annotations", params={"fields!": "content,labels"})).json()
    assert {tuple(sorted(a)) for a in kept["results"]} == {("id", "url")}
    assert all(
        "content" not in a and "labels" not in a and "status" in a for a in dropped["results"]
    )
