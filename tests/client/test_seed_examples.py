"""The reference SDK's usage examples, run unchanged but for the import line.

Each block below is copied from the "Client Usage Examples" of the `rossum-api` docs; only
`from rossum_api... import X` became `from client import X`. They run against an in-test
stand-in of the API, and each test checks the requests the example made.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import respx
from structlog.testing import capture_logs

from client import AsyncRossumAPIClient, SyncRossumAPIClient, Token, UserCredentials
from tests.client.conftest import BASE
from tests.client.fake_rossum import FakeRossum

organization_url = f"{BASE}/organizations/1"
schema_url = f"{BASE}/schemas/3"
schema_definition = [{"category": "section", "id": "invoice_info", "children": []}]


@pytest.fixture
def rossum(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRossum]:
    """Serve the stand-in API; run in a folder holding the examples' invoice files."""
    (tmp_path / "path" / "to").mkdir(parents=True)
    (tmp_path / "path" / "to" / "invoice.pdf").write_bytes(b"%PDF-1.7")
    (tmp_path / "invoice.pdf").write_bytes(b"%PDF-1.7")
    monkeypatch.chdir(tmp_path)
    fake = FakeRossum()
    with respx.mock(base_url=BASE) as router, capture_logs():  # keep stdout for the prints
        router.route().mock(side_effect=fake)
        yield fake


async def no_sleep(seconds: float) -> None:
    """Polling examples wait 3 s between polls; the tests do not."""


@pytest.fixture
async def client(rossum: FakeRossum) -> AsyncIterator[AsyncRossumAPIClient]:
    """The async client of the examples, logged in with user credentials."""
    credentials = UserCredentials(username="your.email@example.com", password="your-password")
    async with AsyncRossumAPIClient(base_url=BASE, credentials=credentials, sleep=no_sleep) as c:
        yield c


@pytest.fixture
def sync_client(rossum: FakeRossum) -> Iterator[SyncRossumAPIClient]:
    """The sync client of the examples, with a token."""
    credentials = Token(token="your-api-token")
    with SyncRossumAPIClient(base_url=BASE, credentials=credentials, sleep=lambda s: None) as c:
        yield c


def test_authentication_example() -> None:
    """Both credential kinds construct a client, as in the SDK's authentication example."""
    from client import SyncRossumAPIClient, Token, UserCredentials

    # Username/password authentication
    credentials = UserCredentials(username="your.email@example.com", password="your-password")

    # Token-based authentication
    credentials = Token(token="your-api-token")

    # Initialize the Rossum API client
    client = SyncRossumAPIClient(base_url="...", credentials=credentials)
    assert client.base_url == "..."
    client.close()


async def test_client_configuration_example() -> None:
    """The SDK's configuration keywords are all accepted."""
    from client import Token, UserCredentials

    # Using username/password
    client = AsyncRossumAPIClient(
        base_url="https://elis.rossum.ai/api/v1",
        credentials=UserCredentials("user@example.com", "password"),
        timeout=30.0,
        n_retries=5,
        retry_backoff_factor=2.0,
        retry_max_jitter=1.0,
        max_in_flight_requests=8,  # async only
    )
    await client.aclose()

    # Using token
    client = AsyncRossumAPIClient(
        base_url="https://elis.rossum.ai/api/v1", credentials=Token("your-api-token")
    )
    await client.aclose()


async def test_annotations_example_async(client: AsyncRossumAPIClient, rossum: FakeRossum) -> None:
    """The async annotations example runs and makes the expected requests."""
    # Retrieve a single annotation
    annotation = await client.retrieve_annotation(12345)

    # List annotations with filtering
    async for annotation in client.list_annotations(status="to_review", ordering=["-created_at"]):
        print(annotation.id, annotation.status)

    # Search for annotations
    async for annotation in client.search_for_annotations(
        query={"status": "to_review"}, ordering=["-created_at"]
    ):
        print(annotation.id, annotation.status)

    # Update annotation
    updated = await client.update_annotation(annotation_id=12345, data={"status": "confirmed"})

    # Poll annotation until imported
    annotation = await client.poll_annotation_until_imported(12345)

    # Confirm annotation
    await client.confirm_annotation(12345)

    assert updated.status == "confirmed"
    assert rossum.calls == [
        ("POST", "auth/login"),
        ("GET", "annotations/12345"),
        ("GET", "annotations"),
        ("POST", "annotations/search"),
        ("PUT", "annotations/12345"),
        ("GET", "annotations/12345"),
        ("POST", "annotations/12345/confirm"),
    ]


