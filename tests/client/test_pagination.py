"""Pagination: opaque cursors followed verbatim, page numbers, read-ahead, early stop."""

from __future__ import annotations

import asyncio
import json
from contextlib import aclosing

import httpx
import pytest
import respx

from client import AsyncRossumAPIClient, SyncRossumAPIClient
from client.models import Annotation, Label
from tests.client.conftest import BASE, page

CURSOR = f"{BASE}/labels?cursor=cD0yMDI1LTA0LTE0%2BMTI6MDA%3D&sig=a%2Fb%3D%3D"


def labels(*ids: int) -> list[dict[str, object]]:
    """Return label objects with the given ids."""
    return [{"id": i, "url": f"{BASE}/labels/{i}", "name": f"l{i}"} for i in ids]


async def test_cursor_next_url_is_followed_verbatim(
    api: respx.MockRouter, client: AsyncRossumAPIClient
) -> None:
    """The second request is exactly the `pagination.next` URL, cursor bytes untouched."""
    seen: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path)
        if b"cursor=" in request.url.raw_path:
            return page(labels(3), None)
        return page(labels(1, 2), CURSOR)

    api.get("/labels").mock(side_effect=answer)
    names = [label.name async for label in client.list_labels(ordering=["name"], name="l")]
    assert names == ["l1", "l2", "l3"]
    assert seen[0] == b"/api/v1/labels?page_size=100&ordering=name&name=l"
    assert seen[1] == CURSOR.removeprefix("https://example.rossum.app").encode()


async def test_top_level_next_is_the_fallback(
    api: respx.MockRouter, client: AsyncRossumAPIClient
) -> None:
    """An answer without `pagination` is followed through its top-level `next`."""
    api.get("/labels", params={"page_size": "100"}).mock(
        return_value=httpx.Response(200, json={"next": f"{BASE}/labels?c=2", "results": labels(1)})
    )
    api.get("/labels", params={"c": "2"}).mock(
        return_value=httpx.Response(200, json={"next": None, "results": labels(2)})
    )
    assert [label.id async for label in client.list_labels()] == [1, 2]


async def test_stopping_early_cancels_read_ahead_and_fires_nothing_more(
    client: AsyncRossumAPIClient,
) -> None:
    """After the consumer stops on page 1, at most the one read-ahead page was requested."""
    with respx.mock(base_url=BASE, assert_all_called=False) as api:
        first = api.get("/labels", params={"page_size": "100"}).mock(
            return_value=page(labels(1, 2), f"{BASE}/labels?cursor=2")
        )
        second = api.get("/labels", params={"cursor": "2"}).mock(
            return_value=page(labels(3, 4), f"{BASE}/labels?cursor=3")
        )
        third = api.get("/labels", params={"cursor": "3"}).mock(return_value=page(labels(5)))
        async with aclosing(client.list_labels()) as stream:
            async for label in stream:
                assert label.id == 1
                break
        for _ in range(10):
            await asyncio.sleep(0)
    assert first.call_count == 1
    assert second.call_count <= 1
    assert third.call_count == 0


async def test_read_ahead_is_at_most_one_page(
    api: respx.MockRouter, client: AsyncRossumAPIClient
) -> None:
    """While the consumer holds page 1, page 2 is fetched but page 3 is not."""
    api.get("/labels", params={"page_size": "100"}).mock(
        return_value=page(labels(1), f"{BASE}/labels?cursor=2")
    )
    second = api.get("/labels", params={"cursor": "2"}).mock(
        return_value=page(labels(2), f"{BASE}/labels?cursor=3")
    )
    third = api.get("/labels", params={"cursor": "3"}).mock(return_value=page(labels(3)))
    iterator = client.list_labels()
    assert (await anext(iterator)).id == 1
    for _ in range(10):
        await asyncio.sleep(0)
    assert second.call_count == 1
    assert third.call_count == 0
    assert [label.id async for label in iterator] == [2, 3]


def test_sync_listing_fetches_a_page_only_when_needed(
    api: respx.MockRouter, sync_client: SyncRossumAPIClient
) -> None:
    """The sync iterator requests page 2 only after page 1 is used up."""
    api.get("/labels", params={"page_size": "100"}).mock(
        return_value=page(labels(1, 2), f"{BASE}/labels?cursor=2")
    )
    iterator = sync_client.list_labels()
    assert [next(iterator).id, next(iterator).id] == [1, 2]


def test_page_number_mode_counts_pages(
    api: respx.MockRouter, sync_client: SyncRossumAPIClient
) -> None:
    """With `page_numbers=True` pages are requested as page=1, 2 until `total_pages`."""
    body = {"pagination": {"total": 3, "total_pages": 2, "next": "ignored"}}
    api.get("/custom", params={"page": "1", "page_size": "100"}).mock(
        return_value=httpx.Response(200, json={**body, "results": [{"a": 1}, {"a": 2}]})
    )
    api.get("/custom", params={"page": "2", "page_size": "100"}).mock(
        return_value=httpx.Response(200, json={**body, "results": [{"a": 3}]})
    )
    items = list(sync_client.request_paginated("custom", page_numbers=True))
    assert items == [{"a": 1}, {"a": 2}, {"a": 3}]


