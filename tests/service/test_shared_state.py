"""Cross-delivery state on a real Redis: the rate budget, locks with lease and fencing, the
label cache, and what happens when Redis goes away mid-run and comes back."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from handlers.testing import TIMESTAMP, signed
from service.shared_labels import SharedLabelCache
from service.shared_locks import SharedLocks, _Held, fence
from service.shared_rate import SharedRateCap
from service.shared_store import SharedStore, connect
from service.shared_stores import (
    SharedDeliveryLedger,
    SharedLabelStateStore,
    answer_key,
    read_along,
    state_key,
)
from service.stores import Answer, ContentVersion, LabelState
from tests.redis_server import RedisServer
from tests.service.conftest import FakeRossum, ServiceFactory
from tests.service.kit import ANNOTATION_URL, ORG, SECRET, content_event


@pytest.fixture
async def stores(redis: RedisServer) -> AsyncIterator[tuple[SharedStore, SharedStore]]:
    """Two stores on one Redis, as two replicas have."""
    first, second = SharedStore(connect(redis.url)), SharedStore(connect(redis.url))
    yield first, second
    await first.aclose()
    await second.aclose()


async def test_replicas_share_one_budget_per_host(stores: tuple[SharedStore, SharedStore]) -> None:
    """Alternating reservations from two replicas get slots 1/rate apart; hosts are separate."""
    caps = [SharedRateCap(store, rate=10) for store in stores]
    slots, waits = [], []
    for n in range(20):
        waits.append(await caps[n % 2].reserve("acme.rossum.app"))
        slots.append(time.monotonic() + waits[-1])  # when this request may go
    assert all(b - a == pytest.approx(0.1, abs=0.02) for a, b in itertools.pairwise(slots))
    assert waits[-1] == pytest.approx(1.9, abs=0.05)  # 20 requests take 2 s, whoever sends them
    assert await caps[0].reserve("other.rossum.app") == 0  # another organisation's budget


async def test_lock_serialises_replicas_and_fences_grow(
    stores: tuple[SharedStore, SharedStore],
) -> None:
    """A second replica waits for the first; each holder gets a larger fencing token."""
    a, b = SharedLocks(stores[0], lease_s=5), SharedLocks(stores[1], lease_s=5)
    order: list[str] = []

    async def work(locks: SharedLocks, name: str) -> int | None:
        async with locks.hold(ANNOTATION_URL):
            order.append(f"{name}+")
            await asyncio.sleep(0.05)
            order.append(f"{name}-")
            return fence(ANNOTATION_URL)

    first = asyncio.create_task(work(a, "a"))
    await asyncio.sleep(0.01)
    fences = [await first, await work(b, "b")]
    assert order == ["a+", "a-", "b+", "b-"]
    assert fences[0] is not None and fences[1] == fences[0] + 1


async def test_a_dead_holder_frees_the_annotation_when_its_lease_ends(
    stores: tuple[SharedStore, SharedStore],
) -> None:
    """A holder that never releases (a crashed replica) blocks others only for its lease;
    its late release cannot free the lock that the next holder took."""
    dead, alive = SharedLocks(stores[0], lease_s=0.3), SharedLocks(stores[1], lease_s=5)
    stale, _, _ = await dead._take(ANNOTATION_URL)  # acquired, then the replica "dies"
    assert stale is not None
    started = time.monotonic()
    async with alive.hold(ANNOTATION_URL):
        waited = time.monotonic() - started
        token = fence(ANNOTATION_URL)
        assert token is not None and token > stale
        # The dead replica's late release, with a write riding on it: refused, both.
        late = _Held(stale, None, writes=[(state_key(ANNOTATION_URL), "late", 60_000)])
        await dead._give_back(ANNOTATION_URL, late)
        assert await stores[1].redis.get(f"rossum-hooks:lock:{ANNOTATION_URL}") == str(token)
        assert await stores[1].redis.get(state_key(ANNOTATION_URL)) is None
    assert fence(ANNOTATION_URL) is None  # released: no token outside the block
    assert 0.2 < waited < 1.0


async def test_labels_listed_by_one_replica_are_known_to_the_other(
    stores: tuple[SharedStore, SharedStore], rossum: FakeRossum
) -> None:
    """The second replica resolves a name from the shared listing, with no `GET /labels`."""
    from client import AsyncRossumAPIClient, Token
    from tests.service.kit import API

    rossum.add_label("expedite")
    first, second = SharedLabelCache(stores[0]), SharedLabelCache(stores[1])
    async with AsyncRossumAPIClient(API, Token("t"), transport=rossum.transport) as api:
        journal: list[dict[str, object]] = []
        one = await first.resolve(
            lambda: api, organization=ORG, names={"expedite"}, journal=journal
        )
        created = await first.resolve(
            lambda: api, organization=ORG, names={"urgent"}, create={"urgent"}, journal=journal
        )
        two = await second.resolve(
            lambda: api, organization=ORG, names={"expedite", "urgent"}, journal=[]
        )
    assert rossum.listing.call_count == 2  # the first replica's listing and its pre-create check
    assert two == {**one, **created}


def _samples(text: str) -> dict[str, float]:
    return {
        s.name: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if not s.labels
    }


async def test_redis_stopped_mid_run_keeps_answering_and_readiness_says_so(
    service: ServiceFactory, rossum: FakeRossum, redis: RedisServer
) -> None:
    """Deliveries keep their labels applied with Redis down; /readyz and /metrics say what is
    lost; once Redis is back, shared mode returns."""
    headers, body = signed(content_event(values={"amount_total": "25000"}), SECRET)
    async with service(redis_url=redis.url, requests_per_second=100) as client:
        assert (await client.post("/hooks", content=body, headers=headers)).status_code == 200
        ready = (await client.get("/readyz")).json()
        assert (ready["status"], ready["shared_state"]) == ("ready", "redis")

        redis.stop()
        # A new delivery (a copy of the first would be answered as a duplicate).
        headers, body = signed(content_event(values={"amount_total": "25000"}), SECRET)
        response = await client.post("/hooks", content=body, headers=headers)
        assert response.status_code == 200
        assert not [m for m in response.json()["messages"] if m["type"] == "error"]
        assert len(rossum.applied) == 2  # the labels were still applied, per replica
        ready_response = await client.get("/readyz")
        ready = ready_response.json()
        assert ready_response.status_code == 200
        assert (ready["status"], ready["shared_state"]) == ("degraded", "unavailable")
        assert any("rate budget" in lost for lost in ready["lost"])
        metrics = _samples((await client.get("/metrics")).text)
        assert metrics["rossum_hooks_shared_state_up"] == 0

        redis.start()
        await asyncio.sleep(1.05)  # the store retries Redis one second after a failure
        ready = (await client.get("/readyz")).json()
        assert (ready["status"], ready["shared_state"]) == ("ready", "redis")
        assert (await client.post("/hooks", content=body, headers=headers)).status_code == 200
        metrics = _samples((await client.get("/metrics")).text)
    assert metrics["rossum_hooks_shared_state_up"] == 1


async def test_a_duplicate_is_recognised_by_another_replica(
    stores: tuple[SharedStore, SharedStore],
) -> None:
    """The answer one replica kept is what the other recalls for the same request_id."""
    first, second = SharedDeliveryLedger(stores[0]), SharedDeliveryLedger(stores[1])
    answer = Answer(status=200, body=b'{"messages": []}')
    await first.remember("req-1", answer, ttl_s=60)
    assert await second.recall("req-1") == answer
    assert await second.recall("req-2") is None


async def test_label_state_is_fenced_by_the_annotation_lock(
    stores: tuple[SharedStore, SharedStore],
) -> None:
    """A holder whose lease ran out cannot overwrite the state the next holder wrote."""
    version = ContentVersion(modified=datetime(2026, 1, 1, tzinfo=UTC), sent=datetime.now(UTC))
    old, new = LabelState(version, present=frozenset({"old"})), LabelState(version)
    late, current = SharedLabelStateStore(stores[0]), SharedLabelStateStore(stores[1])
    slow, fast = SharedLocks(stores[0], lease_s=0.1), SharedLocks(stores[1], lease_s=5)

    taken = asyncio.Event()

    async def paused_holder() -> None:
        async with slow.hold(ANNOTATION_URL):
            taken.set()
            await asyncio.sleep(0.3)  # the lease runs out while this holder is paused
            await late.put(ANNOTATION_URL, old, ttl_s=60)  # refused: no longer its lock

    paused = asyncio.create_task(paused_holder())
    await taken.wait()
    async with fast.hold(ANNOTATION_URL):  # taken once the paused holder's lease ends
        await current.put(ANNOTATION_URL, new, ttl_s=60)
        await paused
    assert await current.get(ANNOTATION_URL) == new


async def test_an_unchanged_label_state_is_not_written_again(
    stores: tuple[SharedStore, SharedStore],
) -> None:
    """Reading a state and putting it back unchanged makes no write; a changed one is written."""
    version = ContentVersion(modified=datetime(2026, 1, 1, tzinfo=UTC), sent=datetime.now(UTC))
    states, locks = SharedLabelStateStore(stores[0]), SharedLocks(stores[0], lease_s=5)
    key = f"rossum-hooks:label_state:{ANNOTATION_URL}"
    same = LabelState(version, present=frozenset({"expedite"}))
    async with locks.hold(ANNOTATION_URL):
        await states.put(ANNOTATION_URL, same, ttl_s=60)
    await stores[0].redis.pexpire(key, 30_000)  # a write would set the ttl back to 60 s
    async with locks.hold(ANNOTATION_URL):
        kept = await states.get(ANNOTATION_URL)
        assert kept == same
        await states.put(ANNOTATION_URL, same, ttl_s=60)
    assert await stores[0].redis.pttl(key) <= 30_000
    changed = LabelState(version, absent=frozenset({"expedite"}))
    async with locks.hold(ANNOTATION_URL):
        await states.get(ANNOTATION_URL)
        await states.put(ANNOTATION_URL, changed, ttl_s=60)
    assert await stores[1].redis.pttl(key) > 30_000
    assert await SharedLabelStateStore(stores[1]).get(ANNOTATION_URL) == changed


async def test_the_annotation_lock_reads_its_label_state_along(
    stores: tuple[SharedStore, SharedStore],
) -> None:
    """Taking the lock brings the label state with it: `get` under the lock needs no read."""
    version = ContentVersion(modified=datetime(2026, 1, 1, tzinfo=UTC), sent=datetime.now(UTC))
    kept = LabelState(version, present=frozenset({"expedite"}))
    states = SharedLabelStateStore(stores[0])
    locks = SharedLocks(stores[0], lease_s=5, read_along=read_along)
    async with locks.hold(ANNOTATION_URL):
        await states.put(ANNOTATION_URL, kept, ttl_s=60)
    async with locks.hold(ANNOTATION_URL):
        await stores[1].redis.delete(state_key(ANNOTATION_URL))  # a read now would find none
        assert await states.get(ANNOTATION_URL) == kept  # what the lock read as it was taken
    async with locks.hold(f"request:{ANNOTATION_URL}"):  # a request's lock reads its answer
        assert await states.get(ANNOTATION_URL) is None


async def test_a_label_state_is_swapped_in_only_unlocked_and_as_expected(
    stores: tuple[SharedStore, SharedStore],
) -> None:
    """The compare-and-set writes only while nobody holds the lock and Redis keeps the state
    expected; otherwise it writes nothing and says why (the lock, or the state kept)."""
    version = ContentVersion(modified=datetime(2026, 1, 1, tzinfo=UTC), sent=datetime.now(UTC))
    first = LabelState(version, present=frozenset({"expedite"}))
    second = LabelState(version, absent=frozenset({"expedite"}))
    one, other = SharedLabelStateStore(stores[0]), SharedLabelStateStore(stores[1])
    assert (await one.swap(ANNOTATION_URL, None, first, ttl_s=60)).done
    assert await other.get(ANNOTATION_URL) == first
    assert await other.hint(ANNOTATION_URL) is None  # the other replica has seen nothing yet
    refused = await other.swap(ANNOTATION_URL, None, second, ttl_s=60)
    assert (refused.done, refused.held, refused.kept) == (False, False, first)
    assert await other.hint(ANNOTATION_URL) == first  # what it learnt from the refusal
    async with SharedLocks(stores[0], lease_s=5).hold(ANNOTATION_URL):
        held = await other.swap(ANNOTATION_URL, first, second, ttl_s=60)
        assert (held.done, held.held) == (False, True)
    assert await one.get(ANNOTATION_URL) == first
    key = state_key(ANNOTATION_URL)
    await stores[0].redis.pexpire(key, 30_000)
    assert (await other.swap(ANNOTATION_URL, first, first, ttl_s=60)).done
    assert await stores[0].redis.pttl(key) <= 30_000  # unchanged: checked, not written
    assert (await other.swap(ANNOTATION_URL, first, second, ttl_s=60)).done
    assert await one.get(ANNOTATION_URL) == second


def _fences_taken(redis: RedisServer) -> int:
    import redis as redis_py

    with redis_py.Redis.from_url(redis.url) as client:
        return int(client.get(f"rossum-hooks:fence:{ANNOTATION_URL}") or 0)


async def test_a_delivery_that_calls_nothing_takes_no_lock_but_waits_for_a_holder(
    service: ServiceFactory, rossum: FakeRossum, redis: RedisServer
) -> None:
    """Labels already right: the delivery keeps its newer version without the lock. While
    another replica holds the annotation, it waits for that holder and then reads its state."""
    high = {"amount_total": "25000"}
    at = TIMESTAMP
    first = signed(content_event(values=high, labels=[], timestamp=at, rows=0), SECRET)
    async with service(redis_url=redis.url) as client:
        assert (await client.post("/hooks", content=first[1], headers=first[0])).status_code == 200
        assert len(rossum.applied) == 1 and _fences_taken(redis) == 1  # an apply: locked
        expedite = rossum.labels["expedite"]
        steady = content_event(values=high, labels=[expedite], timestamp=at + timedelta(seconds=1))
        headers, body = signed(steady, SECRET)
        assert (await client.post("/hooks", content=body, headers=headers)).status_code == 200
        assert len(rossum.applied) == 1 and _fences_taken(redis) == 1  # no call, no lock
        states = SharedLabelStateStore(store := SharedStore(connect(redis.url)))
        kept = await states.get(ANNOTATION_URL)
        assert kept is not None and kept.version.sent == at + timedelta(seconds=1)

        newer = content_event(values=high, labels=[expedite], timestamp=at + timedelta(seconds=3))
        headers, body = signed(newer, SECRET)
        async with SharedLocks(store, lease_s=5).hold(ANNOTATION_URL):  # another replica
            waiting = asyncio.create_task(client.post("/hooks", content=body, headers=headers))
            await asyncio.sleep(0.2)
            assert not waiting.done()  # no swap past a held lock
            # What the holder keeps: a newer version than the waiting delivery's.
            later = ContentVersion(modified=at + timedelta(seconds=5), sent=at)
            await states.put(ANNOTATION_URL, LabelState(later), ttl_s=60)
        response = await waiting
        await store.aclose()
    assert response.status_code == 200 and response.json()["operations"] == []  # stale now
    assert len(rossum.applied) == 1


async def test_a_replica_that_saw_nothing_decides_on_what_another_kept(
    service: ServiceFactory, rossum: FakeRossum, redis: RedisServer
) -> None:
    """An older delivery reaching a replica that never saw the annotation is still stale:
    the swap answers the newer state another replica kept."""
    values = {"currency": "EUR "}
    newer = content_event(values=values, timestamp=TIMESTAMP + timedelta(seconds=1), rows=0)
    older = content_event(values=values, timestamp=TIMESTAMP, rows=0)
    newer, older = signed(newer, SECRET), signed(older, SECRET)
    async with service(redis_url=redis.url) as one, service(redis_url=redis.url) as two:
        first = await one.post("/hooks", content=newer[1], headers=newer[0])
        second = await two.post("/hooks", content=older[1], headers=older[0])
    assert [op["value"]["content"]["value"] for op in first.json()["operations"]] == ["eur"]
    assert second.status_code == 200 and second.json()["operations"] == []
    assert _fences_taken(redis) == 0  # neither needed the lock


async def test_a_request_lock_reads_its_answer_along_and_writes_it_on_release(
    stores: tuple[SharedStore, SharedStore],
) -> None:
    """Under the request's lock the kept answer comes with the lock and a new one is written
    by the release (one round trip each way); a task started under the lock writes its own."""
    ledger = SharedDeliveryLedger(stores[0])
    locks = SharedLocks(stores[0], lease_s=5, read_along=read_along)
    answer = Answer(status=200, body=b'{"messages": []}')
    other = SharedDeliveryLedger(stores[1])
    async with locks.hold("request:req-1"):
        assert await ledger.recall("req-1") is None
        await ledger.remember("req-1", answer, ttl_s=60)
        assert await other.recall("req-1") is None  # not yet: it rides on the release
    assert await other.recall("req-1") == answer
    # A task started under the lock (an asynchronous job) inherits the context, not the lock.
    async with locks.hold("request:req-job"):
        job = asyncio.create_task(_remember_after(asyncio.sleep(0.05), ledger))
    await job
    assert await other.recall("req-job") == answer
    await other.remember("req-2", answer, ttl_s=60)
    async with locks.hold("request:req-2"):
        await stores[1].redis.delete(answer_key("req-2"))  # a read now would find none
        assert await ledger.recall("req-2") == answer  # what the lock read as it was taken


async def _remember_after(before: Awaitable[None], ledger: SharedDeliveryLedger) -> None:
    await before  # the lock it was started under is released by now
    await ledger.remember("req-job", Answer(status=200, body=b'{"messages": []}'), ttl_s=60)


async def test_a_write_on_release_is_fenced(stores: tuple[SharedStore, SharedStore]) -> None:
    """An answer remembered by a holder whose lease ran out is not written at its release."""
    slow, fast = SharedLocks(stores[0], lease_s=0.1), SharedLocks(stores[1], lease_s=5)
    ledger = SharedDeliveryLedger(stores[0])
    async with slow.hold("request:req-1"):
        await asyncio.sleep(0.3)  # the lease runs out; another replica takes the request
        done = asyncio.Event()
        other = asyncio.create_task(_hold_until(fast, "request:req-1", done))
        await asyncio.sleep(0.1)
        await ledger.remember("req-1", Answer(status=200, body=b"{}"), ttl_s=60)
    assert await stores[1].redis.get(answer_key("req-1")) is None
    done.set()
    await other


async def _hold_until(locks: SharedLocks, key: str, done: asyncio.Event) -> None:
    async with locks.hold(key):
        await done.wait()
