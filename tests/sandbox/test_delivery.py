"""Hook deliveries: payloads, signatures, tokens, timeouts and retries, answers applied."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
import structlog
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response

from handlers.signature import SIGNATURE_HEADER, verify
from sandbox.state import Sandbox
from tests.sandbox.helpers import (
    API,
    BASE,
    FakeClock,
    Received,
    Receiver,
    client_for,
    create_hook,
    datapoints,
    import_invoice,
    login,
)


def answer(status: int = 200, body: Any = None) -> Any:
    """Return a responder answering `status` with a JSON `body`."""

    async def respond(received: Received) -> Response:
        return JSONResponse({} if body is None else body, status_code=status)

    return respond


def answers(*statuses: int) -> Any:
    """Return a responder answering the given statuses in turn, then 200."""
    queue = list(statuses)

    async def respond(received: Received) -> Response:
        return JSONResponse({}, status_code=queue.pop(0) if queue else 200)

    return respond


async def test_import_delivers_initialize_then_status_changed(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """An import sends `annotation_content.initialize`, then `annotation_status.changed`."""
    hook = await create_hook(api, settings={"threshold": 10}, secrets={"erp_password": "s3cret"})
    ann = await import_invoice(api)
    assert receiver.events() == ["annotation_content.initialize", "annotation_status.changed"]
    content, status = (c.payload for c in receiver.calls)
    for payload in (content, status):
        uuid.UUID(payload["request_id"])
        assert payload["base_url"] == BASE
        assert payload["hook"] == hook["url"]
        assert payload["settings"] == {"threshold": 10}
        assert payload["secrets"] == {"erp_password": "s3cret"}
        assert payload["timestamp"].endswith("Z")
        assert payload["document"]["url"] == ann["document"]
        assert "annotations" not in payload["document"]
    assert content["annotation"]["status"] == "importing"
    assert isinstance(content["annotation"]["content"], list)
    total = datapoints(content["annotation"]["content"])["amount_total"]
    assert total["content"]["normalized_value"] == "300.00" and total["url"].startswith(ann["url"])
    assert content["updated_datapoints"] == []
    assert status["annotation"]["content"] == ann["content"]
    assert (status["annotation"]["status"], status["annotation"]["previous_status"]) == (
        "to_review",
        "importing",
    )
    assert "updated_datapoints" not in status


async def test_deliveries_are_signed_with_the_hook_secret(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """The raw body verifies against `config.secret`; a hook without secret is unsigned."""
    await create_hook(api)
    await create_hook(api, name="unsigned", config={"secret": None})
    await import_invoice(api)
    signed = [c for c in receiver.calls if SIGNATURE_HEADER.lower() in c.headers]
    assert len(signed) == 2 and len(receiver.calls) == 4
    for call in signed:
        assert verify(call.headers, call.body, ["hook-secret"]) == "sha256"
        assert call.headers["content-type"] == "application/json"


async def test_the_hook_token_works_until_the_hook_answers(
    app: Starlette, api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """The payload token calls the API during the delivery and is refused after the answer."""
    seen: list[int] = []

    async def respond(received: Received) -> Response:
        token = received.payload["rossum_authorization_token"]
        async with client_for(app) as client:
            response = await client.get(
                received.payload["annotation"]["url"], headers={"Authorization": f"Bearer {token}"}
            )
        seen.append(response.status_code)
        return JSONResponse({})

    receiver.respond = respond
    await create_hook(api, events=["annotation_status.changed"])
    await import_invoice(api)
    assert seen == [200]
    token = receiver.calls[0].payload["rossum_authorization_token"]
    after = await api.get("/api/v1/labels", headers={"Authorization": f"Bearer {token}"})
    assert after.status_code == 401


async def test_token_lifetime_keeps_the_token_after_the_answer(
    api: httpx.AsyncClient, receiver: Receiver, clock: FakeClock
) -> None:
    """With `token_lifetime_s` the token outlives the answer until its lifetime ends."""
    await create_hook(api, events=["annotation_status.changed"], token_lifetime_s=60)
    await import_invoice(api)
    headers = {"Authorization": f"Bearer {receiver.calls[0].payload['rossum_authorization_token']}"}
    assert (await api.get("/api/v1/labels", headers=headers)).status_code == 200
    clock.advance(60)
    assert (await api.get("/api/v1/labels", headers=headers)).status_code == 401


async def test_no_token_without_token_owner(api: httpx.AsyncClient, receiver: Receiver) -> None:
    """A hook without `token_owner` gets no `rossum_authorization_token`."""
    await create_hook(api, token_owner=None)
    await import_invoice(api)
    assert all("rossum_authorization_token" not in c.payload for c in receiver.calls)


async def test_non_interactive_events_are_retried_with_the_same_request_id(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """503, 503, then 200: three attempts, one request id, a fresh token each time."""
    receiver.respond = answers(503, 503)
    await create_hook(api, events=["annotation_content.initialize"])
    await import_invoice(api)
    assert len(receiver.calls) == 3
    assert len({c.payload["request_id"] for c in receiver.calls}) == 1
    assert len({c.payload["rossum_authorization_token"] for c in receiver.calls}) == 3
    record = (await api.get("/api/v1/sandbox/deliveries")).json()["results"][0]
    assert [a["status_code"] for a in record["attempts"]] == [503, 503, 200]
    assert record["state"] == "succeeded"


@pytest.mark.parametrize(
    ("config", "status", "attempts"),
    [
        pytest.param({}, 500, 5, id="default-retry-count-4"),
        pytest.param({"retry_count": 0}, 500, 1, id="retries-disabled"),
        pytest.param({"retry_count": 2}, 429, 3, id="retry-count-2"),
        pytest.param({}, 400, 1, id="400-not-retried"),
        pytest.param({"retry_on_any_non_2xx": True, "retry_count": 1}, 400, 2, id="any-non-2xx"),
    ],
)
async def test_retry_policy(
    api: httpx.AsyncClient,
    receiver: Receiver,
    config: dict[str, Any],
    status: int,
    attempts: int,
) -> None:
    """Attempts follow `retry_count` and the retryable statuses (408/429/5xx)."""
    receiver.respond = answer(status)
    await create_hook(api, events=["annotation_status"], config=config)
    await import_invoice(api)
    assert len(receiver.calls) == attempts
    record = (await api.get("/api/v1/sandbox/deliveries")).json()["results"][0]
    assert record["state"] == "failed" and record["status_code"] == status


async def test_timeouts_and_crashes_are_retried(api: httpx.AsyncClient, receiver: Receiver) -> None:
    """A hook that hangs past `timeout_s`, or fails to answer at all, is tried again."""
    behaviours = ["hang", "crash"]

    async def respond(received: Received) -> Response:
        if behaviours:
            if behaviours.pop(0) == "hang":
                await asyncio.Event().wait()
            raise RuntimeError("hook crashed")
        return JSONResponse({})

    receiver.respond = respond
    await create_hook(api, events=["annotation_status"], config={"timeout_s": 0.05})
    await import_invoice(api)
    record = (await api.get("/api/v1/sandbox/deliveries")).json()["results"][0]
    errors = [(a["status_code"], a["error"]) for a in record["attempts"]]
    assert errors == [
        (None, "timeout after 0.05 s"),
        (None, "hook raised RuntimeError"),
        (200, None),
    ]


async def test_interactive_events_are_never_retried(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """A failed `updated` delivery is tried once and turns into an error message."""
    await create_hook(api, events=["annotation_content.updated"])
    ann = await import_invoice(api)
    receiver.respond = answer(503)
    node = datapoints((await api.get(ann["content"])).json()["content"])["currency"]
    response = await api.patch(f"{ann['content']}/{node['id']}", json={"content": {"value": "USD"}})
    assert response.status_code == 200
    assert receiver.events() == ["annotation_content.updated"]
    messages = (await api.get(ann["url"])).json()["messages"]
    assert [m["type"] for m in messages] == ["error"]
    assert messages[0]["detail"]["is_exception"] is True and "503" in messages[0]["content"]


async def test_initialize_answer_is_applied(api: httpx.AsyncClient, receiver: Receiver) -> None:
    """Operations, messages and automation blockers of a 2xx initialize answer take effect."""

    async def respond(received: Received) -> Response:
        nodes = datapoints(received.payload["annotation"]["content"])
        currency = nodes["currency"]["id"]
        return JSONResponse(
            {
                "operations": [
                    {"op": "replace", "id": currency, "value": {"content": {"value": "CZK"}}}
                ],
                "messages": [{"id": currency, "type": "warning", "content": "Currency changed"}],
                "automation_blockers": [{"id": currency, "content": "Check currency"}],
            }
        )

    receiver.respond = respond
    hook = await create_hook(api, events=["annotation_content.initialize"])
    ann = await import_invoice(api)
    assert ann["messages"][0]["content"] == "Currency changed"
    detail = ann["messages"][0]["detail"]
    assert (detail["hook_id"], detail["is_exception"]) == (hook["id"], False)
    nodes = datapoints((await api.get(ann["content"])).json()["content"])
    assert nodes["currency"]["content"]["value"] == "CZK"
    blocker = (await api.get(ann["automation_blocker"])).json()
    assert blocker["content"] == [
        {
            "level": "datapoint",
            "type": "extension",
            "schema_id": "currency",
            "samples": [
                {
                    "datapoint_id": nodes["currency"]["id"],
                    "details": {"content": ["Check currency"]},
                }
            ],
        }
    ]


async def test_failed_answer_keeps_messages_but_not_operations(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """On a non-2xx answer Rossum ignores operations yet shows the messages."""

    async def respond(received: Received) -> Response:
        currency = datapoints(received.payload["annotation"]["content"])["currency"]["id"]
        op = {"op": "replace", "id": currency, "value": {"content": {"value": "CZK"}}}
        body = {"operations": [op], "messages": [{"type": "error", "content": "ERP down"}]}
        return JSONResponse(body, status_code=400)

    receiver.respond = respond
    await create_hook(api, events=["annotation_content.initialize"])
    ann = await import_invoice(api)
    assert [m["content"] for m in ann["messages"]] == ["ERP down"]
    nodes = datapoints((await api.get(ann["content"])).json()["content"])
    assert nodes["currency"]["content"]["value"] == "EUR"


async def test_invalid_operations_in_an_answer_apply_nothing(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """An answer with one bad operation changes nothing and explains why in a message."""

    async def respond(received: Received) -> Response:
        currency = datapoints(received.payload["annotation"]["content"])["currency"]["id"]
        ok = {"op": "replace", "id": currency, "value": {"content": {"value": "CZK"}}}
        return JSONResponse({"operations": [ok, {"op": "remove", "id": currency}]})

    receiver.respond = respond
    await create_hook(api, events=["annotation_content.initialize"])
    ann = await import_invoice(api)
    assert "invalid operations" in ann["messages"][0]["content"]
    nodes = datapoints((await api.get(ann["content"])).json()["content"])
    assert nodes["currency"]["content"]["value"] == "EUR"


async def test_user_edit_delivers_updated_and_answers_after_the_hook(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """A user's edit sends `updated` with the changed ids; the answer shows hook changes."""

    async def respond(received: Received) -> Response:
        nodes = datapoints(received.payload["annotation"]["content"])
        value = nodes["order_id"]["content"]["value"].strip()
        op = {
            "op": "replace",
            "id": nodes["order_id"]["id"],
            "value": {"content": {"value": value}},
        }
        return JSONResponse({"operations": [op]})

    await create_hook(api, events=["annotation_content.updated"])
    ann = await import_invoice(api)
    receiver.respond = respond
    node = datapoints((await api.get(ann["content"])).json()["content"])["order_id"]
    op = {"op": "replace", "id": node["id"], "value": {"content": {"value": "  PO-9 "}}}
    response = await api.post(f"{ann['content']}/operations", json={"operations": [op]})
    assert receiver.calls[0].payload["updated_datapoints"] == [node["id"]]
    after = datapoints(response.json()["content"])["order_id"]
    assert after["content"]["value"] == "PO-9"


