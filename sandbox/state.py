"""The state of one sandbox instance, reachable as `app.state.sandbox`."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import date

import httpx

from sandbox.auth import Tokens
from sandbox.delivery import Deliveries
from sandbox.demo_data import DEMO_QUEUE_ID, demo_invoices, seed_base, seed_demo
from sandbox.emails import DEMO_INBOX_EMAIL, add_inbox
from sandbox.faults import FaultConfig, Faults, RateLimiter
from sandbox.importer import import_document
from sandbox.pagination import CursorCodec
from sandbox.request_rate import RequestRate
from sandbox.settings import SandboxSettings
from sandbox.store import Store
from sandbox.workflow import Workflow, set_status


class Sandbox:
    """Everything one sandbox holds: objects, tokens, faults, rate limit, deliveries."""

    def __init__(
        self,
        settings: SandboxSettings,
        *,
        delivery_transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or time.monotonic
        # Every wait the sandbox makes (injected latency, delivery retry back-off) goes
        # through here, so tests can record waits instead of sleeping.
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self.store = Store()
        self.tokens = Tokens(clock=self.clock)
        self.faults = Faults(FaultConfig.from_settings(settings), seed=settings.seed)
        self.limiter = RateLimiter(per_s=settings.rate_limit_per_s, clock=self.clock)
        self.request_rate = RequestRate(clock=self.clock)
        self.cursors = CursorCodec(secrets.token_bytes(32))
        self.deliveries = Deliveries(self, transport=delivery_transport)
        self.workflow = Workflow(self)
        seed_base(self.store)
        if settings.seed_demo_data:
            seed_demo(self.store)
            add_inbox(self.store, name="Invoices", queue_id=DEMO_QUEUE_ID, address=DEMO_INBOX_EMAIL)
        if settings.demo_documents:
            self._import_demo_documents()

    def _import_demo_documents(self) -> None:
        """Import the demo invoices as extraction leaves them, `to_review` in the demo queue.

        No hook exists yet, so the import flow delivers nothing: it is creation, then
        `importing` -> `to_review`, as `POST /sandbox/import` does with no hook subscribed.
        """
        for invoice in demo_invoices(date.today()):
            ann = import_document(self.store, invoice.body, creator=1)
            set_status(ann, "to_review", user_id=None)

    async def idle(self) -> None:
        """Wait until every delivery (and the work it started) has finished."""
        await self.deliveries.idle()

    async def aclose(self) -> None:
        """Stop background deliveries and close the delivery HTTP client."""
        await self.deliveries.aclose()
