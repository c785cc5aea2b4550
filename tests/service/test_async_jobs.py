"""Asynchronous mode: 202 + Location now, the work in the background, the result polled."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import structlog

from handlers.decision import Decision
from handlers.events import UploadEvent
from handlers.routing import Router
from handlers.testing import signed, upload_payload
from service.settings import ConfigError
from tests.service.conftest import FakeRossum, ServiceFactory, settings
from tests.service.kit import SECRET, content_event, status_event

router = Router()


@router.register("upload", "created")
def skip_word_files(event: UploadEvent) -> Decision:
    """Prevent importing every uploaded file that is not a PDF."""
    files = [
        {"document": f.document, "prevent_importing": not str(f.document).endswith("1")}
        for f in event.files
    ]
    return Decision(files=files)


@router.register("annotation_status")
def label_changed(event: Any) -> Decision:
    """Label every annotation whose status changed (an API call)."""
    return Decision(add_labels={"seen"})


@router.register("annotation_content", ("initialize", "updated"))
def label_content(event: Any) -> Decision:
    """Label every annotation on content events (an API call)."""
    return Decision(add_labels={"content"})


async def deliver(client: httpx.AsyncClient, payload: dict[str, Any]) -> httpx.Response:
    headers, body = signed(payload, SECRET)
    return await client.post("/hooks", content=body, headers=headers)


async def poll_until_done(client: httpx.AsyncClient, location: str) -> httpx.Response:
    for _ in range(200):
        response = await client.get(location)
        if response.status_code != 202:
            return response
        await asyncio.sleep(0.01)
    raise AssertionError("the asynchronous delivery did not finish")


def gate(rossum: FakeRossum) -> asyncio.Event:
    """Hold every `labels/apply` call until the returned event is set."""
    release = asyncio.Event()
    answer = rossum.apply.side_effect

    async def held(request: httpx.Request) -> httpx.Response:
        await release.wait()
        response: httpx.Response = answer(request)
        return response

    rossum.apply.mock(side_effect=held)
    return release


async def test_an_async_event_is_answered_202_and_its_result_polled(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """202 with an unguessable Location; polls get 202 while running, then 201 and the answer."""
    release = gate(rossum)
    async with service(router=router, async_events=("annotation_status",)) as client:
        accepted = await deliver(client, status_event())
        assert accepted.status_code == 202
        location = accepted.headers["location"]
        assert location.startswith("http://service/hooks/results/")
        assert len(location.rsplit("/", 1)[1]) >= 43  # 256 random bits
        running = await client.get(location)
        assert running.status_code == 202 and rossum.applied == []
        release.set()
        done = await poll_until_done(client, location)
        assert done.status_code == 201 and done.json() == {}
        assert len(rossum.applied) == 1  # the label was applied in the background
        assert (await client.get(location)).status_code == 201  # kept until it expires


async def test_an_upload_answer_arrives_through_the_poll(service: ServiceFactory) -> None:
    """The polled body is the answer Rossum would have got synchronously."""
    payload = upload_payload(file_names=("a.pdf", "b.docx"))
    async with service(router=router, async_events=("upload.created",)) as client:
        accepted = await deliver(client, payload)
        done = await poll_until_done(client, accepted.headers["location"])
    expected = [
        {"document": f["document"], "prevent_importing": not f["document"].endswith("1")}
        for f in payload["files"]
    ]
    assert done.status_code == 201 and done.json() == {"files": expected}


async def test_a_retried_call_after_success_is_answered_from_the_result(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """Rossum retries the call after a polling failure: the finished answer comes back, 200."""
    payload = status_event()
    async with service(router=router, async_events=("annotation_status",)) as client:
        accepted = await deliver(client, payload)
        await poll_until_done(client, accepted.headers["location"])
        again = await deliver(client, payload)
    assert again.status_code == 200 and again.json() == {}
    assert len(rossum.applied) == 1


async def test_a_failed_job_polls_as_a_failure_so_rossum_retries(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """API failures end in 424 with the JSON error (a polling failure, not a retried poll)."""
    rossum.apply.mock(return_value=httpx.Response(400, json={"detail": "no", "code": "bad"}))
    with structlog.testing.capture_logs() as logs:
        async with service(router=router, async_events=("annotation_status",)) as client:
            accepted = await deliver(client, status_event())
            done = await poll_until_done(client, accepted.headers["location"])
    assert done.status_code == 424 and done.json()["code"] == "actions_failed"
    handled = [line for line in logs if line["event"] == "webhook.handled"]
    (finished,) = [line for line in logs if line["event"] == "webhook.async_done"]
    assert [(h["status"], h["outcome"]) for h in handled] == [(202, "accepted")]
    assert (finished["status"], finished["outcome"]) == (424, "actions_failed")
    assert finished["api_calls"] >= 1 and handled[0]["api_calls"] == 0


async def test_only_the_named_non_interactive_actions_go_async(service: ServiceFactory) -> None:
    """`annotation_content.initialize` goes async; `updated` (interactive) is answered at once."""
    events = ("annotation_content.initialize",)
    async with service(router=router, async_events=events) as client:
        initialize = await deliver(client, content_event("initialize"))
        updated = await deliver(client, content_event("updated"))
        status = await deliver(client, status_event())
    assert initialize.status_code == 202
    assert updated.status_code == 200 and "messages" in updated.json()
    assert status.status_code == 200


async def test_capacity_unknown_ids_and_expiry(service: ServiceFactory, rossum: FakeRossum) -> None:
    """Past `async_max_jobs` a delivery gets 503; unknown and expired results are 404."""
    release = gate(rossum)
    options = {"async_events": ("annotation_status",), "async_max_jobs": 1}
    async with service(router=router, async_result_ttl_s=0.05, **options) as client:
        first = await deliver(client, status_event())
        second = await deliver(client, status_event())
        assert (first.status_code, second.status_code) == (202, 503)
        assert second.json()["code"] == "async_capacity"
        release.set()
        assert (await poll_until_done(client, first.headers["location"])).status_code == 201
        await asyncio.sleep(0.1)
        assert (await client.get(first.headers["location"])).status_code == 404
        unknown = await client.get("/hooks/results/" + "x" * 43)
        assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"


async def test_location_uses_the_public_url_and_results_404_when_off(
    service: ServiceFactory,
) -> None:
    """`PUBLIC_URL` names where Rossum polls; without async events the path is a plain 404."""
    public = {"public_url": "https://hooks.example.com/", "async_events": ("annotation_status",)}
    async with service(router=router, **public) as client:
        accepted = await deliver(client, status_event())
        assert accepted.headers["location"].startswith("https://hooks.example.com/hooks/results/")
    async with service(router=router) as client:
        response = await client.get("/hooks/results/anything")
    assert response.status_code == 404 and json.loads(response.content)["code"] == "not_found"


@pytest.mark.parametrize(
    "names", [("annotation_content.updated",), ("invocation.manual",), ("annotation_content",)]
)
def test_interactive_or_ambiguous_events_cannot_go_async(names: tuple[str, ...]) -> None:
    """Rossum polls only non-interactive events: anything else is a configuration error."""
    with pytest.raises(ConfigError, match="ASYNC_EVENTS"):
        settings(async_events=names).check()


def test_async_events_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The setting is a comma-separated list."""
    monkeypatch.setenv("ROSSUM_HOOKS_ASYNC_EVENTS", "upload.created, annotation_status")
    assert settings().async_events == ("upload.created", "annotation_status")
