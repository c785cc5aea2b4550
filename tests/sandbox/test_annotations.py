"""Importing, listing, updating annotations, and the workflow verbs' status checks."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox.state import Sandbox
from tests.sandbox.helpers import API, client_for, import_invoice, invoice, login


async def test_import_builds_a_reviewable_annotation(api: httpx.AsyncClient) -> None:
    """`?wait=true` answers the annotation in `to_review`, with document and content URLs."""
    ann = await import_invoice(api)
    assert ann["status"] == "to_review"
    assert ann["queue"] == f"{API}/queues/101"
    assert ann["schema"] == f"{API}/schemas/201"
    assert ann["content"] == f"{ann['url']}/content"
    assert (ann["labels"], ann["messages"], ann["automation_blocker"]) == ([], None, None)
    document = (await api.get(ann["document"])).json()
    assert document["original_file_name"] == "inv.pdf"
    assert document["annotations"] == [ann["url"]]
    file = await api.get(document["content"])
    assert file.headers["content-type"] == "application/pdf"
    assert file.content.startswith(b"%PDF-1.4") and b"amount_total: 300.00" in file.content


async def test_import_without_wait_answers_while_importing(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """Without `wait` the answer comes at once, in `importing`; the flow finishes later."""
    ann = await import_invoice(api, wait=False)
    assert ann["status"] == "importing"
    await sandbox.idle()
    assert (await api.get(ann["url"])).json()["status"] == "to_review"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"queue": 999}, id="unknown-queue"),
        pytest.param({"queue": "http://x/api/v1/schemas/201"}, id="queue-url-of-a-schema"),
        pytest.param({"fields": {"no_such_field": "1"}}, id="unknown-field"),
        pytest.param({"fields": {"amount_total": [1]}}, id="field-not-scalar"),
        pytest.param({"line_items": [{"no_such_cell": "1"}]}, id="unknown-cell"),
        pytest.param({"line_items": "rows"}, id="rows-not-a-list"),
        pytest.param({"tables": {"amount_total": []}}, id="table-not-multivalue"),
        pytest.param({"metadata": {"x": "y" * 5000}}, id="metadata-too-big"),
        pytest.param({"file_name": ""}, id="empty-file-name"),
    ],
)
async def test_invalid_imports_answer_400(api: httpx.AsyncClient, change: dict[str, Any]) -> None:
    """The import endpoint names what is wrong instead of failing later."""
    response = await api.post("/api/v1/sandbox/import", json={**invoice(), **change})
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


async def test_list_filters_by_status_queue_labels_and_id(api: httpx.AsyncClient) -> None:
    """`status`, `queue`, `labels` and `id` filters take comma lists."""
    first, second, third = [await import_invoice(api) for _ in range(3)]
    await api.post(f"/api/v1/annotations/{second['id']}/postpone")
    label = (await api.post("/api/v1/labels", json={"name": "l"})).json()
    apply = {"operations": {"add": [label["url"]]}, "objects": {"annotations": [third["url"]]}}
    await api.post("/api/v1/labels/apply", json=apply)

    async def ids(query: str) -> list[int]:
        response = await api.get(f"/api/v1/annotations?{query}")
        assert response.status_code == 200, response.text
        return [r["id"] for r in response.json()["results"]]

    assert await ids("status=postponed") == [second["id"]]
    assert await ids("status=to_review,postponed") == [first["id"], second["id"], third["id"]]
    assert await ids(f"labels={label['id']}") == [third["id"]]
    assert await ids(f"id={first['id']},{third['id']}") == [first["id"], third["id"]]
    assert await ids("queue=101&ordering=-id") == [third["id"], second["id"], first["id"]]
    assert await ids("queue=102") == []
    assert (await api.get("/api/v1/annotations?status=lost")).status_code == 400


async def test_patch_changes_status_metadata_and_queue(api: httpx.AsyncClient) -> None:
    """PATCH sets status (remembering the previous one), metadata and queue."""
    queue = (
        await api.post("/api/v1/queues", json={"name": "Q2", "schema": f"{API}/schemas/201"})
    ).json()
    ann = await import_invoice(api)
    body = {"status": "postponed", "metadata": {"erp": "42"}, "queue": queue["url"]}
    response = await api.patch(ann["url"], json=body)
    assert response.status_code == 200
    data = response.json()
    assert (data["status"], data["metadata"], data["queue"]) == (
        "postponed",
        {"erp": "42"},
        queue["url"],
    )
    assert data["modifier"] == f"{API}/users/1"


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"status": "done"}, id="unknown-status"),
        pytest.param({"labels": []}, id="labels-are-read-only"),
        pytest.param({"metadata": []}, id="metadata-not-object"),
        pytest.param({"metadata": {"k": "v" * 5000}}, id="metadata-over-4kb"),
        pytest.param({"queue": f"{API}/queues/9"}, id="unknown-queue"),
    ],
)
async def test_invalid_patches_answer_400(api: httpx.AsyncClient, body: dict[str, Any]) -> None:
    """A bad PATCH answers 400 and changes nothing."""
    ann = await import_invoice(api)
    response = await api.patch(ann["url"], json=body)
    assert response.status_code == 400
    assert (await api.get(ann["url"])).json() == ann


async def test_unknown_annotation_answers_404(api: httpx.AsyncClient) -> None:
    """Retrieve, update and verbs on a missing annotation answer 404."""
    for method, path in (("GET", ""), ("PATCH", ""), ("POST", "/start"), ("GET", "/content")):
        response = await api.request(method, f"/api/v1/annotations/1{path}", json={})
        assert response.status_code == 404, (method, path)


async def _status(api: httpx.AsyncClient, ann: dict[str, Any]) -> str:
    status: str = (await api.get(ann["url"])).json()["status"]
    return status


async def test_start_moves_to_reviewing_and_cancel_goes_back(api: httpx.AsyncClient) -> None:
    """start -> `reviewing` (answering the session); cancel -> the status before start."""
    ann = await import_invoice(api)
    await api.post(f"/api/v1/annotations/{ann['id']}/postpone")
    response = await api.post(f"/api/v1/annotations/{ann['id']}/start")
    assert response.json() == {"annotation": ann["url"], "session_timeout": "01:00:00"}
    assert await _status(api, ann) == "reviewing"
    assert (await api.post(f"/api/v1/annotations/{ann['id']}/start")).status_code == 200
    assert (await api.post(f"/api/v1/annotations/{ann['id']}/cancel")).status_code == 204
    assert await _status(api, ann) == "postponed"


async def test_confirm_without_confirmed_state_exports(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """confirm -> `exporting` -> `exported` when the queue has no confirmed state."""
    ann = await import_invoice(api)
    assert (await api.post(f"/api/v1/annotations/{ann['id']}/confirm")).status_code == 204
    await sandbox.idle()
    data = (await api.get(ann["url"])).json()
    assert data["status"] == "exported"
    assert data["confirmed_by"] == f"{API}/users/1" and data["exported_at"] is not None


async def test_confirm_with_confirmed_state_stops_at_confirmed(api: httpx.AsyncClient) -> None:
    """A queue with `use_confirmed_state` keeps confirmed annotations in `confirmed`."""
    await api.patch("/api/v1/queues/101", json={"use_confirmed_state": True})
    ann = await import_invoice(api)
    await api.post(f"/api/v1/annotations/{ann['id']}/confirm")
    data = (await api.get(ann["url"])).json()
    assert (data["status"], data["confirmed_by"]) == ("confirmed", f"{API}/users/1")


@pytest.mark.parametrize(
    ("setup", "verb"),
    [
        pytest.param(["confirm"], "confirm", id="confirm-exported"),
        pytest.param([], "cancel", id="cancel-not-reviewing"),
        pytest.param(["reject"], "reject", id="reject-rejected"),
        pytest.param(["reject"], "start", id="start-rejected"),
        pytest.param(["postpone"], "postpone", id="postpone-postponed"),
        pytest.param(["delete"], "delete", id="delete-deleted"),
    ],
)
async def test_verbs_in_the_wrong_status_answer_409(
    api: httpx.AsyncClient, sandbox: Sandbox, setup: list[str], verb: str
) -> None:
    """A verb not allowed in the current status answers 409 `conflict_status`, no change."""
    ann = await import_invoice(api)
    for step in setup:
        assert (await api.post(f"/api/v1/annotations/{ann['id']}/{step}")).is_success
    await sandbox.idle()
    before = await _status(api, ann)
    response = await api.post(f"/api/v1/annotations/{ann['id']}/{verb}")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict_status"
    assert await _status(api, ann) == before


async def test_start_accepts_extra_statuses(api: httpx.AsyncClient) -> None:
    """`{"statuses": [...]}` widens the statuses start accepts."""
    ann = await import_invoice(api)
    await api.post(f"/api/v1/annotations/{ann['id']}/reject")
    response = await api.post(
        f"/api/v1/annotations/{ann['id']}/start", json={"statuses": ["rejected"]}
    )
    assert response.status_code == 200
    assert await _status(api, ann) == "reviewing"


async def test_another_users_review_blocks_changes(
    app: Any, api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """While one user reviews, another user's confirm or data change answers 409."""
    sandbox.store.add(
        "users",
        {"username": "b", "email": "b", "password": "pw", "role": "admin", "organization": 1},
    )
    ann = await import_invoice(api)
    await api.post(f"/api/v1/annotations/{ann['id']}/start")
    async with client_for(app) as other:
        other.headers["Authorization"] = f"Bearer {await login(other, 'b', 'pw')}"
        assert (await other.post(f"/api/v1/annotations/{ann['id']}/confirm")).status_code == 409
        content = (await other.get(ann["content"])).json()["content"]
        op = {
            "op": "replace",
            "id": content[0]["children"][0]["id"],
            "value": {"content": {"value": "x"}},
        }
        response = await other.post(f"{ann['content']}/operations", json={"operations": [op]})
        assert response.status_code == 409
