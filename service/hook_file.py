"""The hook as code: `hook.toml` in the rule project declares the hook Rossum should have.

TOML, read with the standard library's `tomllib` (no dependency, comments allowed, one obvious
syntax for the few nested tables a hook has). Top-level keys are the hook's fields; `api_url`
says where the hook lives. The secret is never in the file: `config.secret_env` names the
environment variable (or `.env` entry) holding it.

    api_url = "http://127.0.0.1:8900/api/v1"
    name = "Watchlist"
    queues = [101]                      # ids or URLs
    events = ["annotation_content.initialize", "annotation_content.updated"]  # default: rules'
    sideload = []
    run_after = []                      # hook names, ids or URLs
    token_owner = "demo@example.com"    # username, id or URL
    [config]
    url = "http://127.0.0.1:8000/hooks"
    secret_env = "ROSSUM_HOOKS_WEBHOOK_SECRET"
    payload_logging_enabled = true
    [settings]
    watchlist = ["ACME LTD."]

`events` defaults to what the loaded rules register; `settings_schema` is generated from the
rules' declared settings unless `settings_schema = false`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_FILE = "hook.toml"
_LISTS = ("queues", "events", "sideload", "run_after")
_SCALARS: Mapping[str, type | tuple[type, ...]] = {
    "name": str,
    "active": bool,
    "description": str,
    "token_lifetime_s": int,
    "token_owner": (str, int),
}
_TABLES = ("config", "settings", "metadata")
_OTHER = ("api_url", "settings_schema")
CONFIG_KEYS = {
    "url": str,
    "secret_env": str,
    "timeout_s": int,
    "retry_count": int,
    "payload_logging_enabled": bool,
    "retry_on_any_non_2xx": bool,
    "insecure_ssl": bool,
    "max_polling_time_s": int,
    "retry_after_polling_failure": bool,
}


class HookFileError(ValueError):
    """The hook file cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class HookFile:
    """A parsed hook file: the fields it sets, and where its secret comes from."""

    path: Path
    name: str
    fields: dict[str, Any]  # hook fields as written (queues/run_after/token_owner unresolved)
    config: dict[str, Any]  # `config` without `secret_env`
    secret_env: str | None
    api_url: str | None
    generate_schema: bool = True
    settings: dict[str, Any] = field(default_factory=dict)

    def secret(self, environ: Mapping[str, str]) -> str | None:
        """Return the webhook secret from `environ`, or raise if the variable is unset."""
        if self.secret_env is None:
            return None
        value = environ.get(self.secret_env, "").split(",")[0].strip()
        if not value:
            raise HookFileError(
                f"{self.path}: config.secret_env names {self.secret_env}, which is not set "
                "(export it, or put it in .env)"
            )
        return value


def _fail(path: Path, message: str) -> HookFileError:
    return HookFileError(f"{path}: {message}")


def _check_config(path: Path, config: Any) -> tuple[dict[str, Any], str | None]:
    if not isinstance(config, dict) or "url" not in config:
        raise _fail(path, "[config] with at least url = ... is required")
    if "secret" in config:
        raise _fail(
            path,
            "config.secret must not be in the file; put the secret in an environment "
            'variable and name it: secret_env = "ROSSUM_HOOKS_WEBHOOK_SECRET"',
        )
    for key, value in config.items():
        expected = CONFIG_KEYS.get(key)
        if expected is None:
            raise _fail(path, f"config.{key}: unknown key; expected one of {sorted(CONFIG_KEYS)}")
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise _fail(path, f"config.{key}: expected {expected.__name__}, got {value!r}")
    rest = {k: v for k, v in config.items() if k != "secret_env"}
    return rest, config.get("secret_env")


def _check_fields(path: Path, data: Mapping[str, Any]) -> dict[str, Any]:
    known = (*_LISTS, *_SCALARS, *_TABLES, *_OTHER)
    fields: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise _fail(path, f"{key}: unknown key; expected one of {sorted(known)}")
        if key in _LISTS and (
            not isinstance(value, list) or not all(isinstance(v, str | int) for v in value)
        ):
            raise _fail(path, f"{key}: expected a list of names, ids or URLs, got {value!r}")
        expected = _SCALARS.get(key)
        if expected is not None and not isinstance(value, expected):
            raise _fail(path, f"{key}: invalid value {value!r}")
        if key in ("settings", "metadata") and not isinstance(value, dict):
            raise _fail(path, f"[{key}] must be a table")
        if key in (*_LISTS, *_SCALARS, "metadata"):
            fields[key] = value
    return fields


def read_hook_file(path: str | Path = DEFAULT_FILE) -> HookFile:
    """Read and check a hook file; raise `HookFileError` naming the file and the key."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _fail(path, "no such file (write one: see the README's hook.toml)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, f"cannot read it: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise _fail(path, f"not valid TOML: {exc}") from None
    if not isinstance(data.get("name"), str) or not data["name"].strip():
        raise _fail(path, 'name = "..." is required')
    fields = _check_fields(path, data)
    config, secret_env = _check_config(path, data.get("config"))
    schema = data.get("settings_schema", True)
    if schema is not False and schema is not True:
        raise _fail(path, "settings_schema: true (generate from the rules) or false (leave out)")
    api_url = data.get("api_url")
    if api_url is not None and not isinstance(api_url, str):
        raise _fail(path, "api_url: expected a URL string")
    return HookFile(
        path=path,
        name=data["name"],
        fields=fields,
        config=config,
        secret_env=secret_env,
        api_url=api_url,
        generate_schema=schema,
        settings=dict(data.get("settings", {})),
    )
