"""`rossum-hooks pull-logs`: import Rossum's hook logs as a recording that `replay` reads.

Rossum keeps hook call logs for 7 days (`GET /hooks/logs`); an entry carries the payload it
sent (`request`) only when the hook has `config.payload_logging_enabled`. Each such entry
becomes one line in the recorder's format (`service.recording`), oldest first, with the token
and secrets redacted again (whatever Rossum did) and two differences: `calls` is null (which
API calls the hook made is not logged, so `replay` does not compare labels for these lines)
and `source` is `"rossum_hook_logs"`. Entries without a payload are counted and skipped.

    rossum-hooks pull-logs --hook 781 --since 24h -o deliveries.jsonl
    rossum-hooks replay deliveries.jsonl --dry-run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

import httpx

from client import AsyncRossumAPIClient, RossumError
from service.cli_credentials import credentials_from
from service.logging import configure_logging, redact
from service.recording import FORMAT_VERSION, redact_body

SOURCE = "rossum_hook_logs"
PAGE_SIZE = 100  # the most `GET /hooks/logs` returns per page
_RELATIVE = re.compile(r"^(\d+)\s*([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


class PullError(Exception):
    """The command cannot run as given (exit status 2); the message says why."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `pull-logs` options to `parser`."""
    parser.add_argument("-o", "--output", default="-", help="JSONL file ('-': standard output)")
    parser.add_argument("--append", action="store_true", help="append to --output")
    api = parser.add_argument_group("Rossum API (default: ROSSUM_HOOKS_API_* variables)")
    api.add_argument("--base-url", help="e.g. https://example.rossum.app/api/v1")
    api.add_argument("--token", help="API token")
    api.add_argument("--username", help="log in as this user")
    api.add_argument("--password", help="password of --username (better: the env variable)")
    picks = parser.add_argument_group("filters (repeatable or comma-separated)")
    picks.add_argument("--hook", action="append", default=[], help="hook id")
    picks.add_argument("--queue", action="append", default=[], help="queue id")
    picks.add_argument("--annotation", action="append", default=[], help="annotation id")
    picks.add_argument("--request-id", action="append", default=[], help="request id")
    picks.add_argument("--since", help="ISO timestamp, or a duration ago: 30m, 6h, 7d")
    picks.add_argument("--until", help="ISO timestamp, or a duration ago")


def parse_moment(value: str, *, now: datetime) -> str:
    """Return `value` (ISO timestamp, or `N[mhd]` before `now`) as an ISO UTC timestamp."""
    match = _RELATIVE.match(value.strip())
    if match:
        moment = now - timedelta(**{_UNITS[match[2]]: int(match[1])})
    else:
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise PullError(f"expected an ISO timestamp or 30m/6h/7d, got {value!r}") from None
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment.isoformat().replace("+00:00", "Z")


def _ids(values: Iterable[str], option: str) -> list[str]:
    parts = [p.strip() for v in values for p in v.split(",") if p.strip()]
    if not all(p.isdigit() for p in parts):
        raise PullError(f"{option} takes numeric ids, got {parts}")
    return parts


def filters_from(args: argparse.Namespace, *, now: datetime) -> dict[str, Any]:
    """Return the `GET /hooks/logs` query filters of the command line."""
    filters: dict[str, Any] = {
        "hook": _ids(args.hook, "--hook"),
        "queue": _ids(args.queue, "--queue"),
        "annotation": _ids(args.annotation, "--annotation"),
        "request_id": [p.strip() for v in args.request_id for p in v.split(",") if p.strip()],
    }
    if args.since:
        filters["timestamp_after"] = parse_moment(args.since, now=now)
    if args.until:
        filters["timestamp_before"] = parse_moment(args.until, now=now)
    return {key: value for key, value in filters.items() if value}


def _json_value(value: Any) -> Any:
    """Return logged JSON as a value: Rossum may log it as a string."""
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _duration_ms(entry: Mapping[str, Any]) -> float | None:
    try:
        start = datetime.fromisoformat(str(entry["start"]))
        end = datetime.fromisoformat(str(entry["end"]))
    except (KeyError, ValueError):
        return None
    return round((end - start).total_seconds() * 1000, 2)


