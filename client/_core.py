"""State and pure logic shared by the async and the sync client.

Everything here is free of I/O: URL resolution and token scope, answer decoding, error
translation, the retry verdict, dry-run answers and derived-client copies. The two clients add
only their send loops (`await` or not) on top.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Self, TypeVar

import httpx
import structlog
from pydantic import ValidationError

from client._auth import Credentials, TokenState
from client._errors import (
    APIError,
    InvalidResponse,
    RateLimited,
    RossumError,
    Timeout,
    TransportError,
    error_class,
)
from client._pagination import Page, embed_sideloads, page_from_json, typed_page
from client._plans import Call, Listing
from client._resources import Resource
from client._retry import ErrorKind, RetryPolicy, parse_retry_after

log = structlog.get_logger()

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
USER_AGENT = "rossum-hooks-client/0.1"
Deserializer = Callable[[Resource[Any], Any], Any]
ResponsePostProcessor = Callable[[httpx.Response], Any]
K = TypeVar("K", bound=TokenState)


@dataclass(frozen=True, slots=True)
class DryRunCall:
    """An unsafe request a dry-run client did not send."""

    method: str
    url: str
    json: Any = None
    params: Mapping[str, Any] | None = None


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
    return httpx.Timeout(float(timeout), connect=min(float(timeout), DEFAULT_TIMEOUT.connect or 5))


def classify(exc: Exception) -> ErrorKind:
    """Tell whether a failed request surely never reached the server, or may have."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return "connect"
    if isinstance(exc, httpx.TimeoutException):
        return "timeout"
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.LocalProtocolError):
        return "fatal"
    if isinstance(exc, httpx.TransportError):
        return "transport"
    return "fatal"


def transport_error(exc: Exception, method: str, url: str) -> TransportError:
    """Translate an httpx failure into our error (to be raised `from exc`)."""
    kind = Timeout if isinstance(exc, httpx.TimeoutException) else TransportError
    return kind(f"{type(exc).__name__}: {exc}", method=method, url=url)


def api_error(
    response: httpx.Response, method: str, url: str, retry_after: float | None = None
) -> APIError:
    """Build the typed error of an error answer, with its parsed `{"detail", "code"}`."""
    body: Any = None
    with contextlib.suppress(ValueError):
        body = response.json()
    if isinstance(body, Mapping):
        detail = str(body.get("detail") or response.reason_phrase)
        code = body.get("code")
    else:
        detail = response.text[:200] or response.reason_phrase
        code = None
    status = response.status_code
    kwargs: dict[str, Any] = {"method": method, "url": url, "body": body}
    kwargs["headers"] = {k: v for k, v in response.headers.items() if k.lower() != "set-cookie"}
    if status == 429:
        return RateLimited(status, detail, code, retry_after=retry_after, **kwargs)
    return error_class(status)(status, detail, code, **kwargs)


def synthetic_answer(
    method: str, path: str, body: Any, prefix: str, fake_id: int
) -> tuple[int, Any]:
    """Return the status and JSON a dry run answers instead of sending an unsafe request."""
    segments = path.split("?", 1)[0].strip("/").split("/")
    echo = dict(body) if isinstance(body, Mapping) else {}
    if method == "DELETE":
        return 204, None
    if method == "POST" and len(segments) == 1:  # a create: echo with a fake id and URL
        return 201, {**echo, "id": fake_id, "url": f"{prefix}{segments[0]}/{fake_id}"}
    if method in ("PUT", "PATCH"):
        last = segments[-1]
        return 200, {**echo, "id": int(last) if last.isdigit() else None, "url": prefix + path}
    return 204, None


def _debug_enabled() -> bool:
    check = getattr(structlog.get_logger().bind(), "is_enabled_for", None)
    return True if check is None else bool(check(logging.DEBUG))


