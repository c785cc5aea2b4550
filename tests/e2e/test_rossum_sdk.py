"""Rossum's own SDK (`rossum-api` 3.17.0), async and sync, against the sandbox over loopback.

One sandbox (uvicorn, real TCP) serves the module; each test imports the invoices it needs into
a queue of its own, so tests neither see each other's data nor the demo data. Where the SDK
itself cannot read what Rossum documents (see docs/sandbox.md, "Rossum's SDK"), the test pins
that behaviour so an SDK upgrade that changes it is noticed.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dacite
import httpx
import pytest
from rossum_api import APIClientError, AsyncRossumAPIClient, SyncRossumAPIClient
from rossum_api.domain_logic.annotations import ExportFileFormats
from rossum_api.dtos import UserCredentials
from rossum_api.models.automation_blocker import AutomationBlocker
from rossum_api.models.document import Document
from rossum_api.models.task import TaskStatus
from rossum_api.models.user import User
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sandbox.app import create_sandbox_app
from sandbox.demo_data import DEMO_PASSWORD, DEMO_USER
from sandbox.server import serving_in_thread
from sandbox.settings import SandboxSettings

pytestmark = pytest.mark.e2e
CREDENTIALS = UserCredentials(DEMO_USER, DEMO_PASSWORD)
INVOICE_SCHEMA = 201


@dataclass(frozen=True)
class Served:
    """The sandbox's API root and a plain HTTP client logged in to it (for setup only)."""

    api: str
    http: httpx.Client
    hook_url: str

    def new_queue(self, name: str) -> int:
        """Create a queue of the invoice schema and return its id."""
        body = {"name": name, "schema": f"{self.api}/schemas/{INVOICE_SCHEMA}"}
        return int(self.http.post("queues", json=body).raise_for_status().json()["id"])

    def import_invoice(self, queue: int, name: str, **fields: str) -> dict[str, Any]:
        """Import a document with these field values and wait for its import flow."""
        body = {"queue": queue, "file_name": name, "fields": fields}
        response = self.http.post("sandbox/import", params={"wait": "true"}, json=body)
        return dict(response.raise_for_status().json())


def _receiver() -> Starlette:
    async def answer(request: Request) -> JSONResponse:
        payload = await request.json()
        blockers = [{"content": "Check the vendor."}] if payload["action"] == "initialize" else []
        answer = {"messages": [], "operations": [], "automation_blockers": blockers}
        return JSONResponse(answer | {"echo": payload.get("action")})

    return Starlette(routes=[Route("/hook", answer, methods=["POST"])])


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    app = create_sandbox_app(SandboxSettings(rate_limit_per_s=0, delivery_retry_delay_s=0))
    with serving_in_thread(app) as base, serving_in_thread(_receiver()) as hook_base:
        api = f"{base}/api/v1"
        with httpx.Client(base_url=f"{api}/") as http:
            login = http.post("auth/login", json={"username": DEMO_USER, "password": DEMO_PASSWORD})
            http.headers["Authorization"] = f"Bearer {login.raise_for_status().json()['key']}"
            yield Served(api, http, f"{hook_base}/hook")


@pytest.fixture
async def sdk(served: Served) -> AsyncIterator[Callable[..., Any]]:
    """Make async SDK clients; close their connections afterwards (the SDK has no close)."""
    made: list[Any] = []

    def make(**kwargs: Any) -> Any:
        made.append(AsyncRossumAPIClient(served.api, CREDENTIALS, n_retries=1, **kwargs))
        return made[-1]

    yield make
    for api in made:
        await api._http_client.client.aclose()


@pytest.fixture
def sync_sdk(served: Served) -> Iterator[Any]:
    """A sync SDK client, its connections closed afterwards."""
    api = SyncRossumAPIClient(served.api, CREDENTIALS, n_retries=1)
    yield api
    api.internal_client.client.close()


def _four_invoices(served: Served, queue: int) -> list[dict[str, Any]]:
    """Import invoices whose file names, vendors and totals differ (ids in import order)."""
    rows = [
        ("b.pdf", "Acme Supplies Ltd.", "12 500.00"),
        ("a.pdf", "Globex Corporation", "250.00"),
        ("b.pdf", "Initech", "9 999.99"),
        ("c.pdf", "Acme Rockets", "40.00"),
    ]
    return [
        served.import_invoice(queue, name, sender_name=vendor, amount_total=total)
        for name, vendor, total in rows
    ]


