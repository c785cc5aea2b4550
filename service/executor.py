"""Carry out the API side of a Decision: labels, annotation updates, content operations.

Only what changes something is sent: a label known to be on the annotation is not added again,
one known not to be on it is not removed (`service.label_state` says what is known), and all
adds and removes go in one `labels/apply` call. A delivery older than the newest content
version acted on for its annotation makes no call at all. On content events the operations,
messages and blockers are not sent here: they go into the answer and Rossum applies them.
Every call is idempotent, so a retried delivery is safe.

The label state of an annotation is read and written under its lock (`AnnotationLocks`).
With a store that can compare-and-set (`LabelStateSwap`, the Redis one), a delivery first
decides without the lock, on the state this process last saw: if that decision makes no API
write (labels already right, or the delivery is stale), the new state is swapped in only if
nobody holds the lock and the kept state is still the one decided on, which makes it the same
as taking the lock, reading, writing and releasing at that instant; on another kept state it
decides once more on that one, and else takes the lock as usual. Only label look-ups (the
organisation's label list, creating a missing label) may be made before the lock: they change
no annotation. A dry run with the in-process store takes no lock at all: it keeps no state and
sends no write, and nobody else keeps state in that store.
"""

from __future__ import annotations

from dataclasses import dataclass

from client import BadRequest, NotFound
from handlers.decision import Decision
from handlers.events import HookEvent
from service import label_state
from service.labels import ApiFactory, Journal, LabelCache
from service.locks import KeyedLocks
from service.stores import (
    AnnotationLocks,
    ContentVersion,
    LabelState,
    LabelStateStore,
    LabelStateSwap,
    MemoryLabelStateStore,
)

# Decisions made without the lock before taking it: on the state last seen, then on the one kept.
SWAP_ATTEMPTS = 2


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


def _organization(event: HookEvent) -> str:
    """Return the key of the organisation whose labels `event` uses."""
    return event.organization_url or event.base_url or "default"


class Executor:
    """Apply decisions through a Rossum API client, recording each call in a journal."""

    def __init__(
        self,
        *,
        labels: LabelCache,
        states: LabelStateStore | None = None,
        locks: AnnotationLocks | None = None,
        dry_run: bool = False,
    ) -> None:
        self.labels = labels
        self.states: LabelStateStore = states if states is not None else MemoryLabelStateStore()
        self.locks: AnnotationLocks = locks if locks is not None else KeyedLocks()
        # A dry run changes nothing, so it must not record label changes as made.
        self._dry_run = dry_run
        swap = self.states if isinstance(self.states, LabelStateSwap) else None
        self._swap = None if dry_run else swap
        # A dry run keeps no label state; with this process's own store nobody else keeps any
        # either, so there is none to read, and no call is sent that would need ordering: a
        # delivery decides on its payload alone, without the annotation's lock.
        self._stateless = dry_run and isinstance(self.states, MemoryLabelStateStore)

    async def carry_out(
        self, api: ApiFactory, event: HookEvent, decision: Decision, *, journal: Journal
    ) -> Outcome:
        """Make the API calls `decision` needs for `event`; raise the client's errors.

        `api()` returns the delivery's client; it is called only when a request is due. The
        annotation's lock is held for the calls (see the module doc for when it is not needed).
        """
        if event.annotation_url is None or event.annotation_id is None:
            return Outcome()
        if self._stateless:
            return await self._carry_out(api, event, decision, journal, None)
        key = event.annotation_url
        version = label_state.content_version(event)
        if self._swap is not None:
            done = await self._without_lock(self._swap, api, event, decision, journal, version)
            if done is not None:
                return done
        async with self.locks.hold(key):
            return await self._under_lock(api, event, decision, journal, version)

    async def _without_lock(
        self,
        swap: LabelStateSwap,
        api: ApiFactory,
        event: HookEvent,
        decision: Decision,
        journal: Journal,
        version: ContentVersion,
    ) -> Outcome | None:
        """Carry out a decision that needs no API write by compare-and-set; None: take the lock."""
        key = str(event.annotation_url)
        if decision.annotation_update or (
            decision.operations and event.event != "annotation_content"
        ):
            return None
        kept = await swap.hint(key)
        for _ in range(SWAP_ATTEMPTS):
            if kept is not None and version < kept.version:
                outcome, new = Outcome(stale=True), kept  # nothing to write: check it holds
            else:
                if decision.add_labels or decision.remove_labels:
                    add, remove, _ = await self._label_changes(api, event, decision, journal, kept)
                    if add or remove:
                        return None  # a labels/apply is due
                outcome = Outcome()
                new = label_state.after(
                    kept, version, present=decision.add_labels, absent=decision.remove_labels
                )
            swapped = await swap.swap(key, kept, new, ttl_s=label_state.LABEL_STATE_TTL_S)
            if swapped.done:
                return outcome
            if swapped.held:
                return None
            kept = swapped.kept
        return None

    async def _under_lock(
        self,
        api: ApiFactory,
        event: HookEvent,
        decision: Decision,
        journal: Journal,
        version: ContentVersion,
    ) -> Outcome:
        key = str(event.annotation_url)
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
        if not self._dry_run:  # (a dry run keeps no state: it changed nothing)
            state = label_state.after(
                kept, version, present=decision.add_labels, absent=decision.remove_labels
            )
            await self._keep(key, state)
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
        async def once() -> Outcome:
            add, remove, urls = await self._label_changes(api, event, decision, journal, kept)
            if add or remove:
                annotation = str(event.annotation_url)
                journal.append(
                    {"call": "apply_labels", "annotation": annotation, "add": add, "remove": remove}
                )
                await api().apply_labels(
                    [annotation], add=[urls[n] for n in add], remove=[urls[n] for n in remove]
                )
            return Outcome(labels_added=tuple(add), labels_removed=tuple(remove))

        try:
            return await once()
        except (BadRequest, NotFound):
            # A cached label URL may have been deleted in Rossum: refresh once and retry.
            self.labels.forget(_organization(event))
            return await once()

    async def _label_changes(
        self,
        api: ApiFactory,
        event: HookEvent,
        decision: Decision,
        journal: Journal,
        kept: LabelState | None,
    ) -> tuple[list[str], list[str], dict[str, str]]:
        """Return the label names to add and to remove (not known to be so already), and the
        URLs of the names resolved."""
        organization = _organization(event)
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
        return add, remove, urls

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
