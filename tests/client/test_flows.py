"""Multi-step methods: sideloads, polling, uploads, documents, exports and streams."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import respx

from client import (
    AsyncRossumAPIClient,
    ExportFileFormats,
    SyncRossumAPIClient,
    TransportError,
)
from client.models import Annotation, Task
from tests.client.conftest import BASE, Sleeps

A1 = f"{BASE}/annotations/1"


class BrokenStream(httpx.AsyncByteStream, httpx.SyncByteStream):
    """A body that sends some bytes and then breaks, like a dropped connection."""

    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        raise httpx.ReadError("connection reset")

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        raise httpx.ReadError("connection reset")


async def test_retrieve_annotation_fetches_and_embeds_sideloads(
    api: respx.MockRouter, client: AsyncRossumAPIClient
) -> None:
    """Sideloads of a single annotation are fetched from its URLs and put in place."""
    annotation = {"id": 1, "url": A1, "document": f"{BASE}/documents/4", "content": f"{A1}/content"}
    api.get("/annotations/1").mock(return_value=httpx.Response(200, json=annotation))
    api.get("/documents/4").mock(return_value=httpx.Response(200, json={"id": 4, "mime_type": "x"}))
    tree = [{"id": 9, "category": "section", "schema_id": "s", "children": []}]
    api.get("/annotations/1/content").mock(return_value=httpx.Response(200, json={"content": tree}))
    result = await client.retrieve_annotation(1, sideloads=["documents", "content"])
    assert isinstance(result, Annotation)
    assert result.document == {"id": 4, "mime_type": "x"}
    assert result.content == tree


async def test_poll_annotation_until_imported_waits_between_polls(
    api: respx.MockRouter, client: AsyncRossumAPIClient, sleeps: Sleeps
) -> None:
    """Polling re-reads the annotation every `sleep_s` until it leaves `importing`."""
    route = api.get("/annotations/1").mock(
        side_effect=[
            httpx.Response(200, json={"id": 1, "status": "importing"}),
            httpx.Response(200, json={"id": 1, "status": "importing"}),
            httpx.Response(200, json={"id": 1, "status": "to_review"}),
        ]
    )
    annotation = await client.poll_annotation_until_imported(1, sleep_s=2)
    assert annotation.status == "to_review"
    assert route.call_count == 3
    assert sleeps == [2, 2]


async def test_poll_task_until_succeeded_also_ends_on_failure(
    api: respx.MockRouter, client: AsyncRossumAPIClient, sleeps: Sleeps
) -> None:
    """A failed task ends the wait (instead of polling forever) and is returned as is."""
    route = api.get("/tasks/3", params={"no_redirect": "True"}).mock(
        side_effect=[
            httpx.Response(200, json={"id": 3, "status": "running"}),
            httpx.Response(200, json={"id": 3, "status": "failed", "detail": "bad file"}),
        ]
    )
    task = await client.poll_task_until_succeeded(3)
    assert (task.status, task.detail) == ("failed", "bad file")
    assert route.call_count == 2
    assert sleeps == [3]


async def test_upload_document_posts_each_file_and_returns_tasks(
    api: respx.MockRouter, client: AsyncRossumAPIClient, tmp_path: Path
) -> None:
    """Each file goes to `POST /uploads?queue=` as multipart; the tasks come back in order."""
    (tmp_path / "a.pdf").write_bytes(b"%PDF-a")
    (tmp_path / "b.pdf").write_bytes(b"%PDF-b")
    uploads = api.post("/uploads", params={"queue": "7"}).mock(
        side_effect=[
            httpx.Response(202, json={"url": f"{BASE}/tasks/11"}),
            httpx.Response(202, json={"url": f"{BASE}/tasks/12"}),
        ]
    )
    api.get(path__regex=r"/tasks/1[12]").mock(
        side_effect=lambda request: httpx.Response(
            200, json={"id": int(request.url.path.rsplit("/", 1)[1]), "status": "running"}
        )
    )
    tasks = await client.upload_document(
        7,
        [(tmp_path / "a.pdf", "first.pdf"), (str(tmp_path / "b.pdf"), "second.pdf")],
        metadata={"source": "test"},
    )
    assert [t.id for t in tasks] == [11, 12]
    assert all(isinstance(t, Task) for t in tasks)
    bodies = [call.request.content for call in uploads.calls]
    assert any(b'filename="first.pdf"' in b and b"%PDF-a" in b for b in bodies)
    assert any(b'filename="second.pdf"' in b and b"%PDF-b" in b for b in bodies)
    assert all(b'{"source": "test"}' in b for b in bodies)


async def test_import_document_is_deprecated_and_returns_annotation_ids(
    api: respx.MockRouter, client: AsyncRossumAPIClient, tmp_path: Path
) -> None:
    """The legacy import endpoint still works, warns, and yields annotation ids."""
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    api.post("/queues/7/upload").mock(
        return_value=httpx.Response(
            200, json={"results": [{"annotation": f"{BASE}/annotations/55"}]}
        )
    )
    with pytest.warns(DeprecationWarning, match="upload_document"):
        ids = await client.import_document(7, [(tmp_path / "a.pdf", "a.pdf")])
    assert ids == [55]


async def test_upload_and_wait_until_imported(
    api: respx.MockRouter, client: AsyncRossumAPIClient, tmp_path: Path
) -> None:
    """One call uploads a file and returns its annotation once imported, without warnings."""
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    api.post("/queues/7/upload").mock(
        return_value=httpx.Response(
            200, json={"results": [{"annotation": f"{BASE}/annotations/5"}]}
        )
    )
    api.get("/annotations/5").mock(
        return_value=httpx.Response(200, json={"id": 5, "status": "to_review"})
    )
    annotation = await client.upload_and_wait_until_imported(7, tmp_path / "a.pdf", "a.pdf")
    assert annotation.id == 5


async def test_create_new_document_sends_file_metadata_and_parent(
    api: respx.MockRouter, client: AsyncRossumAPIClient
) -> None:
    """A document is created from bytes with JSON metadata and a parent URL."""
    route = api.post("/documents").mock(return_value=httpx.Response(201, json={"id": 8}))
    document = await client.create_new_document(
        "a.pdf", b"%PDF", metadata={"k": "v"}, parent=f"{BASE}/documents/1"
    )
    body = route.calls.last.request.content
    assert document.id == 8
    assert b'filename="a.pdf"' in body and b"%PDF" in body
    assert b'{"k": "v"}' in body and f"{BASE}/documents/1".encode() in body


async def test_retrieve_document_content_returns_bytes(
    api: respx.MockRouter, client: AsyncRossumAPIClient
) -> None:
    """A document's file comes back as raw bytes."""
    api.get("/documents/8/content").mock(return_value=httpx.Response(200, content=b"%PDF-1.7"))
    assert await client.retrieve_document_content(8) == b"%PDF-1.7"


