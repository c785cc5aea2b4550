"""Pytest fixtures for rule authors: event factories built on `handlers.testing`.

Enable with `pytest_plugins = ["handlers.testing.plugin"]` in the root `conftest.py`.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from handlers.events import (
    AnnotationContentEvent,
    AnnotationStatusEvent,
    EmailEvent,
    InvocationEvent,
    UploadEvent,
)
from handlers.testing import payloads


@pytest.fixture
def content_event() -> Callable[..., AnnotationContentEvent]:
    """Return a factory of `annotation_content` events (see `build_content_event`)."""
    return payloads.build_content_event


@pytest.fixture
def status_event() -> Callable[..., AnnotationStatusEvent]:
    """Return a factory of `annotation_status.changed` events."""
    return payloads.build_status_event


@pytest.fixture
def upload_event() -> Callable[..., UploadEvent]:
    """Return a factory of `upload.created` events."""
    return payloads.build_upload_event


@pytest.fixture
def email_event() -> Callable[..., EmailEvent]:
    """Return a factory of `email.received` events."""
    return payloads.build_email_event


@pytest.fixture
def invocation_event() -> Callable[..., InvocationEvent]:
    """Return a factory of `invocation.*` events."""
    return payloads.build_invocation_event


@pytest.fixture
def invoice_event(content_event: Callable[..., AnnotationContentEvent]) -> AnnotationContentEvent:
    """Return an `updated` event of a clean invoice that no shipped rule objects to."""
    return content_event("updated", **payloads.CLEAN_INVOICE)
