"""Bad input on the webhook endpoint: every refusal is a 4xx JSON {detail, code}, never a 500."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from handlers.testing import signed
from tests.service.conftest import FakeRossum, ServiceFactory
from tests.service.kit import SECRET, content_event, status_event


def _assert_error(response: object, status: int, code: str) -> None:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.json()["code"] == code  # type: ignore[attr-defined]
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        pytest.param(
            b'{"event": "annotation_content", "action": ', 400, "invalid_json", id="broken-json"
        ),
        pytest.param(b"", 400, "invalid_json", id="empty-body"),
        pytest.param(b"[1, 2, 3]", 422, "bad_payload", id="json-array"),
        pytest.param(b'{"event": "annotation_content"}', 422, "bad_payload", id="missing-keys"),
        pytest.param(
            json.dumps({**content_event(), "annotation": "not-an-object"}).encode(),
            422,
            "bad_payload",
            id="wrong-shape",
        ),
        pytest.param(
            json.dumps({**content_event(), "timestamp": "yesterday"}).encode(),
            422,
            "bad_payload",
            id="bad-timestamp",
        ),
    ],
)
async def test_broken_payloads_get_4xx_json(
    service: ServiceFactory, rossum: FakeRossum, body: bytes, status: int, code: str
) -> None:
    """Signed but broken or wrongly shaped bodies get a 4xx JSON error and no API call."""
    headers, body = signed(body, SECRET)
    async with service() as client:
        response = await client.post("/hooks", content=body, headers=headers)
    _assert_error(response, status, code)
    assert not rossum.router.calls


async def test_bad_payload_detail_does_not_echo_values(service: ServiceFactory) -> None:
    """A shape error names the field but not its value (it could be a secret)."""
    payload = {**content_event(), "annotation": {"id": "secret-looking-value-123"}}
    headers, body = signed(payload, SECRET)
    async with service() as client:
        response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code == 422
    assert "annotation" in response.json()["detail"]
    assert "secret-looking-value-123" not in response.text


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
async def test_wrong_content_type_gets_415(service: ServiceFactory, content_type: str) -> None:
    """A body declared as anything but JSON is refused with 415."""
    headers, body = signed(content_event(), SECRET)
    async with service() as client:
        response = await client.post(
            "/hooks", content=body, headers={**headers, "Content-Type": content_type}
        )
    _assert_error(response, 415, "unsupported_media_type")


async def test_json_content_type_with_charset_and_missing_header_pass(
    service: ServiceFactory,
) -> None:
    """`application/json; charset=utf-8` and an absent content type are both accepted."""
    headers, body = signed(content_event("started"), SECRET)
    async with service() as client:
        with_charset = await client.post(
            "/hooks",
            content=body,
            headers={**headers, "Content-Type": "application/json; charset=utf-8"},
        )
        headers.pop("Content-Type")
        without = await client.post("/hooks", content=body, headers=headers)
    assert (with_charset.status_code, without.status_code) == (200, 200)


async def test_oversized_body_gets_413_by_content_length(service: ServiceFactory) -> None:
    """A body whose declared length exceeds MAX_BODY_BYTES is refused with 413."""
    headers, body = signed(content_event(rows=20), SECRET)
    async with service(max_body_bytes=1000) as client:
        response = await client.post("/hooks", content=body, headers=headers)
    _assert_error(response, 413, "payload_too_large")


async def test_oversized_streamed_body_gets_413(service: ServiceFactory) -> None:
    """A chunked body with no content length is cut off once it passes the limit."""
    headers, body = signed(content_event(rows=20), SECRET)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 512):
            yield body[start : start + 512]

    async with service(max_body_bytes=2000) as client:
        response = await client.post("/hooks", content=chunks(), headers=headers)
    _assert_error(response, 413, "payload_too_large")


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        pytest.param("GET", "/hooks", 405, "method_not_allowed", id="get-hooks"),
        pytest.param("POST", "/nowhere", 404, "not_found", id="unknown-path"),
    ],
)
async def test_routing_errors_are_json(
    service: ServiceFactory, method: str, path: str, status: int, code: str
) -> None:
    """Unknown paths and wrong methods answer JSON errors too."""
    async with service() as client:
        response = await client.request(method, path)
    _assert_error(response, status, code)


async def test_unknown_event_is_answered_empty(service: ServiceFactory, rossum: FakeRossum) -> None:
    """An event this service does not know parses leniently and gets a 200 empty answer."""
    payload = {**status_event(), "event": "future_thing", "action": "happened"}
    headers, body = signed(payload, SECRET)
    async with service() as client:
        response = await client.post("/hooks", content=body, headers=headers)
    assert (response.status_code, response.json()) == (200, {})
    assert not rossum.router.calls


async def test_health_and_readiness(service: ServiceFactory) -> None:
    """/healthz and /readyz answer 200 while the lifespan runs."""
    async with service(dry_run=True) as client:
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
    assert health.json() == {"status": "ok"}
    assert ready.json() == {"status": "ready", "dry_run": True}
