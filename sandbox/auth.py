"""API tokens: login, logout, bearer checks and the short-lived tokens handed to hooks.

Rossum (API reference, "Authentication"): `POST /auth/login` with username and password answers
`{"key", "domain"}`; the key goes in `Authorization: Bearer <key>` (legacy `Token <key>` still
works); default and maximum lifetime 162 hours; an expired or unknown key answers 401.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass

MAX_TOKEN_LIFETIME_S = 162 * 3600


@dataclass
class Token:
    """One API key: whose it is, until when, and whether a hook delivery owns it."""

    key: str
    user_id: int
    expires_at: float
    hook_id: int | None = None
    revoked: bool = False


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    user_id: int
    role: str
    token: str
    hook_id: int | None = None

    @property
    def is_hook(self) -> bool:
        """Tell whether the call was made with a hook delivery's token."""
        return self.hook_id is not None


class Tokens:
    """Issue, check, revoke and expire tokens against an injectable monotonic clock."""

    def __init__(self, *, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._tokens: dict[str, Token] = {}

    def issue(self, *, user_id: int, lifetime_s: float, hook_id: int | None = None) -> Token:
        """Create a fresh random token valid for `lifetime_s` seconds."""
        token = Token(
            key=secrets.token_hex(20),
            user_id=user_id,
            expires_at=self._clock() + lifetime_s,
            hook_id=hook_id,
        )
        self._tokens[token.key] = token
        return token

    def lookup(self, key: str) -> Token | None:
        """Return the token if it exists, is not revoked and has not expired."""
        token = self._tokens.get(key)
        if token is None or token.revoked or token.expires_at <= self._clock():
            return None
        return token

    def revoke(self, key: str) -> None:
        """Make `key` unusable from now on."""
        token = self._tokens.get(key)
        if token is not None:
            token.revoked = True

    def expire(self, keys: Collection[str] | None = None) -> int:
        """Expire the given keys, or every login token when None; return how many."""
        now = self._clock()
        chosen = [
            t
            for t in self._tokens.values()
            if (t.key in keys if keys is not None else t.hook_id is None) and t.expires_at > now
        ]
        for token in chosen:
            token.expires_at = now
        return len(chosen)


def key_from_header(value: str | None) -> str | None:
    """Return the key of an `Authorization: Bearer <key>` or `Token <key>` header."""
    if not value:
        return None
    scheme, _, key = value.strip().partition(" ")
    if scheme.lower() not in {"bearer", "token"} or not key.strip():
        return None
    return key.strip()