def test_annotations_example_sync(sync_client: SyncRossumAPIClient, rossum: FakeRossum) -> None:
    """The sync annotations example runs and makes the expected requests."""
    client = sync_client
    # Retrieve a single annotation
    annotation = client.retrieve_annotation(12345)

    # List annotations with filtering
    for annotation in client.list_annotations(status="to_review", ordering=["-created_at"]):
        print(annotation.id, annotation.status)

    # Search for annotations
    for annotation in client.search_for_annotations(
        query={"status": "to_review"}, ordering=["-created_at"]
    ):
        print(annotation.id, annotation.status)

    # Update annotation
    updated = client.update_annotation(annotation_id=12345, data={"status": "confirmed"})

    # Poll annotation until imported
    annotation = client.poll_annotation_until_imported(12345)

    # Confirm annotation
    client.confirm_annotation(12345)

    assert updated.status == "confirmed" and annotation.id == 12345
    assert len(rossum.calls) == 6


async def test_documents_example_async(client: AsyncRossumAPIClient, rossum: FakeRossum) -> None:
    """The async documents example uploads, polls, downloads and creates documents."""
    # Upload documents (creates tasks)
    tasks = await client.upload_document(
        queue_id=123, files=[("path/to/invoice.pdf", "invoice.pdf")]
    )

    # Poll task until completion
    task = await client.poll_task_until_succeeded(tasks[0].id)

    # Retrieve document
    document = await client.retrieve_document(12345)

    # Get document content
    content = await client.retrieve_document_content(12345)

    # Create new document
    document = await client.create_new_document(
        file_name="invoice.pdf", file_data=content, metadata={"source": "email"}
    )

    # Upload and wait for import in one call
    annotation = await client.upload_and_wait_until_imported(
        queue_id=123, filepath="invoice.pdf", filename="invoice.pdf"
    )

    assert task.status == "succeeded" and content == b"%PDF-1.7 invoice"
    assert (document.id, annotation.id) == (900, 12345)
    assert rossum.calls[1:] == [
        ("POST", "uploads"),
        ("GET", "tasks/77"),
        ("GET", "tasks/77"),
        ("GET", "documents/12345"),
        ("GET", "documents/12345/content"),
        ("POST", "documents"),
        ("POST", "queues/123/upload"),
        ("GET", "annotations/12345"),
    ]


def test_documents_example_sync(sync_client: SyncRossumAPIClient, rossum: FakeRossum) -> None:
    """The sync documents example runs the same flow."""
    client = sync_client
    # Upload documents (creates tasks)
    tasks = client.upload_document(queue_id=123, files=[("path/to/invoice.pdf", "invoice.pdf")])

    # Poll task until completion
    task = client.poll_task_until_succeeded(tasks[0].id)

    # Retrieve document
    document = client.retrieve_document(12345)

    # Get document content
    content = client.retrieve_document_content(12345)

    # Create new document
    document = client.create_new_document(
        file_name="invoice.pdf", file_data=content, metadata={"source": "email"}
    )

    # Upload and wait for import in one call
    annotation = client.upload_and_wait_until_imported(
        queue_id=123, filepath="invoice.pdf", filename="invoice.pdf"
    )
    assert (task.status, document.id, annotation.id) == ("succeeded", 900, 12345)


