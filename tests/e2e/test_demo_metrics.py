"""After `rossum-hooks demo --keep-running`, the service's /metrics shows the demo's deliveries."""

from __future__ import annotations

import asyncio
import io
import re
from datetime import date

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from service.demo import run_demo

pytestmark = pytest.mark.e2e


async def test_metrics_after_the_demo_count_its_deliveries() -> None:
    """Every demo delivery is counted by event, action, outcome and status, and timed."""
    out = io.StringIO()
    demo = asyncio.create_task(
        run_demo(out=out, rate_limit=0, today=date(2026, 11, 24), keep_running=True)
    )
    try:
        async with asyncio.timeout(60):
            while "Keeping both up" not in out.getvalue():
                assert not demo.done(), out.getvalue()
                await asyncio.sleep(0.05)
        found = re.search(r"service  (\S+)/hooks", out.getvalue())
        assert found is not None, out.getvalue()
        assert f"curl -s {found.group(1)}/metrics" in out.getvalue()
        async with httpx.AsyncClient() as client:
            text = (await client.get(f"{found.group(1)}/metrics")).text
    finally:
        demo.cancel()
        with pytest.raises(asyncio.CancelledError):
            await demo
    samples = [s for f in text_string_to_metric_families(text) for s in f.samples]
    handled = {
        (s.labels["event"], s.labels["action"], s.labels["outcome"], s.labels["status"]): s.value
        for s in samples
        if s.name == "rossum_hooks_deliveries_total"
    }
    assert handled[("annotation_content", "initialize", "ok", "200")] >= 6  # one per invoice
    assert handled[("annotation_content", "updated", "ok", "200")] >= 2  # the reviewer's edits
    timed = [s for s in samples if s.name == "rossum_hooks_delivery_duration_seconds_count"]
    assert sum(s.value for s in timed) == sum(handled.values())
    calls = [s for s in samples if s.name == "rossum_hooks_api_requests_total"]
    assert any(s.labels["endpoint"] == "/labels/apply" for s in calls)
