"""The allowlist of Rossum hosts a payload's `base_url` may name.

A hook's token (or the service's own credentials) is sent to the payload's API root, so a
signed but hostile or misconfigured payload must not be able to point it at any other host.
Patterns: `scheme://host[:port]`, where the host may start with `*.` (any subdomain, at any
depth, never the bare domain) and the port may be `*`. Without a port the scheme's default
port is meant. A base URL must be a bare origin in plain ASCII whose host is a DNS name or an
IP address: a tab, a full-width dot or any other non-ASCII character is refused, never
"cleaned up" into an allowed host.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Visible ASCII only: `urlsplit` silently drops tabs and newlines, so check the raw text.
_PLAIN_URL = re.compile(r"[\x21-\x7e]+")
_DNS_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


class BaseUrlNotAllowed(ValueError):
    """The payload names a host outside the allowlist; no credential may go there."""


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        labels = host.split(".")
        return len(host) <= 253 and all(_DNS_LABEL.fullmatch(label) for label in labels)
    return True


@dataclass(frozen=True, slots=True)
class _Origin:
    scheme: str
    host: str
    port: int


@functools.lru_cache(maxsize=1024)
def _origin(url: str) -> _Origin:
    """Parse `url` as a bare origin; raise ValueError on anything else.

    Cached: deliveries name the same few base URLs again and again (errors are not cached).
    """
    if not _PLAIN_URL.fullmatch(url):
        raise ValueError("expected visible ASCII characters only")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise ValueError("expected an http(s) URL with a host")
    host = parts.hostname.lower().rstrip(".")
    if not _valid_host(host):
        raise ValueError("expected a DNS name or an IP address as host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("user info is not allowed")
    if parts.query or parts.fragment or parts.path.rstrip("/"):
        raise ValueError("expected no path, query or fragment")
    port = parts.port if parts.port is not None else _DEFAULT_PORTS[scheme]
    return _Origin(scheme, host, port)


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


def _bare_origin(base_url: str) -> _Origin:
    try:
        return _origin(base_url)
    except ValueError as exc:
        raise BaseUrlNotAllowed(f"base_url {base_url!r} is not a bare origin: {exc}") from exc


def bare_origin(base_url: str) -> str:
    """Return `base_url` without a trailing slash if it is a bare http(s) origin (as an
    allowlist requires), whatever its host; else raise `BaseUrlNotAllowed`."""
    _bare_origin(base_url)
    return base_url.rstrip("/")


class Allowlist:
    """Decide whether a payload's `base_url` names a trusted Rossum host."""

    def __init__(self, patterns: Iterable[str]) -> None:
        self._patterns = tuple(_Pattern.parse(p) for p in patterns)

    def check(self, base_url: str) -> str:
        """Return `base_url` without a trailing slash, or raise `BaseUrlNotAllowed`."""
        origin = _bare_origin(base_url)
        if not any(p.matches(origin) for p in self._patterns):
            raise BaseUrlNotAllowed(
                f"base_url {base_url!r} is not in ROSSUM_HOOKS_ALLOWED_BASE_URLS"
            )
        return base_url.rstrip("/")
