"""The sandbox Starlette app: Rossum's API under `/api/v1`, sandbox controls beside it.

Usable in-process (`httpx.ASGITransport(app=create_sandbox_app())`; state at
`app.state.sandbox`) or served by uvicorn (`rossum-hooks sandbox --port N`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount

from sandbox import (
    annotation_data,
    control,
    document_imports,
    emails,
    hook_tools,
    hooks,
    invocations,
    labels,
    login,
    notes,
    queue_export,
    resources,
    search,
    tasks,
    uploads,
)
from sandbox.annotations import routes as annotation_routes
from sandbox.errors import EXCEPTION_HANDLERS
from sandbox.gate import GateMiddleware
from sandbox.settings import SandboxSettings
from sandbox.state import Sandbox
from sandbox.urls import API_PREFIX, Urls


def create_sandbox_app(
    settings: SandboxSettings | None = None,
    *,
    delivery_transport: httpx.AsyncBaseTransport | None = None,
    clock: Callable[[], float] | None = None,
) -> Starlette:
    """Build a sandbox app; `delivery_transport` routes hook deliveries (default: real HTTP)."""
    sandbox = Sandbox(
        settings or SandboxSettings(), delivery_transport=delivery_transport, clock=clock
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        clock_task = None
        if sandbox.settings.run_schedules and sandbox.settings.public_url:
            urls = Urls(sandbox.settings.public_url.rstrip("/"))
            clock_task = asyncio.create_task(invocations.run_clock(sandbox, urls))
        yield
        if clock_task is not None:
            clock_task.cancel()
            await asyncio.gather(clock_task, return_exceptions=True)
        await sandbox.aclose()

    api = Mount(
        API_PREFIX,
        routes=[
            *login.routes,
            *labels.routes,
            *search.routes,
            *annotation_routes,
            *annotation_data.routes,
            *hooks.routes,
            *hook_tools.routes,
            *invocations.routes,
            *uploads.routes,
            *tasks.routes,
            *emails.routes,
            *document_imports.routes,
            *notes.routes,
            *queue_export.routes,
            *resources.routes,
            *control.routes,
            *invocations.control_routes,
        ],
    )
    app = Starlette(
        routes=[api],
        middleware=[Middleware(GateMiddleware, sandbox=sandbox)],
        exception_handlers=dict(EXCEPTION_HANDLERS),
        lifespan=lifespan,
    )
    app.state.sandbox = sandbox
    return app
