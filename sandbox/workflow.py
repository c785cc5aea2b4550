"""The annotation lifecycle and the hook events each step fires (API reference,
"Annotation Lifecycle", "Webhook events").

import: `importing` -> `annotation_content.initialize` -> `to_review` -> `annotation_status.changed`
start: `reviewing` (+ `annotation_content.started`, interactive)
confirm: `annotation_content.confirm` (interactive) -> `confirmed`, or `exporting` ->
         `annotation_content.export` -> `exported` | `failed_export`
Every status change made by a user (not with a hook's token) fires `annotation_status.changed`.
Interactive events are awaited by the request that caused them; the rest run in the background.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from sandbox.auth import Principal
from sandbox.errors import ApiError
from sandbox.payloads import Trigger
from sandbox.store import Record, now_iso
from sandbox.urls import Urls

if TYPE_CHECKING:
    from sandbox.delivery_log import Delivery
    from sandbox.state import Sandbox

STATUSES = (
    "created",
    "importing",
    "failed_import",
    "split",
    "to_review",
    "reviewing",
    "in_workflow",
    "confirmed",
    "rejected",
    "exporting",
    "exported",
    "failed_export",
    "postponed",
    "deleted",
    "purged",
)
_STAMPS = {
    "confirmed": ("confirmed_at", "confirmed_by"),
    "exported": ("exported_at", "exported_by"),
    "failed_export": ("export_failed_at", None),
    "rejected": ("rejected_at", "rejected_by"),
    "deleted": ("deleted_at", "deleted_by"),
    "purged": ("purged_at", "purged_by"),
    "reviewing": ("assigned_at", None),
}
# Statuses in which the annotation data may still change.
EDITABLE = frozenset({"created", "importing", "to_review", "reviewing", "postponed", "confirmed"})


def set_status(ann: Record, status: str, *, user_id: int | None) -> str:
    """Move `ann` to `status`, stamping the matching `*_at`/`*_by`; return the old status."""
    old = str(ann["status"])
    now = now_iso()
    ann["previous_status"], ann["status"], ann["modified_at"] = old, status, now
    if user_id is not None:
        ann["modifier"] = ann["modified_by"] = user_id
    at_field, by_field = _STAMPS.get(status, (None, None))
    if at_field:
        ann[at_field] = now
    if by_field and user_id is not None:
        ann[by_field] = user_id
    return old


def require_status(ann: Record, allowed: Collection[str], *, verb: str) -> None:
    """Raise 409 `conflict_status` unless the annotation is in one of `allowed`."""
    if ann["status"] not in allowed:
        raise ApiError(
            409,
            f"Cannot {verb} annotation {ann['id']} in status {ann['status']!r}; "
            f"expected one of {sorted(allowed)}.",
        )


def require_editable(ann: Record, who: Principal) -> None:
    """Raise 409 unless the caller may change this annotation's data right now."""
    require_status(ann, EDITABLE, verb="change the data of")
    if ann["status"] == "reviewing" and not who.is_hook and ann.get("started_by") != who.user_id:
        raise ApiError(409, "The annotation is being reviewed by another user.")


class Workflow:
    """Run lifecycle steps and fire their hook events."""

    def __init__(self, sandbox: Sandbox) -> None:
        self._sandbox = sandbox

    async def _fire(
        self,
        event: str,
        action: str,
        ann_id: int,
        urls: Urls,
        *,
        previous_status: str | None = None,
        updated_datapoints: tuple[int, ...] = (),
    ) -> list[Delivery]:
        trigger = Trigger(event, action, ann_id, urls, previous_status, updated_datapoints)
        return await self._sandbox.deliveries.dispatch(trigger)

    def change_status(self, ann: Record, status: str, *, urls: Urls, who: Principal | None) -> None:
        """Set a new status; a user's change fires `annotation_status.changed` (and exports)."""
        old = set_status(ann, status, user_id=who.user_id if who else None)
        if who is not None and who.is_hook:
            return  # calls made with a hook's token never fire events (no loops)
        self._sandbox.deliveries.spawn(self._after_change(ann["id"], old, status, urls))

    async def _after_change(self, ann_id: int, old: str, new: str, urls: Urls) -> None:
        await self._fire("annotation_status", "changed", ann_id, urls, previous_status=old)
        if new == "exporting":
            await self._export(ann_id, urls)

    async def run_import(self, ann_id: int, urls: Urls) -> None:
        """Run the import flow of a freshly created annotation."""
        await self._fire("annotation_content", "initialize", ann_id, urls)
        ann = self._sandbox.store.find("annotations", ann_id)
        if ann is None or ann["status"] != "importing":
            return
        old = set_status(ann, "to_review", user_id=None)
        await self._fire("annotation_status", "changed", ann_id, urls, previous_status=old)

    async def _export(self, ann_id: int, urls: Urls) -> None:
        deliveries = await self._fire("annotation_content", "export", ann_id, urls)
        ann = self._sandbox.store.find("annotations", ann_id)
        if ann is None or ann["status"] != "exporting":
            return
        # Rossum: a failed export call, or an `error` message in its answer, fails the export.
        failed = any(d.state != "succeeded" or d.outcome.error_messages for d in deliveries)
        old = set_status(ann, "failed_export" if failed else "exported", user_id=None)
        await self._fire("annotation_status", "changed", ann_id, urls, previous_status=old)

    async def content_changed(self, ann: Record, changed: list[int], *, urls: Urls) -> None:
        """Fire `annotation_content.updated` (interactive) for a user's data change."""
        await self._fire(
            "annotation_content", "updated", ann["id"], urls, updated_datapoints=tuple(changed)
        )

    async def start(
        self, ann: Record, statuses: Collection[str], *, urls: Urls, who: Principal
    ) -> None:
        """Start reviewing: `reviewing`, then `annotation_content.started`."""
        if ann["status"] == "reviewing" and ann.get("started_by") == who.user_id:
            return
        require_status(ann, statuses, verb="start")
        ann["status_before_start"], ann["started_by"] = ann["status"], who.user_id
        self.change_status(ann, "reviewing", urls=urls, who=who)
        if not who.is_hook:
            await self._fire("annotation_content", "started", ann["id"], urls)

    async def confirm(self, ann: Record, *, urls: Urls, who: Principal) -> None:
        """Confirm: `annotation_content.confirm`, then `confirmed` or the export flow."""
        require_status(ann, {"to_review", "reviewing", "postponed"}, verb="confirm")
        require_editable(ann, who)
        if not who.is_hook:
            await self._fire("annotation_content", "confirm", ann["id"], urls)
        queue = self._sandbox.store.get("queues", ann["queue"])
        target = "confirmed" if queue.get("use_confirmed_state") else "exporting"
        ann["confirmed_at"], ann["confirmed_by"] = now_iso(), who.user_id
        self.change_status(ann, target, urls=urls, who=who)

    def cancel(self, ann: Record, *, urls: Urls, who: Principal) -> None:
        """Stop reviewing: back to the status before `start`."""
        require_status(ann, {"reviewing"}, verb="cancel")
        require_editable(ann, who)
        back = ann.get("status_before_start") or "to_review"
        ann["started_by"] = None
        self.change_status(ann, back, urls=urls, who=who)
