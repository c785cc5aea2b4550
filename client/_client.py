"""The asynchronous Rossum API client: the I/O shell around the shared plans and core.

Send path, one concern per layer: public method (`client._methods`) -> plan (`client._api_*`)
-> `_run` (flows) -> `_send` (dry run, deadline) -> `_attempts` (auth, retry) -> `_send_once`
(in-flight limit, rate gate) -> httpx.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import httpx

from client._auth import AsyncTokenKeeper, Credentials
from client._core import ClientCore, ResponsePostProcessor, http_options
from client._decoding import Deserializer
from client._dry_run import SAFE_METHODS
from client._errors import DeadlineExceeded, DryRunRefused, RossumError, transport_error
from client._methods import ApiMethods
from client._observer import RateLimiter, RequestObserver
from client._pagination import Page, aiter_listing
from client._plans import Build, Call, Gather, Listing, Op, ReadFiles, Sleep, Step, Stream
from client._pool import SessionlessClient, async_transport
from client._retry import RetryPolicy

T = TypeVar("T")
Attempt = tuple[httpx.Response | None, Exception | None]


class AsyncRossumAPIClient(ClientCore[AsyncTokenKeeper], ApiMethods):
    """Asynchronous Rossum API client, a drop-in for `rossum_api.AsyncRossumAPIClient`.

    `base_url` includes `/api/v1`. `timeout` (seconds or `httpx.Timeout`; None means the
    default connect 5 s / read 30 s, never "no timeout"). `n_retries` is the number of
    *retries* after the first attempt (the SDK counted attempts). `max_in_flight_requests`
    bounds every request of this client and of the clients derived from it;
    `max_requests_per_second` spaces them out; a `rate_limiter` (`client.RateLimiter`)
    replaces that cap with one keyed by API host, e.g. shared by several processes.
    `observer` (`client.RequestObserver`) is told of every attempt, retry and rate wait.
    `deadline` bounds each call in seconds, retries and waits included.
    `transport`/`http_client` inject httpx plumbing (respx, the sandbox); an injected
    `http_client` is not closed by `aclose()`. With `dry_run=True` only GET/HEAD/
    OPTIONS are sent; others are recorded in `dry_run_calls` and answered with a synthetic
    success. The per-request `rossum.request` debug event is built only if the logger
    `rossum_hooks.client` had DEBUG enabled when the client was made (`client._log`).
    `retry_policy`, `sleep` and `clock` replace the retry knobs, `asyncio.sleep` and
    `time.monotonic` (tests use them to never really wait).
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
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        max_requests_per_second: float | None = None,
        deadline: float | None = None,
        dry_run: bool = False,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], Coroutine[Any, Any, None]] | None = None,
        clock: Callable[[], float] | None = None,
        observer: RequestObserver | None = None,
        rate_limiter: RateLimiter | None = None,
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
            rate_limiter=rate_limiter,
        )
        self._sleep = asyncio.sleep if sleep is None else sleep
        self._slots = asyncio.Semaphore(max_in_flight_requests)
        if http_client is not None:
            self._http, self._owns_http = http_client, False
        else:
            options = http_options(timeout, max_in_flight_requests)
            if transport is None:
                transport = async_transport(options["verify"], options["limits"])
            self._http = SessionlessClient(transport=transport, **options)

    def _new_keeper(self, credentials: Credentials) -> AsyncTokenKeeper:
        return AsyncTokenKeeper(credentials)

    def derive(
        self,
        *,
        base_url: str | None = None,
        credentials: Credentials | None = None,
        dry_run: bool | None = None,
    ) -> AsyncRossumAPIClient:
        """Return a cheap client sharing this one's pool and limits, with its own token.

        No httpx client is built. The derived client records its own `dry_run_calls`
        (one delivery's calls); closing it leaves the shared pool open.
        """
        return self._derived(base_url, credentials, dry_run)

    async def aclose(self) -> None:
        """Close the connection pool (unless injected or shared with a parent)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncRossumAPIClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def get_token(self, refresh: bool = False) -> str:
        """Return the current token, logging in first if there is none or `refresh` is set."""
        keeper = self._keeper
        if refresh or keeper.token is None:
            self._check_refreshable()
            await keeper.refresh(keeper.generation, self._login)
        assert keeper.token is not None
        return keeper.token

    async def authenticate(self) -> None:
        """Log in now with the user credentials (no-op for a plain Token)."""
        if self._keeper.refreshable:
            await self._keeper.refresh(self._keeper.generation, self._login)

    async def _login(self) -> str:
        url, kwargs = self._login_request()
        return self._token_from(await self._attempts("POST", url, kwargs, True, auth=False))

    # ---- the send path ---------------------------------------------------------------------

    async def _send(
        self, method: str, url: str, kwargs: Mapping[str, Any], idempotent: bool | None
    ) -> httpx.Response:
        url, same_origin = self._resolve(url)
        if self.dry_run and method not in SAFE_METHODS:
            return self._dry_run_answer(method, url, kwargs)
        if self._deadline is None:
            return await self._attempts(method, url, kwargs, idempotent, auth=same_origin)
        try:
            async with asyncio.timeout(self._deadline):
                return await self._attempts(method, url, kwargs, idempotent, auth=same_origin)
        except TimeoutError as exc:
            message = f"no answer within the {self._deadline} s deadline"
            raise DeadlineExceeded(message, method=method, url=url) from exc

    async def _attempts(
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
            request, generation = await self._prepare(method, url, kwargs, auth)
            response, cause = await self._send_once(request)
            if response is not None:
                self._observe(response, method, url, started)
                if response.status_code < 400:
                    return response
                if response.status_code == 401 and not relogged:
                    relogged = True
                    await self._keeper.refresh(generation, self._login)
                    continue
            attempt += 1
            outcome = self._retry_wait(
                method, url, attempt, started, deadline_at, idempotent, response, cause
            )
            if isinstance(outcome, RossumError):
                raise outcome from cause
            await self._sleep(outcome)

    async def _send_once(self, request: httpx.Request) -> Attempt:
        """Send one attempt holding an in-flight slot (never across a backoff sleep)."""
        try:
            async with self._slots:
                if self._limiter is not None:
                    await self._wait_for_rate(await self._limiter.reserve(self._rate_key))
                elif self._gate is not None:
                    await self._wait_for_rate(self._gate.reserve(self._clock()))
                observer = self._observer
                if observer is None:
                    return await self._http.send(request), None
                observer.request_started(request.method)
                status: int | None = None
                try:
                    response = await self._http.send(request)
                    status = response.status_code
                    return response, None
                finally:
                    observer.request_finished(request.method, request.url.path, status)
        except httpx.HTTPError as exc:
            return None, exc

    async def _wait_for_rate(self, wait: float) -> None:
        if wait > 0:
            if self._observer is not None:
                self._observer.rate_waited(wait)
            await self._sleep(wait)

    async def _prepare(
        self, method: str, url: str, kwargs: Mapping[str, Any], auth: bool
    ) -> tuple[httpx.Request, int]:
        request = self._build_request(method, url, kwargs)
        keeper = self._keeper
        if auth and keeper.header is None:
            await keeper.refresh(keeper.generation, self._login)
        generation, header = keeper.generation, keeper.header
        if auth and header is not None:
            request.headers["Authorization"] = header
        return request, generation

    # ---- running plans ---------------------------------------------------------------------

    async def _call(self, call: Call[T]) -> T:
        if self._unsent_without_answer(call):
            return None  # type: ignore[return-value]
        response = await self._send(call.method, call.url, call.request_kwargs(), call.idempotent)
        return self._decode(call, response)  # type: ignore[no-any-return]

    async def _run(self, op: Op[T]) -> T:
        if isinstance(op, Call):
            return await self._call(op)
        value: Any = None
        while True:
            try:
                step = op.send(value)
            except StopIteration as stop:
                return stop.value  # type: ignore[no-any-return]
            value = await self._step(step)

    async def _step(self, step: Step) -> Any:
        if isinstance(step, Call):
            return await self._call(step)
        if isinstance(step, Gather):
            tasks = [asyncio.ensure_future(self._call(call)) for call in step.calls]
            try:
                return await asyncio.gather(*tasks)
            except BaseException:
                for task in tasks:
                    task.cancel()
                raise
        if isinstance(step, Sleep):
            return await self._sleep(step.seconds)
        if isinstance(step, ReadFiles):
            return [await asyncio.to_thread(Path(path).read_bytes) for path in step.paths]
        assert isinstance(step, Build)
        return self._build(step.resource, step.data)

    def _iterate(self, listing: Listing[T]) -> AsyncIterator[T]:
        async def fetch(url: str, params: Mapping[str, Any] | None) -> Page:
            kwargs = self._page_kwargs(listing, params)
            response = await self._send(listing.method, url, kwargs, listing.idempotent)
            return self._decode_page(listing, response)

        return aiter_listing(listing, fetch)

    async def _stream(self, stream: Stream) -> AsyncIterator[bytes]:
        method = stream.method
        url, same_origin = self._resolve(stream.url)
        if self.dry_run and method not in SAFE_METHODS:
            raise DryRunRefused(f"dry run: will not stream {method} {url}")
        kwargs = {"params": stream.params} if stream.params else {}
        started, attempt = self._clock(), 0
        relogged = not (same_origin and self._keeper.refreshable)
        while True:
            request, generation = await self._prepare(method, url, kwargs, same_origin)
            failed: httpx.Response | None = None
            cause: Exception | None = None
            async with self._slots:  # held while the consumer reads the stream
                try:
                    response = await self._http.send(request, stream=True)
                except httpx.HTTPError as exc:
                    cause = exc
                else:
                    yielded = False
                    try:
                        if response.status_code < 400:
                            async for chunk in response.aiter_bytes():
                                yielded = True
                                yield chunk
                            return
                        await response.aread()
                        failed = response
                    except httpx.HTTPError as exc:
                        if yielded:  # bytes already went out: a retry would repeat them
                            raise transport_error(exc, method, url) from exc
                        cause = exc
                    finally:
                        await response.aclose()
            if failed is not None and failed.status_code == 401 and not relogged:
                relogged = True
                await self._keeper.refresh(generation, self._login)
                continue
            attempt += 1
            outcome = self._retry_wait(method, url, attempt, started, None, None, failed, cause)
            if isinstance(outcome, RossumError):
                raise outcome from cause
            await self._sleep(outcome)
