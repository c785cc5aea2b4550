"""The in-memory object store: one table of plain dict records per object kind.

Records hold integer references (`annotation["queue"] == 101`), never URLs. Each kind numbers
its ids from its own base so that an id used for the wrong kind fails loudly instead of hitting
an unrelated object by accident.
"""

from __future__ import annotations

from collections import deque
from datetime import UTC, datetime
from typing import Any

from sandbox.errors import bad_request, not_found
from sandbox.urls import id_from_url

Record = dict[str, Any]
MAX_LABEL_EVENTS = 50_000

ID_BASES: dict[str, int] = {
    "organizations": 1,
    "users": 1,
    "workspaces": 11,
    "queues": 101,
    "schemas": 201,
    "hooks": 301,
    "inboxes": 401,
    "labels": 1,
    "annotations": 3001,
    "documents": 5001,
    "emails": 6001,
    "automation_blockers": 7001,
    "organization_groups": 21,
    "uploads": 8001,
    "tasks": 9001,
    "notes": 10001,
    "datapoints": 100001,
}
KINDS = tuple(kind for kind in ID_BASES if kind != "datapoints")


def now_iso() -> str:
    """Return the current UTC time the way Rossum writes timestamps."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Store:
    """Hold every sandbox object; the only place ids are handed out."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[int, Record]] = {kind: {} for kind in KINDS}
        self._next = dict(ID_BASES)
        # Annotation id -> content tree (sections with nested datapoints, no URLs).
        self.contents: dict[int, list[Record]] = {}
        # Document id -> file bytes served by `GET /documents/{id}/content`.
        self.files: dict[int, bytes] = {}
        # Every label add/remove asked through `POST /labels/apply`, effective or not, so tests
        # can tell "applied exactly once" from "applied, then applied again".
        self.label_events: deque[Record] = deque(maxlen=MAX_LABEL_EVENTS)

    def new_id(self, kind: str) -> int:
        """Hand out the next id of `kind` (a table name or `"datapoints"`)."""
        value = self._next[kind]
        self._next[kind] = value + 1
        return value

    def add(self, kind: str, record: Record) -> Record:
        """Store `record` under a fresh id and return it."""
        record["id"] = self.new_id(kind)
        self.tables[kind][record["id"]] = record
        return record

    def find(self, kind: str, object_id: int) -> Record | None:
        """Return the record, or None."""
        return self.tables[kind].get(object_id)

    def get(self, kind: str, object_id: int) -> Record:
        """Return the record or raise 404."""
        record = self.tables[kind].get(object_id)
        if record is None:
            raise not_found()
        return record

    def values(self, kind: str) -> list[Record]:
        """Return every record of `kind` in id order."""
        return list(self.tables[kind].values())  # ids only grow, so insertion order is id order

    def remove(self, kind: str, object_id: int) -> Record:
        """Delete and return the record, or raise 404."""
        record = self.get(kind, object_id)
        del self.tables[kind][object_id]
        return record

    def ref(self, kind: str, value: object, *, field: str, allow_int: bool = False) -> int:
        """Resolve a URL reference in a request body to an existing id, or raise 400."""
        object_id = id_from_url(value, kind, field=field, allow_int=allow_int)
        if object_id not in self.tables[kind]:
            raise bad_request(f"{field}: invalid hyperlink {value!r}; object does not exist.")
        return object_id
