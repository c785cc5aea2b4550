"""Parsing deliveries into typed events: every event, leniency, bad input, from_http."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from handlers.errors import BadPayload, InvalidSignature
from handlers.events import (
    AnnotationContentEvent,
    AnnotationStatusEvent,
    EmailEvent,
    HookEvent,
    InvocationEvent,
    UploadEvent,
    parse_event,
)
from handlers.signature import SIGNATURE_HEADER, sign
from handlers.testing import TOKEN, content_payload, encode, signed, status_payload
from tests.handlers.conftest import load_bytes


@pytest.mark.parametrize(
    ("name", "model"),
    [
        pytest.param("annotation_status_changed", AnnotationStatusEvent, id="status"),
        pytest.param("annotation_content_updated", AnnotationContentEvent, id="content"),
        pytest.param("upload_created", UploadEvent, id="upload"),
        pytest.param("email_received", EmailEvent, id="email"),
        pytest.param("invocation_scheduled", InvocationEvent, id="scheduled"),
        pytest.param("invocation_manual", InvocationEvent, id="manual"),
    ],
)
def test_documented_examples_parse_into_their_models(name: str, model: type[HookEvent]) -> None:
    """Each example payload from Rossum's docs parses into the model of its event."""
    event = parse_event(load_bytes(name))
    assert type(event) is model
    assert event.timestamp == datetime(2020, 1, 1, tzinfo=UTC)
    assert event.base_url == "https://<example>.rossum.app"


def test_status_event_fields() -> None:
    """A status change exposes statuses, ids and URLs of the annotation."""
    event = parse_event(load_bytes("annotation_status_changed"))
    assert isinstance(event, AnnotationStatusEvent)
    assert (event.annotation.status, event.annotation.previous_status) == ("to_review", "importing")
    assert event.annotation_id == 314521
    assert event.annotation_url == "https://<example>.rossum.app/api/v1/annotations/314521"
    assert event.organization_url == "https://<example>.rossum.app/api/v1/organizations/1"
    assert event.annotation.schema_url == "https://<example>.rossum.app/api/v1/schemas/223"
    assert event.document is not None and event.document.original_file_name == "test_invoice_1.pdf"
    assert not event.is_interactive


def test_upload_email_and_invocation_fields() -> None:
    """Upload files, email attachments and headers, and manual invocation fields are typed."""
    upload = parse_event(load_bytes("upload_created"))
    assert isinstance(upload, UploadEvent)
    assert [f.prevent_importing for f in upload.files] == [False, True]
    assert upload.documents[1].mime_type == "application/json"
    email = parse_event(load_bytes("email_received"))
    assert isinstance(email, EmailEvent)
    assert [f.id for f in email.files] == ["1", "2", "3", "4"]
    assert email.files[1].height_px is None
    assert email.headers["subject"] == "Some subject"
    assert email.body is not None and email.body.body_text_plain == "Some body"
    manual = parse_event(load_bytes("invocation_manual"))
    assert isinstance(manual, InvocationEvent)
    assert manual.fields == {"SAP_ID": "1234", "DB_COLUMN": "SAP"}
    assert manual.is_interactive
    assert manual.annotation_id is None


def test_legacy_payload_is_accepted(legacy_payload: dict[str, Any]) -> None:
    """A 2020-era recording (no base_url/document, user_update, "None" strings) parses."""
    event = parse_event(legacy_payload)
    assert isinstance(event, AnnotationContentEvent)
    assert (event.action, event.raw_action) == ("updated", "user_update")
    assert event.base_url is None
    assert event.document is None
    assert event.updated_datapoints == []
    assert event.settings == {}
    assert event.annotation.labels == []
    assert event.annotation.metadata == {}
    assert event.is_interactive
    assert event.content.value("order_id") is None


def test_none_strings_become_none_for_ids_urls_and_objects() -> None:
    """`"None"` where an id, URL, object or list belongs reads as missing."""
    payload = content_payload()
    payload["annotation"].update(id="None", organization="None", previous_status="None")
    payload.update(document="None", updated_datapoints="None", base_url="None")
    event = parse_event(payload)
    assert event.annotation_id is None
    assert event.organization_url is None
    assert event.base_url is None
    assert isinstance(event, AnnotationContentEvent) and event.document is None


def test_sideloaded_label_objects_read_as_urls() -> None:
    """Label objects (the `labels` sideload shape) are reduced to their URLs."""
    payload = content_payload()
    payload["annotation"]["labels"] = [{"url": "https://x/api/v1/labels/1", "name": "vip"}]
    event = parse_event(payload)
    assert isinstance(event, AnnotationContentEvent)
    assert event.annotation.labels == ["https://x/api/v1/labels/1"]


def test_unknown_event_and_extra_keys_are_kept() -> None:
    """An unknown event parses as a plain HookEvent and unknown keys survive."""
    payload = {**status_payload(), "event": "invocation_v2", "action": "interface", "new": 1}
    event = parse_event(payload)
    assert type(event) is HookEvent
    assert event.model_extra is not None and event.model_extra["new"] == 1
    content = content_payload(extra={"schemas": [{"id": 1}]})
    assert parse_event(content).model_extra == {"schemas": [{"id": 1}]}