async def test_calls_with_a_hook_token_fire_no_events(
    app: Starlette, api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """Status and data changes made with the hook's token deliver nothing (no loops)."""
    done: list[int] = []

    async def respond(received: Received) -> Response:
        if received.payload["action"] != "initialize":
            return JSONResponse({})
        headers = {"Authorization": f"Bearer {received.payload['rossum_authorization_token']}"}
        url = received.payload["annotation"]["url"]
        currency = datapoints(received.payload["annotation"]["content"])["currency"]["id"]
        async with client_for(app) as client:
            edit = {"content": {"value": "GBP"}}
            done.append(
                (
                    await client.patch(f"{url}/content/{currency}", json=edit, headers=headers)
                ).status_code
            )
            done.append(
                (await client.patch(url, json={"metadata": {"x": 1}}, headers=headers)).status_code
            )
        return JSONResponse({})

    receiver.respond = respond
    await create_hook(api)
    await import_invoice(api)
    assert done == [200, 200]
    assert receiver.events() == ["annotation_content.initialize", "annotation_status.changed"]


async def test_status_patch_delivers_status_changed(
    api: httpx.AsyncClient, receiver: Receiver, sandbox: Sandbox
) -> None:
    """A user's status change delivers `annotation_status.changed` with `previous_status`."""
    ann = await import_invoice(api)
    await create_hook(api, events=["annotation_status"])
    await api.patch(ann["url"], json={"status": "postponed"})
    await sandbox.idle()
    payload = receiver.calls[-1].payload["annotation"]
    assert (payload["status"], payload["previous_status"]) == ("postponed", "to_review")


@pytest.mark.parametrize(
    ("export_answer", "final"),
    [
        pytest.param({}, "exported", id="export-ok"),
        pytest.param(
            {"messages": [{"type": "error", "content": "ERP refused"}]},
            "failed_export",
            id="error-message",
        ),
    ],
)
async def test_confirm_runs_the_export_flow(
    api: httpx.AsyncClient,
    receiver: Receiver,
    sandbox: Sandbox,
    export_answer: dict[str, Any],
    final: str,
) -> None:
    """confirm -> `confirm` event, `exporting`, `export` event, then exported or failed."""
    ann = await import_invoice(api)

    async def respond(received: Received) -> Response:
        return JSONResponse(export_answer if received.payload["action"] == "export" else {})

    receiver.respond = respond
    await create_hook(api)
    await api.post(f"/api/v1/annotations/{ann['id']}/confirm")
    await sandbox.idle()
    assert receiver.events() == [
        "annotation_content.confirm",
        "annotation_status.changed",
        "annotation_content.export",
        "annotation_status.changed",
    ]
    assert (await api.get(ann["url"])).json()["status"] == final


async def test_start_delivers_started(api: httpx.AsyncClient, receiver: Receiver) -> None:
    """start sends the interactive `annotation_content.started` with no updated datapoints."""
    ann = await import_invoice(api)
    await create_hook(api, events=["annotation_content.started"])
    await api.post(f"/api/v1/annotations/{ann['id']}/start")
    assert receiver.events() == ["annotation_content.started"]
    assert receiver.calls[0].payload["updated_datapoints"] == []


async def test_run_after_chains_hooks_and_accumulates_updated_datapoints(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """A hook with `run_after` sees its predecessor's operations and changed ids."""
    first = await create_hook(api, name="first", events=["annotation_content.initialize"])
    second = await create_hook(
        api, name="second", events=["annotation_content.initialize"], run_after=[first["url"]]
    )

    async def respond(received: Received) -> Response:
        if received.payload["hook"] != first["url"]:
            return JSONResponse({})
        currency = datapoints(received.payload["annotation"]["content"])["currency"]["id"]
        op = {"op": "replace", "id": currency, "value": {"content": {"value": "CZK"}}}
        return JSONResponse({"operations": [op]})

    receiver.respond = respond
    await import_invoice(api)
    assert [c.payload["hook"] for c in receiver.calls] == [first["url"], second["url"]]
    seen = receiver.calls[1].payload
    currency = datapoints(seen["annotation"]["content"])["currency"]
    assert currency["content"]["value"] == "CZK"
    assert seen["updated_datapoints"] == [currency["id"]]


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"active": False}, id="inactive"),
        pytest.param({"queues": []}, id="no-queue"),
        pytest.param({"events": ["upload.created"]}, id="other-event"),
    ],
)
async def test_unsubscribed_hooks_get_nothing(
    api: httpx.AsyncClient, receiver: Receiver, overrides: dict[str, Any]
) -> None:
    """Inactive hooks, hooks on other queues and other events are not called."""
    await create_hook(api, **overrides)
    await import_invoice(api)
    assert receiver.calls == []


