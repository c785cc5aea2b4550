"""Benchmark the embedded API client against a plain bounded httpx loop, in one run.

A loopback API in its own process answers after a configurable latency: the project's Rossum
sandbox (default; seeded with the annotations first) or a minimal Starlette stand-in
(`--server stand-in`, the least server CPU per request). For each latency the script times,
as medians over `--repeat` runs alternating the two contenders:

* 1,000 gathered `retrieve_annotation` calls with 8 in flight (bound: calls x latency / 8);
* listing 2,000 annotations, 100 per page, following `pagination.next`;

for this client and for the baseline (`asyncio.Semaphore` + `httpx.AsyncClient` +
`response.json()`), and prints wall time, client CPU per call and the ratios.

    python bench/client.py                       # sandbox, 20 ms and 0 ms, 5 repetitions
    python bench/client.py --server stand-in --latency-ms 20 --repeat 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import socket
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import structlog

# This file is itself named client.py: put the repository first so `client` is the package.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from client import AsyncRossumAPIClient, Token

HOST = "127.0.0.1"
PAGE_SIZE = 100


def annotation(base: str, annotation_id: int) -> dict[str, object]:
    """Return a realistic annotation object (the fields API-REF lists)."""
    api = f"{base}/api/v1"
    return {
        "id": annotation_id,
        "url": f"{api}/annotations/{annotation_id}",
        "status": "to_review",
        "document": f"{api}/documents/{annotation_id + 100000}",
        "queue": f"{api}/queues/8236",
        "schema": f"{api}/schemas/223",
        "relations": [],
        "pages": [f"{api}/pages/{annotation_id + 500000}"],
        "creator": f"{api}/users/1",
        "created_at": "2021-04-26T10:08:03.856648Z",
        "modifier": None,
        "modified_by": None,
        "modified_at": None,
        "assigned_at": None,
        "confirmed_at": None,
        "deleted_at": None,
        "exported_at": None,
        "export_failed_at": None,
        "purged_at": None,
        "rejected_at": None,
        "confirmed_by": None,
        "deleted_by": None,
        "exported_by": None,
        "purged_by": None,
        "rejected_by": None,
        "rir_poll_id": "54f6b91cfb751289e71ddf12",
        "messages": [],
        "content": f"{api}/annotations/{annotation_id}/content",
        "suggested_edit": None,
        "time_spent": 0.0,
        "metadata": {"source": "bench"},
        "automated": False,
        "related_emails": [],
        "email": None,
        "automation_blocker": None,
        "email_thread": None,
        "has_email_thread_with_replies": False,
        "has_email_thread_with_new_replies": False,
        "organization": f"{api}/organizations/1",
        "automatically_rejected": False,
        "prediction": None,
        "assignees": [],
        "labels": [f"{api}/labels/1"],
        "restricted_access": False,
        "training_enabled": True,
        "einvoice": False,
    }


def stand_in_app(base: str, latency: float, total: int):  # type: ignore[no-untyped-def]
    """Build the stand-in API: one annotation per id, and a cursor-paginated list."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    template = json.dumps(annotation(base, 999_999_999)).encode()

    def page(offset: int, size: int) -> bytes:
        items = [annotation(base, i) for i in range(offset + 1, min(offset + size, total) + 1)]
        nxt = offset + size
        next_url = f"{base}/api/v1/annotations?cursor=b{nxt:x}&page_size={size}"
        body = {"pagination": {"next": next_url if nxt < total else None, "previous": None}}
        return json.dumps({**body, "results": items}).encode()

    pages = {offset: page(offset, PAGE_SIZE) for offset in range(0, total, PAGE_SIZE)}

    async def retrieve(request: Request) -> Response:
        if latency:
            await asyncio.sleep(latency)
        body = template.replace(b"999999999", request.path_params["id"].encode())
        return Response(body, media_type="application/json")

    async def listing(request: Request) -> Response:
        if latency:
            await asyncio.sleep(latency)
        cursor = request.query_params.get("cursor", "b0")
        return Response(pages[int(cursor[1:], 16)], media_type="application/json")

    routes = [
        Route("/api/v1/annotations/{id}", retrieve),
        Route("/api/v1/annotations", listing),
    ]
    return Starlette(routes=routes)


