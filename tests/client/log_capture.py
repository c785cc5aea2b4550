"""Collect the API client's log events (name and fields) from the standard logging records."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CLIENT_LOGGER = "rossum_hooks.client"


@contextmanager
def client_events() -> Iterator[list[dict[str, Any]]]:
    """Yield a list that fills with `{"event", **fields, "message"}` of every client record."""
    events: list[dict[str, Any]] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            name = getattr(record, "rossum_event", None)
            if name is not None:
                fields = getattr(record, "rossum_fields", {})
                events.append({"event": name, **fields, "message": record.getMessage()})

    logger = logging.getLogger(CLIENT_LOGGER)
    handler, level = Collect(logging.DEBUG), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield events
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