def _annotation_id(body: Mapping[str, Any]) -> int | None:
    annotation = body.get("annotation")
    found = annotation.get("id") if isinstance(annotation, Mapping) else None
    return found if isinstance(found, int) else None


def record_from_log(entry: Mapping[str, Any]) -> dict[str, Any] | None:
    """Return the recording line of one hook log entry, or None if it logged no payload."""
    body = _json_value(entry.get("request"))
    if not isinstance(body, dict):
        return None
    status = entry.get("status_code")
    return {
        "version": FORMAT_VERSION,
        "received_at": entry.get("start") or entry.get("timestamp"),
        "request_id": body.get("request_id") or entry.get("request_id"),
        "event": body.get("event") or entry.get("event"),
        "action": body.get("action") or entry.get("action"),
        "annotation_id": entry.get("annotation_id") or _annotation_id(body),
        "method": "POST",
        "path": "/hooks",
        "headers": {"content-type": "application/json"},
        "body": redact_body(body),
        "body_error": None,
        "status": status if isinstance(status, int) else None,
        "answer": redact(_json_value(entry.get("response"))),
        "outcome": None,
        "duration_ms": _duration_ms(entry),
        "dry_run": False,
        "calls": None,
        "source": SOURCE,
        "hook_id": entry.get("hook_id"),
        "log_uuid": entry.get("uuid"),
    }


@dataclass(slots=True)
class Pulled:
    """The converted records (oldest first) and how many log entries had no payload."""

    records: list[dict[str, Any]] = field(default_factory=list)
    without_payload: int = 0


async def pull(
    api: AsyncRossumAPIClient, filters: Mapping[str, Any], *, page_size: int = PAGE_SIZE
) -> Pulled:
    """Read every matching hook log page; return the entries as recording lines."""
    pulled = Pulled()
    async for log_entry in api.list_hook_logs(page_size=page_size, **filters):
        record = record_from_log(log_entry.model_dump())
        if record is None:
            pulled.without_payload += 1
        else:
            pulled.records.append(record)
    pulled.records.sort(key=lambda r: str(r.get("received_at") or ""))
    return pulled


def write_records(records: Iterable[Mapping[str, Any]], out: TextIO) -> int:
    """Write records as compact JSON lines; return how many."""
    count = 0
    for record in records:
        out.write(json.dumps(record, separators=(",", ":"), default=str) + "\n")
        count += 1
    return count


def client_from(
    args: argparse.Namespace, *, transport: httpx.AsyncBaseTransport | None = None
) -> AsyncRossumAPIClient:
    """Return an API client for the command line's (or the environment's) credentials."""
    env = os.environ.get
    base_url = args.base_url or env("ROSSUM_HOOKS_API_BASE_URL")
    if not base_url:
        raise PullError("give --base-url (or ROSSUM_HOOKS_API_BASE_URL)")
    base_url = base_url.rstrip("/")
    if not base_url.endswith("/api/v1"):
        base_url += "/api/v1"
    credentials = credentials_from(args, os.environ, prefix="ROSSUM_HOOKS_API_")
    if credentials is None:
        raise PullError("give --token, or --username and --password (or ROSSUM_HOOKS_API_*)")
    return AsyncRossumAPIClient(base_url, credentials, transport=transport)


async def fetch(
    args: argparse.Namespace,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    now: datetime | None = None,
) -> Pulled:
    """Pull the hook logs the command line asks for."""
    filters = filters_from(args, now=now or datetime.now(UTC))
    async with client_from(args, transport=transport) as api:
        return await pull(api, filters)


def run(args: argparse.Namespace) -> int:
    """Pull hook logs into a recording; return 0, or 2 on a usage, API or I/O error."""
    configure_logging(level="warning")
    try:
        pulled = asyncio.run(fetch(args))
        if args.output == "-":
            write_records(pulled.records, sys.stdout)
        else:
            with open(args.output, "a" if args.append else "w", encoding="utf-8") as out:
                write_records(pulled.records, out)
    except (PullError, RossumError, OSError) as exc:
        sys.stderr.write(f"rossum-hooks pull-logs: {exc}\n")
        return 2
    sys.stderr.write(
        f"pulled {len(pulled.records)} deliveries; skipped {pulled.without_payload} log "
        "entries without a logged payload (enable the hook's payload_logging_enabled)\n"
    )
    return 0
