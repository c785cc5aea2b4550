"""Credentials and the token they yield, with single-flight login per token generation.

Each 401 is tagged with the token generation the failed request carried. Re-login happens only
if that generation is still current, under a lock, so however many requests hit 401 at once,
one login runs and the rest retry with its token.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx


@dataclass(frozen=True, slots=True)
class Token:
    """An API token (e.g. a hook's `rossum_authorization_token`); it cannot be refreshed."""

    token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class UserCredentials:
    """Username and password, exchanged for a token at `POST /auth/login`."""

    username: str
    password: str = field(repr=False)


Credentials = Token | UserCredentials


class TokenState:
    """The current token of one client and its generation (bumped on every login)."""

    __slots__ = ("credentials", "generation", "header", "token")

    def __init__(self, credentials: Credentials) -> None:
        if not isinstance(credentials, Token | UserCredentials):
            raise TypeError(f"credentials must be Token or UserCredentials, not {credentials!r}")
        self.credentials = credentials
        self.generation = 0
        self.token: str | None = None
        self.header: str | None = None
        if isinstance(credentials, Token):
            self._set(credentials.token)

    @property
    def refreshable(self) -> bool:
        """Tell whether a new token can be obtained (only with username and password)."""
        return isinstance(self.credentials, UserCredentials)

    def login_form(self) -> dict[str, str]:
        """Return the form body of `POST /auth/login`."""
        creds = self.credentials
        assert isinstance(creds, UserCredentials)
        return {"username": creds.username, "password": creds.password}

    def needs_login(self, seen_generation: int) -> bool:
        """Tell whether a login is due for a request that carried `seen_generation`."""
        return self.token is None or self.generation == seen_generation

    def _set(self, token: str) -> None:
        self.token = token
        self.header = f"Bearer {token}"
        self.generation += 1


def token_from_login(response: httpx.Response) -> str:
    """Return the token of a successful login answer (`{"key": ...}`)."""
    key = response.json().get("key")
    if not isinstance(key, str) or not key:
        raise ValueError("login answer has no 'key'")
    return key


class AsyncTokenKeeper(TokenState):
    """Token state with an asyncio single-flight login."""

    __slots__ = ("_lock",)

    def __init__(self, credentials: Credentials) -> None:
        super().__init__(credentials)
        self._lock = asyncio.Lock()

    async def refresh(self, seen_generation: int, login: Callable[[], Awaitable[str]]) -> str:
        """Log in unless another caller already replaced the token `seen_generation` saw."""
        async with self._lock:
            if self.needs_login(seen_generation):
                self._set(await login())
        assert self.header is not None
        return self.header


class SyncTokenKeeper(TokenState):
    """Token state with a thread-safe single-flight login."""

    __slots__ = ("_lock",)

    def __init__(self, credentials: Credentials) -> None:
        super().__init__(credentials)
        self._lock = threading.Lock()

    def refresh(self, seen_generation: int, login: Callable[[], str]) -> str:
        """Log in unless another thread already replaced the token `seen_generation` saw."""
        with self._lock:
            if self.needs_login(seen_generation):
                self._set(login())
        assert self.header is not None
        return self.header
