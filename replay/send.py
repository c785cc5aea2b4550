"""`rossum-hooks send EVENT.ACTION`: post one realistic, signed delivery to a running service.

The payload comes from the kit's builders (`handlers.testing`), with fields and settings from
flags or JSON files, or from one line of a recording; either way it is a new delivery, stamped
now under a new `request_id`. It is signed with `--secret` (default:
`ROSSUM_HOOKS_WEBHOOK_SECRET`, also read from `.env`) and posted to `--url`; the answer is
printed with what it changes: the datapoint values its operations replace, and, when the
delivery names a real annotation (`--api-url` with `--annotation`), its labels before and after.

    rossum-hooks send annotation_content.updated --field amount_total=25000 \\
        --setting expedite_amount=20000
    rossum-hooks send annotation_content.updated --field sender_name="Acme Ltd." \\
        --api-url http://127.0.0.1:8900/api/v1 --annotation 3100001 --username ... --password ...
    rossum-hooks send --from-recording deliveries.jsonl:3

Exit status: 0 the service answered 2xx, 1 it answered otherwise, 2 usage, file or network error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import sys
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from client import AsyncRossumAPIClient, RossumError
from handlers.content import walk
from handlers.invoice_schema import INVOICE_SCHEMA
from handlers.operations import apply_operations
from handlers.signature import signature_headers
from handlers.testing import payloads
from handlers.tree import schema_index
from replay.cli import parse_hook_settings
from replay.engine import Recording
from replay.payload import Record, RecordingError, Rewrite, rewrite_body
from replay.setup import ReplayUsageError
from service.answer_text import describe_answer, schema_ids
from service.cli_credentials import credentials_from
from service.settings import environment_with_dotenv

EXIT_OK, EXIT_REFUSED, EXIT_ERROR = 0, 1, 2
DEFAULT_URL = "http://127.0.0.1:8000/hooks"
BUILDERS = {
    "annotation_status": lambda action, **kw: payloads.status_payload(**kw),
    "upload": lambda action, **kw: payloads.upload_payload(**kw),
    "email": lambda action, **kw: payloads.email_payload(**kw),
    "invocation": lambda action, **kw: payloads.invocation_payload(action, **kw),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `send` options to `parser`."""
    parser.add_argument("event", nargs="?", help="EVENT.ACTION, e.g. annotation_content.updated")
    parser.add_argument("--url", default=DEFAULT_URL, help="service hook URL (%(default)s)")
    parser.add_argument("--secret", help="webhook secret (default: ROSSUM_HOOKS_WEBHOOK_SECRET)")
    parser.add_argument("--unsigned", action="store_true", help="send without a signature")
    parser.add_argument("--env-file", default=".env", help="read variables here too (.env)")
    what = parser.add_argument_group("payload")
    what.add_argument(
        "--field", action="append", default=[], metavar="SCHEMA_ID=VALUE", help="a field value"
    )
    what.add_argument(
        "--fields-file",
        type=Path,
        help='JSON {"fields": {schema_id: value}, "line_items": [{...}]} or {schema_id: value}',
    )
    what.add_argument(
        "--setting",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a hook setting (VALUE as JSON if it parses)",
    )
    what.add_argument("--settings-file", type=Path, help="JSON object of hook settings")
    what.add_argument("--from-recording", metavar="FILE[:N]", help="send line N (default: last)")
    real = parser.add_argument_group("a real annotation (labels before and after)")
    real.add_argument("--api-url", help="Rossum API root the delivery points to (the sandbox)")
    real.add_argument("--annotation", type=int, help="id of an annotation there")
    real.add_argument("--token", help="API token there (or ROSSUM_HOOKS_ADMIN_TOKEN)")
    real.add_argument("--username", help="or log in (ROSSUM_HOOKS_ADMIN_USERNAME)")
    real.add_argument("--password", help="(ROSSUM_HOOKS_ADMIN_PASSWORD)")