async def test_import_email_returns_the_task_url(
    api: respx.MockRouter, client: AsyncRossumAPIClient
) -> None:
    """A raw email is posted as multipart and the import task URL returned."""
    route = api.post("/emails/import").mock(
        return_value=httpx.Response(200, json={"url": f"{BASE}/tasks/9"})
    )
    url = await client.import_email(b"From: a@b.c\r\n\r\nhi", "inbox@example.com", "message/rfc822")
    assert url == f"{BASE}/tasks/9"
    assert b"inbox@example.com" in route.calls.last.request.content


async def test_retrieve_own_organization_follows_the_user(
    api: respx.MockRouter, client: AsyncRossumAPIClient
) -> None:
    """The own organization is read from `auth/user` and then fetched by its URL."""
    api.get("/auth/user").mock(
        return_value=httpx.Response(200, json={"organization": f"{BASE}/organizations/2"})
    )
    api.get("/organizations/2").mock(
        return_value=httpx.Response(200, json={"id": 2, "name": "Acme"})
    )
    assert (await client.retrieve_own_organization()).name == "Acme"


async def test_export_to_json_pages_through_annotations(
    api: respx.MockRouter, client: AsyncRossumAPIClient
) -> None:
    """JSON exports are paginated like listings and `to_status` switches to POST."""
    body = {"pagination": {"next": None}, "results": [{"id": 1, "status": "exported"}]}
    get = api.get("/queues/3/export").mock(return_value=httpx.Response(200, json=body))
    post = api.post("/queues/3/export").mock(return_value=httpx.Response(200, json=body))
    assert [a.id async for a in client.export_annotations_to_json(3, status="confirmed")] == [1]
    assert [a.id async for a in client.export_annotations_to_json(3, to_status="exported")] == [1]
    assert get.calls.last.request.url.params["format"] == "json"
    assert post.calls.last.request.url.params["to_status"] == "exported"


