"""Tests of logging configuration and the redaction processor."""

from __future__ import annotations

import json
import logging

import pytest
import structlog

from service.logging import configure_logging, redact


def test_redact_masks_sensitive_keys_at_any_depth() -> None:
    """Token, secret, password, authorization and signature keys are masked, others kept."""
    value = {
        "rossum_authorization_token": "t",
        "headers": {"X-Rossum-Signature-SHA256": "sha256=ff", "Authorization": "Bearer t"},
        "items": [{"client_secret": "c", "name": "keep"}],
        "secrets": {"a": "b"},
        "amount": 5,
    }
    assert redact(value) == {
        "rossum_authorization_token": "[redacted]",
        "headers": {"X-Rossum-Signature-SHA256": "[redacted]", "Authorization": "[redacted]"},
        "items": [{"client_secret": "[redacted]", "name": "keep"}],
        "secrets": "[redacted]",
        "amount": 5,
    }


def test_json_logs_are_redacted_even_when_a_caller_slips(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A log call that passes a token or signature still renders it masked, as JSON."""
    configure_logging(level="info", fmt="json")
    structlog.get_logger().info(
        "client.login", token="tok-abc", extra={"password": "pw-xyz"}, user="bot"
    )
    line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert line["event"] == "client.login"
    assert line["token"] == "[redacted]"
    assert line["extra"] == {"password": "[redacted]"}
    assert line["user"] == "bot" and line["level"] == "info" and "timestamp" in line


def test_level_filters_and_stdlib_logs_share_the_renderer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Below-level events are dropped and stdlib records come out as JSON too."""
    configure_logging(level="warning", fmt="json")
    structlog.get_logger().info("quiet.event")
    logging.getLogger("some.library").warning("server %s", "started")
    lines = [json.loads(x) for x in capsys.readouterr().err.strip().splitlines()]
    assert [x["event"] for x in lines] == ["server started"]


def test_exception_tracebacks_carry_no_frame_locals(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A logged exception shows its trace but not the local variables holding tokens."""
    configure_logging(level="info", fmt="json")
    try:
        token = "tok-in-locals-42"
        raise RuntimeError("boom " + str(len(token)))
    except RuntimeError:
        structlog.get_logger().exception("webhook.bug")
    output = capsys.readouterr().err
    assert "RuntimeError" in output
    assert "tok-in-locals-42" not in output
