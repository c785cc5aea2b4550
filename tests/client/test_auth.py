"""Login, single-flight re-login, token scope and token management."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from client import AsyncRossumAPIClient, AuthenticationError, Token, UserCredentials
from tests.client.conftest import BASE, Sleeps
from tests.client.log_capture import client_events

QUEUE = {"id": 1, "name": "Invoices"}


def token_gate(valid: str) -> object:
    """Return a side effect answering 200 to `Bearer valid` and 401 to anything else."""

    async def answer(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)  # let concurrent callers interleave
        if request.headers.get("Authorization") == f"Bearer {valid}":
            return httpx.Response(200, json=QUEUE)
        return httpx.Response(
            401, json={"detail": "Invalid token.", "code": "authentication_failed"}
        )

    return answer


async def test_login_posts_a_form_and_uses_the_key_as_bearer(api: respx.MockRouter) -> None:
    """UserCredentials log in with a form-encoded POST and send `Bearer <key>` afterwards."""
    login = api.post("/auth/login").mock(return_value=httpx.Response(200, json={"key": "k1"}))
    api.get("/queues/1").mock(side_effect=token_gate("k1"))
    async with AsyncRossumAPIClient(BASE, UserCredentials("me@example.com", "pw")) as client:
        queue = await client.retrieve_queue(1)
    assert queue.name == "Invoices"
    sent = login.calls.last.request
    assert sent.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(sent.content.decode()) == {"username": ["me@example.com"], "password": ["pw"]}
    assert "Authorization" not in sent.headers


async def test_ten_concurrent_401s_trigger_a_single_relogin(api: respx.MockRouter) -> None:
    """However many requests hit an expired token at once, exactly one login replaces it."""
    login = api.post("/auth/login").mock(
        side_effect=[
            httpx.Response(200, json={"key": "old"}),
            httpx.Response(200, json={"key": "new"}),
            httpx.Response(200, json={"key": "newer"}),
        ]
    )
    route = api.get(path__regex=r"/queues/\d+").mock(side_effect=token_gate("new"))
    async with AsyncRossumAPIClient(BASE, UserCredentials("u", "p")) as client:
        await client.authenticate()
        with client_events() as logs:
            queues = await asyncio.gather(*(client.retrieve_queue(i) for i in range(10)))
        assert await client.get_token() == "new"
    assert len(queues) == 10
    assert login.call_count == 2  # the initial login and one re-login
    assert route.call_count == 20  # ten refused, ten retried
    relogins = [e for e in logs if e["event"] == "rossum.relogin"]
    assert [e["reason"] for e in relogins] == ["expired"]


async def test_concurrent_first_calls_log_in_once(api: respx.MockRouter) -> None:
    """Ten calls starting without a token share one initial login."""
    login = api.post("/auth/login").mock(return_value=httpx.Response(200, json={"key": "k"}))
    api.get(path__regex=r"/queues/\d+").mock(side_effect=token_gate("k"))
    async with AsyncRossumAPIClient(BASE, UserCredentials("u", "p")) as client:
        await asyncio.gather(*(client.retrieve_queue(i) for i in range(10)))
    assert login.call_count == 1


async def test_a_second_401_after_relogin_raises(api: respx.MockRouter) -> None:
    """If the fresh token is refused too, the call fails instead of looping."""
    login = api.post("/auth/login").mock(return_value=httpx.Response(200, json={"key": "k"}))
    api.get("/queues/1").mock(side_effect=token_gate("never"))
    async with AsyncRossumAPIClient(BASE, UserCredentials("u", "p")) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.retrieve_queue(1)
    assert login.call_count == 2
    assert caught.value.status_code == 401
    assert caught.value.code == "authentication_failed"


async def test_a_plain_token_is_not_refreshed_on_401(api: respx.MockRouter) -> None:
    """A hook's token cannot be renewed: a 401 raises AuthenticationError at once."""
    route = api.get("/queues/1").mock(side_effect=token_gate("valid"))
    async with AsyncRossumAPIClient(BASE, Token("expired")) as client:
        with pytest.raises(AuthenticationError):
            await client.retrieve_queue(1)
        with pytest.raises(AuthenticationError, match="cannot be refreshed"):
            await client.get_token(refresh=True)
        assert await client.get_token() == "expired"
    assert route.call_count == 1


async def test_bad_credentials_raise_authentication_error(api: respx.MockRouter) -> None:
    """A refused login surfaces as AuthenticationError, without retrying the login."""
    body = {
        "detail": "Unable to log in with provided credentials.",
        "code": "authentication_failed",
    }
    login = api.post("/auth/login").mock(return_value=httpx.Response(401, json=body))
    async with AsyncRossumAPIClient(BASE, UserCredentials("u", "wrong")) as client:
        with pytest.raises(AuthenticationError, match="Unable to log in"):
            await client.retrieve_queue(1)
    assert login.call_count == 1


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("https://attacker.example.com/api/v1/queues/1", id="other-host"),
        pytest.param("http://example.rossum.app/api/v1/queues/1", id="plain-http"),
        pytest.param("https://example.rossum.app:8443/api/v1/queues/1", id="other-port"),
        pytest.param("https://example.rossum.app.evil.com/api/v1/queues/1", id="suffix-host"),
    ],
)
async def test_token_is_never_sent_to_another_origin(url: str) -> None:
    """An absolute URL outside base_url's scheme, host and port gets no Authorization header."""
    with respx.mock(assert_all_called=True) as mock:
        route = mock.get(url).mock(return_value=httpx.Response(200, json={}))
        async with AsyncRossumAPIClient(BASE, Token("secret-token")) as client:
            await client.request_json("GET", url)
    assert "Authorization" not in route.calls.last.request.headers


async def test_token_is_sent_to_absolute_urls_on_the_same_origin(api: respx.MockRouter) -> None:
    """Object URLs returned by the API (same scheme, host, port) carry the token."""
    route = api.get("/organizations/3").mock(return_value=httpx.Response(200, json={"id": 3}))
    async with AsyncRossumAPIClient(BASE, Token("t")) as client:
        await client.request_json("GET", "https://EXAMPLE.rossum.app:443/api/v1/organizations/3")
    assert route.calls.last.request.headers["Authorization"] == "Bearer t"


async def test_secrets_never_reach_logs_or_reprs(api: respx.MockRouter, sleeps: Sleeps) -> None:
    """Passwords and tokens appear in no log event and no credentials repr."""
    api.post("/auth/login").mock(return_value=httpx.Response(200, json={"key": "tok-123"}))
    api.get("/queues/1").mock(side_effect=[httpx.Response(503), httpx.Response(200, json=QUEUE)])
    credentials = UserCredentials("u", "pass-456")
    with client_events() as logs:
        async with AsyncRossumAPIClient(BASE, credentials, sleep=sleeps) as client:
            await client.retrieve_queue(1)
    text = repr(logs) + repr(credentials) + repr(Token("tok-123"))
    assert "pass-456" not in text
    assert "tok-123" not in text
    assert {"rossum.relogin", "rossum.retry"} <= {e["event"] for e in logs}


async def test_get_token_refresh_logs_in_again(api: respx.MockRouter) -> None:
    """`get_token(refresh=True)` always obtains a new token."""
    api.post("/auth/login").mock(
        side_effect=[httpx.Response(200, json={"key": "a"}), httpx.Response(200, json={"key": "b"})]
    )
    async with AsyncRossumAPIClient(BASE, UserCredentials("u", "p")) as client:
        assert await client.get_token() == "a"
        assert await client.get_token() == "a"
        assert await client.get_token(refresh=True) == "b"