def _error(exc: pytest.ExceptionInfo[APIClientError]) -> dict[str, Any]:
    body = json.loads(str(exc.value.error))
    assert set(body) == {"detail", "code"}
    return dict(body)


async def _collect(iterator: Any) -> list[Any]:
    return [item async for item in iterator]


# --- annotations -------------------------------------------------------------------------------


async def test_async_list_filters_orders_on_four_fields_and_sideloads(
    served: Served, sdk: Callable[..., Any]
) -> None:
    """Filters, a four-key ordering and four sideloads come back as the SDK's models."""
    queue = served.new_queue("sdk list")
    anns = _four_invoices(served, queue)
    served.http.post(f"annotations/{anns[3]['id']}/postpone").raise_for_status()
    api = sdk()
    ordering = ["status", "-document__original_file_name", "-created_at", "id"]
    listed = await _collect(
        api.list_annotations(
            ordering=ordering,
            sideloads=["documents", "modifiers", "content", "automation_blockers"],
            content_schema_ids=["amount_total"],
            queue=queue,
            status="to_review,postponed",
        )
    )
    # postponed < to_review; then file name descending; then newest first.
    assert [a.id for a in listed] == [anns[i]["id"] for i in (3, 2, 0, 1)]
    assert all(isinstance(a.document, Document) for a in listed)
    assert isinstance(listed[0].modifier, User) and listed[1].modifier is None
    totals = {a.id: [dp["content"]["value"] for dp in a.content] for a in listed}
    assert totals[anns[0]["id"]] == ["12 500.00"]
    filtered = await _collect(api.list_annotations(queue=queue, status="postponed"))
    assert [a.id for a in filtered] == [anns[3]["id"]]


async def test_unimplemented_filters_orderings_and_sideloads_are_400(
    served: Served, sdk: Callable[..., Any]
) -> None:
    """What the sandbox does not implement is refused with Rossum's 400, never ignored."""
    api = sdk()
    attempts = [
        api.list_annotations(relations__key="x"),
        api.list_annotations(ordering=["rir_poll_id"]),
        api.list_annotations(sideloads=["workflow_runs"]),
        api.list_queues(ordering=["counts"]),
        api.list_users(deleted="true"),
        api.list_workspaces(nonsense="1"),
        api.list_hooks(ordering=["config_app_url"]),
    ]
    for listing in attempts:
        with pytest.raises(APIClientError) as caught:
            await _collect(listing)
        assert caught.value.status_code == 400
        assert _error(caught)["code"] == "bad_request"


async def test_async_search_with_query_and_full_text(
    served: Served, sdk: Callable[..., Any]
) -> None:
    """`search_for_annotations`: MQL on content and meta fields, full text, field ordering."""
    queue = served.new_queue("sdk search")
    anns = _four_invoices(served, queue)
    api = sdk()
    queue_url = f"{served.api}/queues/{queue}"
    big = await _collect(
        api.search_for_annotations(
            query={
                "$and": [
                    {"queue": {"$in": [queue_url]}},
                    {"field.amount_total.number": {"$gte": 250}},
                ]
            },
            ordering=["-field.amount_total.number"],
        )
    )
    assert [a.id for a in big] == [anns[i]["id"] for i in (0, 2, 1)]
    acme = await _collect(
        api.search_for_annotations(
            query={"$and": [{"queue": {"$eq": queue_url}}]}, query_string={"string": "acm"}
        )
    )
    assert sorted(a.id for a in acme) == [anns[0]["id"], anns[3]["id"]]
    with pytest.raises(APIClientError) as caught:
        await _collect(api.search_for_annotations(query={"$and": [{"status": {"$regex": "x"}}]}))
    assert caught.value.status_code == 400


