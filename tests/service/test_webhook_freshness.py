"""Freshness: deliveries dated outside the window are refused before any rule runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import structlog

from handlers.decision import Decision
from handlers.events import HookEvent
from handlers.routing import Router
from handlers.testing import signed
from tests.service.conftest import FakeRossum, ServiceFactory
from tests.service.kit import SECRET, content_event


def _counting_router(seen: list[str]) -> Router:
    router = Router()

    def rule(event: HookEvent) -> Decision:
        seen.append(event.action)
        return Decision(add_labels={"seen"})

    router.add(rule, "annotation_content")
    return router


@pytest.mark.parametrize(
    "timestamp",
    [
        pytest.param(datetime(2019, 6, 1, tzinfo=UTC), id="2019"),
        pytest.param(datetime.now(UTC) + timedelta(days=365), id="a-year-ahead"),
        pytest.param(datetime.now(UTC) - timedelta(seconds=700), id="just-outside"),
    ],
)
async def test_delivery_outside_the_window_is_refused_before_rules(
    service: ServiceFactory, rossum: FakeRossum, timestamp: datetime
) -> None:
    """400 `timestamp_out_of_window` JSON; no rule ran, no API call, the log line says so."""
    seen: list[str] = []
    headers, body = signed(content_event(timestamp=timestamp), SECRET)
    async with service(router=_counting_router(seen), timestamp_window_s=600) as client:
        with structlog.testing.capture_logs() as logs:
            response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["code"] == "timestamp_out_of_window"
    assert "ROSSUM_HOOKS_TIMESTAMP_WINDOW_S" in response.json()["detail"]
    assert seen == [] and not rossum.router.calls
    (line,) = [entry for entry in logs if entry["event"] == "webhook.handled"]
    assert line["outcome"] == "timestamp_out_of_window"


@pytest.mark.parametrize("offset_s", [-590, 0, 590])
async def test_delivery_inside_the_window_is_handled(
    service: ServiceFactory, rossum: FakeRossum, offset_s: int
) -> None:
    """Within ±600 s (retries, clock skew) the delivery is ruled on and carried out."""
    seen: list[str] = []
    timestamp = datetime.now(UTC) + timedelta(seconds=offset_s)
    headers, body = signed(content_event(timestamp=timestamp), SECRET)
    async with service(router=_counting_router(seen), timestamp_window_s=600) as client:
        response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code == 200
    assert seen == ["updated"] and len(rossum.applied) == 1


async def test_window_is_on_by_default_and_off_explicitly(service: ServiceFactory) -> None:
    """The default settings refuse an old delivery; `timestamp_window_s=None` accepts it."""
    headers, body = signed(content_event(timestamp=datetime(2020, 1, 1, tzinfo=UTC)), SECRET)
    async with service(timestamp_window_s=600) as client:
        refused = await client.post("/hooks", content=body, headers=headers)
    async with service(timestamp_window_s=None) as client:
        accepted = await client.post("/hooks", content=body, headers=headers)
    assert (refused.status_code, accepted.status_code) == (400, 200)
