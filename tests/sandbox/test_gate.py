"""Rate limiting and fault injection, decided before a request reaches an endpoint."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from sandbox.state import Sandbox
from tests.sandbox.conftest import SandboxFactory
from tests.sandbox.helpers import FakeClock, client_for, login


@pytest.fixture
async def limited(make_app: SandboxFactory) -> AsyncIterator[httpx.AsyncClient]:
    """A logged-in client of a sandbox with Rossum's default 10 requests/second."""
    app = make_app(rate_limit_per_s=10)
    async with client_for(app) as client:
        client.headers["Authorization"] = (
            f"Bearer {await login(client, 'demo@example.com', 'demo-password')}"
        )
        yield client


async def test_eleventh_request_in_a_second_is_rate_limited(
    limited: httpx.AsyncClient, clock: FakeClock
) -> None:
    """With 10 req/s, a burst's 11th request gets 429 and `Retry-After: 1`."""
    clock.advance(1)  # refill after the login request
    statuses = [(await limited.get("/api/v1/labels")).status_code for _ in range(11)]
    assert statuses == [200] * 10 + [429]
    response = await limited.get("/api/v1/labels")
    assert response.headers["Retry-After"] == "1"
    assert response.json()["code"] == "rate_limited"


async def test_the_bucket_refills_with_time(limited: httpx.AsyncClient, clock: FakeClock) -> None:
    """After 0.1 s one more request passes; after a full second, ten do."""
    clock.advance(1)
    for _ in range(10):
        await limited.get("/api/v1/labels")
    clock.advance(0.1)
    assert (await limited.get("/api/v1/labels")).status_code == 200
    assert (await limited.get("/api/v1/labels")).status_code == 429
    clock.advance(1)
    statuses = [(await limited.get("/api/v1/labels")).status_code for _ in range(10)]
    assert statuses == [200] * 10


async def test_retry_after_reflects_a_slow_rate(make_app: SandboxFactory, clock: FakeClock) -> None:
    """At 0.5 req/s the wait after one request is 2 seconds."""
    app = make_app(rate_limit_per_s=0.5)
    async with client_for(app) as client:
        await client.get("/api/v1/sandbox")  # exempt: does not use the bucket
        assert (await client.get("/api/v1/labels")).status_code == 401  # used the only slot
        response = await client.get("/api/v1/labels")
        assert (response.status_code, response.headers["Retry-After"]) == (429, "2")


async def test_zero_disables_the_rate_limit(api: httpx.AsyncClient) -> None:
    """`rate_limit_per_s=0` lets any number of requests through."""
    statuses = {(await api.get("/api/v1/labels")).status_code for _ in range(50)}
    assert statuses == {200}


async def test_sandbox_endpoints_are_never_limited_or_faulted(make_app: SandboxFactory) -> None:
    """Harness endpoints ignore rate limit and injected faults."""
    app = make_app(rate_limit_per_s=1, rate_5xx=1.0)
    async with client_for(app) as client:
        statuses = {(await client.get("/api/v1/sandbox/faults")).status_code for _ in range(5)}
    assert statuses == {200}


async def test_an_injected_429_means_nothing_happened(api: httpx.AsyncClient) -> None:
    """A create answered with an injected 429 (with `Retry-After`) created nothing."""
    await api.put("/api/v1/sandbox/faults", json={"rate_429": 1.0, "retry_after_s": 3})
    response = await api.post("/api/v1/labels", json={"name": "ghost"})
    assert (response.status_code, response.headers["Retry-After"]) == (429, "3")
    await api.put("/api/v1/sandbox/faults", json={"rate_429": 0.0})
    assert (await api.get("/api/v1/labels?name=ghost")).json()["results"] == []


async def _statuses(make_app: SandboxFactory, seed: int) -> list[int]:
    app = make_app(seed=seed, rate_429=0.15, rate_5xx=0.15, statuses_5xx=(503,))
    async with client_for(app) as client:
        return [(await client.get("/api/v1/labels")).status_code for _ in range(200)]


async def test_faults_are_reproducible_from_the_seed(make_app: SandboxFactory) -> None:
    """Two sandboxes with the same seed inject the same faults in the same order."""
    first, second = await _statuses(make_app, 7), await _statuses(make_app, 7)
    assert first == second
    assert 30 <= first.count(429) + first.count(503) <= 90
    assert set(first) == {401, 429, 503}  # 401: the rest got through to authentication
    assert first != await _statuses(make_app, 8)


async def test_latency_and_slow_answers_delay_requests(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """`latency_s` delays every request and `slow_rate`/`slow_s` add to it."""
    delays: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        delays.append(seconds)

    sandbox.sleep = fake_sleep
    faults = {"latency_s": 0.05, "slow_rate": 1.0, "slow_s": 2.0}
    await api.put("/api/v1/sandbox/faults", json=faults)
    assert (await api.get("/api/v1/labels")).status_code == 200
    assert delays == [pytest.approx(2.05)]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"rate_429": 1.5}, id="share-over-one"),
        pytest.param({"rate_429": 0.6, "rate_5xx": 0.6}, id="shares-sum-over-one"),
        pytest.param({"statuses_5xx": [404]}, id="not-a-5xx"),
        pytest.param({"statuses_5xx": []}, id="no-status"),
        pytest.param({"latency": 1}, id="unknown-key"),
        pytest.param({"rate_limit_per_s": -1}, id="negative-rate"),
    ],
)
async def test_invalid_fault_settings_answer_400(api: httpx.AsyncClient, body: object) -> None:
    """The faults endpoint validates what it is given and leaves the configuration unchanged."""
    before = (await api.get("/api/v1/sandbox/faults")).json()
    response = await api.put("/api/v1/sandbox/faults", json=body)
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
    assert (await api.get("/api/v1/sandbox/faults")).json() == before


async def test_faults_endpoint_reports_injected_counts(api: httpx.AsyncClient) -> None:
    """`GET /sandbox/faults` counts the injected statuses."""
    await api.put("/api/v1/sandbox/faults", json={"rate_5xx": 1.0, "statuses_5xx": [502]})
    for _ in range(3):
        await api.get("/api/v1/labels")
    body = (await api.get("/api/v1/sandbox/faults")).json()
    assert body["injected"] == {"502": 3}
    assert body["statuses_5xx"] == [502]
