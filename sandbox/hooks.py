"""Hooks (webhook extensions): CRUD, `secrets_keys`, and `GET /hooks/logs`.

The hook object follows the API reference ("Hook") and spec section 1: `config.url`,
`config.secret`, `config.timeout_s` (0-60), `config.retry_count` (0-4),
`config.payload_logging_enabled`, `config.retry_on_any_non_2xx`, `events`, `queues`,
`run_after`, `active`, `settings`, write-only `secrets`, `token_owner`, `token_lifetime_s`
(0-7200) and `sideload`. Only `type: webhook` is supported.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox import serialize
from sandbox.errors import bad_request
from sandbox.hook_fields import validated_hook
from sandbox.http import caller, id_filter, read_object, sandbox_of, text_filter, urls_of
from sandbox.listing import (
    ListSpec,
    boolean,
    common,
    exact,
    field_value,
    ids,
    plain_orderings,
    refuse_unknown,
    texts,
)
from sandbox.pagination import paginate_pages
from sandbox.store import Record, Store, now_iso


def _config_url(store: Store, hook: Record) -> Any:
    return hook["config"].get("url")


HOOKS = ListSpec(
    "hooks",
    {
        **common("hooks", "name", "type", "extension_source"),
        "queue": ids(field_value("queues")),
        "active": boolean(field_value("active")),
        "events": texts(field_value("events")),
        "config_url": exact(_config_url),
    },
    {**plain_orderings("name", "type", "active"), "config_url": _config_url},
)


async def list_hooks(request: Request) -> Response:
    """List hooks with the filters and ordering keys of `HOOKS` (others are a 400)."""
    sandbox, urls = sandbox_of(request), urls_of(request)
    items = HOOKS.select(request, sandbox.store, sandbox.store.values("hooks"))
    page = paginate_pages(request, items, urls)
    page["results"] = [serialize.hook(sandbox.store, h, urls) for h in page["results"]]
    return JSONResponse(page)


async def create_hook(request: Request) -> Response:
    """Create a webhook; 201."""
    sandbox, urls = sandbox_of(request), urls_of(request)
    body = await read_object(request)
    record = validated_hook(sandbox.store, body, current=None, partial=False)
    now, user = now_iso(), caller(request).user_id
    record |= {"created_at": now, "created_by": user, "modified_at": now, "modified_by": user}
    sandbox.store.add("hooks", record)
    return JSONResponse(serialize.hook(sandbox.store, record, urls), status_code=201)


async def retrieve_hook(request: Request) -> Response:
    """Return one hook (without its secrets)."""
    sandbox = sandbox_of(request)
    record = sandbox.store.get("hooks", request.path_params["hook_id"])
    return JSONResponse(serialize.hook(sandbox.store, record, urls_of(request)))


async def update_hook(request: Request) -> Response:
    """Change a hook: PUT replaces it, PATCH changes what it sends (merging `config`)."""
    sandbox = sandbox_of(request)
    record = sandbox.store.get("hooks", request.path_params["hook_id"])
    body = await read_object(request, allow_empty=request.method == "PATCH")
    partial = request.method == "PATCH"
    updated = validated_hook(sandbox.store, body, current=record, partial=partial)
    updated |= {"modified_at": now_iso(), "modified_by": caller(request).user_id}
    record.update(updated)
    return JSONResponse(serialize.hook(sandbox.store, record, urls_of(request)))


async def delete_hook(request: Request) -> Response:
    """Delete a hook; 204."""
    sandbox = sandbox_of(request)
    hook_id = request.path_params["hook_id"]
    sandbox.store.remove("hooks", hook_id)
    for other in sandbox.store.values("hooks"):
        other["run_after"] = [h for h in other["run_after"] if h != hook_id]
    return Response(status_code=204)


async def secrets_keys(request: Request) -> Response:
    """Return the names (never the values) of a hook's secrets."""
    record = sandbox_of(request).store.get("hooks", request.path_params["hook_id"])
    return JSONResponse(sorted(record.get("secrets", {})))


def _timestamp(request: Request, name: str) -> str | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise bad_request(f"{name}: expected an ISO 8601 timestamp, got {raw!r}.") from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _log_filter(request: Request) -> Callable[[dict[str, Any]], bool]:
    """Return a predicate for the log filters of the request (400 on a malformed one)."""
    checks: list[tuple[str, set[Any] | None]] = [
        ("hook_id", id_filter(request, "hook")),
        ("queue_id", id_filter(request, "queue")),
        ("annotation_id", id_filter(request, "annotation")),
        ("status_code", id_filter(request, "status_code")),
        ("request_id", text_filter(request, "request_id")),
        ("log_level", text_filter(request, "log_level")),
        ("status", text_filter(request, "status")),
    ]
    active = [(key, allowed) for key, allowed in checks if allowed is not None]
    before, after = _timestamp(request, "timestamp_before"), _timestamp(request, "timestamp_after")

    def matches(entry: dict[str, Any]) -> bool:
        return (
            all(entry[key] in allowed for key, allowed in active)
            and (before is None or entry["timestamp"] < before)
            and (after is None or entry["timestamp"] > after)
        )

    return matches


LOG_FILTERS = frozenset(
    {"hook", "queue", "annotation", "status_code", "request_id", "log_level", "status"}
    | {"timestamp_before", "timestamp_after"}
)


async def hook_logs(request: Request) -> Response:
    """List hook call logs, newest first (`page_size` at most 100; no ordering)."""
    sandbox = sandbox_of(request)
    refuse_unknown(request, "hooks/logs", LOG_FILTERS)
    if request.query_params.get("ordering"):
        raise bad_request("ordering: hook logs are always newest first.")
    matches = _log_filter(request)
    entries = [e for e in reversed(sandbox.deliveries.logs) if matches(e)]
    return JSONResponse(paginate_pages(request, entries, urls_of(request), strict_max=True))


routes = [
    Route("/hooks", list_hooks, methods=["GET"]),
    Route("/hooks", create_hook, methods=["POST"]),
    Route("/hooks/logs", hook_logs, methods=["GET"]),
    Route("/hooks/{hook_id:int}", retrieve_hook, methods=["GET"]),
    Route("/hooks/{hook_id:int}", update_hook, methods=["PUT", "PATCH"]),
    Route("/hooks/{hook_id:int}", delete_hook, methods=["DELETE"]),
    Route("/hooks/{hook_id:int}/secrets_keys", secrets_keys, methods=["GET"]),
]