def serve(kind: str, port: int, latency: float, total: int) -> None:
    """Run the chosen API until terminated (in a child process)."""
    import uvicorn

    # The server's own per-request logging would only measure structlog.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    if kind == "sandbox":
        from sandbox.app import create_sandbox_app
        from sandbox.settings import SandboxSettings

        app = create_sandbox_app(SandboxSettings(latency_s=latency, rate_limit_per_s=0))
    else:
        app = stand_in_app(f"http://{HOST}:{port}", latency, total)
    uvicorn.run(app, host=HOST, port=port, log_level="warning", access_log=False)


def prepare(kind: str, base: str, total: int) -> tuple[str, int]:
    """Seed the API if needed; return a token and the first annotation id."""
    if kind != "sandbox":
        return "bench", 1
    with httpx.Client(base_url=base, timeout=30) as http:
        for i in range(total):
            body = {"queue": 101, "file_name": f"{i}.pdf", "fields": {"document_id": f"B-{i}"}}
            http.post("/sandbox/import", json=body).raise_for_status()
        login = {"username": "demo@example.com", "password": "demo-password"}
        key = http.post("/auth/login", json=login).raise_for_status().json()["key"]
    return str(key), 3001  # the sandbox numbers annotations from 3001


def free_port() -> int:
    """Return a free loopback TCP port."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_until_listening(port: int, timeout: float = 20.0) -> None:
    """Block until the stand-in accepts connections."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"stand-in API did not start on port {port}")


# ---- the contenders --------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where and what to call."""

    base: str
    token: str
    first_id: int
    calls: int
    items: int
    in_flight: int

    @property
    def ids(self) -> range:
        return range(self.first_id, self.first_id + self.calls)


async def ours_gather(t: Target) -> None:
    """This client: gather `calls` retrieve_annotation calls."""
    async with AsyncRossumAPIClient(
        t.base, Token(t.token), max_in_flight_requests=t.in_flight
    ) as api:
        results = await asyncio.gather(*(api.retrieve_annotation(i) for i in t.ids))
    assert results[-1].id == t.ids[-1]


async def plain_gather(t: Target) -> None:
    """Baseline: a semaphore-bounded loop of plain httpx GETs decoded with `.json()`."""
    limit = asyncio.Semaphore(t.in_flight)
    limits = httpx.Limits(max_connections=t.in_flight, max_keepalive_connections=t.in_flight)
    headers = {"Authorization": f"Bearer {t.token}"}
    async with httpx.AsyncClient(limits=limits, headers=headers) as http:

        async def one(i: int) -> object:
            async with limit:
                response = await http.get(f"{t.base}/annotations/{i}")
                response.raise_for_status()
                return response.json()

        results = await asyncio.gather(*(one(i) for i in t.ids))
    assert len(results) == t.calls


async def ours_list(t: Target) -> None:
    """This client: list every annotation."""
    async with AsyncRossumAPIClient(
        t.base, Token(t.token), max_in_flight_requests=t.in_flight
    ) as api:
        items = [a async for a in api.list_annotations()]
    assert len(items) == t.items


async def plain_list(t: Target) -> None:
    """Baseline: follow `pagination.next` page by page with plain httpx."""
    headers = {"Authorization": f"Bearer {t.token}"}
    items: list[object] = []
    async with httpx.AsyncClient(headers=headers) as http:
        url: str | None = f"{t.base}/annotations?page_size={PAGE_SIZE}"
        while url:
            response = await http.get(url)
            response.raise_for_status()
            data = response.json()
            items.extend(data["results"])
            url = data["pagination"]["next"]
    assert len(items) == t.items


# ---- measuring -------------------------------------------------------------------------------


