"""Operations on documents, document relations and annotation relations."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from client import models
from client._plans import Call, Listing, create, delete, listing, replace, retrieve, update
from client._resources import Resource


def retrieve_document(base: str, /, document_id: int) -> Call[models.Document]:
    """Retrieve a document."""
    return retrieve(Resource.Document, document_id)


def retrieve_document_content(base: str, /, document_id: int) -> Call[bytes]:
    """Download a document's file."""
    return Call("GET", f"documents/{document_id}/content", "bytes")


def create_new_document(
    base: str,
    /,
    file_name: str,
    file_data: bytes,
    metadata: dict[str, Any] | None = None,
    parent: str | None = None,
) -> Call[models.Document]:
    """Create a document from bytes (multipart `POST /documents`)."""
    files: dict[str, Any] = {
        "content": (file_name, file_data),
        "metadata": ("", json.dumps(metadata or {}).encode()),
    }
    if parent:
        files["parent"] = ("", parent)
    return Call("POST", "documents", "model", Resource.Document, files=files)


def list_document_relations(
    base: str, /, ordering: Sequence[str] = (), **filters: Any
) -> Listing[models.DocumentRelation]:
    """List document relations."""
    return listing(Resource.DocumentRelation, ordering, **filters)


def retrieve_document_relation(
    base: str, /, document_relation_id: int
) -> Call[models.DocumentRelation]:
    """Retrieve a document relation."""
    return retrieve(Resource.DocumentRelation, document_relation_id)


def create_new_document_relation(
    base: str, /, data: dict[str, Any]
) -> Call[models.DocumentRelation]:
    """Create a document relation."""
    return create(Resource.DocumentRelation, data)


def update_document_relation(
    base: str, /, document_relation_id: int, data: dict[str, Any]
) -> Call[models.DocumentRelation]:
    """Replace a document relation (PUT)."""
    return replace(Resource.DocumentRelation, document_relation_id, data)


def update_part_document_relation(
    base: str, /, document_relation_id: int, data: dict[str, Any]
) -> Call[models.DocumentRelation]:
    """Update part of a document relation (PATCH)."""
    return update(Resource.DocumentRelation, document_relation_id, data)


def delete_document_relation(base: str, /, document_relation_id: int) -> Call[None]:
    """Delete a document relation."""
    return delete(Resource.DocumentRelation, document_relation_id)


def list_relations(
    base: str, /, ordering: Sequence[str] = (), **filters: Any
) -> Listing[models.Relation]:
    """List annotation relations."""
    return listing(Resource.Relation, ordering, **filters)


def create_new_relation(base: str, /, data: dict[str, Any]) -> Call[models.Relation]:
    """Create an annotation relation."""
    return create(Resource.Relation, data)
