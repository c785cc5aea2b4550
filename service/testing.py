"""Pytest fixtures for rule authors: the sandbox in-process, a client bound to it, the service.

Enable in the root `conftest.py` (the pure event fixtures come from `handlers.testing.plugin`):

    pytest_plugins = ["handlers.testing.plugin", "service.testing"]

- `sandbox`: the sandbox app (Rossum's API stand-in) in-process; no rate limit, no retry waits.
- `sandbox_client`: an `AsyncRossumAPIClient` bound to it, logged in as the demo user.
- `hook_service`: the webhook service in-process, calling the sandbox's API, with a hook
  registered in the sandbox that delivers every event family to it (annotation content and
  status, `upload.created`, `email.received`, `invocation.manual`; signed, with a token,
  payload logging on). `import_document`, `upload`, `import_email` and `invoke` drive them.
  Override `hook_router` to run your own rules, `hook_settings` to give the hook its
  `settings` (what your rules read), and `hook_service_settings` to change service settings
  (e.g. `record_path`).

The async fixtures are `pytest_asyncio` fixtures, so they work in pytest-asyncio's default
strict mode (mark async tests `@pytest.mark.asyncio`) as well as with `asyncio_mode = "auto"`.
`pip install 'rossum-hooks[testing]'` brings pytest and pytest-asyncio.

    @pytest.mark.asyncio
    async def test_big_invoices_get_expedite(hook_service, sandbox_client):
        annotation = await hook_service.import_document(fields={"amount_total": "25000"})
        labels = [label.name async for label in sandbox_client.list_labels()]
        ...
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from client import AsyncRossumAPIClient, UserCredentials
from handlers.routing import Router
from service.app import create_app
from service.settings import Settings

SANDBOX_URL = "http://sandbox.test"
SERVICE_URL = "http://hooks.test"
HOOK_SECRET = "rule-tests-webhook-secret"
DEMO_USER = ("demo@example.com", "demo-password")
DEMO_QUEUE = f"{SANDBOX_URL}/api/v1/queues/101"
HOOK_EVENTS = (
    "annotation_content",
    "annotation_status",
    "upload.created",
    "email.received",
    "invocation.manual",
)
DEMO_INBOX = "invoices@sandbox.rossum.app"


def with_lifespan_state(app: ASGIApp, state: Mapping[str, Any]) -> ASGIApp:
    """Return `app` handed the lifespan `state` on every request, as uvicorn does."""

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        scope["state"] = dict(state)
        await app(scope, receive, send)

    return asgi


class Relay:
    """An ASGI app passing the sandbox's deliveries to the hook service, once one is set."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            detail = {"detail": "no hook service runs in this test", "code": "unavailable"}
            await JSONResponse(detail, status_code=503)(scope, receive, send)
            return
        await self.app(scope, receive, send)


@pytest_asyncio.fixture
async def sandbox() -> AsyncIterator[Starlette]:
    """Yield the sandbox app in-process; its deliveries go to `hook_service` when one runs."""
    from sandbox.app import create_sandbox_app
    from sandbox.settings import SandboxSettings

    relay = Relay()
    settings = SandboxSettings(public_url=SANDBOX_URL, rate_limit_per_s=0, delivery_retry_delay_s=0)
    app = create_sandbox_app(settings, delivery_transport=httpx.ASGITransport(app=relay))
    app.state.relay = relay
    async with app.router.lifespan_context(app):
        yield app


def sandbox_transport(sandbox: Starlette) -> httpx.AsyncBaseTransport:
    """Return an httpx transport that reaches the in-process sandbox."""
    return httpx.ASGITransport(app=sandbox)


@pytest_asyncio.fixture
async def sandbox_client(sandbox: Starlette) -> AsyncIterator[AsyncRossumAPIClient]:
    """Yield an API client bound to the in-process sandbox, logged in as the demo user."""
    async with AsyncRossumAPIClient(
        f"{SANDBOX_URL}/api/v1",
        UserCredentials(*DEMO_USER),
        transport=sandbox_transport(sandbox),
    ) as client:
        await client.authenticate()
        yield client


@pytest.fixture
def hook_router() -> Router | None:
    """Return the rules `hook_service` runs (None: the shipped rules); override it."""
    return None


@pytest.fixture
def hook_settings() -> dict[str, Any]:
    """Return the hook's `settings` (copied into every payload) for `hook_service`; override it."""
    return {}


@pytest.fixture
def hook_service_settings() -> dict[str, Any]:
    """Return service settings `hook_service` uses on top of its own; override it."""
    return {}


