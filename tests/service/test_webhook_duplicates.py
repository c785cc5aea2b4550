"""Duplicates: a delivery sent again (same `request_id`) gets the same answer, no API call."""

from __future__ import annotations

import asyncio

import httpx

from handlers.testing import signed
from tests.service.conftest import FakeRossum, ServiceFactory
from tests.service.kit import SECRET, content_event

EXPENSIVE_NO_PO = {"amount_total": "25000.00", "order_id": ""}


async def test_duplicate_gets_the_same_answer_and_makes_no_call(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """The second copy of one signed delivery is answered byte for byte, with 0 API calls."""
    headers, body = signed(content_event(values=EXPENSIVE_NO_PO), SECRET)
    async with service() as client:
        first = await client.post("/hooks", content=body, headers=headers)
        calls = len(rossum.router.calls)
        second = await client.post("/hooks", content=body, headers=headers)
    assert calls == 4 and len(rossum.applied) == 1  # list, two creates, one apply
    assert (second.status_code, second.content) == (first.status_code, first.content)
    assert len(rossum.router.calls) == calls


async def test_concurrent_duplicates_make_one_set_of_calls(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """Five copies sent at once: the first does the work, the others wait and reuse it."""
    headers, body = signed(content_event(values=EXPENSIVE_NO_PO), SECRET)
    async with service() as client:
        answers = await asyncio.gather(
            *(client.post("/hooks", content=body, headers=headers) for _ in range(5))
        )
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert len(rossum.applied) == 1


async def test_failed_delivery_is_not_remembered(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """After a failed attempt, the same request_id is carried out again (Rossum's retry)."""
    rossum.apply.mock(
        side_effect=[
            httpx.Response(400, json={"detail": "Refused.", "code": "bad_request"}),
            httpx.Response(400, json={"detail": "Refused.", "code": "bad_request"}),
            httpx.Response(200, json={}),
        ]
    )
    headers, body = signed(content_event(values=EXPENSIVE_NO_PO), SECRET)
    async with service() as client:
        failed = await client.post("/hooks", content=body, headers=headers)
        retried = await client.post("/hooks", content=body, headers=headers)
    assert any(m["type"] == "error" for m in failed.json()["messages"])
    assert not any(m["type"] == "error" for m in retried.json()["messages"])
    assert rossum.apply.call_count == 3


async def test_duplicate_detection_can_be_turned_off(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """With `duplicate_window_s=None` every copy is carried out (replay setups)."""
    headers, body = signed(content_event(values=EXPENSIVE_NO_PO), SECRET)
    async with service(duplicate_window_s=None) as client:
        for _ in range(2):
            await client.post("/hooks", content=body, headers=headers)
    assert len(rossum.applied) == 2


async def test_duplicate_after_the_window_is_carried_out_again(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """A copy arriving after the window is a new delivery again."""
    headers, body = signed(content_event(values=EXPENSIVE_NO_PO), SECRET)
    async with service(duplicate_window_s=0.05) as client:
        await client.post("/hooks", content=body, headers=headers)
        await asyncio.sleep(0.1)
        await client.post("/hooks", content=body, headers=headers)
    assert len(rossum.applied) == 2
