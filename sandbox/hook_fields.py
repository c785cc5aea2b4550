"""Validation of hook objects written through the API (spec section 1, "Hook object")."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from sandbox.cron import CronError, check_schedule
from sandbox.errors import bad_request
from sandbox.json_schema import problems
from sandbox.payloads import SIDELOADS
from sandbox.store import Record, Store

EVENT_ACTIONS: Mapping[str, frozenset[str]] = {
    "annotation_status": frozenset({"changed"}),
    "annotation_content": frozenset(
        {"initialize", "started", "user_update", "updated", "confirm", "export"}
    ),
    "upload": frozenset({"created"}),
    "email": frozenset({"received"}),
    "invocation": frozenset({"scheduled", "manual"}),
}
DEFAULT_CONFIG: Mapping[str, Any] = {
    "secret": None,
    "insecure_ssl": False,
    "private": False,
    "schedule": {},
    "timeout_s": 30,
    "retry_count": 4,
    "max_polling_time_s": 300,
    "retry_after_polling_failure": True,
    "payload_logging_enabled": False,
    "retry_on_any_non_2xx": False,
}
_TYPES: Mapping[str, type | tuple[type, ...]] = {
    "name": str,
    "active": bool,
    "description": str,
    "metadata": dict,
    "settings": dict,
    "test": dict,
    "extension_source": str,
    "guide": (str, type(None)),
    "read_more_url": (str, type(None)),
    "extension_image_url": (str, type(None)),
}


def new_hook_record() -> Record:
    """Return a hook record holding Rossum's defaults."""
    return {
        "type": "webhook",
        "queues": [],
        "run_after": [],
        "active": True,
        "events": [],
        "sideload": [],
        "metadata": {},
        "config": dict(DEFAULT_CONFIG),
        "test": {},
        "description": "",
        "extension_source": "custom",
        "settings": {},
        "settings_schema": None,
        "secrets": {},
        "secrets_schema": {"type": "object", "additionalProperties": {"type": "string"}},
        "token_owner": None,
        "token_lifetime_s": None,
        "guide": None,
        "read_more_url": None,
        "extension_image_url": None,
        "hook_template": None,
    }


def _check_events(events: Any) -> list[str]:
    if not isinstance(events, list) or not events:
        raise bad_request("events: expected a non-empty list of event names.")
    for name in events:
        event, _, action = str(name).partition(".")
        if event not in EVENT_ACTIONS or (action and action not in EVENT_ACTIONS[event]):
            raise bad_request(f"events: {name!r} is not a known event or event.action.")
    return list(dict.fromkeys(events))


def _int_in(body: Mapping[str, Any], key: str, low: int, high: int, where: str) -> None:
    value = body.get(key)
    if key in body and (
        not isinstance(value, int | float) or isinstance(value, bool) or not low <= value <= high
    ):
        raise bad_request(f"{where}{key}: expected a number from {low} to {high}, got {value!r}.")


