"""Hook tooling: `POST /hooks/{id}/generate_payload` and `POST /hooks/{id}/test`.

API reference ("Generate payload for hook", "Test a hook"):

- `generate_payload` takes `{"event", "action", "annotation", "status", "previous_status",
  "email", "upload"}` and returns the payload the hook would get for that event, with the
  *caller's* token as `rossum_authorization_token` (whatever the hook's `token_owner`) and every
  value in `secrets` redacted. `status` and `previous_status` default to the annotation's own.
  Annotation events need `annotation`, `upload.created` an `upload` URL, `email.received` an
  `email` URL (an upload or email the sandbox received).
- `test` takes `{"payload", "config"?}`, sends `payload` to the hook as it is (signed with
  `config.secret`, `config` overriding the hook's own for this call only) and answers
  `{"response": <the hook's answer>}`. Nothing of the answer is applied to any annotation, and
  the call is not a delivery (no hook log entry, no token issued). A hook that fails to answer
  2xx gets 400 with what went wrong (status, timeout or connection error) in `detail`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.emails import email_trigger
from sandbox.errors import bad_request
from sandbox.hook_fields import EVENT_ACTIONS, check_config
from sandbox.http import caller, read_object, sandbox_of, urls_of
from sandbox.payloads import Trigger, build_payload, is_interactive
from sandbox.store import now_iso
from sandbox.upload_events import upload_trigger
from sandbox.urls import id_from_url
from sandbox.workflow import STATUSES

REDACTED = "[redacted...]"
ANNOTATION_EVENTS = frozenset({"annotation_content", "annotation_status"})
RECORD_EVENTS = {"upload": "uploads", "email": "emails"}  # event -> the object it is about
MAX_DETAIL_ANSWER = 500


def _event_action(body: Mapping[str, Any], where: str = "") -> tuple[str, str]:
    event, action = body.get("event"), body.get("action")
    if not isinstance(event, str) or event not in EVENT_ACTIONS:
        raise bad_request(f"{where}event: expected one of {sorted(EVENT_ACTIONS)}, got {event!r}.")
    if not isinstance(action, str) or action not in EVENT_ACTIONS[event]:
        expected = sorted(EVENT_ACTIONS[event])
        raise bad_request(f"{where}action: {event} has actions {expected}, got {action!r}.")
    return event, action


def _status(body: Mapping[str, Any], name: str, default: str | None) -> str | None:
    value = body.get(name, default)
    if value is None:
        return None
    if not isinstance(value, str) or value not in STATUSES:
        raise bad_request(f"{name}: expected one of {list(STATUSES)}, got {value!r}.")
    return value


async def generate_payload(request: Request) -> Response:
    """Return a realistic payload of `event.action` for this hook (secrets redacted)."""
    sandbox, urls = sandbox_of(request), urls_of(request)
    hook = sandbox.store.get("hooks", request.path_params["hook_id"])
    body = await read_object(request)
    event, action = _event_action(body)
    statuses: dict[str, str | None] = {}
    if event in ANNOTATION_EVENTS:
        if "annotation" not in body:
            raise bad_request(f"annotation: this field is required for {event} events.")
        ann_id = id_from_url(body["annotation"], "annotations", field="annotation")
        ann = sandbox.store.get("annotations", ann_id)
        statuses["status"] = _status(body, "status", ann["status"])
        statuses["previous_status"] = _status(body, "previous_status", ann["previous_status"])
        trigger = Trigger(event, action, ann_id, urls, previous_status=statuses["previous_status"])
    elif event in RECORD_EVENTS:
        kind = RECORD_EVENTS[event]
        name = kind.rstrip("s")
        if name not in body:
            raise bad_request(f"{name}: this field is required for {event} events.")
        record = sandbox.store.get(kind, id_from_url(body[name], kind, field=name))
        built = upload_trigger if event == "upload" else email_trigger
        trigger = built(sandbox.store, record, urls)
    else:  # invocation: the common keys only
        trigger = Trigger(event, action, None, urls)
    payload = build_payload(
        sandbox.store,
        hook,
        trigger,
        request_id=str(uuid.uuid4()),
        timestamp=now_iso(),
        token=caller(request).token,
        updated_datapoints=[],
    )
    if statuses:
        payload["annotation"] |= statuses
    payload["secrets"] = dict.fromkeys(payload.get("secrets") or {}, REDACTED)
    return JSONResponse(payload)


def _failure(status_code: int | None, error: str | None, answer: Any) -> str:
    if error is not None:
        return f"The hook did not answer: {error}."
    shown = str(answer)[:MAX_DETAIL_ANSWER] if answer is not None else "no body"
    return f"The hook answered HTTP {status_code}: {shown}"


async def test_hook(request: Request) -> Response:
    """Send `payload` to the hook once and answer `{"response": <its answer>}`."""
    sandbox = sandbox_of(request)
    hook = sandbox.store.get("hooks", request.path_params["hook_id"])
    body = await read_object(request)
    payload = body.get("payload")
    if not isinstance(payload, dict):
        raise bad_request("payload: this field is required and must be an object.")
    event, action = _event_action(payload, "payload.")
    overrides = body.get("config", {})
    config = check_config(overrides, hook["config"], merge=True)
    trial = {**hook, "config": config}
    result = await sandbox.deliveries.caller.post(
        trial, payload, interactive=is_interactive(event, action)
    )
    if not result.ok:
        raise bad_request(_failure(result.status_code, result.error, result.answer))
    return JSONResponse({"response": result.answer})


routes = [
    Route("/hooks/{hook_id:int}/generate_payload", generate_payload, methods=["POST"]),
    Route("/hooks/{hook_id:int}/test", test_hook, methods=["POST"]),
]
