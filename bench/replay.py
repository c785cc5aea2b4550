"""Benchmark `rossum-hooks replay --dry-run` in-process against the bare cost of the rules.

Builds a recording of realistic deliveries with the rule authors' kit: invoices going through
their life (`initialize`, status `to_review`, `started`, `updated`, `confirm`, status
`confirmed`, `export`, status `exported`), with 1-8 line items, amounts around the expedite
threshold, some missing purchase orders, due dates near and far, and the `labels` sideload.
The service records them in-process (dry run, `ROSSUM_HOOKS_RECORD_PATH`), then the script
times, as medians over `--repeat` runs alternating the two:

* baseline: for the same deliveries' bodies (already bytes), `HookEvent.from_http` (signature
  check and typed parse) and `router.dispatch` (the shipped rules): no HTTP layer, no file;
* replay: the whole `replay --dry-run` path on the recording file: read and decode each
  line, rebuild and sign the request, the service app in-process (middleware, verification,
  rules, label resolution against the offline stand-in, intended calls), the comparison and
  the report (written to /dev/null).

Each leg's time is taken on the wall clock and as this process's CPU time (which leaves out
the time other work on a shared machine takes from it); both ratios are printed.

Then (`--memory-events`, default 100,000) one more dry-run replay streams that many events
from the recording, the recorded lines first and then copies about new annotations (ids
moved, new request ids, so each copy replays "same" too), printing the resident memory every
10,000 events and the process's peak: memory must stay flat however long the recording.

    python bench/replay.py                      # 10,000 events, 3 repetitions, 100,000 streamed
    python bench/replay.py --events 2000 --repeat 5 --memory-events 0 --keep /tmp/d.jsonl
    python bench/replay.py --events 3000 --memory-events 0 --profile   # + the replay's cProfile

With `--profile`, one more replay of the recording runs under cProfile (CPU time, so the
machine's other work does not count; the profiler's own cost is included and inflates
Python-heavy frames: a sampling profiler such as py-spy gives truer shares) and its top
entries by own time are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import random
import re
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, NamedTuple

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from profile_apply import top_entries  # bench/ is not a package: its scripts import by path

from handlers.events import HookEvent
from handlers.rules import router
from handlers.signature import signature_headers
from handlers.testing import TIMESTAMP, content_payload, encode, status_payload
from replay.engine import Recording, replay_file
from replay.offline import OfflineRossum
from replay.payload import Selection
from replay.setup import ReplayConfig, replay_settings
from replay.targets import in_process
from service.logging import configure_logging

SECRET = "bench-replay-secret"
BASE = "https://bench.rossum.app"
LABELS = {"expedite": 1, "missing-po": 2, "due-soon": 3}
LIFE = (
    ("annotation_content", "initialize", "importing"),
    ("annotation_status", "changed", "to_review"),
    ("annotation_content", "started", "reviewing"),
    ("annotation_content", "updated", "reviewing"),
    ("annotation_content", "confirm", "reviewing"),
    ("annotation_status", "changed", "confirmed"),
    ("annotation_content", "export", "exporting"),
    ("annotation_status", "changed", "exported"),
)


def _label_objects() -> list[dict[str, Any]]:
    return [
        {"id": i, "url": f"{BASE}/api/v1/labels/{i}", "name": name, "color": None}
        for name, i in LABELS.items()
    ]


def _invoice(rng: random.Random, number: int) -> dict[str, Any]:
    rows = [
        {
            "item_description": f"Item {n}",
            "item_quantity": str(rng.randint(1, 20)),
            "item_amount_total": f"{rng.uniform(10, 4000):.2f}",
        }
        for n in range(rng.randint(1, 8))
    ]
    total = sum(float(r["item_amount_total"]) for r in rows)
    if rng.random() < 0.1:
        total += 5  # totals that do not add up
    due = TIMESTAMP.date() + timedelta(days=rng.choice([3, 10, 30, -2]))
    fields = {
        "document_id": f"INV-{number:06d}",
        "order_id": "" if rng.random() < 0.2 else f"PO-{number}",
        "date_issue": "2024-04-20",
        "date_due": due.isoformat(),
        "amount_total": f"{total:.2f}",
        "currency": "EUR",
        "sender_name": rng.choice(["Acme Supplies Ltd.", "Globex GmbH", "Initech s.r.o."]),
    }
    return {"fields": fields, "line_items": rows}


def deliveries(count: int, *, seed: int = 7) -> Iterator[dict[str, Any]]:
    """Yield `count` payloads: invoices going through their life, in order."""
    rng = random.Random(seed)
    keys = {"base_url": BASE, "extra": {"labels": _label_objects()}}
    made, number = 0, 0
    while made < count:
        number += 1
        invoice, annotation_id = _invoice(rng, number), 500_000 + number
        labels: list[int] = [LABELS["expedite"]] if rng.random() < 0.3 else []
        for event, action, status in LIFE[: count - made]:
            common = {**keys, "annotation_id": annotation_id, "status": status, "labels": labels}
            if event == "annotation_status":
                yield status_payload(**common)
            else:
                yield content_payload(action, **invoice, **common)
            made += 1


async def record(path: Path, count: int) -> None:
    """Let the service record `count` deliveries (a dry run with no API) into `path`."""
    settings = replay_settings(secret=SECRET, dry_run=True, allowed=[BASE]).model_copy(
        update={"record_path": path, "record_max_bytes": 1 << 40}
    )
    rossum = OfflineRossum()
    for label in _label_objects():
        rossum.add_label(BASE, name=label["name"], url=label["url"])
    async with in_process(settings, transport=rossum.transport) as target:
        for payload in deliveries(count):
            body = encode(payload)
            headers = [("content-type", "application/json")]
            headers += [(k.lower(), v) for k, v in signature_headers(body, SECRET).items()]
            await target.send(headers, body)


class Timing(NamedTuple):
    """Seconds of one leg: on the wall clock, and of this process's CPU."""

    wall: float
    cpu: float


