"""Tests of the environment-driven service settings."""

from __future__ import annotations

import pytest

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
