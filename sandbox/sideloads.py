"""Sideloading on annotation lists (`?sideload=documents,modifiers,content&content.schema_id=`).

API reference ("List all annotations", "Sideloading"): the page gains one top-level key per
sideload, holding the distinct related objects of the page's annotations. `content` is a flat
list of datapoints (each with its `url` under `/annotations/{id}/content/`), narrowed to the
schema ids in `content.schema_id`. User sideloads are named by the annotation field plus `s`
(`modifiers`, `confirmed_bys`, ...). Relations, pages, e-mails and suggested edits do not exist
in the sandbox, so those sideloads are always empty lists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request

from sandbox import serialize
from sandbox.annotation_data import served_content
from sandbox.annotation_query import iter_nodes
from sandbox.listing import sideloads_of
from sandbox.state import Sandbox
from sandbox.store import Record
from sandbox.urls import Urls

ALWAYS_EMPTY = frozenset(
    {"pages", "relations", "child_relations", "related_emails", "emails", "suggested_edits"}
)
# sideload -> (kind of object, how to read the referenced ids off an annotation record)
Refs = Callable[[Sandbox, Record], list[int | None]]
_REFERENCES: dict[str, tuple[str, Refs]] = {
    "documents": ("documents", lambda sb, a: [a["document"]]),
    "queues": ("queues", lambda sb, a: [a["queue"]]),
    "schemas": ("schemas", lambda sb, a: [a["schema"]]),
    "organizations": ("organizations", lambda sb, a: [a["organization"]]),
    "labels": ("labels", lambda sb, a: list(a["labels"])),
    "automation_blockers": ("automation_blockers", lambda sb, a: [a.get("automation_blocker")]),
    "workspaces": (
        "workspaces",
        lambda sb, a: [(sb.store.find("queues", a["queue"]) or {}).get("workspace")],
    ),
    "notes": (
        "notes",
        lambda sb, a: [n["id"] for n in sb.store.values("notes") if n["annotation"] == a["id"]],
    ),
    "assignees": ("users", lambda sb, a: []),
}


def _user(field: str) -> Refs:
    return lambda sandbox, ann: [ann.get(field)]


for _field in ("modifier", "creator", "confirmed_by", "deleted_by", "exported_by", "purged_by"):
    _REFERENCES[f"{_field}s"] = ("users", _user(_field))
_REFERENCES["rejected_bys"] = ("users", _user("rejected_by"))


def _content(sandbox: Sandbox, anns: list[Record], urls: Urls, schema_ids: set[str]) -> list[Any]:
    found = []
    for ann in anns:
        for node in iter_nodes(served_content(sandbox, ann, urls)):
            if schema_ids and node.get("schema_id") not in schema_ids:
                continue
            if not schema_ids and node.get("category") != "datapoint":
                continue
            found.append(node)
    return found


def sideloaded(
    request: Request, sandbox: Sandbox, anns: list[Record], urls: Urls
) -> dict[str, list[Any]]:
    """Return the top-level sideload keys for a page of annotation records."""
    extra: dict[str, list[Any]] = {}
    for name in dict.fromkeys(sideloads_of(request)):
        if name in ALWAYS_EMPTY:
            extra[name] = []
        elif name == "content":
            raw = request.query_params.get("content.schema_id") or ""
            wanted = {part.strip() for part in raw.split(",") if part.strip()}
            extra[name] = _content(sandbox, anns, urls, wanted)
        else:
            kind, refs = _REFERENCES[name]
            object_ids = dict.fromkeys(i for a in anns for i in refs(sandbox, a) if i is not None)
            records = [sandbox.store.find(kind, i) for i in object_ids]
            extra[name] = [
                serialize.serialize(sandbox.store, kind, r, urls) for r in records if r is not None
            ]
    return extra
