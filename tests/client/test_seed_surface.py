"""Every method of the reference SDK exists on both clients with the SDK's parameter names."""

from __future__ import annotations

import inspect

import pytest

from client import AsyncRossumAPIClient, SyncRossumAPIClient

# Names and parameters as listed by the rossum-api client reference (seed 004).
SEED_METHODS: dict[str, list[str]] = {
    "bulk_update_annotation_data": ["annotation_id", "operations"],
    "cancel_annotation": ["annotation_id"],
    "confirm_annotation": ["annotation_id"],
    "create_new_annotation": ["data"],
    "create_new_connector": ["data"],
    "create_new_document": ["file_name", "file_data", "metadata", "parent"],
    "create_new_document_relation": ["data"],
    "create_new_email_template": ["data"],
    "create_new_hook": ["data"],
    "create_new_inbox": ["data"],
    "create_new_queue": ["data"],
    "create_new_relation": ["data"],
    "create_new_rule": ["data"],
    "create_new_schema": ["data"],
    "create_new_user": ["data"],
    "create_new_workspace": ["data"],
    "delete_annotation": ["annotation_id"],
    "delete_document_relation": ["document_relation_id"],
    "delete_hook": ["hook_id"],
    "delete_queue": ["queue_id"],
    "delete_rule": ["rule_id"],
    "delete_schema": ["schema_id"],
    "delete_workspace": ["workspace_id"],
    "export_annotations_to_file": ["queue_id", "export_format", "**filters"],
    "export_annotations_to_json": ["queue_id", "**filters"],
    "import_document": ["queue_id", "files", "values", "metadata"],
    "import_email": ["raw_message", "recipient", "mime_type"],
    "list_annotations": ["ordering", "sideloads", "content_schema_ids", "**filters"],
    "list_connectors": ["ordering", "**filters"],
    "list_document_relations": ["ordering", "**filters"],
    "list_email_templates": ["ordering", "**filters"],
    "list_hooks": ["ordering", "**filters"],
    "list_organizations": ["ordering", "**filters"],
    "list_queues": ["ordering", "**filters"],
    "list_relations": ["ordering", "**filters"],
    "list_rules": ["ordering", "**filters"],
    "list_schemas": ["ordering", "**filters"],
    "list_user_roles": ["ordering", "**filters"],
    "list_users": ["ordering", "**filters"],
    "list_workspaces": ["ordering", "**filters"],
    "poll_annotation": ["annotation_id", "predicate", "sleep_s", "sideloads"],
    "poll_annotation_until_imported": ["annotation_id", "**poll_kwargs"],
    "poll_task": ["task_id", "predicate", "sleep_s"],
    "poll_task_until_succeeded": ["task_id", "sleep_s"],
    "request": ["method", "*args", "**kwargs"],
    "request_json": ["method", "*args", "**kwargs"],
    "request_paginated": ["url", "*args", "**kwargs"],
    "retrieve_annotation": ["annotation_id", "sideloads"],
    "retrieve_connector": ["connector_id"],
    "retrieve_document": ["document_id"],
    "retrieve_document_content": ["document_id"],
    "retrieve_document_relation": ["document_relation_id"],
    "retrieve_email": ["email_id"],
    "retrieve_email_template": ["email_template_id"],
    "retrieve_hook": ["hook_id"],
    "retrieve_my_organization": [],
    "retrieve_organization": ["org_id"],
    "retrieve_own_organization": [],
    "retrieve_queue": ["queue_id"],
    "retrieve_rule": ["rule_id"],
    "retrieve_schema": ["schema_id"],
    "retrieve_task": ["task_id"],
    "retrieve_upload": ["upload_id"],
    "retrieve_user": ["user_id"],
    "retrieve_workspace": ["workspace_id"],
    "search_for_annotations": ["query", "query_string", "ordering", "sideloads", "**kwargs"],
    "start_annotation": ["annotation_id"],
    "update_annotation": ["annotation_id", "data"],
    "update_document_relation": ["document_relation_id", "data"],
    "update_part_annotation": ["annotation_id", "data"],
    "update_part_document_relation": ["document_relation_id", "data"],
    "update_part_hook": ["hook_id", "data"],
    "update_part_rule": ["rule_id", "data"],
    "upload_and_wait_until_imported": ["queue_id", "filepath", "filename", "**poll_kwargs"],
    "upload_document": ["queue_id", "files", "values", "metadata"],
}


@pytest.mark.parametrize("client_class", [AsyncRossumAPIClient, SyncRossumAPIClient])
@pytest.mark.parametrize("name", sorted(SEED_METHODS))
def test_seed_method_exists_with_the_same_parameters(client_class: type, name: str) -> None:
    """The method is there and its named parameters are the SDK's, in the SDK's order."""
    parameters = list(inspect.signature(getattr(client_class, name)).parameters)[1:]
    expected = [p for p in SEED_METHODS[name] if not p.startswith("*")]
    actual = [p for p in parameters if p not in ("idempotent", "page_numbers")]
    assert actual[: len(expected)] == expected
