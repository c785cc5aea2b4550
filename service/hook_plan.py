"""Plan and apply a hook file against the hook in Rossum.

The desired hook is the file's fields with names resolved to URLs (queues, `run_after` hooks,
the token owner), `events` defaulting to what the rules register, `settings_schema` generated
from the rules' declared settings, and the secret read from the environment. The plan compares
that with the hook of the same name in Rossum, field by field (settings key by key); applying
creates the hook or PATCHes the fields that differ. The secret is compared, never shown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from client import AsyncRossumAPIClient
from handlers.routing import Router
from service.hook_file import HookFile, HookFileError

SECRET_SHOWN = "(not shown)"
_REF_LISTS = {"queues": "queues", "run_after": "hooks"}
_SETS = ("events", "sideload")
_SHOWN_CHARS = 200


@dataclass(frozen=True)
class Change:
    """One difference between Rossum's hook and the file: `+` added, `~` changed, `-` removed."""

    path: str
    kind: str
    old: Any = None
    new: Any = None
    secret: bool = False

    def line(self) -> str:
        """Return the change as one line of the plan."""
        if self.secret:
            return f"  {self.kind} {self.path}: {'set' if self.kind == '+' else 'changed'} " + (
                SECRET_SHOWN
            )
        if self.kind == "+":
            return f"  + {self.path}: {_shown(self.new)}"
        if self.kind == "-":
            return f"  - {self.path}: {_shown(self.old)}"
        return f"  ~ {self.path}: {_shown(self.old)} -> {_shown(self.new)}"


@dataclass
class Plan:
    """What `hook apply` would do: create (no `hook_id`) or patch the listed fields."""

    name: str
    api_url: str
    hook_id: int | None
    body: dict[str, Any]
    patch: dict[str, Any]
    changes: list[Change]
    warnings: list[str] = field(default_factory=list)

    @property
    def has_changes(self) -> bool:
        """Tell whether applying would change anything in Rossum."""
        return bool(self.changes)

    def render(self) -> str:
        """Return the plan as text (no secret in it)."""
        where = f"at {self.api_url}"
        if self.hook_id is None:
            head = f"Hook {self.name!r} does not exist {where}: it will be created."
        elif not self.changes:
            head = f"Hook {self.name!r} (id {self.hook_id}) {where} is up to date."
        else:
            count = len(self.changes)
            head = f"Hook {self.name!r} (id {self.hook_id}) {where}: {count} change(s)."
        lines = [head, *(c.line() for c in self.changes)]
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines) + "\n"


def _shown(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 3] + "..."


def rule_events(router: Router) -> list[str]:
    """Return the `event` / `event.action` subscriptions the rules need, in rule order."""
    events: list[str] = []
    for registration in router.registrations():
        if registration.actions is None:
            events.append(registration.event)
        else:
            events += [f"{registration.event}.{a}" for a in sorted(registration.actions)]
    whole = {e for e in events if "." not in e}
    return [e for e in dict.fromkeys(events) if e in whole or e.split(".")[0] not in whole]


def check_settings(spec: HookFile, router: Router) -> list[str]:
    """Raise on a setting the rules would refuse; return warnings for keys no rule reads."""
    declared = {s.name: s for s in router.settings()}
    problems = [
        f"settings.{name}: {problem}"
        for name, setting in declared.items()
        if name in spec.settings and (problem := setting.problem(spec.settings)) is not None
    ]
    if problems:
        raise HookFileError(f"{spec.path}: " + "; ".join(problems))
    return [
        f"settings.{key} is read by none of the loaded rules"
        for key in spec.settings
        if key not in declared
    ]


def _ref(value: Any) -> str:
    """Return the comparable tail (`queues/101`) of an object URL."""
    parts = str(value).rstrip("/").split("/")
    return "/".join(parts[-2:])


async def _lookup(api: AsyncRossumAPIClient, kind: str, key: str, value: str) -> str:
    filters: dict[str, Any] = {key: value}
    found = [item async for item in api.request_paginated(kind, **filters)]
    if len(found) != 1:
        many = "no" if not found else f"{len(found)}"
        raise HookFileError(f"{many} {kind} with {key} {value!r} at {api.base_url}")
    return str(found[0]["url"])


async def _resolve(api: AsyncRossumAPIClient, kind: str, key: str, value: str | int) -> str:
    """Return the URL of an object given by id, URL, or `key` (name, username)."""
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return f"{api.base_url}/{kind}/{int(value)}"
    if value.startswith(("http://", "https://")):
        return value
    return await _lookup(api, kind, key, value)


