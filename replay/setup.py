"""Turn replay options into a target to send to and the rewrite its payloads need.

Two in-process set-ups, neither of which can write to a Rossum nobody named:
- `--dry-run` alone: no API at all; reads get `OfflineRossum`'s answers, writes are only
  recorded by the client (`dry_run=True` is enforced inside the client);
- `--api-url URL`: a running Rossum API (the sandbox); payloads' `base_url` is pointed there and
  their token replaced by one valid there (`--token`, or a login). A `transport` given to
  `open_target` reaches that API instead of the network: an in-process sandbox
  (`httpx.ASGITransport(app=create_sandbox_app())`), as the tests and rule authors do.
With `--url` the deliveries go to a running service instead, which decides where its calls go;
`--dry-run` then only checks that the service says it runs in dry-run mode. Its payloads carry
real credentials when given: `--token T` replaces the recorded (redacted) token; `--api-url URL`
(with `--token`, or `--username/--password` to log in there) also points the payloads at that
API, so the running service (with `URL` in its allowlist) calls it with a token valid there.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import SecretStr

from client import AsyncRossumAPIClient, RossumError, Token, UserCredentials
from handlers.routing import Router
from replay.offline import OfflineRossum, origin_of_url
from replay.payload import Record, Rewrite
from replay.targets import RemoteTarget, Target, in_process
from service.delivery import Delivery
from service.rules import RulesError, rules_from_environment
from service.settings import Settings, environment_with_dotenv


class ReplayUsageError(Exception):
    """The options cannot run a replay (exit status 2); the message says what to change."""


@dataclass(frozen=True, slots=True)
class ReplayConfig:
    """Where and how to replay; built from the command line (or by tests and benchmarks)."""

    url: str | None = None
    api_url: str | None = None
    dry_run: bool = False
    secret: str | None = None
    token: str | None = None
    username: str | None = None
    password: str | None = None
    hook_settings: dict[str, Any] = field(default_factory=dict)
    rules: str | None = None  # module:router,... (None: ROSSUM_HOOKS_RULES or the shipped rules)
    timeout_s: float = 60.0

    def check(self) -> None:
        """Raise `ReplayUsageError` for contradictory or unsafe combinations."""
        if self.url and self.rules is not None:
            raise ReplayUsageError(
                "--url sends to a running service, which runs its own rules: "
                "--rules only applies in-process"
            )
        if self.url and not self.api_url and not self.token and (self.username or self.password):
            raise ReplayUsageError(
                "--username/--password with --url need --api-url: the API to log in to "
                "(the payloads are pointed there); or give --token"
            )
        if not (self.url or self.api_url or self.dry_run):
            raise ReplayUsageError(
                "in-process replay needs --dry-run (no API) or --api-url URL, "
                "so that nothing is written to a Rossum you did not name"
            )


def origin_of(url: str) -> str:
    """Return `scheme://host[:port]` of an absolute URL."""
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ReplayUsageError(f"{url!r} is not an http(s) URL")
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}"


def api_root(url: str) -> str:
    """Return the API root (`.../api/v1`) of a Rossum URL given with or without it."""
    url = url.rstrip("/")
    return url if url.endswith("/api/v1") else f"{origin_of(url)}/api/v1"


def load_router(rules: str | None) -> Router:
    """Return the rules to replay with: `--rules`, else `ROSSUM_HOOKS_RULES` (environment or
    `.env`, as `serve` reads it), else the shipped rules."""
    try:
        return rules_from_environment(rules, environment_with_dotenv()).router
    except RulesError as exc:
        raise ReplayUsageError(str(exc)) from None


def replay_settings(*, secret: str, dry_run: bool, allowed: Iterable[str]) -> Settings:
    """Return service settings for an in-process replay: no own credentials, no recording, no
    metrics (nothing scrapes a replay)."""
    return Settings(
        webhook_secret=SecretStr(secret),
        allow_unsigned=False,
        allowed_base_urls=tuple(sorted(set(allowed))),
        api_base_url=None,
        api_username=None,
        api_password=None,
        api_token=None,
        record_path=None,
        requests_per_second=None,
        dry_run=dry_run,
        metrics=False,
        # Recorded deliveries are old, and a recording may hold one request_id twice.
        timestamp_window_s=None,
        duplicate_window_s=None,
    )


async def _login(
    api_url: str, credentials: Token | UserCredentials, transport: httpx.AsyncBaseTransport | None
) -> str:
    if isinstance(credentials, Token):
        return credentials.token
    try:
        async with AsyncRossumAPIClient(api_url, credentials, transport=transport) as api:
            return await api.get_token()
    except RossumError as exc:
        raise ReplayUsageError(f"cannot log in to {api_url}: {exc}") from None


def _credentials(config: ReplayConfig) -> Token | UserCredentials:
    if config.token:
        return Token(config.token)
    if config.username and config.password:
        return UserCredentials(config.username, config.password)
    raise ReplayUsageError(
        "--api-url needs --token, or --username and --password "
        "(or ROSSUM_HOOKS_API_TOKEN / ROSSUM_HOOKS_API_USERNAME and _PASSWORD)"
    )


@dataclass(frozen=True, slots=True)
class Opened:
    """A target ready to replay to: where, how payloads change, the secret, a per-record hook."""

    target: Target
    rewrite: Rewrite
    secret: str | None
    before_send: Callable[[Record], None] | None = None


@asynccontextmanager
async def open_target(
    config: ReplayConfig, *, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncIterator[Opened]:
    """Yield the target, payload rewrite and signing secret `config` asks for.

    `transport` replaces the network to `--api-url` (tests reach an in-process sandbox so).
    """
    config.check()
    async with AsyncExitStack() as stack:
        if config.url:
            if config.api_url:
                rewrite = await _api_rewrite(config, transport)
            else:
                rewrite = Rewrite(token=config.token, hook_settings=dict(config.hook_settings))
            yield Opened(await _remote(config, stack), rewrite, config.secret)
            return
        router = load_router(config.rules)
        secret = config.secret or secrets.token_hex(16)
        if not config.api_url:
            yield await _offline(config, stack, router=router, secret=secret)
            return
        rewrite = await _api_rewrite(config, transport)
        allowed = [rewrite.base_url] if rewrite.base_url else []
        settings = replay_settings(secret=secret, dry_run=config.dry_run, allowed=allowed)
        target = await stack.enter_async_context(
            in_process(settings, transport=transport, router=router)
        )
        yield Opened(target, rewrite, secret)


async def _offline(
    config: ReplayConfig, stack: AsyncExitStack, *, router: Router | None, secret: str
) -> Opened:
    """Open an in-process dry run with no API: hosts as recorded, labels learnt per record."""
    offline = OfflineRossum()
    settings = replay_settings(secret=secret, dry_run=True, allowed=())
    target = await stack.enter_async_context(
        in_process(settings, transport=offline.transport, router=router)
    )
    hosts = target.hosts_as_recorded()

    def before(record: Record) -> None:
        hosts.refused = record.host_refused
        if not hosts.refused:
            offline.learn_calls(record)

    # The URL the last payload named its Rossum by, and that URL's origin: an organisation's
    # deliveries name the same one, so it is parsed once.
    last_url: str | None = None
    origin: str | None = None

    def delivered(delivery: Delivery) -> None:
        nonlocal last_url, origin
        payload = delivery.payload
        if hosts.refused or payload is None:
            return
        url = payload.base_url or payload.hook
        if url != last_url:
            last_url, origin = url, origin_of_url(url) if url else None
        if origin is not None:
            offline.learn_labels(origin, payload.sideloaded_labels)

    target.delivered = delivered
    return Opened(target, Rewrite(hook_settings=dict(config.hook_settings)), secret, before)


async def _api_rewrite(config: ReplayConfig, transport: httpx.AsyncBaseTransport | None) -> Rewrite:
    """Log in to `--api-url` (unless given a token) and point payloads there."""
    assert config.api_url is not None
    origin = origin_of(config.api_url)
    token = await _login(f"{origin}/api/v1", _credentials(config), transport)
    return Rewrite(token=token, base_url=origin, hook_settings=dict(config.hook_settings))


async def _remote(config: ReplayConfig, stack: AsyncExitStack) -> RemoteTarget:
    assert config.url is not None
    url = config.url.rstrip("/")
    url = url if httpx.URL(url).path not in ("", "/") else url + "/hooks"
    client = await stack.enter_async_context(httpx.AsyncClient(timeout=config.timeout_s))
    if config.dry_run:
        await _check_remote_dry_run(client, origin_of(url))
    return RemoteTarget(client, url)


async def _check_remote_dry_run(client: httpx.AsyncClient, origin: str) -> None:
    try:
        response = await client.get(f"{origin}/readyz")
        dry_run = response.json().get("dry_run") is True
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        raise ReplayUsageError(f"cannot ask {origin}/readyz whether it runs dry: {exc}") from None
    if not dry_run:
        raise ReplayUsageError(
            f"--dry-run: the service at {origin} does not run in dry-run mode "
            "(start it with ROSSUM_HOOKS_DRY_RUN=true)"
        )
