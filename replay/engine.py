"""The replay loop: read a recording, send each selected delivery, compare, report.

`replay_file` is the whole of `rossum-hooks replay` minus the command line: tests, benchmarks
and rule authors call it with a `ReplayConfig` (and, to reach an in-process sandbox, a
`transport`).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TextIO

import httpx

from replay.diff import Observed, compare
from replay.payload import Record, Rewrite, Selection, build_request, parse_records
from replay.progress import ProgressBar
from replay.report import Result, Tally, render_result, render_summary, result_json
from replay.setup import ReplayConfig, ReplayUsageError, open_target
from replay.targets import Target

# Recorded lines are tens of KB: a large buffer reads each in one piece, not in 8 KB steps.
_READ_BUFFER = 1 << 20
# Deliveries sent between two turns of the event loop (see `replay_records`).
_TURN_EVERY = 64


class Recording:
    """The lines of a recording file (read twice: once to prepare, once to replay)."""

    def __init__(self, source: str, *, stdin: TextIO | None = None) -> None:
        self._path = None if source == "-" else Path(source)
        self._kept: list[str] | None = None
        if self._path is None:
            self._kept = (stdin or sys.stdin).read().splitlines()
        elif not self._path.is_file():
            raise ReplayUsageError(f"no recording at {source}")

    def lines(self) -> Iterator[str | bytes]:
        """Yield the recording's lines (bytes from a file: JSON is decoded from UTF-8 bytes)."""
        if self._kept is not None:
            yield from self._kept
            return
        assert self._path is not None
        with self._path.open("rb", buffering=_READ_BUFFER) as file:
            yield from file

    def records(self) -> Iterator[Record]:
        """Yield the recording's records (raise `RecordingError` on a bad line)."""
        return parse_records(self.lines())


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
    sent = 0
    for record in records:
        if not selection.matches(record):
            tally.filtered += 1
        elif not record.replayable:
            tally.unreplayable += 1
        else:
            if before_send is not None:
                before_send(record)
            headers, body = build_request(record, rewrite, secret=secret)
            observed = await target.send(headers, body)
            sent += 1
            if sent % _TURN_EVERY == 0:
                # In-process a delivery may never give the event loop a turn, and only a turn
                # runs the callbacks and purges the timers deliveries leave behind, each holding
                # its delivery's context (body included): without one, memory would grow with
                # every event. A turn each 64 bounds that at 64 deliveries' worth.
                await asyncio.sleep(0)
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