async def test_legacy_user_update_subscribers_get_user_update(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """A hook subscribed to the deprecated `user_update` receives edits under that name."""
    await create_hook(api, events=["annotation_content.user_update"])
    ann = await import_invoice(api)
    node = datapoints((await api.get(ann["content"])).json()["content"])["currency"]
    await api.patch(f"{ann['content']}/{node['id']}", json={"content": {"value": "USD"}})
    assert receiver.events() == ["annotation_content.user_update"]


async def test_sideloads_are_embedded(api: httpx.AsyncClient, receiver: Receiver) -> None:
    """`sideload` adds full labels, queues and schemas objects to the payload."""
    ann = await import_invoice(api)
    label = (await api.post("/api/v1/labels", json={"name": "l"})).json()
    apply = {"operations": {"add": [label["url"]]}, "objects": {"annotations": [ann["url"]]}}
    await api.post("/api/v1/labels/apply", json=apply)
    await create_hook(
        api,
        events=["annotation_content.started"],
        sideload=["labels", "queues", "schemas", "notes"],
    )
    await api.post(f"/api/v1/annotations/{ann['id']}/start")
    payload = receiver.calls[0].payload
    assert payload["labels"] == [label]
    assert payload["queues"][0]["url"] == f"{API}/queues/101"
    assert payload["schemas"][0]["content"][0]["id"] == "invoice_info_section"
    assert payload["notes"] == []


async def test_hook_logs_record_attempts_with_redacted_payloads(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """Logs list each attempt; payloads only with logging on, token and secrets masked."""
    receiver.respond = answers(503)
    logged = await create_hook(
        api,
        events=["annotation_status"],
        secrets={"password": "s3cret"},
        config={"payload_logging_enabled": True},
    )
    quiet = await create_hook(api, name="quiet", events=["annotation_status"])
    ann = await import_invoice(api)
    body = (await api.get(f"/api/v1/hooks/logs?hook={logged['id']}")).json()
    entries = body["results"]
    assert [(e["log_level"], e["status"], e["status_code"]) for e in entries] == [
        ("INFO", "completed", 200),
        ("WARNING", "running", 503),
    ]
    request = entries[0]["request"]
    assert request["rossum_authorization_token"] == "[redacted]"
    assert request["secrets"] == {"password": "[redacted]"}
    assert (entries[0]["annotation_id"], entries[0]["queue_id"]) == (ann["id"], 101)
    assert entries[0]["request_id"] == entries[1]["request_id"]
    quiet_entries = (await api.get(f"/api/v1/hooks/logs?hook={quiet['id']}")).json()["results"]
    assert quiet_entries[0]["request"] is None
    assert "s3cret" not in str(body) and "s3cret" not in str(quiet_entries)


async def test_hook_log_filters(api: httpx.AsyncClient, receiver: Receiver) -> None:
    """Logs filter by level, status, annotation and time; page_size over 100 is a 400."""
    receiver.respond = answers(500)
    await create_hook(api, events=["annotation_status"], config={"retry_count": 0})
    first = await import_invoice(api)
    await import_invoice(api)

    async def count(query: str) -> int:
        response = await api.get(f"/api/v1/hooks/logs?{query}")
        assert response.status_code == 200, response.text
        total: int = response.json()["pagination"]["total"]
        return total

    assert await count("") == 2
    assert await count("log_level=ERROR") == 1
    assert await count("status=completed") == 1
    assert await count(f"annotation={first['id']}") == 1
    assert await count("timestamp_after=2000-01-01T00:00:00Z") == 2
    assert await count("timestamp_before=2000-01-01") == 0
    assert (await api.get("/api/v1/hooks/logs?page_size=101")).status_code == 400
    assert (await api.get("/api/v1/hooks/logs?timestamp_after=yesterday")).status_code == 400


async def test_delivery_log_lines_never_carry_secrets(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """Structured log events of a delivery hold no token, secret or signature."""
    await create_hook(api, secrets={"password": "s3cret"})
    with structlog.testing.capture_logs() as logs:
        await import_invoice(api)
    deliveries = [e for e in logs if e["event"] == "sandbox.delivery"]
    assert len(deliveries) == 2
    token = receiver.calls[0].payload["rossum_authorization_token"]
    text = str(logs)
    for secret in (
        "s3cret",
        "hook-secret",
        token,
        receiver.calls[0].headers[SIGNATURE_HEADER.lower()],
    ):
        assert secret not in text


async def test_deliveries_endpoint_waits_and_filters(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """`?wait=true` returns once idle; `event` and `annotation` filter the records."""
    await create_hook(api)
    ann = await import_invoice(api, wait=False)
    body = (await api.get("/api/v1/sandbox/deliveries?wait=true")).json()
    assert body["idle"] is True and len(body["results"]) == 2
    only = (
        await api.get(
            f"/api/v1/sandbox/deliveries?event=annotation_status.changed&annotation={ann['id']}"
        )
    ).json()["results"]
    assert [(r["event"], r["action"], r["state"]) for r in only] == [
        ("annotation_status", "changed", "succeeded")
    ]
    assert only[0]["answer"] == {} and only[0]["duration_ms"] >= 0
    assert (await api.get("/api/v1/sandbox/deliveries?wait=true&timeout=x")).status_code == 400


async def test_retries_back_off_exponentially_up_to_the_cap(
    make_app: Any, receiver: Receiver
) -> None:
    """Waits between attempts double from `delivery_retry_delay_s`, capped by the maximum."""
    app = make_app(delivery_retry_delay_s=0.2, delivery_retry_max_delay_s=1.0)
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    app.state.sandbox.sleep = record
    receiver.respond = answer(503)
    async with client_for(app) as client:
        client.headers["Authorization"] = (
            f"Bearer {await login(client, 'demo@example.com', 'demo-password')}"
        )
        await create_hook(client, events=["annotation_status"])
        await import_invoice(client)
    assert waits == [0.2, 0.4, 0.8, 1.0]
    assert len(receiver.calls) == 5


class TimeoutSpy(httpx.AsyncBaseTransport):
    """Pass requests to the receiver and keep the httpx timeouts each one carried."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner, self.timeouts = inner, []  # type: list[dict[str, float | None]]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.timeouts.append(dict(request.extensions["timeout"]))
        return await self.inner.handle_async_request(request)


@pytest.mark.parametrize(
    ("events", "config", "expected_s"),
    [
        pytest.param(["annotation_status"], {"timeout_s": 45}, 45.0, id="non-interactive"),
        pytest.param(["annotation_content.initialize"], {}, 30.0, id="default"),
    ],
)
async def test_hook_call_waits_the_hooks_timeout_not_httpx_default(
    receiver: Receiver,
    clock: FakeClock,
    events: list[str],
    config: dict[str, Any],
    expected_s: float,
) -> None:
    """Each phase of the HTTP call may take the whole `timeout_s` (httpx defaults to 5 s)."""
    from sandbox.app import create_sandbox_app
    from sandbox.settings import SandboxSettings

    spy = TimeoutSpy(httpx.ASGITransport(app=receiver.app))
    settings = SandboxSettings(rate_limit_per_s=0, delivery_retry_delay_s=0)
    app = create_sandbox_app(settings, delivery_transport=spy, clock=clock)
    async with app.router.lifespan_context(app), client_for(app) as anon:
        token = await login(anon, "demo@example.com", "demo-password")
        anon.headers["Authorization"] = f"Bearer {token}"
        await create_hook(anon, events=events, config=config)
        await import_invoice(anon)
    assert spy.timeouts, "no hook was called"
    assert {t["read"] for t in spy.timeouts} == {expected_s}
    assert {t["connect"] for t in spy.timeouts} == {expected_s}
