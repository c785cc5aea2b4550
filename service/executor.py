"""Carry out the API side of a Decision: labels, annotation updates, content operations.

Only what changes something is sent: a label already on the annotation is not added again, one
not on it is not removed, and all adds and removes go in one `labels/apply` call. On content
events the operations, messages and blockers are not sent here: they go into the answer and
Rossum applies them. Every call is idempotent, so a retried delivery is safe.
"""

from __future__ import annotations

from dataclasses import dataclass

from client import BadRequest, NotFound
from handlers.decision import Decision
from handlers.events import HookEvent
from service.labels import ApiFactory, Journal, LabelCache


@dataclass(frozen=True, slots=True)
class Outcome:
    """What was done for a delivery: label names changed and the calls made."""

    labels_added: tuple[str, ...] = ()
    labels_removed: tuple[str, ...] = ()


def needs_api(event: HookEvent, decision: Decision) -> bool:
    """Tell whether carrying out `decision` for `event` may take an API call."""
    if event.annotation_url is None:
        return False
    if decision.add_labels or decision.annotation_update:
        return True
    if decision.remove_labels and (_current_labels(event) != frozenset()):
        return True
    return bool(decision.operations) and event.event != "annotation_content"


def _current_labels(event: HookEvent) -> frozenset[str] | None:
    """Return the label URLs on the annotation, or None when the payload does not say."""
    annotation = getattr(event, "annotation", None)
    if annotation is None or "labels" not in annotation.model_fields_set:
        return None
    return frozenset(annotation.labels)


class Executor:
    """Apply decisions through a Rossum API client, recording each call in a journal."""

    def __init__(self, *, labels: LabelCache) -> None:
        self.labels = labels

    async def carry_out(
        self, api: ApiFactory, event: HookEvent, decision: Decision, *, journal: Journal
    ) -> Outcome:
        """Make the API calls `decision` needs for `event`; raise the client's errors.

        `api()` returns the delivery's client; it is called only when a request is due.
        """
        outcome = Outcome()
        if event.annotation_url is None or event.annotation_id is None:
            return outcome
        if decision.add_labels or decision.remove_labels:
            outcome = await self._apply_labels(api, event, decision, journal)
        if decision.annotation_update:
            data = dict(decision.annotation_update)
            journal.append(
                {
                    "call": "update_part_annotation",
                    "annotation_id": event.annotation_id,
                    "data": data,
                }
            )
            await api().update_part_annotation(event.annotation_id, data)
        if decision.operations and event.event != "annotation_content":
            ops = [op.to_json() for op in decision.operations]
            journal.append(
                {
                    "call": "bulk_update_annotation_data",
                    "annotation_id": event.annotation_id,
                    "operations": ops,
                }
            )
            await api().bulk_update_annotation_data(event.annotation_id, ops)
        return outcome

    async def _apply_labels(
        self, api: ApiFactory, event: HookEvent, decision: Decision, journal: Journal
    ) -> Outcome:
        organization = event.organization_url or event.base_url or "default"
        try:
            return await self._apply_once(api, event, decision, organization, journal)
        except (BadRequest, NotFound):
            # A cached label URL may have been deleted in Rossum: refresh once and retry.
            self.labels.forget(organization)
            return await self._apply_once(api, event, decision, organization, journal)

    async def _apply_once(
        self,
        api: ApiFactory,
        event: HookEvent,
        decision: Decision,
        organization: str,
        journal: Journal,
    ) -> Outcome:
        current = _current_labels(event)
        removable = set() if current == frozenset() else set(decision.remove_labels)
        # Sideloaded label objects are the annotation's labels as Rossum sees them now: exact,
        # and free of API calls (a cached list may predate a label made in the UI).
        sideloaded = event.sideloaded_labels
        self.labels.learn(organization, sideloaded)
        wanted = decision.add_labels | removable
        urls = {n: sideloaded[n] for n in wanted if n in sideloaded}
        if wanted - urls.keys():
            urls |= await self.labels.resolve(
                api,
                organization=organization,
                names=wanted - urls.keys(),
                create=decision.add_labels - urls.keys(),
                journal=journal,
            )
        add = sorted(n for n in decision.add_labels if current is None or urls[n] not in current)
        remove = sorted(
            n for n in removable if n in urls and (current is None or urls[n] in current)
        )
        if add or remove:
            annotation = str(event.annotation_url)
            journal.append(
                {"call": "apply_labels", "annotation": annotation, "add": add, "remove": remove}
            )
            await api().apply_labels(
                [annotation], add=[urls[n] for n in add], remove=[urls[n] for n in remove]
            )
        return Outcome(labels_added=tuple(add), labels_removed=tuple(remove))
