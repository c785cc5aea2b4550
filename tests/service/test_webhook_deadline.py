"""Answering in time and failing safely: deadline, API failures, per-annotation ordering."""

from __future__ import annotations

import asyncio
import json

import httpx

from handlers.decision import Decision
from handlers.routing import Router
from handlers.testing import TOKEN, signed
from tests.service.conftest import FakeRossum, ServiceFactory
from tests.service.kit import ANNOTATION_URL, API, SECRET, content_event, status_event

EXPENSIVE = {"amount_total": "25000.00"}


def _labeller(name: str = "vip") -> Router:
    router = Router()
    router.add(lambda e: Decision(add_labels={name}), "annotation_status")
    return router


def _hang(rossum: FakeRossum) -> asyncio.Event:
    """Make label listing hang until the returned event is set."""
    release = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return httpx.Response(200, json={"pagination": {"next": None}, "results": []})

    rossum.router.get("/labels").mock(side_effect=slow)
    return release


async def test_slow_api_on_content_event_answers_200_with_error_message(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """A content event whose API work overruns the deadline still gets its answer, plus an error."""
    release = _hang(rossum)
    headers, body = signed(
        content_event("updated", values={**EXPENSIVE, "currency": "EUR"}), SECRET
    )
    async with service(delivery_deadline_s=0.05) as client:
        response = await client.post("/hooks", content=body, headers=headers)
    release.set()
    assert response.status_code == 200
    answer = response.json()
    assert any(m["type"] == "error" and "in time" in m["content"] for m in answer["messages"])
    assert answer["operations"], "the rules' operations are still returned for Rossum to apply"


async def test_slow_api_on_non_interactive_event_answers_503(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """A status event whose API work overruns the deadline answers 503 so Rossum retries."""
    release = _hang(rossum)
    headers, body = signed(status_event(), SECRET)
    async with service(delivery_deadline_s=0.05, router=_labeller()) as client:
        response = await client.post("/hooks", content=body, headers=headers)
    release.set()
    assert response.status_code == 503
    assert response.json()["code"] == "deadline_exceeded"


async def test_failed_actions_on_non_interactive_event_answer_503(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """An API refusal on a status event answers 503 (Rossum retries; actions are idempotent)."""
    rossum.apply.mock(
        return_value=httpx.Response(403, json={"detail": "no", "code": "access_forbidden"})
    )
    headers, body = signed(status_event(), SECRET)
    async with service(router=_labeller()) as client:
        response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code == 503
    assert response.json()["code"] == "actions_failed"


async def test_failed_actions_on_content_event_answer_200_with_error(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """An API refusal on a content event keeps the answer and adds an error message."""
    rossum.apply.mock(
        return_value=httpx.Response(403, json={"detail": "no", "code": "access_forbidden"})
    )
    headers, body = signed(content_event("updated", values=EXPENSIVE), SECRET)
    async with service() as client:
        response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code == 200
    assert any(
        "failed" in m["content"] for m in response.json()["messages"] if m["type"] == "error"
    )


async def test_retryable_api_failure_is_retried_then_answered_503(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """A Rossum 503 is retried by the client (without real sleeps), then the delivery gets 503."""
    rossum.apply.mock(return_value=httpx.Response(503, json={"detail": "down", "code": "x"}))
    headers, body = signed(status_event(), SECRET)
    async with service(router=_labeller()) as client:
        response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code == 503
    assert rossum.apply.call_count == len(rossum.waits) + 1 > 1


async def test_missing_token_on_non_content_event_is_a_clear_400(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """API work without a hook token or own credentials is refused with missing_credentials."""
    headers, body = signed(status_event(extra={"rossum_authorization_token": None}), SECRET)
    async with service(router=_labeller()) as client:
        response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == "missing_credentials"
    assert not rossum.router.calls


async def test_own_credentials_are_used_when_configured(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """With ROSSUM_HOOKS_API_TOKEN set, calls carry that token instead of the hook's."""
    headers, body = signed(status_event(extra={"rossum_authorization_token": None}), SECRET)
    async with service(router=_labeller(), api_token="own-token-1", api_base_url=API) as client:
        response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code == 200
    assert rossum.router.calls
    assert all(
        c.request.headers["authorization"].endswith("own-token-1") for c in rossum.router.calls
    )


async def test_hook_token_is_sent_to_the_payload_base_url(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """Without own credentials, calls go to base_url/api/v1 with the hook's token."""
    headers, body = signed(status_event(), SECRET)
    async with service(router=_labeller()) as client:
        await client.post("/hooks", content=body, headers=headers)
    for call in rossum.router.calls:
        assert str(call.request.url).startswith(f"{API}/")
        assert call.request.headers["authorization"] == f"Bearer {TOKEN}"


async def test_deliveries_for_one_annotation_are_applied_one_after_another(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """Concurrent deliveries for one annotation never overlap; other annotations may."""
    rossum.add_label("vip")
    in_flight: dict[str, int] = {}
    peak: dict[str, int] = {}

    async def apply(request: httpx.Request) -> httpx.Response:
        (annotation,) = json.loads(request.content)["objects"]["annotations"]
        in_flight[annotation] = in_flight.get(annotation, 0) + 1
        peak[annotation] = max(peak.get(annotation, 0), in_flight[annotation])
        for _ in range(20):  # yield repeatedly so an unserialised second call would overlap
            await asyncio.sleep(0)
        in_flight[annotation] -= 1
        return httpx.Response(200, json={})

    rossum.apply.mock(side_effect=apply)
    same = [signed(status_event(), SECRET) for _ in range(3)]
    other = signed(status_event(annotation_id=999), SECRET)
    async with service(router=_labeller()) as client:
        results = await asyncio.gather(
            *(client.post("/hooks", content=b, headers=h) for h, b in [*same, other])
        )
    assert [r.status_code for r in results] == [200] * 4
    assert rossum.apply.call_count == 4
    assert peak == {ANNOTATION_URL: 1, f"{API}/annotations/999": 1}


async def test_failed_actions_on_initialize_answer_503_so_rossum_retries(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """`initialize` is a content event Rossum retries: a failed label apply answers 503."""
    rossum.apply.mock(return_value=httpx.Response(503, json={"detail": "down", "code": "error"}))
    headers, body = signed(content_event("initialize", values=EXPENSIVE), SECRET)
    async with service() as client:
        response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code == 503
    assert response.json()["code"] == "actions_failed"


async def test_slow_api_on_export_answers_503(service: ServiceFactory, rossum: FakeRossum) -> None:
    """`export` past the deadline answers 503 instead of an error message that fails the export."""
    release = _hang(rossum)
    router = Router()
    router.add(lambda e: Decision(add_labels={"exported"}), "annotation_content", "export")
    headers, body = signed(content_event("export"), SECRET)
    async with service(delivery_deadline_s=0.05, router=router) as client:
        response = await client.post("/hooks", content=body, headers=headers)
    release.set()
    assert response.status_code == 503
    assert response.json()["code"] == "deadline_exceeded"