async def test_max_pages_stops_the_listing(
    api: respx.MockRouter, client: AsyncRossumAPIClient
) -> None:
    """`max_pages=1` yields the first page and requests no other."""
    route = api.get("/custom").mock(
        side_effect=[page([{"a": 1}], f"{BASE}/custom?cursor=2"), page([{"a": 2}])]
    )
    assert [item async for item in client.request_paginated("custom", max_pages=1)] == [{"a": 1}]
    assert route.call_count == 1


async def test_sideloads_are_embedded_into_results(
    api: respx.MockRouter, client: AsyncRossumAPIClient
) -> None:
    """Sideloaded documents and content replace the URLs inside each annotation."""
    a1, a2 = f"{BASE}/annotations/1", f"{BASE}/annotations/2"
    body = {
        "pagination": {"next": None},
        "results": [
            {"id": 1, "url": a1, "document": f"{BASE}/documents/10", "content": f"{a1}/content"},
            {"id": 2, "url": a2, "document": f"{BASE}/documents/20", "content": f"{a2}/content"},
        ],
        "documents": [
            {"id": 10, "url": f"{BASE}/documents/10", "original_file_name": "a.pdf"},
            {"id": 20, "url": f"{BASE}/documents/20", "original_file_name": "b.pdf"},
        ],
        "content": [
            {"id": 100, "url": f"{a1}/content/100", "schema_id": "total", "category": "datapoint"},
        ],
    }
    route = api.get("/annotations").mock(return_value=httpx.Response(200, json=body))
    annotations = [
        a
        async for a in client.list_annotations(
            sideloads=["documents", "content"], content_schema_ids=["total"], status="to_review"
        )
    ]
    params = route.calls.last.request.url.params
    assert params["sideload"] == "documents,content"
    assert params["content.schema_id"] == "total"
    assert [a.document["original_file_name"] for a in annotations] == ["a.pdf", "b.pdf"]
    assert [len(a.content) for a in annotations] == [1, 0]
    assert all(isinstance(a, Annotation) for a in annotations)


def test_content_sideload_needs_schema_ids(sync_client: SyncRossumAPIClient) -> None:
    """Sideloading content without `content_schema_ids` is refused before any request."""
    with pytest.raises(ValueError, match="content_schema_ids"):
        sync_client.list_annotations(sideloads=["content"])


def test_sequence_filters_become_comma_separated(
    api: respx.MockRouter, sync_client: SyncRossumAPIClient
) -> None:
    """`status=["to_review", "postponed"]` is sent as Rossum's `status=to_review,postponed`."""
    route = api.get("/annotations").mock(return_value=page([]))
    assert list(sync_client.list_annotations(status=["to_review", "postponed"], queue=(1, 2))) == []
    params = route.calls.last.request.url.params
    assert params["status"] == "to_review,postponed"
    assert params["queue"] == "1,2"


def test_hook_logs_list_without_pagination(
    api: respx.MockRouter, sync_client: SyncRossumAPIClient
) -> None:
    """`GET /hooks/logs` answers one unpaginated list; its entries become HookLog models."""
    entry = {"request_id": "r1", "hook_id": 5, "event": "annotation_content", "log_level": "INFO"}
    route = api.get("/hooks/logs").mock(return_value=httpx.Response(200, json={"results": [entry]}))
    logs = list(sync_client.list_hook_logs(hook=5, log_level="INFO"))
    assert [(log.request_id, log.hook_id) for log in logs] == [("r1", 5)]
    assert dict(route.calls.last.request.url.params) == {"hook": "5", "log_level": "INFO"}


def test_results_keep_unknown_fields(
    api: respx.MockRouter, sync_client: SyncRossumAPIClient
) -> None:
    """A list answer with new fields still parses, and the fields are readable."""
    api.get("/labels").mock(return_value=page([{"id": 1, "name": "x", "brand_new": [1, 2]}]))
    (label,) = list(sync_client.list_labels())
    assert isinstance(label, Label)
    assert label.brand_new == [1, 2]  # type: ignore[attr-defined]


def test_search_needs_a_query(sync_client: SyncRossumAPIClient) -> None:
    """Searching with neither `query` nor `query_string` is refused before any request."""
    with pytest.raises(ValueError, match="query"):
        sync_client.search_for_annotations(ordering=["-created_at"])


def test_search_posts_its_query_on_every_page(
    api: respx.MockRouter, sync_client: SyncRossumAPIClient
) -> None:
    """The search body goes with each page request, the cursor URL is followed as given."""
    route = api.post("/annotations/search").mock(
        side_effect=[
            page([{"id": 1}], f"{BASE}/annotations/search?search_after=abc"),
            page([{"id": 2}]),
        ]
    )
    found = [a.id for a in sync_client.search_for_annotations(query={"status": "to_review"})]
    assert found == [1, 2]
    bodies = [json.loads(call.request.content) for call in route.calls]
    assert bodies == [{"query": {"status": "to_review"}}] * 2
    assert route.calls.last.request.url.params["search_after"] == "abc"
