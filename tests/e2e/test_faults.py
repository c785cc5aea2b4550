"""End to end under injected faults: no label lost, none duplicated."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date

import pytest
from pydantic import SecretStr

from client import AsyncRossumAPIClient, UserCredentials
from handlers.content import ContentTree
from sandbox.app import create_sandbox_app
from sandbox.demo_data import DEMO_PASSWORD, DEMO_USER, demo_invoices
from sandbox.server import serving
from sandbox.settings import SandboxSettings
from service.app import create_app
from service.demo import register_hook
from service.settings import Settings

pytestmark = pytest.mark.e2e

FAST_RETRIES = {"retry_backoff_factor": 0.01, "retry_max_jitter": 0.01}


@dataclass
class Stack:
    """A sandbox and the service, both served on loopback, and an admin client."""

    api: AsyncRossumAPIClient
    sandbox_url: str


@pytest.fixture
async def faulty_stack() -> AsyncIterator[Stack]:
    """Serve a sandbox answering 30% of API calls with 429/503, and the service hooked to it."""
    secret = secrets.token_urlsafe(16)
    sandbox_settings = SandboxSettings(
        rate_limit_per_s=0,
        rate_429=0.15,
        rate_5xx=0.15,
        statuses_5xx=(503,),
        fault_retry_after_s=0,
        seed=7,
        delivery_retry_delay_s=0.01,
        delivery_retry_max_delay_s=0.05,
    )
    async with serving(create_sandbox_app(sandbox_settings)) as sandbox_url:
        settings = Settings(
            webhook_secret=SecretStr(secret),
            allowed_base_urls=(sandbox_url,),
            requests_per_second=None,
            log_level="warning",
        )
        app = create_app(settings, client_options=FAST_RETRIES)
        async with (
            serving(app) as service_url,
            AsyncRossumAPIClient(
                f"{sandbox_url}/api/v1",
                UserCredentials(DEMO_USER, DEMO_PASSWORD),
                n_retries=10,
                **FAST_RETRIES,
            ) as api,
        ):
            await register_hook(api, f"{service_url}/hooks", secret)
            yield Stack(api=api, sandbox_url=sandbox_url)


async def test_thirty_percent_faults_lose_and_duplicate_no_label(faulty_stack: Stack) -> None:
    """Under 30% injected 429/503 every intended label lands exactly once."""
    api = faulty_stack.api
    cases = demo_invoices(date(2026, 11, 24))
    ids = {}
    for case in cases:
        imported = await api.request_json(
            "POST", "sandbox/import", params={"wait": "true"}, json=case.body
        )
        ids[case.key] = int(imported["id"])
    await api.request_json("GET", "sandbox/deliveries", params={"wait": "true"})

    labels = [label async for label in api.list_labels()]
    per_name = Counter(label.name for label in labels)
    assert all(count == 1 for count in per_name.values()), per_name  # no label object twice
    names = {label.url: label.name for label in labels}
    for case in cases:
        annotation = await api.retrieve_annotation(ids[case.key])
        applied = [names[url] for url in annotation.labels or []]
        assert sorted(applied) == sorted(case.expected_labels), (case.key, applied)

    events = (await api.request_json("GET", "sandbox/label-events"))["results"]
    effective = Counter((e["annotation"], e["label"], e["op"]) for e in events if e["changed"])
    assert all(count == 1 for count in effective.values()), effective  # each add took once
    assert not [key for key in effective if key[2] == "remove"]  # nothing wrongly taken back
    expected_adds = sum(len(case.expected_labels) for case in cases)
    assert len(effective) == expected_adds

    faults = await api.request_json("GET", "sandbox/faults")
    assert sum(faults["injected"].values()) > 0  # the faults really happened


async def test_normalising_operations_reach_the_sandbox_content(faulty_stack: Stack) -> None:
    """The `normalise` rule's replace operations are applied to the stored annotation data."""
    api = faulty_stack.api
    case = next(c for c in demo_invoices(date(2026, 11, 24)) if c.key == "normalise")
    imported = await api.request_json(
        "POST", "sandbox/import", params={"wait": "true"}, json=case.body
    )
    content = await api.retrieve_annotation_content(int(imported["id"]))
    tree = ContentTree(content["content"])
    assert tree.value("document_id") == "INV-1005"
    assert tree.datapoint("document_id")["content"]["value"] == "INV-1005"
    assert tree.datapoint("currency")["content"]["value"] == "eur"
