"""The sync client's own send loop: retries, threads, login, deadline."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import respx

from client import (
    AsyncRossumAPIClient,
    AuthenticationError,
    DeadlineExceeded,
    NotFound,
    SyncRossumAPIClient,
    Timeout,
    Token,
    UserCredentials,
)
from tests.client.conftest import BASE, FakeClock, Sleeps


def test_sync_retries_with_the_injected_sleep(
    api: respx.MockRouter, sync_client: SyncRossumAPIClient, sleeps: Sleeps
) -> None:
    """A 429 with Retry-After then a 200: one 5 s wait, no real sleeping."""
    api.get("/queues/1").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "5"}),
            httpx.Response(200, json={"id": 1}),
        ]
    )
    assert sync_client.retrieve_queue(1).id == 1
    assert sleeps == [5.0]


def test_sync_typed_errors(api: respx.MockRouter, sync_client: SyncRossumAPIClient) -> None:
    """A 404 raises NotFound with the parsed body, exactly as in the async client."""
    api.get("/queues/9").mock(
        return_value=httpx.Response(404, json={"detail": "Not found.", "code": "not_found"})
    )
    with pytest.raises(NotFound) as caught:
        sync_client.retrieve_queue(9)
    assert (caught.value.detail, caught.value.code) == ("Not found.", "not_found")


def test_threads_share_one_relogin(api: respx.MockRouter) -> None:
    """Ten threads hitting an expired token trigger a single re-login."""
    login = api.post("/auth/login").mock(
        side_effect=[
            httpx.Response(200, json={"key": "old"}),
            httpx.Response(200, json={"key": "new"}),
            httpx.Response(200, json={"key": "newer"}),
        ]
    )
    barrier = threading.Barrier(10)

    def answer(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Bearer new":
            return httpx.Response(200, json={"id": 1})
        barrier.wait(timeout=5)  # all ten hold the old token before anyone logs in again
        return httpx.Response(401)

    api.get("/queues/1").mock(side_effect=answer)
    with SyncRossumAPIClient(BASE, UserCredentials("u", "p"), max_in_flight_requests=10) as client:
        client.authenticate()
        with ThreadPoolExecutor(10) as pool:
            queues = list(pool.map(lambda _: client.retrieve_queue(1), range(10)))
    assert len(queues) == 10
    assert login.call_count == 2


def test_threads_respect_the_in_flight_limit(api: respx.MockRouter) -> None:
    """Sixteen threads never have more than two requests open at once."""
    lock = threading.Lock()
    active = peak = 0
    release = threading.Event()

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
            if peak == 2:
                release.set()
        release.wait(timeout=5)
        with lock:
            active -= 1
        return httpx.Response(200, json={"id": 1})

    api.get("/queues/1").mock(side_effect=answer)
    client = SyncRossumAPIClient(BASE, Token("t"), max_in_flight_requests=2)
    with client, ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda _: client.retrieve_queue(1), range(16)))
    assert peak == 2


def test_sync_deadline_caps_each_attempts_timeout(api: respx.MockRouter) -> None:
    """With a deadline, attempts get at most the time left, and a late timeout says so."""
    clock = FakeClock()
    seen: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"]["read"])
        clock.now += 3.0  # this attempt used up the whole deadline
        raise httpx.ReadTimeout("slow")

    api.get("/queues/1").mock(side_effect=answer)
    with (
        SyncRossumAPIClient(
            BASE, Token("t"), deadline=2.5, clock=clock, sleep=lambda s: None
        ) as client,
        pytest.raises(DeadlineExceeded) as caught,
    ):
        client.retrieve_queue(1)
    assert seen == [2.5]
    assert isinstance(caught.value, Timeout)


def test_sync_rate_cap_spaces_calls(api: respx.MockRouter) -> None:
    """The requests-per-second cap spaces sync calls through the injected sleep."""
    clock = FakeClock()
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.now += seconds

    api.get("/queues/1").mock(return_value=httpx.Response(200, json={"id": 1}))
    with SyncRossumAPIClient(
        BASE, Token("t"), max_requests_per_second=4, clock=clock, sleep=sleep
    ) as client:
        for _ in range(3):
            client.retrieve_queue(1)
    assert waits == pytest.approx([0.25, 0.25])


def test_sync_token_management(api: respx.MockRouter) -> None:
    """`get_token`, `get_token(refresh=True)` and `authenticate` log in as in the async client."""
    login = api.post("/auth/login").mock(
        side_effect=[httpx.Response(200, json={"key": k}) for k in ("a", "b", "c")]
    )
    with SyncRossumAPIClient(BASE, UserCredentials("u", "p")) as client:
        assert client.get_token() == "a"
        assert client.get_token(refresh=True) == "b"
        client.authenticate()
        assert client.get_token() == "c"
    with SyncRossumAPIClient(BASE, Token("t")) as client:
        client.authenticate()  # nothing to do for a plain token
        with pytest.raises(AuthenticationError, match="cannot be refreshed"):
            client.get_token(refresh=True)
    assert login.call_count == 3


@pytest.mark.parametrize("client_kind", ["sync", "async"])
async def test_export_stream_logs_in_again_on_401(api: respx.MockRouter, client_kind: str) -> None:
    """An expired token on a streamed export is renewed once and the stream starts over."""
    api.post("/auth/login").mock(
        side_effect=[
            httpx.Response(200, json={"key": "old"}),
            httpx.Response(200, json={"key": "new"}),
        ]
    )
    route = api.get("/queues/1/export").mock(
        side_effect=lambda request: (
            httpx.Response(200, content=b"csv")
            if request.headers["Authorization"] == "Bearer new"
            else httpx.Response(401)
        )
    )
    credentials = UserCredentials("u", "p")
    if client_kind == "sync":
        with SyncRossumAPIClient(BASE, credentials) as client:
            chunks = list(client.export_annotations_to_file(1, "csv"))
    else:
        async with AsyncRossumAPIClient(BASE, credentials) as aclient:
            chunks = [c async for c in aclient.export_annotations_to_file(1, "csv")]
    assert chunks == [b"csv"]
    assert route.call_count == 2


def test_sync_stream_retries_before_the_first_byte(
    api: respx.MockRouter, sync_client: SyncRossumAPIClient, sleeps: Sleeps
) -> None:
    """A 503 on a sync export is retried after a wait, like the async client does."""
    route = api.get("/queues/1/export").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, content=b"ok")]
    )
    assert list(sync_client.export_annotations_to_file(1, "xml")) == [b"ok"]
    assert route.call_count == 2 and len(sleeps) == 1


def test_sync_polling_sleeps_between_polls(
    api: respx.MockRouter, sync_client: SyncRossumAPIClient, sleeps: Sleeps
) -> None:
    """Sync polling waits `sleep_s` between reads through the injected sleep."""
    api.get("/tasks/5").mock(
        side_effect=[
            httpx.Response(200, json={"id": 5, "status": "running"}),
            httpx.Response(200, json={"id": 5, "status": "succeeded"}),
        ]
    )
    assert sync_client.poll_task_until_succeeded(5, sleep_s=1.5).status == "succeeded"
    assert sleeps == [1.5]


def test_sync_deadline_bounds_waiting_for_a_slot(api: respx.MockRouter) -> None:
    """A thread that cannot get an in-flight slot before the deadline gets DeadlineExceeded."""
    release = threading.Event()
    entered = threading.Event()

    def hold(request: httpx.Request) -> httpx.Response:
        entered.set()
        release.wait(timeout=5)
        return httpx.Response(200, json={"id": 1})

    api.get("/queues/1").mock(side_effect=hold)
    client = SyncRossumAPIClient(BASE, Token("t"), max_in_flight_requests=1, deadline=0.05)
    with client, ThreadPoolExecutor(1) as pool:
        first = pool.submit(client.retrieve_queue, 1)
        assert entered.wait(timeout=5)
        with pytest.raises(DeadlineExceeded):
            client.retrieve_queue(1)
        release.set()
        assert first.result().id == 1
