"""What the lifespan opens and every delivery uses: settings, the API client, caches, stores."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from client import AsyncRossumAPIClient, Token
from handlers.events import HookEvent
from handlers.routing import Router
from service.allowlist import Allowlist, BaseUrlNotAllowed
from service.async_jobs import AsyncJobs
from service.deadlines import Deadlines
from service.errors import MissingCredentials
from service.executor import Executor
from service.locks import KeyedLocks
from service.recording import Recorder
from service.settings import Settings
from service.shared_store import SharedStore
from service.stores import AnnotationLocks, DeliveryLedger, MemoryDeliveryLedger

# Path segments that follow the API root in the URLs a payload carries.
_RESOURCES = ("/annotations/", "/hooks/", "/documents/", "/queues/", "/emails/", "/uploads/")


@dataclass(frozen=True, slots=True)
class ApiTarget:
    """Where a delivery's API calls go, and whether they may go there at all.

    `root` is the API root (`base_url + "/api/v1"`, or the root the payload's own URLs show,
    e.g. `https://api.elis.rossum.ai/v1`); None when the payload names no host. `refused`
    says why the host is not allowed (then no API call is made), else None.
    """

    root: str | None
    refused: str | None = None


@dataclass(slots=True)
class ServiceState:
    """Everything a delivery needs, built once in the lifespan; reached via request state."""

    settings: Settings
    secrets: tuple[str, ...]
    allowlist: Allowlist
    router: Router
    api: AsyncRossumAPIClient
    executor: Executor
    recorder: Recorder | None = None
    locks: AnnotationLocks = field(default_factory=KeyedLocks)
    shared: SharedStore | None = None
    ledger: DeliveryLedger = field(default_factory=MemoryDeliveryLedger)
    async_jobs: AsyncJobs | None = None
    ready: bool = True
    # The deadlines of the deliveries' API work (one timer for all, `service.deadlines`).
    deadlines: Deadlines = field(default_factory=Deadlines)

    def api_target(self, event: HookEvent) -> ApiTarget:
        """Return the delivery's API root, checked against the allowlist."""
        if event.base_url:
            origin, path = event.base_url, "/api/v1"
        else:
            shown = _root_shown_by(event.annotation_url) or _root_shown_by(event.hook)
            if shown is None:
                return ApiTarget(root=None)
            origin, path = shown
        try:
            return ApiTarget(root=self.allowlist.check(origin) + path)
        except BaseUrlNotAllowed as exc:
            return ApiTarget(root=None, refused=str(exc))

    def api_host(self, api_root: str | None) -> str | None:
        """Return the host the delivery's API calls go to (for the canonical log line)."""
        url = self.settings.api_base_url if self.settings.has_own_credentials() else api_root
        return None if url is None else (_origin_of(url) or url).partition("://")[2] or None

    def api_for(self, event: HookEvent, *, target: ApiTarget) -> AsyncRossumAPIClient:
        """Return the client for this delivery: own credentials, or the hook's token."""
        if self.settings.has_own_credentials():
            return self.api
        if target.root is None or not event.rossum_authorization_token:
            raise MissingCredentials(
                "the decision needs the Rossum API, but the payload has no "
                "rossum_authorization_token (set the hook's token_owner) or no base_url, "
                "and no ROSSUM_HOOKS_API_* credentials are configured"
            )
        return self.api.derive(
            base_url=target.root, credentials=Token(event.rossum_authorization_token)
        )


def hook_id_of(url: str | None) -> int | None:
    """Return the id at the end of a hook URL (`.../hooks/781` -> 781), or None."""
    tail = (url or "").rstrip("/").rpartition("/")[2]
    return int(tail) if tail.isdigit() else None


def _origin_of(url: str | None) -> str | None:
    """Return `scheme://host[:port]` of an absolute URL."""
    if not url or "://" not in url:
        return None
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def _root_shown_by(url: str | None) -> tuple[str, str] | None:
    """Return (origin, API root path) of an absolute API URL (payloads without `base_url`).

    `https://api.elis.rossum.ai/v1/annotations/7` shows the root path `/v1`; a URL whose path
    names no known resource gets `/api/v1`.
    """
    if not url or "://" not in url:
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    origin = f"{parts.scheme}://{parts.netloc}"
    for resource in _RESOURCES:
        prefix, found, _ = parts.path.partition(resource)
        if found:
            return origin, prefix.rstrip("/")
    return origin, "/api/v1"
