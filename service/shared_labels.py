"""The label cache shared by replicas: an organisation's label list kept in Redis.

The in-process `LabelCache` still does the work (listing, creating, the per-organisation
lock, the retry after a lost create race); this one reads the organisation's name -> URL map
from Redis before resolving (unless its own copy is fresh and knows every name asked) and
writes back what it listed or created, so a label one replica
created or listed is known to the others without another `GET /labels`. The Redis hash
expires `ttl_s` after its listing, the same freshness as in-process. While Redis does not
answer, the in-process copy is used alone.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection
from typing import Any, cast

from service.labels import ApiFactory, Journal, LabelCache, _OrgLabels
from service.shared_store import PREFIX, SharedStateUnavailable, SharedStore

# KEYS[1]: the organisation's hash; ARGV: name, url, ... Adds only to a listing that exists.
_ADD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
"""


class SharedLabelCache(LabelCache):
    """A `LabelCache` whose listings and created labels are shared through Redis."""

    def __init__(self, store: SharedStore, *, ttl_s: float = 300.0) -> None:
        super().__init__(ttl_s=ttl_s)
        self._store = store
        self._add = store.redis.register_script(_ADD)
        self._refused: set[str] = set()

    def forget(self, organization: str) -> None:
        """Drop the organisation's labels here; the next resolve lists them and shares that."""
        super().forget(organization)
        self._refused.add(organization)

    async def resolve(
        self,
        api: ApiFactory,
        *,
        organization: str,
        names: Collection[str],
        create: Collection[str] = (),
        journal: Journal,
    ) -> dict[str, str]:
        """Resolve like `LabelCache`, starting from and adding to the shared listing."""
        key = f"{PREFIX}labels:{organization}"
        if organization not in self._refused and not self._answers(organization, names, create):
            await self._pull(key, organization)
        before = self._orgs.get(organization)
        seen = None if before is None else (before.fetched_at, dict(before.urls))
        found = await super().resolve(
            api, organization=organization, names=names, create=create, journal=journal
        )
        self._refused.discard(organization)
        after = self._orgs.get(organization)
        if after is not None and (seen is None or after.fetched_at != seen[0]):
            await self._share_listing(key, after)
        elif after is not None and seen is not None and after.urls != seen[1]:
            await self._share_added(key, {n: u for n, u in after.urls.items() if n not in seen[1]})
        return found

    def _answers(self, organization: str, names: Collection[str], create: Collection[str]) -> bool:
        """Tell whether the local copy is fresh and knows every name asked (no Redis read)."""
        known = self._orgs.get(organization)
        if known is None or self._clock() - known.fetched_at > self._ttl_s:
            return False
        return all(n in known.urls for n in (*names, *create))

    async def _pull(self, key: str, organization: str) -> None:
        async def read(redis: object) -> tuple[dict[str, str], int]:
            async with self._store.redis.pipeline(transaction=False) as pipe:
                pipe.hgetall(key)
                pipe.pttl(key)
                urls, ttl_ms = await pipe.execute()
            return urls, ttl_ms

        try:
            urls, ttl_ms = await self._store.run("labels_read", read)
        except SharedStateUnavailable:
            return
        if not urls or ttl_ms <= 0:
            return
        age = max(0.0, self._ttl_s - ttl_ms / 1000)
        local = self._orgs.get(organization)
        fetched_at = self._clock() - age
        if local is None or local.fetched_at < fetched_at or not urls.keys() <= local.urls.keys():
            merged = dict(urls) if local is None else {**local.urls, **urls}
            self._orgs[organization] = _OrgLabels(urls=merged, fetched_at=fetched_at)

    async def _share_listing(self, key: str, known: _OrgLabels) -> None:
        async def write(redis: object) -> None:
            async with self._store.redis.pipeline(transaction=True) as pipe:
                pipe.delete(key)
                if known.urls:
                    pipe.hset(key, mapping=cast(dict[Any, Any], known.urls))
                    pipe.pexpire(key, max(1, round(self._ttl_s * 1000)))
                await pipe.execute()

        with contextlib.suppress(SharedStateUnavailable):
            await self._store.run("labels_write", write)

    async def _share_added(self, key: str, added: dict[str, str]) -> None:
        flat = [part for pair in added.items() for part in pair]
        with contextlib.suppress(SharedStateUnavailable):
            await self._store.run("labels_write", lambda _: self._add(keys=[key], args=flat))