async def test_async_put_patch_and_verbs(served: Served, sdk: Callable[..., Any]) -> None:
    """PUT, PATCH, start, content operations, confirm (to exported), cancel, delete, reject."""
    queue = served.new_queue("sdk verbs")
    first, second, third = (served.import_invoice(queue, f"{n}.pdf") for n in "xyz")
    api = sdk()
    put = await api.update_annotation(
        first["id"],
        {"document": first["document"], "queue": first["queue"], "status": "postponed"},
    )
    assert (put.status, put.metadata) == ("postponed", {})
    patched = await api.update_part_annotation(first["id"], {"metadata": {"po": "4711"}})
    assert patched.metadata == {"po": "4711"}
    await api.start_annotation(first["id"])
    content = await api.retrieve_annotation(first["id"], sideloads=["content"])
    total = next(
        dp for s in content.content for dp in s["children"] if dp["schema_id"] == "amount_total"
    )
    await api.bulk_update_annotation_data(
        first["id"], [{"op": "replace", "id": total["id"], "value": {"content": {"value": "77"}}}]
    )
    await api.confirm_annotation(first["id"])
    exported = await api.poll_annotation(first["id"], lambda a: a.status == "exported", sleep_s=0)
    assert exported.confirmed_at is not None and exported.exported_at is not None
    await api.start_annotation(second["id"])
    await api.cancel_annotation(second["id"])
    await api.delete_annotation(second["id"])
    assert (await api.retrieve_annotation(second["id"])).status == "deleted"
    # Postpone and reject are not SDK methods: through its generic request_json.
    rejected = await api.request_json(
        "POST", f"annotations/{third['id']}/reject", json={"note_content": "Wrong vendor"}
    )
    notes = await _collect(api.request_paginated("notes", annotation=third["id"]))
    assert rejected["status"] == "rejected"
    assert [(n["url"], n["content"]) for n in notes] == [(rejected["note"], "Wrong vendor")]


async def test_async_retrieve_annotation_sideloads(served: Served, sdk: Callable[..., Any]) -> None:
    """`retrieve_annotation` sideloads by following URLs; `queues` cannot be deserialised."""
    queue = served.new_queue("sdk retrieve")
    ann = served.import_invoice(queue, "r.pdf", document_id="R-1")
    api = sdk()
    got = await api.retrieve_annotation(ann["id"], sideloads=["documents", "content"])
    assert isinstance(got.document, Document) and got.document.original_file_name == "r.pdf"
    assert got.document.created_at and got.document.creator == f"{served.api}/users/1"
    assert next(s["schema_id"] for s in got.content) == "invoice_info_section"
    # SDK quirk: `queues` is a declared sideload, but Annotation.queue is typed `str | None`.
    with pytest.raises(dacite.WrongTypeError):
        await api.retrieve_annotation(ann["id"], sideloads=["queues"])
    with pytest.raises(dacite.WrongTypeError):
        await _collect(api.list_annotations(sideloads=["queues"], queue=queue))


async def test_async_automation_blockers_sideloaded(
    served: Served, sdk: Callable[..., Any]
) -> None:
    """A hook's blocker on `initialize` comes back as the SDK's AutomationBlocker model."""
    queue = served.new_queue("sdk blockers")
    api = sdk()
    hook = await api.create_new_hook(
        {
            "name": "blocking hook",
            "queues": [f"{served.api}/queues/{queue}"],
            "events": ["annotation_content.initialize"],
            "config": {"url": served.hook_url},
        }
    )
    ann = served.import_invoice(queue, "blocked.pdf")
    (listed,) = await _collect(api.list_annotations(sideloads=["automation_blockers"], queue=queue))
    got = await api.retrieve_annotation(ann["id"], sideloads=["automation_blockers"])
    await api.delete_hook(hook.id)
    for annotation in (listed, got):
        assert isinstance(annotation.automation_blocker, AutomationBlocker)
        (content,) = annotation.automation_blocker.content
        assert (content.level, content.type) == ("annotation", "extension")


# --- organisations, users, workspaces, queues, schemas ----------------------------------------


async def test_async_organisations_and_users(served: Served, sdk: Callable[..., Any]) -> None:
    """Own organisation (via `GET /auth/user`), listed ones, its group, users ordered."""
    api = sdk()
    own = await api.retrieve_own_organization()
    listed = await _collect(api.list_organizations(ordering=["-name"], name=own.name))
    group_id = int(own.organization_group.rstrip("/").rsplit("/", 1)[1])
    group = await api.retrieve_organization_group(group_id)
    groups = await _collect(api.list_organization_groups())
    me = await api.request_json("GET", "auth/user")
    users = await _collect(api.list_users(ordering=["-username"], is_active="true"))
    assert [o.id for o in listed] == [own.id] and own.created_at
    assert group.id in [g.id for g in groups]
    assert me["username"] == DEMO_USER and me["organization"] == own.url
    assert [u.username for u in users] == sorted((u.username for u in users), reverse=True)
    assert (await api.retrieve_user(me["id"])).email == DEMO_USER


