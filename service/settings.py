"""Service settings, read once from the environment (prefix `ROSSUM_HOOKS_`).

List settings (`ALLOWED_BASE_URLS`) are comma-separated strings, not JSON. Webhook secrets
(several during rotation) come in one of three forms, see `parse_secrets`: comma-separated
(plain secrets), a JSON list of strings (any character), or `WEBHOOK_SECRET_FILE` with one
secret per line. Secrets are `SecretStr`, so printing or logging the settings never shows them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Every production Rossum API host: `<org>.rossum.app`, regional `<org>.<region>.rossum.app`,
# `<org>.app.rossum.ai`, `elis.rossum.ai`, `api.elis.rossum.ai` (legacy), other `*.rossum.ai`.
DEFAULT_ALLOWED_BASE_URLS = ("https://*.rossum.app", "https://*.rossum.ai")


# Events whose hooks Rossum calls non-interactively: only these may be answered with 202.
ASYNC_CAPABLE = frozenset(
    {
        "annotation_status",
        "annotation_status.changed",
        "annotation_content.initialize",
        "annotation_content.export",
        "upload",
        "upload.created",
        "email",
        "email.received",
        "invocation.scheduled",
    }
)


def unsupported_async_events(names: tuple[str, ...]) -> list[str]:
    """Return the names that cannot be answered asynchronously (interactive or unknown)."""
    return [name for name in names if name not in ASYNC_CAPABLE]


class ConfigError(ValueError):
    """The settings cannot run a safe service (e.g. no webhook secret and no opt-out)."""


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


def parse_secrets(raw: str) -> tuple[str, ...]:
    """Return the secrets of a `WEBHOOK_SECRET` value, newest first.

    A value starting with `[` must be a JSON list of strings and is taken exactly (a secret may
    then hold commas, quotes, spaces or any other character). Any other value is split on
    commas and each part trimmed: the plain form, for secrets without commas or surrounding
    spaces (a plain secret cannot start with `[`; use the JSON list or the file form).
    """
    if raw.lstrip().startswith("["):
        try:
            values = json.loads(raw)
        except ValueError:
            raise ConfigError(
                "ROSSUM_HOOKS_WEBHOOK_SECRET starts with '[' but is not a JSON list of strings"
            ) from None
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ConfigError("ROSSUM_HOOKS_WEBHOOK_SECRET: the JSON form is a list of strings")
        return tuple(v for v in values if v)
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def read_secret_file(path: Path) -> tuple[str, ...]:
    """Return the secrets in `path`: one per line, exactly as written (line ends removed)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError) as exc:
        raise ConfigError(
            f"ROSSUM_HOOKS_WEBHOOK_SECRET_FILE: cannot read {path}: {type(exc).__name__}"
        ) from None
    return tuple(line for line in text.splitlines() if line)


class Settings(BaseSettings):
    """Every knob of the webhook service; see the README's configuration table."""

    model_config = SettingsConfigDict(
        env_prefix="ROSSUM_HOOKS_", extra="ignore", frozen=True, env_parse_none_str="none"
    )

    webhook_secret: SecretStr | None = None
    webhook_secret_file: Path | None = None
    allow_unsigned: bool = False
    allowed_base_urls: Annotated[tuple[str, ...], NoDecode] = DEFAULT_ALLOWED_BASE_URLS
    api_base_url: str | None = None
    api_username: str | None = None
    api_password: SecretStr | None = None
    api_token: SecretStr | None = None
    delivery_deadline_s: float = Field(default=25.0, gt=0, le=60)
    timestamp_window_s: float | None = Field(default=600.0, gt=0)
    duplicate_window_s: float | None = Field(default=1200.0, gt=0)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, gt=0)
    max_in_flight: int = Field(default=8, ge=1)
    header_timeout_s: float = Field(default=10.0, gt=0, le=300)
    body_timeout_s: float = Field(default=15.0, gt=0, le=300)
    max_connections: int = Field(default=200, ge=1)
    requests_per_second: float | None = Field(default=10.0, gt=0)
    record_path: Path | None = None
    record_max_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    record_keep: int = Field(default=5, ge=1)
    dry_run: bool = False
    metrics: bool = True
    gc_tuning: bool = True
    # A URL may carry a password: SecretStr keeps it out of every log line.
    redis_url: SecretStr | None = None
    # Asynchronous mode (`service.async_jobs`): these non-interactive events get 202 + Location.
    async_events: Annotated[tuple[str, ...], NoDecode] = ()
    async_deadline_s: float = Field(default=240.0, gt=0, le=3600)
    async_result_ttl_s: float = Field(default=900.0, gt=0)
    async_max_jobs: int = Field(default=100, ge=1)
    public_url: str | None = None
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["auto", "json", "console"] = "auto"
    # None: the shipped rules; "" runs none of them (installed entry points only).
    rules: Annotated[tuple[str, ...] | None, NoDecode] = None
    rules_entry_points: bool = True

    _split = field_validator("allowed_base_urls", "async_events", "rules", mode="before")(
        _split_commas
    )

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("api_base_url", mode="after")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else None

    def webhook_secrets(self) -> tuple[str, ...]:
        """Return the configured webhook secrets, newest first (rotation keeps several)."""
        if self.webhook_secret_file is not None:
            return read_secret_file(self.webhook_secret_file)
        if self.webhook_secret is None:
            return ()
        return parse_secrets(self.webhook_secret.get_secret_value())

    def has_own_credentials(self) -> bool:
        """Return True when the service calls the API with its own token or login."""
        return self.api_token is not None or bool(self.api_username)

    def check(self) -> None:
        """Raise `ConfigError` when the settings would run an unsafe or unusable service."""
        if self.webhook_secret is not None and self.webhook_secret_file is not None:
            raise ConfigError(
                "set one of ROSSUM_HOOKS_WEBHOOK_SECRET and ROSSUM_HOOKS_WEBHOOK_SECRET_FILE"
            )
        if not self.webhook_secrets() and not self.allow_unsigned:
            raise ConfigError(
                "no webhook secret configured: set ROSSUM_HOOKS_WEBHOOK_SECRET (comma-separated "
                "or a JSON list for rotation) or ROSSUM_HOOKS_WEBHOOK_SECRET_FILE, "
                "or ROSSUM_HOOKS_ALLOW_UNSIGNED=true for local use only"
            )
        if unsupported := unsupported_async_events(self.async_events):
            raise ConfigError(
                f"ROSSUM_HOOKS_ASYNC_EVENTS: {', '.join(unsupported)} cannot be answered "
                "asynchronously (Rossum polls only non-interactive events); allowed: "
                + ", ".join(sorted(ASYNC_CAPABLE))
            )
        if bool(self.api_username) != (self.api_password is not None):
            raise ConfigError("set both ROSSUM_HOOKS_API_USERNAME and ROSSUM_HOOKS_API_PASSWORD")
        if self.has_own_credentials() and not self.api_base_url:
            raise ConfigError(
                "own API credentials need ROSSUM_HOOKS_API_BASE_URL "
                "(e.g. https://example.rossum.app/api/v1)"
            )


def environment_with_dotenv(env_file: str | Path = ".env") -> dict[str, str]:
    """Return `os.environ` over the entries of `env_file`, if it exists (the environment wins).

    Commands other than `serve` (which reads the file through `Settings`) use this to see the
    same `ROSSUM_HOOKS_*` values, without changing the process environment.
    """
    from dotenv import dotenv_values

    values = {k: v for k, v in dotenv_values(env_file).items() if v is not None}
    return {**values, **os.environ}