async def test_export_to_file_streams_chunks(
    api: respx.MockRouter, client: AsyncRossumAPIClient
) -> None:
    """A CSV export arrives as byte chunks; the format goes in the query."""
    route = api.get("/queues/3/export").mock(return_value=httpx.Response(200, content=b"id\n1\n"))
    chunks = [c async for c in client.export_annotations_to_file(3, ExportFileFormats.CSV, id=1)]
    assert b"".join(chunks) == b"id\n1\n"
    assert dict(route.calls.last.request.url.params) == {"format": "csv", "id": "1"}


async def test_broken_export_stream_never_repeats_bytes(
    api: respx.MockRouter, client: AsyncRossumAPIClient
) -> None:
    """After some bytes went out, a dropped connection raises instead of re-sending them."""
    route = api.get("/queues/3/export").mock(
        return_value=httpx.Response(200, stream=BrokenStream(b"id,status\n", b"1,exported\n"))
    )
    received: list[bytes] = []
    with pytest.raises(TransportError, match="connection reset"):
        async for chunk in client.export_annotations_to_file(3, "csv"):
            received.append(chunk)
    assert received == [b"id,status\n", b"1,exported\n"]
    assert route.call_count == 1


async def test_export_stream_is_retried_before_the_first_byte(
    api: respx.MockRouter, client: AsyncRossumAPIClient, sleeps: Sleeps
) -> None:
    """A 503 or a break before any byte was yielded is retried like any GET."""
    route = api.get("/queues/3/export").mock(
        side_effect=[
            httpx.Response(503),
            httpx.Response(200, stream=BrokenStream()),
            httpx.Response(200, content=b"ok"),
        ]
    )
    assert [c async for c in client.export_annotations_to_file(3, "xml")] == [b"ok"]
    assert route.call_count == 3
    assert len(sleeps) == 2


def test_sync_broken_export_stream_never_repeats_bytes(
    api: respx.MockRouter, sync_client: SyncRossumAPIClient
) -> None:
    """The sync client also raises on a stream broken after its first bytes."""
    route = api.get("/queues/3/export").mock(
        return_value=httpx.Response(200, stream=BrokenStream(b"a"))
    )
    received: list[bytes] = []
    with pytest.raises(TransportError):
        for chunk in sync_client.export_annotations_to_file(3, "csv"):
            received.append(chunk)
    assert received == [b"a"]
    assert route.call_count == 1


def test_sync_upload_document(
    api: respx.MockRouter, sync_client: SyncRossumAPIClient, tmp_path: Path
) -> None:
    """The sync client runs the same upload flow, one file after another."""
    (tmp_path / "a.pdf").write_bytes(b"%PDF")
    api.post("/uploads").mock(return_value=httpx.Response(202, json={"url": f"{BASE}/tasks/4"}))
    api.get("/tasks/4").mock(
        return_value=httpx.Response(200, json={"id": 4, "status": "succeeded"})
    )
    (task,) = sync_client.upload_document(7, [(tmp_path / "a.pdf", "a.pdf")], values={"v": 1})
    assert task.status == "succeeded"


def test_sync_bulk_update_sends_operations(
    api: respx.MockRouter, sync_client: SyncRossumAPIClient
) -> None:
    """Content operations go to `content/operations` under an `operations` key."""
    ops = [{"op": "remove", "id": 1}]
    route = api.post("/annotations/1/content/operations").mock(
        return_value=httpx.Response(200, json={"content": []})
    )
    assert sync_client.bulk_update_annotation_data(1, ops) == {"content": []}
    assert json.loads(route.calls.last.request.content) == {"operations": ops}