def _now() -> Timing:
    return Timing(time.perf_counter(), time.process_time())


def _since(started: Timing) -> Timing:
    now = _now()
    return Timing(now.wall - started.wall, now.cpu - started.cpu)


def baseline(bodies: list[bytes]) -> Timing:
    """Return the time the pure core takes on the bodies: verify, parse, dispatch."""
    signed = [(signature_headers(b, SECRET), b) for b in bodies]
    started = _now()
    for headers, body in signed:
        router.dispatch(HookEvent.from_http(headers, body, secrets=(SECRET,)))
    return _since(started)


def replay(path: Path) -> tuple[Timing, int]:
    """Return the time a dry-run in-process replay of `path` takes, and how many were same."""
    with open(os.devnull, "w") as sink:
        started = _now()
        tally = asyncio.run(
            replay_file(
                ReplayConfig(dry_run=True), Recording(str(path)), selection=Selection(), out=sink
            )
        )
        elapsed = _since(started)
    return elapsed, tally.same


_ANNOTATION_URL = re.compile(rb"/annotations/(\d+)")
COPY_OFFSET = 1_000_000  # annotation ids of the k-th copy of the recording: + k * this


def expanded(path: Path, total: int) -> Iterator[bytes]:
    """Yield `total` recording lines: the recorded ones, then copies about new annotations.

    Copy k moves every annotation URL by `k * COPY_OFFSET` and gives each delivery a new
    request id, so the service sees new annotations and new deliveries (no duplicate, no
    label state carried over), and each copy must replay "same" like the original.
    """
    with path.open("rb") as file:
        recorded = file.read().splitlines()
    for n in range(total):
        copy, line = divmod(n, len(recorded))
        text = recorded[line]
        yield _moved(text, copy * COPY_OFFSET) if copy else text


def _moved(text: bytes, shift: int) -> bytes:
    """Return a recording line about annotation ids + `shift`, with a new request id."""
    text = _ANNOTATION_URL.sub(lambda m: b"/annotations/%d" % (int(m[1]) + shift), text)
    request_id = msgspec.json.decode(text, type=_RequestId).request_id
    return text.replace(request_id.encode(), str(uuid.uuid4()).encode())


class _RequestId(msgspec.Struct):
    request_id: str