async def test_async_workspaces_queues_and_schemas(served: Served, sdk: Callable[..., Any]) -> None:
    """Create, list (filtered, ordered), retrieve and delete workspaces, queues and schemas."""
    api = sdk()
    schema_201 = await api.retrieve_schema(INVOICE_SCHEMA)
    raw_schema = await api.request_json("GET", f"schemas/{INVOICE_SCHEMA}")
    schema = await api.create_new_schema({"name": "sdk schema", "content": raw_schema["content"]})
    own = await api.retrieve_own_organization()
    workspace = await api.create_new_workspace({"name": "sdk ws", "organization": own.url})
    queues = [
        await api.create_new_queue({"name": n, "workspace": workspace.url, "schema": schema.url})
        for n in ("sdk q1", "sdk q2")
    ]
    in_workspace = await _collect(api.list_queues(ordering=["-name"], workspace=workspace.id))
    by_schema = await _collect(api.list_schemas(queue=queues[0].id))
    workspaces = await _collect(api.list_workspaces(ordering=["name"], organization=own.id))
    assert [q.name for q in in_workspace] == ["sdk q2", "sdk q1"]
    assert [s.id for s in by_schema] == [schema.id]
    assert workspace.id in [w.id for w in workspaces]
    assert (await api.retrieve_workspace(workspace.id)).queues == [q.url for q in queues]
    assert (await api.retrieve_queue(queues[0].id)).counts == {}
    assert schema_201.id == INVOICE_SCHEMA
    for queue in queues:
        await api.delete_queue(queue.id)
    await api.delete_schema(schema.id)
    await api.delete_workspace(workspace.id)
    with pytest.raises(APIClientError) as caught:
        await api.retrieve_workspace(workspace.id)
    assert caught.value.status_code == 404


# --- hooks -------------------------------------------------------------------------------------


async def test_async_hooks_crud_test_and_generate_payload(
    served: Served, sdk: Callable[..., Any]
) -> None:
    """Hook CRUD by SDK methods; `test` and `generate_payload` by its request_json."""
    queue = served.new_queue("sdk hooks")
    ann = served.import_invoice(queue, "h.pdf")
    api = sdk()
    hook = await api.create_new_hook(
        {
            "name": "sdk hook",
            "type": "webhook",
            "queues": [f"{served.api}/queues/{queue}"],
            "events": ["annotation_content.confirm"],
            "config": {"url": served.hook_url},
        }
    )
    listed = await _collect(api.list_hooks(ordering=["-name"], queue=queue, active="true"))
    changed = await api.update_part_hook(hook.id, {"settings": {"expedite_amount": 5}})
    payload = await api.request_json(
        "POST",
        f"hooks/{hook.id}/generate_payload",
        json={"event": "annotation_content", "action": "confirm", "annotation": ann["url"]},
    )
    tested = await api.request_json("POST", f"hooks/{hook.id}/test", json={"payload": payload})
    assert [h.id for h in listed] == [hook.id]
    assert (await api.retrieve_hook(hook.id)).settings == changed.settings == {"expedite_amount": 5}
    assert payload["annotation"]["url"] == ann["url"]
    assert tested["response"]["echo"] == "confirm"
    assert await _collect(api.list_hook_run_data(hook=hook.id)) == []
    await api.delete_hook(hook.id)
    assert await _collect(api.list_hooks(queue=queue)) == []


# --- uploads, tasks, documents -----------------------------------------------------------------


