"""Object shapes as the Rossum API serves them, made from store records and a URL base."""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from sandbox.store import Record, Store
from sandbox.urls import Urls

Serializer = Callable[[Store, Record, Urls], dict[str, Any]]

ANNOTATION_USER_REFS = (
    "creator",
    "modifier",
    "modified_by",
    "confirmed_by",
    "deleted_by",
    "exported_by",
    "purged_by",
    "rejected_by",
)
ANNOTATION_TIMES = (
    "created_at",
    "modified_at",
    "assigned_at",
    "confirmed_at",
    "deleted_at",
    "exported_at",
    "export_failed_at",
    "purged_at",
    "rejected_at",
)


def _reverse(store: Store, urls: Urls, kind: str, field: str, object_id: int) -> list[str]:
    """Return URLs of the `kind` objects whose `field` points (or lists) `object_id`."""
    found = []
    for record in store.values(kind):
        value = record.get(field)
        if value == object_id or (isinstance(value, list) and object_id in value):
            found.append(urls.of(kind, record["id"]))
    return found


def organization(store: Store, r: Record, urls: Urls) -> dict[str, Any]:
    """Serialise an organization."""
    return {
        "id": r["id"],
        "url": urls.of("organizations", r["id"]),
        "name": r["name"],
        "workspaces": _reverse(store, urls, "workspaces", "organization", r["id"]),
        "users": _reverse(store, urls, "users", "organization", r["id"]),
        "organization_group": urls.of("organization_groups", r["organization_group"]),
        "created_at": r["created_at"],
        "trial_expires_at": None,
        "is_trial": False,
        "oidc_provider": None,
        "creator": urls.maybe("users", r.get("creator")),
        "modified_by": urls.maybe("users", r.get("modified_by")),
        "modified_at": r.get("modified_at"),
        "settings": {},
        "sandbox": False,
        "metadata": copy.deepcopy(r.get("metadata", {})),
        "ui_settings": {},
    }


def organization_group(store: Store, r: Record, urls: Urls) -> dict[str, Any]:
    """Serialise an organization group (the API reference's object has no `url`)."""
    return {
        "id": r["id"],
        "name": r["name"],
        "is_trial": False,
        "is_production": False,
        "deployment_location": r["deployment_location"],
        "features": None,
        "usage": {},
        "modified_by": None,
        "modified_at": None,
    }


def user(store: Store, r: Record, urls: Urls) -> dict[str, Any]:
    """Serialise a user (never its password)."""
    public = ("username", "email", "first_name", "last_name", "is_active", "date_joined")
    return {
        "id": r["id"],
        "url": urls.of("users", r["id"]),
        **{key: r.get(key) for key in public},
        "last_login": r.get("last_login"),
        "organization": urls.of("organizations", r["organization"]),
        "groups": [],
        "queues": [urls.of("queues", q["id"]) for q in store.values("queues")],
        "phone_number": None,
        "oidc_id": None,
        "auth_type": "password",
        "deleted": False,
        "metadata": copy.deepcopy(r.get("metadata", {})),
        "ui_settings": {},
    }


def workspace(store: Store, r: Record, urls: Urls) -> dict[str, Any]:
    """Serialise a workspace."""
    return {
        "id": r["id"],
        "url": urls.of("workspaces", r["id"]),
        "name": r["name"],
        "organization": urls.of("organizations", r["organization"]),
        "queues": _reverse(store, urls, "queues", "workspace", r["id"]),
        "autopilot": False,
        "metadata": copy.deepcopy(r.get("metadata", {})),
    }


def queue(store: Store, r: Record, urls: Urls) -> dict[str, Any]:
    """Serialise a queue; `hooks` is the reverse of `hook.queues`."""
    hooks = _reverse(store, urls, "hooks", "queues", r["id"])
    inboxes = store.values("inboxes")
    counts = Counter(a["status"] for a in store.values("annotations") if a["queue"] == r["id"])
    plain = ("name", "session_timeout", "default_score_threshold", "automation_enabled")
    more = ("automation_level", "locale", "use_confirmed_state", "status", "training_enabled")
    return {
        "id": r["id"],
        "url": urls.of("queues", r["id"]),
        **{key: copy.deepcopy(r.get(key)) for key in plain + more},
        "workspace": urls.maybe("workspaces", r.get("workspace")),
        "schema": urls.of("schemas", r["schema"]),
        "hooks": hooks,
        "webhooks": hooks,
        "connector": None,
        "inbox": next(
            (urls.of("inboxes", i["id"]) for i in inboxes if r["id"] in i["queues"]),
            None,
        ),
        "users": [],
        "rir_url": None,
        "counts": dict(counts),
        "settings": copy.deepcopy(r.get("settings", {})),
        "metadata": copy.deepcopy(r.get("metadata", {})),
    }


def schema(store: Store, r: Record, urls: Urls) -> dict[str, Any]:
    """Serialise a schema with its `content`."""
    return {
        "id": r["id"],
        "url": urls.of("schemas", r["id"]),
        "name": r["name"],
        "queues": _reverse(store, urls, "queues", "schema", r["id"]),
        "content": copy.deepcopy(r["content"]),
        "metadata": copy.deepcopy(r.get("metadata", {})),
    }


