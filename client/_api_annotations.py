"""Operations on annotations: reading, polling, content, workflow verbs, updates.

Each function plans one client method of the same name (see `client._plans`); its first
argument is the client's base URL, needed where the API wants absolute object URLs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from client import models
from client._plans import (
    Build,
    Call,
    Flow,
    Gather,
    Listing,
    Op,
    Sleep,
    create,
    listing,
    post,
    query_params,
    replace,
    retrieve,
    update,
)
from client._resources import Resource

Annotation = models.Annotation


def object_url(base: str, /, resource: Resource[Any], object_id: int | str) -> str:
    """Return the absolute URL of an object given its id (URLs pass through unchanged)."""
    if isinstance(object_id, str) and "://" in object_id:
        return object_id
    return f"{base}/{resource.value}/{object_id}"


def resource_id(url: str) -> int:
    """Return the numeric id at the end of an object URL."""
    return int(url.rstrip("/").removesuffix("/content").rsplit("/", 1)[-1])


def is_imported(annotation: Any) -> bool:
    """Tell whether an annotation has left the import states."""
    return getattr(annotation, "status", None) not in ("importing", "created")


# ---- annotations ------------------------------------------------------------------------------


def list_annotations(
    base: str,
    /,
    ordering: Sequence[str] = (),
    sideloads: Sequence[str] = (),
    content_schema_ids: Sequence[str] = (),
    **filters: Any,
) -> Listing[Annotation]:
    """List annotations matching `filters`, with requested sideloads embedded."""
    if "content" in sideloads and not content_schema_ids:
        raise ValueError('sideloading "content" needs content_schema_ids')
    return listing(Resource.Annotation, ordering, sideloads, content_schema_ids, **filters)


def search_for_annotations(
    base: str,
    /,
    query: dict[str, Any] | None = None,
    query_string: dict[str, Any] | None = None,
    ordering: Sequence[str] = (),
    sideloads: Sequence[str] = (),
    **kwargs: Any,
) -> Listing[Annotation]:
    """Search annotations with `POST /annotations/search` (MQL query and/or text)."""
    if not query and not query_string:
        raise ValueError("search_for_annotations needs query or query_string")
    body = {
        key: value for key, value in (("query", query), ("query_string", query_string)) if value
    }
    params = query_params(ordering, sideloads, (), kwargs)
    return Listing(
        "annotations/search",
        Resource.Annotation,
        params,
        method="POST",
        json=body,
        sideloads=tuple(sideloads),
        idempotent=True,  # a search reads only
    )


def retrieve_annotation(
    base: str, /, annotation_id: int, sideloads: Sequence[str] = ()
) -> Op[Annotation]:
    """Retrieve an annotation, fetching and embedding each sideload (`content`, `document`)."""
    if not sideloads:
        return retrieve(Resource.Annotation, annotation_id)
    return _sideloaded(annotation_id, tuple(sideloads))


def _sideloaded(annotation_id: int, sideloads: tuple[str, ...]) -> Flow[Annotation]:
    data = yield Call("GET", Resource.Annotation.path(annotation_id))
    wanted = []
    for sideload in sideloads:
        key = sideload if sideload in data or sideload == "content" else sideload.rstrip("s")
        if isinstance(data.get(key), str):
            wanted.append((sideload, key, data[key]))
    answers = yield Gather(tuple(Call("GET", url) for _, _, url in wanted))
    for (sideload, key, _), answer in zip(wanted, answers, strict=True):
        # The content endpoint wraps the tree: {"content": [sections...]}.
        data[key] = answer.get("content", []) if sideload == "content" else answer
    annotation: Annotation = yield Build(Resource.Annotation, data)
    return annotation


def poll_annotation(
    base: str,
    /,
    annotation_id: int,
    predicate: Callable[[Any], bool],
    sleep_s: float = 3,
    sideloads: Sequence[str] = (),
) -> Flow[Annotation]:
    """Poll an annotation until `predicate` holds; sideloads are fetched once, at the end."""
    annotation: Annotation = yield retrieve(Resource.Annotation, annotation_id)
    while not predicate(annotation):
        yield Sleep(sleep_s)
        annotation = yield retrieve(Resource.Annotation, annotation_id)
    if sideloads:
        annotation = yield from _sideloaded(annotation_id, tuple(sideloads))
    return annotation


def poll_annotation_until_imported(
    base: str, /, annotation_id: int, **poll_kwargs: Any
) -> Flow[Annotation]:
    """Poll an annotation until its import finished."""
    return poll_annotation(base, annotation_id, is_imported, **poll_kwargs)


def start_annotation(base: str, /, annotation_id: int) -> Call[None]:
    """Start reviewing an annotation (`POST /annotations/{id}/start`)."""
    return post(f"annotations/{annotation_id}/start")


def update_annotation(base: str, /, annotation_id: int, data: dict[str, Any]) -> Call[Annotation]:
    """Replace an annotation (PUT)."""
    return replace(Resource.Annotation, annotation_id, data)


def update_part_annotation(
    base: str, /, annotation_id: int, data: dict[str, Any]
) -> Call[Annotation]:
    """Update part of an annotation (PATCH)."""
    return update(Resource.Annotation, annotation_id, data)


def bulk_update_annotation_data(
    base: str, /, annotation_id: int, operations: list[dict[str, Any]]
) -> Call[Any]:
    """Apply content operations (`POST /annotations/{id}/content/operations`)."""
    url = f"annotations/{annotation_id}/content/operations"
    return Call("POST", url, json={"operations": operations})


def retrieve_annotation_content(base: str, /, annotation_id: int) -> Call[Any]:
    """Retrieve an annotation's content tree (`{"content": [sections...]}`)."""
    return Call("GET", f"annotations/{annotation_id}/content")


def confirm_annotation(base: str, /, annotation_id: int) -> Call[None]:
    """Confirm an annotation."""
    return post(f"annotations/{annotation_id}/confirm")


def create_new_annotation(base: str, /, data: dict[str, Any]) -> Call[Annotation]:
    """Create an annotation."""
    return create(Resource.Annotation, data)


def delete_annotation(base: str, /, annotation_id: int) -> Call[None]:
    """Move an annotation to `deleted` (`POST /annotations/{id}/delete`)."""
    return post(f"annotations/{annotation_id}/delete")


def cancel_annotation(base: str, /, annotation_id: int) -> Call[None]:
    """Cancel reviewing an annotation."""
    return post(f"annotations/{annotation_id}/cancel")


def postpone_annotation(base: str, /, annotation_id: int) -> Call[None]:
    """Postpone an annotation."""
    return post(f"annotations/{annotation_id}/postpone")


def reject_annotation(
    base: str, /, annotation_id: int, note_content: str | None = None
) -> Call[None]:
    """Reject an annotation, with an optional rejection note."""
    body = None if note_content is None else {"note_content": note_content}
    return post(f"annotations/{annotation_id}/reject", body)


def switch_annotation_queue(
    base: str, /, annotation_id: int, queue_id: int | str
) -> Call[Annotation]:
    """Move an annotation to another queue (id or URL)."""
    queue = object_url(base, Resource.Queue, queue_id)
    return update(Resource.Annotation, annotation_id, {"queue": queue})
