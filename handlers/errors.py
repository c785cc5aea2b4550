"""Errors raised by the pure core when a delivery cannot be accepted.

HookError            (code: str, a stable machine-readable id)
├── InvalidSignature  signature missing, malformed, or matching no configured secret
└── BadPayload        body is not JSON, or not a hook payload of a known shape

InvalidOperation (a ValueError): a content operation Rossum would refuse (`handlers.operations`).
"""

from __future__ import annotations


class HookError(Exception):
    """A delivery that cannot be accepted; `code` is stable, `detail` is for humans."""

    code = "hook_error"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code


class InvalidSignature(HookError):
    """The signature header is missing, malformed, or matches no configured secret."""

    code = "invalid_signature"


class BadPayload(HookError):
    """The body is not JSON, or its shape is not a hook payload."""

    code = "bad_payload"


class InvalidOperation(ValueError):
    """A content operation Rossum would refuse; the message names the operation and why."""

    code = "invalid_operation"
