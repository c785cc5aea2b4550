"""Replaying to a running service (`--url`): deliveries over HTTP, answers compared."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from replay.engine import Recording, replay_records
from replay.payload import Rewrite
from replay.setup import ReplayUsageError, _check_remote_dry_run, replay_settings
from replay.targets import RemoteTarget
from service.app import create_app
from service.testing import with_lifespan_state
from tests.replay.replay_kit import SECRET, invoice_payloads, offline_rossum, record


async def test_remote_replay_compares_answers_without_labels(tmp_path: Path) -> None:
    """Over HTTP the answers are compared; the calls a remote service made are unknown."""
    path = tmp_path / "deliveries.jsonl"
    await record(path, invoice_payloads())
    settings = replay_settings(secret=SECRET, dry_run=True, allowed=["https://*.rossum.app"])
    app = create_app(settings, transport=offline_rossum().transport)
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(app=with_lifespan_state(app, state or {}))
        async with httpx.AsyncClient(transport=transport) as client:
            target = RemoteTarget(client, "http://service/hooks")
            tally = await replay_records(
                Recording(str(path)).records(), target, rewrite=Rewrite(), secret=SECRET
            )
            wrong = await replay_records(
                Recording(str(path)).records(), target, rewrite=Rewrite(), secret="other"
            )
    assert (tally.same, tally.changed, tally.calls_unknown) == (7, 0, 7)
    assert wrong.changed == 7  # signed with the wrong secret: every answer is now a 401


@pytest.mark.parametrize(
    ("answer", "ok"),
    [
        pytest.param({"status": "ready", "dry_run": True}, True, id="dry"),
        pytest.param({"status": "ready", "dry_run": False}, False, id="live"),
        pytest.param(["not", "an", "object"], False, id="garbage"),
    ],
)
async def test_remote_dry_run_is_checked_on_readyz(answer: object, ok: bool) -> None:
    """`--url --dry-run` refuses a service that does not say it runs dry."""
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=answer))
    async with httpx.AsyncClient(transport=transport) as client:
        if ok:
            await _check_remote_dry_run(client, "http://service")
        else:
            with pytest.raises(ReplayUsageError, match="dry"):
                await _check_remote_dry_run(client, "http://service")