async def test_workspaces_and_queues_example_async(
    client: AsyncRossumAPIClient, rossum: FakeRossum
) -> None:
    """The async workspaces and queues example creates, lists and deletes."""
    # Create workspace
    workspace = await client.create_new_workspace(
        data={
            "name": "My Workspace",
            "organization": organization_url,
        }
    )

    # Retrieve workspace
    workspace = await client.retrieve_workspace(123)

    # List workspaces
    async for workspace in client.list_workspaces():
        print(workspace.name)

    # Create queue in workspace
    queue = await client.create_new_queue(
        data={
            "name": "Invoices",
            "workspace": workspace.url,
            "schema": schema_url,
        }
    )

    # Retrieve queue
    queue = await client.retrieve_queue(456)

    # List queues with filtering
    async for queue in client.list_queues(workspace=workspace.id):
        print(queue.name)

    # Delete queue
    await client.delete_queue(456)

    assert rossum.calls[1:] == [
        ("POST", "workspaces"),
        ("GET", "workspaces/123"),
        ("GET", "workspaces"),
        ("POST", "queues"),
        ("GET", "queues/456"),
        ("GET", "queues"),
        ("DELETE", "queues/456"),
    ]


def test_workspaces_and_queues_example_sync(
    sync_client: SyncRossumAPIClient, rossum: FakeRossum
) -> None:
    """The sync workspaces and queues example runs the same requests."""
    client = sync_client
    # Create workspace
    workspace = client.create_new_workspace(
        data={
            "name": "My Workspace",
            "organization": organization_url,
        }
    )

    # Retrieve workspace
    workspace = client.retrieve_workspace(123)

    # List workspaces
    for workspace in client.list_workspaces():
        print(workspace.name)

    # Create queue in workspace
    queue = client.create_new_queue(
        data={
            "name": "Invoices",
            "workspace": workspace.url,
            "schema": schema_url,
        }
    )

    # Retrieve queue
    queue = client.retrieve_queue(456)

    # List queues with filtering
    for queue in client.list_queues(workspace=workspace.id):
        print(queue.name)

    # Delete queue
    client.delete_queue(456)
    assert rossum.calls[-1] == ("DELETE", "queues/456")


async def test_pagination_example(client: AsyncRossumAPIClient, rossum: FakeRossum) -> None:
    """The pagination example lists users and ordered, filtered queues."""
    # All `list_*` methods automatically handle pagination
    # and yield results one by one
    async for user in client.list_users():
        print(user.email)

    # Lists can be filtered and ordered
    async for queue in client.list_queues(workspace=123, ordering=["-id"]):
        print(queue.name)

    assert rossum.calls[1:] == [("GET", "users"), ("GET", "queues")]


async def test_export_example(
    client: AsyncRossumAPIClient, rossum: FakeRossum, capsys: pytest.CaptureFixture[str]
) -> None:
    """The export example pages through JSON and streams a CSV file."""
    # Export annotations to JSON (paginated)
    async for annotation in client.export_annotations_to_json(queue_id=123, status="confirmed"):
        print(annotation.id)

    # Export annotations to file format (CSV, XML, XLSX)
    from client import ExportFileFormats

    async for chunk in client.export_annotations_to_file(  # noqa: B007
        queue_id=123, export_format=ExportFileFormats.CSV, status="confirmed"
    ):
        # Process file chunk
        pass

    assert capsys.readouterr().out.split() == ["1", "2"]
    assert rossum.calls[1:] == [("GET", "queues/123/export"), ("GET", "queues/123/export")]


async def test_relations_example_async(client: AsyncRossumAPIClient, rossum: FakeRossum) -> None:
    """The async relations example lists with filters and creates a relation."""
    from client.models import RelationType  # noqa: F401 - imported by the example

    # List all relations
    async for relation in client.list_relations():
        print(relation.id, relation.type)

    # Filter by type
    async for relation in client.list_relations(type="duplicate"):
        print(relation.id, relation.key)

    # Filter by parent annotation
    async for relation in client.list_relations(parent=12345):
        print(relation.id, relation.annotations)

    # Create a new relation
    relation = await client.create_new_relation(
        data={
            "type": "attachment",
            "parent": "https://elis.rossum.ai/api/v1/annotations/123",
            "annotations": ["https://elis.rossum.ai/api/v1/annotations/456"],
        }
    )
    assert relation.type == "attachment"
    assert [call[1] for call in rossum.calls[1:]] == ["relations"] * 4


