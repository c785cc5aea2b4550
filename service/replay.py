"""`rossum-hooks replay FILE`: send recorded deliveries again and compare the answers.

Each delivery of a recording (`ROSSUM_HOOKS_RECORD_PATH`, or `rossum-hooks pull-logs`) is sent
again, re-signed, to the service in-process (the default) or to a running one (`--url`); the
new answer is compared with the recorded one (`service.replay_diff`) and the report lists
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
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TextIO

import httpx
from pydantic_core import from_json

from client import RossumError
from service.logging import configure_logging
from service.progress import ProgressBar
from service.replay_diff import Observed, compare
from service.replay_payload import (
    Record,
    RecordingError,
    Rewrite,
    Selection,
    build_request,
    parse_records,
)
from service.replay_report import Result, Tally, render_result, render_summary, result_json
from service.replay_setup import ReplayConfig, ReplayUsageError, open_target
from service.replay_targets import Target

EXIT_SAME, EXIT_CHANGED, EXIT_ERROR = 0, 1, 2


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `replay` options to `parser`."""
    parser.add_argument("file", help="recording to replay (JSONL); '-' reads standard input")
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
    rules = parser.add_argument_group("rules")
    rules.add_argument(
        "--hook-setting",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a hook setting in every payload (VALUE as JSON if it parses)",
    )
    rules.add_argument("--router", help="rules to run, as module:attribute (default: shipped)")
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


def config_from(args: argparse.Namespace) -> ReplayConfig:
    """Return the replay configuration of the command line (and `ROSSUM_HOOKS_*`)."""
    env = os.environ.get
    secret = args.secret or (env("ROSSUM_HOOKS_WEBHOOK_SECRET") or "").split(",")[0].strip()
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
        router=args.router,
    )


class Recording:
    """The lines of a recording file (read twice: once to prepare, once to replay)."""

    def __init__(self, source: str, *, stdin: TextIO | None = None) -> None:
        self._path = None if source == "-" else Path(source)
        self._kept: list[str] | None = None
        if self._path is None:
            self._kept = (stdin or sys.stdin).read().splitlines()
        elif not self._path.is_file():
            raise ReplayUsageError(f"no recording at {source}")

    def lines(self) -> Iterator[str]:
        """Yield the recording's lines."""
        if self._kept is not None:
            yield from self._kept
            return
        assert self._path is not None
        with self._path.open(encoding="utf-8") as file:
            yield from file

    def records(self) -> Iterator[Record]:
        """Yield the recording's records (raise `RecordingError` on a bad line)."""
        return parse_records(self.lines(), loads=from_json)


def count_lines(recording: Recording) -> int:
    """Return the number of non-blank lines (the progress bar's total)."""
    return sum(1 for line in recording.lines() if line.strip())


async def replay_records(
    records: Iterable[Record],
    target: Target,
    *,
    rewrite: Rewrite,
    secret: str | None,
    selection: Selection | None = None,
    emit: Callable[[Result], None] = lambda result: None,
    progress: ProgressBar | None = None,
    before_send: Callable[[Record], None] | None = None,
) -> Tally:
    """Send each selected record to `target`, compare the answers, emit each result."""
    tally, selection = Tally(), selection or Selection()
    for record in records:
        if not selection.matches(record):
            tally.filtered += 1
            continue
        if not record.replayable:
            tally.unreplayable += 1
            continue
        if before_send is not None:
            before_send(record)
        headers, body = build_request(record, rewrite, secret=secret)
        observed = await target.send(headers, body)
        result = Result(record, observed, compare(Observed.from_record(record.data), observed))
        tally.add(result)
        emit(result)
        if progress is not None:
            progress.advance()
    return tally


class Printer:
    """Write each result's report lines (and JSON line, with `--report`) as it arrives."""

    def __init__(self, out: TextIO, *, dry_run: bool, verbose: bool, report: TextIO | None):
        self._out, self._dry_run, self._verbose, self._report = out, dry_run, verbose, report

    def __call__(self, result: Result) -> None:
        lines = render_result(result, dry_run=self._dry_run, verbose=self._verbose)
        if lines:
            self._out.write("\n".join(lines) + "\n")
        if self._report is not None:
            self._report.write(json.dumps(result_json(result), default=str) + "\n")


async def replay_file(
    config: ReplayConfig,
    recording: Recording,
    *,
    selection: Selection,
    out: TextIO,
    verbose: bool = False,
    report: TextIO | None = None,
    progress_stream: TextIO | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Tally:
    """Replay a recording as configured, writing the report to `out`; return the counts.

    `transport` stands in for the network to `--api-url` (an in-process sandbox in tests).
    """
    bar = None
    if progress_stream is not None and progress_stream.isatty():
        bar = ProgressBar(total=count_lines(recording), stream=progress_stream, enabled=True)
    printer = Printer(out, dry_run=config.dry_run, verbose=verbose, report=report)
    async with open_target(config, transport=transport) as opened:
        try:
            tally = await replay_records(
                recording.records(),
                opened.target,
                rewrite=opened.rewrite,
                secret=opened.secret,
                selection=selection,
                emit=printer,
                progress=bar,
                before_send=opened.before_send,
            )
        finally:
            if bar is not None:
                bar.close()
    out.write("\n".join(render_summary(tally, dry_run=config.dry_run)) + "\n")
    return tally


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
