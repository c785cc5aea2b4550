"""The Starlette application: routes, middleware, error table, and the lifespan that opens
the pooled Rossum API client (and the recorder) once per process.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
import structlog
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from client import AsyncRossumAPIClient, RateLimiter, Token, UserCredentials
from handlers.routing import Router
from service import collector
from service.allowlist import Allowlist
from service.async_jobs import RESULTS_PATH, AsyncJobs
from service.delivery import DeliveryMiddleware
from service.errors import EXCEPTION_HANDLERS, error_response
from service.executor import Executor
from service.intake import BodyDeadline
from service.logging import configure_logging
from service.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from service.metrics import Metrics
from service.recording import Recorder
from service.settings import Settings
from service.shared import SHARED_LOSSES, cross_delivery_state
from service.state import ServiceState
from service.stores import DeliveryLedger
from service.webhook import HookEndpoint, receive_hook

log = structlog.get_logger()

# Without own credentials the root client only lends its pool and limiter: every delivery
# derives a client for its payload's base URL and token. `.invalid` never resolves (RFC 2606).
_UNCONFIGURED_BASE_URL = "https://unconfigured.invalid/api/v1"


def _credentials(settings: Settings) -> Token | UserCredentials:
    if settings.api_token is not None:
        return Token(settings.api_token.get_secret_value())
    if settings.api_username and settings.api_password is not None:
        return UserCredentials(settings.api_username, settings.api_password.get_secret_value())
    return Token("")


def _api_client(
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None,
    options: Mapping[str, Any],
    metrics: Metrics | None,
    rate_limiter: RateLimiter | None,
) -> AsyncRossumAPIClient:
    return AsyncRossumAPIClient(
        settings.api_base_url or _UNCONFIGURED_BASE_URL,
        _credentials(settings),
        transport=transport,
        max_in_flight_requests=settings.max_in_flight,
        max_requests_per_second=settings.requests_per_second,
        dry_run=settings.dry_run,
        observer=None if metrics is None else metrics.observer(),
        rate_limiter=rate_limiter,
        **options,
    )


def _recorder(settings: Settings) -> Recorder | None:
    if settings.record_path is None:
        return None
    return Recorder(
        settings.record_path, max_bytes=settings.record_max_bytes, keep=settings.record_keep
    )


async def healthz(request: Request) -> Response:
    """Answer liveness probes: the process serves requests."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Answer readiness probes: the lifespan is up and the recorder (if any) is writing."""
    state: ServiceState = request.state.service
    if not state.ready:
        return error_response(status=503, code="not_ready", detail="shutting down")
    if state.recorder is not None and not state.recorder.alive:
        return error_response(status=503, code="not_ready", detail="recorder stopped")
    answer: dict[str, Any] = {"status": "ready", "dry_run": state.settings.dry_run}
    if state.shared is not None:
        # Still ready without Redis: every replica keeps answering on in-process state, which
        # beats all of them leaving the load balancer at once. The body and the
        # `rossum_hooks_shared_state_up` gauge say what is lost.
        if await state.shared.ping():
            answer["shared_state"] = "redis"
        else:
            answer.update(status="degraded", shared_state="unavailable", lost=SHARED_LOSSES)
    return JSONResponse(answer)


def _async_jobs(settings: Settings, ledger: DeliveryLedger) -> AsyncJobs | None:
    if not settings.async_events:
        return None
    if not settings.has_own_credentials():
        log.warning(
            "service.async_without_credentials",
            detail="background work uses the payload token: set the hooks' token_lifetime_s",
        )
    return AsyncJobs(
        events=settings.async_events,
        ledger=ledger,
        deadline_s=settings.async_deadline_s,
        result_ttl_s=settings.async_result_ttl_s,
        max_jobs=settings.async_max_jobs,
        public_url=settings.public_url,
    )


async def async_result(request: Request) -> Response:
    """Serve an asynchronous delivery's result to Rossum's polls (404 when not enabled)."""
    state: ServiceState = request.state.service
    if state.async_jobs is None:
        return error_response(status=404, code="not_found", detail="no such result")
    return await state.async_jobs.result(request)


