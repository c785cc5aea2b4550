"""The async send path: retries, idempotency, Retry-After, limits, deadline, timeouts."""

from __future__ import annotations

import asyncio
import ssl
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import respx

from client import (
    AsyncRossumAPIClient,
    DeadlineExceeded,
    RateLimited,
    ServerError,
    Timeout,
    Token,
    TransportError,
)
from tests.client.conftest import BASE, FakeClock, Sleeps, policy
from tests.client.log_capture import client_events

ANNOTATION = {"id": 1, "url": f"{BASE}/annotations/1", "status": "to_review"}


async def test_transient_statuses_are_retried_until_success(
    api: respx.MockRouter, client: AsyncRossumAPIClient, sleeps: Sleeps
) -> None:
    """A GET answered 503, 502, then 200 returns the annotation after two waits."""
    route = api.get("/annotations/1").mock(
        side_effect=[httpx.Response(503), httpx.Response(502), httpx.Response(200, json=ANNOTATION)]
    )
    annotation = await client.retrieve_annotation(1)
    assert annotation.status == "to_review"
    assert route.call_count == 3
    assert len(sleeps) == 2


async def test_retries_give_up_after_n_retries(api: respx.MockRouter, sleeps: Sleeps) -> None:
    """`n_retries=2` makes three attempts, then raises the typed server error."""
    route = api.get("/queues/5").mock(
        return_value=httpx.Response(500, json={"detail": "Server error.", "code": "error"})
    )
    async with AsyncRossumAPIClient(BASE, Token("t"), n_retries=2, sleep=sleeps) as client:
        with pytest.raises(ServerError) as caught:
            await client.retrieve_queue(5)
    assert route.call_count == 3
    assert caught.value.code == "error"


async def test_post_is_not_retried_after_a_read_timeout(
    api: respx.MockRouter, client: AsyncRossumAPIClient
) -> None:
    """A create that timed out may have happened: it is not sent again."""
    route = api.post("/labels").mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(201, json={"id": 1})]
    )
    with pytest.raises(Timeout):
        await client.create_new_label({"name": "expedite"})
    assert route.call_count == 1


async def test_post_is_not_retried_after_a_500(
    api: respx.MockRouter, client: AsyncRossumAPIClient
) -> None:
    """A content operation answered 500 may have been applied: it is not repeated."""
    route = api.post("/annotations/1/content/operations").mock(return_value=httpx.Response(500))
    with pytest.raises(ServerError):
        await client.bulk_update_annotation_data(1, [{"op": "remove", "id": 7}])
    assert route.call_count == 1


@pytest.mark.parametrize(
    "first",
    [
        pytest.param(httpx.Response(429, headers={"Retry-After": "2"}), id="429"),
        pytest.param(httpx.Response(503), id="503"),
        pytest.param(httpx.ConnectError("refused"), id="connect-error"),
    ],
)
async def test_post_is_retried_when_surely_not_processed(
    api: respx.MockRouter, client: AsyncRossumAPIClient, first: object
) -> None:
    """429, 503 and connect errors prove the server did nothing: the POST is repeated."""
    route = api.post("/labels").mock(
        side_effect=[first, httpx.Response(201, json={"id": 3, "name": "x"})]
    )
    label = await client.create_new_label({"name": "x"})
    assert label.id == 3
    assert route.call_count == 2


async def test_retry_after_seconds_sets_the_wait(
    api: respx.MockRouter, client: AsyncRossumAPIClient, sleeps: Sleeps
) -> None:
    """`Retry-After: 7` makes the client wait exactly 7 s (through the injected sleep)."""
    api.get("/annotations/1").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(200, json=ANNOTATION),
        ]
    )
    await client.retrieve_annotation(1)
    assert sleeps == [7.0]


async def test_retry_after_http_date_sets_the_wait(
    api: respx.MockRouter, client: AsyncRossumAPIClient, sleeps: Sleeps
) -> None:
    """An HTTP-date Retry-After 20 s ahead makes the client wait about 20 s."""
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    api.get("/annotations/1").mock(
        side_effect=[
            httpx.Response(503, headers={"Retry-After": when}),
            httpx.Response(200, json=ANNOTATION),
        ]
    )
    await client.retrieve_annotation(1)
    assert len(sleeps) == 1
    assert 17.0 <= sleeps[0] <= 20.0


