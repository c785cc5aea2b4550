"""Tests of the environment-driven service settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.app import create_app
from service.settings import ConfigError, Settings


def test_settings_read_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """ROSSUM_HOOKS_ variables fill the settings; lists are comma-separated."""
    monkeypatch.setenv("ROSSUM_HOOKS_WEBHOOK_SECRET", "new-secret, old-secret")
    monkeypatch.setenv("ROSSUM_HOOKS_ALLOWED_BASE_URLS", "https://a.rossum.app,http://127.0.0.1:*")
    monkeypatch.setenv("ROSSUM_HOOKS_DELIVERY_DEADLINE_S", "5.5")
    monkeypatch.setenv("ROSSUM_HOOKS_LOG_FORMAT", "JSON")
    settings = Settings()
    assert settings.webhook_secrets() == ("new-secret", "old-secret")
    assert settings.allowed_base_urls == ("https://a.rossum.app", "http://127.0.0.1:*")
    assert settings.delivery_deadline_s == 5.5
    assert settings.log_format == "json"


def test_secrets_never_print() -> None:
    """The repr of the settings masks the webhook secret and API password and token."""
    settings = Settings(
        webhook_secret="s3cr3t-value",
        api_password="pa55word",
        api_username="bot",
        api_token="tok-123",
    )
    shown = repr(settings) + str(settings)
    for value in ("s3cr3t-value", "pa55word", "tok-123"):
        assert value not in shown


def test_check_refuses_missing_secret_without_opt_out() -> None:
    """No secret and no ALLOW_UNSIGNED is a configuration error naming both variables."""
    with pytest.raises(ConfigError, match=r"ROSSUM_HOOKS_WEBHOOK_SECRET.*ALLOW_UNSIGNED"):
        Settings().check()
    Settings(allow_unsigned=True).check()


def test_check_requires_base_url_with_own_credentials() -> None:
    """Own API credentials without an API base URL are refused."""
    with pytest.raises(ConfigError, match="API_BASE_URL"):
        Settings(webhook_secret="s", api_token="t").check()
    with pytest.raises(ConfigError, match="both"):
        Settings(webhook_secret="s", api_username="bot").check()
    Settings(webhook_secret="s", api_token="t", api_base_url="https://a.rossum.app/api/v1/").check()


def test_deadline_must_stay_within_rossum_limits() -> None:
    """A non-positive or over-60-second delivery deadline is rejected."""
    with pytest.raises(ValueError, match="delivery_deadline_s"):
        Settings(delivery_deadline_s=0)
    with pytest.raises(ValueError, match="delivery_deadline_s"):
        Settings(delivery_deadline_s=61)


def test_none_switches_off_the_request_rate_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """REQUESTS_PER_SECOND=none removes the client-side cap (default: Rossum's 10 req/s)."""
    assert Settings().requests_per_second == 10.0
    monkeypatch.setenv("ROSSUM_HOOKS_REQUESTS_PER_SECOND", "none")
    assert Settings().requests_per_second is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("new-secret, old-secret", ("new-secret", "old-secret"), id="comma-form"),
        pytest.param('["a,b", " spaced ", "q\\"uote"]', ("a,b", " spaced ", 'q"uote'), id="json"),
        pytest.param('["only,one"]', ("only,one",), id="json-one-with-comma"),
    ],
)
def test_webhook_secret_forms(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: tuple[str, ...]
) -> None:
    """Plain secrets keep the comma form; a JSON list holds secrets with any character."""
    monkeypatch.setenv("ROSSUM_HOOKS_WEBHOOK_SECRET", value)
    assert Settings().webhook_secrets() == expected


def test_webhook_secret_file_has_one_secret_per_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A secret file keeps each line exactly (commas, brackets, spaces), newest first."""
    path = tmp_path / "secrets"
    path.write_text("new,with comma \n[old]\n\n")
    monkeypatch.setenv("ROSSUM_HOOKS_WEBHOOK_SECRET_FILE", str(path))
    settings = Settings()
    settings.check()
    assert settings.webhook_secrets() == ("new,with comma ", "[old]")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        pytest.param({"ROSSUM_HOOKS_WEBHOOK_SECRET": "[not json"}, "JSON list", id="bad-json"),
        pytest.param({"ROSSUM_HOOKS_WEBHOOK_SECRET": "[1, 2]"}, "list of strings", id="numbers"),
        pytest.param(
            {"ROSSUM_HOOKS_WEBHOOK_SECRET_FILE": "/nonexistent/secrets"},
            "cannot read",
            id="missing-file",
        ),
        pytest.param(
            {
                "ROSSUM_HOOKS_WEBHOOK_SECRET": "s",
                "ROSSUM_HOOKS_WEBHOOK_SECRET_FILE": "/nonexistent/secrets",
            },
            "set one of",
            id="both",
        ),
    ],
)
def test_unusable_secret_settings_are_config_errors(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str
) -> None:
    """A value that cannot be read as secrets fails at start with a clear message."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        Settings().check()


async def test_a_secret_with_a_comma_verifies_deliveries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The service accepts a delivery signed with a comma-holding secret given as JSON."""
    from handlers.testing import signed
    from tests.service.conftest import running
    from tests.service.kit import status_event

    secret = 'p,a"s s'
    monkeypatch.setenv("ROSSUM_HOOKS_WEBHOOK_SECRET", json.dumps([secret, "older"]))
    settings = Settings(allowed_base_urls=("https://*.rossum.app",), timestamp_window_s=None)
    headers, body = signed(status_event(), secret)
    async with running(create_app(settings)) as client:
        response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code == 200, response.text
