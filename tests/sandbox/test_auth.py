"""Login, logout, bearer checks and token expiry."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.sandbox.helpers import FakeClock, login


async def test_login_with_json_answers_a_key_and_domain(anon: httpx.AsyncClient) -> None:
    """JSON credentials give a 40-hex key and the advertised host as domain."""
    response = await anon.post(
        "/api/v1/auth/login", json={"username": "demo@example.com", "password": "demo-password"}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"key", "domain"}
    assert re.fullmatch(r"[0-9a-f]{40}", body["key"])
    assert body["domain"] == "sandbox.test"


async def test_login_with_a_form_body_works_like_the_sdk(anon: httpx.AsyncClient) -> None:
    """Form-encoded credentials (what rossum-api sends) log in too."""
    response = await anon.post(
        "/api/v1/auth/login", data={"username": "demo@example.com", "password": "demo-password"}
    )
    assert response.status_code == 200
    key = response.json()["key"]
    assert (await anon.get("/api/v1/labels", headers={"Authorization": f"Bearer {key}"})).is_success


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        pytest.param(
            {"username": "demo@example.com", "password": "nope"},
            401,
            "authentication_failed",
            id="wrong-password",
        ),
        pytest.param(
            {"username": "who@example.com", "password": "demo-password"},
            401,
            "authentication_failed",
            id="unknown-user",
        ),
        pytest.param({"username": "demo@example.com"}, 400, "bad_request", id="no-password"),
        pytest.param(
            {
                "username": "demo@example.com",
                "password": "demo-password",
                "max_token_lifetime_s": 0,
            },
            400,
            "bad_request",
            id="bad-lifetime",
        ),
    ],
)
async def test_bad_logins_are_refused(
    anon: httpx.AsyncClient, body: dict[str, object], status: int, code: str
) -> None:
    """Wrong credentials answer 401, malformed ones 400, both as `{detail, code}`."""
    response = await anon.post("/api/v1/auth/login", json=body)
    assert response.status_code == status
    assert response.json()["code"] == code


async def test_login_with_an_unsupported_media_type_answers_415(anon: httpx.AsyncClient) -> None:
    """A login body that is neither JSON nor a form is refused with 415."""
    response = await anon.post(
        "/api/v1/auth/login", content=b"demo", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


async def test_legacy_token_scheme_is_accepted(anon: httpx.AsyncClient) -> None:
    """`Authorization: Token <key>` works like Bearer."""
    key = await login(anon, "demo@example.com", "demo-password")
    response = await anon.get("/api/v1/labels", headers={"Authorization": f"Token {key}"})
    assert response.status_code == 200


async def test_logout_revokes_the_token(api: httpx.AsyncClient) -> None:
    """After logout the same token answers 401."""
    response = await api.post("/api/v1/auth/logout")
    assert response.json() == {"detail": "Successfully logged out."}
    assert (await api.get("/api/v1/labels")).status_code == 401


async def test_token_lifetime_is_honoured(anon: httpx.AsyncClient, clock: FakeClock) -> None:
    """A token asked for 60 s works at 59 s and is refused at 60 s."""
    body = {"username": "demo@example.com", "password": "demo-password", "max_token_lifetime_s": 60}
    key = (await anon.post("/api/v1/auth/login", json=body)).json()["key"]
    headers = {"Authorization": f"Bearer {key}"}
    clock.advance(59)
    assert (await anon.get("/api/v1/labels", headers=headers)).status_code == 200
    clock.advance(1)
    assert (await anon.get("/api/v1/labels", headers=headers)).status_code == 401


async def test_expiring_tokens_forces_a_relogin(anon: httpx.AsyncClient) -> None:
    """The sandbox-only expire endpoint kills login tokens; a fresh login works again."""
    first = await login(anon, "demo@example.com", "demo-password")
    second = await login(anon, "demo@example.com", "demo-password")
    response = await anon.post("/api/v1/sandbox/expire-tokens", json={"keys": [first]})
    assert response.json() == {"expired": 1}
    assert (
        await anon.get("/api/v1/labels", headers={"Authorization": f"Bearer {first}"})
    ).status_code == 401
    assert (
        await anon.get("/api/v1/labels", headers={"Authorization": f"Bearer {second}"})
    ).status_code == 200
    assert (await anon.post("/api/v1/sandbox/expire-tokens")).json() == {"expired": 1}
    fresh = await login(anon, "demo@example.com", "demo-password")
    assert (
        await anon.get("/api/v1/labels", headers={"Authorization": f"Bearer {fresh}"})
    ).status_code == 200


async def test_unknown_paths_answer_json_404(api: httpx.AsyncClient) -> None:
    """Unknown routes answer Rossum's 404 body, inside and outside `/api/v1`."""
    for path in ("/api/v1/nothing-here", "/"):
        response = await api.get(path)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found.", "code": "not_found"}


async def test_wrong_method_answers_json_405(api: httpx.AsyncClient) -> None:
    """A known path with the wrong method answers 405 as JSON."""
    response = await api.delete("/api/v1/labels")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


async def test_sandbox_endpoints_need_no_token(anon: httpx.AsyncClient) -> None:
    """`/api/v1/sandbox` is the harness: reachable without credentials."""
    response = await anon.get("/api/v1/sandbox")
    assert response.status_code == 200
    body = response.json()
    assert body["api"] == "http://sandbox.test/api/v1"
    assert body["demo_queue"] == "http://sandbox.test/api/v1/queues/101"
    assert body["inboxes"] == ["invoices@sandbox.rossum.app"]
    assert {"username": "demo@example.com", "password": "demo-password", "role": "admin"} in body[
        "users"
    ]
