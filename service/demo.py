"""`rossum-hooks demo`: the whole loop on this machine, with no Rossum account.

Starts the sandbox (a Rossum stand-in) and this service on free loopback ports, registers the
service as a signed hook on the sandbox's demo queue, imports the demo invoices, lets the sandbox
deliver the events Rossum would (`annotation_content.initialize`, `annotation_status.changed`),
and prints what each annotation ended up with. Exits 1 if any invoice did not get the labels and
messages its case promises, so the demo doubles as a smoke test.
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO

from pydantic import SecretStr

from client import AsyncRossumAPIClient, UserCredentials
from handlers.content import ContentTree
from sandbox.app import create_sandbox_app
from sandbox.demo_data import DEMO_PASSWORD, DEMO_QUEUE_ID, DEMO_USER, DemoInvoice, demo_invoices
from sandbox.server import serving
from sandbox.settings import SandboxSettings
from service.app import create_app
from service.logging import configure_logging
from service.rules import LoadedRules, RulesError, rules_from_environment
from service.serve import add_rules_argument
from service.settings import Settings, environment_with_dotenv

HOOK_EVENTS = ("annotation_content", "annotation_status")


@dataclass
class InvoiceResult:
    """What one demo invoice ended up with after its deliveries."""

    case: DemoInvoice
    annotation_id: int
    status: str
    labels_before: list[str]
    labels_after: list[str]
    messages: list[dict[str, Any]]
    operations_applied: int
    automation_blockers: int
    deliveries: list[str]
    delivery_ms: float
    seen: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Edit:
    """A reviewer's change to one demo invoice, and the labels it should leave."""

    case_key: str
    schema_id: str
    value: str
    description: str
    expected_labels: frozenset[str]


