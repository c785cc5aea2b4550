"""Record deliveries the sandbox makes to the service, then replay them against the sandbox."""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from starlette.applications import Starlette

from client import AsyncRossumAPIClient
from replay.engine import Recording, replay_file
from replay.payload import Selection
from replay.report import Tally
from replay.setup import ReplayConfig
from sandbox.server import serving
from service import testing
from service.app import create_app
from service.settings import Settings
from service.testing import DEMO_USER, SANDBOX_URL, HookService, sandbox_transport
from tests.replay.replay_kit import read_lines

sandbox = testing.sandbox
sandbox_client = testing.sandbox_client
hook_service = testing.hook_service
hook_router = testing.hook_router
hook_settings = testing.hook_settings

ROWS = [
    {"item_description": "Pallet racking", "item_amount_total": "20000.00"},
    {"item_description": "Installation", "item_amount_total": "5000.00"},
]
EXPENSIVE = {"document_id": "INV-9", "order_id": "PO-9", "amount_total": "25000.00"}
NO_PO = {"document_id": "INV-10", "order_id": "", "amount_total": "300.00"}
CLEAN = {"document_id": "INV-11", "order_id": "PO-11", "amount_total": "300.00"}


@pytest.fixture
def hook_service_settings(tmp_path: Path) -> dict[str, Any]:
    """Record every delivery the service receives."""
    return {"record_path": tmp_path / "deliveries.jsonl"}


async def _record_demo(hook_service: HookService) -> Path:
    """Import three invoices into the sandbox; return the service's recording of it all."""
    await hook_service.import_document(
        fields={**EXPENSIVE, "date_due": "2099-01-31"}, line_items=ROWS
    )
    await hook_service.import_document(fields={**NO_PO, "date_due": "2099-01-31"})
    await hook_service.import_document(fields={**CLEAN, "date_due": "2099-01-31"})
    return await hook_service.finish_recording()


async def _replay(sandbox: Starlette, path: Path, **config: Any) -> tuple[Tally, str]:
    out = io.StringIO()
    tally = await replay_file(
        ReplayConfig(api_url=SANDBOX_URL, username=DEMO_USER[0], password=DEMO_USER[1], **config),
        Recording(str(path)),
        selection=Selection(),
        out=out,
        transport=sandbox_transport(sandbox),
    )
    return tally, out.getvalue()


async def test_recording_of_sandbox_deliveries_replays_same(
    hook_service: HookService, sandbox: Starlette
) -> None:
    """Every delivery recorded during the demo replays against the sandbox with the same answer."""
    path = await _record_demo(hook_service)
    records = read_lines(path)
    assert [(r["event"], r["action"]) for r in records[:2]] == [
        ("annotation_content", "initialize"),
        ("annotation_status", "changed"),
    ]
    assert len(records) == 6 and {r["status"] for r in records} == {200}
    assert any(c.get("add") == ["expedite"] for r in records for c in r["calls"])
    tally, out = await _replay(sandbox, path)
    assert (tally.same, tally.changed, tally.calls_unknown) == (6, 0, 0), out


async def test_threshold_change_against_the_sandbox_reports_the_label(
    hook_service: HookService, sandbox: Starlette
) -> None:
    """With `expedite_amount` above the big invoice, its expedite label is reported gone."""
    path = await _record_demo(hook_service)
    tally, out = await _replay(sandbox, path, hook_settings={"expedite_amount": 30000})
    assert (tally.same, tally.changed) == (5, 1)
    assert "CHANGED   line 1  annotation_content.initialize" in out
    assert "  labels (- recorded, + replayed):\n    - add expedite\n" in out


async def test_dry_run_against_the_sandbox_writes_nothing(
    hook_service: HookService, sandbox: Starlette
) -> None:
    """A dry run reads from the sandbox but leaves its labels untouched."""
    path = await _record_demo(hook_service)
    labels_before = copy.deepcopy(sandbox.state.sandbox.store.values("labels"))
    annotations = {
        a["id"]: list(a["labels"]) for a in sandbox.state.sandbox.store.values("annotations")
    }
    tally, out = await _replay(sandbox, path, dry_run=True, hook_settings={"expedite_amount": 1})
    assert tally.changed == 2  # the two cheap invoices would now get `expedite` too
    assert "  would call: apply_labels" in out and "nothing was written" in out
    assert sandbox.state.sandbox.store.values("labels") == labels_before
    after = {a["id"]: list(a["labels"]) for a in sandbox.state.sandbox.store.values("annotations")}
    assert after == annotations


@pytest.mark.parametrize("login", ["token", "api-url-login"], ids=["token", "api-url-login"])
async def test_replay_to_a_running_service_sends_real_credentials(
    hook_service: HookService,
    sandbox: Starlette,
    sandbox_client: AsyncRossumAPIClient,
    login: str,
) -> None:
    """`--url` with `--token` (or `--api-url` and a login) sends a token valid at the API.

    The running service has no credentials of its own: its label calls use the payload's token.
    A redacted token would get 401 there and every delivery would answer differently.
    """
    path = await _record_demo(hook_service)
    secret = "url-replay-secret"
    settings = Settings(
        webhook_secret=SecretStr(secret),
        allowed_base_urls=(SANDBOX_URL,),
        requests_per_second=None,
    )
    service = create_app(settings, transport=sandbox_transport(sandbox))
    if login == "token":
        credentials: dict[str, Any] = {"token": await sandbox_client.get_token()}
    else:
        credentials = {"api_url": SANDBOX_URL, "username": DEMO_USER[0], "password": DEMO_USER[1]}
    out = io.StringIO()
    async with serving(service) as url:
        tally = await replay_file(
            ReplayConfig(url=f"{url}/hooks", secret=secret, **credentials),
            Recording(str(path)),
            selection=Selection(),
            out=out,
            transport=sandbox_transport(sandbox),
        )
    assert (tally.same, tally.changed) == (6, 0), out.getvalue()
