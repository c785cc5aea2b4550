"""The synchronous Rossum API client: same plans, same core, a blocking send loop.

No event loop runs underneath: it drives `httpx.Client` directly and runs the very plans the
async client runs (`client._api_*`), with a thread-safe in-flight limit and login lock.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Concatenate, ParamSpec, TypeVar

import httpx
import structlog

from client import _api_annotations as ann
from client import _api_labels as lab
from client import _api_objects as obj
from client import _api_uploads as upl
from client._auth import Credentials, SyncTokenKeeper, token_from_login
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
from client._pagination import Page, iter_listing
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


def _plain(
    op: Callable[Concatenate[str, P], Op[T]],
) -> Callable[Concatenate[SyncRossumAPIClient, P], T]:
    def method(self: SyncRossumAPIClient, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return self._run(op(self.base_url, *args, **kwargs))

    as_method(method, op)
    return method


def _list(
    op: Callable[Concatenate[str, P], Listing[T]],
) -> Callable[Concatenate[SyncRossumAPIClient, P], Iterator[T]]:
    def method(self: SyncRossumAPIClient, /, *args: P.args, **kwargs: P.kwargs) -> Iterator[T]:
        return self._iterate(op(self.base_url, *args, **kwargs))

    as_method(method, op)
    return method


def _bytes(
    op: Callable[Concatenate[str, P], Stream],
) -> Callable[Concatenate[SyncRossumAPIClient, P], Iterator[bytes]]:
    def method(self: SyncRossumAPIClient, /, *args: P.args, **kwargs: P.kwargs) -> Iterator[bytes]:
        return self._stream(op(self.base_url, *args, **kwargs))

    as_method(method, op)
    return method


class SyncRossumAPIClient(ClientCore[SyncTokenKeeper]):
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
        self._sleep = sleep or time.sleep
        self._slots = threading.BoundedSemaphore(max_in_flight_requests)
        if http_client is not None:
            self._http, self._owns_http = http_client, False
        else:
            limits = httpx.Limits(
                max_connections=max_in_flight_requests,
                max_keepalive_connections=max_in_flight_requests,
            )
            self._http = httpx.Client(
                timeout=make_timeout(timeout),
                transport=transport,
                limits=limits,
                headers={"User-Agent": USER_AGENT},
            )

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

    # ---- token management ------------------------------------------------------------------

    def get_token(self, refresh: bool = False) -> str:
        """Return the current token, logging in first if there is none or `refresh` is set."""
        keeper = self._keeper
        if refresh or keeper.token is None:
            if not keeper.refreshable:
                raise AuthenticationError(
                    None, "a Token cannot be refreshed; use UserCredentials", "cannot_refresh"
                )
            keeper.refresh(keeper.generation, self._login)
        assert keeper.token is not None
        return keeper.token

    def authenticate(self) -> None:
        """Log in now with the user credentials (no-op for a plain Token)."""
        if self._keeper.refreshable:
            self._keeper.refresh(self._keeper.generation, self._login)

    def _login(self) -> str:
        reason = "initial" if self._keeper.token is None else "expired"
        log.info("rossum.relogin", base_url=self.base_url, reason=reason)
        kwargs = {"data": self._keeper.login_form()}
        url = self._prefix + "auth/login"
        response = self._attempts("POST", url, kwargs, idempotent=True, auth=False)
        try:
            return token_from_login(response)
        except ValueError as exc:
            raise InvalidResponse(f"{url}: login answer carries no token") from exc

    # ---- generic requests ------------------------------------------------------------------

    def request(
        self, method: str, url: str, *, idempotent: bool | None = None, **kwargs: Any
    ) -> httpx.Response:
        """Send a request to any endpoint (relative to `base_url`); return the raw answer."""
        return self._send(method.upper(), url, kwargs, idempotent)

    def request_json(
        self, method: str, url: str, *, idempotent: bool | None = None, **kwargs: Any
    ) -> Any:
        """Send a request to any endpoint; return its decoded JSON (`{}` for no content)."""
        return self._json(self._send(method.upper(), url, kwargs, idempotent))

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
    ) -> Iterator[Any]:
        """Iterate over the results of any paginated endpoint, as plain dicts."""
        params = query_params(ordering, sideloads, content_schema_ids, filters)
        plan: Listing[Any] = Listing(
            url, None, params, method.upper(), json, tuple(sideloads), page_numbers, None, max_pages
        )
        return self._iterate(plan)

    # ---- the send path ---------------------------------------------------------------------

    def _send(
        self, method: str, url: str, kwargs: Mapping[str, Any], idempotent: bool | None
    ) -> httpx.Response:
        url, same_origin = self._resolve(url)
        if self.dry_run and method not in SAFE_METHODS:
            return self._dry_run_answer(method, url, kwargs)
        return self._attempts(method, url, kwargs, idempotent, same_origin=same_origin)

    def _attempts(
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
            request, generation = self._prepare(method, url, kwargs, auth, deadline_at)
            cause: Exception | None = None
            response: httpx.Response | None = None
            try:
                self._acquire(method, url, deadline_at)
                try:
                    if self._gate is not None:
                        self._throttle()
                    response = self._http.send(request)
                finally:
                    self._slots.release()
            except httpx.HTTPError as exc:
                self._check_deadline(method, url, deadline_at, exc)
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
                    self._keeper.refresh(generation, self._login)
                    continue
            attempt += 1
            self._recover(method, url, attempt, started, deadline_at, idempotent, response, cause)

    def _prepare(
        self,
        method: str,
        url: str,
        kwargs: Mapping[str, Any],
        auth: bool,
        deadline_at: float | None = None,
    ) -> tuple[httpx.Request, int]:
        if deadline_at is not None:
            # No thread can be cancelled, so each attempt's timeouts shrink to the time left.
            kwargs = {**kwargs, "timeout": self._timeout_within(method, url, deadline_at)}
        try:
            request = self._http.build_request(method, url, **kwargs)
        except httpx.InvalidURL as exc:
            raise ValueError(f"invalid URL {url!r}: {exc}") from exc
        generation = self._keeper.generation
        if auth:
            header = self._keeper.header or self._keeper.refresh(generation, self._login)
            request.headers["Authorization"] = header
        return request, generation

    def _timeout_within(self, method: str, url: str, deadline_at: float) -> httpx.Timeout:
        left = self._check_deadline(method, url, deadline_at)
        base = self._http.timeout
        parts = (base.connect, base.read, base.write, base.pool)
        connect, read, write, pool = (left if p is None else min(p, left) for p in parts)
        return httpx.Timeout(connect=connect, read=read, write=write, pool=pool)

    def _check_deadline(
        self, method: str, url: str, deadline_at: float | None, cause: Exception | None = None
    ) -> float:
        left = float("inf") if deadline_at is None else deadline_at - self._clock()
        if left <= 0:
            message = f"no answer within the {self._deadline} s deadline"
            raise DeadlineExceeded(message, method=method, url=url) from cause
        return left

    def _acquire(self, method: str, url: str, deadline_at: float | None) -> None:
        if deadline_at is None:
            self._slots.acquire()
        elif not self._slots.acquire(timeout=self._check_deadline(method, url, deadline_at)):
            self._check_deadline(method, url, deadline_at)
            raise DeadlineExceeded(
                "no free request slot before the deadline", method=method, url=url
            )

    def _throttle(self) -> None:
        assert self._gate is not None
        wait = self._gate.reserve(self._clock())
        if wait > 0:
            self._sleep(wait)

    def _recover(
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
        self._sleep(outcome)

    # ---- running plans ---------------------------------------------------------------------

    def _call(self, call: Call[T]) -> T:
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
            kwargs: dict[str, Any] = {} if params is None else {"params": params}
            if listing.json is not None:
                kwargs["json"] = listing.json
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
            request, generation = self._prepare(method, url, kwargs, same_origin)
            failed: httpx.Response | None = None
            cause: Exception | None = None
            with self._slots:
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
            self._recover(method, url, attempt, started, None, None, failed, cause)

    # ---- the API, one line per method (plans in client._api_*) ----------------------------

    list_annotations = _list(ann.list_annotations)
    search_for_annotations = _list(ann.search_for_annotations)
    retrieve_annotation = _plain(ann.retrieve_annotation)
    poll_annotation = _plain(ann.poll_annotation)
    poll_annotation_until_imported = _plain(ann.poll_annotation_until_imported)
    start_annotation = _plain(ann.start_annotation)
    update_annotation = _plain(ann.update_annotation)
    update_part_annotation = _plain(ann.update_part_annotation)
    bulk_update_annotation_data = _plain(ann.bulk_update_annotation_data)
    retrieve_annotation_content = _plain(ann.retrieve_annotation_content)
    confirm_annotation = _plain(ann.confirm_annotation)
    create_new_annotation = _plain(ann.create_new_annotation)
    delete_annotation = _plain(ann.delete_annotation)
    cancel_annotation = _plain(ann.cancel_annotation)
    postpone_annotation = _plain(ann.postpone_annotation)
    reject_annotation = _plain(ann.reject_annotation)
    switch_annotation_queue = _plain(ann.switch_annotation_queue)
    retrieve_document = _plain(ann.retrieve_document)
    retrieve_document_content = _plain(ann.retrieve_document_content)
    create_new_document = _plain(ann.create_new_document)
    list_document_relations = _list(ann.list_document_relations)
    retrieve_document_relation = _plain(ann.retrieve_document_relation)
    create_new_document_relation = _plain(ann.create_new_document_relation)
    update_document_relation = _plain(ann.update_document_relation)
    update_part_document_relation = _plain(ann.update_part_document_relation)
    delete_document_relation = _plain(ann.delete_document_relation)
    list_relations = _list(ann.list_relations)
    create_new_relation = _plain(ann.create_new_relation)
    upload_document = _plain(upl.upload_document)
    import_document = _plain(upl.import_document)
    upload_and_wait_until_imported = _plain(upl.upload_and_wait_until_imported)
    retrieve_upload = _plain(upl.retrieve_upload)
    retrieve_task = _plain(upl.retrieve_task)
    poll_task = _plain(upl.poll_task)
    poll_task_until_succeeded = _plain(upl.poll_task_until_succeeded)
    export_annotations_to_json = _list(upl.export_annotations_to_json)
    export_annotations_to_file = _bytes(upl.export_annotations_to_file)
    import_email = _plain(upl.import_email)
    list_queues = _list(obj.list_queues)
    retrieve_queue = _plain(obj.retrieve_queue)
    create_new_queue = _plain(obj.create_new_queue)
    update_queue = _plain(obj.update_queue)
    update_part_queue = _plain(obj.update_part_queue)
    delete_queue = _plain(obj.delete_queue)
    list_organizations = _list(obj.list_organizations)
    retrieve_organization = _plain(obj.retrieve_organization)
    retrieve_own_organization = _plain(obj.retrieve_own_organization)
    retrieve_my_organization = _plain(obj.retrieve_my_organization)
    list_schemas = _list(obj.list_schemas)
    retrieve_schema = _plain(obj.retrieve_schema)
    create_new_schema = _plain(obj.create_new_schema)
    update_schema = _plain(obj.update_schema)
    update_part_schema = _plain(obj.update_part_schema)
    delete_schema = _plain(obj.delete_schema)
    list_users = _list(obj.list_users)
    retrieve_user = _plain(obj.retrieve_user)
    create_new_user = _plain(obj.create_new_user)
    update_user = _plain(obj.update_user)
    update_part_user = _plain(obj.update_part_user)
    list_user_roles = _list(obj.list_user_roles)
    list_workspaces = _list(obj.list_workspaces)
    retrieve_workspace = _plain(obj.retrieve_workspace)
    create_new_workspace = _plain(obj.create_new_workspace)
    update_workspace = _plain(obj.update_workspace)
    update_part_workspace = _plain(obj.update_part_workspace)
    delete_workspace = _plain(obj.delete_workspace)
    create_new_inbox = _plain(obj.create_new_inbox)
    retrieve_email = _plain(obj.retrieve_email)
    list_email_templates = _list(obj.list_email_templates)
    retrieve_email_template = _plain(obj.retrieve_email_template)
    create_new_email_template = _plain(obj.create_new_email_template)
    list_connectors = _list(obj.list_connectors)
    retrieve_connector = _plain(obj.retrieve_connector)
    create_new_connector = _plain(obj.create_new_connector)
    list_hooks = _list(obj.list_hooks)
    retrieve_hook = _plain(obj.retrieve_hook)
    create_new_hook = _plain(obj.create_new_hook)
    update_part_hook = _plain(obj.update_part_hook)
    delete_hook = _plain(obj.delete_hook)
    list_hook_logs = _list(obj.list_hook_logs)
    list_rules = _list(obj.list_rules)
    retrieve_rule = _plain(obj.retrieve_rule)
    create_new_rule = _plain(obj.create_new_rule)
    update_part_rule = _plain(obj.update_part_rule)
    delete_rule = _plain(obj.delete_rule)
    list_labels = _list(lab.list_labels)
    retrieve_label = _plain(lab.retrieve_label)
    create_new_label = _plain(lab.create_new_label)
    update_label = _plain(lab.update_label)
    update_part_label = _plain(lab.update_part_label)
    delete_label = _plain(lab.delete_label)
    apply_labels = _plain(lab.apply_labels)
