"""Signing hook deliveries as Rossum does.

API reference, "Validating payloads from Rossum": when a hook's `config.secret` is set, Rossum
sends the lowercase hex HMAC-SHA256 of the raw request body, keyed with the secret's UTF-8
bytes, as `X-Rossum-Signature-SHA256: sha256=<hex>`. The legacy header
`X-Elis-Signature: sha1=<hex>` (HMAC-SHA1 of the same body) is sent where Rossum support has
enabled it; the sandbox sends it when `SandboxSettings.legacy_signature` is on.
"""

from __future__ import annotations

import hashlib
import hmac

SHA256_HEADER = "X-Rossum-Signature-SHA256"
SHA1_HEADER = "X-Elis-Signature"


def signed_headers(body: bytes, secret: str, *, legacy: bool = False) -> dict[str, str]:
    """Return the signature headers of one delivery of `body` under `secret`."""
    key = secret.encode("utf-8")
    headers = {SHA256_HEADER: "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()}
    if legacy:
        headers[SHA1_HEADER] = "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest()
    return headers
