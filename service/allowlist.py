"""The allowlist of Rossum hosts a payload's `base_url` may name.

A hook's token (or the service's own credentials) is sent to `base_url + "/api/v1"`, so a signed
but hostile or misconfigured payload must not be able to point it at any other host.
Patterns: `scheme://host[:port]`, where the host may start with `*.` (any subdomain, at any
depth, never the bare domain) and the port may be `*`. Without a port the scheme's default
port is meant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from service.errors import BaseUrlNotAllowed

_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class _Origin:
    scheme: str
    host: str
    port: int


def _origin(url: str) -> _Origin:
    """Parse `url` as a bare origin; raise ValueError on anything else."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError("expected an http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("user info is not allowed")
    if parts.query or parts.fragment or parts.path.rstrip("/"):
        raise ValueError("expected no path, query or fragment")
    port = parts.port if parts.port is not None else _DEFAULT_PORTS[scheme]
    return _Origin(scheme, parts.hostname.lower().rstrip("."), port)


@dataclass(frozen=True, slots=True)
class _Pattern:
    scheme: str
    host: str
    port: int | None  # None: any port

    @classmethod
    def parse(cls, pattern: str) -> _Pattern:
        scheme, sep, rest = pattern.strip().partition("://")
        if not sep or scheme.lower() not in _DEFAULT_PORTS or not rest:
            raise ValueError(f"allowed base URL {pattern!r} is not 'http(s)://host[:port]'")
        host, _, port = rest.rstrip("/").partition(":")
        if port == "*":
            return cls(scheme.lower(), host.lower(), None)
        if port and not port.isdigit():
            raise ValueError(f"allowed base URL {pattern!r} has a bad port")
        default = _DEFAULT_PORTS[scheme.lower()]
        return cls(scheme.lower(), host.lower(), int(port) if port else default)

    def matches(self, origin: _Origin) -> bool:
        if origin.scheme != self.scheme or (self.port is not None and origin.port != self.port):
            return False
        if self.host.startswith("*."):
            return origin.host.endswith(self.host[1:])
        return origin.host == self.host


class Allowlist:
    """Decide whether a payload's `base_url` names a trusted Rossum host."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self._patterns = tuple(_Pattern.parse(p) for p in patterns)

    def check(self, base_url: str) -> str:
        """Return `base_url` without a trailing slash, or raise `BaseUrlNotAllowed`."""
        try:
            origin = _origin(base_url)
        except ValueError as exc:
            raise BaseUrlNotAllowed(f"base_url {base_url!r} is not a bare origin: {exc}") from exc
        if not any(p.matches(origin) for p in self._patterns):
            raise BaseUrlNotAllowed(
                f"base_url {base_url!r} is not in ROSSUM_HOOKS_ALLOWED_BASE_URLS; "
                "no API call was made"
            )
        return base_url.strip().rstrip("/")