def demo_edits(today: date) -> list[Edit]:
    """Return the reviewer edits that make label rules take their labels back."""
    later = (today + timedelta(days=60)).isoformat()
    return [
        Edit("missing-po", "order_id", "PO-7731", "PO filled in", frozenset()),
        Edit("due-soon", "date_due", later, "due date moved out", frozenset()),
    ]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `demo` options to `parser`."""
    parser.add_argument(
        "--keep-running",
        action="store_true",
        help="leave the sandbox and the service up afterwards (Ctrl-C stops them)",
    )
    parser.add_argument("--record", type=Path, help="record every delivery to this JSONL file")
    add_rules_argument(parser)
    parser.add_argument(
        "--rate-limit",
        type=float,
        default=10.0,
        help="sandbox API requests/s like Rossum's (default: %(default)s; 0 disables)",
    )


def run(args: argparse.Namespace) -> int:
    """Run the demo and print its table; 0 when every invoice got what its case promises."""
    try:
        rules = rules_from_environment(args.rules, environment_with_dotenv())
    except RulesError as exc:
        sys.stderr.write(f"rossum-hooks demo: {exc}\n")
        return 2
    try:
        return asyncio.run(
            run_demo(
                rules=rules,
                record=args.record,
                keep_running=args.keep_running,
                rate_limit=args.rate_limit,
                out=sys.stdout,
            )
        )
    except KeyboardInterrupt:  # --keep-running ends with Ctrl-C
        return 0


async def run_demo(
    *,
    rules: LoadedRules | None = None,
    record: Path | None = None,
    keep_running: bool = False,
    rate_limit: float = 10.0,
    today: date | None = None,
    out: TextIO = sys.stdout,
) -> int:
    """Start sandbox and service, import the demo invoices, print the results table.

    Each invoice's promises are those of the shipped rules: with other `rules` the table shows
    what they did and nothing is checked.
    """
    checked = rules is None or rules.shipped
    configure_logging(level="error", fmt="console")
    secret = secrets.token_urlsafe(24)
    sandbox_app = create_sandbox_app(SandboxSettings(rate_limit_per_s=rate_limit))
    async with serving(sandbox_app) as sandbox_url:
        settings = Settings(
            webhook_secret=SecretStr(secret),
            allowed_base_urls=(sandbox_url,),
            record_path=record,
            log_level="warning",
            requests_per_second=rate_limit or None,
        )
        router = None if rules is None else rules.router
        async with serving(create_app(settings, router=router)) as service_url:
            out.write(f"sandbox  {sandbox_url}/api/v1   service  {service_url}/hooks\n\n")
            api_url = f"{sandbox_url}/api/v1"
            async with AsyncRossumAPIClient(
                api_url, UserCredentials(DEMO_USER, DEMO_PASSWORD)
            ) as api:
                await register_hook(api, f"{service_url}/hooks", secret)
                day = today or date.today()
                results = [await import_invoice(api, case) for case in demo_invoices(day)]
                by_key = {r.case.key: r for r in results}
                edits = [
                    await edit_invoice(api, by_key[edit.case_key], edit) for edit in demo_edits(day)
                ]
            if not checked:
                for result in (*results, *edits):
                    result.problems = []
            out.write("Imports (annotation_content.initialize, annotation_status.changed):\n")
            print_table(results, out, checked=checked)
            out.write("\nReviewer edits (annotation_content.updated):\n")
            print_table(edits, out, checked=checked)
            failed = [r for r in (*results, *edits) if r.problems]
            if keep_running:
                await _wait_forever(out, sandbox_url, service_url)
    return 1 if failed else 0


async def register_hook(api: AsyncRossumAPIClient, url: str, secret: str) -> dict[str, Any]:
    """Register the service as a signed webhook on the demo queue, its token owned by us."""
    user = await anext(aiter(api.list_users(username=DEMO_USER)))
    hook: dict[str, Any] = await api.request_json(
        "POST",
        "hooks",
        json={
            "name": "rossum-hooks demo",
            "type": "webhook",
            "queues": [f"{api.base_url}/queues/{DEMO_QUEUE_ID}"],
            "events": list(HOOK_EVENTS),
            "active": True,
            "token_owner": user.url,
            "sideload": ["labels"],
            "settings": {},
            "config": {"url": url, "secret": secret, "payload_logging_enabled": True},
        },
    )
    return hook


async def import_invoice(api: AsyncRossumAPIClient, case: DemoInvoice) -> InvoiceResult:
    """Import one demo invoice, wait for its deliveries, and collect what changed."""
    started = time.perf_counter()
    imported = await api.request_json(
        "POST", "sandbox/import", params={"wait": "true"}, json=case.body
    )
    return await collect(api, case, int(imported["id"]), started=started, before=[])


async def edit_invoice(
    api: AsyncRossumAPIClient, result: InvoiceResult, edit: Edit
) -> InvoiceResult:
    """Change one field as a reviewer would; the sandbox delivers `annotation_content.updated`."""
    content = await api.retrieve_annotation_content(result.annotation_id)
    datapoint = ContentTree(content["content"]).datapoint(edit.schema_id)
    if datapoint is None:
        raise LookupError(f"demo annotation {result.annotation_id} has no {edit.schema_id!r}")
    operation = {
        "op": "replace",
        "id": datapoint["id"],
        "value": {"content": {"value": edit.value}},
    }
    started = time.perf_counter()
    await api.bulk_update_annotation_data(result.annotation_id, [operation])
    case = replace(result.case, key=f"{result.case.key}: {edit.description}")
    expected = replace(case, expected_labels=edit.expected_labels, expected_message_types=())
    return await collect(
        api,
        expected,
        result.annotation_id,
        started=started,
        before=result.labels_after,
        skip=result.seen,
    )


async def collect(
    api: AsyncRossumAPIClient,
    case: DemoInvoice,
    annotation_id: int,
    *,
    started: float,
    before: list[str],
    skip: int = 0,
) -> InvoiceResult:
    """Wait for the annotation's deliveries to finish and gather its labels and messages."""
    deliveries = await api.request_json(
        "GET", "sandbox/deliveries", params={"annotation": annotation_id, "wait": "true"}
    )
    elapsed_ms = (time.perf_counter() - started) * 1000
    annotation = await api.request_json("GET", f"annotations/{annotation_id}")
    names = {label.url: label.name async for label in api.list_labels()}
    blockers = await api.request_json(
        "GET", "automation_blockers", params={"annotation": annotation_id}
    )
    records = deliveries["results"][skip:]
    result = InvoiceResult(
        case=case,
        annotation_id=annotation_id,
        status=str(annotation.get("status")),
        labels_before=before,
        labels_after=sorted(str(names.get(url, url)) for url in annotation.get("labels") or []),
        messages=list(annotation.get("messages") or []),
        operations_applied=sum(r["outcome"]["operations_applied"] for r in records),
        automation_blockers=sum(len(b.get("content") or []) for b in blockers["results"]),
        deliveries=[f"{r['event']}.{r['action']}:{r['status_code']}" for r in records],
        delivery_ms=elapsed_ms,
        seen=len(deliveries["results"]),
    )
    result.problems = check(result)
    return result


