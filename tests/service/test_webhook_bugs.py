"""True bugs: never a trace to Rossum; content events keep a usable 200 answer."""

from __future__ import annotations

import json

import structlog

from handlers.decision import Decision
from handlers.events import HookEvent
from handlers.routing import Router
from handlers.testing import TOKEN, signed
from tests.service.conftest import ServiceFactory
from tests.service.kit import SECRET, content_event, status_event


class BrokenRouter(Router):
    """A router whose dispatch itself crashes (a bug outside any rule)."""

    def dispatch(self, event: HookEvent) -> Decision:
        raise RuntimeError(f"boom while holding {event.rossum_authorization_token}")


async def test_bug_on_content_event_answers_200_with_error_message(service: ServiceFactory) -> None:
    """A crash while handling a content event becomes an error message in a 200 answer."""
    headers, body = signed(content_event("updated"), SECRET)
    async with service(router=BrokenRouter()) as client:
        with structlog.testing.capture_logs() as logs:
            response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code == 200
    (message,) = response.json()["messages"]
    assert message["type"] == "error" and "failed unexpectedly" in message["content"]
    assert response.json()["operations"] == []
    bug = next(e for e in logs if e["event"] == "webhook.bug")
    assert bug["error_type"] == "RuntimeError" and bug["frames"]
    assert TOKEN not in json.dumps(logs, default=str)
    assert TOKEN not in response.text


async def test_bug_on_other_event_answers_json_500(service: ServiceFactory) -> None:
    """A crash on a non-content event answers a JSON 500 without a trace or the message."""
    headers, body = signed(status_event(), SECRET)
    async with service(router=BrokenRouter()) as client:
        with structlog.testing.capture_logs() as logs:
            response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error", "code": "internal_error"}
    (line,) = [e for e in logs if e["event"] == "webhook.handled"]
    assert (line["outcome"], line["status"]) == ("internal_error", 500)


async def test_failing_rule_is_logged_and_others_still_apply(service: ServiceFactory) -> None:
    """A rule that raises is logged by name; the other rules' decisions still go out."""
    router = Router()

    @router.register("annotation_content", "updated")
    def broken(event: HookEvent) -> Decision:
        raise ValueError("bad setting")

    @router.register("annotation_content", "updated")
    def fine(event: HookEvent) -> Decision:
        return Decision(messages=[])

    headers, body = signed(content_event("updated"), SECRET)
    async with service(router=router) as client:
        with structlog.testing.capture_logs() as logs:
            response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code == 200
    assert any("broken" in m["content"] for m in response.json()["messages"])
    failed = [e for e in logs if e["event"] == "webhook.rule_failed"]
    assert failed == [
        {
            "event": "webhook.rule_failed",
            "rule": "broken",
            "error_type": "ValueError",
            "log_level": "error",
        }
    ]
    (line,) = [e for e in logs if e["event"] == "webhook.handled"]
    assert line["outcome"] == "rule_failed"
