"""Benchmark the webhook service against a bare Starlette endpoint on the same payload.

One signed `annotation_content.updated` delivery with 100 line items (~150 KB, the standard
invoice tree) is posted again and again to (a) a bare Starlette endpoint that only parses the
JSON and answers `{}` and (b) this service (signature, typed parse, shipped rules, label
resolution, answer, canonical log line). Each server runs under uvicorn in its own process on
loopback, one after the other; the load comes from a separate process (httpx, N keep-alive
connections, bounded by time). The Rossum API side is a loopback stand-in process.

Scenarios: `steady` (default): the annotation already carries the labels the rules want, as
it does after its first delivery, so no API write is needed; `apply`: the payload has no
labels, so every delivery makes one `POST /labels/apply` to the stand-in.

    python bench/webhook.py [--seconds 10] [--concurrency 16] [--scenario steady|apply]
"""

from __future__ import annotations

import argparse
import asyncio
import copy
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
LABELS = {"expedite": 1, "missing-po": 2, "due-soon": 3}
TABLE_COLUMNS = ("item_description", "item_quantity", "item_amount_total")


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


def build_delivery(*, api_port: int, scenario: str) -> tuple[dict[str, str], bytes]:
    """Return headers and body of a signed 100-row `annotation_content.updated` delivery."""
    from handlers.testing.payloads import content_payload, signed

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
    labels = [LABELS["expedite"], LABELS["missing-po"]] if scenario == "steady" else []
    payload = content_payload(
        "updated",
        fields=fields,
        line_items=rows,
        labels=labels,
        base_url=f"http://127.0.0.1:{api_port}",
        annotation_id=314521,
        schema=narrow_schema(),
    )
    return signed(payload, SECRET)


def stand_in_app() -> Any:
    """Return a tiny Rossum API stand-in: list, create and apply labels."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    def url(request: Request, n: int) -> str:
        return f"{request.base_url}api/v1/labels/{n}"

    async def list_labels(request: Request) -> JSONResponse:
        results = [{"id": n, "url": url(request, n), "name": k} for k, n in LABELS.items()]
        return JSONResponse({"pagination": {"next": None, "previous": None}, "results": results})

    async def create_label(request: Request) -> JSONResponse:
        name = (await request.json())["name"]
        return JSONResponse({"id": 99, "url": url(request, 99), "name": name}, status_code=201)

    async def apply_labels(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({})

    return Starlette(
        routes=[
            Route("/api/v1/labels", list_labels, methods=["GET"]),
            Route("/api/v1/labels", create_label, methods=["POST"]),
            Route("/api/v1/labels/apply", apply_labels, methods=["POST"]),
        ]
    )


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


def service_app() -> Any:
    """Return this service, configured for loopback and logging JSON as in production."""
    from service.app import create_app
    from service.logging import configure_logging
    from service.settings import Settings

    settings = Settings(
        webhook_secret=SECRET,
        allowed_base_urls=("http://127.0.0.1:*",),
        requests_per_second=None,  # the stand-in is not rate limited like Rossum
        log_format="json",
    )
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    return create_app(settings)


def serve(kind: str, port: int) -> None:
    """Run one server (in a child process); its stderr goes to /dev/null."""
    import uvicorn

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    app = {"bare": bare_app, "service": service_app, "api": stand_in_app}[kind]()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


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
    url: str, headers: dict[str, str], body: bytes, *, seconds: float, concurrency: int
) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        for _ in range(20):  # warm-up: connections, label cache, imports
            (await client.post(url, content=body, headers=headers)).raise_for_status()
        end = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal failures
            while time.perf_counter() < end:
                start = time.perf_counter()
                response = await client.post(url, content=body, headers=headers)
                if response.status_code == 200:
                    latencies.append(time.perf_counter() - start)
                else:
                    failures += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "failures": failures,
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
    }


def load(
    queue: Any, url: str, headers: dict[str, str], body: bytes, seconds: float, n: int
) -> None:
    """Drive load from a child process and put the figures on `queue`."""
    queue.put(asyncio.run(_load(url, headers, body, seconds=seconds, concurrency=n)))


def measure(
    kind: str, headers: dict[str, str], body: bytes, args: argparse.Namespace
) -> dict[str, Any]:
    """Start server `kind`, load it from another process, stop it; return the figures."""
    ctx = mp.get_context("spawn")
    port = free_port()
    server = ctx.Process(target=serve, args=(kind, port), daemon=True)
    server.start()
    try:
        wait_until_up(port)
        queue = ctx.Queue()
        url = f"http://127.0.0.1:{port}/hooks"
        loader = ctx.Process(
            target=load, args=(queue, url, headers, body, args.seconds, args.concurrency)
        )
        loader.start()
        result: dict[str, Any] = queue.get(timeout=args.seconds + 120)
        loader.join()
        return result
    finally:
        server.terminate()
        server.join()


def main() -> int:
    """Run the benchmark and print req/s, p50/p99 and the service/bare ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--scenario", choices=["steady", "apply"], default="steady")
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    api_port = free_port()
    api = ctx.Process(target=serve, args=("api", api_port), daemon=True)
    api.start()
    try:
        wait_until_up(api_port)
        headers, body = build_delivery(api_port=api_port, scenario=args.scenario)
        print(
            f"payload: {len(body) / 1024:.0f} KiB, 100 line items, scenario={args.scenario}, "
            f"{args.concurrency} connections, {args.seconds:.0f} s per server"
        )
        results = {kind: measure(kind, headers, body, args) for kind in ("bare", "service")}
    finally:
        api.terminate()
        api.join()
    for kind, r in results.items():
        print(
            f"{kind:8} {r['rps']:8.1f} req/s   p50 {r['p50_ms']:7.2f} ms   "
            f"p99 {r['p99_ms']:7.2f} ms   ({r['requests']} ok, {r['failures']} failed)"
        )
    ratio = results["service"]["rps"] / results["bare"]["rps"]
    print(f"ratio    {ratio:.2f}x the bare endpoint's req/s (goal >= 0.60)")
    return 0 if results["service"]["failures"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
