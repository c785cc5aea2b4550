"""Fixtures: a sandbox driven in-process, a recording hook receiver, a controllable clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from sandbox.app import create_sandbox_app
from sandbox.demo_data import DEMO_PASSWORD, DEMO_USER, VIEWER_PASSWORD, VIEWER_USER
from sandbox.settings import SandboxSettings
from sandbox.state import Sandbox
from tests.sandbox.helpers import FakeClock, Receiver, client_for, login

SandboxFactory = Callable[..., Starlette]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def receiver() -> Receiver:
    return Receiver()


@pytest.fixture
async def make_app(receiver: Receiver, clock: FakeClock) -> AsyncIterator[SandboxFactory]:
    """Build sandbox apps whose deliveries go to `receiver`; rate limit off unless asked."""
    apps: list[Starlette] = []

    def make(**overrides: Any) -> Starlette:
        values: dict[str, Any] = {"rate_limit_per_s": 0, "delivery_retry_delay_s": 0}
        values.update(overrides)
        app = create_sandbox_app(
            SandboxSettings(**values),
            delivery_transport=httpx.ASGITransport(app=receiver.app),
            clock=clock,
        )
        apps.append(app)
        return app

    yield make
    for app in apps:
        await app.state.sandbox.aclose()


@pytest.fixture
def app(make_app: SandboxFactory) -> Starlette:
    return make_app()


@pytest.fixture
def sandbox(app: Starlette) -> Sandbox:
    state: Sandbox = app.state.sandbox
    return state


@pytest.fixture
async def anon(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client without credentials."""
    async with client_for(app) as client:
        yield client


@pytest.fixture
async def api(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client logged in as the demo (admin) user."""
    async with client_for(app) as client:
        client.headers["Authorization"] = f"Bearer {await login(client, DEMO_USER, DEMO_PASSWORD)}"
        yield client


@pytest.fixture
async def viewer(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client logged in as the read-only viewer."""
    async with client_for(app) as client:
        token = await login(client, VIEWER_USER, VIEWER_PASSWORD)
        client.headers["Authorization"] = f"Bearer {token}"
        yield client
