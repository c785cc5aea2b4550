"""Shared fixtures: the rule authors' kit fixtures, and the stored example payloads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from handlers.testing.plugin import (  # noqa: F401  (fixtures, re-exported for these tests)
    content_event,
    email_event,
    invocation_event,
    invoice_event,
    status_event,
    upload_event,
)

PAYLOADS = Path(__file__).parent / "payloads"


def load_bytes(name: str) -> bytes:
    """Return a stored example payload's raw bytes."""
    return (PAYLOADS / f"{name}.json").read_bytes()


def load(name: str) -> dict[str, Any]:
    """Return a stored example payload, decoded."""
    data: dict[str, Any] = json.loads(load_bytes(name))
    return data


@pytest.fixture
def legacy_payload() -> dict[str, Any]:
    """Return the 2020-era `user_update` recording with `"None"` strings."""
    return load("legacy_user_update")