def _json_file(path: Path | None, what: str) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReplayUsageError(f"{what} {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ReplayUsageError(f"{what} {path}: expected a JSON object")
    return data


def _fields(args: argparse.Namespace) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    data = _json_file(args.fields_file, "--fields-file")
    fields = dict(data.get("fields", {}) if "fields" in data else data)
    rows = list(data.get("line_items", []))
    for pair in args.field:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ReplayUsageError(f"--field expects SCHEMA_ID=VALUE, got {pair!r}")
        fields[key.strip()] = value
    fields.pop("line_items", None)
    return fields, rows


def _settings(args: argparse.Namespace) -> dict[str, Any]:
    return {
        **_json_file(args.settings_file, "--settings-file"),
        **parse_hook_settings(args.setting),
    }


def built_payload(
    event: str,
    *,
    fields: Mapping[str, Any],
    rows: Sequence[Mapping[str, Any]],
    settings: Mapping[str, Any],
    base_url: str | None,
    token: str | None,
    annotation_id: int | None,
    labels: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Return a kit-built payload of `event` ("annotation_content.updated").

    With `annotation_id`, the annotation is that one, carrying `labels` (its label URLs).
    """
    name, _, action = event.partition(".")
    if not action:
        raise ReplayUsageError(
            f"expected EVENT.ACTION, e.g. annotation_content.updated, got {event!r}"
        )
    keys: dict[str, Any] = {"settings": dict(settings), "timestamp": datetime.now(UTC)}
    if base_url is not None:
        keys |= {"base_url": base_url, "token": token}
    if name in ("annotation_content", "annotation_status") and annotation_id is not None:
        keys["annotation_id"] = annotation_id
        keys["labels"] = list(labels or [])
    if name == "annotation_content":
        return payloads.content_payload(action, fields=fields, line_items=list(rows), **keys)
    if fields or rows:
        raise ReplayUsageError(f"--field and --fields-file apply to annotation_content, not {name}")
    builder = BUILDERS.get(name)
    if builder is None:
        raise ReplayUsageError(
            f"unknown event {name!r}; expected annotation_content, {', '.join(BUILDERS)}"
        )
    return dict(builder(action, **keys))


def recorded_payload(spec: str, rewrite: Rewrite) -> dict[str, Any]:
    """Return the payload of line N (1-based; default the last) of a recording, rewritten."""
    head, _, tail = spec.rpartition(":")
    path, number = (head, int(tail)) if head and tail.isdigit() else (spec, None)
    records: list[Record] = [r for r in Recording(path).records() if r.replayable]
    if not records:
        raise ReplayUsageError(f"{path}: no replayable delivery in it")
    chosen = records[-1] if number is None else next((r for r in records if r.line == number), None)
    if chosen is None:
        raise ReplayUsageError(f"{path}: no replayable delivery on line {number}")
    payload = rewrite_body(chosen, rewrite)
    # A new delivery: now, under a new id (the service refuses stale and repeated ones).
    payload["timestamp"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    payload["request_id"] = str(uuid.uuid4())
    return payload


def changed_values(payload: Mapping[str, Any], answer: Any) -> list[str]:
    """Return `schema_id: old -> new` for each datapoint the answer's operations replace."""
    annotation = payload.get("annotation")
    if not isinstance(answer, Mapping) or not isinstance(annotation, Mapping):
        return []
    tree = annotation.get("content")
    operations = answer.get("operations") or []
    if not isinstance(tree, list) or not operations:
        return []
    before = {n["id"]: n for n in walk(tree) if n.get("category") == "datapoint"}
    new_id = itertools.count(max(before, default=0) + 1)
    try:
        after = apply_operations(
            tree, operations, schema=schema_index(INVOICE_SCHEMA), new_id=lambda: next(new_id)
        )
    except ValueError as exc:
        return [f"(operations would be refused: {exc})"]
    lines = []
    for node in walk(after):
        old = before.get(node.get("id"))
        was, now = _value(old), _value(node)
        if old is not None and was != now:
            lines.append(f"{node['schema_id']}: {was!r} -> {now!r}")
    return lines


def _value(node: Mapping[str, Any] | None) -> Any:
    return None if node is None else (node.get("content") or {}).get("value")


@dataclass(frozen=True)
class Current:
    """What a real annotation is now: its label URLs and names, and its content version."""

    label_urls: list[str]
    label_names: list[str]
    modified_at: str | None


async def _current(api: AsyncRossumAPIClient, annotation_id: int) -> Current:
    annotation = await api.request_json("GET", f"annotations/{annotation_id}")
    urls = [str(url) for url in annotation.get("labels") or []]
    names = [str((await api.request_json("GET", url)).get("name")) for url in urls]
    return Current(urls, sorted(names), annotation.get("modified_at"))


def _client(args: argparse.Namespace, environ: Mapping[str, str]) -> AsyncRossumAPIClient:
    credentials = credentials_from(args, environ, prefix="ROSSUM_HOOKS_ADMIN_")
    if credentials is None:
        raise ReplayUsageError("--api-url needs --token, or --username and --password")
    return AsyncRossumAPIClient(args.api_url.rstrip("/"), credentials)


async def send(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Build, sign and post the delivery; print the answer and what it changed."""
    secret = args.secret or environ.get("ROSSUM_HOOKS_WEBHOOK_SECRET", "").split(",")[0].strip()
    if not secret and not args.unsigned:
        raise ReplayUsageError(
            "no secret: pass --secret, set ROSSUM_HOOKS_WEBHOOK_SECRET, or --unsigned"
        )
    if (args.api_url is None) != (args.annotation is None) and not args.from_recording:
        raise ReplayUsageError("--api-url and --annotation go together")
    if args.from_recording is None and not args.event:
        raise ReplayUsageError("name the event (EVENT.ACTION) or pass --from-recording")
    api = _client(args, environ) if args.api_url else None
    async with api if api is not None else contextlib.nullcontext():
        token = await api.get_token() if api is not None else None
        base_url = args.api_url.rstrip("/").removesuffix("/api/v1") if args.api_url else None
        current = await _current(api, args.annotation) if api and args.annotation else None
        if args.from_recording:
            payload = recorded_payload(
                args.from_recording,
                Rewrite(token=token, base_url=base_url, hook_settings=_settings(args)),
            )
        else:
            fields, rows = _fields(args)
            payload = built_payload(
                args.event,
                fields=fields,
                rows=rows,
                settings=_settings(args),
                base_url=base_url,
                token=token,
                annotation_id=args.annotation,
                labels=current.label_urls if current else None,
            )
            if current is not None and current.modified_at:
                # The content version the service orders deliveries by: the annotation's own.
                payload["annotation"]["modified_at"] = current.modified_at
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {"Content-Type": "application/json"}
        if not args.unsigned:
            headers |= signature_headers(body, secret)
        async with httpx.AsyncClient(timeout=65) as http:
            response = await http.post(args.url, content=body, headers=headers)
        try:
            answer: Any = response.json()
        except ValueError:
            answer = response.text
        out = sys.stdout
        sent = f"{payload.get('event')}.{payload.get('action')}"
        out.write(f"{sent} -> {args.url}: HTTP {response.status_code}\n")
        out.write(describe_answer(answer, schema_ids(payload)))
        for line in changed_values(payload, answer):
            out.write(f"changes {line}\n")
        if current is not None and api is not None and args.annotation:
            before, after = current.label_names, (await _current(api, args.annotation)).label_names
            out.write(f"labels: {', '.join(before) or '-'} -> {', '.join(after) or '-'}\n")
    return EXIT_OK if response.is_success else EXIT_REFUSED


def run(args: argparse.Namespace) -> int:
    """Send the delivery; return 0 (2xx), 1 (refused) or 2 (usage or I/O error)."""
    try:
        return asyncio.run(send(args, environment_with_dotenv(args.env_file)))
    except (ReplayUsageError, RecordingError, OSError, httpx.HTTPError, RossumError) as exc:
        sys.stderr.write(f"rossum-hooks send: {exc}\n")
        return EXIT_ERROR
