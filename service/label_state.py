"""Which labels a delivery must change, given the payload's snapshot and what this service did.

A payload's `annotation.labels` is a snapshot from when Rossum built it. Under concurrent edits
it can predate a change this service made for another delivery, so it alone cannot say whether
a label is there. The `LabelState` this service keeps per annotation says what it made present
or absent for the newest content version it acted on. A label's presence is taken as known
only where both agree (or only one of them says anything); where they disagree the label is
sent again (`labels/apply` is idempotent). So a delivery whose labels are already right costs no
call, and one built on a stale snapshot still ends right.

Deliveries are ordered by the content version they carry (`ContentVersion`), not by arrival:
one older than the newest version acted on changes no label, so it cannot undo a newer effect.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, datetime

from handlers.events import HookEvent
from service.stores import ContentVersion, LabelState

# How long a per-annotation label state is kept after its last delivery.
LABEL_STATE_TTL_S = 24 * 3600.0


def content_version(event: HookEvent) -> ContentVersion:
    """Return the content version `event` carries: annotation `modified_at`, then `timestamp`."""
    annotation = getattr(event, "annotation", None)
    modified = getattr(annotation, "modified_at", None)
    return ContentVersion(modified=modified or event.timestamp, sent=event.timestamp)


def in_snapshot(name: str, urls: Mapping[str, str], snapshot: frozenset[str] | None) -> bool | None:
    """Tell whether the payload's label snapshot holds `name` (None: the payload does not say).

    A name with no known URL does not exist in the organisation, so it is not on any annotation.
    """
    if snapshot is None:
        return None
    if not snapshot or name not in urls:
        return False
    return urls[name] in snapshot


def known_presence(name: str, snapshot: bool | None, kept: LabelState | None) -> bool | None:
    """Combine the snapshot's and the kept state's view of one label: None when unsure."""
    if kept is not None and name in kept.doubtful:
        return None
    mine = kept.knows(name) if kept is not None else None
    if snapshot is None:
        return mine
    if mine is None or mine == snapshot:
        return snapshot
    return None


def after(
    kept: LabelState | None,
    version: ContentVersion,
    *,
    present: Collection[str],
    absent: Collection[str],
) -> LabelState:
    """Return the state once `present`/`absent` hold for content `version`."""
    old = kept or LabelState(version=version)
    decided = frozenset(present) | frozenset(absent)
    return LabelState(
        version=max(version, old.version),
        present=(old.present - frozenset(absent)) | frozenset(present),
        absent=(old.absent - frozenset(present)) | frozenset(absent),
        doubtful=old.doubtful - decided,
    )


def unsure(kept: LabelState | None, names: Collection[str]) -> LabelState:
    """Return `kept` with `names` in doubt (after a failed or interrupted apply).

    The version does not move: the failed delivery's decision was not carried out.
    """
    doubt = frozenset(names)
    old = kept or LabelState(version=ContentVersion(_EARLIEST, _EARLIEST))
    return LabelState(
        version=old.version,
        present=old.present - doubt,
        absent=old.absent - doubt,
        doubtful=old.doubtful | doubt,
    )


_EARLIEST = datetime.min.replace(tzinfo=UTC)
