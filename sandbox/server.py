"""`rossum-hooks sandbox`: serve the sandbox with uvicorn; plus helpers to serve any ASGI app
on a free loopback port from Python (for the demo, end-to-end tests and benchmarks).
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import uvicorn
from pydantic import ValidationError
from starlette.types import ASGIApp

from sandbox.app import create_sandbox_app
from sandbox.settings import SandboxSettings

START_TIMEOUT_S = 10.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the `sandbox` subcommand's options."""
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback)")
    parser.add_argument("--port", type=int, default=8900, help="port to listen on (0: any free)")
    parser.add_argument("--public-url", help="base URL to advertise (default: the request's)")
    parser.add_argument("--rate-limit", type=float, default=10.0, help="requests/s, 0 disables")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each call")
    parser.add_argument("--rate-429", type=float, default=0.0, help="share answered 429")
    parser.add_argument("--rate-5xx", type=float, default=0.0, help="share answered 5xx")
    parser.add_argument("--statuses-5xx", default="500,502,503", help="5xx codes to inject")
    parser.add_argument("--slow-rate", type=float, default=0.0, help="share of slow answers")
    parser.add_argument("--slow-s", type=float, default=0.0, help="delay of a slow answer")
    parser.add_argument("--retry-after", type=int, default=1, help="Retry-After of injected 429")
    parser.add_argument("--seed", type=int, help="seed for reproducible fault injection")
    parser.add_argument("--delivery-retry-delay", type=float, default=0.2, help="first retry wait")
    parser.add_argument(
        "--empty", action="store_true", help="start without the demo invoices (queue kept)"
    )
    parser.add_argument(
        "--no-demo-data", action="store_true", help="skip the demo queue (and its invoices)"
    )
    parser.add_argument(
        "--no-schedules", action="store_true", help="do not fire scheduled hooks by the clock"
    )
    parser.add_argument("--log-level", default="info", help="uvicorn log level")


def settings_from_args(args: argparse.Namespace) -> SandboxSettings:
    """Build sandbox settings from parsed command-line options."""
    statuses = tuple(int(s) for s in str(args.statuses_5xx).split(",") if s.strip())
    return SandboxSettings(
        public_url=args.public_url,
        rate_limit_per_s=args.rate_limit,
        latency_s=args.latency,
        rate_429=args.rate_429,
        rate_5xx=args.rate_5xx,
        statuses_5xx=statuses,
        slow_rate=args.slow_rate,
        slow_s=args.slow_s,
        fault_retry_after_s=args.retry_after,
        seed=args.seed,
        delivery_retry_delay_s=args.delivery_retry_delay,
        seed_demo_data=not args.no_demo_data,
        demo_documents=not (args.empty or args.no_demo_data),
        run_schedules=not args.no_schedules,
    )


def run(args: argparse.Namespace) -> int:
    """Serve the sandbox until interrupted; 2 on invalid options."""
    try:
        settings = settings_from_args(args)
        if settings.public_url is None and settings.run_schedules:
            # The clock has no request to take its URLs from: advertise where it listens.
            host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
            settings = settings.model_copy(update={"public_url": f"http://{host}:{args.port}"})
        app = create_sandbox_app(settings)
    except (ValueError, ValidationError) as exc:
        sys.stderr.write(f"rossum-hooks sandbox: invalid option: {exc}\n")
        return 2
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, lifespan="on")
    return 0


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this. Without it, a socket handed to uvicorn answers each
    # keep-alive request ~40 ms late (Nagle vs. delayed ACK): ~23 instead of ~3000 req/s.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    return sock


def _server(app: ASGIApp) -> uvicorn.Server:
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    return uvicorn.Server(config)


@asynccontextmanager
async def serving(app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """Serve `app` with uvicorn in this event loop; yield its base URL (`http://host:port`)."""
    sock = _bind(host, port)
    server = _server(app)
    task = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    try:
        async with asyncio.timeout(START_TIMEOUT_S):
            while not server.started:
                if task.done():
                    task.result()  # re-raise the start-up failure
                await asyncio.sleep(0.01)
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@contextmanager
def serving_in_thread(app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `app` with uvicorn in a background thread; yield its base URL."""
    sock = _bind(host, port)
    server = _server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on {host}:{sock.getsockname()[1]} did not start")
            time.sleep(0.01)
        yield f"http://{host}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT_S)
        sock.close()