@dataclass(frozen=True, slots=True)
class HookService:
    """The service in-process, the hook that feeds it, and helpers to drive the sandbox."""

    app: Starlette
    http: httpx.AsyncClient  # talks to the service: post your own deliveries to "/hooks"
    sandbox_http: httpx.AsyncClient  # talks to the sandbox (its sandbox-only endpoints)
    hook: dict[str, Any]
    settings: Settings
    state: Mapping[str, Any]  # the service's lifespan state (`service`, `recorder`)

    async def import_document(self, **request: Any) -> dict[str, Any]:
        """Import a document into the demo queue; return its annotation once delivered."""
        body = {"queue": 101, "file_name": "invoice.pdf", **request}
        response = await self.sandbox_http.post("/api/v1/sandbox/import?wait=true", json=body)
        response.raise_for_status()
        annotation: dict[str, Any] = response.json()
        return annotation

    async def upload(
        self,
        *files: tuple[str, bytes],
        values: Mapping[str, str] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Upload `(file name, bytes)` files to the demo queue; return the finished upload."""
        parts: list[tuple[str, Any]] = [
            ("content", (n, d, "application/octet-stream")) for n, d in files
        ]
        for name, value in (("values", values), ("metadata", metadata)):
            if value is not None:
                parts.append((name, ("", json.dumps(value).encode(), "application/json")))
        response = await self.sandbox_http.post("/api/v1/uploads?queue=101", files=parts)
        response.raise_for_status()
        task = await self._finished_task(response.json()["url"])
        upload = await self.sandbox_http.get(task["content"]["upload"])
        found: dict[str, Any] = upload.json()
        return found

    async def import_email(self, raw_message: bytes) -> dict[str, Any]:
        """Import a raw email into the demo queue's inbox; return the email once delivered."""
        response = await self.sandbox_http.post(
            "/api/v1/emails/import",
            files={"raw_message": ("message.eml", raw_message)},
            data={"recipient": DEMO_INBOX},
        )
        response.raise_for_status()
        task = await self._finished_task(response.json()["url"])
        email = await self.sandbox_http.get(task["content"]["email"])
        found: dict[str, Any] = email.json()
        return found

    async def invoke(self, **fields: Any) -> Any:
        """Invoke the hook manually (`invocation.manual`); return its answer."""
        response = await self.sandbox_http.post(f"{self.hook['url']}/invoke", json=fields)
        response.raise_for_status()
        return response.json()

    async def _finished_task(self, task_url: str) -> dict[str, Any]:
        await self.deliveries()  # waits until the upload's or email's work is done
        response = await self.sandbox_http.get(task_url, params={"no_redirect": "true"})
        task: dict[str, Any] = response.json()
        if task["status"] != "succeeded":
            raise RuntimeError(f"the sandbox's task failed: {task['detail']}")
        return task

    async def finish_recording(self) -> Path:
        """Write out what the recorder holds and stop it; return the recording's path."""
        recorder = self.state.get("recorder")
        if recorder is None or self.settings.record_path is None:
            raise RuntimeError("no recording: set record_path in hook_service_settings")
        await asyncio.to_thread(recorder.close)
        return self.settings.record_path

    async def deliveries(self) -> list[dict[str, Any]]:
        """Return the sandbox's delivery records, once no delivery is running."""
        response = await self.sandbox_http.get("/api/v1/sandbox/deliveries?wait=true")
        response.raise_for_status()
        results: list[dict[str, Any]] = response.json()["results"]
        return results


def service_settings(**overrides: Any) -> Settings:
    """Return the service settings of `hook_service`: the hook's secret, the sandbox allowed."""
    values: dict[str, Any] = {
        "webhook_secret": SecretStr(HOOK_SECRET),
        "allowed_base_urls": (SANDBOX_URL,),
        "api_base_url": None,
        "api_token": None,
        "api_username": None,
        "api_password": None,
        "record_path": None,
        "requests_per_second": None,
        **overrides,
    }
    return Settings(**values)


async def register_hook(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    """Register a webhook on the demo queue delivering to the in-process service."""
    body = {
        "name": "rossum-hooks under test",
        "queues": [DEMO_QUEUE],
        "events": list(HOOK_EVENTS),
        "config": {
            "url": f"{SERVICE_URL}/hooks",
            "secret": HOOK_SECRET,
            "payload_logging_enabled": True,
        },
        "token_owner": f"{SANDBOX_URL}/api/v1/users/1",
        **overrides,
    }
    response = await client.post("/api/v1/hooks", json=body)
    response.raise_for_status()
    hook: dict[str, Any] = response.json()
    return hook


@pytest_asyncio.fixture
async def hook_service(
    sandbox: Starlette,
    sandbox_client: AsyncRossumAPIClient,
    hook_router: Router | None,
    hook_settings: dict[str, Any],
    hook_service_settings: dict[str, Any],
) -> AsyncIterator[HookService]:
    """Yield the webhook service in-process, wired to the sandbox both ways."""
    settings = service_settings(**hook_service_settings)
    app = create_app(settings, transport=sandbox_transport(sandbox), router=hook_router)
    token = await sandbox_client.get_token()
    async with (
        app.router.lifespan_context(app) as state,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=sandbox),
            base_url=SANDBOX_URL,
            headers={"Authorization": f"Bearer {token}"},
        ) as sandbox_http,
    ):
        asgi = with_lifespan_state(app, state or {})
        sandbox.state.relay.app = asgi
        hook = await register_hook(sandbox_http, settings=dict(hook_settings))
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url=SERVICE_URL) as http:
            try:
                yield HookService(app, http, sandbox_http, hook, settings, state or {})
            finally:
                sandbox.state.relay.app = None