def check_config(config: Any, current: Mapping[str, Any], *, merge: bool) -> dict[str, Any]:
    """Return the hook config `config` asks for over `current`, or raise 400 naming the key."""
    if not isinstance(config, Mapping):
        raise bad_request("config: expected an object.")
    if current.get("private"):
        for key in ("url", "secret"):
            if key in config and config[key] != current.get(key):
                raise bad_request(f"config.{key}: cannot change on a private hook.")
        if config.get("private") is False:
            raise bad_request("config.private: cannot be switched off once on.")
    result = {**DEFAULT_CONFIG, **(current if merge else {}), **config}
    url = result.get("url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in {"http", "https"} or not parts.netloc:
        raise bad_request(f"config.url: expected an http(s) URL, got {url!r}.")
    if result["secret"] is not None and not isinstance(result["secret"], str):
        raise bad_request("config.secret: expected a string or null.")
    _int_in(result, "timeout_s", 0, 60, "config.")
    _int_in(result, "retry_count", 0, 4, "config.")
    _int_in(result, "max_polling_time_s", 1, 3600, "config.")
    try:
        result["schedule"] = check_schedule(result.get("schedule"))
    except CronError as exc:
        raise bad_request(f"config.schedule: {exc}.") from None
    flags = ("payload_logging_enabled", "retry_on_any_non_2xx", "insecure_ssl", "private")
    for flag in (*flags, "retry_after_polling_failure"):
        if not isinstance(result[flag], bool):
            raise bad_request(f"config.{flag}: expected true or false.")
    return result


def _url_list(store: Store, body: Mapping[str, Any], key: str, kind: str) -> list[int]:
    values = body[key]
    if not isinstance(values, list):
        raise bad_request(f"{key}: expected a list of URLs.")
    return [store.ref(kind, v, field=f"{key}[{i}]") for i, v in enumerate(values)]


def validated_hook(
    store: Store, body: Mapping[str, Any], *, current: Record | None, partial: bool
) -> Record:
    """Return the hook record `body` asks for (created, replaced, or patched over `current`)."""
    record = copy.deepcopy(current) if partial and current else new_hook_record()
    if current is not None and not partial:
        record["secrets"] = copy.deepcopy(current.get("secrets", {}))  # write-only: kept on PUT
    if not partial:
        for key in ("name", "events", "config"):
            if key not in body:
                raise bad_request(f"{key}: this field is required.")
    if body.get("type", "webhook") != "webhook":
        raise bad_request(
            "type: the sandbox runs webhooks only; serverless functions are not supported."
        )
    for key, expected in _TYPES.items():
        if key in body:
            if not isinstance(body[key], expected) or (key == "name" and not body[key].strip()):
                raise bad_request(f"{key}: invalid value {body[key]!r}.")
            record[key] = copy.deepcopy(body[key])
    if "events" in body:
        record["events"] = _check_events(body["events"])
    if "config" in body:
        record["config"] = check_config(
            body["config"], (current or {}).get("config", {}), merge=partial
        )
    for key, kind in (("queues", "queues"), ("run_after", "hooks")):
        if key in body:
            record[key] = _url_list(store, body, key, kind)
    if current is not None and current["id"] in record["run_after"]:
        raise bad_request("run_after: a hook cannot run after itself.")
    _apply_simple(store, body, record)
    _check_against_schemas(record)
    return record


def _check_against_schemas(record: Record) -> None:
    """Refuse `settings` / `secrets` that break the hook's own `settings_schema` / `secrets_schema`.

    Secret values never appear in the message, only where the problem is.
    """
    for key, schema_key in (("settings", "settings_schema"), ("secrets", "secrets_schema")):
        schema = record.get(schema_key)
        if not isinstance(schema, dict):
            continue
        found = problems(record.get(key, {}), schema, key)
        if found:
            shown = found if key == "settings" else [p.split(":")[0] + ": invalid" for p in found]
            raise bad_request(f"{key} does not match {schema_key}: " + "; ".join(shown[:5]) + ".")


def _apply_simple(store: Store, body: Mapping[str, Any], record: Record) -> None:
    if "sideload" in body:
        sideload = body["sideload"]
        if not isinstance(sideload, list) or not set(sideload) <= SIDELOADS:
            raise bad_request(f"sideload: expected a list of {sorted(SIDELOADS)}.")
        record["sideload"] = list(sideload)
    if "secrets" in body:
        secrets = body["secrets"]
        if not isinstance(secrets, dict) or not all(isinstance(v, str) for v in secrets.values()):
            raise bad_request("secrets: expected an object of string values.")
        record["secrets"] = dict(secrets)
    for key in ("settings_schema", "secrets_schema"):
        if key in body:
            if body[key] is not None and not isinstance(body[key], dict):
                raise bad_request(f"{key}: expected a JSON schema object or null.")
            record[key] = copy.deepcopy(body[key])
    if "token_owner" in body:
        owner = body["token_owner"]
        record["token_owner"] = (
            None if owner is None else store.ref("users", owner, field="token_owner")
        )
    if "token_lifetime_s" in body:
        if body["token_lifetime_s"] is not None:
            _int_in(body, "token_lifetime_s", 0, 7200, "")
        record["token_lifetime_s"] = body["token_lifetime_s"]
