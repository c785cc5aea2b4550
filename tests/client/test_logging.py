"""The client logs through the standard logging hierarchy and is silent until configured."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from service.logging import configure_logging

SCRIPT = """
import asyncio, logging, httpx
from client import AsyncRossumAPIClient, Token

def answer(request):
    if request.url.path.endswith("/queues/1") and not answer.failed:
        answer.failed = True
        return httpx.Response(503)
    return httpx.Response(200, json={"id": 1, "url": str(request.url), "name": "Q"})
answer.failed = False

async def main():
    transport = httpx.MockTransport(answer)
    async with AsyncRossumAPIClient(
        "https://example.rossum.app/api/v1", Token("t"), transport=transport,
        sleep=lambda s: asyncio.sleep(0),
    ) as api:
        print((await api.retrieve_queue(1)).name)

if CONFIGURE:
    logging.basicConfig(level=logging.DEBUG, format="%(name)s %(levelname)s %(message)s")
asyncio.run(main())
"""


def _run(configure: bool) -> subprocess.CompletedProcess[str]:
    code = f"CONFIGURE = {configure}\n{SCRIPT}"
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )


def test_a_plain_script_prints_only_its_own_output() -> None:
    """Unconfigured, a retried request logs nothing on stdout or stderr."""
    done = _run(configure=False)
    assert done.stdout == "Q\n" and done.stderr == ""


def test_configured_logging_gets_the_client_events() -> None:
    """With logging configured, the events arrive on the `rossum_hooks.client` logger."""
    done = _run(configure=True)
    lines = done.stderr.splitlines()
    assert any(line.startswith("rossum_hooks.client INFO rossum.retry method=") for line in lines)
    assert any("rossum_hooks.client DEBUG rossum.request" in line for line in lines)
    assert done.stdout == "Q\n"


def test_the_service_renders_client_events_as_fields(capsys: pytest.CaptureFixture[str]) -> None:
    """Under the service's JSON logging a client record keeps its name and fields."""
    configure_logging(level="info", fmt="json")
    from client import _log

    _log.info("rossum.relogin", base_url="https://example.rossum.app/api/v1", reason="expired")
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["event"] == "rossum.relogin" and line["reason"] == "expired"
    assert line["level"] == "info"
