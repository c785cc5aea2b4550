"""Importing a document with given field values: the sandbox's stand-in for Rossum's upload
and extraction. Creates the document (a small generated PDF) and an `importing` annotation whose
content tree is built from the queue's schema; the caller then runs the import flow.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from sandbox.content_tree import Schema, cells_of, extracted_tree
from sandbox.errors import bad_request
from sandbox.pdf import text_pdf
from sandbox.store import Record, Store, now_iso

METADATA_MAX_BYTES = 4096
_VALUE_TYPES = (str, int, float, type(None))


def _tables(body: Mapping[str, Any], schema: Schema) -> dict[str, list[dict[str, Any]]]:
    tables = body.get("tables", {})
    if not isinstance(tables, dict):
        raise bad_request("tables: expected an object of multivalue schema id -> rows.")
    tables = dict(tables)
    if "line_items" in body:
        tables["line_items"] = body["line_items"]
    for table_id, rows in tables.items():
        template = schema.row_of(table_id)
        if template is None:
            raise bad_request(f"tables: {table_id!r} is not a multivalue of the queue's schema.")
        cells = {cell["id"] for cell in cells_of(template)}
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise bad_request(f"{table_id}: expected a list of row objects.")
        for number, row in enumerate(rows):
            unknown = set(row) - cells
            if unknown:
                raise bad_request(
                    f"{table_id}[{number}]: unknown cells {sorted(unknown)}; known {sorted(cells)}"
                )
            if not all(isinstance(v, _VALUE_TYPES) for v in row.values()):
                raise bad_request(f"{table_id}[{number}]: cell values must be strings or numbers")
    return tables


def _fields(body: Mapping[str, Any], schema: Schema) -> dict[str, Any]:
    fields = body.get("fields", {})
    if not isinstance(fields, dict):
        raise bad_request("fields: expected an object of schema id -> value.")
    unknown = set(fields) - schema.datapoint_ids()
    if unknown:
        raise bad_request(f"fields: unknown schema ids {sorted(unknown)}.")
    if not all(isinstance(v, _VALUE_TYPES) for v in fields.values()):
        raise bad_request("fields: values must be strings or numbers.")
    return fields


def _metadata(body: Mapping[str, Any]) -> dict[str, Any]:
    metadata = body.get("metadata", {})
    if not isinstance(metadata, dict) or len(json.dumps(metadata)) > METADATA_MAX_BYTES:
        raise bad_request(f"metadata: expected an object of at most {METADATA_MAX_BYTES} bytes.")
    return metadata


def import_document(store: Store, body: Mapping[str, Any], *, creator: int) -> Record:
    """Create a document and its `importing` annotation from an import request."""
    queue = store.get(
        "queues", store.ref("queues", body.get("queue"), field="queue", allow_int=True)
    )
    content = Schema(store.get("schemas", queue["schema"])["content"])
    fields, tables, metadata = _fields(body, content), _tables(body, content), _metadata(body)
    file_name = body.get("file_name", "document.pdf")
    if not isinstance(file_name, str) or not file_name.strip():
        raise bad_request("file_name: expected a non-empty string.")
    now = now_iso()
    document = store.add(
        "documents",
        {
            "original_file_name": file_name,
            "mime_type": "application/pdf",
            "arrived_at": now,
            "created_at": now,
            "creator": creator,
            "s3_name": uuid.uuid4().hex,
            "metadata": {},
        },
    )
    lines = [file_name, ""] + [f"{k}: {v}" for k, v in fields.items()]
    for table_id, rows in tables.items():
        lines += ["", table_id] + ["  " + ", ".join(f"{k}={v}" for k, v in r.items()) for r in rows]
    store.files[document["id"]] = text_pdf(lines)
    ann = store.add("annotations", _new_annotation(queue, document, creator, metadata, now))
    store.contents[ann["id"]] = extracted_tree(
        content, fields=fields, tables=tables, ids=lambda: store.new_id("datapoints")
    )
    return ann


def _new_annotation(
    queue: Record, document: Record, creator: int, metadata: dict[str, Any], now: str
) -> Record:
    return {
        "status": "importing",
        "previous_status": "created",
        "document": document["id"],
        "queue": queue["id"],
        "schema": queue["schema"],
        "organization": 1,
        "creator": creator,
        "modifier": None,
        "modified_by": None,
        "created_at": now,
        "modified_at": now,
        "metadata": metadata,
        "labels": [],
        "hook_messages": {},
        "automation_blocker": None,
        "time_spent": 0.0,
        "rir_poll_id": uuid.uuid4().hex[:24],
        "started_by": None,
        "status_before_start": None,
    }


def add_document(
    store: Store,
    *,
    file_name: str,
    mime_type: str,
    data: bytes,
    creator: int | None = None,
    metadata: dict[str, Any] | None = None,
    parent: int | None = None,
) -> Record:
    """Store an uploaded (or attached) file as a document."""
    now = now_iso()
    document = store.add(
        "documents",
        {
            "original_file_name": file_name,
            "mime_type": mime_type,
            "arrived_at": now,
            "created_at": now,
            "creator": creator,
            "parent": parent,
            "s3_name": uuid.uuid4().hex,
            "metadata": metadata or {},
        },
    )
    store.files[document["id"]] = data
    return document


def annotate_document(
    store: Store,
    queue_id: int,
    document: Record,
    *,
    values: Mapping[str, str],
    metadata: dict[str, Any],
    creator: int,
) -> Record:
    """Create the `importing` annotation of a stored document.

    The sandbox extracts nothing from the file: a datapoint gets a value only when one of the
    upload's `values` is named in its schema's `rir_field_names` (as Rossum initialises them).
    """
    queue = store.get("queues", queue_id)
    schema = Schema(store.get("schemas", queue["schema"])["content"])
    fields = {}
    for schema_id in schema.datapoint_ids():
        node = schema.get(schema_id) or {}
        for name in node.get("rir_field_names", []):
            if name in values:
                fields[schema_id] = values[name]
    ann = store.add("annotations", _new_annotation(queue, document, creator, metadata, now_iso()))
    store.contents[ann["id"]] = extracted_tree(
        schema, fields=fields, tables={}, ids=lambda: store.new_id("datapoints")
    )
    return ann