async def test_async_upload_document_polls_its_task(
    served: Served, sdk: Callable[..., Any], tmp_path: Path
) -> None:
    """`upload_document` -> task -> upload -> annotation imported -> the same bytes back."""
    queue = served.new_queue("sdk upload")
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(b"%PDF-1.4 sdk upload\n%%EOF\n")
    api = sdk()
    (task,) = await api.upload_document(queue, [(pdf, "scan.pdf")], metadata={"batch": "7"})
    done = await api.poll_task_until_succeeded(task.id, sleep_s=0)
    upload = await api.retrieve_upload(int(done.result_url.rstrip("/").rsplit("/", 1)[1]))
    ann_id = int(upload.annotations[0].rsplit("/", 1)[1])
    ann = await api.poll_annotation_until_imported(ann_id, sleep_s=0)
    document = await api.retrieve_document(int(upload.documents[0].rsplit("/", 1)[1]))
    assert done.status == TaskStatus.SUCCEEDED and done.content == {"upload": upload.url}
    assert (ann.status, ann.metadata) == ("to_review", {"batch": "7"})
    assert (document.original_file_name, document.mime_type) == ("scan.pdf", "application/pdf")
    assert await api.retrieve_document_content(document.id) == pdf.read_bytes()
    redirect = served.http.get(f"tasks/{task.id}")
    assert (redirect.status_code, redirect.headers["location"]) == (303, upload.url)
    created = await api.create_new_document("loose.txt", b"plain", metadata={"k": 1})
    assert (created.mime_type, created.metadata, created.annotations) == (
        "text/plain",
        {"k": 1},
        [],
    )
    annotation = await api.create_new_annotation(
        {"status": "created", "document": created.url, "queue": f"{served.api}/queues/{queue}"}
    )
    assert (annotation.status, annotation.document) == ("created", created.url)
    # The older queue upload, deprecated in the SDK (it warns), still answers as Rossum did.
    with pytest.warns(DeprecationWarning):
        imported = await api.upload_and_wait_until_imported(queue, pdf, "old.pdf", sleep_s=0)
    assert (imported.status, imported.queue) == ("to_review", f"{served.api}/queues/{queue}")


# --- export, labels ----------------------------------------------------------------------------


async def test_async_queue_export_json_csv_and_xml(served: Served, sdk: Callable[..., Any]) -> None:
    """Export in Rossum's shapes; the SDK's default model cannot read the JSON rows."""
    queue = served.new_queue("sdk export")
    anns = _four_invoices(served, queue)
    api = sdk()
    with pytest.raises(dacite.WrongTypeError):  # SDK quirk: rows carry document/schema objects
        await _collect(api.export_annotations_to_json(queue))
    raw = sdk(deserializer=lambda resource, payload: payload)
    rows = await _collect(raw.export_annotations_to_json(queue, id=f"{anns[0]['id']}"))
    assert [r["document"]["file_name"] for r in rows] == ["b.pdf"]
    csv_bytes = b"".join(
        await _collect(
            api.export_annotations_to_file(
                queue, ExportFileFormats.CSV, columns=["sender_name", "amount_total"]
            )
        )
    )
    lines = csv_bytes.decode().splitlines()
    assert lines == [
        "Vendor name,Total amount",
        "Acme Supplies Ltd.,12 500.00",
        "Globex Corporation,250.00",
        "Initech,9 999.99",
        "Acme Rockets,40.00",
    ]
    xml = b"".join(await _collect(api.export_annotations_to_file(queue, ExportFileFormats.XML)))
    assert xml.startswith(b"<?xml") and xml.count(b"<annotation ") == 4


async def test_labels_cursor_paging_through_the_sdk(
    served: Served, sdk: Callable[..., Any]
) -> None:
    """Labels page by signed cursor in `pagination.next`; the SDK's cursor helper stops early."""
    api = sdk()
    names = [f"sdk-{n}" for n in range(5)]
    for name in names:
        await api.request_json("POST", "labels", json={"name": name})
    # SDK quirk: cursor_fetch reads a top-level `next`; the Labels API puts it in `pagination`.
    first_only = await _collect(
        api.request_cursor_paginated("labels", ordering=["name"], page_size=2)
    )
    assert len(first_only) == 2
    page = await api.request_json("GET", "labels", params={"ordering": "-name", "page_size": 2})
    seen = [label["name"] for label in page["results"]]
    while page["pagination"]["next"]:
        page = await api.request_json("GET", page["pagination"]["next"])
        seen += [label["name"] for label in page["results"]]
    assert [n for n in seen if n.startswith("sdk-")] == sorted(names, reverse=True)


# --- the sync client ---------------------------------------------------------------------------


