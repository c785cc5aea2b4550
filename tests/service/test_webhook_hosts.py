"""Real Rossum hosts: the default allowlist, refused hosts that still get their rules, API roots.

A host outside the allowlist gets no API call (no token leaves for it), but its rules still
run and are answered; content events also get an error message saying why labels were not
applied. Payloads without `base_url` call the API root their own URLs show.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
import structlog

from handlers.decision import Decision
from handlers.routing import Router
from handlers.testing import TOKEN, signed
from service.app import create_app
from service.settings import Settings
from tests.handlers.conftest import load
from tests.service.conftest import FakeRossum, ServiceFactory, running
from tests.service.kit import SECRET, content_event

# The example request payloads of Rossum's API reference that are valid JSON (two of them
# only after the docs' `,...` abbreviation was removed), and a 2020-era legacy payload.
REQUEST_PAYLOADS = (
    "annotation_status_changed",
    "email_received",
    "invocation_manual",
    "invocation_scheduled",
    "annotation_content_updated",
    "upload_created",
    "legacy_user_update",
)
EXPENSIVE = {"amount_total": "50000"}


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def _catch_all() -> respx.MockRouter:
    router = respx.MockRouter(assert_all_called=False)
    router.route().mock(return_value=httpx.Response(500, json={"detail": "unexpected"}))
    return router


async def _post(client: httpx.AsyncClient, payload: dict[str, Any]) -> httpx.Response:
    headers, body = signed(payload, SECRET)
    return await client.post("/hooks", content=body, headers=headers)


@pytest.mark.parametrize("name", REQUEST_PAYLOADS)
async def test_rossum_example_payloads_get_200_with_the_default_configuration(
    name: str,
) -> None:
    """Each documented request payload, sent now and signed, is answered 200 by default."""
    payload = {**load(name), "timestamp": _now()}
    api = _catch_all()
    app = create_app(Settings(webhook_secret=SECRET), transport=httpx.MockTransport(api.handler))
    async with running(app) as client:
        with structlog.testing.capture_logs() as logs:
            response = await _post(client, payload)
    assert response.status_code == 200, response.text
    assert isinstance(response.json(), dict)
    assert not api.calls  # `<example>` hosts are not allowed, the legacy one has no token
    (line,) = [entry for entry in logs if entry["event"] == "webhook.handled"]
    assert line["status"] == 200


@pytest.mark.parametrize(
    "base_url",
    [
        pytest.param("https://evil.example.com", id="foreign-host"),
        pytest.param("https://acme\t.rossum.app", id="tab"),
        pytest.param("https://acme\uff0erossum.app", id="full-width-dot"),
        pytest.param("https://<example>.rossum.app", id="docs-placeholder"),
        pytest.param("https://\u0430cme.rossum.app", id="non-ascii-letter"),
    ],
)
async def test_refused_host_still_gets_its_rules_and_no_api_call(
    service: ServiceFactory, rossum: FakeRossum, base_url: str
) -> None:
    """Rules run and answer; no API call; an error message and the log line say why."""
    payload = content_event(values={**EXPENSIVE, "order_id": ""}, extra={"base_url": base_url})
    async with service() as client:
        with structlog.testing.capture_logs() as logs:
            response = await _post(client, payload)
    assert response.status_code == 200
    messages = response.json()["messages"]
    assert any(m["type"] == "warning" and "order" in m["content"].lower() for m in messages)
    errors = [m for m in messages if m["type"] == "error"]
    assert len(errors) == 1 and "not among the service's allowed hosts" in errors[0]["content"]
    assert not rossum.router.calls
    (line,) = [entry for entry in logs if entry["event"] == "webhook.handled"]
    assert (line["outcome"], line["status"]) == ("base_url_not_allowed", 200)
    assert not [entry for entry in logs if entry["event"] == "webhook.bug"]


async def test_refused_host_with_nothing_to_change_gets_a_plain_answer(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """No label to change per the payload: no error message for a refused host."""
    payload = content_event(labels=[], extra={"base_url": "https://evil.example.com"})
    async with service() as client:
        response = await _post(client, payload)
    assert response.status_code == 200
    assert not [m for m in response.json()["messages"] if m["type"] == "error"]
    assert not rossum.router.calls


async def test_legacy_payload_calls_the_v1_root_its_urls_show() -> None:
    """Without `base_url`, `api.elis.rossum.ai/v1/annotations/...` means the root `.../v1`."""
    legacy = FakeRossum(api="https://api.elis.rossum.ai/v1")
    payload = {**load("legacy_user_update"), "timestamp": _now()}
    payload["rossum_authorization_token"] = TOKEN
    app = create_app(Settings(webhook_secret=SECRET), transport=legacy.transport)
    async with running(app) as client:
        response = await _post(client, payload)
    assert response.status_code == 200
    assert not [m for m in response.json()["messages"] if m["type"] == "error"]
    paths = {(c.request.method, c.request.url.path) for c in legacy.router.calls}
    assert ("POST", "/v1/labels/apply") in paths and ("GET", "/v1/labels") in paths
    assert all(c.request.url.host == "api.elis.rossum.ai" for c in legacy.router.calls)
    (applied,) = legacy.applied
    assert applied["objects"] == {"annotations": [payload["annotation"]["url"]]}


async def test_payload_without_base_url_on_a_foreign_host_makes_no_call(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """A payload without `base_url` is judged by the host its annotation URL names."""
    payload = content_event(values=EXPENSIVE)
    del payload["base_url"]
    evil = "https://evil.example.com/api/v1"
    payload["hook"] = f"{evil}/hooks/1"
    payload["annotation"]["url"] = f"{evil}/annotations/1"
    async with service() as client:
        response = await _post(client, payload)
    assert response.status_code == 200
    assert any(m["type"] == "error" for m in response.json()["messages"])
    assert not rossum.router.calls


async def test_status_event_on_a_refused_host_is_answered_200(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """A non-content event whose rule wants a label is answered 200, not 503 (no retry)."""
    router = Router()
    router.add(lambda e: Decision(add_labels={"vip"}), "annotation_status")
    payload = {**load("annotation_status_changed"), "timestamp": _now()}
    async with service(router=router) as client:
        with structlog.testing.capture_logs() as logs:
            response = await _post(client, payload)
    assert response.status_code == 200 and response.json() == {}
    assert not rossum.router.calls
    (line,) = [entry for entry in logs if entry["event"] == "webhook.handled"]
    assert line["outcome"] == "base_url_not_allowed"
