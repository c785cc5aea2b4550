"""Fixtures: a respx stand-in for the Rossum API and the app driven through its lifespan."""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import httpx
import pytest
import respx
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from service.app import create_app
from service.settings import Settings
from tests.service.kit import API, ORG, SECRET


class FakeRossum:
    """A respx router answering the label and annotation endpoints the service uses."""

    def __init__(self, api: str = API) -> None:
        self.api = api
        self.router = respx.MockRouter(base_url=api, assert_all_called=False)
        self.labels: dict[str, str] = {}
        self._ids = itertools.count(100)
        self.applied: list[dict[str, Any]] = []
        self.created: list[str] = []
        self.waits: list[float] = []
        self.listing = self.router.get("/labels").mock(side_effect=self._list)
        self.create = self.router.post("/labels").mock(side_effect=self._create)
        self.apply = self.router.post("/labels/apply").mock(side_effect=self._apply)
        self.patch = self.router.patch(path__regex=r"/annotations/\d+$").mock(
            return_value=httpx.Response(200, json={"id": 1})
        )
        self.operations = self.router.post(
            path__regex=r"/annotations/\d+/content/operations$"
        ).mock(return_value=httpx.Response(200, json={"content": []}))

    @property
    def transport(self) -> httpx.AsyncBaseTransport:
        """Return an httpx transport that routes through this stand-in."""
        return httpx.MockTransport(self.router.async_handler)

    def add_label(self, name: str) -> str:
        """Create a label directly in the fake organisation; return its URL."""
        url = f"{self.api}/labels/{next(self._ids)}"
        self.labels[name] = url
        return url

    def _list(self, request: httpx.Request) -> httpx.Response:
        results = [
            {"id": int(url.rsplit("/", 1)[1]), "url": url, "name": name, "organization": ORG}
            for name, url in self.labels.items()
        ]
        return httpx.Response(
            200, json={"pagination": {"next": None, "previous": None}, "results": results}
        )

    def _create(self, request: httpx.Request) -> httpx.Response:
        name = json.loads(request.content)["name"]
        self.created.append(name)
        url = self.add_label(name)
        return httpx.Response(
            201, json={"id": int(url.rsplit("/", 1)[1]), "url": url, "name": name}
        )

    def _apply(self, request: httpx.Request) -> httpx.Response:
        self.applied.append(json.loads(request.content))
        return httpx.Response(200, json={})

    async def sleep(self, seconds: float) -> None:
        """Stand in for the client's backoff sleep: record the wait, do not wait."""
        self.waits.append(seconds)

    def name_of(self, url: str) -> str:
        """Return the label name behind a label URL."""
        return next(name for name, u in self.labels.items() if u == url)


@pytest.fixture
def rossum() -> FakeRossum:
    """Return a fresh Rossum API stand-in."""
    return FakeRossum()


def settings(**overrides: Any) -> Settings:
    """Return test settings: signed with SECRET, loopback-free allowlist, no recording."""
    values: dict[str, Any] = {
        "webhook_secret": SECRET,
        "allowed_base_urls": ("https://*.rossum.app",),
        "requests_per_second": None,
        # The kit's payloads carry a fixed timestamp: the freshness check is tested on its own.
        "timestamp_window_s": None,
    }
    values.update(overrides)
    return Settings(**values)


def _with_state(app: Starlette, state: dict[str, Any]) -> Callable[[Scope, Receive, Send], Any]:
    # httpx's ASGITransport runs no lifespan: hand each request the lifespan state,
    # as uvicorn does.
    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        scope["state"] = dict(state)
        await app(scope, receive, send)

    return asgi


@asynccontextmanager
async def running(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and yield an HTTP client talking to it in-process."""
    async with app.router.lifespan_context(app) as state:
        transport = httpx.ASGITransport(app=_with_state(app, dict(state or {})))
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client


ServiceFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
def service(rossum: FakeRossum) -> ServiceFactory:
    """Return a factory: `async with service(**settings) as client` runs the app."""

    def factory(
        *, router: Any = None, **overrides: Any
    ) -> AbstractAsyncContextManager[httpx.AsyncClient]:
        app = create_app(
            settings(**overrides),
            transport=rossum.transport,
            router=router,
            client_options={"sleep": rossum.sleep},
        )
        return running(app)

    return factory