async def metrics_endpoint(request: Request) -> Response:
    """Serve the process's metrics in the Prometheus text format."""
    metrics: Metrics = request.state.metrics
    return Response(metrics.render(), media_type=METRICS_CONTENT_TYPE)


HOOK_PATH = "/hooks"


class ServiceApp(Starlette):
    """The Starlette app, with `POST /hooks` served by a chain of its own.

    A delivery goes through the body deadline, the delivery middleware and the endpoint (see
    `service.webhook.HookEndpoint`) without Starlette's error layers and routing; every other
    request (`GET /hooks` is a 405, as the route says) takes the Starlette stack.
    """

    def __init__(self, *, hook_app: ASGIApp, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._hook_app = hook_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == HOOK_PATH and scope["method"] == "POST":
            scope["app"] = self
            await self._hook_app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def create_app(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    router: Router | None = None,
    client_options: Mapping[str, Any] | None = None,
) -> Starlette:
    """Build the webhook service; raise `ConfigError` if the settings are unsafe.

    `transport` is handed to the API client (respx, the sandbox); `router` replaces the
    shipped rules; `client_options` are extra `AsyncRossumAPIClient` arguments (e.g. a
    `sleep` that does not really wait, in tests).
    """
    settings.check()
    allowlist = Allowlist(settings.allowed_base_urls)
    if router is None:
        from handlers.rules import router as shipped_rules

        router = shipped_rules

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        if settings.gc_tuning:
            collector.tune()
        recorder = _recorder(settings)
        metrics = Metrics() if settings.metrics else None
        if metrics is not None:
            metrics.watch_recorder(recorder)
        shared = cross_delivery_state(settings, metrics)
        options = client_options or {}
        async with _api_client(settings, transport, options, metrics, shared.rate_limiter) as api:
            state = ServiceState(
                settings=settings,
                secrets=settings.webhook_secrets(),
                allowlist=allowlist,
                router=router,
                api=api,
                executor=Executor(
                    labels=shared.labels,
                    states=shared.label_states,
                    locks=shared.locks,
                    dry_run=settings.dry_run,
                ),
                recorder=recorder,
                locks=shared.locks,
                shared=shared.store,
                ledger=shared.ledger,
                async_jobs=_async_jobs(settings, shared.ledger),
            )
            if recorder is not None:
                recorder.start()
            log.info(
                "service.started",
                dry_run=settings.dry_run,
                recording=recorder is not None,
                shared_state="redis" if shared.store is not None else "in-process",
                rules=[r.name for r in router.registrations()],
            )
            try:
                yield {"service": state, "recorder": recorder, "metrics": metrics}
            finally:
                state.ready = False
                if state.async_jobs is not None:
                    await state.async_jobs.aclose()
                if recorder is not None:
                    await asyncio.to_thread(recorder.close)
                    log.info(
                        "recording.closed",
                        written=recorder.written,
                        failed=recorder.failed,
                        dropped=recorder.dropped,
                    )
                await shared.aclose()
                log.info("service.stopped")

    return ServiceApp(
        hook_app=BodyDeadline(
            DeliveryMiddleware(
                HookEndpoint(EXCEPTION_HANDLERS), path=HOOK_PATH, dry_run=settings.dry_run
            ),
            timeout_s=settings.body_timeout_s,
        ),
        routes=[
            Route(HOOK_PATH, receive_hook, methods=["POST"]),
            Route(f"{RESULTS_PATH}/{{job_id}}", async_result, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
            *([Route("/metrics", metrics_endpoint, methods=["GET"])] if settings.metrics else []),
        ],
        middleware=[
            Middleware(BodyDeadline, timeout_s=settings.body_timeout_s),
            Middleware(DeliveryMiddleware, path=HOOK_PATH, dry_run=settings.dry_run),
        ],
        exception_handlers=dict(EXCEPTION_HANDLERS),
        lifespan=lifespan,
    )


def app_from_env() -> Starlette:
    """Build the app from `ROSSUM_HOOKS_*` (the uvicorn factory of `rossum-hooks serve`)."""
    from service.serve import configured_rules, load_settings

    settings = load_settings()
    configure_logging(level=settings.log_level, fmt=settings.log_format)
    return create_app(settings, router=configured_rules(settings).router)
