"""Carry out the API side of a Decision: labels, annotation updates, content operations.

Only what changes something is sent: a label known to be on the annotation is not added again,
one known not to be on it is not removed (`service.label_state` says what is known), and all
adds and removes go in one `labels/apply` call. A delivery older than the newest content
version acted on for its annotation makes no call at all. On content events the operations,
messages and blockers are not sent here: they go into the answer and Rossum applies them.
Every call is idempotent, so a retried delivery is safe.
"""

from __future__ import annotations

from dataclasses import dataclass

from client import BadRequest, NotFound
from handlers.decision import Decision
from handlers.events import HookEvent
from service import label_state
from service.labels import ApiFactory, Journal, LabelCache
from service.stores import LabelState, LabelStateStore, MemoryLabelStateStore


@dataclass(frozen=True, slots=True)
class Outcome:
    """What was done for a delivery: label names changed and the calls made."""

    labels_added: tuple[str, ...] = ()
    labels_removed: tuple[str, ...] = ()
    # Older than the newest content version acted on: nothing was done, and the answer must
    # not carry content operations either (they would overwrite newer content).
    stale: bool = False


def has_api_work(event: HookEvent, decision: Decision) -> bool:
    """Tell whether `decision` changes `event`'s annotation: labels, updates or operations.

    Content operations in a content event's answer count too: they must not be answered for
    content older than the newest version seen (see `Outcome.stale`).
    """
    if event.annotation_url is None:
        return False
    return bool(
        decision.add_labels
        or decision.remove_labels
        or decision.annotation_update
        or decision.operations
    )


def needs_api(event: HookEvent, decision: Decision) -> bool:
    """Tell whether `decision` may change something, going by the payload alone."""
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

    def __init__(
        self,
        *,
        labels: LabelCache,
        states: LabelStateStore | None = None,
        dry_run: bool = False,
    ) -> None:
        self.labels = labels
        self.states: LabelStateStore = states if states is not None else MemoryLabelStateStore()
        # A dry run changes nothing, so it must not record label changes as made.
        self._dry_run = dry_run

    async def carry_out(
        self, api: ApiFactory, event: HookEvent, decision: Decision, *, journal: Journal
    ) -> Outcome:
        """Make the API calls `decision` needs for `event`; raise the client's errors.

        `api()` returns the delivery's client; it is called only when a request is due. The
        caller holds the annotation's lock (the label state is read and written under it).
        """
        if event.annotation_url is None or event.annotation_id is None:
            return Outcome()
        key = event.annotation_url
        version = label_state.content_version(event)
        kept = await self.states.get(key)
        if kept is not None and version < kept.version:
            return Outcome(stale=True)
        names = decision.add_labels | decision.remove_labels
        try:
            outcome = await self._carry_out(api, event, decision, journal, kept)
        except BaseException:
            # The apply may or may not have happened: trust no kept view of these labels.
            await self._keep(key, label_state.unsure(kept, names))
            raise
        await self._keep(
            key,
            label_state.after(
                kept, version, present=decision.add_labels, absent=decision.remove_labels
            ),
        )
        return outcome

    async def _keep(self, key: str, state: LabelState | None) -> None:
        if state is not None and not self._dry_run:
            await self.states.put(key, state, ttl_s=label_state.LABEL_STATE_TTL_S)

    async def _carry_out(
        self,
        api: ApiFactory,
        event: HookEvent,
        decision: Decision,
        journal: Journal,
        kept: LabelState | None,
    ) -> Outcome:
        assert event.annotation_id is not None
        outcome = Outcome()
        if decision.add_labels or decision.remove_labels:
            outcome = await self._apply_labels(api, event, decision, journal, kept)
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
        self,
        api: ApiFactory,
        event: HookEvent,
        decision: Decision,
        journal: Journal,
        kept: LabelState | None,
    ) -> Outcome:
        organization = event.organization_url or event.base_url or "default"
        try:
            return await self._apply_once(api, event, decision, organization, journal, kept)
        except (BadRequest, NotFound):
            # A cached label URL may have been deleted in Rossum: refresh once and retry.
            self.labels.forget(organization)
            return await self._apply_once(api, event, decision, organization, journal, kept)

    async def _apply_once(
        self,
        api: ApiFactory,
        event: HookEvent,
        decision: Decision,
        organization: str,
        journal: Journal,
        kept: LabelState | None,
    ) -> Outcome:
        snapshot = _current_labels(event)
        # Sideloaded label objects are the annotation's labels as Rossum sees them now: exact,
        # and free of API calls (a cached list may predate a label made in the UI).
        sideloaded = event.sideloaded_labels
        self.labels.learn(organization, sideloaded)
        wanted = decision.add_labels | decision.remove_labels
        urls = {n: sideloaded[n] for n in wanted if n in sideloaded}
        if snapshot and wanted - urls.keys():
            # The snapshot lists URLs: to tell which named labels it holds, resolve the names.
            urls |= await self._resolve(api, organization, wanted - urls.keys(), decision, journal)

        def known(name: str) -> bool | None:
            in_snapshot = label_state.in_snapshot(name, urls, snapshot)
            return label_state.known_presence(name, in_snapshot, kept)

        add = sorted(n for n in decision.add_labels if known(n) is not True)
        remove = sorted(n for n in decision.remove_labels if known(n) is not False)
        if missing := set(add + remove) - urls.keys():
            urls |= await self._resolve(api, organization, missing, decision, journal)
        remove = [n for n in remove if n in urls]  # a label that does not exist is on nothing
        if add or remove:
            annotation = str(event.annotation_url)
            journal.append(
                {"call": "apply_labels", "annotation": annotation, "add": add, "remove": remove}
            )
            await api().apply_labels(
                [annotation], add=[urls[n] for n in add], remove=[urls[n] for n in remove]
            )
        return Outcome(labels_added=tuple(add), labels_removed=tuple(remove))

    async def _resolve(
        self,
        api: ApiFactory,
        organization: str,
        names: set[str],
        decision: Decision,
        journal: Journal,
    ) -> dict[str, str]:
        return await self.labels.resolve(
            api,
            organization=organization,
            names=names,
            create=names & decision.add_labels,
            journal=journal,
        )
