"""Asynchronous hooks: a 202 with `Location` is polled as Rossum does, within its limits."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.app import create_sandbox_app
from sandbox.settings import SandboxSettings
from sandbox.state import Sandbox
from tests.sandbox.helpers import FakeClock, client_for, create_hook, import_invoice, login
from tests.sandbox.test_event_families import upload


@dataclass
class AsyncHook:
    """A hook that answers calls with `calls` (status, body) in turn and polls with `polls`."""

    calls: list[tuple[int, Any]] = field(default_factory=list)
    polls: list[tuple[int, Any]] = field(default_factory=list)
    received: list[str] = field(default_factory=list)

    async def call(self, request: Request) -> Response:
        payload = await request.json()
        self.received.append(f"POST {payload['event']}.{payload['action']}")
        status, body = self.calls.pop(0) if self.calls else (200, {})
        headers = {"Location": "/hook/results/opaque-token"} if status == 202 else {}
        return JSONResponse(body, status_code=status, headers=headers)

    async def poll(self, request: Request) -> Response:
        self.received.append(f"GET {request.url.path}")
        status, body = self.polls.pop(0) if self.polls else (202, {})
        return JSONResponse(body, status_code=status)

    @property
    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/hook", self.call, methods=["POST"]),
                Route("/hook/results/{token}", self.poll, methods=["GET"]),
            ]
        )


@pytest.fixture
def hook() -> AsyncHook:
    return AsyncHook()


@pytest.fixture
async def env(hook: AsyncHook) -> AsyncIterator[tuple[httpx.AsyncClient, Sandbox, list[float]]]:
    """A sandbox delivering to `hook`, its waits recorded and its clock moved by them."""
    clock = FakeClock()
    app = create_sandbox_app(
        SandboxSettings(rate_limit_per_s=0, delivery_retry_delay_s=0),
        delivery_transport=httpx.ASGITransport(app=hook.app),
        clock=clock,
    )
    sandbox: Sandbox = app.state.sandbox
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds)

    sandbox.sleep = sleep
    async with client_for(app) as client:
        client.headers["Authorization"] = (
            f"Bearer {await login(client, 'demo@example.com', 'demo-password')}"
        )
        yield client, sandbox, waits
    await sandbox.aclose()


async def deliveries(api: httpx.AsyncClient, event: str) -> list[dict[str, Any]]:
    response = await api.get(f"/api/v1/sandbox/deliveries?wait=true&event={event}")
    results: list[dict[str, Any]] = response.json()["results"]
    return results


async def test_the_polled_result_is_the_answer_and_is_applied(
    env: tuple[httpx.AsyncClient, Sandbox, list[float]], hook: AsyncHook
) -> None:
    """Polled every 30 s; 200/202 and 503 mean "go on"; the 201's body is applied."""
    api, sandbox, waits = env
    await create_hook(api, events=["upload.created"])
    hook.calls = [(202, {})]
    hook.polls = [(202, {}), (503, {}), (201, {"files": []})]
    await upload(api, ("a.pdf", b"%PDF-1.4"))
    await sandbox.idle()
    (record,) = await deliveries(api, "upload")
    assert hook.received == ["POST upload.created"] + ["GET /hook/results/opaque-token"] * 3
    assert waits == [30.0, 30.0, 30.0]
    (attempt,) = record["attempts"]
    assert (attempt["status_code"], attempt["polls"], attempt["result_status"]) == (202, 3, 201)
    assert record["state"] == "succeeded" and record["status_code"] == 201
    assert record["answer"] == {"files": []}
    logs = (await api.get("/api/v1/hooks/logs")).json()["results"]
    assert logs[0]["status_code"] == 201 and "opaque-token" not in str(logs)


async def test_a_polled_content_answer_is_applied_to_the_annotation(
    env: tuple[httpx.AsyncClient, Sandbox, list[float]], hook: AsyncHook
) -> None:
    """`initialize` may answer asynchronously too; the 201's messages reach the annotation."""
    api, _, _ = env
    await create_hook(api, events=["annotation_content.initialize"])
    hook.calls = [(202, {})]
    hook.polls = [(201, {"messages": [{"type": "warning", "content": "checked later"}]})]
    ann = await import_invoice(api)
    current = (await api.get(ann["url"])).json()
    assert [m["content"] for m in current["messages"]] == ["checked later"]
    assert current["status"] == "to_review"


