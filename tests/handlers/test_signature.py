"""Signature checks on raw delivery bodies."""

from __future__ import annotations

import pytest

from handlers.errors import InvalidSignature
from handlers.signature import (
    LEGACY_SIGNATURE_HEADER,
    SIGNATURE_HEADER,
    sign,
    signature_headers,
    verify,
)

BODY = b'{"event":"annotation_status","action":"changed"}'


def test_sha256_signature_matches_a_published_hmac_vector() -> None:
    """The header value is `sha256=` plus the HMAC-SHA256 hex of the raw body (RFC 4231 style)."""
    body = b"The quick brown fox jumps over the lazy dog"
    expected = "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    assert sign(body, "key") == f"sha256={expected}"
    assert sign(body, "key", "sha1") == "sha1=de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"


def test_valid_signature_with_any_of_several_secrets_is_accepted() -> None:
    """During rotation a body signed with the old or the new secret verifies."""
    headers = signature_headers(BODY, "old")
    assert verify(headers, BODY, ["new", "old"]) == "sha256"


def test_legacy_sha1_header_is_accepted_when_sha256_is_absent() -> None:
    """A delivery carrying only `X-Elis-Signature: sha1=` verifies."""
    headers = {LEGACY_SIGNATURE_HEADER.lower(): sign(BODY, "k", "sha1")}
    assert verify(headers, BODY, ["k"]) == "sha1"


@pytest.mark.parametrize(
    ("headers", "secrets", "message"),
    [
        pytest.param({}, ["k"], "missing", id="missing-header"),
        pytest.param({SIGNATURE_HEADER: "deadbeef"}, ["k"], "malformed", id="no-prefix"),
        pytest.param({SIGNATURE_HEADER: "sha1=abc"}, ["k"], "malformed", id="wrong-prefix"),
        pytest.param(
            {SIGNATURE_HEADER: sign(BODY, "other")}, ["k"], "does not match", id="wrong-secret"
        ),
        pytest.param(
            {SIGNATURE_HEADER: sign(BODY + b" ", "k")}, ["k"], "does not match", id="tampered"
        ),
        pytest.param({SIGNATURE_HEADER: sign(BODY, "k")}, [], "no webhook secret", id="no-secret"),
    ],
)
def test_bad_signatures_are_rejected(
    headers: dict[str, str], secrets: list[str], message: str
) -> None:
    """Missing, malformed, wrong-secret and tampered signatures raise InvalidSignature."""
    with pytest.raises(InvalidSignature, match=message):
        verify(headers, BODY, secrets)
