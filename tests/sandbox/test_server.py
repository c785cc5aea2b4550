"""The `rossum-hooks sandbox` command and serving the sandbox on loopback with uvicorn."""

from __future__ import annotations

import argparse
import socket

import httpx
import pytest

from handlers.signature import verify
from sandbox.app import create_sandbox_app
from sandbox.invoice_schema import invoice_schema
from sandbox.server import (
    _bind,
    add_arguments,
    run,
    serving,
    serving_in_thread,
    settings_from_args,
)
from sandbox.settings import SandboxSettings
from service import cli
from tests.sandbox.helpers import Receiver, client_for, create_hook, import_invoice, invoice, login


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.parse_args(list(argv))


def test_options_become_settings() -> None:
    """Command-line options map onto `SandboxSettings`."""
    args = _parse(
        "--port", "9001", "--rate-429", "0.1", "--rate-5xx", "0.2", "--statuses-5xx", "503",
        "--seed", "3", "--rate-limit", "0", "--no-demo-data", "--public-url", "http://x.test",
    )  # fmt: skip
    settings = settings_from_args(args)
    assert args.port == 9001
    assert settings == SandboxSettings(
        rate_429=0.1,
        rate_5xx=0.2,
        statuses_5xx=(503,),
        seed=3,
        rate_limit_per_s=0,
        seed_demo_data=False,
        public_url="http://x.test",
        run_schedules=True,
    )
    assert settings_from_args(_parse("--no-schedules")).run_schedules is False


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        pytest.param(("--rate-429", "2"), "rate_429", id="share-over-one"),
        pytest.param(("--rate-429", "0.6", "--rate-5xx", "0.6"), "exceed 1", id="shares-over-one"),
        pytest.param(("--statuses-5xx", "404"), "5xx", id="not-a-5xx"),
        pytest.param(("--statuses-5xx", "five"), "invalid literal", id="not-a-number"),
    ],
)
def test_invalid_options_exit_2_without_serving(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], named: str
) -> None:
    """Invalid fault options are reported on stderr and `run` returns 2."""
    assert run(_parse(*argv)) == 2
    assert named in capsys.readouterr().err


def test_the_cli_dispatches_to_the_sandbox_module(capsys: pytest.CaptureFixture[str]) -> None:
    """`rossum-hooks sandbox --help` lists the sandbox's options."""
    with pytest.raises(SystemExit) as exc:
        cli.main(["sandbox", "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert "--port" in out and "--rate-429" in out


async def test_sandbox_delivers_signed_events_over_loopback() -> None:
    """Over real HTTP: login, register a hook, import, and the hook gets a signed delivery."""
    receiver = Receiver()
    app = create_sandbox_app(SandboxSettings(delivery_retry_delay_s=0))
    async with serving(receiver.app) as hook_base, serving(app) as base:
        assert base.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient(base_url=base) as client:
            body = {"username": "demo@example.com", "password": "demo-password"}
            key = (await client.post("/api/v1/auth/login", data=body)).json()["key"]
            client.headers["Authorization"] = f"Bearer {key}"
            hook = {
                "name": "loopback",
                "queues": [f"{base}/api/v1/queues/101"],
                "events": ["annotation_content.initialize"],
                "config": {"url": f"{hook_base}/hook", "secret": "s"},
            }
            assert (await client.post("/api/v1/hooks", json=hook)).status_code == 201
            response = await client.post("/api/v1/sandbox/import?wait=true", json=invoice())
            assert response.json()["status"] == "to_review"
    assert len(receiver.calls) == 1
    call = receiver.calls[0]
    assert verify(call.headers, call.body, ["s"]) == "sha256"
    assert call.payload["base_url"] == base


def test_serving_in_a_thread_answers_requests() -> None:
    """The thread helper serves the app until the block ends."""
    app = create_sandbox_app()
    with serving_in_thread(app) as base:
        response = httpx.get(f"{base}/api/v1/sandbox")
        assert response.json()["api"] == f"{base}/api/v1"
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{base}/api/v1/sandbox")


def test_listening_socket_disables_nagle() -> None:
    """The pre-bound socket sets TCP_NODELAY, or keep-alive answers wait for delayed ACKs."""
    sock = _bind("127.0.0.1", 0)
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        sock.close()


def test_the_command_imports_the_demo_invoices_unless_empty() -> None:
    """`rossum-hooks sandbox` starts with the demo invoices; `--empty` and `--no-demo-data`
    start without them (`--empty` keeps the demo queue)."""
    assert settings_from_args(_parse()).demo_documents
    empty = settings_from_args(_parse("--empty"))
    assert (empty.demo_documents, empty.seed_demo_data) == (False, True)
    bare = settings_from_args(_parse("--no-demo-data"))
    assert (bare.demo_documents, bare.seed_demo_data) == (False, False)
    with pytest.raises(ValueError, match="demo_documents needs seed_demo_data"):
        SandboxSettings(demo_documents=True, seed_demo_data=False)


async def test_first_list_of_annotations_shows_the_demo_invoices() -> None:
    """Over real HTTP, the command's sandbox lists the six demo invoices `to_review` at once,
    each with a document and content built from the queue's schema."""
    app = create_sandbox_app(settings_from_args(_parse()))
    async with serving(app) as base, httpx.AsyncClient(base_url=base) as client:
        body = {"username": "demo@example.com", "password": "demo-password"}
        key = (await client.post("/api/v1/auth/login", data=body)).json()["key"]
        client.headers["Authorization"] = f"Bearer {key}"
        listed = (await client.get("/api/v1/annotations")).json()
        assert listed["pagination"]["total"] == 6
        annotations = listed["results"]
        assert {a["status"] for a in annotations} == {"to_review"}
        assert {a["queue"] for a in annotations} == {f"{base}/api/v1/queues/101"}
        numbers = sorted(a["metadata"]["demo"] for a in annotations)
        assert numbers == [f"INV-100{n}" for n in range(1, 7)]
        content = (await client.get(annotations[0]["content"])).json()["content"]
        assert [section["schema_id"] for section in content] == [
            section["id"] for section in invoice_schema()
        ]
        document = (await client.get(annotations[0]["document"])).json()
        assert document["mime_type"] == "application/pdf"
    await app.state.sandbox.aclose()
    empty = create_sandbox_app(settings_from_args(_parse("--empty")))
    assert empty.state.sandbox.store.tables["annotations"] == {}


async def test_legacy_signature_is_sent_when_enabled() -> None:
    """With `legacy_signature`, a delivery carries both Rossum signature headers."""
    receiver = Receiver()
    app = create_sandbox_app(
        SandboxSettings(legacy_signature=True, rate_limit_per_s=0),
        delivery_transport=httpx.ASGITransport(app=receiver.app),
    )
    async with client_for(app) as client:
        client.headers["Authorization"] = "Bearer " + await login(
            client, "demo@example.com", "demo-password"
        )
        await create_hook(client, events=["annotation_content.initialize"])
        await import_invoice(client)
    await app.state.sandbox.aclose()
    call = receiver.calls[0]
    sha1_only = {"X-Elis-Signature": call.headers["x-elis-signature"]}
    assert call.headers["x-elis-signature"].startswith("sha1=")
    assert verify(sha1_only, call.body, ["hook-secret"]) == "sha1"
    assert verify(call.headers, call.body, ["hook-secret"]) == "sha256"