def check(result: InvoiceResult) -> list[str]:
    """Return how `result` falls short of what its demo case promises (empty: all good)."""
    case, problems = result.case, []
    if set(result.labels_after) != set(case.expected_labels):
        problems.append(f"labels {result.labels_after} != expected {sorted(case.expected_labels)}")
    types = sorted(str(m.get("type")) for m in result.messages)
    if types != sorted(case.expected_message_types):
        problems.append(f"messages {types} != expected {sorted(case.expected_message_types)}")
    # Only the totals rule answers with an error, and on `initialize` it also blocks automation.
    wants_blocker = "error" in case.expected_message_types
    if wants_blocker != bool(result.automation_blockers):
        problems.append(f"{result.automation_blockers} automation blockers, wanted {wants_blocker}")
    if case.expects_operations and not result.operations_applied:
        problems.append("expected normalising operations, none applied")
    if not case.expects_operations and result.operations_applied:
        problems.append(f"{result.operations_applied} unexpected operations applied")
    return problems


def _row(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def print_table(results: Sequence[InvoiceResult], out: TextIO, *, checked: bool = True) -> None:
    """Print one row per annotation, then each message, then a verdict line."""
    header = (
        "annotation",
        "case",
        "labels before -> after",
        "messages",
        "blockers",
        "ops",
        "deliveries",
        "ms",
    )
    rows = [
        (
            str(r.annotation_id),
            r.case.key,
            f"{','.join(r.labels_before) or '-'} -> {','.join(r.labels_after) or '-'}",
            ",".join(sorted(str(m.get("type")) for m in r.messages)) or "-",
            str(r.automation_blockers),
            str(r.operations_applied),
            " ".join(r.deliveries) or "-",
            f"{r.delivery_ms:.0f}",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
    out.write(_row(header, widths) + "\n" + _row(["-" * w for w in widths], widths) + "\n")
    for row in rows:
        out.write(_row(row, widths) + "\n")
    out.write("\n")
    for r in results:
        for message in r.messages:
            out.write(f"{r.annotation_id} {message.get('type')}: {message.get('content')}\n")
        for problem in r.problems:
            out.write(f"{r.annotation_id} PROBLEM ({r.case.key}): {problem}\n")
    failed = sum(1 for r in results if r.problems)
    verdict = "each as its case promises" if not failed else f"{failed} NOT as promised"
    if not checked:
        verdict = "not checked (the cases promise what the shipped rules do)"
    out.write(f"{len(results)} annotations; {verdict}.\n")


async def _wait_forever(out: TextIO, sandbox_url: str, service_url: str) -> None:
    out.write(
        f"\nKeeping both up. Try:\n"
        f"  curl -s -X POST {sandbox_url}/api/v1/auth/login -d username={DEMO_USER} "
        f"-d password={DEMO_PASSWORD}\n"
        f"  curl -s {sandbox_url}/api/v1/sandbox/deliveries\n"
        f"  curl -s {service_url}/healthz\n"
        f"  curl -s {service_url}/metrics\n"
        "Ctrl-C stops.\n"
    )
    out.flush()
    await asyncio.Event().wait()
