"""Sandbox settings: what the stand-in advertises, how it misbehaves, how it delivers."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SandboxSettings(BaseModel):
    """Configure one sandbox instance; every field has a Rossum-like default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Base URL put in object URLs and payload `base_url`; None derives it from each request.
    public_url: str | None = None
    # Fault injection, applied before a request is processed (see `sandbox.faults`).
    latency_s: float = Field(default=0.0, ge=0)
    rate_429: float = Field(default=0.0, ge=0, le=1)
    rate_5xx: float = Field(default=0.0, ge=0, le=1)
    statuses_5xx: tuple[int, ...] = (500, 502, 503)
    slow_rate: float = Field(default=0.0, ge=0, le=1)
    slow_s: float = Field(default=0.0, ge=0)
    fault_retry_after_s: int = Field(default=1, ge=0)
    seed: int | None = None
    # Rossum: 10 requests per second overall (API reference, "API Throttling"); 0 disables.
    rate_limit_per_s: float = Field(default=10.0, ge=0)
    max_body_bytes: int = Field(default=1_048_576, gt=0)
    # Delivery: Rossum retries non-interactive events "within 30 seconds".
    delivery_retry_delay_s: float = Field(default=0.2, ge=0)
    delivery_retry_max_delay_s: float = Field(default=30.0, ge=0)
    interactive_timeout_s: float = Field(default=30.0, gt=0)
    # Also sign with the legacy SHA-1 `X-Elis-Signature` (Rossum sends it once support enables it).
    legacy_signature: bool = False
    # Asynchronous hooks: Rossum polls a 202's `Location` every 30 seconds.
    async_poll_interval_s: float = Field(default=30.0, gt=0)
    seed_demo_data: bool = True
    # Start with the demo invoices imported into the demo queue (`rossum-hooks sandbox` does,
    # unless `--empty`); off here so that fixtures and the demo start from a known empty queue.
    demo_documents: bool = False

    @model_validator(mode="after")
    def _documents_need_the_queue(self) -> SandboxSettings:
        if self.demo_documents and not self.seed_demo_data:
            raise ValueError("demo_documents needs seed_demo_data (the demo queue)")
        return self

    # Fire `invocation.scheduled` by the hooks' cron at every UTC minute (needs `public_url`
    # for the payloads' URLs); `POST /api/v1/sandbox/tick` fires them on demand either way.
    run_schedules: bool = False
