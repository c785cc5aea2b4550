"""Carrying out label decisions: names resolved, created once, cached, one apply per delivery."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import httpx
import pytest

from handlers.decision import Decision
from handlers.events import AnnotationContentEvent
from handlers.routing import Router
from handlers.testing import TIMESTAMP, signed
from tests.service.conftest import FakeRossum, ServiceFactory
from tests.service.kit import ANNOTATION_URL, API, SECRET, content_event, status_event

# Rules' labels on the kit's invoices: amount >= 10000 -> expedite; empty PO -> missing-po.
EXPENSIVE_NO_PO = {"amount_total": "25000.00", "order_id": ""}
IN_TWO_DAYS = (TIMESTAMP.date() + timedelta(days=2)).isoformat()  # the kit's delivery time


def _names(rossum: FakeRossum, urls: list[str]) -> list[str]:
    return sorted(rossum.name_of(u) for u in urls)


async def test_missing_labels_are_created_and_applied_in_one_call(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """Two new labels are created once each and applied with a single labels/apply call."""
    headers, body = signed(content_event("updated", values=EXPENSIVE_NO_PO, rows=0), SECRET)
    async with service() as client:
        response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code == 200
    assert sorted(rossum.created) == ["expedite", "missing-po"]
    assert len(rossum.applied) == 1
    applied = rossum.applied[0]
    assert applied["objects"] == {"annotations": [ANNOTATION_URL]}
    assert _names(rossum, applied["operations"]["add"]) == ["expedite", "missing-po"]
    assert applied["operations"].get("remove", []) == []
    messages = response.json()["messages"]
    assert any(m["type"] == "warning" for m in messages)


async def test_label_urls_are_cached_per_organisation(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """The second delivery resolves the same names without listing or creating again."""
    async with service() as client:
        for n in range(2):
            headers, body = signed(content_event("updated", values=EXPENSIVE_NO_PO, rows=0), SECRET)
            await client.post("/hooks", content=body, headers=headers)
            if n == 0:
                lists_before = len([c for c in rossum.router.calls if c.request.method == "GET"])
    lists_after = len([c for c in rossum.router.calls if c.request.method == "GET"])
    assert lists_after == lists_before == 1
    assert rossum.created == sorted(rossum.created) and len(rossum.created) == 2
    assert len(rossum.applied) == 2


async def test_only_needed_adds_and_removes_are_sent(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """Labels already on the annotation are not re-added; absent ones are not removed."""
    expedite = rossum.add_label("expedite")
    rossum.add_label("missing-po")
    due_soon = rossum.add_label("due-soon")
    # Expensive, PO present, due in 2 days: wants +expedite +due-soon, -missing-po.
    payload = content_event(
        "updated",
        values={"amount_total": "25000.00", "date_due": IN_TWO_DAYS},
        rows=0,
        labels=[expedite],
    )
    headers, body = signed(payload, SECRET)
    async with service() as client:
        await client.post("/hooks", content=body, headers=headers)
    assert rossum.applied == [
        {
            "operations": {"add": [due_soon], "remove": []},
            "objects": {"annotations": [ANNOTATION_URL]},
        }
    ] or (
        rossum.applied[0]["operations"]["add"] == [due_soon]
        and not rossum.applied[0]["operations"].get("remove")
    )
    assert rossum.created == []


async def test_nothing_is_sent_when_labels_already_match(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """When the annotation already carries exactly the wanted labels, no write is made."""
    expedite = rossum.add_label("expedite")
    missing_po = rossum.add_label("missing-po")
    payload = content_event(
        "updated", values=EXPENSIVE_NO_PO, rows=0, labels=[expedite, missing_po]
    )
    headers, body = signed(payload, SECRET)
    async with service() as client:
        response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code == 200
    assert rossum.applied == [] and rossum.created == []


async def test_label_removed_when_condition_no_longer_holds(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """An annotation labelled expedite whose amount dropped gets the label removed."""
    expedite = rossum.add_label("expedite")
    headers, body = signed(content_event("updated", rows=0, labels=[expedite]), SECRET)
    async with service() as client:
        await client.post("/hooks", content=body, headers=headers)
    assert len(rossum.applied) == 1
    assert rossum.applied[0]["operations"]["remove"] == [expedite]
    assert not rossum.applied[0]["operations"].get("add")


async def test_sideloaded_labels_are_trusted_without_listing(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """A label made in the UI after the cache filled is removed by its sideloaded URL."""
    listed = rossum.listing
    async with service() as client:
        first_headers, first_body = signed(content_event("updated", values=EXPENSIVE_NO_PO), SECRET)
        await client.post("/hooks", content=first_body, headers=first_headers)  # cache fills
        ui_label = f"{API}/labels/9001"  # made in Rossum's UI: unknown to the cached list
        payload = content_event("updated", rows=0, labels=[ui_label])
        payload["labels"] = [{"id": 9001, "url": ui_label, "name": "expedite"}]
        headers, body = signed(payload, SECRET)
        calls_before = listed.call_count
        await client.post("/hooks", content=body, headers=headers)
    assert listed.call_count == calls_before  # the sideload answered, no listing needed
    assert ui_label in rossum.applied[-1]["operations"]["remove"]


async def test_unlabelled_clean_invoice_makes_no_call_at_all(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """Only removals wanted and the payload says there are no labels: no API call."""
    headers, body = signed(content_event("updated", rows=0, labels=[]), SECRET)
    async with service() as client:
        response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code == 200
    assert not rossum.router.calls


async def test_labels_unknown_in_payload_are_sent_in_full(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """Without `labels` in the payload, adds and removes of existing labels are all sent."""
    expedite = rossum.add_label("expedite")
    rossum.add_label("missing-po")
    headers, body = signed(content_event("updated", rows=0, labels=None), SECRET)
    async with service() as client:
        await client.post("/hooks", content=body, headers=headers)
    assert len(rossum.applied) == 1
    assert expedite in rossum.applied[0]["operations"]["remove"]


async def test_concurrent_deliveries_create_each_label_once(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """Ten simultaneous deliveries for different annotations create each label only once."""
    async with service() as client:
        requests = []
        for n in range(10):
            headers, body = signed(
                content_event("updated", values=EXPENSIVE_NO_PO, rows=0, annotation_id=1000 + n),
                SECRET,
            )
            requests.append(client.post("/hooks", content=body, headers=headers))
        responses = await asyncio.gather(*requests)
    assert {r.status_code for r in responses} == {200}
    assert sorted(rossum.created) == ["expedite", "missing-po"]
    assert len(rossum.applied) == 10


async def test_create_race_lost_to_another_writer_relists(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """A 409 on label creation (created meanwhile elsewhere) re-lists and uses that label."""

    def conflict(request: httpx.Request) -> httpx.Response:
        rossum.add_label(json.loads(request.content)["name"])
        return httpx.Response(409, json={"detail": "Conflict.", "code": "conflict_status"})

    rossum.create.mock(side_effect=conflict)
    router = Router()
    router.add(lambda e: Decision(add_labels={"vip"}), "annotation_status")
    headers, body = signed(status_event(), SECRET)
    async with service(router=router) as client:
        response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code == 200
    assert rossum.applied[0]["operations"]["add"] == [rossum.labels["vip"]]


async def test_deleted_label_url_is_refreshed_once(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """If apply refuses a cached label URL (label deleted), the cache is refreshed and retried."""
    router = Router()
    router.add(lambda e: Decision(add_labels={"vip"}), "annotation_status")
    async with service(router=router) as client:
        headers, body = signed(status_event(), SECRET)
        await client.post("/hooks", content=body, headers=headers)
        old_url = rossum.labels.pop("vip")
        rossum.apply.mock(
            side_effect=[
                httpx.Response(400, json={"detail": "Invalid hyperlink.", "code": "bad_request"}),
                httpx.Response(200, json={}),
            ]
        )
        rossum.add_label("vip")
        headers, body = signed(status_event(), SECRET)  # a new delivery, not a duplicate
        response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code == 200
    last = json.loads(rossum.apply.calls[-1].request.content)
    assert last["operations"]["add"] == [rossum.labels["vip"]] != [old_url]


async def test_the_content_tree_is_released_before_the_api_call(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """A delivery waiting on its API call holds no content tree: the rules have read it."""
    seen: list[AnnotationContentEvent] = []
    held_during_call: list[object] = []

    def rule(event: AnnotationContentEvent) -> Decision:
        seen.append(event)
        assert len(event.content.rows("line_items")) == 3
        return Decision(add_labels={"vip"})

    def apply(request: httpx.Request) -> httpx.Response:
        held_during_call.append(seen[0].annotation.content)
        return httpx.Response(200, json={})

    rossum.apply.mock(side_effect=apply)
    router = Router()
    router.add(rule, "annotation_content")
    headers, body = signed(content_event("updated", rows=3), SECRET)
    async with service(router=router) as client:
        response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code == 200
    assert held_during_call == [None]  # the call was made, after the tree was let go
    assert seen[0].annotation_url == ANNOTATION_URL  # the envelope stays
    with pytest.raises(RuntimeError, match="released"):
        seen[0].content  # noqa: B018 - the property raises
