"""Label names to label URLs, per organisation: listed once, created when missing, cached.

Rules speak label names; `POST /labels/apply` wants URLs. The whole label list of an
organisation is fetched once (labels are few) and kept for `ttl_s`, so a name absent from it
is known not to exist without another call. A missing label that must be added is created;
a lock per organisation keeps concurrent deliveries from creating it twice, and a create that
loses a race with another writer (409, or 400 "already exists") re-lists instead of failing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from client import AsyncRossumAPIClient, BadRequest, Conflict

log = structlog.get_logger()

Journal = list[dict[str, Any]]
# The delivery's client, made on first use: a warm cache needs none at all.
ApiFactory = Callable[[], AsyncRossumAPIClient]


@dataclass(slots=True)
class _OrgLabels:
    urls: dict[str, str]
    fetched_at: float


class LabelCache:
    """Resolve label names to URLs for one organisation at a time, creating missing ones."""

    def __init__(self, *, ttl_s: float = 300.0, clock: Callable[[], float] = time.monotonic):
        self._ttl_s, self._clock = ttl_s, clock
        self._orgs: dict[str, _OrgLabels] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    def learn(self, organization: str, urls: Mapping[str, str]) -> None:
        """Take label URLs seen elsewhere (a payload's sideload) as known for `organization`."""
        known = self._orgs.get(organization)
        if known is not None:
            known.urls.update(urls)

    def forget(self, organization: str) -> None:
        """Drop what is known about `organization` (e.g. after a label URL was refused)."""
        self._orgs.pop(organization, None)

    async def resolve(
        self,
        api: ApiFactory,
        *,
        organization: str,
        names: Collection[str],
        create: Collection[str] = (),
        journal: Journal,
    ) -> dict[str, str]:
        """Return URLs of the `names` that exist, creating those in `create` that do not."""
        lock = self._locks.setdefault(organization, asyncio.Lock())
        async with lock:
            known = self._orgs.get(organization)
            stale = known is None or self._clock() - known.fetched_at > self._ttl_s
            if known is None or stale or any(n not in known.urls for n in create):
                known = await self._fetch(api, organization, journal)
            found = {n: known.urls[n] for n in names if n in known.urls}
            for name in sorted(n for n in create if n not in known.urls):
                found[name] = await self._create(api, organization, name, journal)
                if not api().dry_run:  # a dry run's label is fake: never cache it
                    known.urls[name] = found[name]
            return found

    async def _fetch(self, api: ApiFactory, organization: str, journal: Journal) -> _OrgLabels:
        journal.append({"call": "list_labels"})
        urls: dict[str, str] = {}
        async for label in api().list_labels():
            if label.name is not None and label.url is not None:
                urls.setdefault(label.name, label.url)
        known = _OrgLabels(urls=urls, fetched_at=self._clock())
        self._orgs[organization] = known
        return known

    async def _create(self, api: ApiFactory, organization: str, name: str, journal: Journal) -> str:
        journal.append({"call": "create_new_label", "name": name})
        try:
            label = await api().create_new_label({"name": name})
        except (Conflict, BadRequest):
            # Someone created it between our listing and our create: take theirs.
            known = await self._fetch(api, organization, journal)
            if name in known.urls:
                return known.urls[name]
            raise
        log.info("labels.created", label=name, organization=organization)
        if label.url is None:
            raise ValueError(f"created label {name!r} came back without a URL")
        return label.url
