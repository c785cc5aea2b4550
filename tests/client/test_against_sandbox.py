"""The client against the project's Rossum sandbox, in-process: real endpoints, no mocks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from client import AsyncRossumAPIClient, UserCredentials, walk_content
from sandbox.app import create_sandbox_app
from sandbox.demo_data import DEMO_PASSWORD, DEMO_USER
from sandbox.settings import SandboxSettings
from tests.client.conftest import FakeClock
from tests.client.log_capture import client_events

API = "http://sandbox.test/api/v1"
Factory = Callable[..., AsyncRossumAPIClient]


def invoice(document_id: str) -> dict[str, Any]:
    """Return a sandbox import request for the demo queue."""
    fields = {"document_id": document_id, "amount_total": "300.00", "currency": "EUR"}
    return {"queue": 101, "file_name": f"{document_id}.pdf", "fields": fields}


@pytest.fixture
def clock() -> FakeClock:
    """One fake clock for the sandbox's rate limit and the client's waits."""
    return FakeClock()


@pytest.fixture
async def connect(clock: FakeClock) -> AsyncIterator[Factory]:
    """Build a sandbox with the given settings and a client logged in as the demo user."""
    apps: list[Starlette] = []

    def make(**settings: Any) -> AsyncRossumAPIClient:
        app = create_sandbox_app(
            SandboxSettings(**{"rate_limit_per_s": 0, **settings}), clock=clock
        )
        apps.append(app)
        return AsyncRossumAPIClient(
            API,
            UserCredentials(DEMO_USER, DEMO_PASSWORD),
            transport=httpx.ASGITransport(app=app),
            sleep=clock.sleep,
            clock=clock,
        )

    yield make
    for app in apps:
        await app.state.sandbox.aclose()


async def test_labels_round_trip_through_cursor_pages(connect: Factory) -> None:
    """Create labels, page through them by opaque cursor, apply and remove them, delete one."""
    async with connect() as api:
        annotation = await api.request_json("POST", "sandbox/import?wait=true", json=invoice("A"))
        made = [await api.create_new_label({"name": f"label-{i}"}) for i in range(5)]
        listed = [label.name async for label in api.list_labels(page_size=2, ordering=["name"])]
        await api.apply_labels([annotation["id"]], add=[made[0].url, made[1].id])
        await api.apply_labels([annotation["url"]], remove=[made[1].url])
        labelled = [a.id async for a in api.list_annotations(labels=made[0].id)]
        current = await api.retrieve_annotation(annotation["id"])
        await api.delete_label(made[4].id)
        remaining = [label.id async for label in api.list_labels()]
    assert listed == [f"label-{i}" for i in range(5)]
    assert current.labels == [made[0].url]
    assert labelled == [annotation["id"]]
    assert made[4].id not in remaining


async def test_expired_token_is_renewed_once(connect: Factory) -> None:
    """After the sandbox expires every token, concurrent calls share one re-login."""
    async with connect() as api:
        await api.retrieve_queue(101)
        await api.request_json("POST", "sandbox/expire-tokens", json={})
        with client_events() as logs:
            queues = await asyncio.gather(*(api.retrieve_queue(101) for _ in range(5)))
    assert {q.name for q in queues} == {"Invoices"}
    assert [e["reason"] for e in logs if e["event"] == "rossum.relogin"] == ["expired"]


async def test_rate_limit_is_honoured_through_retry_after(
    connect: Factory, clock: FakeClock
) -> None:
    """At 2 req/s, a burst of calls is paced by the sandbox's 429 Retry-After, all succeed."""
    async with connect(rate_limit_per_s=2) as api:
        queues = await asyncio.gather(*(api.retrieve_queue(101) for _ in range(8)))
    assert len(queues) == 8
    assert clock.now >= 2.0  # 8 calls at 2 req/s: the client waited as the sandbox asked


async def test_content_operations_change_the_tree(connect: Factory) -> None:
    """A replace operation found with `walk_content` changes the datapoint's value."""
    async with connect() as api:
        annotation = await api.request_json("POST", "sandbox/import?wait=true", json=invoice("B"))
        content = await api.retrieve_annotation_content(annotation["id"])
        (total,) = walk_content(content, "amount_total")
        operation = {"op": "replace", "id": total["id"], "value": {"content": {"value": "310.00"}}}
        await api.bulk_update_annotation_data(annotation["id"], [operation])
        after = await api.retrieve_annotation_content(annotation["id"])
    (changed,) = walk_content(after, "amount_total")
    assert changed["content"]["value"] == "310.00"


async def test_page_numbered_lists_are_followed_to_the_end(connect: Factory) -> None:
    """Annotations (page-number pagination in the sandbox) are listed completely."""
    async with connect() as api:
        for i in range(5):
            await api.request_json("POST", "sandbox/import?wait=true", json=invoice(f"P{i}"))
        ids = [a.id async for a in api.list_annotations(page_size=2, queue=101)]
    assert len(ids) == len(set(ids)) == 5


async def test_dry_run_changes_nothing_in_the_sandbox(connect: Factory) -> None:
    """A dry-run client reads real data but no label reaches the sandbox."""
    async with connect() as api:
        annotation = await api.request_json("POST", "sandbox/import?wait=true", json=invoice("D"))
        dry = api.derive(dry_run=True)
        label = await dry.create_new_label({"name": "would-be"})
        await dry.apply_labels([annotation["id"]], add=[label.url])
        events = await api.request_json("GET", "sandbox/label-events")
        names = [found.name async for found in api.list_labels()]
    assert events["results"] == []
    assert "would-be" not in names
    assert [c.method for c in dry.dry_run_calls] == ["POST", "POST"]
