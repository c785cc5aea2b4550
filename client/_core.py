"""State and pure logic shared by the async and the sync client.

Nothing here performs I/O: configuration, URL resolution and token scope, dry-run answers,
the retry verdict, login requests, logging of answers and derived-client copies. The two
clients add only their send loops (`await` or not) on top.
"""

from __future__ import annotations

import functools
import itertools
import logging
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Generic, Self, TypeVar

import httpx

from client import _log as log
from client._auth import Credentials, TokenState, token_from_login
from client._decoding import Deserializer, build, decode_call, decode_json, decode_page
from client._dry_run import SAFE_METHODS, DryRunCall, synthetic_response
from client._errors import (
    AuthenticationError,
    InvalidResponse,
    RossumError,
    api_error,
    classify,
    transport_error,
)
from client._observer import RateLimiter, RequestObserver
from client._pagination import Page
from client._plans import Call, Listing
from client._resources import Resource
from client._retry import ErrorKind, RetryPolicy, parse_retry_after

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
USER_AGENT = "rossum-hooks-client/0.1"
ResponsePostProcessor = Callable[[httpx.Response], Any]
K = TypeVar("K", bound=TokenState)


class RateGate:
    """Space requests `1 / rate` seconds apart (client-side cap, e.g. Rossum's 10 req/s)."""

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError(f"max_requests_per_second must be positive, got {rate!r}")
        self._interval = 1.0 / rate
        self._next = 0.0
        self._lock = threading.Lock()

    def reserve(self, now: float) -> float:
        """Book the next free slot; return how long to wait for it."""
        with self._lock:
            start = max(now, self._next)
            self._next = start + self._interval
        return start - now


def make_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    """Return an httpx timeout; None means the default, never "wait forever"."""
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, httpx.Timeout):
        return timeout
    seconds = float(timeout)
    return httpx.Timeout(seconds, connect=min(seconds, DEFAULT_TIMEOUT.connect or 5.0))


@functools.cache
def shared_ssl_context() -> ssl.SSLContext:
    """Return one verifying SSL context for all clients (building one costs ~50 ms)."""
    return httpx.create_ssl_context()


def http_options(timeout: float | httpx.Timeout | None, in_flight: int) -> dict[str, Any]:
    """Return the httpx client options: timeouts, a pool sized to the in-flight limit."""
    limits = httpx.Limits(max_connections=in_flight, max_keepalive_connections=in_flight)
    return {
        "timeout": make_timeout(timeout),
        "limits": limits,
        "headers": {"User-Agent": USER_AGENT},
        "verify": shared_ssl_context(),
    }


@functools.lru_cache(maxsize=256)
def _origin_parts(base_url: str) -> tuple[tuple[str, str, int | None], str]:
    """Return `(scheme, host, port)` and the netloc of an API root, parsed once per root
    (a client is derived for every delivery, mostly for the same few roots).
    """
    url = httpx.URL(base_url)
    return (url.scheme, url.host, url.port), url.netloc.decode("ascii")


@functools.lru_cache(maxsize=1024)
def _parsed_url(url: str) -> httpx.URL:
    """Return `url` parsed (httpx URLs are immutable; a delivery's calls go to the same few
    absolute URLs, so each is parsed once, not on every request and retry).
    """
    return httpx.URL(url)


def _debug_enabled() -> bool:
    return log.enabled(logging.DEBUG)


