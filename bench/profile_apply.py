"""Profile what one API call adds to a delivery, in-process and by CPU time.

The service app is called directly (as `replay` does: no uvicorn, no load generator in this
process), its API peer is the sandbox in its own process over loopback, so the one
`POST /labels/apply` a delivery makes goes through the real client, httpx and a socket. Two
legs alternate for `--rounds` rounds on the deliveries of `bench/webhook.py` (100 line items,
taking turns over `--annotations` annotations): `apply` (the payload carries no labels, so
each delivery makes one call) and `steady` (the labels are already there: no call). The
script prints this process's CPU per delivery for each leg (median round) and the difference,
which is what the call costs the service; with `--profile` each leg also runs under cProfile
(CPU time) and the top entries of both are printed, so the entries only `apply` has show
where that difference goes.

    python bench/profile_apply.py [--deliveries 200] [--rounds 5] [--concurrency 1] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from webhook import (  # bench/ is not a package: its scripts import each other by path
    Post,
    build_deliveries,
    prepare_sandbox,
    service_settings,
    start_server,
)

CALLS = {"apply": 1, "steady": 0}  # labels/apply calls each delivery of a leg makes


async def _leg(target: Any, posts: list[Post], count: int, concurrency: int, calls: int) -> None:
    """Deliver `count` posts, `concurrency` at a time; fail unless each answer is a 200 and
    each delivery made `calls` `labels/apply` calls.
    """
    queue = iter(range(count))

    async def worker() -> None:
        for n in queue:
            headers, body = posts[n % len(posts)]
            observed = await target.send([(k.lower(), v) for k, v in headers.items()], body)
            if observed.status != 200:
                raise RuntimeError(f"service answered {observed.status}: {observed.answer}")
            made = sum(call["call"] == "apply_labels" for call in observed.calls or ())
            if made != calls:
                raise RuntimeError(f"a delivery made {made} labels/apply calls, not {calls}")

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def measure(api_port: int, args: argparse.Namespace) -> dict[str, Any]:
    """Run both legs in-process for `args.rounds` rounds; return CPU ms and profiles."""
    from replay.targets import in_process
    from service.logging import configure_logging

    peer = prepare_sandbox(api_port, args.annotations)
    legs = {
        "apply": build_deliveries(api_port=api_port, scenario="apply", peer=peer),
        "steady": build_deliveries(api_port=api_port, scenario="steady", peer=peer),
    }
    settings = service_settings()
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    cpu: dict[str, list[float]] = {name: [] for name in legs}
    profiles = {name: cProfile.Profile(time.process_time) for name in legs}
    async with in_process(settings) as target:
        for name, posts in legs.items():  # warm-up: connections, label cache, imports
            await _leg(target, posts, 20, args.concurrency, CALLS[name])
        for _ in range(args.rounds):
            for name, posts in legs.items():
                profile = profiles[name] if args.profile else None
                started = time.process_time()
                if profile is not None:
                    profile.enable()
                await _leg(target, posts, args.deliveries, args.concurrency, CALLS[name])
                if profile is not None:
                    profile.disable()
                cpu[name].append(1000 * (time.process_time() - started) / args.deliveries)
    return {"cpu": cpu, "profiles": profiles if args.profile else {}}


def top_entries(profile: cProfile.Profile, deliveries: int, top: int) -> str:
    """Return the `top` entries of `profile` by own CPU time."""
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).strip_dirs().sort_stats("tottime")
    out.write(f"(times for {deliveries} deliveries)\n")
    stats.print_stats(top)
    return out.getvalue()


def main() -> int:
    """Measure both legs, print CPU per delivery, the call's cost and optional profiles."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=200, help="deliveries per leg a round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--annotations", type=int, default=64)
    parser.add_argument("--profile", action="store_true", help="print each leg's cProfile top")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    api, api_port = start_server("api")
    try:
        result = asyncio.run(measure(api_port, args))
    finally:
        api.terminate()
        api.join()
    cpu = {name: statistics.median(values) for name, values in result["cpu"].items()}
    for name, values in result["cpu"].items():
        rounds = ", ".join(f"{v:.2f}" for v in values)
        print(f"{name:7} {cpu[name]:6.2f} ms CPU per delivery (median; rounds {rounds})")
    print(
        f"the API call adds {cpu['apply'] - cpu['steady']:+.2f} ms CPU per delivery "
        f"({cpu['apply'] / cpu['steady']:.2f}x the delivery without it)"
    )
    for name, profile in result["profiles"].items():
        print(f"--- {name}: top {args.top} by own CPU time (profiler overhead included)")
        print(top_entries(profile, args.deliveries * args.rounds, args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
