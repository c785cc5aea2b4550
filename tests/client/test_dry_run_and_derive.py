"""Dry runs record unsafe calls instead of sending them; derived clients share the pool."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from client import (
    AsyncRossumAPIClient,
    DryRunCall,
    DryRunRefused,
    SyncRossumAPIClient,
    Token,
)
from tests.client.conftest import BASE

OTHER = "https://other-org.rossum.app/api/v1"


async def test_dry_run_sends_reads_and_records_writes(api: respx.MockRouter) -> None:
    """GETs go out; a create, an apply and a delete are recorded and answered synthetically."""
    api.get("/labels").mock(return_value=httpx.Response(200, json={"results": []}))
    async with AsyncRossumAPIClient(BASE, Token("t"), dry_run=True) as client:
        assert [label async for label in client.list_labels(name="rush")] == []
        created = await client.create_new_label({"name": "rush"})
        await client.apply_labels([1], add=[created.url])
        await client.delete_label(3)
        patched = await client.update_part_annotation(1, {"status": "postponed"})
    assert (created.name, created.id, created.url) == ("rush", -1, f"{BASE}/labels/-1")
    assert (patched.id, patched.status) == (1, "postponed")
    assert [(c.method, c.url) for c in client.dry_run_calls] == [
        ("POST", f"{BASE}/labels"),
        ("POST", f"{BASE}/labels/apply"),
        ("DELETE", f"{BASE}/labels/3"),
        ("PATCH", f"{BASE}/annotations/1"),
    ]
    assert client.dry_run_calls[1].json == {
        "operations": {"add": [f"{BASE}/labels/-1"], "remove": []},
        "objects": {"annotations": [f"{BASE}/annotations/1"]},
    }


def test_sync_dry_run_records_into_its_list() -> None:
    """The sync client honours dry runs the same way (nothing mocked, nothing sent)."""
    with respx.mock(base_url=BASE), SyncRossumAPIClient(BASE, Token("t"), dry_run=True) as client:
        client.confirm_annotation(5)
    assert client.dry_run_calls == [DryRunCall("POST", f"{BASE}/annotations/5/confirm", None, None)]


async def test_dry_run_refuses_a_mutating_export_stream() -> None:
    """An export that would move annotations to another status cannot be faked: it is refused."""
    async with AsyncRossumAPIClient(BASE, Token("t"), dry_run=True) as client:
        with pytest.raises(DryRunRefused):
            async for _ in client.export_annotations_to_file(1, "csv", to_status="exported"):
                pass


async def test_derived_client_has_its_own_base_url_and_token(api: respx.MockRouter) -> None:
    """A derived client talks to its own base URL with its own token; the parent is unchanged."""
    parent_route = api.get("/queues/1").mock(return_value=httpx.Response(200, json={"id": 1}))
    with respx.mock(base_url=OTHER, assert_all_called=True) as other:
        child_route = other.get("/queues/2").mock(return_value=httpx.Response(200, json={"id": 2}))
        async with AsyncRossumAPIClient(BASE, Token("parent")) as parent:
            child = parent.derive(base_url=OTHER, credentials=Token("hook-token"))
            assert (await child.retrieve_queue(2)).id == 2
            await child.aclose()  # must not close the shared pool
            assert (await parent.retrieve_queue(1)).id == 1
    assert child_route.calls.last.request.headers["Authorization"] == "Bearer hook-token"
    assert parent_route.calls.last.request.headers["Authorization"] == "Bearer parent"


async def test_derived_clients_share_the_in_flight_limit(api: respx.MockRouter) -> None:
    """Parent and children together never exceed the parent's in-flight limit."""
    active = peak = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        active -= 1
        return httpx.Response(200, json={"id": 1})

    api.get(path__regex=r"/queues/\d+").mock(side_effect=slow)
    async with AsyncRossumAPIClient(BASE, Token("p"), max_in_flight_requests=3) as parent:
        clients = [parent, *(parent.derive(credentials=Token(f"c{i}")) for i in range(4))]
        await asyncio.gather(*(c.retrieve_queue(i) for i in range(40) for c in clients))
    assert peak == 3


async def test_derived_dry_run_records_in_its_own_list() -> None:
    """Each derived client keeps the calls of its delivery apart from the parent's."""
    async with AsyncRossumAPIClient(BASE, Token("p"), dry_run=True) as parent:
        child = parent.derive(credentials=Token("c"))
        await child.start_annotation(1)
        await parent.cancel_annotation(2)
        live = parent.derive(credentials=Token("c"), dry_run=False)
    assert [c.url for c in child.dry_run_calls] == [f"{BASE}/annotations/1/start"]
    assert [c.url for c in parent.dry_run_calls] == [f"{BASE}/annotations/2/cancel"]
    assert live.dry_run is False and child.dry_run is True


def test_sync_derive_shares_the_pool(api: respx.MockRouter) -> None:
    """A derived sync client reuses the parent's connections and its own token."""
    route = api.get("/queues/1").mock(return_value=httpx.Response(200, json={"id": 1}))
    with SyncRossumAPIClient(BASE, Token("p")) as parent:
        child = parent.derive(credentials=Token("c"))
        child.close()
        child.retrieve_queue(1)
        parent.retrieve_queue(1)
    assert [c.request.headers["Authorization"] for c in route.calls] == ["Bearer c", "Bearer p"]


async def test_deriving_builds_no_http_client(monkeypatch: pytest.MonkeyPatch) -> None:
    """A derived client reuses the parent's httpx client: no pool, no SSL context is made."""
    async with AsyncRossumAPIClient(BASE, Token("p")) as parent:

        def refuse(*args: object, **kwargs: object) -> None:
            raise AssertionError("derive() must not build an httpx client")

        monkeypatch.setattr(httpx.AsyncClient, "__init__", refuse)
        children = [parent.derive(credentials=Token(f"t{i}")) for i in range(100)]
    assert {c.base_url for c in children} == {BASE}


async def test_dry_run_answerless_calls_are_recorded_like_the_others() -> None:
    """An unsafe call whose answer is not read (`labels/apply`) returns None, is recorded with
    its body, and takes its place in the fake ids: a create after it gets the next one."""
    async with AsyncRossumAPIClient(BASE, Token("t"), dry_run=True) as client:
        first = await client.create_new_label({"name": "a"})
        assert await client.apply_labels([7], add=[first.url]) is None
        second = await client.create_new_label({"name": "b"})
    assert (first.id, second.id) == (-1, -3)
    assert client.dry_run_calls[1] == DryRunCall(
        "POST",
        f"{BASE}/labels/apply",
        {
            "operations": {"add": [f"{BASE}/labels/-1"], "remove": []},
            "objects": {"annotations": [f"{BASE}/annotations/7"]},
        },
        None,
    )
    with SyncRossumAPIClient(BASE, Token("t"), dry_run=True) as sync:
        assert sync.apply_labels([7], remove=[f"{BASE}/labels/2"]) is None
        assert sync.create_new_label({"name": "c"}).id == -2
    assert [c.url for c in sync.dry_run_calls] == [f"{BASE}/labels/apply", f"{BASE}/labels"]
