"""Build the cross-delivery state from the settings: in-process, or shared through Redis.

Without `ROSSUM_HOOKS_REDIS_URL` every piece is the in-process one (as before). With it, the
per-annotation locks, the duplicate ledger, the label state, the label cache and the API rate
cap become their Redis-backed versions, each falling back to its in-process twin while Redis
does not answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from client import RateLimiter
from service.labels import LabelCache
from service.locks import KeyedLocks
from service.metrics import Metrics
from service.settings import Settings
from service.shared_labels import SharedLabelCache
from service.shared_locks import SharedLocks
from service.shared_rate import SharedRateCap
from service.shared_store import SharedStore, connect
from service.shared_stores import SharedDeliveryLedger, SharedLabelStateStore, read_along
from service.stores import (
    DeliveryLedger,
    LabelStateStore,
    MemoryDeliveryLedger,
    MemoryLabelStateStore,
)

# What a replica gives up while Redis does not answer (readiness body, docs).
SHARED_LOSSES = (
    "per-annotation ordering across replicas",
    "duplicate detection across replicas",
    "shared label cache and label state",
    "one API rate budget per organisation (each replica caps itself)",
)
# A lock outlives its delivery's deadline by this much before another replica may take it.
LEASE_MARGIN_S = 5.0


@dataclass(slots=True)
class CrossDeliveryState:
    """The state deliveries share; `store` is None in-process."""

    locks: KeyedLocks | SharedLocks
    labels: LabelCache
    rate_limiter: RateLimiter | None = None
    store: SharedStore | None = None
    # Duplicate ledger and per-annotation label state (`service.stores`).
    ledger: DeliveryLedger = field(default_factory=MemoryDeliveryLedger)
    label_states: LabelStateStore = field(default_factory=MemoryLabelStateStore)

    async def aclose(self) -> None:
        """Close the Redis connection, if any."""
        if self.store is not None:
            await self.store.aclose()


def cross_delivery_state(settings: Settings, metrics: Metrics | None) -> CrossDeliveryState:
    """Return in-process state, or Redis-backed state when `redis_url` is set."""
    if settings.redis_url is None:
        return CrossDeliveryState(locks=KeyedLocks(), labels=LabelCache())
    store = SharedStore(connect(settings.redis_url.get_secret_value()), metrics=metrics)
    if metrics is not None:
        metrics.watch_shared_state(lambda: store.available)
    rate = settings.requests_per_second
    return CrossDeliveryState(
        locks=SharedLocks(
            store,
            lease_s=settings.delivery_deadline_s + LEASE_MARGIN_S,
            read_along=read_along,
        ),
        labels=SharedLabelCache(store),
        rate_limiter=None if rate is None else SharedRateCap(store, rate=rate),
        store=store,
        ledger=SharedDeliveryLedger(store),
        label_states=SharedLabelStateStore(store),
    )