def test_relations_example_sync(sync_client: SyncRossumAPIClient, rossum: FakeRossum) -> None:
    """The sync relations example runs the same requests."""
    client = sync_client
    # List all relations
    for relation in client.list_relations():
        print(relation.id, relation.type)

    # Filter by type
    for relation in client.list_relations(type="duplicate"):
        print(relation.id, relation.key)

    # Filter by parent annotation
    for relation in client.list_relations(parent=12345):
        print(relation.id, relation.annotations)

    # Create a new relation
    relation = client.create_new_relation(
        data={
            "type": "attachment",
            "parent": "https://elis.rossum.ai/api/v1/annotations/123",
            "annotations": ["https://elis.rossum.ai/api/v1/annotations/456"],
        }
    )
    assert relation.annotations == ["https://elis.rossum.ai/api/v1/annotations/456"]


async def test_additional_resources_example(
    client: AsyncRossumAPIClient, rossum: FakeRossum
) -> None:
    """Organizations, schemas, users, roles, hooks and connectors work as in the example."""
    # Organizations
    async for org in client.list_organizations():
        print(org.name)
    org = await client.retrieve_organization(123)
    my_org = await client.retrieve_my_organization()

    # Schemas
    schema = await client.create_new_schema(
        data={"name": "Invoice Schema", "content": schema_definition}
    )
    async for schema in client.list_schemas():
        print(schema.name)

    # Users and Roles
    user = await client.create_new_user(
        data={"email": "user@example.com", "first_name": "John", "last_name": "Doe"}
    )
    async for role in client.list_user_roles():
        print(role.name)

    # Hooks and Connectors
    hook = await client.create_new_hook(
        data={"name": "My Hook", "target": "https://example.com/webhook"}
    )
    connector = await client.create_new_connector(
        data={"name": "My Connector", "connector_type": "webhook"}
    )
    assert (org.id, my_org.id, user.first_name) == (123, 1, "John")
    assert (hook.target, connector.connector_type) == ("https://example.com/webhook", "webhook")  # type: ignore[attr-defined]
    assert ("GET", "auth/user") in rossum.calls and ("GET", "groups") in rossum.calls


async def test_token_management_example(client: AsyncRossumAPIClient, rossum: FakeRossum) -> None:
    """Getting, refreshing and re-authenticating log in as documented."""
    # Get current authentication token
    token = await client.get_token()
    assert token == "token-1"

    # Force refresh the token
    token = await client.get_token(refresh=True)
    assert token == "token-2"

    # Manually authenticate (usually not needed)
    await client.authenticate()
    assert rossum.logins == 3


async def test_generic_requests_example_async(
    client: AsyncRossumAPIClient, rossum: FakeRossum
) -> None:
    """Paginated, JSON and raw requests reach custom endpoints."""
    # Make paginated requests to custom endpoints
    async for item in client.request_paginated("custom/endpoint", ordering=["id"]):
        print(item)

    # Make JSON requests
    response = await client.request_json("POST", "custom/endpoint", json={"data": "value"})
    assert response["data"] == "value"

    # Make raw HTTP requests
    response = await client.request("GET", "custom/endpoint")
    assert response.status_code == 200
    assert rossum.calls[1:] == [
        ("GET", "custom/endpoint"),
        ("POST", "custom/endpoint"),
        ("GET", "custom/endpoint"),
    ]


def test_generic_requests_example_sync(
    sync_client: SyncRossumAPIClient, rossum: FakeRossum
) -> None:
    """The sync generic requests reach the same endpoints, with the token attached."""
    client = sync_client
    # Make paginated requests to custom endpoints
    for item in client.request_paginated("custom/endpoint", ordering=["id"]):
        print(item)

    # Make JSON requests
    response = client.request_json("POST", "custom/endpoint", json={"data": "value"})

    # Make raw HTTP requests
    response = client.request("GET", "custom/endpoint")
    assert response.json()["pagination"] == {"next": None}
    assert len(rossum.calls) == 3