async def test_rate_limited_error_carries_retry_after(
    api: respx.MockRouter, sleeps: Sleeps
) -> None:
    """When the API keeps answering 429, the error says how long it asked to wait."""
    body = {"detail": "Request was rate limited.", "code": "rate_limited"}
    api.get("/annotations/1").mock(
        return_value=httpx.Response(429, json=body, headers={"Retry-After": "4"})
    )
    async with AsyncRossumAPIClient(BASE, Token("t"), n_retries=1, sleep=sleeps) as client:
        with client_events() as logs, pytest.raises(RateLimited) as caught:
            await client.retrieve_annotation(1)
    assert caught.value.retry_after == 4.0
    assert caught.value.detail == "Request was rate limited."
    assert sleeps == [4.0]
    assert [e["event"] for e in logs if e["event"] == "rossum.rate_limited"] == [
        "rossum.rate_limited"
    ] * 2
    retry = next(e for e in logs if e["event"] == "rossum.retry")
    assert retry["attempt"] == 1 and retry["wait_s"] == 4.0 and retry["reason"] == "429"


async def test_in_flight_limit_holds_for_200_gathered_calls(api: respx.MockRouter) -> None:
    """200 gathered calls never have more than `max_in_flight_requests` requests open."""
    active = peak = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        for _ in range(3):
            await asyncio.sleep(0)
        active -= 1
        return httpx.Response(200, json=ANNOTATION)

    route = api.get(path__regex=r"/annotations/\d+").mock(side_effect=slow)
    async with AsyncRossumAPIClient(BASE, Token("t"), max_in_flight_requests=4) as client:
        results = await asyncio.gather(*(client.retrieve_annotation(i) for i in range(200)))
    assert len(results) == 200
    assert route.call_count == 200
    assert peak == 4


async def test_backoff_sleep_does_not_hold_an_in_flight_slot(api: respx.MockRouter) -> None:
    """While one call waits to retry, another call can use the only slot."""
    api.get("/queues/1").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={"id": 1})]
    )
    api.get("/queues/2").mock(return_value=httpx.Response(200, json={"id": 2}))
    others = []

    async def sleep(seconds: float) -> None:
        async with asyncio.timeout(2):  # would hang if the slot were held across the sleep
            others.append(await client.retrieve_queue(2))

    client = AsyncRossumAPIClient(BASE, Token("t"), max_in_flight_requests=1, sleep=sleep)
    async with client:
        queue = await client.retrieve_queue(1)
    assert queue.id == 1
    assert [q.id for q in others] == [2]


async def test_requests_per_second_cap_spaces_requests(api: respx.MockRouter) -> None:
    """With a 10 req/s cap, back-to-back calls start 100 ms apart."""
    clock = FakeClock()
    starts: list[float] = []

    def record(request: httpx.Request) -> httpx.Response:
        starts.append(clock.now)
        return httpx.Response(200, json={"id": 1})

    api.get("/queues/1").mock(side_effect=record)
    async with AsyncRossumAPIClient(
        BASE, Token("t"), max_requests_per_second=10, sleep=clock.sleep, clock=clock
    ) as client:
        for _ in range(4):
            await client.retrieve_queue(1)
    assert starts == pytest.approx([0.0, 0.1, 0.2, 0.3])


async def test_deadline_bounds_a_hanging_call() -> None:
    """A call whose answer never comes fails with DeadlineExceeded once the deadline passes."""
    started = asyncio.Event()

    async def hang(request: httpx.Request) -> httpx.Response:
        started.set()
        await asyncio.sleep(30)
        return httpx.Response(200)

    # respx counts a call only once its side effect answers, which this one never does.
    with respx.mock(base_url=BASE, assert_all_called=False) as api:
        api.get("/annotations/1").mock(side_effect=hang)
        async with AsyncRossumAPIClient(BASE, Token("t"), deadline=0.05) as client:
            with pytest.raises(DeadlineExceeded) as caught:
                await client.retrieve_annotation(1)
    assert started.is_set()
    assert isinstance(caught.value, Timeout)


