"""Shared fixtures: a respx router on the API base URL and clients that never really sleep."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import respx

from client import AsyncRossumAPIClient, RetryPolicy, SyncRossumAPIClient, Token

BASE = "https://example.rossum.app/api/v1"


class Sleeps(list[float]):
    """A fake sleep for both clients: records each wait instead of waiting."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)

    def blocking(self, seconds: float) -> None:
        self.append(seconds)


class FakeClock:
    """A monotonic clock that only moves when told to (or when a fake sleep runs)."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def page(results: list[dict[str, Any]], next_url: str | None = None) -> httpx.Response:
    """Return a cursor-paginated list answer."""
    body = {"pagination": {"next": next_url, "previous": None}, "results": results}
    return httpx.Response(200, json=body)


def policy(**kwargs: Any) -> RetryPolicy:
    """Return a retry policy with a seeded random source."""
    return RetryPolicy(rng=random.Random(7), **kwargs)


@pytest.fixture
def api() -> Iterator[respx.MockRouter]:
    """Mock the Rossum API; every route must be called and nothing unmocked may be."""
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        yield router


@pytest.fixture
def sleeps() -> Sleeps:
    """Record the client's waits."""
    return Sleeps()


@pytest.fixture
async def client(sleeps: Sleeps) -> AsyncIterator[AsyncRossumAPIClient]:
    """An async client with a token, a seeded retry policy and a fake sleep."""
    async with AsyncRossumAPIClient(
        BASE, Token("tok"), sleep=sleeps, retry_policy=policy()
    ) as api_client:
        yield api_client


@pytest.fixture
def sync_client(sleeps: Sleeps) -> Iterator[SyncRossumAPIClient]:
    """A sync client with a token, a seeded retry policy and a fake sleep."""
    with SyncRossumAPIClient(
        BASE, Token("tok"), sleep=sleeps.blocking, retry_policy=policy()
    ) as api_client:
        yield api_client
