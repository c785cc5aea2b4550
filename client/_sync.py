"""The synchronous Rossum API client: same plans, same core, a blocking send loop.

No event loop runs underneath: it drives `httpx.Client` directly and runs the very plans the
async client runs (`client._api_*`), with a thread-safe in-flight limit and login lock.
Threads cannot be cancelled, so a deadline shrinks each attempt's timeouts to the time left.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx

from client._auth import Credentials, SyncTokenKeeper
from client._core import ClientCore, ResponsePostProcessor, http_options
from client._decoding import Deserializer
from client._dry_run import SAFE_METHODS
from client._errors import DeadlineExceeded, DryRunRefused, RossumError, transport_error
from client._methods import ApiMethods
from client._observer import RequestObserver
from client._pagination import Page, iter_listing
from client._plans import Build, Call, Gather, Listing, Op, ReadFiles, Sleep, Step, Stream
from client._retry import RetryPolicy

T = TypeVar("T")
Attempt = tuple[httpx.Response | None, Exception | None]


class SyncRossumAPIClient(ClientCore[SyncTokenKeeper], ApiMethods):
    """Synchronous Rossum API client with the async client's methods, arguments and behaviour.

    Same constructor as `AsyncRossumAPIClient` (an `httpx.BaseTransport`/`httpx.Client` is
    injected instead); safe to share between threads. `close()` or `with` releases the pool.
    """

    def __init__(
        self,
        base_url: str,
        credentials: Credentials,
        *,
        deserializer: Deserializer | None = None,
        timeout: float | httpx.Timeout | None = None,
        n_retries: int = 3,
        retry_backoff_factor: float = 1.0,
        retry_max_jitter: float = 1.0,
        max_in_flight_requests: int = 4,
        response_post_processor: ResponsePostProcessor | None = None,
        transport: httpx.BaseTransport | None = None,
        http_client: httpx.Client | None = None,
        max_requests_per_second: float | None = None,
        deadline: float | None = None,
        dry_run: bool = False,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        observer: RequestObserver | None = None,
    ) -> None:
        super().__init__(
            base_url,
            credentials,
            deserializer=deserializer,
            n_retries=n_retries,
            retry_backoff_factor=retry_backoff_factor,
            retry_max_jitter=retry_max_jitter,
            response_post_processor=response_post_processor,
            max_requests_per_second=max_requests_per_second,
            deadline=deadline,
            dry_run=dry_run,
            retry_policy=retry_policy,
            clock=clock,
            observer=observer,
        )
        self._sleep = time.sleep if sleep is None else sleep
        self._slots = threading.BoundedSemaphore(max_in_flight_requests)
        if http_client is not None:
            self._http, self._owns_http = http_client, False
        else:
            options = http_options(timeout, max_in_flight_requests)
            self._http = httpx.Client(transport=transport, **options)

    def _new_keeper(self, credentials: Credentials) -> SyncTokenKeeper:
        return SyncTokenKeeper(credentials)

    def derive(
        self,
        *,
        base_url: str | None = None,
        credentials: Credentials | None = None,
        dry_run: bool | None = None,
    ) -> SyncRossumAPIClient:
        """Return a cheap client sharing this one's pool and limits, with its own token."""
        return self._derived(base_url, credentials, dry_run)

    def close(self) -> None:
        """Close the connection pool (unless injected or shared with a parent)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> SyncRossumAPIClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def get_token(self, refresh: bool = False) -> str:
        """Return the current token, logging in first if there is none or `refresh` is set."""
        keeper = self._keeper
        if refresh or keeper.token is None:
            self._check_refreshable()
            keeper.refresh(keeper.generation, self._login)
        assert keeper.token is not None
        return keeper.token

    def authenticate(self) -> None:
        """Log in now with the user credentials (no-op for a plain Token)."""
        if self._keeper.refreshable:
            self._keeper.refresh(self._keeper.generation, self._login)

    def _login(self) -> str:
        url, kwargs = self._login_request()
        return self._token_from(self._attempts("POST", url, kwargs, True, auth=False))

    # ---- the send path ---------------------------------------------------------------------

    def _send(
        self, method: str, url: str, kwargs: Mapping[str, Any], idempotent: bool | None
    ) -> httpx.Response:
        url, same_origin = self._resolve(url)
        if self.dry_run and method not in SAFE_METHODS:
            return self._dry_run_answer(method, url, kwargs)
        return self._attempts(method, url, kwargs, idempotent, auth=same_origin)

    def _attempts(
        self,
        method: str,
        url: str,
        kwargs: Mapping[str, Any],
        idempotent: bool | None,
        *,
        auth: bool,
    ) -> httpx.Response:
        started = self._clock()
        deadline_at = None if self._deadline is None else started + self._deadline
        relogged = not (auth and self._keeper.refreshable)
        attempt = 0
        while True:
            request, generation = self._prepare(method, url, kwargs, auth, deadline_at)
            response, cause = self._send_once(request, deadline_at)
            if response is not None:
                self._observe(response, method, url, started)
                if response.status_code < 400:
                    return response
                if response.status_code == 401 and not relogged:
                    relogged = True
                    self._keeper.refresh(generation, self._login)
                    continue
            elif deadline_at is not None:
                self._time_left(request, deadline_at, cause)
            attempt += 1
            outcome = self._retry_wait(
                method, url, attempt, started, deadline_at, idempotent, response, cause
            )
            if isinstance(outcome, RossumError):
                raise outcome from cause
            self._sleep(outcome)

    def _send_once(self, request: httpx.Request, deadline_at: float | None) -> Attempt:
        """Send one attempt holding an in-flight slot (never across a backoff sleep)."""
        if deadline_at is None:
            self._slots.acquire()
        elif not self._slots.acquire(timeout=self._time_left(request, deadline_at)):
            self._time_left(request, deadline_at)
            raise DeadlineExceeded(
                "no free request slot", method=request.method, url=str(request.url)
            )
        try:
            if self._gate is not None:
                wait = self._gate.reserve(self._clock())
                if wait > 0:
                    if self._observer is not None:
                        self._observer.rate_waited(wait)
                    self._sleep(wait)
            observer = self._observer
            if observer is None:
                return self._http.send(request), None
            observer.request_started(request.method)
            status: int | None = None
            try:
                response = self._http.send(request)
                status = response.status_code
                return response, None
            finally:
                observer.request_finished(request.method, request.url.path, status)
        except httpx.HTTPError as exc:
            return None, exc
        finally:
            self._slots.release()

    def _prepare(
        self,
        method: str,
        url: str,
        kwargs: Mapping[str, Any],
        auth: bool,
        deadline_at: float | None,
    ) -> tuple[httpx.Request, int]:
        request = self._build_request(method, url, kwargs)
        if deadline_at is not None:
            request.extensions["timeout"] = self._timeout_within(request, deadline_at)
        keeper = self._keeper
        if auth and keeper.header is None:
            keeper.refresh(keeper.generation, self._login)
        generation, header = keeper.generation, keeper.header
        if auth and header is not None:
            request.headers["Authorization"] = header
        return request, generation

    def _timeout_within(self, request: httpx.Request, deadline_at: float) -> dict[str, float]:
        left = self._time_left(request, deadline_at)
        limits = httpx.Timeout(**request.extensions["timeout"]).as_dict()
        return {key: left if value is None else min(value, left) for key, value in limits.items()}

    def _time_left(
        self, request: httpx.Request, deadline_at: float, cause: Exception | None = None
    ) -> float:
        left = deadline_at - self._clock()
        if left <= 0:
            message = f"no answer within the {self._deadline} s deadline"
            raise DeadlineExceeded(message, method=request.method, url=str(request.url)) from cause
        return left

    # ---- running plans ---------------------------------------------------------------------

    def _call(self, call: Call[T]) -> T:
        if self._unsent_without_answer(call):
            return None  # type: ignore[return-value]
        response = self._send(call.method, call.url, call.request_kwargs(), call.idempotent)
        return self._decode(call, response)  # type: ignore[no-any-return]

    def _run(self, op: Op[T]) -> T:
        if isinstance(op, Call):
            return self._call(op)
        value: Any = None
        while True:
            try:
                step = op.send(value)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            value = self._step(step)

    def _step(self, step: Step) -> Any:
        if isinstance(step, Call):
            return self._call(step)
        if isinstance(step, Gather):
            return [self._call(call) for call in step.calls]
        if isinstance(step, Sleep):
            return self._sleep(step.seconds)
        if isinstance(step, ReadFiles):
            return [Path(path).read_bytes() for path in step.paths]
        assert isinstance(step, Build)
        return self._build(step.resource, step.data)

    def _iterate(self, listing: Listing[T]) -> Iterator[T]:
        def fetch(url: str, params: Mapping[str, Any] | None) -> Page:
            kwargs = self._page_kwargs(listing, params)
            response = self._send(listing.method, url, kwargs, listing.idempotent)
            return self._decode_page(listing, response)

        return iter_listing(listing, fetch)

    def _stream(self, stream: Stream) -> Iterator[bytes]:
        method = stream.method
        url, same_origin = self._resolve(stream.url)
        if self.dry_run and method not in SAFE_METHODS:
            raise DryRunRefused(f"dry run: will not stream {method} {url}")
        kwargs = {"params": stream.params} if stream.params else {}
        started, attempt = self._clock(), 0
        relogged = not (same_origin and self._keeper.refreshable)
        while True:
            request, generation = self._prepare(method, url, kwargs, same_origin, None)
            failed: httpx.Response | None = None
            cause: Exception | None = None
            with self._slots:  # held while the consumer reads the stream
                try:
                    response = self._http.send(request, stream=True)
                except httpx.HTTPError as exc:
                    cause = exc
                else:
                    yielded = False
                    try:
                        if response.status_code < 400:
                            for chunk in response.iter_bytes():
                                yielded = True
                                yield chunk
                            return
                        response.read()
                        failed = response
                    except httpx.HTTPError as exc:
                        if yielded:  # bytes already went out: a retry would repeat them
                            raise transport_error(exc, method, url) from exc
                        cause = exc
                    finally:
                        response.close()
            if failed is not None and failed.status_code == 401 and not relogged:
                relogged = True
                self._keeper.refresh(generation, self._login)
                continue
            attempt += 1
            outcome = self._retry_wait(method, url, attempt, started, None, None, failed, cause)
            if isinstance(outcome, RossumError):
                raise outcome from cause
            self._sleep(outcome)
