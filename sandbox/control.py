"""Sandbox-only endpoints under `/api/v1/sandbox` (no token, no faults, no rate limit).

- `GET  /sandbox`: what this sandbox is (credentials, demo queue, counts).
- `POST /sandbox/import[?wait=true]`: import a document with given values and run the import
  flow (`initialize`, then `to_review` and `annotation_status.changed`); with `wait=true`
  the answer comes after those deliveries, otherwise at once (201 either way).
- `GET/PUT /sandbox/faults`: read or change fault injection and the rate limit at runtime.
- `GET  /sandbox/deliveries[?wait=true&timeout=S&annotation=&hook=&event=]`: delivery records
  (attempts, status codes, durations, answers, what was applied); `wait=true` first waits until
  no delivery is running (504 `gateway_timeout` if that takes longer than `timeout`).
- `GET  /sandbox/label-events[?annotation=&label=]`: every label add/remove asked through
  `POST /labels/apply`, with `changed` false for a no-op (e.g. a retried add), and the hook
  whose token made the call.
- `POST /sandbox/expire-tokens`: expire `{"keys": [...]}`, or every login token, so clients'
  re-login can be tested.
- `GET  /sandbox/request-rate[?window=1]`: API requests seen (the sandbox is one
  organisation), the peak number within any `window` seconds, and how many the rate limit
  refused; `DELETE` starts counting afresh.
"""

from __future__ import annotations

import asyncio
import math

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox import serialize
from sandbox.demo_data import DEMO_PASSWORD, DEMO_QUEUE_ID, DEMO_USER, VIEWER_PASSWORD, VIEWER_USER
from sandbox.errors import ApiError, bad_request
from sandbox.faults import FaultConfig
from sandbox.http import bool_filter, id_filter, read_object, sandbox_of, text_filter, urls_of
from sandbox.importer import import_document


async def info(request: Request) -> Response:
    """Describe the sandbox: API root, seeded users, demo queue, object counts."""
    sandbox, urls = sandbox_of(request), urls_of(request)
    return JSONResponse(
        {
            "api": urls.api,
            "users": [
                {"username": DEMO_USER, "password": DEMO_PASSWORD, "role": "admin"},
                {"username": VIEWER_USER, "password": VIEWER_PASSWORD, "role": "viewer"},
            ],
            "demo_queue": urls.of("queues", DEMO_QUEUE_ID)
            if sandbox.store.find("queues", DEMO_QUEUE_ID)
            else None,
            "inboxes": [i["email"] for i in sandbox.store.values("inboxes")],
            "counts": {kind: len(table) for kind, table in sandbox.store.tables.items()},
            "deliveries_running": sandbox.deliveries.busy,
        }
    )


async def import_endpoint(request: Request) -> Response:
    """Import a document and run the import flow; 201 with the annotation."""
    sandbox, urls = sandbox_of(request), urls_of(request)
    wait = bool_filter(request, "wait") or False
    body = await read_object(request)
    ann = import_document(sandbox.store, body, creator=1)
    task = sandbox.deliveries.spawn(sandbox.workflow.run_import(ann["id"], urls))
    if wait:
        await asyncio.shield(task)
    return JSONResponse(serialize.annotation(sandbox.store, ann, urls), status_code=201)


async def get_faults(request: Request) -> Response:
    """Return the current fault configuration and how many faults were injected."""
    faults = sandbox_of(request).faults
    return JSONResponse(
        {**faults.config.model_dump(), "injected": {str(k): v for k, v in faults.injected.items()}}
    )


async def put_faults(request: Request) -> Response:
    """Change fault settings (only the keys sent); 400 on an invalid value."""
    sandbox = sandbox_of(request)
    body = await read_object(request)
    try:
        config = FaultConfig.model_validate({**sandbox.faults.config.model_dump(), **body})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors()
        )
        raise bad_request(problems) from None
    sandbox.faults.config = config
    if config.rate_limit_per_s != sandbox.limiter.per_s:
        sandbox.limiter.set_rate(config.rate_limit_per_s)
    return await get_faults(request)


def _timeout(request: Request) -> float:
    raw = request.query_params.get("timeout") or "30"
    try:
        value = float(raw)
    except ValueError:
        raise bad_request(f"timeout: expected seconds, got {raw!r}.") from None
    if not 0 < value <= 600 or math.isnan(value):
        raise bad_request("timeout: expected 0 < timeout <= 600 seconds.")
    return value


async def deliveries(request: Request) -> Response:
    """List delivery records, optionally after waiting for the sandbox to be idle."""
    sandbox = sandbox_of(request)
    if bool_filter(request, "wait"):
        try:
            async with asyncio.timeout(_timeout(request)):
                await asyncio.shield(sandbox.idle())
        except TimeoutError:
            raise ApiError(504, "Deliveries are still running.") from None
    annotations, hooks = id_filter(request, "annotation"), id_filter(request, "hook")
    events = text_filter(request, "event")
    records = [
        d.as_json()
        for d in sandbox.deliveries.records
        if (annotations is None or d.annotation_id in annotations)
        and (hooks is None or d.hook_id in hooks)
        and (events is None or d.event in events or f"{d.event}.{d.action}" in events)
    ]
    return JSONResponse({"idle": not sandbox.deliveries.busy, "results": records})


async def label_events(request: Request) -> Response:
    """List every label add/remove asked for, with whether it changed anything."""
    store = sandbox_of(request).store
    annotations, labels = id_filter(request, "annotation"), id_filter(request, "label")
    events = [
        e
        for e in store.label_events
        if (annotations is None or e["annotation"] in annotations)
        and (labels is None or e["label"] in labels)
    ]
    return JSONResponse({"results": events})


async def expire_tokens(request: Request) -> Response:
    """Expire the given token keys, or every login token."""
    body = await read_object(request, allow_empty=True)
    keys = body.get("keys")
    if keys is not None and (
        not isinstance(keys, list) or not all(isinstance(k, str) for k in keys)
    ):
        raise bad_request("keys: expected a list of token keys.")
    expired = sandbox_of(request).tokens.expire(keys)
    return JSONResponse({"expired": expired})


async def request_rate(request: Request) -> Response:
    """Report the API requests seen: count, peak within `window` s (default 1), refusals."""
    raw = request.query_params.get("window") or "1"
    try:
        window = float(raw)
    except ValueError:
        raise bad_request(f"window: expected seconds, got {raw!r}.") from None
    if not 0 < window <= 60:
        raise bad_request("window: expected 0 < window <= 60 seconds.")
    return JSONResponse(sandbox_of(request).request_rate.summary(window_s=window))


async def reset_request_rate(request: Request) -> Response:
    """Start counting API requests afresh."""
    sandbox_of(request).request_rate.reset()
    return Response(status_code=204)


routes = [
    Route("/sandbox", info, methods=["GET"]),
    Route("/sandbox/import", import_endpoint, methods=["POST"]),
    Route("/sandbox/faults", get_faults, methods=["GET"]),
    Route("/sandbox/faults", put_faults, methods=["PUT"]),
    Route("/sandbox/deliveries", deliveries, methods=["GET"]),
    Route("/sandbox/label-events", label_events, methods=["GET"]),
    Route("/sandbox/expire-tokens", expire_tokens, methods=["POST"]),
    Route("/sandbox/request-rate", request_rate, methods=["GET"]),
    Route("/sandbox/request-rate", reset_request_rate, methods=["DELETE"]),
]
