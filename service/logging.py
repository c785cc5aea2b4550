"""Structured logging, configured in one place: JSON off a TTY, console on a TTY, redacted.

The redaction processor runs last before rendering, so no code path (ours, a library's
context, an exception's locals) can put a token, secret, password or signature on a log line.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping
from typing import Any, Literal

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from service.context import delivery_fields

REDACTED = "[redacted]"
_SENSITIVE_PARTS = (
    "token",
    "secret",
    "password",
    "authorization",
    "signature",
    "cookie",
    "api_key",
    "apikey",
)


def is_sensitive(key: str) -> bool:
    """Return True for a key whose value must never be logged or recorded."""
    lowered = key.lower()
    return any(part in lowered for part in _SENSITIVE_PARTS)


def redact(value: Any) -> Any:
    """Return `value` with every sensitive key's value replaced, at any depth."""
    if isinstance(value, Mapping):
        return {
            k: REDACTED if isinstance(k, str) and is_sensitive(k) else redact(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    return value


def redact_processor(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Mask sensitive values anywhere in the event dict (a structlog processor)."""
    for key, value in list(event_dict.items()):
        if is_sensitive(key):
            event_dict[key] = REDACTED
        elif isinstance(value, Mapping | list | tuple):
            event_dict[key] = redact(value)
    return event_dict


def lift_client_fields(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """Render a record of the API client (`client._log`) as its event name and fields."""
    record = event_dict.get("_record")
    event = getattr(record, "rossum_event", None)
    if event is not None:
        event_dict["event"] = event
        event_dict.update(getattr(record, "rossum_fields", {}))
    return event_dict


def _renderer(fmt: Literal["auto", "json", "console"]) -> list[Processor]:
    console = fmt == "console" or (fmt == "auto" and sys.stderr.isatty())
    if console:
        # Plain tracebacks: rich/better-exceptions would print frame locals (tokens).
        return [structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)]
    return [
        structlog.processors.ExceptionRenderer(
            structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
        ),
        structlog.processors.JSONRenderer(),
    ]


_probes: dict[type[Any], Any] = {}


def enabled(level: int) -> bool:
    """Tell whether structlog emits lines at `level` as configured now (so that a line whose
    level filters it out is not built). Asks a logger of the configured wrapper class, made
    once per class; a wrapper class that cannot tell is taken to emit everything.
    """
    wrapper = structlog.get_config()["wrapper_class"]
    probe = _probes.get(wrapper)
    if probe is None:
        try:
            probe = _probes[wrapper] = wrapper(None, [], {})
        except TypeError:
            return True
    check = getattr(probe, "is_enabled_for", None)
    return True if check is None else bool(check(level))


def configure_logging(
    *, level: str = "info", fmt: Literal["auto", "json", "console"] = "auto"
) -> None:
    """Configure structlog (and route stdlib logging through the same renderer) to stderr."""
    numeric = logging.getLevelName(level.upper())
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        delivery_fields,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_processor,
    ]
    structlog.configure(
        processors=[*shared, *_renderer(fmt)],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[lift_client_fields, *shared],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *_renderer(fmt),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric)
    # httpx logs every request at INFO; the client's own `rossum.request` events cover them.
    logging.getLogger("httpx").setLevel(max(numeric, logging.WARNING))
