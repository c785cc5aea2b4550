"""The observer and shared-rate-limiter hooks: what the client reports, and whose cap it obeys."""

from __future__ import annotations

import httpx
import pytest
import respx

from client import AsyncRossumAPIClient, RetryPolicy, SyncRossumAPIClient, Token, TransportError
from tests.client.conftest import BASE, Sleeps


class Recording:
    """A `RequestObserver` that writes down every callback."""

    def __init__(self) -> None:
        self.events: list[tuple[object, ...]] = []

    def request_started(self, method: str) -> None:
        self.events.append(("started", method))

    def request_finished(self, method: str, path: str, status: int | None) -> None:
        self.events.append(("finished", method, path, status))

    def retrying(self, method: str, path: str, reason: str, wait_s: float) -> None:
        self.events.append(("retrying", method, path, reason))

    def rate_waited(self, wait_s: float) -> None:
        self.events.append(("rate_waited", wait_s))


class Budget:
    """A `RateLimiter` that asks for a fixed wait and remembers the keys it was asked for."""

    def __init__(self, wait: float) -> None:
        self.wait, self.keys = wait, list[str]()

    async def reserve(self, key: str) -> float:
        self.keys.append(key)
        return self.wait


POLICY = RetryPolicy(retries=2, backoff_factor=0.01, max_jitter=0)


@respx.mock(base_url=BASE)
async def test_async_client_reports_attempts_retries_and_waits(
    respx_mock: respx.MockRouter,
) -> None:
    """A 503 then 200: two attempts with their statuses, one retry, two limiter waits."""
    respx_mock.get("/annotations/7").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={"id": 7})]
    )
    observer, budget, sleeps = Recording(), Budget(0.25), Sleeps()
    async with AsyncRossumAPIClient(
        BASE, Token("t"), observer=observer, rate_limiter=budget, retry_policy=POLICY, sleep=sleeps
    ) as api:
        child = api.derive(base_url="https://other.rossum.app/api/v1")
        assert (await api.retrieve_annotation(7)).id == 7
    path = "/api/v1/annotations/7"
    assert observer.events == [
        ("rate_waited", 0.25),
        ("started", "GET"),
        ("finished", "GET", path, 503),
        ("retrying", "GET", path, "503"),
        ("rate_waited", 0.25),
        ("started", "GET"),
        ("finished", "GET", path, 200),
    ]
    assert budget.keys == ["example.rossum.app", "example.rossum.app"]
    assert child._rate_key == "other.rossum.app"  # a derived client spends its own host's budget
    assert sleeps[0] == 0.25 and sleeps[2] == 0.25


@respx.mock(base_url=BASE)
async def test_a_failed_connection_is_reported_without_status(
    respx_mock: respx.MockRouter,
) -> None:
    """No answer at all is `status=None`, and the in-flight count still comes back down."""
    respx_mock.get("/annotations/7").mock(side_effect=httpx.ConnectError("refused"))
    observer = Recording()
    async with AsyncRossumAPIClient(
        BASE, Token("t"), observer=observer, retry_policy=RetryPolicy(retries=0)
    ) as api:
        with pytest.raises(TransportError):
            await api.retrieve_annotation(7)
    assert observer.events == [
        ("started", "GET"),
        ("finished", "GET", "/api/v1/annotations/7", None),
    ]


@respx.mock(base_url=BASE)
def test_sync_client_reports_attempts(respx_mock: respx.MockRouter) -> None:
    """The sync client calls the same observer for each attempt."""
    respx_mock.get("/annotations/7").mock(return_value=httpx.Response(200, json={"id": 7}))
    observer = Recording()
    with SyncRossumAPIClient(BASE, Token("t"), observer=observer) as api:
        api.retrieve_annotation(7)
    assert observer.events == [
        ("started", "GET"),
        ("finished", "GET", "/api/v1/annotations/7", 200),
    ]
