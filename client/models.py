"""Lenient pydantic models of Rossum API objects, and a content-tree walker.

Every field is optional and unknown fields are kept (`extra="allow"`), so a new or missing API
field never breaks parsing; read unknown ones as attributes or via `model_extra`. Fields whose
shape varies (a URL, or the sideloaded object in its place) are typed `Any`. `schema` and `from` are
read into `schema_` and `from_` (the plain names clash with pydantic and Python).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RossumModel(BaseModel):
    """Base of every API object: lenient, keeps unknown fields."""

    model_config = ConfigDict(extra="allow", validate_by_name=True, validate_by_alias=True)

    id: int | None = None
    url: str | None = None


class Label(RossumModel):
    """A label that can be put on annotations."""

    name: str | None = None
    organization: str | None = None
    color: str | None = None


class Annotation(RossumModel):
    """An annotation: one document's extracted data and its workflow state."""

    status: str | None = None
    document: Any = None
    queue: Any = None
    schema_: Any = Field(default=None, alias="schema")
    modifier: Any = None
    content: Any = None
    labels: Any = None
    metadata: Any = None
    messages: Any = None
    pages: Any = None
    relations: Any = None
    automation_blocker: Any = None
    previous_status: str | None = None
    created_at: str | None = None
    modified_at: str | None = None
    confirmed_at: str | None = None
    exported_at: str | None = None
    automated: bool | None = None


class Document(RossumModel):
    """An uploaded file."""

    s3_name: str | None = None
    mime_type: str | None = None
    arrived_at: str | None = None
    original_file_name: str | None = None
    content: Any = None
    annotations: Any = None
    metadata: Any = None


class Queue(RossumModel):
    """A queue of annotations."""

    name: str | None = None
    workspace: Any = None
    connector: Any = None
    schema_: Any = Field(default=None, alias="schema")
    inbox: Any = None
    hooks: Any = None
    webhooks: Any = None
    users: Any = None
    locale: str | None = None
    status: str | None = None
    settings: Any = None
    metadata: Any = None


class Schema(RossumModel):
    """A queue's extraction schema."""

    name: str | None = None
    queues: Any = None
    content: Any = None
    metadata: Any = None


class User(RossumModel):
    """A Rossum user."""

    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    organization: Any = None
    groups: Any = None
    queues: Any = None
    is_active: bool | None = None
    metadata: Any = None


class Group(RossumModel):
    """A user role."""

    name: str | None = None


class Organization(RossumModel):
    """An organization."""

    name: str | None = None
    workspaces: Any = None
    users: Any = None
    metadata: Any = None


class Workspace(RossumModel):
    """A workspace grouping queues."""

    name: str | None = None
    organization: Any = None
    queues: Any = None
    metadata: Any = None


class Inbox(RossumModel):
    """An email inbox feeding a queue."""

    name: str | None = None
    email: str | None = None
    queues: Any = None
    metadata: Any = None


class Email(RossumModel):
    """An email received or sent by Rossum."""

    queue: Any = None
    inbox: Any = None
    subject: str | None = None
    from_: Any = Field(default=None, alias="from")
    to: Any = None
    documents: Any = None
    annotations: Any = None
    metadata: Any = None


class EmailTemplate(RossumModel):
    """An email template of a queue."""

    name: str | None = None
    queue: Any = None
    type: str | None = None
    subject: str | None = None
    message: str | None = None


class Connector(RossumModel):
    """A (legacy) connector extension."""

    name: str | None = None
    queues: Any = None
    service_url: str | None = None
    params: Any = None


class Hook(RossumModel):
    """A webhook or serverless function extension."""

    name: str | None = None
    type: str | None = None
    queues: Any = None
    run_after: Any = None
    active: bool | None = None
    events: Any = None
    sideload: Any = None
    config: Any = None
    settings: Any = None
    settings_schema: Any = None
    metadata: Any = None
    token_owner: Any = None
    token_lifetime_s: int | None = None
    description: str | None = None


class Rule(RossumModel):
    """A business rule of a schema."""

    name: str | None = None
    schema_: Any = Field(default=None, alias="schema")
    enabled: bool | None = None
    trigger_condition: Any = None
    actions: Any = None


class Task(RossumModel):
    """An asynchronous task (upload, email import)."""

    type: str | None = None
    status: str | None = None
    expires_at: str | None = None
    detail: Any = None
    content: Any = None
    result_url: str | None = None


class Upload(RossumModel):
    """An upload of one or more files."""

    queue: Any = None
    organization: Any = None
    creator: Any = None
    created_at: str | None = None
    files: Any = None
    documents: Any = None
    annotations: Any = None
    additional_documents: Any = None


class RelationType(StrEnum):
    """Kinds of annotation relations."""

    EDIT = "edit"
    ATTACHMENT = "attachment"
    DUPLICATE = "duplicate"


class Relation(RossumModel):
    """A relation between annotations (edit, attachment, duplicate)."""

    type: str | None = None
    key: str | None = None
    parent: Any = None
    annotations: Any = None


class DocumentRelation(RossumModel):
    """A relation between an annotation and documents."""

    type: str | None = None
    key: str | None = None
    annotation: Any = None
    documents: Any = None


class HookLog(RossumModel):
    """One hook call log entry (`GET /hooks/logs`)."""

    timestamp: str | None = None
    request_id: str | None = None
    event: str | None = None
    action: str | None = None
    hook_id: int | None = None
    annotation_id: int | None = None
    log_level: str | None = None
    message: str | None = None
    request: Any = None
    response: Any = None
    status: str | None = None
    status_code: int | None = None


def walk_content(content: Any, schema_id: str | None = None) -> Iterator[dict[str, Any]]:
    """Yield content-tree nodes (depth first), only those with `schema_id` if given.

    `content` is a list of sections, an annotation-content answer (`{"content": [...]}`) or an
    annotation dict or model whose `content` is the tree. Sections, multivalues, tuples and
    datapoints are all yielded; a multivalue's rows are its `children`.
    """
    if isinstance(content, BaseModel):
        content = getattr(content, "content", None)
    elif isinstance(content, Mapping) and "category" not in content:
        content = content.get("content")
    stack = list(reversed(content)) if isinstance(content, list) else []
    while stack:
        node = stack.pop()
        if not isinstance(node, Mapping):
            continue
        if schema_id is None or node.get("schema_id") == schema_id:
            yield node  # type: ignore[misc]
        children = node.get("children")
        if isinstance(children, list):
            stack.extend(reversed(children))