def test_sync_client_lists_searches_and_reads_organisation(served: Served, sync_sdk: Any) -> None:
    """The sync client: ordered, sideloaded list, search, own organisation, 400 on a typo."""
    queue = served.new_queue("sdk sync")
    anns = _four_invoices(served, queue)
    api = sync_sdk
    listed = list(
        api.list_annotations(
            ordering=["-document__original_file_name", "modifier__username", "-id", "status"],
            sideloads=["documents"],
            queue=queue,
        )
    )
    found = list(
        api.search_for_annotations(
            query={"$and": [{"field.sender_name.string": {"$startsWith": "Acme"}}]},
            ordering=["field.amount_total.number"],
            query_string={"string": "acme"},
        )
    )
    assert [a.id for a in listed] == [anns[i]["id"] for i in (3, 2, 0, 1)]
    assert [a.document.original_file_name for a in listed] == ["c.pdf", "b.pdf", "b.pdf", "a.pdf"]
    assert [a.id for a in found if a.queue.endswith(f"/{queue}")] == [anns[3]["id"], anns[0]["id"]]
    assert api.retrieve_own_organization().organization_group.startswith(served.api)
    assert [u.id for u in api.list_users(ordering=["email"], username=DEMO_USER)] == [1]
    with pytest.raises(APIClientError) as caught:
        list(api.list_annotations(statuss="to_review"))
    assert caught.value.status_code == 400


def test_sync_upload_document_fails_on_rossums_answer(
    served: Served, sync_sdk: Any, tmp_path: Path
) -> None:
    """SDK bug: the sync `upload_document` reads the old `/queues/{id}/upload` answer shape
    from `POST /uploads` (`{"url": task}`), so it raises; `import_document` still works."""
    queue = served.new_queue("sdk sync upload")
    pdf = tmp_path / "sync.pdf"
    pdf.write_bytes(b"%PDF-1.4 sync\n%%EOF\n")
    api = sync_sdk
    with pytest.raises(KeyError, match="results"):
        api.upload_document(queue, [(pdf, "sync.pdf")])
    (ann_id,) = api.import_document(queue, [(pdf, "sync.pdf")], metadata={"via": "queue"})
    ann = api.poll_annotation(ann_id, lambda a: a.status == "to_review", sleep_s=0)
    assert ann.metadata == {"via": "queue"}
    in_queue = list(api.list_annotations(queue=queue, ordering=["created_at"]))
    assert len(in_queue) == 2  # the upload the SDK misread was still made, as Rossum would


def test_sync_client_resources_hooks_export_and_labels(served: Served, sync_sdk: Any) -> None:
    """The sync client over workspaces, queues, schemas, hooks, documents, export and labels."""
    api = sync_sdk
    own = api.retrieve_own_organization()
    workspace = api.create_new_workspace({"name": "sync ws", "organization": own.url})
    schema_url = f"{served.api}/schemas/{INVOICE_SCHEMA}"
    queue = api.create_new_queue(
        {"name": "sync q", "workspace": workspace.url, "schema": schema_url}
    )
    ann = served.import_invoice(queue.id, "s.pdf", sender_name="Umbrella", amount_total="5.00")
    hook = api.create_new_hook(
        {"name": "sync hook", "queues": [queue.url], "config": {"url": served.hook_url}}
        | {"events": ["annotation_status.changed"]}
    )
    got = api.retrieve_annotation(ann["id"], sideloads=["documents", "automation_blockers"])
    csv_text = b"".join(
        api.export_annotations_to_file(
            queue.id, ExportFileFormats.CSV, columns=["sender_name"], prepend_columns=["meta_url"]
        )
    ).decode()
    for name in ("sync-a", "sync-b", "sync-c"):
        api.request_json("POST", "labels", json={"name": name})
    first_page = list(api.request_cursor_paginated("labels", ordering=["-name"], page_size=2))
    assert [q.id for q in api.list_queues(workspace=workspace.id, ordering=["-id"])] == [queue.id]
    assert [s.id for s in api.list_schemas(queue=queue.id)] == [INVOICE_SCHEMA]
    assert [h.id for h in api.list_hooks(queue=queue.id, ordering=["name"])] == [hook.id]
    assert api.update_part_hook(hook.id, {"active": False}).active is False
    assert isinstance(got.document, Document) and api.retrieve_document(got.document.id).id
    assert csv_text.splitlines() == ["meta_url,Vendor name", f"{ann['url']},Umbrella"]
    assert len(first_page) == 2  # the SDK quirk again: `pagination.next` is not followed
    api.delete_hook(hook.id)
    api.delete_queue(queue.id)
    api.delete_workspace(workspace.id)
    with pytest.raises(APIClientError) as caught:
        api.retrieve_queue(queue.id)
    assert caught.value.status_code == 404
