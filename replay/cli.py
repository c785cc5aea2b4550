"""`rossum-hooks replay FILE`: send recorded deliveries again and compare the answers.

Each delivery of a recording (`ROSSUM_HOOKS_RECORD_PATH`, or `rossum-hooks pull-logs`) is sent
again, re-signed, to the service in-process (the default) or to a running one (`--url`); the
new answer is compared with the recorded one (`replay.diff`) and the report lists
what changed. Exit status: 0 every answer the same, 1 some changed, 2 usage or I/O error.

    rossum-hooks replay deliveries.jsonl --dry-run                 # no API at all
    rossum-hooks replay deliveries.jsonl --dry-run --hook-setting expedite_amount=5000
    rossum-hooks replay deliveries.jsonl --api-url http://127.0.0.1:8001 --username ...
    rossum-hooks replay deliveries.jsonl --url http://127.0.0.1:8000/hooks --secret ...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

from client import RossumError
from replay.engine import Recording, replay_file
from replay.payload import RecordingError, Selection
from replay.setup import ReplayConfig, ReplayUsageError
from service.logging import configure_logging
from service.settings import ConfigError, parse_secrets, read_secret_file

EXIT_SAME, EXIT_CHANGED, EXIT_ERROR = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `replay` options to `parser`."""
    parser.add_argument("file", help="recording to replay (JSONL); '-' reads standard input")
    _add_target_arguments(parser)
    rules = parser.add_argument_group("rules")
    rules.add_argument(
        "--hook-setting",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a hook setting in every payload (VALUE as JSON if it parses)",
    )
    rules.add_argument(
        "--rules",
        "--router",
        dest="rules",
        metavar="MODULE:ROUTER,...",
        help="rules to run in-process, comma-separated (overrides ROSSUM_HOOKS_RULES; default: "
        "the shipped rules); installed rossum_hooks.rules entry points are added",
    )
    picks = parser.add_argument_group("filters (repeatable or comma-separated)")
    picks.add_argument("--event", action="append", default=[], help="event or event.action")
    picks.add_argument("--action", action="append", default=[], help="action")
    picks.add_argument("--annotation", action="append", default=[], help="annotation id")
    out = parser.add_argument_group("report")
    out.add_argument("-v", "--verbose", action="store_true", help="list same answers too")
    out.add_argument("--report", type=Path, help="also write one JSON line per delivery here")
    out.add_argument("--no-progress", action="store_true", help="no progress bar on a TTY")
    out.add_argument(
        "--log-level",
        default="error",
        choices=["debug", "info", "warning", "error"],
        help="service log lines shown on stderr (default: %(default)s; refusals are warnings)",
    )


def _add_target_arguments(parser: argparse.ArgumentParser) -> None:
    where = parser.add_argument_group("where deliveries go (default: the service in-process)")
    where.add_argument("--url", help="a running service's hook URL instead of in-process")
    where.add_argument("--in-process", action="store_true", help="the default; for clarity")
    where.add_argument("--api-url", help="Rossum API the in-process service calls (the sandbox)")
    where.add_argument(
        "--dry-run",
        action="store_true",
        help="write nothing: the client records the calls it would make and the report lists "
        "them (without --api-url, no API at all)",
    )
    creds = parser.add_argument_group("credentials")
    creds.add_argument("--secret", help="webhook secret to sign with (--url; default: env)")
    creds.add_argument("--token", help="API token replacing the recorded (redacted) one")
    creds.add_argument("--username", help="log in to --api-url as this user")
    creds.add_argument("--password", help="password of --username (better: the env variable)")


def _split(values: Iterable[str]) -> frozenset[str]:
    return frozenset(part.strip() for value in values for part in value.split(",") if part.strip())


def selection_from(args: argparse.Namespace) -> Selection:
    """Return the filters given on the command line."""
    annotations = _split(args.annotation)
    if not all(a.isdigit() for a in annotations):
        raise ReplayUsageError(f"--annotation takes numeric ids, got {sorted(annotations)}")
    return Selection(
        events=_split(args.event),
        actions=_split(args.action),
        annotations=frozenset(int(a) for a in annotations),
    )


def parse_hook_settings(pairs: Iterable[str]) -> dict[str, Any]:
    """Return `KEY=VALUE` pairs as a dict, each VALUE decoded as JSON when it is JSON."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise ReplayUsageError(f"--hook-setting expects KEY=VALUE, got {pair!r}")
        try:
            out[key.strip()] = json.loads(raw)
        except ValueError:
            out[key.strip()] = raw
    return out


def _configured_secret() -> str | None:
    """Return the newest secret of `ROSSUM_HOOKS_WEBHOOK_SECRET[_FILE]`, in any of its forms."""
    file = os.environ.get("ROSSUM_HOOKS_WEBHOOK_SECRET_FILE")
    try:
        if file:
            secrets = read_secret_file(Path(file))
        else:
            secrets = parse_secrets(os.environ.get("ROSSUM_HOOKS_WEBHOOK_SECRET") or "")
    except ConfigError as exc:
        raise ReplayUsageError(str(exc)) from None
    return secrets[0] if secrets else None


def config_from(args: argparse.Namespace) -> ReplayConfig:
    """Return the replay configuration of the command line (and `ROSSUM_HOOKS_*`)."""
    env = os.environ.get
    secret = args.secret or _configured_secret()
    if args.url and args.in_process:
        raise ReplayUsageError("choose one of --url and --in-process")
    return ReplayConfig(
        url=args.url,
        api_url=args.api_url,
        dry_run=args.dry_run,
        secret=secret or None,
        token=args.token or env("ROSSUM_HOOKS_API_TOKEN"),
        username=args.username or env("ROSSUM_HOOKS_API_USERNAME"),
        password=args.password or env("ROSSUM_HOOKS_API_PASSWORD"),
        hook_settings=parse_hook_settings(args.hook_setting),
        rules=args.rules,
    )


def run(args: argparse.Namespace) -> int:
    """Replay the recording; return 0 (all same), 1 (some changed) or 2 (error)."""
    configure_logging(level=args.log_level)
    try:
        config = config_from(args)
        config.check()
        selection = selection_from(args)
        recording = Recording(args.file)
        progress = None if args.no_progress else sys.stderr
        with _report_file(args.report) as report:
            tally = asyncio.run(
                replay_file(
                    config,
                    recording,
                    selection=selection,
                    out=sys.stdout,
                    verbose=args.verbose,
                    report=report,
                    progress_stream=progress,
                )
            )
    except (ReplayUsageError, RecordingError, OSError, httpx.HTTPError, RossumError) as exc:
        sys.stderr.write(f"rossum-hooks replay: {exc}\n")
        return EXIT_ERROR
    return EXIT_CHANGED if tally.changed else EXIT_SAME


def _report_file(path: Path | None) -> Any:
    from contextlib import nullcontext

    return nullcontext(None) if path is None else path.open("w", encoding="utf-8")
