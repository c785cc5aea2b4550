"""List filters and ordering, declared per object kind, refused when not implemented.

Rossum (API reference, "Filters and ordering"): `?field=a,b` filters combine with AND;
`?ordering=a,-b` orders by one or more keys (`-` for descending). Each kind declares the
filters and ordering keys it serves (the ones the API reference lists for it, where the sandbox
holds the data). Any other query parameter, ordering key or sideload is answered with 400
`bad_request` naming what is supported, so a client never gets an unfiltered list it took for
a filtered one.

Ordering is stable and always ends on `id`, so pages do not shuffle; `None` sorts last going up
and first going down (PostgreSQL's default, which Rossum runs on).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from sandbox.errors import bad_request
from sandbox.store import Record, Store

Value = Callable[[Store, Record], Any]
Predicate = Callable[[Store, Record], bool]
# A filter turns the raw query value into a predicate (or raises 400 for a malformed value).
Filter = Callable[[str, str], Predicate]

# Parameters every list accepts: pagination and the SDK's always-sent (possibly empty) keys.
PAGING = frozenset({"page", "page_size", "include_total"})
EMPTY_OK = frozenset({"ordering", "sideload", "content.schema_id", "fields", "fields!"})


def field_value(name: str) -> Value:
    """Return the record's own `name`."""
    return lambda store, record: record.get(name)


def related(ref: str, kind: str, name: str) -> Value:
    """Return `name` of the `kind` object the record's `ref` points to (`creator__username`)."""

    def value(store: Store, record: Record) -> Any:
        target = record.get(ref)
        other = store.find(kind, target) if isinstance(target, int) else None
        return None if other is None else other.get(name)

    return value


def _split(name: str, raw: str) -> list[str]:
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    if not parts:
        raise bad_request(f"{name}: expected a value.")
    return parts


def ids(value: Value) -> Filter:
    """Match a comma list of integer ids against an id (or a list of ids)."""

    def make(name: str, raw: str) -> Predicate:
        try:
            wanted = {int(part) for part in _split(name, raw)}
        except ValueError:
            detail = f"{name}: expected comma-separated integer ids, got {raw!r}."
            raise bad_request(detail) from None

        def match(store: Store, record: Record) -> bool:
            got = value(store, record)
            if isinstance(got, list):
                return bool(wanted & set(got))
            return got in wanted

        return match

    return make


def texts(value: Value, *, allowed: Collection[str] | None = None) -> Filter:
    """Match a comma list of exact strings (optionally from a closed set)."""

    def make(name: str, raw: str) -> Predicate:
        wanted = set(_split(name, raw))
        unknown = wanted - set(allowed) if allowed is not None else set()
        if unknown:
            expected = list(allowed or ())
            raise bad_request(f"{name}: unknown values {sorted(unknown)}; expected {expected}.")

        def match(store: Store, record: Record) -> bool:
            got = value(store, record)
            if isinstance(got, list):
                return bool(wanted & {str(v) for v in got})
            return got is not None and str(got) in wanted

        return match

    return make


def exact(value: Value) -> Filter:
    """Match one exact string (a name may contain commas)."""
    return lambda name, raw: lambda store, record: value(store, record) == raw


def boolean(value: Value) -> Filter:
    """Match `true`/`false`."""

    def make(name: str, raw: str) -> Predicate:
        if raw.lower() not in {"true", "false", "1", "0"}:
            raise bad_request(f"{name}: expected true or false, got {raw!r}.")
        wanted = raw.lower() in {"true", "1"}
        return lambda store, record: bool(value(store, record)) is wanted

    return make


