"""The in-process stores: expiry, bounds, and the string forms a shared store keeps."""

from __future__ import annotations

from datetime import UTC, datetime

from service.stores import (
    Answer,
    ContentVersion,
    LabelState,
    MemoryDeliveryLedger,
    MemoryLabelStateStore,
)


class Clock:
    """A settable monotonic clock."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


T1 = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
T2 = datetime(2024, 5, 1, 9, 31, tzinfo=UTC)


async def test_ledger_recalls_within_the_window_only() -> None:
    """An answer is recalled until its ttl passes, then forgotten."""
    clock = Clock()
    ledger = MemoryDeliveryLedger(clock=clock)
    await ledger.remember("r1", Answer(200, b'{"messages":[]}'), ttl_s=60)
    assert await ledger.recall("r1") == Answer(200, b'{"messages":[]}')
    assert await ledger.recall("r2") is None
    clock.now += 61
    assert await ledger.recall("r1") is None and len(ledger) == 0


async def test_ledger_stays_bounded() -> None:
    """Past `max_entries` the oldest answers go first."""
    ledger = MemoryDeliveryLedger(max_entries=3)
    for n in range(5):
        await ledger.remember(f"r{n}", Answer(200, b"{}"), ttl_s=60)
    assert len(ledger) == 3
    assert await ledger.recall("r1") is None and await ledger.recall("r4") is not None


async def test_label_states_expire() -> None:
    """A kept label state is gone after its ttl."""
    clock = Clock()
    store = MemoryLabelStateStore(clock=clock)
    state = LabelState(version=ContentVersion(T1, T1), present=frozenset({"expedite"}))
    await store.put("ann", state, ttl_s=10)
    assert await store.get("ann") == state
    clock.now += 11
    assert await store.get("ann") is None


def test_values_round_trip_through_their_string_form() -> None:
    """`to_json`/`from_json` keep every field (what a shared store writes and reads)."""
    answer = Answer(200, '{"messages":[{"content":"Æ"}]}'.encode())
    assert Answer.from_json(answer.to_json()) == answer
    state = LabelState(
        version=ContentVersion(T1, T2),
        present=frozenset({"expedite"}),
        absent=frozenset({"missing-po", "due-soon"}),
        doubtful=frozenset({"vip"}),
    )
    assert LabelState.from_json(state.to_json()) == state


def test_versions_order_by_modified_then_sent() -> None:
    """Content modified later is newer, whatever the send times; ties go by send time."""
    assert ContentVersion(T1, T2) < ContentVersion(T2, T1)
    assert ContentVersion(T1, T1) < ContentVersion(T1, T2)
