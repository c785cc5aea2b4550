"""State kept across deliveries, behind three small async interfaces.

- `DeliveryLedger`: answers already given, by `request_id`, for the duplicate window.
- `LabelStateStore`: per annotation, the newest content version acted on and the labels this
  service made present or absent then.
- `AnnotationLocks`: one holder at a time per annotation.
- `LabelStateSwap` (optional, shared stores): a compare-and-set of the label state made
  without holding the lock, for deliveries that call nothing (see `service.executor`).

The in-process implementations (below, and `service.locks.KeyedLocks`) are the default; a
shared store (e.g. Redis, for several replicas) implements the same protocols. The contract a
shared store must keep:

- `LabelStateStore.get` and `put` for an annotation are only called while its lock from
  `AnnotationLocks.hold` is held, so a plain get/put needs no compare-and-set of its own.
- `LabelStateSwap.swap` is called without the lock: it must write only if, in one atomic
  step, nobody holds the annotation's lock and the state kept is exactly the one expected.
- Values cross the interface as the frozen dataclasses below; `Answer.to_json`,
  `LabelState.to_json` and their `from_json` give a string form for a store that keeps bytes.
- Entries expire after the `ttl_s` given to the write; reading an expired entry returns None.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, Protocol, TypeVar, runtime_checkable

V = TypeVar("V")

# Bounds of the in-process stores: beyond these the oldest entries go first.
MAX_ENTRIES = 100_000


@dataclass(frozen=True, slots=True)
class Answer:
    """The HTTP answer given to a delivery: status and JSON body, replayed to a duplicate."""

    status: int
    body: bytes

    def to_json(self) -> str:
        """Return the answer as one JSON string (the body is JSON text already)."""
        return json.dumps({"status": self.status, "body": self.body.decode()})

    @classmethod
    def from_json(cls, text: str | bytes) -> Answer:
        """Rebuild an answer from `to_json`'s output."""
        data = json.loads(text)
        return cls(status=int(data["status"]), body=str(data["body"]).encode())


@dataclass(frozen=True, slots=True, order=True)
class ContentVersion:
    """The content version a delivery carries: ordered by `modified`, then `sent`.

    `modified` is the annotation's `modified_at` when the payload has one, else the delivery's
    `timestamp`; `sent` is always the `timestamp` (when Rossum built the payload).
    """

    modified: datetime
    sent: datetime

    def to_json(self) -> list[str]:
        """Return both instants as ISO strings in UTC (one text per version: states compare
        by text in a shared store's compare-and-set)."""
        return [self.modified.astimezone(UTC).isoformat(), self.sent.astimezone(UTC).isoformat()]

    @classmethod
    def from_json(cls, data: list[str]) -> ContentVersion:
        """Rebuild a version from `to_json`'s output."""
        modified, sent = (datetime.fromisoformat(value) for value in data)
        return cls(modified=modified.astimezone(UTC), sent=sent.astimezone(UTC))


