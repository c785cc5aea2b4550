"""Cursor pagination (labels) and page-number pagination (annotations and others)."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.sandbox.helpers import import_invoice


async def _make_labels(api: httpx.AsyncClient, count: int) -> list[int]:
    ids = []
    for n in range(count):
        response = await api.post("/api/v1/labels", json={"name": f"label-{n:02d}"})
        ids.append(response.json()["id"])
    return ids


async def _walk(api: httpx.AsyncClient, url: str, key: str = "next") -> list[list[int]]:
    pages = []
    next_url: str | None = url
    while next_url:
        body = (await api.get(next_url)).json()
        pages.append([r["id"] for r in body["results"]])
        next_url = body["pagination"][key]
    return pages


async def test_following_next_walks_every_label_once(api: httpx.AsyncClient) -> None:
    """`pagination.next` URLs, followed verbatim, return every label exactly once, in order."""
    ids = await _make_labels(api, 7)
    pages = await _walk(api, "/api/v1/labels?page_size=3")
    assert pages == [ids[0:3], ids[3:6], ids[6:7]]


async def test_following_previous_walks_back(api: httpx.AsyncClient) -> None:
    """From the last page, `pagination.previous` leads back through the same pages."""
    ids = await _make_labels(api, 7)
    last = "/api/v1/labels?page_size=3"
    while (body := (await api.get(last)).json())["pagination"]["next"]:
        last = body["pagination"]["next"]
    assert await _walk(api, last, key="previous") == [ids[6:7], ids[3:6], ids[0:3]]


async def test_cursor_is_opaque_and_keeps_filters(api: httpx.AsyncClient) -> None:
    """The next URL keeps the other query parameters and carries only an opaque `cursor`."""
    await _make_labels(api, 5)
    body = (await api.get("/api/v1/labels?page_size=2&ordering=-name")).json()
    query = parse_qs(urlsplit(body["pagination"]["next"]).query)
    assert query["page_size"] == ["2"] and query["ordering"] == ["-name"]
    assert "label" not in query["cursor"][0] and "offset" not in query["cursor"][0]
    names = [r["name"] for r in (await api.get(body["pagination"]["next"])).json()["results"]]
    assert names == ["label-02", "label-01"]


async def test_pages_stay_stable_when_labels_are_deleted(api: httpx.AsyncClient) -> None:
    """Deleting an already-seen label does not make the next page skip one (keyset cursor)."""
    ids = await _make_labels(api, 6)
    first = (await api.get("/api/v1/labels?page_size=3")).json()
    await api.delete(f"/api/v1/labels/{ids[0]}")
    second = (await api.get(first["pagination"]["next"])).json()
    assert [r["id"] for r in second["results"]] == ids[3:6]


def _tamper(cursor: str) -> str:
    payload, _, mac = cursor.partition(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["p"] = [0]
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    return f"{forged}.{mac}"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(_tamper, id="payload-changed"),
        pytest.param(lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"), id="mac-changed"),
        pytest.param(lambda c: c.split(".")[0], id="mac-removed"),
        pytest.param(lambda c: "!!!." + c.split(".")[1], id="garbage"),
    ],
)
async def test_tampered_cursor_answers_400(api: httpx.AsyncClient, change: object) -> None:
    """A cursor that was modified is refused with 400 `bad_request`."""
    await _make_labels(api, 3)
    next_url = (await api.get("/api/v1/labels?page_size=1")).json()["pagination"]["next"]
    cursor = parse_qs(urlsplit(next_url).query)["cursor"][0]
    assert callable(change)
    response = await api.get("/api/v1/labels", params={"page_size": 1, "cursor": change(cursor)})
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"


async def test_cursor_of_another_ordering_answers_400(api: httpx.AsyncClient) -> None:
    """A cursor is only valid with the ordering it was issued for."""
    await _make_labels(api, 3)
    next_url = (await api.get("/api/v1/labels?page_size=1")).json()["pagination"]["next"]
    cursor = parse_qs(urlsplit(next_url).query)["cursor"][0]
    response = await api.get("/api/v1/labels", params={"ordering": "name", "cursor": cursor})
    assert response.status_code == 400


async def test_page_numbers_describe_total_and_neighbours(api: httpx.AsyncClient) -> None:
    """Annotation lists page by number with total, total_pages, next and previous."""
    for _ in range(5):
        await import_invoice(api)
    body = (await api.get("/api/v1/annotations?page_size=2&page=2")).json()
    pagination = body["pagination"]
    assert (pagination["total"], pagination["total_pages"]) == (5, 3)
    assert parse_qs(urlsplit(pagination["next"]).query)["page"] == ["3"]
    assert parse_qs(urlsplit(pagination["previous"]).query)["page"] == ["1"]
    assert len(body["results"]) == 2
    last = (await api.get(pagination["next"])).json()
    assert last["pagination"]["next"] is None and len(last["results"]) == 1


async def test_page_size_is_capped_at_100(api: httpx.AsyncClient) -> None:
    """Asking for more than 100 per page gets 100 per page."""
    body = (await api.get("/api/v1/queues?page_size=1000")).json()
    assert body["pagination"]["total_pages"] == 1


@pytest.mark.parametrize(
    ("query", "status"),
    [
        pytest.param("page=9", 404, id="page-past-the-end"),
        pytest.param("page=zero", 400, id="page-not-a-number"),
        pytest.param("page=0", 400, id="page-zero"),
        pytest.param("page_size=-1", 400, id="negative-page-size"),
    ],
)
async def test_bad_page_numbers_are_refused(
    api: httpx.AsyncClient, query: str, status: int
) -> None:
    """Out-of-range pages answer 404 "Invalid page.", malformed ones 400."""
    response = await api.get(f"/api/v1/annotations?{query}")
    assert response.status_code == status
    assert set(response.json()) == {"detail", "code"}