def parse_moment(name: str, raw: str) -> datetime:
    """Parse an ISO 8601 date or timestamp (`2019-11-14`, `2019-11-14 22:00:00`, `...Z`)."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise bad_request(f"{name}: expected an ISO 8601 timestamp, got {raw!r}.") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _moment(value: Any) -> datetime | None:
    return None if not value else parse_moment("value", str(value))


def before(value: Value) -> Filter:
    """Match timestamps at or before the given moment (`*_before`)."""

    def make(name: str, raw: str) -> Predicate:
        limit = parse_moment(name, raw)

        def match(store: Store, record: Record) -> bool:
            got = _moment(value(store, record))
            return got is not None and got <= limit

        return match

    return make


def after(value: Value) -> Filter:
    """Match timestamps at or after the given moment (`*_after`)."""

    def make(name: str, raw: str) -> Predicate:
        limit = parse_moment(name, raw)

        def match(store: Store, record: Record) -> bool:
            got = _moment(value(store, record))
            return got is not None and got >= limit

        return match

    return make


def time_range(prefix: str, value: Value | None = None) -> dict[str, Filter]:
    """Return the `<prefix>_before` and `<prefix>_after` filters of a timestamp."""
    read = value or field_value(prefix)
    return {f"{prefix}_before": before(read), f"{prefix}_after": after(read)}


@dataclass(frozen=True)
class ListSpec:
    """What one list endpoint filters, orders and sideloads."""

    kind: str
    filters: Mapping[str, Filter] = field(default_factory=dict)
    orderings: Mapping[str, Value] = field(default_factory=dict)
    sideloads: frozenset[str] = frozenset()
    # Extra parameters the endpoint itself reads (`format`, `cursor`, `search_after`, ...).
    extra: frozenset[str] = frozenset()
    default_ordering: str = "id"
    # Ordering keys computed from their name (`field.<schema_id>.<type>` in search).
    dynamic: Callable[[str], Value | None] | None = None
    # Whether `fields` / `fields!` (attributes to include / exclude) are served.
    selectable: bool = False

    def check_params(self, request: Request) -> None:
        """Refuse any query parameter this list does not implement."""
        known = self.extra | set(self.filters)
        refuse_unknown(
            request, self.kind, known, sideloads=self.sideloads, selectable=self.selectable
        )

    def predicate(self, request: Request) -> Predicate:
        """Return one predicate for every filter in the query (all must hold)."""
        checks = [
            self.filters[name](name, raw)
            for name, raw in request.query_params.multi_items()
            if name in self.filters and raw != ""
        ]
        return lambda store, record: all(check(store, record) for check in checks)

    def ordering(self, request: Request) -> list[tuple[str, bool]]:
        """Return `(key, descending)` pairs of `?ordering=`, or raise 400 on an unknown key."""
        raw = request.query_params.get("ordering") or self.default_ordering
        keys = []
        for part in raw.split(","):
            part = part.strip()
            name = part.lstrip("-")
            if not name:
                continue
            if name not in self.orderings and self._dynamic(name) is None:
                raise bad_request(
                    f"ordering: {name!r} not supported on {self.kind}; "
                    f"supported: {', '.join(sorted(self.orderings))}."
                )
            keys.append((name, part.startswith("-")))
        return keys

    def _dynamic(self, name: str) -> Value | None:
        return self.dynamic(name) if self.dynamic is not None else None

    def select(self, request: Request, store: Store, items: Iterable[Record]) -> list[Record]:
        """Check the query, then filter and order `items`."""
        self.check_params(request)
        match = self.predicate(request)
        chosen = [r for r in items if match(store, r)]
        return order(chosen, store, self.ordering(request), self.value_of)

    def value_of(self, name: str) -> Value:
        """Return the value function of ordering key `name`."""
        found = self.orderings.get(name) or self._dynamic(name)
        assert found is not None
        return found


def refuse_unknown(
    request: Request,
    kind: str,
    known: Collection[str],
    *,
    sideloads: Collection[str] = (),
    selectable: bool = False,
) -> None:
    """Answer 400 for a query parameter, sideload or `fields` selection not implemented."""
    allowed = PAGING | EMPTY_OK | set(known)
    filters = sorted(set(known) - {"ordering", "cursor", "search_after"})
    for name, raw in request.query_params.multi_items():
        if name not in allowed:
            raise bad_request(
                f"{name}: filter not supported on {kind}; "
                f"supported filters: {', '.join(filters) or 'none'}."
            )
        if name in {"fields", "fields!"} and raw and not selectable:
            raise bad_request(f"{name}: selecting fields is not supported by the sandbox.")
        if name == "content.schema_id" and raw and "content" not in sideloads_of(request):
            raise bad_request("content.schema_id: only valid with sideload=content.")
    unknown = [name for name in sideloads_of(request) if name not in sideloads]
    if unknown:
        raise bad_request(
            f"sideload: {', '.join(unknown)} not supported on {kind}; "
            f"supported: {', '.join(sorted(sideloads)) or 'none'}."
        )


def order(
    items: list[Record],
    store: Store,
    keys: Sequence[tuple[str, bool]],
    value_of: Callable[[str], Value],
) -> list[Record]:
    """Sort by every key in turn (stable), ending on id; None last ascending, first descending."""
    result = sorted(items, key=lambda r: r["id"])
    if not any(name == "id" for name, _ in keys):
        keys = [*keys, ("id", False)]
    for name, descending in reversed(keys):
        read = value_of(name)

        def key(record: Record, read: Value = read) -> tuple[bool, Any]:
            value = read(store, record)
            return (value is None, 0 if value is None else value)

        result.sort(key=key, reverse=descending)
    return result


def field_selection(request: Request, attributes: Collection[str]) -> Callable[[Any], Any]:
    """Return what `fields` (keep) and `fields!` (drop) make of a served object (API
    reference, "Query fields"); an attribute not in `attributes` is a 400."""
    include = [f.strip() for f in (request.query_params.get("fields") or "").split(",") if f]
    exclude = [f.strip() for f in (request.query_params.get("fields!") or "").split(",") if f]
    unknown = [name for name in include + exclude if name not in attributes]
    if unknown:
        raise bad_request(f"fields: unknown attributes {unknown}.")

    def select(served: dict[str, Any]) -> dict[str, Any]:
        kept = {k: v for k, v in served.items() if not include or k in include}
        return {k: v for k, v in kept.items() if k not in exclude}

    return select


def sideloads_of(request: Request) -> list[str]:
    """Return the names in `?sideload=a,b` (none when absent or empty)."""
    raw = request.query_params.get("sideload") or ""
    return [part.strip() for part in raw.split(",") if part.strip()]


def common(kind: str, *names: str) -> dict[str, Filter]:
    """Return `id` plus exact-string filters on the record's own fields."""
    filters: dict[str, Filter] = {"id": ids(field_value("id"))}
    filters.update({name: exact(field_value(name)) for name in names})
    return filters


def plain_orderings(*names: str) -> dict[str, Value]:
    """Return ordering keys read from the record's own fields."""
    return {name: field_value(name) for name in ("id", *names)}
