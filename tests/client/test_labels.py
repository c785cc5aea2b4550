"""The Labels API: list, create, retrieve, update, partial update, delete, apply."""

from __future__ import annotations

import json

import httpx
import respx

from client import AsyncRossumAPIClient
from client.models import Label
from tests.client.conftest import BASE, page

LABEL = {
    "id": 1,
    "url": f"{BASE}/labels/1",
    "name": "expedite",
    "organization": f"{BASE}/organizations/2",
    "color": "#FF5733",
}


async def test_list_labels_filters_and_orders(
    api: respx.MockRouter, client: AsyncRossumAPIClient
) -> None:
    """`list_labels(ordering, **filters)` sends them as query parameters."""
    route = api.get("/labels").mock(return_value=page([LABEL]))
    found = [label async for label in client.list_labels(ordering=["-name"], name="expedite")]
    assert found == [Label.model_validate(LABEL)]
    params = route.calls.last.request.url.params
    assert (params["ordering"], params["name"]) == ("-name", "expedite")


async def test_create_retrieve_update_and_delete_a_label(
    api: respx.MockRouter, client: AsyncRossumAPIClient
) -> None:
    """Each label verb uses its documented method and path and returns a Label."""
    create = api.post("/labels").mock(return_value=httpx.Response(201, json=LABEL))
    api.get("/labels/1").mock(return_value=httpx.Response(200, json=LABEL))
    put = api.put("/labels/1").mock(
        return_value=httpx.Response(200, json={**LABEL, "name": "rush"})
    )
    patch = api.patch("/labels/1").mock(
        return_value=httpx.Response(200, json={**LABEL, "color": None})
    )
    delete = api.delete("/labels/1").mock(return_value=httpx.Response(204))

    created = await client.create_new_label({"name": "expedite", "color": "#FF5733"})
    assert (created.id, created.color) == (1, "#FF5733")
    assert (await client.retrieve_label(1)).organization == f"{BASE}/organizations/2"
    assert (await client.update_label(1, {"name": "rush"})).name == "rush"
    assert (await client.update_part_label(1, {"color": None})).color is None
    assert await client.delete_label(1) is None

    assert json.loads(create.calls.last.request.content) == {"name": "expedite", "color": "#FF5733"}
    assert json.loads(put.calls.last.request.content) == {"name": "rush"}
    assert json.loads(patch.calls.last.request.content) == {"color": None}
    assert delete.call_count == 1


async def test_apply_labels_adds_and_removes_on_many_annotations(
    api: respx.MockRouter, client: AsyncRossumAPIClient
) -> None:
    """One `POST /labels/apply` carries label and annotation URLs (ids become URLs)."""
    route = api.post("/labels/apply").mock(return_value=httpx.Response(204))
    result = await client.apply_labels(
        [f"{BASE}/annotations/10", 11], add=[f"{BASE}/labels/1"], remove=[2]
    )
    assert result is None
    assert json.loads(route.calls.last.request.content) == {
        "operations": {"add": [f"{BASE}/labels/1"], "remove": [f"{BASE}/labels/2"]},
        "objects": {"annotations": [f"{BASE}/annotations/10", f"{BASE}/annotations/11"]},
    }


async def test_apply_labels_is_retried_after_a_server_error(
    api: respx.MockRouter, client: AsyncRossumAPIClient
) -> None:
    """Applying labels is idempotent in effect, so a 502 is retried."""
    route = api.post("/labels/apply").mock(side_effect=[httpx.Response(502), httpx.Response(204)])
    await client.apply_labels([1], add=[2])
    assert route.call_count == 2
