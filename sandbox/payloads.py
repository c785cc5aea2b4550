"""Hook request payloads, as Rossum builds them (API reference, "Webhook events").

Common keys on every payload; `annotation_status` carries the annotation with `content` as a URL
plus `previous_status`; `annotation_content` carries the content tree (with URLs) and
`updated_datapoints`; both carry the document (without its annotation list) and the sideloads
the hook asked for.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sandbox import serialize
from sandbox.content_tree import served
from sandbox.store import Record, Store
from sandbox.urls import Urls

SIDELOADS = frozenset(
    {"queues", "modifiers", "schemas", "emails", "related_emails", "relations"}
    | {"child_relations", "suggested_edits", "assignees", "pages", "notes", "labels"}
    | {"automation_blockers"}
)


INTERACTIVE_ACTIONS = frozenset({"started", "updated", "user_update", "confirm"})


def is_interactive(event: str, action: str) -> bool:
    """Tell whether Rossum treats the event as interactive (one attempt, fixed 30 s timeout)."""
    if event == "annotation_content":
        return action in INTERACTIVE_ACTIONS
    return (event, action) == ("invocation", "manual")


@dataclass(frozen=True)
class Trigger:
    """Something that happened and is delivered to the subscribed hooks.

    Annotation events name their annotation (its queue picks the hooks); upload and email
    events name a `queue_id` and carry their event-specific keys in `fields`; invocations
    name the hooks they go to in `hook_ids` (a manual call's fields merged at top level).
    """

    event: str
    action: str
    annotation_id: int | None
    urls: Urls
    previous_status: str | None = None
    updated_datapoints: tuple[int, ...] = field(default=())
    queue_id: int | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)
    hook_ids: frozenset[int] | None = None

    @property
    def interactive(self) -> bool:
        """Tell whether this event is interactive (a user waits for the answer)."""
        return is_interactive(self.event, self.action)


def _labels(store: Store, ann: Record, urls: Urls) -> list[dict[str, Any]]:
    found = (store.find("labels", i) for i in ann["labels"])
    return [serialize.label(store, r, urls) for r in found if r is not None]


def _related(kind: str, ref: str) -> Callable[[Store, Record, Urls], list[dict[str, Any]]]:
    def load(store: Store, ann: Record, urls: Urls) -> list[dict[str, Any]]:
        record = store.find(kind, ann[ref]) if ann.get(ref) is not None else None
        return [] if record is None else [serialize.serialize(store, kind, record, urls)]

    return load


_LOADERS: Mapping[str, Callable[[Store, Record, Urls], list[dict[str, Any]]]] = {
    "labels": _labels,
    "queues": _related("queues", "queue"),
    "schemas": _related("schemas", "schema"),
    "modifiers": _related("users", "modifier"),
    "automation_blockers": _related("automation_blockers", "automation_blocker"),
}


def common_keys(
    hook: Record,
    urls: Urls,
    *,
    event: str,
    action: str,
    request_id: str,
    timestamp: str,
    token: str | None,
) -> dict[str, Any]:
    """Return the keys every payload carries, whatever the event."""
    payload: dict[str, Any] = {
        "request_id": request_id,
        "timestamp": timestamp,
        "base_url": urls.base,
    }
    if token is not None:
        payload["rossum_authorization_token"] = token
    return payload | {
        "hook": urls.of("hooks", hook["id"]),
        "settings": copy.deepcopy(hook.get("settings", {})),
        "secrets": copy.deepcopy(hook.get("secrets", {})),
        "event": event,
        "action": action,
    }


def build_payload(
    store: Store,
    hook: Record,
    trigger: Trigger,
    *,
    request_id: str,
    timestamp: str,
    token: str | None,
    updated_datapoints: list[int],
) -> dict[str, Any]:
    """Return the JSON payload of one delivery of `trigger` to `hook`."""
    urls = trigger.urls
    payload = common_keys(
        hook,
        urls,
        event=trigger.event,
        action=trigger.action,
        request_id=request_id,
        timestamp=timestamp,
        token=token,
    )
    if trigger.annotation_id is None:
        # Upload, email and invocation payloads: their own keys, never over the common ones.
        extra = copy.deepcopy(dict(trigger.fields))
        return payload | {k: v for k, v in extra.items() if k not in payload}
    ann = store.get("annotations", trigger.annotation_id)
    annotation = serialize.annotation(store, ann, urls)
    annotation["previous_status"] = (
        trigger.previous_status if trigger.event == "annotation_status" else ann["previous_status"]
    )
    if trigger.event == "annotation_content":
        tree = store.contents.get(ann["id"], [])
        annotation["content"] = served(tree, annotation_url=annotation["url"])
    document = serialize.document(store, store.get("documents", ann["document"]), urls)
    document.pop("annotations")
    payload["annotation"] = annotation
    payload["document"] = document
    if trigger.event == "annotation_content":
        payload["updated_datapoints"] = list(updated_datapoints)
    for name in hook.get("sideload", []):
        loader = _LOADERS.get(name)
        payload[name] = loader(store, ann, urls) if loader else []
    return payload


def redacted(payload: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy safe to log: the hook token and every secret value masked."""
    safe = copy.deepcopy(dict(payload))
    if "rossum_authorization_token" in safe:
        safe["rossum_authorization_token"] = "[redacted]"
    if isinstance(safe.get("secrets"), dict):
        safe["secrets"] = dict.fromkeys(safe["secrets"], "[redacted]")
    return safe
