"""The client's log events, through the standard logging hierarchy (`rossum_hooks.client`).

A library stays silent until the application configures logging: the logger has a
`NullHandler`, so nothing reaches stderr through logging's last-resort handler, and nothing is
printed. Each event is a record whose message reads `rossum.retry method=GET url=...`; the
event name and its fields are also attached as the record attributes `rossum_event` and
`rossum_fields`, which the service's logging configuration renders as structured fields.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger("rossum_hooks.client")
logger.addHandler(logging.NullHandler())


def enabled(level: int) -> bool:
    """Tell whether an event at `level` would be handled (so costly fields can be skipped)."""
    return logger.isEnabledFor(level)


def emit(level: int, event: str, **fields: Any) -> None:
    """Log `event` with `fields` at `level`, if that level is enabled."""
    if logger.isEnabledFor(level):
        text = " ".join(f"{key}={value}" for key, value in fields.items())
        logger.log(
            level, "%s %s", event, text, extra={"rossum_event": event, "rossum_fields": fields}
        )


def debug(event: str, **fields: Any) -> None:
    """Log a debug event."""
    emit(logging.DEBUG, event, **fields)


def info(event: str, **fields: Any) -> None:
    """Log an info event."""
    emit(logging.INFO, event, **fields)


def warning(event: str, **fields: Any) -> None:
    """Log a warning event."""
    emit(logging.WARNING, event, **fields)
