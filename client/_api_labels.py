"""The Labels API: label objects and `POST /labels/apply` (API-REF `#label`)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from client._api_annotations import object_url
from client._plans import Call, Listing, create, delete, listing, replace, retrieve, update
from client._resources import Resource
from client.models import Label


def list_labels(base: str, /, ordering: Sequence[str] = (), **filters: Any) -> Listing[Label]:
    """List labels (cursor-paginated; filters `id`, `name`)."""
    return listing(Resource.Label, ordering, **filters)


def retrieve_label(base: str, /, label_id: int) -> Call[Label]:
    """Retrieve a label."""
    return retrieve(Resource.Label, label_id)


def create_new_label(base: str, /, data: dict[str, Any]) -> Call[Label]:
    """Create a label (`name` required; `color` as `#RRGGBB`)."""
    return create(Resource.Label, data)


def update_label(base: str, /, label_id: int, data: dict[str, Any]) -> Call[Label]:
    """Replace a label (PUT)."""
    return replace(Resource.Label, label_id, data)


def update_part_label(base: str, /, label_id: int, data: dict[str, Any]) -> Call[Label]:
    """Update part of a label (PATCH)."""
    return update(Resource.Label, label_id, data)


def delete_label(base: str, /, label_id: int) -> Call[None]:
    """Delete a label."""
    return delete(Resource.Label, label_id)


def apply_labels(
    base: str,
    /,
    annotations: Iterable[int | str],
    *,
    add: Iterable[int | str] = (),
    remove: Iterable[int | str] = (),
) -> Call[None]:
    """Add and remove labels on many annotations in one call (ids or URLs)."""
    body = {
        "operations": {
            "add": [object_url(base, Resource.Label, label) for label in add],
            "remove": [object_url(base, Resource.Label, label) for label in remove],
        },
        "objects": {
            "annotations": [object_url(base, Resource.Annotation, a) for a in annotations],
        },
    }
    # Adding or removing a label twice leaves the same state, so a repeat is harmless.
    return Call("POST", "labels/apply", "none", json=body, idempotent=True)