def document(store: Store, r: Record, urls: Urls) -> dict[str, Any]:
    """Serialise a document with its `content` (file) URL and annotations."""
    url = urls.of("documents", r["id"])
    return {
        "id": r["id"],
        "url": url,
        "s3_name": r["s3_name"],
        "parent": urls.maybe("documents", r.get("parent")),
        "email": None,
        "mime_type": r["mime_type"],
        "creator": urls.maybe("users", r.get("creator")),
        "created_at": r.get("created_at") or r["arrived_at"],
        "arrived_at": r["arrived_at"],
        "original_file_name": r["original_file_name"],
        "content": f"{url}/content",
        "attachment_status": None,
        "annotations": _reverse(store, urls, "annotations", "document", r["id"]),
        "metadata": copy.deepcopy(r.get("metadata", {})),
    }


def annotation(store: Store, r: Record, urls: Urls) -> dict[str, Any]:
    """Serialise an annotation; `content` is its content URL, `labels` label URLs."""
    url = urls.of("annotations", r["id"])
    messages = [m for batch in r["hook_messages"].values() for m in batch]
    return {
        "id": r["id"],
        "url": url,
        "status": r["status"],
        "document": urls.of("documents", r["document"]),
        "queue": urls.of("queues", r["queue"]),
        "schema": urls.of("schemas", r["schema"]),
        "organization": urls.of("organizations", r["organization"]),
        **{key: urls.maybe("users", r.get(key)) for key in ANNOTATION_USER_REFS},
        **{key: r.get(key) for key in ANNOTATION_TIMES},
        "relations": [],
        "pages": [],
        "rir_poll_id": r.get("rir_poll_id"),
        "messages": copy.deepcopy(messages) or None,
        "content": f"{url}/content",
        "suggested_edit": None,
        "time_spent": r.get("time_spent", 0.0),
        "metadata": copy.deepcopy(r.get("metadata", {})),
        "automated": False,
        "related_emails": [],
        "email": urls.maybe("emails", r.get("email")),
        "automation_blocker": urls.maybe("automation_blockers", r.get("automation_blocker")),
        "email_thread": None,
        "has_email_thread_with_replies": False,
        "has_email_thread_with_new_replies": False,
        "automatically_rejected": False,
        "prediction": None,
        "assignees": [],
        "labels": urls.many("labels", r["labels"]),
        "restricted_access": False,
        "training_enabled": True,
        "einvoice": False,
    }


def label(store: Store, r: Record, urls: Urls) -> dict[str, Any]:
    """Serialise a label exactly as the Labels API lists its fields."""
    return {
        "id": r["id"],
        "url": urls.of("labels", r["id"]),
        "name": r["name"],
        "organization": urls.of("organizations", r["organization"]),
        "color": r["color"],
    }


def hook(store: Store, r: Record, urls: Urls) -> dict[str, Any]:
    """Serialise a hook; `secrets` is write-only, a private config hides url and secret."""
    config = copy.deepcopy(r["config"])
    if config.get("private"):
        config.pop("url", None)
        config.pop("secret", None)
    plain = ("name", "type", "active", "events", "sideload", "description", "extension_source")
    more = ("settings", "settings_schema", "secrets_schema", "token_lifetime_s", "test")
    ui = ("guide", "read_more_url", "extension_image_url", "hook_template", "metadata")
    return {
        "id": r["id"],
        "url": urls.of("hooks", r["id"]),
        **{key: copy.deepcopy(r.get(key)) for key in plain + more + ui},
        "queues": urls.many("queues", r["queues"]),
        "run_after": urls.many("hooks", r["run_after"]),
        "config": config,
        "token_owner": urls.maybe("users", r.get("token_owner")),
        "created_by": urls.maybe("users", r.get("created_by")),
        "created_at": r.get("created_at"),
        "modified_by": urls.maybe("users", r.get("modified_by")),
        "modified_at": r.get("modified_at"),
    }


def note(store: Store, r: Record, urls: Urls) -> dict[str, Any]:
    """Serialise a note on an annotation."""
    return {
        "id": r["id"],
        "url": urls.of("notes", r["id"]),
        "type": r["type"],
        "metadata": copy.deepcopy(r.get("metadata", {})),
        "content": r["content"],
        "created_at": r["created_at"],
        "creator": urls.maybe("users", r.get("creator")),
        "modified_at": r.get("modified_at"),
        "modifier": urls.maybe("users", r.get("modifier")),
        "modified_by": urls.maybe("users", r.get("modifier")),
        "annotation": urls.of("annotations", r["annotation"]),
    }


def automation_blocker(store: Store, r: Record, urls: Urls) -> dict[str, Any]:
    """Serialise an automation blocker."""
    return {
        "id": r["id"],
        "url": urls.of("automation_blockers", r["id"]),
        "annotation": urls.of("annotations", r["annotation"]),
        "content": copy.deepcopy(r["content"]),
    }


SERIALIZERS: Mapping[str, Serializer] = {
    "organizations": organization,
    "organization_groups": organization_group,
    "notes": note,
    "users": user,
    "workspaces": workspace,
    "queues": queue,
    "schemas": schema,
    "documents": document,
    "annotations": annotation,
    "labels": label,
    "hooks": hook,
    "automation_blockers": automation_blocker,
}


def serialize(store: Store, kind: str, record: Record, urls: Urls) -> dict[str, Any]:
    """Serialise a record of `kind`."""
    return SERIALIZERS[kind](store, record, urls)
