"""Operations on configuration objects: queues, schemas, users, roles, organizations,
workspaces, inboxes, emails, email templates, connectors, hooks and their logs, rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from client import models as m
from client._plans import (
    Call,
    Flow,
    Listing,
    create,
    delete,
    listing,
    query_params,
    replace,
    retrieve,
    update,
)
from client._resources import Resource as R

Data = dict[str, Any]


def list_queues(base: str, /, ordering: Sequence[str] = (), **filters: Any) -> Listing[m.Queue]:
    """List queues."""
    return listing(R.Queue, ordering, **filters)


def retrieve_queue(base: str, /, queue_id: int) -> Call[m.Queue]:
    """Retrieve a queue."""
    return retrieve(R.Queue, queue_id)


def create_new_queue(base: str, /, data: Data) -> Call[m.Queue]:
    """Create a queue."""
    return create(R.Queue, data)


def update_queue(base: str, /, queue_id: int, data: Data) -> Call[m.Queue]:
    """Replace a queue (PUT)."""
    return replace(R.Queue, queue_id, data)


def update_part_queue(base: str, /, queue_id: int, data: Data) -> Call[m.Queue]:
    """Update part of a queue (PATCH)."""
    return update(R.Queue, queue_id, data)


def delete_queue(base: str, /, queue_id: int) -> Call[None]:
    """Schedule a queue and everything in it for deletion."""
    return delete(R.Queue, queue_id)


def list_organizations(
    base: str, /, ordering: Sequence[str] = (), **filters: Any
) -> Listing[m.Organization]:
    """List organizations."""
    return listing(R.Organization, ordering, **filters)


def retrieve_organization(base: str, /, org_id: int) -> Call[m.Organization]:
    """Retrieve an organization."""
    return retrieve(R.Organization, org_id)


def retrieve_own_organization(base: str, /) -> Flow[m.Organization]:
    """Retrieve the organization of the authenticated user."""
    user = yield Call("GET", "auth/user")
    organization: m.Organization = yield Call("GET", user["organization"], "model", R.Organization)
    return organization


retrieve_my_organization = retrieve_own_organization


def list_schemas(base: str, /, ordering: Sequence[str] = (), **filters: Any) -> Listing[m.Schema]:
    """List schemas."""
    return listing(R.Schema, ordering, **filters)


def retrieve_schema(base: str, /, schema_id: int) -> Call[m.Schema]:
    """Retrieve a schema."""
    return retrieve(R.Schema, schema_id)


def create_new_schema(base: str, /, data: Data) -> Call[m.Schema]:
    """Create a schema."""
    return create(R.Schema, data)


def update_schema(base: str, /, schema_id: int, data: Data) -> Call[m.Schema]:
    """Replace a schema (PUT)."""
    return replace(R.Schema, schema_id, data)


def update_part_schema(base: str, /, schema_id: int, data: Data) -> Call[m.Schema]:
    """Update part of a schema (PATCH)."""
    return update(R.Schema, schema_id, data)


def delete_schema(base: str, /, schema_id: int) -> Call[None]:
    """Delete a schema (409 while queues or annotations use it)."""
    return delete(R.Schema, schema_id)


def list_users(base: str, /, ordering: Sequence[str] = (), **filters: Any) -> Listing[m.User]:
    """List users."""
    return listing(R.User, ordering, **filters)


def retrieve_user(base: str, /, user_id: int) -> Call[m.User]:
    """Retrieve a user."""
    return retrieve(R.User, user_id)


def create_new_user(base: str, /, data: Data) -> Call[m.User]:
    """Create a user."""
    return create(R.User, data)


def update_user(base: str, /, user_id: int, data: Data) -> Call[m.User]:
    """Replace a user (PUT)."""
    return replace(R.User, user_id, data)


def update_part_user(base: str, /, user_id: int, data: Data) -> Call[m.User]:
    """Update part of a user (PATCH)."""
    return update(R.User, user_id, data)


def list_user_roles(base: str, /, ordering: Sequence[str] = (), **filters: Any) -> Listing[m.Group]:
    """List user roles (groups)."""
    return listing(R.Group, ordering, **filters)


def list_workspaces(
    base: str, /, ordering: Sequence[str] = (), **filters: Any
) -> Listing[m.Workspace]:
    """List workspaces."""
    return listing(R.Workspace, ordering, **filters)


def retrieve_workspace(base: str, /, workspace_id: int) -> Call[m.Workspace]:
    """Retrieve a workspace."""
    return retrieve(R.Workspace, workspace_id)


def create_new_workspace(base: str, /, data: Data) -> Call[m.Workspace]:
    """Create a workspace."""
    return create(R.Workspace, data)


def update_workspace(base: str, /, workspace_id: int, data: Data) -> Call[m.Workspace]:
    """Replace a workspace (PUT)."""
    return replace(R.Workspace, workspace_id, data)


def update_part_workspace(base: str, /, workspace_id: int, data: Data) -> Call[m.Workspace]:
    """Update part of a workspace (PATCH)."""
    return update(R.Workspace, workspace_id, data)


def delete_workspace(base: str, /, workspace_id: int) -> Call[None]:
    """Delete a workspace."""
    return delete(R.Workspace, workspace_id)


def create_new_inbox(base: str, /, data: Data) -> Call[m.Inbox]:
    """Create an inbox."""
    return create(R.Inbox, data)


def retrieve_email(base: str, /, email_id: int) -> Call[m.Email]:
    """Retrieve an email."""
    return retrieve(R.Email, email_id)


def list_email_templates(
    base: str, /, ordering: Sequence[str] = (), **filters: Any
) -> Listing[m.EmailTemplate]:
    """List email templates."""
    return listing(R.EmailTemplate, ordering, **filters)


def retrieve_email_template(base: str, /, email_template_id: int) -> Call[m.EmailTemplate]:
    """Retrieve an email template."""
    return retrieve(R.EmailTemplate, email_template_id)


def create_new_email_template(base: str, /, data: Data) -> Call[m.EmailTemplate]:
    """Create an email template."""
    return create(R.EmailTemplate, data)


def list_connectors(
    base: str, /, ordering: Sequence[str] = (), **filters: Any
) -> Listing[m.Connector]:
    """List connectors."""
    return listing(R.Connector, ordering, **filters)


def retrieve_connector(base: str, /, connector_id: int) -> Call[m.Connector]:
    """Retrieve a connector."""
    return retrieve(R.Connector, connector_id)


def create_new_connector(base: str, /, data: Data) -> Call[m.Connector]:
    """Create a connector."""
    return create(R.Connector, data)


def list_hooks(base: str, /, ordering: Sequence[str] = (), **filters: Any) -> Listing[m.Hook]:
    """List hooks."""
    return listing(R.Hook, ordering, **filters)


def retrieve_hook(base: str, /, hook_id: int) -> Call[m.Hook]:
    """Retrieve a hook."""
    return retrieve(R.Hook, hook_id)


def create_new_hook(base: str, /, data: Data) -> Call[m.Hook]:
    """Create a hook."""
    return create(R.Hook, data)


def update_part_hook(base: str, /, hook_id: int, data: Data) -> Call[m.Hook]:
    """Update part of a hook (PATCH)."""
    return update(R.Hook, hook_id, data)


def delete_hook(base: str, /, hook_id: int) -> Call[None]:
    """Delete a hook."""
    return delete(R.Hook, hook_id)


def generate_hook_payload(base: str, /, hook_id: int, data: Data) -> Call[Any]:
    """Return the payload the hook would get for an event (`POST /hooks/{id}/generate_payload`).

    `data`: `{"event", "action", "annotation", "status", "previous_status", "email", "upload"}`.
    The payload carries the caller's token and redacted `secrets`.
    """
    path = f"{R.Hook.path(hook_id)}/generate_payload"
    return Call("POST", path, "json", json=data, idempotent=True)


def test_hook(base: str, /, hook_id: int, payload: Data, config: Data | None = None) -> Call[Any]:
    """Have Rossum call the hook once with `payload` (`POST /hooks/{id}/test`).

    Returns `{"response": <the hook's answer>}`; `config` overrides the hook's for this call.
    """
    body: Data = {"payload": payload} if config is None else {"payload": payload, "config": config}
    return Call("POST", f"{R.Hook.path(hook_id)}/test", "json", json=body)


def list_hook_logs(base: str, /, **filters: Any) -> Listing[m.HookLog]:
    """List hook call logs (`GET /hooks/logs`, kept 7 days, at most 100 per answer)."""
    return Listing(R.HookLog.value, R.HookLog, query_params(filters=filters, page_size=None))


def list_rules(base: str, /, ordering: Sequence[str] = (), **filters: Any) -> Listing[m.Rule]:
    """List rules."""
    return listing(R.Rule, ordering, **filters)


def retrieve_rule(base: str, /, rule_id: int) -> Call[m.Rule]:
    """Retrieve a rule."""
    return retrieve(R.Rule, rule_id)


def create_new_rule(base: str, /, data: Data) -> Call[m.Rule]:
    """Create a rule."""
    return create(R.Rule, data)


def update_part_rule(base: str, /, rule_id: int, data: Data) -> Call[m.Rule]:
    """Update part of a rule (PATCH)."""
    return update(R.Rule, rule_id, data)


def delete_rule(base: str, /, rule_id: int) -> Call[None]:
    """Delete a rule."""
    return delete(R.Rule, rule_id)
