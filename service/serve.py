"""`rossum-hooks serve`: run the webhook service under uvicorn.

Settings come from the environment (`ROSSUM_HOOKS_*`) and a `.env` file in the current
directory (`--env-file` names another; the environment wins over the file); the few flags here
override them by setting the variable, so that every uvicorn worker process reads the same
configuration. The rules (`--rules`, `ROSSUM_HOOKS_RULES`, installed entry points) are loaded
before uvicorn starts, so a wrong spec fails here with a message, not at the first delivery.
"""

from __future__ import annotations

import argparse
import os
import sys

from pydantic import ValidationError

from service.rules import LoadedRules, load_rules
from service.settings import ConfigError, Settings

APP_FACTORY = "service.app:app_from_env"
ENV_FILE_VARIABLE = "ROSSUM_HOOKS_ENV_FILE"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `serve` options to `parser`."""
    parser.add_argument(
        "--host", default="127.0.0.1", help="interface to bind (default: %(default)s)"
    )
    parser.add_argument("--port", type=int, default=8000, help="TCP port (default: %(default)s)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes (default: %(default)s); per-annotation ordering and the label "
        "cache are per process, and recording needs a single worker",
    )
    parser.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        help="overrides ROSSUM_HOOKS_LOG_LEVEL",
    )
    parser.add_argument(
        "--allow-unsigned",
        action="store_true",
        help="accept unsigned deliveries when no secret is set (local use only)",
    )
    add_rules_argument(parser)
    parser.add_argument(
        "--env-file",
        help="read settings from this file (default: .env in the current directory, if any)",
    )
    limits = parser.add_argument_group(
        "connection limits (override ROSSUM_HOOKS_HEADER_TIMEOUT_S, _BODY_TIMEOUT_S, "
        "_MAX_CONNECTIONS)"
    )
    limits.add_argument("--header-timeout", type=float, metavar="S", help="request head (10)")
    limits.add_argument("--body-timeout", type=float, metavar="S", help="request body (15)")
    limits.add_argument("--max-connections", type=int, metavar="N", help="open at once (200)")
    parser.add_argument(
        "--forwarded-allow-ips",
        default="127.0.0.1",
        help="proxies trusted for X-Forwarded-* headers (default: %(default)s)",
    )


def add_rules_argument(parser: argparse.ArgumentParser) -> None:
    """Add `--rules` (the `ROSSUM_HOOKS_RULES` override) to `parser`."""
    parser.add_argument(
        "--rules",
        metavar="MODULE:ROUTER,...",
        help="rules to run, comma-separated (overrides ROSSUM_HOOKS_RULES; default: the "
        "shipped rules handlers.rules:router); installed rossum_hooks.rules entry points are "
        "added",
    )


def _apply_overrides(args: argparse.Namespace) -> None:
    if args.rules is not None:
        os.environ["ROSSUM_HOOKS_RULES"] = args.rules
    if args.env_file:
        os.environ[ENV_FILE_VARIABLE] = args.env_file
    if args.log_level:
        os.environ["ROSSUM_HOOKS_LOG_LEVEL"] = args.log_level
    if args.allow_unsigned:
        os.environ["ROSSUM_HOOKS_ALLOW_UNSIGNED"] = "true"
    for flag, variable in _LIMIT_FLAGS.items():
        value = getattr(args, flag, None)
        if value is not None:
            os.environ[f"ROSSUM_HOOKS_{variable}"] = str(value)


_LIMIT_FLAGS = {
    "header_timeout": "HEADER_TIMEOUT_S",
    "body_timeout": "BODY_TIMEOUT_S",
    "max_connections": "MAX_CONNECTIONS",
}


def load_settings() -> Settings:
    """Read and check the settings; raise ConfigError with a readable message if unusable."""
    env_file = os.environ.get(ENV_FILE_VARIABLE, ".env")
    if env_file != ".env" and not os.path.isfile(env_file):
        raise ConfigError(f"{ENV_FILE_VARIABLE}: no such file {env_file!r}")
    try:
        settings = Settings(_env_file=env_file)
    except ValidationError as exc:
        problems = "; ".join(
            f"ROSSUM_HOOKS_{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
        raise ConfigError(f"invalid settings: {problems}") from None
    settings.check()
    return settings


def configured_rules(settings: Settings) -> LoadedRules:
    """Load the rules the settings name (raise `RulesError`, a ConfigError, if they cannot)."""
    return load_rules(settings.rules, entry_points=settings.rules_entry_points)


def _check_workers(settings: Settings, workers: int) -> None:
    if workers < 1:
        raise ConfigError("--workers must be at least 1")
    if workers > 1 and settings.record_path is not None:
        raise ConfigError(
            "ROSSUM_HOOKS_RECORD_PATH needs a single worker (one writer per file); "
            "run one worker per container or unit instead"
        )


def run(args: argparse.Namespace) -> int:
    """Check the configuration, then serve until interrupted; return the exit status."""
    import uvicorn

    from service.protocol import HookProtocol

    _apply_overrides(args)
    try:
        settings = load_settings()
        _check_workers(settings, args.workers)
        rules = configured_rules(settings)
    except ConfigError as exc:
        sys.stderr.write(f"rossum-hooks serve: {exc}\n")
        return 2
    sys.stderr.write(f"rossum-hooks serve: rules {', '.join(rules.sources)}\n")
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,
        log_level=settings.log_level,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips,
        server_header=False,
        # Bounded heads, JSON refusals and the connection limit: see service/protocol.py.
        http=HookProtocol,
        timeout_graceful_shutdown=int(settings.delivery_deadline_s) + 5,
    )
    return 0
