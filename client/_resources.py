"""The resource table: every API collection, its URL path and its model.

`Resource.Queue.value == "queues"` mirrors the reference SDK's `Resource` enum, so a custom
`deserializer(resource, data)` written for the SDK keeps working.
"""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from client import models

M = TypeVar("M")


class Resource(Generic[M]):
    """One API collection: name, URL path (`value`) and default model."""

    __slots__ = ("model", "name", "value")

    Annotation: ClassVar[Resource[models.Annotation]]
    Auth: ClassVar[Resource[dict[str, Any]]]
    Connector: ClassVar[Resource[models.Connector]]
    Document: ClassVar[Resource[models.Document]]
    DocumentRelation: ClassVar[Resource[models.DocumentRelation]]
    Email: ClassVar[Resource[models.Email]]
    EmailTemplate: ClassVar[Resource[models.EmailTemplate]]
    Group: ClassVar[Resource[models.Group]]
    Hook: ClassVar[Resource[models.Hook]]
    HookLog: ClassVar[Resource[models.HookLog]]
    Inbox: ClassVar[Resource[models.Inbox]]
    Label: ClassVar[Resource[models.Label]]
    Organization: ClassVar[Resource[models.Organization]]
    Queue: ClassVar[Resource[models.Queue]]
    Relation: ClassVar[Resource[models.Relation]]
    Rule: ClassVar[Resource[models.Rule]]
    Schema: ClassVar[Resource[models.Schema]]
    Task: ClassVar[Resource[models.Task]]
    Upload: ClassVar[Resource[models.Upload]]
    User: ClassVar[Resource[models.User]]
    Workspace: ClassVar[Resource[models.Workspace]]

    def __init__(self, name: str, value: str, model: type[M] | None) -> None:
        self.name = name
        self.value = value
        self.model = model

    def __repr__(self) -> str:
        return f"Resource.{self.name}"

    def path(self, object_id: int | str) -> str:
        """Return the relative URL of one object of this collection."""
        return f"{self.value}/{object_id}"


Resource.Annotation = Resource("Annotation", "annotations", models.Annotation)
Resource.Auth = Resource("Auth", "auth", None)
Resource.Connector = Resource("Connector", "connectors", models.Connector)
Resource.Document = Resource("Document", "documents", models.Document)
Resource.DocumentRelation = Resource(
    "DocumentRelation", "document_relations", models.DocumentRelation
)
Resource.Email = Resource("Email", "emails", models.Email)
Resource.EmailTemplate = Resource("EmailTemplate", "email_templates", models.EmailTemplate)
Resource.Group = Resource("Group", "groups", models.Group)
Resource.Hook = Resource("Hook", "hooks", models.Hook)
Resource.HookLog = Resource("HookLog", "hooks/logs", models.HookLog)
Resource.Inbox = Resource("Inbox", "inboxes", models.Inbox)
Resource.Label = Resource("Label", "labels", models.Label)
Resource.Organization = Resource("Organization", "organizations", models.Organization)
Resource.Queue = Resource("Queue", "queues", models.Queue)
Resource.Relation = Resource("Relation", "relations", models.Relation)
Resource.Rule = Resource("Rule", "rules", models.Rule)
Resource.Schema = Resource("Schema", "schemas", models.Schema)
Resource.Task = Resource("Task", "tasks", models.Task)
Resource.Upload = Resource("Upload", "uploads", models.Upload)
Resource.User = Resource("User", "users", models.User)
Resource.Workspace = Resource("Workspace", "workspaces", models.Workspace)
