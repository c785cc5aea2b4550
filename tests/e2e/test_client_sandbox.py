"""Both clients against a real sandbox server on loopback (uvicorn, real TCP)."""

from __future__ import annotations

import asyncio

import pytest

from client import AsyncRossumAPIClient, NotFound, SyncRossumAPIClient, UserCredentials
from sandbox.app import create_sandbox_app
from sandbox.demo_data import DEMO_PASSWORD, DEMO_USER
from sandbox.server import serving, serving_in_thread
from sandbox.settings import SandboxSettings

pytestmark = pytest.mark.e2e
CREDENTIALS = UserCredentials(DEMO_USER, DEMO_PASSWORD)
INVOICE = {"queue": 101, "file_name": "e2e.pdf", "fields": {"document_id": "E2E-1"}}


def test_sync_client_labels_an_imported_annotation() -> None:
    """The sync client logs in, imports, creates and applies a label over real HTTP."""
    app = create_sandbox_app(SandboxSettings(rate_limit_per_s=0))
    with serving_in_thread(app) as base, SyncRossumAPIClient(f"{base}/api/v1", CREDENTIALS) as api:
        annotation = api.request_json("POST", "sandbox/import?wait=true", json=INVOICE)
        label = api.create_new_label({"name": "expedite", "color": "#FF5733"})
        api.apply_labels([annotation["url"]], add=[label.url])
        labelled = [a.id for a in api.list_annotations(labels=label.id)]
        with pytest.raises(NotFound):
            api.retrieve_label(999_999)
    assert labelled == [annotation["id"]]


async def test_async_client_gathers_calls_over_tcp() -> None:
    """The async client runs 50 gathered calls through 4 pooled connections to a real server."""
    app = create_sandbox_app(SandboxSettings(rate_limit_per_s=0))
    async with serving(app) as base, AsyncRossumAPIClient(f"{base}/api/v1", CREDENTIALS) as api:
        queues = await asyncio.gather(*(api.retrieve_queue(101) for _ in range(50)))
        schema = await api.retrieve_schema(201)
    await app.state.sandbox.aclose()
    assert {q.name for q in queues} == {"Invoices"}
    assert schema.id == 201