@dataclass
class Sample:
    """Median wall seconds and client CPU seconds of one contender in one scenario."""

    wall: float
    cpu: float


def measure(run: Callable[[], Awaitable[None]]) -> tuple[float, float]:
    """Run once in a fresh event loop; return (wall, CPU) seconds."""
    wall, cpu = time.perf_counter(), time.process_time()
    asyncio.run(run())  # type: ignore[arg-type]
    return time.perf_counter() - wall, time.process_time() - cpu


def compare(
    ours: Callable[[], Awaitable[None]], plain: Callable[[], Awaitable[None]], repeat: int
) -> tuple[Sample, Sample]:
    """Alternate the contenders `repeat` times after a warm-up; return their medians."""
    measure(ours), measure(plain)
    runs: dict[str, list[tuple[float, float]]] = {"ours": [], "plain": []}
    for turn in range(repeat):
        # Alternate who goes first, so neither always runs on a warmer server.
        order = [("plain", plain), ("ours", ours)]
        for name, run in order if turn % 2 == 0 else reversed(order):
            runs[name].append(measure(run))

    def median(samples: list[tuple[float, float]]) -> Sample:
        return Sample(
            statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples)
        )

    return median(runs["ours"]), median(runs["plain"])


def report(args: argparse.Namespace, latency_ms: float) -> list[str]:
    """Start the API at this latency, run both scenarios, return the report lines."""
    port = free_port()
    total = max(args.items, args.calls)
    server = multiprocessing.get_context("spawn").Process(
        target=serve, args=(args.server, port, latency_ms / 1000, total), daemon=True
    )
    server.start()
    try:
        wait_until_listening(port)
        base = f"http://{HOST}:{port}/api/v1"
        token, first_id = prepare(args.server, base, total)
        t = Target(base, token, first_id, args.calls, total, args.in_flight)
        gather = compare(lambda: ours_gather(t), lambda: plain_gather(t), args.repeat)
        listing = compare(lambda: ours_list(t), lambda: plain_list(t), args.repeat)
    finally:
        server.terminate()
        server.join()
    bound = args.calls * latency_ms / 1000 / args.in_flight
    bound_text = f"{bound:.2f} s" if bound else "-"
    return [
        row(f"{latency_ms:g} ms", f"{args.calls} gathered calls", *gather, args.calls, bound_text),
        row(f"{latency_ms:g} ms", f"list {total} annotations", *listing, total // PAGE_SIZE, ""),
    ]


def row(latency: str, scenario: str, ours: Sample, plain: Sample, requests: int, bound: str) -> str:
    """Format one result line."""
    us_ours, us_plain = ours.cpu / requests * 1e6, plain.cpu / requests * 1e6
    return (
        f"{latency:>6}  {scenario:<24} {plain.wall:7.3f} s {ours.wall:7.3f} s "
        f"{ours.wall / plain.wall:6.2f}x  {bound:>7}  {us_plain:8.0f} {us_ours:8.0f} "
        f"{ours.cpu / plain.cpu:6.2f}x"
    )


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run every latency, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--in-flight", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, nargs="+", default=[20.0, 0.0])
    parser.add_argument("--server", choices=["sandbox", "stand-in"], default="sandbox")
    args = parser.parse_args(argv)
    # Production logging runs at INFO: the per-request debug event is then never built.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.INFO))
    print(
        f"client benchmark: {args.calls} gathered retrieve_annotation calls and listing "
        f"{args.items} annotations ({PAGE_SIZE}/page), {args.in_flight} in flight, "
        f"median of {args.repeat}; server: {args.server} under uvicorn on loopback, own process"
    )
    print(
        f"{'lat':>6}  {'scenario':<24} {'plain':>9} {'client':>9} {'ratio':>7}  {'bound':>7}  "
        f"{'cpu/req plain':>8} {'client':>8} {'ratio':>7}"
    )
    print("        (cpu/req = client-process CPU microseconds per HTTP request)")
    for latency in args.latency_ms:
        for line in report(args, latency):
            print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
