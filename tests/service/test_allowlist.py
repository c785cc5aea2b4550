"""Tests of the base-URL allowlist that keeps tokens on trusted Rossum hosts."""

from __future__ import annotations

import pytest

from service.allowlist import Allowlist
from service.errors import BaseUrlNotAllowed

DEFAULT = Allowlist(["https://*.rossum.app", "https://elis.rossum.ai", "http://127.0.0.1:*"])


@pytest.mark.parametrize(
    "base_url",
    [
        pytest.param("https://acme.rossum.app", id="org-subdomain"),
        pytest.param("https://acme.eu.rossum.app/", id="deeper-subdomain-trailing-slash"),
        pytest.param("https://ACME.Rossum.App", id="case-insensitive"),
        pytest.param("https://elis.rossum.ai", id="exact-host"),
        pytest.param("https://elis.rossum.ai:443", id="explicit-default-port"),
        pytest.param("http://127.0.0.1:8123", id="any-port-wildcard"),
    ],
)
def test_allowed_base_urls_pass(base_url: str) -> None:
    """A base URL on an allowed host is accepted and returned without a trailing slash."""
    assert DEFAULT.check(base_url) == base_url.rstrip("/")


@pytest.mark.parametrize(
    "base_url",
    [
        pytest.param("https://rossum.app", id="bare-domain-not-wildcard"),
        pytest.param("https://acme.rossum.app.evil.com", id="suffix-trick"),
        pytest.param("https://evilrossum.app", id="no-dot-boundary"),
        pytest.param("http://acme.rossum.app", id="plain-http"),
        pytest.param("https://elis.rossum.ai:8443", id="other-port"),
        pytest.param("https://user@acme.rossum.app", id="userinfo"),
        pytest.param("https://evil.com#.rossum.app", id="fragment"),
        pytest.param("https://acme.rossum.app/api/v1", id="path"),
        pytest.param("https://acme.rossum.app?x=1", id="query"),
        pytest.param("ftp://acme.rossum.app", id="scheme"),
        pytest.param("not a url", id="garbage"),
        pytest.param("https://acme.rossum.app:99999", id="bad-port"),
    ],
)
def test_other_base_urls_are_refused(base_url: str) -> None:
    """A base URL outside the allowlist, or not a bare origin, raises BaseUrlNotAllowed."""
    with pytest.raises(BaseUrlNotAllowed) as info:
        DEFAULT.check(base_url)
    assert info.value.status == 403
    assert info.value.code == "base_url_not_allowed"


def test_bad_pattern_is_a_configuration_error() -> None:
    """A malformed allowlist pattern fails at start-up, not at the first delivery."""
    with pytest.raises(ValueError, match="not 'http"):
        Allowlist(["acme.rossum.app"])
