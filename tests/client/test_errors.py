"""Typed errors carrying the API's parsed `{"detail", "code"}` body."""

from __future__ import annotations

import httpx
import pytest
import respx

from client import (
    APIError,
    AsyncRossumAPIClient,
    BadRequest,
    Conflict,
    Forbidden,
    InvalidResponse,
    NotFound,
    PayloadTooLarge,
    RossumError,
    ServerError,
    Token,
)
from tests.client.conftest import BASE


@pytest.mark.parametrize(
    ("status", "code", "detail", "error"),
    [
        pytest.param(400, "bad_request", "Bad Request.", BadRequest, id="400"),
        pytest.param(403, "access_forbidden", "Access forbidden.", Forbidden, id="403"),
        pytest.param(404, "not_found", "Not found.", NotFound, id="404"),
        pytest.param(405, "method_not_allowed", "Method not allowed.", APIError, id="405"),
        pytest.param(409, "conflict_status", "Conflict.", Conflict, id="409"),
        pytest.param(413, "payload_too_large", "Payload Too Large.", PayloadTooLarge, id="413"),
        pytest.param(500, "error", "Server error.", ServerError, id="500"),
        pytest.param(502, "bad_gateway", "Bad Gateway.", ServerError, id="502"),
    ],
)
async def test_error_statuses_raise_typed_errors_with_the_parsed_body(
    api: respx.MockRouter, status: int, code: str, detail: str, error: type[APIError]
) -> None:
    """Each documented error status raises its own class, with detail, code, method and URL."""
    api.patch("/labels/9").mock(
        return_value=httpx.Response(status, json={"detail": detail, "code": code})
    )
    async with AsyncRossumAPIClient(BASE, Token("t"), n_retries=0) as client:
        with pytest.raises(error) as caught:
            await client.update_part_label(9, {"color": "#FF5733"})
    err = caught.value
    assert type(err) is error
    assert (err.status_code, err.code, err.detail) == (status, code, detail)
    assert err.method == "PATCH"
    assert err.url == f"{BASE}/labels/9"
    assert err.body == {"detail": detail, "code": code}
    assert str(err) == f"PATCH {BASE}/labels/9 -> {status} [{code}]: {detail}"


async def test_non_json_error_body_keeps_its_text(api: respx.MockRouter) -> None:
    """A proxy's HTML 502 page still gives a readable error, with no code."""
    api.get("/queues/1").mock(return_value=httpx.Response(502, text="<html>Bad gateway</html>"))
    async with AsyncRossumAPIClient(BASE, Token("t"), n_retries=0) as client:
        with pytest.raises(ServerError) as caught:
            await client.retrieve_queue(1)
    assert caught.value.detail == "<html>Bad gateway</html>"
    assert caught.value.code is None


async def test_success_with_a_non_json_body_raises_invalid_response(api: respx.MockRouter) -> None:
    """A 200 that is not JSON raises InvalidResponse, not a JSON or pydantic error."""
    api.get("/queues/1").mock(return_value=httpx.Response(200, text="<html>login</html>"))
    async with AsyncRossumAPIClient(BASE, Token("t")) as client:
        with pytest.raises(InvalidResponse) as caught:
            await client.retrieve_queue(1)
    assert isinstance(caught.value, RossumError)


async def test_a_field_of_the_wrong_type_raises_invalid_response(api: respx.MockRouter) -> None:
    """An id that is not a number is reported as InvalidResponse naming the resource."""
    api.get("/queues/1").mock(return_value=httpx.Response(200, json={"id": "one"}))
    async with AsyncRossumAPIClient(BASE, Token("t")) as client:
        with pytest.raises(InvalidResponse, match="Queue"):
            await client.retrieve_queue(1)


async def test_invalid_url_is_a_value_error() -> None:
    """A malformed URL is the caller's mistake: ValueError, not an httpx exception."""
    async with AsyncRossumAPIClient(BASE, Token("t")) as client:
        with pytest.raises(ValueError, match="invalid URL"):
            await client.request("GET", "https://exa mple.com:notaport/x")
