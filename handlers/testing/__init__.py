"""The rule authors' kit: realistic payloads for every event and Decision assertions.

    from handlers.testing import build_content_event, assert_labels
    event = build_content_event("updated", fields={"amount_total": "12000.00"})
    assert_labels(my_rule(event), add={"expedite"})

Fixtures: `pytest_plugins = ["handlers.testing.plugin"]`.
"""

from __future__ import annotations

from handlers.testing.assertions import (
    assert_blocker,
    assert_empty,
    assert_labels,
    assert_message,
    assert_no_messages,
    assert_no_operations,
    assert_replaced,
    replaced_values,
)
from handlers.testing.delivery import after, encode, payload_of, signed
from handlers.testing.payloads import (
    BASE_URL,
    CLEAN_INVOICE,
    SECRETS,
    TIMESTAMP,
    TOKEN,
    build,
    build_content_event,
    build_email_event,
    build_invocation_event,
    build_status_event,
    build_upload_event,
    common,
    content_payload,
    email_payload,
    invocation_payload,
    status_payload,
    upload_payload,
)
from handlers.testing.tree import TreeBuilder

__all__ = [
    "BASE_URL",
    "CLEAN_INVOICE",
    "SECRETS",
    "TIMESTAMP",
    "TOKEN",
    "TreeBuilder",
    "after",
    "assert_blocker",
    "assert_empty",
    "assert_labels",
    "assert_message",
    "assert_no_messages",
    "assert_no_operations",
    "assert_replaced",
    "build",
    "build_content_event",
    "build_email_event",
    "build_invocation_event",
    "build_status_event",
    "build_upload_event",
    "common",
    "content_payload",
    "email_payload",
    "encode",
    "invocation_payload",
    "payload_of",
    "replaced_values",
    "signed",
    "status_payload",
    "upload_payload",
]