async def desired_hook(
    api: AsyncRossumAPIClient, spec: HookFile, router: Router, environ: Mapping[str, str]
) -> dict[str, Any]:
    """Return the hook body the file asks for, names resolved, secret included."""
    body: dict[str, Any] = {"name": spec.name, "type": "webhook"}
    for key, value in spec.fields.items():
        if key == "queues":
            body[key] = [await _resolve(api, "queues", "name", v) for v in value]
        elif key == "run_after":
            body[key] = [await _resolve(api, "hooks", "name", v) for v in value]
        elif key == "token_owner":
            body[key] = await _resolve(api, "users", "username", value)
        elif key != "name":
            body[key] = value
    body.setdefault("events", rule_events(router))
    config = dict(spec.config)
    secret = spec.secret(environ)
    if secret is not None:
        config["secret"] = secret
    body["config"] = config
    body["settings"] = dict(spec.settings)
    if spec.generate_schema:
        body["settings_schema"] = router.settings_schema()
    return body


async def find_hook(api: AsyncRossumAPIClient, name: str) -> dict[str, Any] | None:
    """Return Rossum's hook named `name`, None if there is none; raise if several."""
    found = [h async for h in api.request_paginated("hooks", name=name)]
    if len(found) > 1:
        ids = ", ".join(str(h["id"]) for h in found)
        raise HookFileError(f"{len(found)} hooks are named {name!r} (ids {ids}); keep one")
    return found[0] if found else None


def _same(key: str, have: Any, want: Any) -> bool:
    if key in _REF_LISTS:
        return sorted(map(_ref, have or [])) == sorted(map(_ref, want))
    if key in _SETS:
        return set(have or []) == set(want)
    if key == "token_owner":
        return (have and _ref(have)) == (want and _ref(want))
    return bool(have == want)


def _mapping_changes(prefix: str, have: Mapping[str, Any], want: Mapping[str, Any]) -> list[Change]:
    changes = [
        Change(f"{prefix}.{k}", "~" if k in have else "+", have.get(k), v)
        for k, v in want.items()
        if k not in have or have[k] != v
    ]
    return changes + [Change(f"{prefix}.{k}", "-", v) for k, v in have.items() if k not in want]


def diff(
    current: Mapping[str, Any], desired: Mapping[str, Any]
) -> tuple[list[Change], dict[str, Any]]:
    """Return the changes from `current` to `desired` and the PATCH body that makes them."""
    changes: list[Change] = []
    patch: dict[str, Any] = {}
    for key, want in desired.items():
        have = current.get(key)
        if key == "type":
            continue
        if key == "config":
            have_config = dict(have or {})
            found = []
            for sub, value in want.items():
                if have_config.get(sub) != value:
                    kind = "~" if sub in have_config else "+"
                    found.append(
                        Change(f"config.{sub}", kind, have_config.get(sub), value, sub == "secret")
                    )
            if found:
                changes += found
                patch["config"] = {**have_config, **want}
        elif key == "settings":
            found = _mapping_changes("settings", dict(have or {}), want)
            if found:
                changes += found
                patch[key] = want
        elif key == "settings_schema":
            if have != want:
                names = sorted((want or {}).get("properties", {}))
                changes.append(Change(key, "~" if have else "+", None, f"properties {names}"))
                patch[key] = want
        elif not _same(key, have, want):
            changes.append(Change(key, "~" if have not in (None, [], "") else "+", have, want))
            patch[key] = want
    return changes, patch


async def make_plan(
    api: AsyncRossumAPIClient, spec: HookFile, router: Router, environ: Mapping[str, str]
) -> Plan:
    """Compare the file with Rossum's hook of that name; nothing is written."""
    warnings = check_settings(spec, router)
    body = await desired_hook(api, spec, router, environ)
    current = await find_hook(api, spec.name)
    if current is None:
        changes, _ = diff({}, body)
        return Plan(spec.name, api.base_url, None, body, body, changes, warnings)
    changes, patch = diff(current, body)
    return Plan(spec.name, api.base_url, int(current["id"]), body, patch, changes, warnings)


async def apply_plan(api: AsyncRossumAPIClient, plan: Plan) -> int:
    """Create or patch the hook as planned; return its id."""
    if plan.hook_id is None:
        created = await api.create_new_hook(plan.body)
        assert created.id is not None
        return created.id
    if plan.patch:
        await api.update_part_hook(plan.hook_id, plan.patch)
    return plan.hook_id