async def test_a_polling_failure_retries_the_original_call(
    env: tuple[httpx.AsyncClient, Sandbox, list[float]], hook: AsyncHook
) -> None:
    """A poll answering 404 is a polling failure: the call is made again (retry_count)."""
    api, sandbox, _ = env
    await create_hook(api, events=["upload.created"])
    hook.calls = [(202, {}), (200, {"files": []})]
    hook.polls = [(404, {"detail": "expired"})]
    await upload(api, ("a.pdf", b"%PDF-1.4"))
    await sandbox.idle()
    (record,) = await deliveries(api, "upload")
    first, second = record["attempts"]
    assert (first["polls"], first["result_status"], first["status_code"]) == (1, 404, 202)
    assert "polling answered HTTP 404" in first["error"]
    assert second["status_code"] == 200 and record["state"] == "succeeded"


async def test_retry_after_polling_failure_off_fails_at_once(
    env: tuple[httpx.AsyncClient, Sandbox, list[float]], hook: AsyncHook
) -> None:
    """With `retry_after_polling_failure: false` (upload.created) a polling failure is final."""
    api, sandbox, _ = env
    await create_hook(api, events=["upload.created"], config={"retry_after_polling_failure": False})
    hook.calls = [(202, {})]
    hook.polls = [(410, {})]
    await upload(api, ("a.pdf", b"%PDF-1.4"))
    await sandbox.idle()
    (record,) = await deliveries(api, "upload")
    assert len(record["attempts"]) == 1 and record["state"] == "failed"
    # The upload still imports its document: a failed hook changes nothing.
    assert len(sandbox.store.values("annotations")) == 1


async def test_max_polling_time_bounds_the_polling(
    env: tuple[httpx.AsyncClient, Sandbox, list[float]], hook: AsyncHook
) -> None:
    """Past `max_polling_time_s` polling stops (the last wait is cut to what remains)."""
    api, sandbox, waits = env
    config = {"max_polling_time_s": 70, "retry_count": 0}
    await create_hook(api, events=["upload.created"], config=config)
    hook.calls = [(202, {})]
    await upload(api, ("a.pdf", b"%PDF-1.4"))  # polls answer 202 forever
    await sandbox.idle()
    (record,) = await deliveries(api, "upload")
    (attempt,) = record["attempts"]
    assert waits == [30.0, 30.0, 10.0] and attempt["polls"] == 3
    assert "max_polling_time_s=70" in attempt["error"] and record["state"] == "failed"


async def test_limits_are_configurable_only_for_upload_and_scheduled_events(
    env: tuple[httpx.AsyncClient, Sandbox, list[float]], hook: AsyncHook
) -> None:
    """On other events the defaults apply: 300 s, and a failure retries the call."""
    api, _, waits = env
    config = {"max_polling_time_s": 40, "retry_after_polling_failure": False, "retry_count": 1}
    await create_hook(api, events=["annotation_status"], config=config)
    hook.calls = [(202, {}), (200, {})]
    await import_invoice(api)
    (record,) = await deliveries(api, "annotation_status")
    first, _ = record["attempts"]
    assert first["polls"] == 10 and sum(waits) == 300.0
    assert record["state"] == "succeeded"


async def test_interactive_events_never_poll(
    env: tuple[httpx.AsyncClient, Sandbox, list[float]], hook: AsyncHook
) -> None:
    """Asynchronous mode is for non-interactive events: a 202 to `started` is a plain answer."""
    api, _, _ = env
    await create_hook(api, events=["annotation_content.started"])
    ann = await import_invoice(api)
    hook.calls = [(202, {"messages": [{"type": "info", "content": "now"}]})]
    assert (await api.post(f"{ann['url']}/start")).status_code == 200
    (record,) = await deliveries(api, "annotation_content")
    assert record["attempts"][0]["polls"] == 0 and record["status_code"] == 202
    assert not any(r.startswith("GET") for r in hook.received)


async def test_polling_limits_are_validated_on_write(
    env: tuple[httpx.AsyncClient, Sandbox, list[float]],
) -> None:
    """`max_polling_time_s` is 1-3600 and `retry_after_polling_failure` a boolean."""
    api, _, _ = env
    for config in ({"max_polling_time_s": 0}, {"retry_after_polling_failure": "yes"}):
        body = {"name": "h", "events": ["upload"], "config": {"url": "http://h.test", **config}}
        response = await api.post("/api/v1/hooks", json=body)
        assert response.status_code == 400, config
