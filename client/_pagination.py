"""Pagination: follow `pagination.next` verbatim (opaque cursors), or count page numbers.

The async iterator reads at most one page ahead and cancels it when the consumer stops; the
sync iterator fetches a page only when the previous one is used up. Neither builds cursor URLs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from client._plans import Listing

M = TypeVar("M")
Request = tuple[str, Mapping[str, Any] | None]


@dataclass(frozen=True, slots=True)
class Page:
    """One decoded page: its items, the next URL as given, the page count if known."""

    items: list[Any]
    next: str | None = None
    total_pages: int | None = None


class PageInfo(BaseModel):
    """The `pagination` object of a list answer."""

    model_config = ConfigDict(extra="allow")

    next: str | None = None
    total_pages: int | None = None


class TypedPage(BaseModel, Generic[M]):
    """A list answer whose results validate into a model in the same pass as the JSON."""

    model_config = ConfigDict(extra="ignore")

    results: list[M] = []
    pagination: PageInfo | None = None
    next: str | None = None

    def page(self) -> Page:
        """Return the plain `Page`."""
        info = self.pagination
        if info is not None:
            return Page(self.results, info.next, info.total_pages)
        return Page(self.results, self.next)


_typed_pages: dict[type[Any], type[TypedPage[Any]]] = {}


def typed_page(model: type[M]) -> type[TypedPage[M]]:
    """Return the (cached) page model whose results are `model`s."""
    page = _typed_pages.get(model)
    if page is None:
        page = _typed_pages[model] = TypedPage[model]  # type: ignore[valid-type]
    return page


def page_from_json(data: Mapping[str, Any], items: list[Any]) -> Page:
    """Return the `Page` of a decoded list answer: `pagination.next`, else top-level `next`."""
    info = data.get("pagination")
    if isinstance(info, Mapping):
        return Page(items, info.get("next"), info.get("total_pages"))
    return Page(items, data.get("next"))


def embed_sideloads(data: dict[str, Any], sideloads: Sequence[str]) -> None:
    """Replace URLs in each result by the sideloaded objects listed next to `results`."""
    results = data.get("results") or []
    for sideload in sideloads:
        objects = data.get(sideload) or []
        if sideload == "content":
            # Datapoints of all annotations come flat; their URL starts with the annotation's.
            trees: dict[str, list[Any]] = {}
            for node in objects:
                owner = str(node.get("url", "")).split("/content", 1)[0]
                trees.setdefault(owner, []).append(node)
            for result in results:
                result["content"] = trees.get(result.get("url", ""), [])
            continue
        by_url = {obj.get("url"): obj for obj in objects if isinstance(obj, Mapping)}
        for result in results:
            key = sideload if sideload in result else sideload.rstrip("s")
            value = result.get(key)
            if isinstance(value, str):
                result[key] = by_url.get(value, value)
            elif isinstance(value, list):
                result[key] = [by_url.get(v, v) for v in value]


def first_request(listing: Listing[Any]) -> Request:
    """Return the URL and params of the first page."""
    if listing.page_numbers:
        return listing.url, {**listing.params, "page": 1}
    return listing.url, listing.params


def next_request(listing: Listing[Any], page: Page, number: int) -> Request | None:
    """Return the request for the page after page `number`, or None at the end."""
    if listing.max_pages is not None and number >= listing.max_pages:
        return None
    if not listing.page_numbers:
        # The cursor URL is opaque: use it exactly as given, with no params added.
        return (page.next, None) if page.next else None
    if not page.items:
        return None
    if page.total_pages is not None and number >= page.total_pages:
        return None
    if page.total_pages is None and page.next is None:
        return None
    return listing.url, {**listing.params, "page": number + 1}


async def aiter_listing(
    listing: Listing[Any], fetch: Callable[[str, Mapping[str, Any] | None], Awaitable[Page]]
) -> AsyncIterator[Any]:
    """Yield every item, fetching the next page while the current one is consumed."""
    page = await fetch(*first_request(listing))
    number = 1
    pending: asyncio.Future[Page] | None = None
    try:
        while True:
            following = next_request(listing, page, number)
            pending = None if following is None else asyncio.ensure_future(fetch(*following))
            for item in page.items:
                yield item
            if pending is None:
                return
            page = await pending
            pending = None
            number += 1
    finally:
        if pending is not None:
            await _discard(pending)


async def _discard(task: asyncio.Future[Page]) -> None:
    """Cancel a read-ahead the consumer no longer wants, and wait until it is gone."""
    task.cancel()
    await asyncio.wait([task])
    if not task.cancelled():
        task.exception()  # mark a failure as seen: nobody wanted this page


def iter_listing(
    listing: Listing[Any], fetch: Callable[[str, Mapping[str, Any] | None], Page]
) -> Iterator[Any]:
    """Yield every item, fetching a page only once the previous one is used up."""
    request: Request | None = first_request(listing)
    number = 1
    while request is not None:
        page = fetch(*request)
        yield from page.items
        request = next_request(listing, page, number)
        number += 1
