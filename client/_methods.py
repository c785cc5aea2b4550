"""Every API method, declared once for both clients.

Each entry binds an operation plan (`client._api_*`) to a method. The descriptors run the plan
through the client they are read from: `AsyncRossumAPIClient._run` awaits it, the sync client's
`_run` runs it directly; mypy sees `Coroutine[..., T]` on the one and `T` on the other, with the
operation's own parameter names.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar, overload

from client import _api_annotations as ann
from client import _api_documents as doc
from client import _api_generic as gen
from client import _api_labels as lab
from client import _api_objects as obj
from client import _api_uploads as upl
from client._plans import Listing, Op, Stream

if TYPE_CHECKING:
    from client._client import AsyncRossumAPIClient
    from client._sync import SyncRossumAPIClient

P = ParamSpec("P")
T = TypeVar("T")


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


class _Method:
    """Bind an operation to the client method `runner` (`_run`, `_iterate` or `_stream`)."""

    def __init__(self, op: Callable[..., Any], runner: str) -> None:
        def method(client: Any, /, *args: Any, **kwargs: Any) -> Any:
            return getattr(client, runner)(op(client.base_url, *args, **kwargs))

        as_method(method, op)
        self._function = method

    def __get__(self, client: Any, owner: type[Any] | None = None) -> Any:
        if client is None:
            return self._function
        return self._function.__get__(client, owner)


class CallMethod(_Method, Generic[P, T]):
    """A method returning one result: awaitable on the async client, plain on the sync one."""

    def __init__(self, op: Callable[Concatenate[str, P], Op[T]]) -> None:
        super().__init__(op, "_run")

    @overload
    def __get__(self, client: None, owner: type[Any] | None = None) -> Callable[..., Any]: ...
    @overload
    def __get__(
        self, client: AsyncRossumAPIClient, owner: type[Any] | None = None
    ) -> Callable[P, Coroutine[Any, Any, T]]: ...
    @overload
    def __get__(
        self, client: SyncRossumAPIClient, owner: type[Any] | None = None
    ) -> Callable[P, T]: ...
    def __get__(self, client: Any, owner: type[Any] | None = None) -> Any:
        return super().__get__(client, owner)


class ListMethod(_Method, Generic[P, T]):
    """A method iterating over a paginated listing (async or plain iterator)."""

    def __init__(self, op: Callable[Concatenate[str, P], Listing[T]]) -> None:
        super().__init__(op, "_iterate")

    @overload
    def __get__(self, client: None, owner: type[Any] | None = None) -> Callable[..., Any]: ...
    @overload
    def __get__(
        self, client: AsyncRossumAPIClient, owner: type[Any] | None = None
    ) -> Callable[P, AsyncIterator[T]]: ...
    @overload
    def __get__(
        self, client: SyncRossumAPIClient, owner: type[Any] | None = None
    ) -> Callable[P, Iterator[T]]: ...
    def __get__(self, client: Any, owner: type[Any] | None = None) -> Any:
        return super().__get__(client, owner)


class StreamMethod(_Method, Generic[P]):
    """A method streaming a download as bytes chunks."""

    def __init__(self, op: Callable[Concatenate[str, P], Stream]) -> None:
        super().__init__(op, "_stream")

    @overload
    def __get__(self, client: None, owner: type[Any] | None = None) -> Callable[..., Any]: ...
    @overload
    def __get__(
        self, client: AsyncRossumAPIClient, owner: type[Any] | None = None
    ) -> Callable[P, AsyncIterator[bytes]]: ...
    @overload
    def __get__(
        self, client: SyncRossumAPIClient, owner: type[Any] | None = None
    ) -> Callable[P, Iterator[bytes]]: ...
    def __get__(self, client: Any, owner: type[Any] | None = None) -> Any:
        return super().__get__(client, owner)


class ApiMethods:
    """The public API of both clients, one line per method."""

    # ---- generic requests (the SDK's escape hatches)
    request = CallMethod(gen.request)
    request_json = CallMethod(gen.request_json)
    request_paginated = ListMethod(gen.request_paginated)

    # ---- annotations
    list_annotations = ListMethod(ann.list_annotations)
    search_for_annotations = ListMethod(ann.search_for_annotations)
    retrieve_annotation = CallMethod(ann.retrieve_annotation)
    poll_annotation = CallMethod(ann.poll_annotation)
    poll_annotation_until_imported = CallMethod(ann.poll_annotation_until_imported)
    start_annotation = CallMethod(ann.start_annotation)
    update_annotation = CallMethod(ann.update_annotation)
    update_part_annotation = CallMethod(ann.update_part_annotation)
    bulk_update_annotation_data = CallMethod(ann.bulk_update_annotation_data)
    retrieve_annotation_content = CallMethod(ann.retrieve_annotation_content)
    confirm_annotation = CallMethod(ann.confirm_annotation)
    create_new_annotation = CallMethod(ann.create_new_annotation)
    delete_annotation = CallMethod(ann.delete_annotation)
    cancel_annotation = CallMethod(ann.cancel_annotation)
    postpone_annotation = CallMethod(ann.postpone_annotation)
    reject_annotation = CallMethod(ann.reject_annotation)
    switch_annotation_queue = CallMethod(ann.switch_annotation_queue)

    # ---- documents and relations
    retrieve_document = CallMethod(doc.retrieve_document)
    retrieve_document_content = CallMethod(doc.retrieve_document_content)
    create_new_document = CallMethod(doc.create_new_document)
    list_document_relations = ListMethod(doc.list_document_relations)
    retrieve_document_relation = CallMethod(doc.retrieve_document_relation)
    create_new_document_relation = CallMethod(doc.create_new_document_relation)
    update_document_relation = CallMethod(doc.update_document_relation)
    update_part_document_relation = CallMethod(doc.update_part_document_relation)
    delete_document_relation = CallMethod(doc.delete_document_relation)
    list_relations = ListMethod(doc.list_relations)
    create_new_relation = CallMethod(doc.create_new_relation)

    # ---- uploads, tasks, exports, email import
    upload_document = CallMethod(upl.upload_document)
    import_document = CallMethod(upl.import_document)
    upload_and_wait_until_imported = CallMethod(upl.upload_and_wait_until_imported)
    retrieve_upload = CallMethod(upl.retrieve_upload)
    retrieve_task = CallMethod(upl.retrieve_task)
    poll_task = CallMethod(upl.poll_task)
    poll_task_until_succeeded = CallMethod(upl.poll_task_until_succeeded)
    export_annotations_to_json = ListMethod(upl.export_annotations_to_json)
    export_annotations_to_file = StreamMethod(upl.export_annotations_to_file)
    import_email = CallMethod(upl.import_email)

    # ---- configuration objects
    list_queues = ListMethod(obj.list_queues)
    retrieve_queue = CallMethod(obj.retrieve_queue)
    create_new_queue = CallMethod(obj.create_new_queue)
    update_queue = CallMethod(obj.update_queue)
    update_part_queue = CallMethod(obj.update_part_queue)
    delete_queue = CallMethod(obj.delete_queue)
    list_organizations = ListMethod(obj.list_organizations)
    retrieve_organization = CallMethod(obj.retrieve_organization)
    retrieve_own_organization = CallMethod(obj.retrieve_own_organization)
    retrieve_my_organization = CallMethod(obj.retrieve_my_organization)
    list_schemas = ListMethod(obj.list_schemas)
    retrieve_schema = CallMethod(obj.retrieve_schema)
    create_new_schema = CallMethod(obj.create_new_schema)
    update_schema = CallMethod(obj.update_schema)
    update_part_schema = CallMethod(obj.update_part_schema)
    delete_schema = CallMethod(obj.delete_schema)
    list_users = ListMethod(obj.list_users)
    retrieve_user = CallMethod(obj.retrieve_user)
    create_new_user = CallMethod(obj.create_new_user)
    update_user = CallMethod(obj.update_user)
    update_part_user = CallMethod(obj.update_part_user)
    list_user_roles = ListMethod(obj.list_user_roles)
    list_workspaces = ListMethod(obj.list_workspaces)
    retrieve_workspace = CallMethod(obj.retrieve_workspace)
    create_new_workspace = CallMethod(obj.create_new_workspace)
    update_workspace = CallMethod(obj.update_workspace)
    update_part_workspace = CallMethod(obj.update_part_workspace)
    delete_workspace = CallMethod(obj.delete_workspace)
    create_new_inbox = CallMethod(obj.create_new_inbox)
    retrieve_email = CallMethod(obj.retrieve_email)
    list_email_templates = ListMethod(obj.list_email_templates)
    retrieve_email_template = CallMethod(obj.retrieve_email_template)
    create_new_email_template = CallMethod(obj.create_new_email_template)
    list_connectors = ListMethod(obj.list_connectors)
    retrieve_connector = CallMethod(obj.retrieve_connector)
    create_new_connector = CallMethod(obj.create_new_connector)
    list_hooks = ListMethod(obj.list_hooks)
    retrieve_hook = CallMethod(obj.retrieve_hook)
    create_new_hook = CallMethod(obj.create_new_hook)
    update_part_hook = CallMethod(obj.update_part_hook)
    delete_hook = CallMethod(obj.delete_hook)
    generate_hook_payload = CallMethod(obj.generate_hook_payload)
    test_hook = CallMethod(obj.test_hook)
    list_hook_logs = ListMethod(obj.list_hook_logs)
    list_rules = ListMethod(obj.list_rules)
    retrieve_rule = CallMethod(obj.retrieve_rule)
    create_new_rule = CallMethod(obj.create_new_rule)
    update_part_rule = CallMethod(obj.update_part_rule)
    delete_rule = CallMethod(obj.delete_rule)

    # ---- labels
    list_labels = ListMethod(lab.list_labels)
    retrieve_label = CallMethod(lab.retrieve_label)
    create_new_label = CallMethod(lab.create_new_label)
    update_label = CallMethod(lab.update_label)
    update_part_label = CallMethod(lab.update_part_label)
    delete_label = CallMethod(lab.delete_label)
    apply_labels = CallMethod(lab.apply_labels)