def rss_mb() -> float:
    """Return this process's resident memory now, in MB (Linux /proc)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


class StreamedRecording(Recording):
    """A recording streamed from `expanded` lines, noting the RSS every `every` lines."""

    def __init__(self, path: Path, total: int, *, every: int = 10_000) -> None:
        self._source, self._total, self._every = path, total, every
        self._kept = None
        self.samples: list[tuple[int, float]] = []

    def lines(self) -> Iterator[bytes]:
        """Yield the expanded lines, sampling the RSS as they go."""
        for n, line in enumerate(expanded(self._source, self._total), start=1):
            yield line
            if n % self._every == 0:
                self.samples.append((n, rss_mb()))


def memory_run(path: Path, total: int) -> int:
    """Replay `total` events streamed from the recording; print the RSS as they go."""
    recording = StreamedRecording(path, total)
    before = rss_mb()
    with open(os.devnull, "w") as sink:
        started = time.perf_counter()
        tally = asyncio.run(
            replay_file(ReplayConfig(dry_run=True), recording, selection=Selection(), out=sink)
        )
        elapsed = time.perf_counter() - started
    samples = ", ".join(f"{n // 1000}k {mb:,.0f}" for n, mb in recording.samples)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    print(
        f"memory: {total:,} events replayed in {elapsed:.0f} s ({total / elapsed:,.0f} ev/s), "
        f"{tally.same:,} same; RSS MB before {before:,.0f}, after {samples}; "
        f"peak RSS of the process {peak:,.0f} MB"
    )
    if len(recording.samples) >= 2:
        first, last = recording.samples[0][1], recording.samples[-1][1]
        print(f"        growth from the first to the last sample: {last - first:+,.0f} MB")
    return 0 if tally.same == total else 1


def main() -> int:
    """Record, then time baseline and replay alternately; print the medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the recording here (else a temp file)")
    parser.add_argument(
        "--memory-events",
        type=int,
        default=100_000,
        help="then replay this many events streamed from the recording, printing RSS (0: skip)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="then profile one more replay (cProfile)"
    )
    parser.add_argument("--top", type=int, default=30, help="profile entries to print")
    args = parser.parse_args()
    configure_logging(level="error")
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "deliveries.jsonl"
        path.unlink(missing_ok=True)
        asyncio.run(record(path, args.events))
        size = path.stat().st_size
        with path.open("rb") as recorded:
            lines = sum(1 for _ in recorded)
        if lines != args.events:
            print(f"error: the recorder wrote {lines} of {args.events} deliveries")
            return 1
        bodies = [encode(p) for p in deliveries(args.events)]
        print(f"recording: {args.events} deliveries, {size / 1e6:.1f} MB ({path})")
        base_t: list[Timing] = []
        replay_t: list[Timing] = []
        for run in range(args.repeat):
            base_t.append(baseline(bodies))
            elapsed, same = replay(path)
            replay_t.append(elapsed)
            print(
                f"run {run + 1}: baseline {args.events / base_t[-1].wall:,.0f} ev/s, "
                f"replay {args.events / elapsed.wall:,.0f} ev/s, {same} same; by CPU "
                f"{args.events / base_t[-1].cpu:,.0f} and {args.events / elapsed.cpu:,.0f} ev/s"
            )
            if same != args.events:
                print(f"error: {args.events - same} answers changed on replay")
                return 1
        for clock in ("wall", "cpu"):
            base = statistics.median(getattr(t, clock) for t in base_t)
            rep = statistics.median(getattr(t, clock) for t in replay_t)
            print(
                f"median of {args.repeat} ({'wall clock' if clock == 'wall' else 'CPU time'}): "
                f"baseline (verify+parse+dispatch) {args.events / base:,.0f} ev/s; "
                f"replay --dry-run in-process {args.events / rep:,.0f} ev/s: "
                f"{base / rep:.2f}x the baseline's events/s (goal >= 0.60)"
            )
        print(f"load average {os.getloadavg()[0]:.2f}")
        del bodies
        if args.profile:
            profile = cProfile.Profile(time.process_time)
            profile.enable()
            replay(path)
            profile.disable()
            print("replay --dry-run under cProfile: top entries by own CPU time")
            print(top_entries(profile, args.events, args.top))
        if args.memory_events:
            return memory_run(path, args.memory_events)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
