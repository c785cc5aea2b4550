"""`POST /hooks/{id}/generate_payload` and `POST /hooks/{id}/test`, as Rossum answers them."""

from __future__ import annotations

import hashlib
import hmac

import httpx
from starlette.responses import JSONResponse, Response

from tests.sandbox.helpers import API, Received, Receiver, create_hook, import_invoice


async def test_generate_payload_builds_the_content_event_with_the_callers_token(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """The payload carries the annotation's content, redacted secrets and the caller's token."""
    hook = await create_hook(
        api, secrets={"password": "s3cret"}, settings={"a": 1}, sideload=["queues"]
    )
    ann = await import_invoice(api, amount_total="12500.00")
    response = await api.post(
        f"{hook['url']}/generate_payload",
        json={"event": "annotation_content", "action": "updated", "annotation": ann["url"]},
    )
    assert response.status_code == 200, response.text
    payload = response.json()
    caller_token = api.headers["Authorization"].split()[1]
    assert payload["rossum_authorization_token"] == caller_token
    assert payload["secrets"] == {"password": "[redacted...]"}
    assert (payload["event"], payload["action"], payload["hook"]) == (
        "annotation_content",
        "updated",
        hook["url"],
    )
    assert payload["settings"] == {"a": 1} and payload["updated_datapoints"] == []
    assert payload["annotation"]["url"] == ann["url"]
    assert payload["annotation"]["status"] == "to_review"
    schema_ids = str(payload["annotation"]["content"])
    assert "amount_total" in schema_ids and "12500.00" in schema_ids
    assert payload["queues"][0]["url"] == f"{API}/queues/101"


async def test_generate_payload_takes_status_and_previous_status(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """`status` and `previous_status` shape a status-change payload; content stays a URL."""
    hook = await create_hook(api)
    ann = await import_invoice(api)
    body = {
        "event": "annotation_status",
        "action": "changed",
        "annotation": ann["url"],
        "status": "exported",
        "previous_status": "exporting",
    }
    payload = (await api.post(f"{hook['url']}/generate_payload", json=body)).json()
    assert (payload["annotation"]["status"], payload["annotation"]["previous_status"]) == (
        "exported",
        "exporting",
    )
    assert isinstance(payload["annotation"]["content"], str)
    invocation = await api.post(
        f"{hook['url']}/generate_payload", json={"event": "invocation", "action": "scheduled"}
    )
    assert set(invocation.json()) >= {"request_id", "hook", "settings", "secrets", "base_url"}


async def test_generate_payload_refuses_bad_requests(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """Unknown events or actions, a missing or foreign annotation, a bad status: 400 or 404."""
    hook = await create_hook(api)
    ann = await import_invoice(api)
    url = f"{hook['url']}/generate_payload"
    cases = [
        ({"event": "document", "action": "x"}, 400, "event"),
        ({"event": "annotation_content", "action": "saved"}, 400, "action"),
        ({"event": "annotation_content", "action": "updated"}, 400, "annotation"),
        ({"event": "annotation_status", "action": "changed", "annotation": 5}, 400, "annotation"),
        (
            {"event": "annotation_status", "action": "changed", "annotation": ann["url"]}
            | {"status": "lost"},
            400,
            "status",
        ),
        ({"event": "email", "action": "received"}, 400, "email"),
    ]
    for body, status, word in cases:
        response = await api.post(url, json=body)
        assert response.status_code == status, (body, response.text)
        assert word in response.json()["detail"]
    missing = {"event": "annotation_content", "action": "started"}
    gone = await api.post(url, json=missing | {"annotation": f"{API}/annotations/999"})
    assert gone.status_code == 404
    assert (await api.post(f"{API}/hooks/999/generate_payload", json=missing)).status_code == 404


async def test_test_sends_the_payload_signed_and_returns_the_answer(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """The payload goes out as sent, signed with the hook's secret; the answer comes back."""
    hook = await create_hook(api)
    ann = await import_invoice(api)
    generated = await api.post(
        f"{hook['url']}/generate_payload",
        json={"event": "annotation_content", "action": "started", "annotation": ann["url"]},
    )
    before = len(receiver.calls)

    async def answer(received: Received) -> Response:
        return JSONResponse({"messages": [{"type": "info", "content": "hello"}], "operations": []})

    receiver.respond = answer
    response = await api.post(f"{hook['url']}/test", json={"payload": generated.json()})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "response": {"messages": [{"type": "info", "content": "hello"}], "operations": []}
    }
    sent = receiver.calls[before:]
    assert len(sent) == 1 and sent[0].payload == generated.json()
    expected = hmac.new(b"hook-secret", sent[0].body, hashlib.sha256).hexdigest()
    assert sent[0].headers["x-rossum-signature-sha256"] == f"sha256={expected}"
    annotation = (await api.get(ann["url"])).json()
    assert annotation["messages"] == ann["messages"]  # nothing of the answer is applied


async def test_test_config_overrides_apply_to_that_call_only(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """`config` in the body (here another secret) is used once; the hook keeps its own."""
    hook = await create_hook(api)
    payload = {"event": "invocation", "action": "manual", "settings": {}}
    body = {"payload": payload, "config": {"secret": "other"}}
    assert (await api.post(f"{hook['url']}/test", json=body)).status_code == 200
    expected = hmac.new(b"other", receiver.calls[-1].body, hashlib.sha256).hexdigest()
    assert receiver.calls[-1].headers["x-rossum-signature-sha256"] == f"sha256={expected}"
    assert (await api.get(hook["url"])).json()["config"]["secret"] == "hook-secret"


async def test_test_reports_a_failing_hook_and_bad_bodies(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """A non-2xx answer is a 400 naming the status; a missing or odd payload is a 400."""
    hook = await create_hook(api)

    async def refuse(received: Received) -> Response:
        return JSONResponse({"detail": "nope", "code": "invalid_signature"}, status_code=401)

    receiver.respond = refuse
    payload = {"event": "annotation_content", "action": "started"}
    failed = await api.post(f"{hook['url']}/test", json={"payload": payload})
    assert failed.status_code == 400 and "HTTP 401" in failed.json()["detail"]
    assert "invalid_signature" in failed.json()["detail"]
    for body in ({}, {"payload": []}, {"payload": {"event": "annotation_content"}}):
        response = await api.post(f"{hook['url']}/test", json=body)
        assert response.status_code == 400 and "payload" in response.json()["detail"]
    bad_config = {"payload": payload, "config": {"timeout_s": 99}}
    assert (await api.post(f"{hook['url']}/test", json=bad_config)).status_code == 400


async def test_viewers_cannot_test_hooks(
    api: httpx.AsyncClient, viewer: httpx.AsyncClient, receiver: Receiver
) -> None:
    """Both tools are POSTs, refused to a read-only user like any other write."""
    hook = await create_hook(api)
    payload = {"event": "invocation", "action": "manual"}
    response = await viewer.post(f"{hook['url']}/test", json={"payload": payload})
    assert response.status_code == 403