@dataclass(frozen=True, slots=True)
class LabelState:
    """What this service knows of one annotation's labels after its last delivery.

    `version` is the newest content version whose decision was carried out; `present` and
    `absent` are label names this service made (or found) so at that point; `doubtful` are
    names whose last apply failed or was cut off, so neither this state nor an older payload
    snapshot can tell whether they are there.
    """

    version: ContentVersion
    present: frozenset[str] = frozenset()
    absent: frozenset[str] = frozenset()
    doubtful: frozenset[str] = frozenset()

    def knows(self, name: str) -> bool | None:
        """Return True/False when `name` is known present/absent, None when unknown."""
        if name in self.present:
            return True
        if name in self.absent:
            return False
        return None

    def to_json(self) -> str:
        """Return the state as one JSON string."""
        return json.dumps(
            {
                "version": self.version.to_json(),
                "present": sorted(self.present),
                "absent": sorted(self.absent),
                "doubtful": sorted(self.doubtful),
            }
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> LabelState:
        """Rebuild a state from `to_json`'s output."""
        data = json.loads(text)
        return cls(
            version=ContentVersion.from_json(data["version"]),
            present=frozenset(data["present"]),
            absent=frozenset(data["absent"]),
            doubtful=frozenset(data.get("doubtful", ())),
        )


class DeliveryLedger(Protocol):
    """Answers given to successfully handled deliveries, by `request_id`, for a window."""

    async def recall(self, request_id: str) -> Answer | None:
        """Return the answer given to `request_id` within the window, or None."""
        ...

    async def remember(self, request_id: str, answer: Answer, *, ttl_s: float) -> None:
        """Keep `answer` for `request_id` for `ttl_s` seconds."""
        ...


class LabelStateStore(Protocol):
    """Per-annotation label state (called only under the annotation's lock)."""

    async def get(self, annotation: str) -> LabelState | None:
        """Return the state of `annotation` (its URL), or None when none is kept."""
        ...

    async def put(self, annotation: str, state: LabelState, *, ttl_s: float) -> None:
        """Replace the state of `annotation`, kept for `ttl_s` seconds."""
        ...


@dataclass(frozen=True, slots=True)
class Swapped:
    """What `LabelStateSwap.swap` did: wrote (`done`), or found the lock held (`held`), or
    found another state kept (`kept`, None when none is)."""

    done: bool
    held: bool = False
    kept: LabelState | None = None


@runtime_checkable
class LabelStateSwap(Protocol):
    """Label state changed without the annotation's lock, by compare-and-set."""

    async def hint(self, annotation: str) -> LabelState | None:
        """Return the state this process last saw for `annotation` (may be out of date)."""
        ...

    async def swap(
        self, annotation: str, expected: LabelState | None, state: LabelState, *, ttl_s: float
    ) -> Swapped:
        """Atomically: unless the lock of `annotation` is held or the state kept is not
        `expected`, keep `state` (no write when it equals `expected`)."""
        ...


class AnnotationLocks(Protocol):
    """Mutual exclusion per key (an annotation URL, or `request:<id>` for duplicates)."""

    def hold(self, key: str | None) -> AbstractAsyncContextManager[None]:
        """Hold the lock of `key` for the `async with` block; None means no lock."""
        ...


class _Expiring(Generic[V]):
    """A bounded mapping whose entries expire; oldest writes are evicted first."""

    def __init__(self, *, clock: Callable[[], float], max_entries: int) -> None:
        self._clock, self._max = clock, max_entries
        self._items: OrderedDict[str, tuple[float, V]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str) -> V | None:
        found = self._items.get(key)
        if found is None:
            return None
        expires, value = found
        if expires <= self._clock():
            del self._items[key]
            return None
        return value

    def put(self, key: str, value: V, ttl_s: float) -> None:
        self._items.pop(key, None)
        self._items[key] = (self._clock() + ttl_s, value)
        now = self._clock()
        while self._items:
            oldest_key, (expires, _) = next(iter(self._items.items()))
            if expires > now and len(self._items) <= self._max:
                break
            del self._items[oldest_key]


class MemoryDeliveryLedger:
    """The in-process `DeliveryLedger`: a bounded, expiring dict."""

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, max_entries: int = MAX_ENTRIES
    ) -> None:
        self._answers: _Expiring[Answer] = _Expiring(clock=clock, max_entries=max_entries)

    def __len__(self) -> int:
        return len(self._answers)

    async def recall(self, request_id: str) -> Answer | None:
        """Return the answer kept for `request_id`, if any and not expired."""
        return self._answers.get(request_id)

    async def remember(self, request_id: str, answer: Answer, *, ttl_s: float) -> None:
        """Keep `answer` for `ttl_s` seconds."""
        self._answers.put(request_id, answer, ttl_s)


class MemoryLabelStateStore:
    """The in-process `LabelStateStore`: a bounded, expiring dict."""

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, max_entries: int = MAX_ENTRIES
    ) -> None:
        self._states: _Expiring[LabelState] = _Expiring(clock=clock, max_entries=max_entries)

    def __len__(self) -> int:
        return len(self._states)

    async def get(self, annotation: str) -> LabelState | None:
        """Return the state kept for `annotation`, if any and not expired."""
        return self._states.get(annotation)

    async def put(self, annotation: str, state: LabelState, *, ttl_s: float) -> None:
        """Keep `state` for `ttl_s` seconds."""
        self._states.put(annotation, state, ttl_s)