def test_naive_timestamp_is_taken_as_utc() -> None:
    """A timestamp without zone is UTC, so rules compare aware datetimes."""
    payload = status_payload()
    payload["timestamp"] = "2024-05-01T09:30:00"
    assert parse_event(payload).now == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("event", "action", "interactive"),
    [
        pytest.param("annotation_content", "initialize", False, id="initialize"),
        pytest.param("annotation_content", "started", True, id="started"),
        pytest.param("annotation_content", "updated", True, id="updated"),
        pytest.param("annotation_content", "user_update", True, id="user_update"),
        pytest.param("annotation_content", "confirm", True, id="confirm"),
        pytest.param("annotation_content", "export", False, id="export"),
        pytest.param("annotation_status", "changed", False, id="status"),
        pytest.param("invocation", "scheduled", False, id="scheduled"),
        pytest.param("invocation", "manual", True, id="manual"),
    ],
)
def test_is_interactive_follows_rossums_retry_table(
    event: str, action: str, interactive: bool
) -> None:
    """Interactive events (not retried by Rossum) are recognised."""
    payload = {**status_payload(), "event": event, "action": action}
    if event == "annotation_content":
        payload = content_payload(action)
    assert parse_event(payload).is_interactive is interactive


def test_repr_hides_token_and_secrets() -> None:
    """The token and secrets do not appear in an event's repr (which may reach a log)."""
    event = parse_event(status_payload(secrets={"password": "hunter2-secret"}))
    assert TOKEN not in repr(event)
    assert "hunter2-secret" not in repr(event)
    assert event.rossum_authorization_token == TOKEN


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        pytest.param(b"{", "invalid_json", "not valid JSON", id="truncated"),
        pytest.param(b"", "invalid_json", "not valid JSON", id="empty"),
        pytest.param(b"\xff\xfe", "invalid_json", "not valid JSON", id="not-utf8"),
        pytest.param(b"[1]", "bad_payload", "must be a JSON object, got array", id="array"),
        pytest.param(b"null", "bad_payload", "must be a JSON object, got null", id="null"),
        pytest.param(b"{}", "bad_payload", "timestamp: Field required", id="empty-object"),
        pytest.param(
            b'{"event":"annotation_content","action":"updated","timestamp":"2020-01-01"}',
            "bad_payload",
            "invalid annotation_content payload: annotation: Field required",
            id="no-annotation",
        ),
        pytest.param(
            b'{"event":"annotation_content","action":"updated","timestamp":"2020-01-01",'
            b'"annotation":{"id":"abc","content":5}}',
            "bad_payload",
            "annotation.id: Input should be a valid integer",
            id="wrong-types",
        ),
        pytest.param(
            b'{"event":"email","action":"received","timestamp":"2020-01-01","files":[{}]}',
            "bad_payload",
            "files[0].id: Field required",
            id="nested-list",
        ),
    ],
)
def test_bad_payloads_name_the_problem(body: bytes, code: str, message: str) -> None:
    """Broken JSON and wrong shapes raise BadPayload with a stable code and the field's name."""
    with pytest.raises(BadPayload, match=r".*") as info:
        parse_event(body)
    assert info.value.code == code
    assert message in info.value.detail


def test_bad_payload_message_does_not_echo_values() -> None:
    """A rejected field's value (maybe a secret) is not repeated in the error message."""
    payload = status_payload()
    payload["rossum_authorization_token"] = {"nested": "leaky-token-value"}
    with pytest.raises(BadPayload) as info:
        parse_event(payload)
    assert "rossum_authorization_token" in info.value.detail
    assert "leaky-token-value" not in info.value.detail


def test_from_http_verifies_then_parses() -> None:
    """A correctly signed body parses into its event."""
    headers, body = signed(content_payload("initialize"), "s3cret")
    event = HookEvent.from_http(headers, body, secrets=["other", "s3cret"])
    assert isinstance(event, AnnotationContentEvent)
    assert event.action == "initialize"


def test_from_http_checks_signature_before_parsing() -> None:
    """A tampered body that is also broken JSON is rejected as InvalidSignature, not BadPayload."""
    headers, body = signed(status_payload(), "s3cret")
    with pytest.raises(InvalidSignature):
        HookEvent.from_http(headers, body[:-5], secrets=["s3cret"])
    with pytest.raises(InvalidSignature, match="missing"):
        HookEvent.from_http({}, b"{", secrets=["s3cret"])


def test_from_http_bad_payload_with_good_signature() -> None:
    """A correctly signed body that is not JSON is a BadPayload."""
    body = b"not json"
    with pytest.raises(BadPayload):
        HookEvent.from_http({SIGNATURE_HEADER: sign(body, "k")}, body, secrets=["k"])


def test_from_http_unsigned_only_when_allowed_and_no_secret() -> None:
    """Unsigned deliveries pass only with allow_unsigned and no secret configured."""
    body = encode(status_payload())
    assert isinstance(HookEvent.from_http({}, body, secrets=[], allow_unsigned=True), HookEvent)
    with pytest.raises(InvalidSignature, match="no webhook secret"):
        HookEvent.from_http({}, body, secrets=[])
    with pytest.raises(InvalidSignature, match="missing"):
        HookEvent.from_http({}, body, secrets=["k"], allow_unsigned=True)


def test_parse_accepts_bytes_str_and_mapping() -> None:
    """Raw bytes, a str and an already decoded mapping parse alike."""
    payload = content_payload(fields={"amount_total": "5"})
    from_bytes = parse_event(json.dumps(payload).encode())
    assert parse_event(json.dumps(payload)) == from_bytes == parse_event(payload)
