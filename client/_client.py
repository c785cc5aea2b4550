"""The asynchronous Rossum API client: the send loop, and every API method as a one-liner.

Send path, one concern per layer: public method -> plan (`client._api_*`) -> `_run` (flows) ->
`_send` (dry run, deadline) -> `_attempts` (auth, in-flight limit, rate gate, retry) -> httpx.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar

import httpx
import structlog

from client import _api_annotations as ann
from client import _api_labels as lab
from client import _api_objects as obj
from client import _api_uploads as upl
from client._auth import AsyncTokenKeeper, Credentials, token_from_login
from client._core import (
    SAFE_METHODS,
    USER_AGENT,
    ClientCore,
    Deserializer,
    ResponsePostProcessor,
    as_method,
    make_timeout,
    transport_error,
)
from client._errors import (
    AuthenticationError,
    DeadlineExceeded,
    DryRunRefused,
    InvalidResponse,
    RossumError,
)
from client._pagination import Page, aiter_listing
from client._plans import (
    Build,
    Call,
    Gather,
    Listing,
    Op,
    ReadFiles,
    Sleep,
    Step,
    Stream,
    query_params,
)
from client._retry import RetryPolicy

log = structlog.get_logger()
P = ParamSpec("P")
T = TypeVar("T")


def _coro(
    op: Callable[Concatenate[str, P], Op[T]],
) -> Callable[Concatenate[AsyncRossumAPIClient, P], Coroutine[Any, Any, T]]:
    async def method(self: AsyncRossumAPIClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._run(op(self.base_url, *args, **kwargs))

    as_method(method, op)
    return method


def _list(
    op: Callable[Concatenate[str, P], Listing[T]],
) -> Callable[Concatenate[AsyncRossumAPIClient, P], AsyncIterator[T]]:
    def method(
        self: AsyncRossumAPIClient, /, *args: P.args, **kwargs: P.kwargs
    ) -> AsyncIterator[T]:
        return self._iterate(op(self.base_url, *args, **kwargs))

    as_method(method, op)
    return method


def _bytes(
    op: Callable[Concatenate[str, P], Stream],
) -> Callable[Concatenate[AsyncRossumAPIClient, P], AsyncIterator[bytes]]:
    def method(
        self: AsyncRossumAPIClient, /, *args: P.args, **kwargs: P.kwargs
    ) -> AsyncIterator[bytes]:
        return self._stream(op(self.base_url, *args, **kwargs))

    as_method(method, op)
    return method


class AsyncRossumAPIClient(ClientCore[AsyncTokenKeeper]):
    """Asynchronous Rossum API client, a drop-in for `rossum_api.AsyncRossumAPIClient`.

    `base_url` includes `/api/v1`. `timeout` (seconds or `httpx.Timeout`; None means the
    default connect 5 s / read 30 s, never "no timeout"). `n_retries` is the number of
    *retries* after the first attempt (the SDK counted attempts). `max_in_flight_requests`
    bounds every request of this client and of the clients derived from it;
    `max_requests_per_second` spaces them out. `deadline` bounds each call in seconds, retries
    and waits included. `transport`/`http_client` inject httpx plumbing (respx, the sandbox);
    an injected `http_client` is not closed by `aclose()`. With `dry_run=True` only GET/HEAD/
    OPTIONS are sent; others are recorded in `dry_run_calls` and answered with a synthetic
    success. `sleep` and `clock` are for tests.
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
        )
        self._sleep = sleep or asyncio.sleep
        self._slots = asyncio.Semaphore(max_in_flight_requests)
        if http_client is not None:
            self._http, self._owns_http = http_client, False
        else:
            limits = httpx.Limits(
                max_connections=max_in_flight_requests,
                max_keepalive_connections=max_in_flight_requests,
            )
            self._http = httpx.AsyncClient(
                timeout=make_timeout(timeout),
                transport=transport,
                limits=limits,
                headers={"User-Agent": USER_AGENT},
            )

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

        The derived client keeps its own `dry_run_calls`; closing it leaves the pool open.
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

    # ---- token management ------------------------------------------------------------------

    async def get_token(self, refresh: bool = False) -> str:
        """Return the current token, logging in first if there is none or `refresh` is set."""
        keeper = self._keeper
        if refresh or keeper.token is None:
            if not keeper.refreshable:
                raise AuthenticationError(
                    None, "a Token cannot be refreshed; use UserCredentials", "cannot_refresh"
                )
            await keeper.refresh(keeper.generation, self._login)
        assert keeper.token is not None
        return keeper.token

    async def authenticate(self) -> None:
        """Log in now with the user credentials (no-op for a plain Token)."""
        if self._keeper.refreshable:
            await self._keeper.refresh(self._keeper.generation, self._login)

    async def _login(self) -> str:
        reason = "initial" if self._keeper.token is None else "expired"
        log.info("rossum.relogin", base_url=self.base_url, reason=reason)
        kwargs = {"data": self._keeper.login_form()}
        url = self._prefix + "auth/login"
        response = await self._attempts("POST", url, kwargs, idempotent=True, auth=False)
        try:
            return token_from_login(response)
        except ValueError as exc:
            raise InvalidResponse(f"{url}: login answer carries no token") from exc

    # ---- generic requests ------------------------------------------------------------------

    async def request(
        self, method: str, url: str, *, idempotent: bool | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send a request to any endpoint (relative to `base_url`); return the raw answer."""
        return await self._send(method.upper(), url, kwargs, idempotent)

    async def request_json(
        self, method: str, url: str, *, idempotent: bool | None = None, **kwargs: Any
    ) -> Any:
        """Send a request to any endpoint; return its decoded JSON (`{}` for no content)."""
        return self._json(await self._send(method.upper(), url, kwargs, idempotent))

    def request_paginated(
        self,
        url: str,
        ordering: Sequence[str] = (),
        sideloads: Sequence[str] = (),
        content_schema_ids: Sequence[str] = (),
        method: str = "GET",
        max_pages: int | None = None,
        json: Any = None,
        *,
        page_numbers: bool = False,
        **filters: Any,
    ) -> AsyncIterator[Any]:
        """Iterate over the results of any paginated endpoint, as plain dicts."""
        params = query_params(ordering, sideloads, content_schema_ids, filters)
        plan: Listing[Any] = Listing(
            url, None, params, method.upper(), json, tuple(sideloads), page_numbers, None, max_pages
        )
        return self._iterate(plan)

    # ---- the send path ---------------------------------------------------------------------

    async def _send(
        self, method: str, url: str, kwargs: Mapping[str, Any], idempotent: bool | None
    ) -> httpx.Response:
        url, same_origin = self._resolve(url)
        if self.dry_run and method not in SAFE_METHODS:
            return self._dry_run_answer(method, url, kwargs)
        if self._deadline is None:
            return await self._attempts(method, url, kwargs, idempotent, same_origin=same_origin)
        try:
            async with asyncio.timeout(self._deadline):
                return await self._attempts(
                    method, url, kwargs, idempotent, same_origin=same_origin
                )
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
        same_origin: bool = True,
        auth: bool = True,
    ) -> httpx.Response:
        started = self._clock()
        deadline_at = None if self._deadline is None else started + self._deadline
        auth = auth and same_origin  # the token never leaves base_url's origin
        relogged = not (auth and self._keeper.refreshable)
        attempt = 0
        while True:
            request, generation = await self._prepare(method, url, kwargs, auth)
            cause: Exception | None = None
            response: httpx.Response | None = None
            try:
                async with self._slots:
                    if self._gate is not None:
                        await self._throttle()
                    response = await self._http.send(request)
            except httpx.HTTPError as exc:
                cause = exc
            else:
                if self._post_process is not None:
                    self._post_process(response)
                if self._debug:
                    self._log_request(method, url, response.status_code, started)
                if response.status_code < 400:
                    return response
                if response.status_code == 401 and not relogged:
                    relogged = True
                    await self._keeper.refresh(generation, self._login)
                    continue
            attempt += 1
            await self._recover(
                method, url, attempt, started, deadline_at, idempotent, response, cause
            )

    async def _prepare(
        self, method: str, url: str, kwargs: Mapping[str, Any], auth: bool
    ) -> tuple[httpx.Request, int]:
        try:
            request = self._http.build_request(method, url, **kwargs)
        except httpx.InvalidURL as exc:
            raise ValueError(f"invalid URL {url!r}: {exc}") from exc
        generation = self._keeper.generation
        if auth:
            header = self._keeper.header or await self._keeper.refresh(generation, self._login)
            request.headers["Authorization"] = header
        return request, generation

    async def _throttle(self) -> None:
        assert self._gate is not None
        wait = self._gate.reserve(self._clock())
        if wait > 0:
            await self._sleep(wait)

    # ---- running plans ---------------------------------------------------------------------

    async def _call(self, call: Call[T]) -> T:
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
            kwargs: dict[str, Any] = {} if params is None else {"params": params}
            if listing.json is not None:
                kwargs["json"] = listing.json
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
            async with self._slots:
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
            await self._recover(method, url, attempt, started, None, None, failed, cause)

    async def _recover(
        self,
        method: str,
        url: str,
        attempt: int,
        started: float,
        deadline_at: float | None,
        idempotent: bool | None,
        response: httpx.Response | None,
        cause: Exception | None,
    ) -> None:
        """Wait before the next attempt, or raise the error if there is none."""
        outcome = self._retry_wait(
            method=method,
            url=url,
            attempt=attempt,
            started=started,
            deadline_at=deadline_at,
            idempotent=idempotent,
            response=response,
            exc=cause,
        )
        if isinstance(outcome, RossumError):
            raise outcome from cause
        await self._sleep(outcome)

    # ---- the API, one line per method (plans in client._api_*) ----------------------------

    list_annotations = _list(ann.list_annotations)
    search_for_annotations = _list(ann.search_for_annotations)
    retrieve_annotation = _coro(ann.retrieve_annotation)
    poll_annotation = _coro(ann.poll_annotation)
    poll_annotation_until_imported = _coro(ann.poll_annotation_until_imported)
    start_annotation = _coro(ann.start_annotation)
    update_annotation = _coro(ann.update_annotation)
    update_part_annotation = _coro(ann.update_part_annotation)
    bulk_update_annotation_data = _coro(ann.bulk_update_annotation_data)
    retrieve_annotation_content = _coro(ann.retrieve_annotation_content)
    confirm_annotation = _coro(ann.confirm_annotation)
    create_new_annotation = _coro(ann.create_new_annotation)
    delete_annotation = _coro(ann.delete_annotation)
    cancel_annotation = _coro(ann.cancel_annotation)
    postpone_annotation = _coro(ann.postpone_annotation)
    reject_annotation = _coro(ann.reject_annotation)
    switch_annotation_queue = _coro(ann.switch_annotation_queue)
    retrieve_document = _coro(ann.retrieve_document)
    retrieve_document_content = _coro(ann.retrieve_document_content)
    create_new_document = _coro(ann.create_new_document)
    list_document_relations = _list(ann.list_document_relations)
    retrieve_document_relation = _coro(ann.retrieve_document_relation)
    create_new_document_relation = _coro(ann.create_new_document_relation)
    update_document_relation = _coro(ann.update_document_relation)
    update_part_document_relation = _coro(ann.update_part_document_relation)
    delete_document_relation = _coro(ann.delete_document_relation)
    list_relations = _list(ann.list_relations)
    create_new_relation = _coro(ann.create_new_relation)
    upload_document = _coro(upl.upload_document)
    import_document = _coro(upl.import_document)
    upload_and_wait_until_imported = _coro(upl.upload_and_wait_until_imported)
    retrieve_upload = _coro(upl.retrieve_upload)
    retrieve_task = _coro(upl.retrieve_task)
    poll_task = _coro(upl.poll_task)
    poll_task_until_succeeded = _coro(upl.poll_task_until_succeeded)
    export_annotations_to_json = _list(upl.export_annotations_to_json)
    export_annotations_to_file = _bytes(upl.export_annotations_to_file)
    import_email = _coro(upl.import_email)
    list_queues = _list(obj.list_queues)
    retrieve_queue = _coro(obj.retrieve_queue)
    create_new_queue = _coro(obj.create_new_queue)
    update_queue = _coro(obj.update_queue)
    update_part_queue = _coro(obj.update_part_queue)
    delete_queue = _coro(obj.delete_queue)
    list_organizations = _list(obj.list_organizations)
    retrieve_organization = _coro(obj.retrieve_organization)
    retrieve_own_organization = _coro(obj.retrieve_own_organization)
    retrieve_my_organization = _coro(obj.retrieve_my_organization)
    list_schemas = _list(obj.list_schemas)
    retrieve_schema = _coro(obj.retrieve_schema)
    create_new_schema = _coro(obj.create_new_schema)
    update_schema = _coro(obj.update_schema)
    update_part_schema = _coro(obj.update_part_schema)
    delete_schema = _coro(obj.delete_schema)
    list_users = _list(obj.list_users)
    retrieve_user = _coro(obj.retrieve_user)
    create_new_user = _coro(obj.create_new_user)
    update_user = _coro(obj.update_user)
    update_part_user = _coro(obj.update_part_user)
    list_user_roles = _list(obj.list_user_roles)
    list_workspaces = _list(obj.list_workspaces)
    retrieve_workspace = _coro(obj.retrieve_workspace)
    create_new_workspace = _coro(obj.create_new_workspace)
    update_workspace = _coro(obj.update_workspace)
    update_part_workspace = _coro(obj.update_part_workspace)
    delete_workspace = _coro(obj.delete_workspace)
    create_new_inbox = _coro(obj.create_new_inbox)
    retrieve_email = _coro(obj.retrieve_email)
    list_email_templates = _list(obj.list_email_templates)
    retrieve_email_template = _coro(obj.retrieve_email_template)
    create_new_email_template = _coro(obj.create_new_email_template)
    list_connectors = _list(obj.list_connectors)
    retrieve_connector = _coro(obj.retrieve_connector)
    create_new_connector = _coro(obj.create_new_connector)
    list_hooks = _list(obj.list_hooks)
    retrieve_hook = _coro(obj.retrieve_hook)
    create_new_hook = _coro(obj.create_new_hook)
    update_part_hook = _coro(obj.update_part_hook)
    delete_hook = _coro(obj.delete_hook)
    list_hook_logs = _list(obj.list_hook_logs)
    list_rules = _list(obj.list_rules)
    retrieve_rule = _coro(obj.retrieve_rule)
    create_new_rule = _coro(obj.create_new_rule)
    update_part_rule = _coro(obj.update_part_rule)
    delete_rule = _coro(obj.delete_rule)
    list_labels = _list(lab.list_labels)
    retrieve_label = _coro(lab.retrieve_label)
    create_new_label = _coro(lab.create_new_label)
    update_label = _coro(lab.update_label)
    update_part_label = _coro(lab.update_part_label)
    delete_label = _coro(lab.delete_label)
    apply_labels = _coro(lab.apply_labels)
