"""One HTTP call of a hook: token, payload, signature, POST with a timeout, token revocation.

API reference ("Validating payloads from Rossum", "Access to Rossum API"): the raw body is signed
with HMAC-SHA256 under `config.secret`; a token for `token_owner` is valid for 10 minutes or
until Rossum receives the hook's response, unless `token_lifetime_s` keeps it alive longer.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import httpx
import structlog

from sandbox.delivery_log import Attempt
from sandbox.payloads import Trigger, build_payload
from sandbox.polling import PollLimits, PollResult, poll
from sandbox.signing import signed_headers
from sandbox.store import Record, now_iso

if TYPE_CHECKING:
    from sandbox.state import Sandbox

log = structlog.get_logger()

DEFAULT_TOKEN_LIFETIME_S = 600


@dataclass(frozen=True)
class HookResponse:
    """What came back: a status and parsed answer, or an error (timeout, connection, crash).

    After a 202 that was polled, `polling` says how that went and, when it fetched the
    result, `status_code` and `answer` are the poll's 201 and its body.
    """

    status_code: int | None
    answer: Any
    error: str | None
    location: str | None = field(default=None, repr=False)
    polling: PollResult | None = None

    @property
    def ok(self) -> bool:
        """Tell whether the hook answered 2xx (and, if polled, its result was fetched)."""
        if self.polling is not None and not self.polling.ok:
            return False
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class CallResult:
    """One call: its response, the attempt record, and the payload that was sent."""

    response: HookResponse
    attempt: Attempt
    payload: dict[str, Any]


class HookCaller:
    """Make hook calls through one lazily opened `httpx.AsyncClient`."""

    def __init__(self, sandbox: Sandbox, *, transport: httpx.AsyncBaseTransport | None) -> None:
        self._sandbox = sandbox
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    async def aclose(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def call(
        self, hook: Record, trigger: Trigger, *, request_id: str, updated: list[int], number: int
    ) -> CallResult:
        """Send attempt `number` of `trigger` to `hook`."""
        sandbox = self._sandbox
        token = None
        if hook.get("token_owner") is not None:
            lifetime = hook.get("token_lifetime_s") or DEFAULT_TOKEN_LIFETIME_S
            token = sandbox.tokens.issue(
                user_id=hook["token_owner"], lifetime_s=lifetime, hook_id=hook["id"]
            )
        payload = build_payload(
            sandbox.store,
            hook,
            trigger,
            request_id=request_id,
            timestamp=now_iso(),
            token=token.key if token else None,
            updated_datapoints=updated,
        )
        started_at, start = now_iso(), time.perf_counter()
        response = await self.post(hook, payload, interactive=trigger.interactive)
        answered = response.status_code is not None
        if token is not None and answered and hook.get("token_lifetime_s") is None:
            sandbox.tokens.revoke(token.key)  # "valid until Rossum receives the response"
        call_status = response.status_code
        if call_status == 202 and response.location and not trigger.interactive:
            response = await self._poll(hook, trigger, response)
        polled = response.polling
        attempt = Attempt(
            number=number,
            started_at=started_at,
            duration_ms=round((time.perf_counter() - start) * 1000, 3),
            status_code=call_status,
            error=response.error,
            polls=polled.polls if polled is not None else 0,
            result_status=polled.status_code if polled is not None else None,
        )
        log.info(
            "sandbox.delivery",
            hook_id=hook["id"],
            hook_event=trigger.event,
            hook_action=trigger.action,
            annotation_id=trigger.annotation_id,
            attempt=number,
            status_code=call_status,
            polls=attempt.polls,
            result_status=attempt.result_status,
            error=attempt.error,
            duration_ms=attempt.duration_ms,
        )
        return CallResult(response, attempt, payload)

    async def _poll(self, hook: Record, trigger: Trigger, accepted: HookResponse) -> HookResponse:
        """Poll an accepted (202) call's `Location` and return the hook's result."""
        config = hook.get("config", {})
        location = str(httpx.URL(config["url"]).join(str(accepted.location)))
        result = await poll(
            self._sandbox,
            self._http(),
            location,
            limits=PollLimits.of(hook, trigger.event, trigger.action),
            timeout_s=self._timeout(config, interactive=False),
        )
        if result.ok:
            return HookResponse(result.status_code, result.answer, None, polling=result)
        return replace(accepted, answer=result.answer, error=result.failure, polling=result)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(transport=self._transport, follow_redirects=False)
        return self._client

    def _timeout(self, config: Record, *, interactive: bool) -> float:
        fixed = self._sandbox.settings.interactive_timeout_s
        # `config.timeout_s` applies to non-interactive events only; 0 falls back to 30 s.
        return fixed if interactive else float(config.get("timeout_s", 30)) or fixed

    async def post(
        self, hook: Record, payload: dict[str, Any], *, interactive: bool
    ) -> HookResponse:
        """POST `payload` to the hook's `config.url`, signed, within the event's timeout."""
        config = hook.get("config", {})
        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json"}
        if config.get("secret"):
            headers |= signed_headers(
                body, config["secret"], legacy=self._sandbox.settings.legacy_signature
            )
        timeout_s = self._timeout(config, interactive=interactive)
        client = self._http()
        try:
            async with asyncio.timeout(timeout_s):
                # httpx would otherwise cut each phase at its 5 s default, well before Rossum.
                response = await client.post(
                    config["url"], content=body, headers=headers, timeout=timeout_s
                )
        except (TimeoutError, httpx.TimeoutException):
            return HookResponse(None, None, f"timeout after {timeout_s:g} s")
        except httpx.HTTPError as exc:
            return HookResponse(None, None, f"connection error: {type(exc).__name__}")
        except Exception as exc:  # an in-process hook app that raised, seen through ASGITransport
            return HookResponse(None, None, f"hook raised {type(exc).__name__}")
        try:
            answer: Any = response.json()
        except ValueError:
            answer = response.text[:2000] or None
        return HookResponse(
            response.status_code, answer, None, location=response.headers.get("location")
        )
