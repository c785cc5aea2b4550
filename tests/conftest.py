"""Suite-wide fixtures."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator

import pytest
import structlog

from tests.redis_server import RedisServer, redis_server


@pytest.fixture(autouse=True)
def _isolated_logging_config() -> Iterator[None]:
    """Restore structlog's and the root logger's configuration after each test.

    The service configures logging globally when it starts (as a process should); without this
    a test that starts it at `warning` would silence the log lines a later test captures.
    """
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.configure(**saved)
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    """A real Redis server on a free loopback port for this test (see tests/redis_server.py)."""
    with redis_server() as server:
        yield server


@pytest.fixture(autouse=True)
def _restored_import_path() -> Iterator[None]:
    """Restore `sys.path` after each test: the CLI puts its working directory on it."""
    saved = list(sys.path)
    yield
    sys.path[:] = saved
