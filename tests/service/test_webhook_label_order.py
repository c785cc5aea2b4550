"""Final label state: ordered by content version, never undone by an older delivery.

The fake API keeps the annotation's real labels (from the `labels/apply` calls made), so each
test checks what a user would see, not only which calls went out. Each runs in-process and in
Redis mode, where a delivery that makes no API write decides without the annotation's lock
and keeps its state by compare-and-set.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from handlers.testing import TIMESTAMP, signed
from tests.service.conftest import FakeRossum, ServiceFactory
from tests.service.kit import SECRET, content_event

HIGH, LOW = {"amount_total": "25000.00"}, {"amount_total": "100.00"}


@pytest.fixture(params=["in-process", "redis"])
def service(request: pytest.FixtureRequest, service: ServiceFactory) -> ServiceFactory:
    """The service factory, in-process or on a real Redis."""
    if request.param == "in-process":
        return service
    return functools.partial(service, redis_url=request.getfixturevalue("redis").url)


def _delivery(values: dict[str, str], *, at: datetime, labels: list[str], **keys: Any) -> bytes:
    payload = content_event(values=values, labels=labels, timestamp=at, rows=0, **keys)
    return signed(payload, SECRET)[1]


def _final(rossum: FakeRossum) -> set[str]:
    """Return the label names on the annotation after every apply the service made."""
    on: set[str] = set()
    for applied in rossum.applied:
        on |= set(applied["operations"].get("add", []))
        on -= set(applied["operations"].get("remove", []))
    return {rossum.name_of(url) for url in on}


async def _send(client: httpx.AsyncClient, *bodies: bytes) -> None:
    for body in bodies:
        headers = signed(body, SECRET)[0]
        response = await client.post("/hooks", content=body, headers=headers)
        assert response.status_code == 200, response.text


async def test_stale_empty_snapshot_does_not_keep_a_label(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """Both built while unlabelled: 25000 then 100. The second removes what the first added."""
    first = _delivery(HIGH, at=TIMESTAMP, labels=[])
    second = _delivery(LOW, at=TIMESTAMP + timedelta(seconds=1), labels=[])
    async with service() as client:
        await _send(client, first, second)
    assert _final(rossum) == set()
    assert len(rossum.applied) == 2


async def test_older_delivery_arriving_last_changes_nothing(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """100 (newer) arrives first, 25000 (older) after: no call for the older one."""
    older = _delivery(HIGH, at=TIMESTAMP, labels=[])
    newer = _delivery(LOW, at=TIMESTAMP + timedelta(seconds=1), labels=[])
    async with service() as client:
        await _send(client, newer, older)
    assert _final(rossum) == set()
    assert rossum.applied == []


async def test_annotation_modified_at_orders_before_the_timestamp(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """A later-sent delivery carrying older content (`modified_at`) does not win."""
    newer = content_event(values=LOW, labels=[], timestamp=TIMESTAMP, rows=0)
    newer["annotation"]["modified_at"] = "2024-05-01T09:29:59.000000Z"
    older = content_event(
        values=HIGH, labels=[], timestamp=TIMESTAMP + timedelta(seconds=5), rows=0
    )
    older["annotation"]["modified_at"] = "2024-05-01T09:29:00.000000Z"
    async with service() as client:
        await _send(client, signed(newer, SECRET)[1], signed(older, SECRET)[1])
    assert rossum.applied == []


async def test_newer_delivery_undoes_an_older_effect(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """Older 25000 adds expedite; newer 100 on the stale snapshot removes it again."""
    async with service() as client:
        await _send(client, _delivery(HIGH, at=TIMESTAMP, labels=[]))
        await _send(client, _delivery(LOW, at=TIMESTAMP + timedelta(seconds=2), labels=[]))
        assert _final(rossum) == set()
        # The user's next edit sees the fresh state: nothing to change, no call.
        before = len(rossum.router.calls)
        await _send(client, _delivery(LOW, at=TIMESTAMP + timedelta(seconds=3), labels=[]))
    assert len(rossum.router.calls) == before


async def test_nothing_changes_no_call_per_delivery(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """After the first apply, deliveries whose snapshot shows the labels make no call."""
    async with service() as client:
        await _send(client, _delivery(HIGH, at=TIMESTAMP, labels=[]))
        expedite = rossum.labels["expedite"]
        calls = len(rossum.router.calls)
        for n in range(1, 6):
            at = TIMESTAMP + timedelta(seconds=n)
            await _send(client, _delivery(HIGH, at=at, labels=[expedite]))
    assert len(rossum.router.calls) == calls
    assert _final(rossum) == {"expedite"}


async def test_label_removed_in_the_ui_is_seen_from_the_next_snapshot(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """Kept state and snapshot disagree (a UI change): the label is sent again, not assumed."""
    async with service() as client:
        await _send(client, _delivery(HIGH, at=TIMESTAMP, labels=[]))
        # The user removed `expedite` in the UI; the next edit's snapshot has no labels.
        await _send(client, _delivery(HIGH, at=TIMESTAMP + timedelta(seconds=1), labels=[]))
    assert len(rossum.applied) == 2
    assert rossum.applied[1]["operations"]["add"] == [rossum.labels["expedite"]]


async def test_failed_apply_leaves_the_label_in_doubt(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """An apply that failed (and may have been done) is sent again, whatever the snapshot says."""
    rossum.add_label("expedite")
    async with service() as client:
        await _send(client, _delivery(LOW, at=TIMESTAMP, labels=[]))  # known absent, no call
        rossum.apply.mock(return_value=httpx.Response(503, json={"detail": "down"}))
        await _send(client, _delivery(HIGH, at=TIMESTAMP + timedelta(seconds=1), labels=[]))
        rossum.apply.mock(side_effect=rossum._apply)
        # The snapshot still says "no labels", but the failed add may have happened.
        await _send(client, _delivery(LOW, at=TIMESTAMP + timedelta(seconds=2), labels=[]))
    assert rossum.applied[-1]["operations"]["remove"] == [rossum.labels["expedite"]]


async def test_older_delivery_answers_without_content_operations(
    service: ServiceFactory, rossum: FakeRossum
) -> None:
    """A stale delivery's replaces would overwrite newer content: its answer has none."""
    newer = _delivery({"currency": "usd"}, at=TIMESTAMP + timedelta(seconds=1), labels=[])
    older = _delivery({"currency": "EUR "}, at=TIMESTAMP, labels=[])
    async with service() as client:
        first = await client.post("/hooks", content=newer, headers=signed(newer, SECRET)[0])
        second = await client.post("/hooks", content=older, headers=signed(older, SECRET)[0])
        fresh = _delivery({"currency": "EUR "}, at=TIMESTAMP + timedelta(seconds=2), labels=[])
        third = await client.post("/hooks", content=fresh, headers=signed(fresh, SECRET)[0])
    assert first.json()["operations"] == [] and second.json()["operations"] == []
    assert [op["value"]["content"]["value"] for op in third.json()["operations"]] == ["eur"]
