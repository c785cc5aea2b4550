"""A dry run with this process's own label state decides without the annotation's lock.

A dry run keeps no label state and sends no write; with the in-process store nobody else keeps
any either, so nothing is read and nothing needs ordering. With a store others write (Redis,
shared with replicas that do write), the state is still read under the lock.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from client import AsyncRossumAPIClient, Token
from handlers.decision import Decision
from handlers.events import parse_event
from service.executor import Executor
from service.labels import LabelCache
from service.stores import LabelState
from tests.service.kit import ANNOTATION_URL, API, content_event

EXPEDITE_URL = f"{API}/labels/7"


def _labels(request: httpx.Request) -> httpx.Response:
    if request.method == "GET" and request.url.path.endswith("/labels"):
        results = [{"id": 7, "url": EXPEDITE_URL, "name": "expedite"}]
        pagination = {"next": None, "previous": None, "total": 1}
        return httpx.Response(200, json={"pagination": pagination, "results": results})
    return httpx.Response(204)


class OthersState:
    """A label state store other processes write to (as the Redis one is)."""

    def __init__(self) -> None:
        self.reads = 0

    async def get(self, annotation: str) -> LabelState | None:
        self.reads += 1
        return None

    async def put(self, annotation: str, state: LabelState, *, ttl_s: float) -> None:
        raise AssertionError("a dry run keeps no label state")


async def _carry_out(
    executor: Executor, *, dry_run: bool, locked: bool, wait_s: float = 5.0
) -> list[dict[str, Any]]:
    """Run one delivery adding `expedite`, while another delivery holds the annotation's lock
    if `locked`; return its journal (raise TimeoutError if it waited past `wait_s`)."""
    client = AsyncRossumAPIClient(
        API, Token("t"), dry_run=dry_run, transport=httpx.MockTransport(_labels)
    )
    event = parse_event(content_event(labels=[]))
    journal: list[dict[str, Any]] = []
    async with client, executor.locks.hold(ANNOTATION_URL if locked else None):
        await asyncio.wait_for(
            executor.carry_out(
                lambda: client, event, Decision(add_labels={"expedite"}), journal=journal
            ),
            timeout=wait_s,
        )
    return journal


async def test_dry_run_with_the_process_store_takes_no_lock() -> None:
    """It finishes while the lock is held, and intends the same call as ever."""
    executor = Executor(labels=LabelCache(), dry_run=True)
    journal = await _carry_out(executor, dry_run=True, locked=True)
    applied = [call for call in journal if call["call"] == "apply_labels"]
    assert applied == [
        {"call": "apply_labels", "annotation": ANNOTATION_URL, "add": ["expedite"], "remove": []}
    ]


async def test_a_delivery_that_writes_waits_for_the_lock() -> None:
    with pytest.raises(TimeoutError):
        await _carry_out(Executor(labels=LabelCache()), dry_run=False, locked=True, wait_s=0.2)


async def test_dry_run_with_a_store_others_write_reads_it_under_the_lock() -> None:
    store = OthersState()
    executor = Executor(labels=LabelCache(), states=store, dry_run=True)
    with pytest.raises(TimeoutError):
        await _carry_out(executor, dry_run=True, locked=True, wait_s=0.2)
    assert store.reads == 0  # still waiting for the lock when it gave up
    await _carry_out(executor, dry_run=True, locked=False)
    assert store.reads == 1
