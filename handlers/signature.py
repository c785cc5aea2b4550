"""HMAC signatures of hook deliveries, as Rossum computes them.

Rossum signs the raw request body with the hook's `config.secret`: HMAC-SHA256 in
`X-Rossum-Signature-SHA256: sha256=<hex>`, and on request the legacy HMAC-SHA1 in
`X-Elis-Signature: sha1=<hex>` (API reference, "Validating payloads from Rossum").
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from typing import Literal

from handlers.errors import InvalidSignature

SIGNATURE_HEADER = "X-Rossum-Signature-SHA256"
LEGACY_SIGNATURE_HEADER = "X-Elis-Signature"

Algorithm = Literal["sha256", "sha1"]
_HEADERS: dict[Algorithm, str] = {"sha256": SIGNATURE_HEADER, "sha1": LEGACY_SIGNATURE_HEADER}


def digest(body: bytes, secret: str, algorithm: Algorithm = "sha256") -> str:
    """Return the lowercase hex HMAC of `body` under `secret` (one-shot, in C)."""
    return hmac.digest(secret.encode(), body, algorithm).hex()


def sign(body: bytes, secret: str, algorithm: Algorithm = "sha256") -> str:
    """Return the signature header value (`"sha256=<hex>"`) for `body`."""
    return f"{algorithm}={digest(body, secret, algorithm)}"


def signature_headers(body: bytes, secret: str, *, legacy: bool = False) -> dict[str, str]:
    """Return the headers Rossum would send for `body`: SHA-256, and SHA-1 when `legacy`."""
    headers = {SIGNATURE_HEADER: sign(body, secret, "sha256")}
    if legacy:
        headers[LEGACY_SIGNATURE_HEADER] = sign(body, secret, "sha1")
    return headers


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def verify(headers: Mapping[str, str], body: bytes, secrets: Sequence[str]) -> Algorithm:
    """Check the body's signature against every secret; return the algorithm that matched.

    The SHA-256 header is preferred; the legacy SHA-1 header is consulted only when the
    SHA-256 one is absent. Comparison is constant-time.
    """
    if not secrets:
        raise InvalidSignature("no webhook secret is configured to verify the signature")
    for algorithm in ("sha256", "sha1"):
        value = _header(headers, _HEADERS[algorithm])
        if value is None:
            continue
        prefix, sep, received = value.strip().partition("=")
        # Header values arrive as latin-1 text: any byte can be there. Only ASCII hex can
        # match, and `compare_digest` refuses non-ASCII str, so refuse it as malformed here.
        if not sep or prefix.lower() != algorithm or not received or not received.isascii():
            raise InvalidSignature(
                f"malformed {_HEADERS[algorithm]} header; expected '{algorithm}=<hex>'"
            )
        if any(hmac.compare_digest(received.lower(), digest(body, s, algorithm)) for s in secrets):
            return algorithm
        raise InvalidSignature("signature does not match any configured secret")
    raise InvalidSignature(f"missing {SIGNATURE_HEADER} header")
