"""The collector setting: the app's start freezes the start-up heap and raises the young
threshold once per process, and `GC_TUNING=false` leaves Python's collector as it is.

Each case runs in a fresh interpreter, since the tuning lasts for the process.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import gc, json, sys
from starlette.testclient import TestClient
from service.app import create_app
from service.settings import Settings

before = gc.get_threshold()[0]
app = create_app(Settings(webhook_secret="s", gc_tuning=sys.argv[1] == "true"))
with TestClient(app):
    pass
with TestClient(app):  # a second start tunes nothing more
    frozen = gc.get_freeze_count()
print(json.dumps({"before": before, "young": gc.get_threshold()[0], "frozen": frozen}))
"""


def probe(tuning: bool) -> dict[str, int]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, "true" if tuning else "false"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.parametrize("tuning", [True, False])
def test_the_collector_is_tuned_at_start_only_when_asked(tuning: bool) -> None:
    seen = probe(tuning)
    assert seen["before"] == 700  # Python's default: the probe starts untuned
    if tuning:
        assert seen["young"] == 50_000
        assert seen["frozen"] > 10_000  # modules, schemas and rules are out of the walks
    else:
        assert seen["young"] == 700
        assert seen["frozen"] == 0


def test_tune_runs_once_per_process() -> None:
    code = (
        "import gc; from service import collector; "
        "print(collector.tune(), collector.tune(), gc.get_threshold()[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.split() == ["True", "False", "50000"]
