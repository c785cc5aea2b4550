"""`POST /annotations/search` (API reference, "Search for annotations").

Body `{"query": {"$and": [...]}, "query_string": {"string": "..."}}` (both optional, combined
with AND). Each `$and` item maps a meta field (`status`, `queue`, `labels`, `created_at`, ...)
or a content field `field.<schema_id>.<string|number|date>` to operators `$eq $ne $gt $gte $lt
$lte $in $nin $startsWith $anyTokenStartsWith $containsPrefixes $emptyOrMissing`. A content
field matches when any datapoint of that schema id (table rows included) matches. The
full-text `query_string` matches every whitespace-separated term as a case-insensitive word
prefix of a datapoint value; fewer than 2 characters apply no search, as documented.

Ordering: the annotation list keys plus `field.<schema_id>.<type>` (the first such datapoint).
Paging: `page_size` up to 500 (100 with `sideload=content`); `next` carries a signed
`search_after` tied to the body and ordering, and a changed body or ordering with it is a 400.
`?page=N` is accepted too (the SDK pages this way). Unknown fields or operators are a 400.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.annotation_query import (
    ANNOTATIONS,
    field_values,
    full_text_match,
    iter_nodes,
    typed,
)
from sandbox.annotations import annotation_page
from sandbox.errors import bad_request
from sandbox.http import read_object, sandbox_of, urls_of
from sandbox.listing import Value, field_value, parse_moment, related, sideloads_of
from sandbox.pagination import page_link
from sandbox.store import Record, Store

MAX_PAGE_SIZE = 500
FIELD_TYPES = ("string", "number", "date")
Check = Callable[[Store, Record], bool]


def _url_field(name: str, kind: str) -> Callable[[Store, Record], list[Any]]:
    def read(store: Store, ann: Record) -> list[Any]:
        value = ann.get(name)
        values = value if isinstance(value, list) else [value]
        return [f"/{kind}/{v}" for v in values if v is not None]

    return read


def _plain(read: Value) -> Callable[[Store, Record], list[Any]]:
    return lambda store, ann: [v for v in [read(store, ann)] if v is not None]


# meta field -> (how its values are read off an annotation, value type)
META: dict[str, tuple[Callable[[Store, Record], list[Any]], str]] = {
    "annotation": (_url_field("id", "annotations"), "url"),
    "status": (_plain(field_value("status")), "string"),
    "queue": (_url_field("queue", "queues"), "url"),
    "document": (_url_field("document", "documents"), "url"),
    "labels": (_url_field("labels", "labels"), "url"),
    "automated": (lambda store, ann: [False], "bool"),
    "restricted_access": (lambda store, ann: [False], "bool"),
    "original_file_name": (
        _plain(related("document", "documents", "original_file_name")),
        "string",
    ),
    "arrived_at": (_plain(field_value("created_at")), "date"),
}
for _ref in ("creator", "modifier", "confirmed_by", "deleted_by", "exported_by", "purged_by"):
    META[_ref] = (_url_field(_ref, "users"), "url")
    META[f"{_ref}__username"] = (_plain(related(_ref, "users", "username")), "string")
META["rejected_by"] = (_url_field("rejected_by", "users"), "url")
META["rejected_by__username"] = (_plain(related("rejected_by", "users", "username")), "string")
for _moment in (
    "created_at",
    "modified_at",
    "assigned_at",
    "confirmed_at",
    "exported_at",
    "deleted_at",
    "rejected_at",
    "purged_at",
):
    META[_moment] = (_plain(field_value(_moment)), "date")


def _operand(value: Any, type_: str, key: str) -> Any:
    """Normalise a query operand to compare with stored values of `type_`."""
    if type_ == "url":
        if not isinstance(value, str):
            raise bad_request(f"query: {key} expects URLs, got {value!r}.")
        kind_id = value.rstrip("/").split("/api/v1/")[-1]
        return f"/{kind_id}"
    if type_ == "date":
        return parse_moment(key, str(value))
    if type_ == "day":
        return parse_moment(key, str(value)).date().isoformat()
    if type_ == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise bad_request(f"query: {key} expects a number, got {value!r}.")
        return float(value)
    if type_ == "bool":
        if not isinstance(value, bool):
            raise bad_request(f"query: {key} expects true or false, got {value!r}.")
        return value
    if not isinstance(value, str) or len(value) > 256:
        raise bad_request(f"query: {key} expects a string of at most 256 characters.")
    return value


def _stored(value: Any, type_: str) -> Any:
    if type_ == "date" and isinstance(value, str):
        return parse_moment("value", value)
    return value


def _prefix(words: str, term: str, op: str, key: str) -> bool:
    if len(term) < 2:
        raise bad_request(f"query: {key} {op} needs at least 2 characters.")
    if op == "$startsWith":
        return words.casefold().startswith(term.casefold())
    tokens = words.casefold().split()
    if op == "$anyTokenStartsWith":
        return any(token.startswith(term.casefold()) for token in tokens)
    return all(any(t.startswith(part) for t in tokens) for part in term.casefold().split())


def _operator(op: str, operand: Any, type_: str, key: str) -> Callable[[list[Any]], bool]:
    if op == "$emptyOrMissing":
        if not isinstance(operand, bool):
            raise bad_request(f"query: {key} $emptyOrMissing expects true or false.")
        return lambda values: (not [v for v in values if v not in (None, "")]) is operand
    if op in {"$in", "$nin"}:
        if not isinstance(operand, list):
            raise bad_request(f"query: {key} {op} expects a list.")
        wanted = [_operand(v, type_, key) for v in operand]
        hit: Callable[[list[Any]], bool] = lambda values: any(v in wanted for v in values)  # noqa: E731
        return hit if op == "$in" else (lambda values: not hit(values))
    if op in {"$startsWith", "$anyTokenStartsWith", "$containsPrefixes"}:
        if type_ != "string" or not isinstance(operand, str):
            raise bad_request(f"query: {key} {op} applies to strings only.")
        return lambda values: any(_prefix(str(v), operand, op, key) for v in values)
    compare: dict[str, Callable[[Any, Any], bool]] = {
        "$eq": lambda a, b: a == b,
        "$gt": lambda a, b: a > b,
        "$gte": lambda a, b: a >= b,
        "$lt": lambda a, b: a < b,
        "$lte": lambda a, b: a <= b,
    }
    value = _operand(operand, type_, key)
    if op == "$ne":
        return lambda values: all(v != value for v in values)
    if op not in compare:
        raise bad_request(f"query: operator {op!r} is not supported.")
    test = compare[op]
    return lambda values: any(v is not None and test(v, value) for v in values)


def _condition(key: str, spec: Any) -> Check:
    if not isinstance(spec, dict) or not spec:
        raise bad_request(f"query: {key} expects an object of operators.")
    if key.startswith("field."):
        parts = key.split(".")
        if len(parts) != 3 or parts[2] not in FIELD_TYPES or not parts[1]:
            raise bad_request(f"query: {key!r}: expected field.<schema_id>.<string|number|date>.")
        schema_id, type_ = parts[1], parts[2]
        compare_type = "day" if type_ == "date" else type_

        def read(store: Store, ann: Record) -> list[Any]:
            return [typed(v, type_) for v in field_values(store, ann, schema_id)]

    elif key in META:
        meta_read, compare_type = META[key]

        def read(store: Store, ann: Record) -> list[Any]:
            return [_stored(v, compare_type) for v in meta_read(store, ann)]

    else:
        raise bad_request(f"query: {key!r} is not a supported search field.")
    ops = [_operator(op, operand, compare_type, key) for op, operand in spec.items()]
    return lambda store, ann: all(op(read(store, ann)) for op in ops)


def _query_check(body: dict[str, Any]) -> Check:
    checks: list[Check] = []
    query = body.get("query")
    if query is not None:
        if not isinstance(query, dict) or set(query) - {"$and"}:
            raise bad_request('query: expected {"$and": [...]}.')
        items = query.get("$and", [])
        if not isinstance(items, list):
            raise bad_request("query: $and expects a list.")
        for item in items:
            if not isinstance(item, dict):
                raise bad_request("query: every $and item is an object.")
            checks += [_condition(key, spec) for key, spec in item.items()]
    query_string = body.get("query_string")
    if query_string is not None:
        if not isinstance(query_string, dict) or not isinstance(query_string.get("string"), str):
            raise bad_request('query_string: expected {"string": "..."}.')
        term = query_string["string"]
        if len(term) > 256:
            raise bad_request("query_string: at most 256 characters.")
        if len(term.strip()) >= 2:
            checks.append(lambda store, ann: full_text_match(term, _all_values(store, ann)))
    unknown = set(body) - {"query", "query_string"}
    if unknown:
        raise bad_request(f"{', '.join(sorted(unknown))}: not a search key.")
    return lambda store, ann: all(check(store, ann) for check in checks)


def _all_values(store: Store, ann: Record) -> list[str]:
    return [
        str((node.get("content") or {}).get("value") or "")
        for node in iter_nodes(store.contents.get(ann["id"], []))
        if node.get("category") == "datapoint"
    ]


def _field_ordering(name: str) -> Value | None:
    parts = name.split(".")
    if len(parts) != 3 or parts[0] != "field" or parts[2] not in FIELD_TYPES:
        return None
    schema_id, type_ = parts[1], parts[2]

    def value(store: Store, ann: Record) -> Any:
        values = [typed(v, type_) for v in field_values(store, ann, schema_id)]
        return next((v for v in values if v is not None), None)

    return value


SEARCH = replace(
    ANNOTATIONS,
    filters={},
    extra=frozenset({"search_after"}),
    dynamic=_field_ordering,
)


def _fingerprint(body: dict[str, Any], ordering: str) -> str:
    raw = json.dumps(body, sort_keys=True, separators=(",", ":")) + "|" + ordering
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


async def search_annotations(request: Request) -> Response:
    """Search annotations by a query and/or full-text string; one page of results."""
    sandbox, urls = sandbox_of(request), urls_of(request)
    body = await read_object(request, allow_empty=True)
    if not body.get("query") and not body.get("query_string"):
        raise bad_request("Either query or query_string must be provided.")
    match = _query_check(body)
    items = SEARCH.select(request, sandbox.store, sandbox.store.values("annotations"))
    items = [a for a in items if match(sandbox.store, a)]
    fingerprint = _fingerprint(body, request.query_params.get("ordering") or "")
    cursor = request.query_params.get("search_after")
    page_number = None
    if cursor:
        position, _ = sandbox.cursors.decode(cursor, ordering=fingerprint)
        if not position or not isinstance(position[0], int):
            raise bad_request("Value of search_after is not valid anymore.")
        page_number = position[0]
    max_size = 100 if "content" in sideloads_of(request) else MAX_PAGE_SIZE
    page = annotation_page(request, sandbox, items, urls, max_size=max_size, page=page_number)
    pagination = page["pagination"]
    current = page_number or int(request.query_params.get("page") or 1)
    for link, number in (("next", current + 1), ("previous", current - 1)):
        if pagination[link] is not None:
            token = sandbox.cursors.encode([number], direction="n", ordering=fingerprint)
            pagination[link] = page_link(request, urls, search_after=token)
    return JSONResponse(page)


routes = [Route("/annotations/search", search_annotations, methods=["POST"])]
