"""The request-rate probe: arrivals before the rate limit, peak per window, refusals."""

from __future__ import annotations

import httpx
import pytest

from sandbox.request_rate import RequestRate


def test_peak_counts_arrivals_within_any_window() -> None:
    """Ten requests 0.1 s apart fit one second; three more within that second make it 13."""
    now = [0.0]
    rate = RequestRate(clock=lambda: now[0])
    for n in range(10):
        now[0] = n * 0.1
        rate.note()
    assert rate.summary()["peak"] == 10
    assert rate.summary()["mean_per_s"] == pytest.approx(10)
    for _ in range(3):
        now[0] = 0.95
        rate.note()
    summary = rate.summary()
    assert (summary["requests"], summary["peak"]) == (13, 13)
    assert rate.summary(window_s=0.1)["peak"] == 4
    rate.reset()
    assert rate.summary()["requests"] == 0


async def test_probe_counts_rate_limited_requests(api: httpx.AsyncClient) -> None:
    """Requests refused by the sandbox's rate limit still count as sent, and as refused."""
    assert (await api.delete("/api/v1/sandbox/request-rate")).status_code == 204
    await api.put("/api/v1/sandbox/faults", json={"rate_limit_per_s": 2})
    statuses = [(await api.get("/api/v1/queues")).status_code for _ in range(5)]
    summary = (await api.get("/api/v1/sandbox/request-rate")).json()
    assert summary["requests"] == 5 and summary["peak"] == 5
    assert summary["rate_limited"] == statuses.count(429) >= 3
    bad = await api.get("/api/v1/sandbox/request-rate?window=abc")
    assert bad.status_code == 400 and bad.json()["code"]