async def test_deadline_stops_waits_that_would_overrun_it(
    api: respx.MockRouter, sleeps: Sleeps
) -> None:
    """A Retry-After longer than the time left raises at once instead of sleeping past it."""
    api.get("/annotations/1").mock(return_value=httpx.Response(429, headers={"Retry-After": "20"}))
    async with AsyncRossumAPIClient(BASE, Token("t"), deadline=10, sleep=sleeps) as client:
        with pytest.raises(RateLimited):
            await client.retrieve_annotation(1)
    assert sleeps == []


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        pytest.param(
            None, {"connect": 5.0, "read": 30.0, "write": 30.0, "pool": 30.0}, id="default"
        ),
        pytest.param(12, {"connect": 5.0, "read": 12.0, "write": 12.0, "pool": 12.0}, id="seconds"),
        pytest.param(2, {"connect": 2.0, "read": 2.0, "write": 2.0, "pool": 2.0}, id="short"),
    ],
)
async def test_every_request_has_a_timeout(
    api: respx.MockRouter, configured: float | None, expected: dict[str, float]
) -> None:
    """No request can wait forever: None means the default timeouts, not none."""
    seen: list[object] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(200, json={"id": 1})

    api.get("/queues/1").mock(side_effect=record)
    async with AsyncRossumAPIClient(BASE, Token("t"), timeout=configured) as client:
        await client.retrieve_queue(1)
    assert seen == [expected]


async def test_transport_errors_are_translated(api: respx.MockRouter, sleeps: Sleeps) -> None:
    """A refused connection surfaces as TransportError chained to, not leaking, httpx's error."""
    api.get("/queues/1").mock(side_effect=httpx.ConnectError("refused"))
    async with AsyncRossumAPIClient(BASE, Token("t"), n_retries=1, sleep=sleeps) as client:
        with pytest.raises(TransportError) as caught:
            await client.retrieve_queue(1)
    assert not isinstance(caught.value, httpx.HTTPError)
    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert len(sleeps) == 1


async def test_response_post_processor_sees_every_answer(
    api: respx.MockRouter, sleeps: Sleeps
) -> None:
    """The SDK's `response_post_processor` hook is called with each raw answer."""
    api.get("/queues/1").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={"id": 1})]
    )
    seen: list[int] = []
    async with AsyncRossumAPIClient(
        BASE, Token("t"), sleep=sleeps, response_post_processor=lambda r: seen.append(r.status_code)
    ) as client:
        await client.retrieve_queue(1)
    assert seen == [503, 200]


async def test_policy_fixture_is_seeded() -> None:
    """The shared test policy is deterministic (so waits in other tests are stable)."""
    assert policy().wait(attempt=1, method="GET", status=503) == policy().wait(
        attempt=1, method="GET", status=503
    )


async def test_caller_may_mark_a_post_idempotent(
    api: respx.MockRouter, client: AsyncRossumAPIClient
) -> None:
    """`request_json(..., idempotent=True)` lets a read-only POST retry after a timeout."""
    route = api.post("/custom/search").mock(
        side_effect=[httpx.ReadTimeout("slow"), httpx.Response(200, json={"hits": 1})]
    )
    answer = await client.request_json("post", "custom/search", json={"q": 1}, idempotent=True)
    assert answer == {"hits": 1}
    assert route.call_count == 2


async def test_custom_deserializer_gets_the_resource_and_plain_json(
    api: respx.MockRouter,
) -> None:
    """A deserializer written for the SDK receives `Resource.X` (with `.value`) and a dict."""
    api.get("/queues/1").mock(return_value=httpx.Response(200, json={"id": 1, "name": "Q"}))
    seen = []

    def deserialize(resource: object, data: dict[str, object]) -> tuple[str, object]:
        seen.append(resource)
        return (resource.value, data["name"])  # type: ignore[attr-defined]

    async with AsyncRossumAPIClient(BASE, Token("t"), deserializer=deserialize) as client:
        assert await client.retrieve_queue(1) == ("queues", "Q")
    assert repr(seen[0]) == "Resource.Queue"


def test_clients_share_one_verifying_ssl_context() -> None:
    """Every client reuses one certificate-verifying SSL context instead of building its own."""
    from client._core import http_options

    context = http_options(None, 4)["verify"]
    assert context is http_options(5, 8)["verify"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
