"""What annotation lists filter and order on, shared by `GET /annotations`, the search and the
queue export: the filters and ordering keys of the API reference ("List all annotations") that
the sandbox holds data for, full-text `search`, and values of content fields by schema id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from sandbox.errors import bad_request
from sandbox.listing import (
    Filter,
    ListSpec,
    Predicate,
    Value,
    boolean,
    field_value,
    ids,
    related,
    texts,
    time_range,
)
from sandbox.serialize import ANNOTATION_TIMES, ANNOTATION_USER_REFS
from sandbox.store import Record, Store
from sandbox.workflow import STATUSES

# The annotation's user references and timestamps are the ones it is served with.
USER_REFS = ANNOTATION_USER_REFS
TIMES = ANNOTATION_TIMES
# Sideloads of annotation lists: each holds the objects the page's annotations refer to.
SIDELOADS = frozenset(
    {
        "content",
        "documents",
        "queues",
        "schemas",
        "workspaces",
        "organizations",
        "labels",
        "automation_blockers",
        "notes",
        "modifiers",
        "creators",
        "confirmed_bys",
        "deleted_bys",
        "exported_bys",
        "purged_bys",
        "rejected_bys",
        "assignees",
        "pages",
        "relations",
        "child_relations",
        "related_emails",
        "emails",
        "suggested_edits",
    }
)
# The annotation object's attributes (API reference, "Annotation"), for `fields` / `fields!`.
ATTRIBUTES = frozenset(
    [
        "id",
        "url",
        "status",
        "document",
        "queue",
        "schema",
        "relations",
        "pages",
        *ANNOTATION_USER_REFS,  # creator, modifier, modified_by, confirmed_by, ...
        *ANNOTATION_TIMES,  # created_at, modified_at, assigned_at, ...
        "rir_poll_id",
        "messages",
        "content",
        "suggested_edit",
        "time_spent",
        "metadata",
        "automated",
        "related_emails",
        "email",
        "automation_blocker",
        "email_thread",
        "has_email_thread_with_replies",
        "has_email_thread_with_new_replies",
        "organization",
        "automatically_rejected",
        "prediction",
        "assignees",
        "labels",
        "restricted_access",
        "training_enabled",
        "einvoice",
    ]
)
_TOKEN = re.compile(r"\w+", re.UNICODE)


def iter_nodes(tree: list[Record]) -> Iterator[Record]:
    """Yield every node of a content tree, depth first."""
    for node in tree:
        yield node
        yield from iter_nodes(node.get("children") or [])


def field_values(store: Store, ann: Record, schema_id: str) -> list[Any]:
    """Return the values of every datapoint `schema_id` in the annotation (rows included)."""
    tree = store.contents.get(ann["id"], [])
    return [
        (node.get("content") or {}).get("value")
        for node in iter_nodes(tree)
        if node.get("category") == "datapoint" and node.get("schema_id") == schema_id
    ]


def typed(value: Any, type_: str) -> Any:
    """Read a datapoint value as `string`, `number` or `date` (None when it is not one)."""
    if value is None or value == "":
        return None
    text = str(value)
    if type_ == "number":
        try:
            return float(text.replace(" ", "").replace("\u00a0", "").replace(",", ""))
        except ValueError:
            return None
    if type_ == "date":
        return text[:10] if re.match(r"^\d{4}-\d{2}-\d{2}", text) else None
    return text


def _tokens(text: str) -> list[str]:
    return [token.casefold() for token in _TOKEN.findall(text)]


def full_text_match(terms: str, texts_: list[str]) -> bool:
    """Rossum's full-text rule: every term is a case-insensitive prefix of some word."""
    words = [word for text in texts_ for word in _tokens(text)]
    wanted = [t.casefold() for t in (re.sub(r"\W+$", "", term) for term in terms.split()) if t]
    return all(any(word.startswith(term) for word in words) for term in wanted)


def searchable_texts(store: Store, ann: Record) -> list[str]:
    """Datapoint values, file name, modifier e-mail and messages of an annotation."""
    tree = store.contents.get(ann["id"], [])
    found = [
        str((node.get("content") or {}).get("value") or "")
        for node in iter_nodes(tree)
        if node.get("category") == "datapoint"
    ]
    document = store.find("documents", ann["document"])
    if document is not None:
        found.append(document["original_file_name"])
    modifier = store.find("users", ann["modifier"]) if ann.get("modifier") else None
    if modifier is not None:
        found.append(modifier.get("email") or "")
    found += [m.get("content", "") for batch in ann["hook_messages"].values() for m in batch]
    return found


def _search_filter(name: str, raw: str) -> Predicate:
    if len(raw) > 256:
        raise bad_request("search: at most 256 characters.")
    return lambda store, ann: full_text_match(raw, searchable_texts(store, ann))


def _workspace(store: Store, ann: Record) -> Any:
    queue = store.find("queues", ann["queue"])
    return None if queue is None else queue.get("workspace")


def _annotation_filters() -> dict[str, Filter]:
    filters: dict[str, Filter] = {
        "id": ids(field_value("id")),
        "status": texts(field_value("status"), allowed=STATUSES),
        "queue": ids(field_value("queue")),
        "queue__workspace": ids(_workspace),
        "document": ids(field_value("document")),
        "labels": ids(field_value("labels")),
        "automated": boolean(lambda store, ann: False),
        "restricted_access": boolean(lambda store, ann: False),
        "search": _search_filter,
    }
    for ref in USER_REFS[1:]:
        if ref != "modified_by":
            filters[ref] = ids(field_value(ref))
    for moment in TIMES:
        if moment != "created_at":
            filters.update(time_range(moment))
    filters.update(time_range("arrived_at", field_value("created_at")))
    return filters


def _annotation_orderings() -> dict[str, Value]:
    orderings: dict[str, Value] = {
        "id": field_value("id"),
        "document": field_value("document"),
        "document__arrived_at": related("document", "documents", "arrived_at"),
        "document__original_file_name": related("document", "documents", "original_file_name"),
        "queue": field_value("queue"),
        "status": field_value("status"),
    }
    for ref in USER_REFS:
        orderings[ref] = field_value(ref)
        orderings[f"{ref}__username"] = related(ref, "users", "username")
    orderings.update({moment: field_value(moment) for moment in TIMES})
    return orderings


ANNOTATIONS = ListSpec(
    "annotations",
    filters=_annotation_filters(),
    orderings=_annotation_orderings(),
    sideloads=SIDELOADS,
    selectable=True,
)
