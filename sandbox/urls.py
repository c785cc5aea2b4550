"""Object URLs: built from the advertised base, parsed back into ids.

Objects are stored with integer references; URLs are made only when an object is serialised,
because the base URL may differ per request (in-process `http://testserver`, loopback port,
or the configured `public_url`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request

from sandbox.errors import bad_request

API_PREFIX = "/api/v1"
_PATH = re.compile(r"^/api/v1/(?P<kind>[a-z_]+)/(?P<id>\d+)/?$")


@dataclass(frozen=True)
class Urls:
    """Build object URLs under one base (`https://host`, no `/api/v1`)."""

    base: str

    @classmethod
    def from_request(cls, request: Request, public_url: str | None) -> Urls:
        """Return the URLs for `public_url`, or for the request's own base URL."""
        base = public_url or str(request.base_url)
        return cls(base.rstrip("/"))

    @property
    def api(self) -> str:
        """Return the API root, `<base>/api/v1`."""
        return self.base + API_PREFIX

    def of(self, kind: str, object_id: int) -> str:
        """Return the URL of object `object_id` of `kind` (`"labels"`, `"queues"`, ...)."""
        return f"{self.api}/{kind}/{object_id}"

    def maybe(self, kind: str, object_id: int | None) -> str | None:
        """Return the URL of an optional reference."""
        return None if object_id is None else self.of(kind, object_id)

    def many(self, kind: str, object_ids: list[int]) -> list[str]:
        """Return the URLs of a list of references."""
        return [self.of(kind, i) for i in object_ids]


def id_from_url(value: object, kind: str, *, field: str, allow_int: bool = False) -> int:
    """Return the id in an object URL of `kind`, or raise 400 naming `field`.

    The host is not compared: the same sandbox answers under several bases.
    """
    if allow_int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        raise bad_request(f"{field}: incorrect type; expected a URL string, got {value!r}.")
    match = _PATH.match(urlsplit(value).path)
    if match is None or match["kind"] != kind:
        raise bad_request(f"{field}: invalid hyperlink {value!r}; expected a {kind} URL.")
    return int(match["id"])
