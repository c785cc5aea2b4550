"""Annotation content: the tree built at import, operations, and single-datapoint updates."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sandbox.helpers import datapoints, import_invoice


@pytest.fixture
async def ann(api: httpx.AsyncClient) -> dict[str, Any]:
    return await import_invoice(api, amount_total="1 234,50", date_due="31.01.2030")


async def _tree(api: httpx.AsyncClient, ann: dict[str, Any]) -> dict[str, dict[str, Any]]:
    response = await api.get(ann["content"])
    assert response.status_code == 200
    assert set(response.json()) == {"content"}
    return datapoints(response.json()["content"])


async def test_content_follows_the_schema_with_normalized_values(
    api: httpx.AsyncClient, ann: dict[str, Any]
) -> None:
    """Sections, a line_items table of two rows, and numbers/dates normalised."""
    nodes = await _tree(api, ann)
    total = nodes["amount_total"]
    assert total["category"] == "datapoint"
    assert total["content"]["value"] == "1 234,50"
    assert total["content"]["normalized_value"] == "1234.50"
    assert nodes["date_due"]["content"]["normalized_value"] == "2030-01-31"
    assert total["url"] == f"{ann['url']}/content/{total['id']}"
    table = nodes["line_items"]
    assert table["category"] == "multivalue" and len(table["children"]) == 2
    assert [c["schema_id"] for c in table["children"][0]["children"]][-1] == "item_amount_total"
    assert nodes["notes"]["content"]["value"] == "" and nodes["notes"]["validation_sources"] == []


async def test_operations_replace_add_and_remove(
    api: httpx.AsyncClient, ann: dict[str, Any]
) -> None:
    """replace sets value and normalized_value; add appends a row; remove deletes one."""
    nodes = await _tree(api, ann)
    table = nodes["line_items"]
    operations = [
        {
            "op": "replace",
            "id": nodes["currency"]["id"],
            "value": {"content": {"value": "CZK"}, "validation_sources": ["connector"]},
        },
        {
            "op": "add",
            "id": table["id"],
            "value": [{"schema_id": "item_amount_total", "content": {"value": "7"}}],
        },
        {"op": "remove", "id": table["children"][0]["id"]},
    ]
    response = await api.post(f"{ann['content']}/operations", json={"operations": operations})
    assert response.status_code == 200, response.text
    after = datapoints(response.json()["content"])
    assert after["currency"]["content"]["value"] == "CZK"
    assert after["currency"]["validation_sources"] == ["connector"]
    rows = after["line_items"]["children"]
    assert len(rows) == 2 and rows[0]["id"] == table["children"][1]["id"]
    new_total = datapoints(rows[1]["children"])["item_amount_total"]["content"]
    assert (new_total["value"], new_total["normalized_value"]) == ("7", "7")


BAD_OPERATIONS = [
    pytest.param(lambda n: {"op": "replace", "id": 1, "value": {}}, id="unknown-id"),
    pytest.param(lambda n: {"op": "replace", "id": str(n["currency"]["id"])}, id="string-id"),
    pytest.param(lambda n: {"op": "swap", "id": n["currency"]["id"]}, id="unknown-op"),
    pytest.param(
        lambda n: {"op": "replace", "id": n["line_items"]["id"], "value": {}}, id="replace-table"
    ),
    pytest.param(
        lambda n: {"op": "replace", "id": n["currency"]["id"], "value": {"content": {"value": 5}}},
        id="value-not-string",
    ),
    pytest.param(
        lambda n: {
            "op": "replace",
            "id": n["amount_total"]["id"],
            "value": {"content": {"value": "10", "normalized_value": "11"}},
        },
        id="value-and-normalized-disagree",
    ),
    pytest.param(
        lambda n: {
            "op": "replace",
            "id": n["currency"]["id"],
            "value": {"validation_sources": ["magic"]},
        },
        id="unknown-validation-source",
    ),
    pytest.param(lambda n: {"op": "remove", "id": n["currency"]["id"]}, id="remove-header-field"),
    pytest.param(
        lambda n: {"op": "add", "id": n["currency"]["id"], "value": []}, id="add-to-datapoint"
    ),
    pytest.param(
        lambda n: {"op": "add", "id": n["line_items"]["id"], "value": [{"schema_id": "notes"}]},
        id="add-foreign-cell",
    ),
]


@pytest.mark.parametrize("make", BAD_OPERATIONS)
async def test_an_invalid_operation_refuses_the_whole_batch(
    api: httpx.AsyncClient, ann: dict[str, Any], make: Any
) -> None:
    """One invalid operation answers 400 and none of the batch is applied."""
    nodes = await _tree(api, ann)
    good = {"op": "replace", "id": nodes["order_id"]["id"], "value": {"content": {"value": "X"}}}
    response = await api.post(
        f"{ann['content']}/operations", json={"operations": [good, make(nodes)]}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert (await _tree(api, ann))["order_id"]["content"]["value"] == "PO-1"


async def test_operations_body_must_list_operations(
    api: httpx.AsyncClient, ann: dict[str, Any]
) -> None:
    """A body without `operations`, or with a non-list, answers 400."""
    for body in ({}, {"operations": {"op": "remove"}}):
        response = await api.post(f"{ann['content']}/operations", json=body)
        assert response.status_code == 400


async def test_patch_datapoint_updates_one_value(
    api: httpx.AsyncClient, ann: dict[str, Any]
) -> None:
    """PATCH of a datapoint answers the updated datapoint, also served by GET."""
    node = (await _tree(api, ann))["amount_total"]
    url = f"{ann['content']}/{node['id']}"
    response = await api.patch(url, json={"content": {"value": "99.90"}})
    assert response.status_code == 200
    assert response.json()["content"]["normalized_value"] == "99.90"
    assert (await api.get(url)).json() == response.json()


async def test_patch_datapoint_errors(api: httpx.AsyncClient, ann: dict[str, Any]) -> None:
    """Unknown datapoints answer 404; a section or a bad value answers 400."""
    nodes = await _tree(api, ann)
    assert (await api.patch(f"{ann['content']}/1", json={})).status_code == 404
    section = nodes["invoice_info_section"]["id"]
    assert (
        await api.patch(f"{ann['content']}/{section}", json={"hidden": True})
    ).status_code == 400
    currency = nodes["currency"]["id"]
    response = await api.patch(f"{ann['content']}/{currency}", json={"hidden": "yes"})
    assert response.status_code == 400


async def test_exported_annotations_cannot_change(
    api: httpx.AsyncClient, ann: dict[str, Any]
) -> None:
    """Data changes on an annotation in a final status answer 409."""
    await api.patch(ann["url"], json={"status": "exported"})
    node = (await _tree(api, ann))["currency"]
    response = await api.patch(f"{ann['content']}/{node['id']}", json={"content": {"value": "x"}})
    assert response.status_code == 409
    assert response.json()["code"] == "conflict_status"