class ClientCore(Generic[K]):
    """Configuration, token scope, decoding and retry verdicts common to both clients."""

    _keeper: K
    _http: Any

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        deserializer: Deserializer | None,
        n_retries: int,
        retry_backoff_factor: float,
        retry_max_jitter: float,
        response_post_processor: ResponsePostProcessor | None,
        max_requests_per_second: float | None,
        deadline: float | None,
        dry_run: bool,
        retry_policy: RetryPolicy | None,
        clock: Callable[[], float] | None,
        observer: RequestObserver | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self._observer = observer
        self._limiter = rate_limiter
        self._deserializer = deserializer
        self._post_process = response_post_processor
        self._policy = retry_policy or RetryPolicy(
            retries=n_retries, backoff_factor=retry_backoff_factor, max_jitter=retry_max_jitter
        )
        self._gate = None if max_requests_per_second is None else RateGate(max_requests_per_second)
        self._deadline = deadline
        self._clock = time.monotonic if clock is None else clock
        self._debug = _debug_enabled()
        self._owns_http = True
        self.dry_run = dry_run
        self.dry_run_calls: list[DryRunCall] = []
        self._fake_ids = itertools.count(-1, -1)
        self._target(base_url, credentials)

    def _new_keeper(self, credentials: Credentials) -> K:
        raise NotImplementedError

    def _target(self, base_url: str, credentials: Credentials) -> None:
        self.base_url = base_url.rstrip("/")
        self._prefix = self.base_url + "/"
        # The shared rate cap's budget: one per API host (one Rossum organisation).
        self._origin, self._rate_key = _origin_parts(self.base_url)
        self._keeper = self._new_keeper(credentials)

    def _derived(
        self, base_url: str | None, credentials: Credentials | None, dry_run: bool | None
    ) -> Self:
        # A shallow copy shares the httpx pool, the in-flight limit, the rate gate and the
        # retry policy; base URL, token and dry-run record are the child's own. (What
        # `copy.copy` does for a plain object, without its generic reduce protocol: a client is
        # derived for every delivery.)
        child = object.__new__(type(self))
        child.__dict__.update(self.__dict__)
        child._owns_http = False
        child._target(base_url or self.base_url, credentials or self._keeper.credentials)
        child.dry_run = self.dry_run if dry_run is None else dry_run
        child.dry_run_calls = []
        child._fake_ids = itertools.count(-1, -1)
        return child

    # ---- requests ---------------------------------------------------------------------------

    def _resolve(self, url: str) -> tuple[str, bool]:
        """Return the absolute URL and whether the token may be sent there."""
        if "://" not in url:
            return self._prefix + url.lstrip("/"), True
        if url.startswith(self._prefix):
            return url, True
        try:
            parsed = httpx.URL(url)
        except httpx.InvalidURL as exc:
            raise ValueError(f"invalid URL {url!r}: {exc}") from exc
        return url, (parsed.scheme, parsed.host, parsed.port) == self._origin

    def _build_request(self, method: str, url: str, kwargs: Mapping[str, Any]) -> httpx.Request:
        try:
            parsed = _parsed_url(url)
            return self._http.build_request(method, parsed, **kwargs)  # type: ignore[no-any-return]
        except httpx.InvalidURL as exc:
            raise ValueError(f"invalid URL {url!r}: {exc}") from exc

    @staticmethod
    def _page_kwargs(listing: Listing[Any], params: Mapping[str, Any] | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {} if params is None else {"params": params}
        if listing.json is not None:
            kwargs["json"] = listing.json
        return kwargs

    def _dry_run_answer(self, method: str, url: str, kwargs: Mapping[str, Any]) -> httpx.Response:
        body = kwargs.get("json")
        fake_id = self._record_unsent(method, url, body, kwargs.get("params"))
        return synthetic_response(method, url, body, self._prefix, fake_id)

    def _record_unsent(self, method: str, url: str, body: Any, params: Any) -> int:
        """Record an unsafe request a dry run does not send; return its fake id."""
        self.dry_run_calls.append(DryRunCall(method, url, body, params))
        log.info("rossum.dry_run", method=method, url=url)
        return next(self._fake_ids)

    def _unsent_without_answer(self, call: Call[Any]) -> bool:
        """In a dry run, record an unsafe call whose answer nobody reads (`result="none"`,
        e.g. `labels/apply`) and return True: the caller returns None without building a
        synthetic response. False for every other call (it takes the send path).
        """
        if not self.dry_run or call.result != "none" or call.method in SAFE_METHODS:
            return False
        url, _ = self._resolve(call.url)
        kwargs = call.request_kwargs()
        self._record_unsent(call.method, url, kwargs.get("json"), kwargs.get("params"))
        return True

    def _observe(self, response: httpx.Response, method: str, url: str, started: float) -> None:
        """Hand an answer to the post-processor and, if enabled, the debug log."""
        if self._post_process is not None:
            self._post_process(response)
        if self._debug:
            elapsed_ms = round((self._clock() - started) * 1000, 1)
            status = response.status_code
            log.debug(
                "rossum.request", method=method, url=url, status=status, elapsed_ms=elapsed_ms
            )

    # ---- auth -------------------------------------------------------------------------------

    def _check_refreshable(self) -> None:
        if not self._keeper.refreshable:
            message = "a Token cannot be refreshed; use UserCredentials"
            raise AuthenticationError(None, message, "cannot_refresh")

    def _login_request(self) -> tuple[str, dict[str, Any]]:
        reason = "initial" if self._keeper.token is None else "expired"
        log.info("rossum.relogin", base_url=self.base_url, reason=reason)
        return self._prefix + "auth/login", {"data": self._keeper.login_form()}

    def _token_from(self, response: httpx.Response) -> str:
        try:
            return token_from_login(response)
        except ValueError as exc:
            raise InvalidResponse(f"{response.request.url}: login answer has no token") from exc

    # ---- retries ----------------------------------------------------------------------------

    def _retry_wait(
        self,
        method: str,
        url: str,
        attempt: int,
        started: float,
        deadline_at: float | None,
        idempotent: bool | None,
        response: httpx.Response | None,
        cause: Exception | None,
    ) -> float | RossumError:
        """Return how long to wait before retrying, or the error to raise."""
        status, kind, retry_after, error = self._outcome(method, url, response, cause)
        now = self._clock()
        wait = self._policy.wait(
            attempt=attempt,
            method=method,
            status=status,
            error=kind,
            retry_after=retry_after,
            elapsed=now - started,
            budget=None if deadline_at is None else deadline_at - now,
            idempotent=idempotent,
        )
        if wait is None:
            return error
        reason = kind or str(status)
        if self._observer is not None:
            self._observer.retrying(method, httpx.URL(url).path, reason, wait)
        log.info(
            "rossum.retry",
            method=method,
            url=url,
            attempt=attempt,
            wait_s=round(wait, 3),
            reason=reason,
        )
        return wait

    @staticmethod
    def _outcome(
        method: str, url: str, response: httpx.Response | None, cause: Exception | None
    ) -> tuple[int | None, ErrorKind | None, float | None, RossumError]:
        """Return (status, error kind, Retry-After, typed error) of a failed attempt."""
        if response is None:
            assert cause is not None
            return None, classify(cause), None, transport_error(cause, method, url)
        status = response.status_code
        header = response.headers.get("Retry-After") if status in (429, 503) else None
        retry_after = parse_retry_after(header)
        if status == 429:
            log.warning("rossum.rate_limited", method=method, url=url, retry_after_s=retry_after)
        return status, None, retry_after, api_error(response, method, url, retry_after)

    # ---- decoding ---------------------------------------------------------------------------

    def _decode(self, call: Call[Any], response: httpx.Response) -> Any:
        return decode_call(call, response, self._deserializer)

    def _json(self, response: httpx.Response) -> Any:
        return decode_json(response)

    def _build(self, resource: Resource[Any], data: Any) -> Any:
        return build(resource, data, self._deserializer)

    def _decode_page(self, listing: Listing[Any], response: httpx.Response) -> Page:
        return decode_page(listing, response, self._deserializer)
