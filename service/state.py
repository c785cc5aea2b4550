"""What the lifespan opens and every delivery uses: settings, the API client, caches, locks."""

from __future__ import annotations

from dataclasses import dataclass, field

from client import AsyncRossumAPIClient, Token
from handlers.events import HookEvent
from handlers.routing import Router
from service.allowlist import Allowlist
from service.errors import MissingCredentials
from service.executor import Executor
from service.locks import KeyedLocks
from service.recording import Recorder
from service.settings import Settings
from service.shared_locks import SharedLocks
from service.shared_store import SharedStore


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
    locks: KeyedLocks | SharedLocks = field(default_factory=KeyedLocks)
    shared: SharedStore | None = None
    ready: bool = True

    def check_base_url(self, event: HookEvent) -> str | None:
        """Return the payload's base URL if allowed (None if it names none); else raise."""
        base_url = event.base_url or _origin_of(event.hook)
        return None if base_url is None else self.allowlist.check(base_url)

    def api_host(self, base_url: str | None) -> str | None:
        """Return the host the delivery's API calls go to (for the canonical log line)."""
        url = self.settings.api_base_url if self.settings.has_own_credentials() else base_url
        return None if url is None else (_origin_of(url) or url).partition("://")[2] or None

    def api_for(self, event: HookEvent, *, base_url: str | None) -> AsyncRossumAPIClient:
        """Return the client for this delivery: own credentials, or the hook's token."""
        if self.settings.has_own_credentials():
            return self.api
        if base_url is None or not event.rossum_authorization_token:
            raise MissingCredentials(
                "the decision needs the Rossum API, but the payload has no "
                "rossum_authorization_token (set the hook's token_owner) or no base_url, "
                "and no ROSSUM_HOOKS_API_* credentials are configured"
            )
        return self.api.derive(
            base_url=f"{base_url}/api/v1", credentials=Token(event.rossum_authorization_token)
        )


def hook_id_of(url: str | None) -> int | None:
    """Return the id at the end of a hook URL (`.../hooks/781` -> 781), or None."""
    tail = (url or "").rstrip("/").rpartition("/")[2]
    return int(tail) if tail.isdigit() else None


def _origin_of(url: str | None) -> str | None:
    """Return `scheme://host[:port]` of an absolute URL (old payloads have no `base_url`)."""
    if not url or "://" not in url:
        return None
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"