class ClientCore(Generic[K]):
    """Configuration, token scope, decoding and retry verdicts common to both clients."""

    _keeper: K

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
    ) -> None:
        self._deserializer = deserializer
        self._post_process = response_post_processor
        self._policy = retry_policy or RetryPolicy(
            retries=n_retries, backoff_factor=retry_backoff_factor, max_jitter=retry_max_jitter
        )
        self._gate = None if max_requests_per_second is None else RateGate(max_requests_per_second)
        self._deadline = deadline
        self._clock = clock or time.monotonic
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
        origin = httpx.URL(self.base_url)
        self._origin = (origin.scheme, origin.host, origin.port)
        self._keeper = self._new_keeper(credentials)

    def _derived(
        self, base_url: str | None, credentials: Credentials | None, dry_run: bool | None
    ) -> Self:
        # A shallow copy shares the httpx pool, the in-flight limit, the rate gate and the
        # retry policy; base URL, token and dry-run record are the child's own.
        child = copy.copy(self)
        child._owns_http = False
        child._target(base_url or self.base_url, credentials or self._keeper.credentials)
        child.dry_run = self.dry_run if dry_run is None else dry_run
        child.dry_run_calls = []
        child._fake_ids = itertools.count(-1, -1)
        return child

    def _resolve(self, url: str) -> tuple[str, bool]:
        """Return the absolute URL and whether the token may be sent there."""
        if "://" not in url:
            return self._prefix + url.lstrip("/"), True
        if url.startswith(self._prefix):
            return url, True
        parsed = httpx.URL(url)
        return url, (parsed.scheme, parsed.host, parsed.port) == self._origin

    def _dry_run_answer(self, method: str, url: str, kwargs: Mapping[str, Any]) -> httpx.Response:
        body = kwargs.get("json")
        self.dry_run_calls.append(DryRunCall(method, url, body, kwargs.get("params")))
        path = url.removeprefix(self._prefix)
        log.info("rossum.dry_run", method=method, path=path)
        status, payload = synthetic_answer(method, path, body, self._prefix, next(self._fake_ids))
        request = httpx.Request(method, url)
        if payload is None:
            return httpx.Response(status, request=request)
        return httpx.Response(status, json=payload, request=request)

    def _retry_wait(
        self,
        *,
        method: str,
        url: str,
        attempt: int,
        started: float,
        deadline_at: float | None,
        idempotent: bool | None,
        response: httpx.Response | None = None,
        exc: Exception | None = None,
    ) -> float | RossumError:
        """Return how long to wait before retrying, or the error to raise."""
        now = self._clock()
        status: int | None = None
        kind: ErrorKind | None = None
        retry_after: float | None = None
        if response is not None:
            status = response.status_code
            header = response.headers.get("Retry-After") if status in (429, 503) else None
            retry_after = parse_retry_after(header)
            error: RossumError = api_error(response, method, url, retry_after)
            if status == 429:
                log.warning(
                    "rossum.rate_limited", method=method, url=url, retry_after_s=retry_after
                )
        else:
            assert exc is not None
            kind = classify(exc)
            error = transport_error(exc, method, url)
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
        reason = kind or str(status)
        if wait is None:
            return error
        log.info(
            "rossum.retry",
            method=method,
            url=url,
            attempt=attempt,
            wait_s=round(wait, 3),
            reason=reason,
        )
        return wait

    def _log_request(self, method: str, url: str, status: int, started: float) -> None:
        elapsed_ms = round((self._clock() - started) * 1000, 1)
        log.debug("rossum.request", method=method, url=url, status=status, elapsed_ms=elapsed_ms)

    # ---- decoding ---------------------------------------------------------------------------

    def _decode(self, call: Call[Any], response: httpx.Response) -> Any:
        kind = call.result
        if kind == "model":
            assert call.resource is not None
            return self._model(call.resource, response)
        if kind == "json":
            return self._json(response)
        if kind == "bytes":
            return response.content
        if kind == "response":
            return response
        return None

    def _json(self, response: httpx.Response) -> Any:
        content = response.content
        if not content:
            return {}
        try:
            return json.loads(content)
        except ValueError as exc:
            raise InvalidResponse(f"{response.request.url}: answer is not JSON") from exc

    def _model(self, resource: Resource[Any], response: httpx.Response) -> Any:
        if self._deserializer is not None or resource.model is None:
            return self._build(resource, self._json(response))
        try:
            return resource.model.model_validate_json(response.content)
        except ValidationError as exc:
            raise InvalidResponse(f"{response.request.url}: not a {resource.name}") from exc

    def _build(self, resource: Resource[Any], data: Any) -> Any:
        if self._deserializer is not None:
            return self._deserializer(resource, data)
        if resource.model is None:
            return data
        try:
            return resource.model.model_validate(data)
        except ValidationError as exc:
            raise InvalidResponse(f"not a {resource.name}: {exc}") from exc

    def _decode_page(self, listing: Listing[Any], response: httpx.Response) -> Page:
        resource = listing.resource
        model = None if resource is None else resource.model
        if model is not None and self._deserializer is None and not listing.sideloads:
            try:
                return typed_page(model).model_validate_json(response.content).page()
            except ValidationError as exc:
                raise InvalidResponse(f"{response.request.url}: not a page of {model}") from exc
        data = self._json(response)
        if not isinstance(data, dict):
            raise InvalidResponse(f"{response.request.url}: a list answer must be an object")
        if listing.sideloads:
            embed_sideloads(data, listing.sideloads)
        results = data.get("results") or []
        items = results if resource is None else [self._build(resource, r) for r in results]
        return page_from_json(data, items)


def as_method(method: Callable[..., Any], op: Callable[..., Any]) -> None:
    """Give a client method the name, docs and signature of the operation it runs."""
    functools.update_wrapper(method, op)
    signature = inspect.signature(op)
    params = list(signature.parameters.values())
    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_ONLY)
    bound = signature.replace(
        parameters=[self_param, *params[1:]], return_annotation=inspect.Signature.empty
    )
    setattr(method, "__signature__", bound)  # noqa: B010 - not declared on Callable
    delattr(method, "__wrapped__")
