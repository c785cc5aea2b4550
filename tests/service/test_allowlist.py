"""Tests of the base-URL allowlist that keeps tokens on trusted Rossum hosts."""

from __future__ import annotations

import pytest

from service.allowlist import Allowlist, BaseUrlNotAllowed
from service.settings import DEFAULT_ALLOWED_BASE_URLS

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
        pytest.param("https://acme\t.rossum.app", id="tab-in-host"),
        pytest.param("https://acme.rossum.app\n", id="newline-after-host"),
        pytest.param("https://acme\uff0erossum.app", id="full-width-dot"),
        pytest.param("https://acme.rossum\u3002app", id="ideographic-dot"),
        pytest.param("https://\u0430cme.rossum.app", id="cyrillic-letter"),
        pytest.param("https://<example>.rossum.app", id="docs-placeholder"),
        pytest.param("https://acme_1.rossum.app", id="underscore"),
        pytest.param("https://-acme.rossum.app", id="leading-hyphen"),
        pytest.param("https://acme..rossum.app", id="empty-label"),
        pytest.param("https://acme.rossum.app%2f", id="escaped-slash"),
    ],
)
def test_other_base_urls_are_refused(base_url: str) -> None:
    """A base URL outside the allowlist, not a bare origin, or not plain ASCII is refused."""
    with pytest.raises(BaseUrlNotAllowed):
        DEFAULT.check(base_url)


@pytest.mark.parametrize(
    "base_url",
    [
        "https://acme.rossum.app",
        "https://acme.eu.rossum.app",
        "https://acme.app.rossum.ai",
        "https://elis.rossum.ai",
        "https://api.elis.rossum.ai",
        "https://acme.us.rossum.ai",
        "https://acme.jp.rossum.app",
    ],
)
def test_default_allowlist_covers_every_rossum_host_family(base_url: str) -> None:
    """The shipped default accepts the `*.rossum.app` and `*.rossum.ai` API hosts."""
    assert Allowlist(DEFAULT_ALLOWED_BASE_URLS).check(base_url) == base_url


@pytest.mark.parametrize(
    "base_url", ["https://rossum.ai.evil.com", "https://rossum.ai", "http://elis.rossum.ai"]
)
def test_default_allowlist_refuses_lookalikes(base_url: str) -> None:
    """The default names no bare domain, no lookalike suffix and no plain HTTP."""
    with pytest.raises(BaseUrlNotAllowed):
        Allowlist(DEFAULT_ALLOWED_BASE_URLS).check(base_url)


def test_bad_pattern_is_a_configuration_error() -> None:
    """A malformed allowlist pattern fails at start-up, not at the first delivery."""
    with pytest.raises(ValueError, match="not 'http"):
        Allowlist(["acme.rossum.app"])
