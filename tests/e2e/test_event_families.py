"""Every event family end to end: the sandbox (as Rossum) and the service on loopback uvicorn.

The service runs rules written as a rule author would, for uploads, emails and invocations;
the sandbox delivers each family the way Rossum does and applies the answers. The last test
runs the service in asynchronous mode: 202 + Location, Rossum's polling, the result applied.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from rossum_api import AsyncRossumAPIClient
from rossum_api.dtos import UserCredentials

from handlers.decision import Decision, info
from handlers.events import EmailEvent, HookEvent, InvocationEvent, UploadEvent
from handlers.routing import Router
from sandbox import SandboxSettings, create_sandbox_app
from sandbox.demo_data import DEMO_PASSWORD, DEMO_USER
from sandbox.emails import DEMO_INBOX_EMAIL
from sandbox.pdf import text_pdf
from sandbox.server import serving_in_thread
from service.app import create_app
from service.settings import Settings

SECRET = "e2e-event-families-secret"
pytestmark = pytest.mark.e2e
seen: list[str] = []

router = Router()


@router.register("upload", "created")
def import_pdfs_only(event: UploadEvent) -> Decision:
    """Import PDFs (with a note on each), keep every other uploaded file out."""
    by_url = {d.url: d for d in event.documents}
    files = []
    for file in event.files:
        document = by_url.get(file.document)
        pdf = document is not None and document.mime_type == "application/pdf"
        entry: dict[str, Any] = {"document": file.document, "prevent_importing": not pdf}
        if pdf:
            entry["messages"] = [info("Checked on upload.").to_json()]
        files.append(entry)
    return Decision(files=files)


@router.register("email", "received")
def pdf_attachments_with_subject(event: EmailEvent) -> Decision:
    """Import only the PDF attachments, each with the subject as an `email:subject` value."""
    subject = event.headers.get("subject") or ""
    files = [
        {"id": f.id, "values": [{"id": "email:subject", "value": subject}]}
        for f in event.files
        if f.mime_type == "application/pdf"
    ]
    return Decision(files=files)


@router.register("invocation", "manual")
def echo(event: InvocationEvent) -> Decision:
    """Answer a manual invocation with what it was asked."""
    return Decision(response={"asked": event.fields.get("order"), "via": "rossum-hooks"})


@router.register("invocation", "scheduled")
def nightly(event: InvocationEvent) -> Decision:
    """Note each scheduled run (a real rule would fetch and act on data via the API)."""
    seen.append(f"scheduled:{event.request_id}")
    return Decision()


@router.register("annotation_status", "changed")
def label_imports(event: HookEvent) -> Decision:
    """Label every annotation that reaches `to_review`."""
    return Decision(add_labels={"imported"})


@dataclass
class Stack:
    """The sandbox and the service, serving on loopback."""

    client: httpx.Client
    service_url: str

    @property
    def api(self) -> str:
        return str(self.client.base_url).rstrip("/") + "/api/v1"

    def hook(self, events: list[str], **extra: Any) -> dict[str, Any]:
        config = {"url": f"{self.service_url}/hooks", "secret": SECRET, **extra.pop("config", {})}
        body = {
            "name": "rossum-hooks",
            "queues": [f"{self.api}/queues/101"],
            "events": events,
            "config": config,
            "token_owner": f"{self.api}/users/1",
            **extra,
        }
        response = self.client.post("/api/v1/hooks", json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def deliveries(self, event: str) -> list[dict[str, Any]]:
        response = self.client.get(f"/api/v1/sandbox/deliveries?wait=true&event={event}")
        results: list[dict[str, Any]] = response.json()["results"]
        return results

    def finished_task(self, task_url: str) -> dict[str, Any]:
        for _ in range(500):
            task: dict[str, Any] = self.client.get(task_url, params={"no_redirect": "true"}).json()
            if task["status"] != "running":
                return task
            time.sleep(0.02)
        raise AssertionError(f"task {task_url} still running")


def _stack(**service_settings: Any) -> Iterator[Stack]:
    sandbox = create_sandbox_app(
        SandboxSettings(rate_limit_per_s=0, delivery_retry_delay_s=0, async_poll_interval_s=0.05)
    )
    settings = Settings(
        webhook_secret=SECRET, allowed_base_urls=("http://127.0.0.1:*",), **service_settings
    )
    service = create_app(settings, router=router)
    with (
        serving_in_thread(sandbox) as sandbox_url,
        serving_in_thread(service) as service_url,
        httpx.Client(base_url=sandbox_url, timeout=30) as client,
    ):
        login = client.post(
            "/api/v1/auth/login", json={"username": DEMO_USER, "password": DEMO_PASSWORD}
        )
        client.headers["Authorization"] = f"Bearer {login.json()['key']}"
        yield Stack(client, service_url)


@pytest.fixture
def stack() -> Iterator[Stack]:
    yield from _stack()


@pytest.fixture
def async_stack() -> Iterator[Stack]:
    yield from _stack(async_events=("upload.created", "annotation_status"))


def _upload(stack: Stack, *files: tuple[str, bytes]) -> dict[str, Any]:
    """Upload as the rossum-api SDK does (multipart `content`); return the finished upload."""
    parts = [("content", (name, data, "application/octet-stream")) for name, data in files]
    response = stack.client.post("/api/v1/uploads?queue=101", files=parts)
    assert response.status_code == 202, response.text
    task = stack.finished_task(response.json()["url"])
    assert task["status"] == "succeeded", task
    upload: dict[str, Any] = stack.client.get(task["content"]["upload"]).json()
    return upload


def _labels(stack: Stack, annotation_url: str) -> set[str]:
    annotation = stack.client.get(annotation_url).json()
    return {stack.client.get(url).json()["name"] for url in annotation["labels"]}


def test_upload_created_answer_decides_what_is_imported(stack: Stack) -> None:
    """The service's `files` answer keeps the spreadsheet out and notes the PDF."""
    stack.hook(["upload.created"])
    upload = _upload(stack, ("invoice.pdf", text_pdf(["invoice"])), ("sheet.csv", b"a,b\n1,2\n"))
    (record,) = stack.deliveries("upload")
    assert record["state"] == "succeeded" and record["status_code"] == 200
    pdf, csv = upload["documents"]
    assert {f["document"]: f["prevent_importing"] for f in record["answer"]["files"]} == {
        pdf: False,
        csv: True,
    }
    (annotation_url,) = upload["annotations"]
    annotation = stack.client.get(annotation_url).json()
    assert annotation["document"] == pdf
    assert [m["content"] for m in annotation["messages"]] == ["Checked on upload."]


async def test_the_sdks_upload_document_triggers_upload_created(
    stack: Stack, tmp_path: Path
) -> None:
    """Rossum's own SDK uploads (`upload_document`, task polling); the service's answer holds."""
    stack.hook(["upload.created"])
    pdf, csv = tmp_path / "invoice.pdf", tmp_path / "rows.csv"
    pdf.write_bytes(text_pdf(["invoice"]))
    csv.write_bytes(b"a,b\n")
    api = AsyncRossumAPIClient(stack.api, UserCredentials(DEMO_USER, DEMO_PASSWORD))
    try:
        tasks = await api.upload_document(101, [(pdf, "invoice.pdf"), (csv, "rows.csv")])
        done = [await api.poll_task_until_succeeded(t.id, sleep_s=0) for t in tasks]
        uploads = [
            await api.retrieve_upload(int(str(t.result_url).rsplit("/", 1)[1])) for t in done
        ]
    finally:
        await api._http_client.client.aclose()  # the SDK has no close of its own
    prevented = {
        f["document"]: f["prevent_importing"]
        for record in stack.deliveries("upload")
        for f in record["answer"]["files"]
    }
    assert sorted(prevented.values()) == [False, True]
    for upload in uploads:
        (document,) = upload.documents
        assert len(upload.annotations) == (0 if prevented[document] else 1)


def test_email_received_answer_picks_attachments_and_values(stack: Stack) -> None:
    """The service imports the PDF attachment only, with the subject as a value."""
    stack.hook(["email.received", "upload.created"])
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "ap@acme.test", DEMO_INBOX_EMAIL, "PO 77"
    message.set_content("Invoice attached.")
    message.add_attachment(text_pdf(["x"]), maintype="application", subtype="pdf", filename="i.pdf")
    message.add_attachment(b"logo", maintype="image", subtype="png", filename="logo.png")
    response = stack.client.post(
        "/api/v1/emails/import",
        files={"raw_message": ("mail.eml", message.as_bytes())},
        data={"recipient": DEMO_INBOX_EMAIL},
    )
    assert response.status_code == 202, response.text
    task = stack.finished_task(response.json()["url"])
    email_object = stack.client.get(
        f"{stack.api}/emails/{task['content']['email'].rsplit('/', 1)[1]}"
    ).json()
    (received,) = stack.deliveries("email")
    assert received["answer"] == {
        "files": [{"id": "1", "values": [{"id": "email:subject", "value": "PO 77"}]}]
    }
    (created,) = stack.deliveries("upload")
    assert created["state"] == "succeeded"  # the email's upload went to the service too
    (annotation_url,) = email_object["annotations"]
    annotation = stack.client.get(annotation_url).json()
    assert annotation["document"] == email_object["documents"][0]  # the PDF, not the PNG


def test_manual_invocation_returns_the_services_answer(stack: Stack) -> None:
    """`POST /hooks/{id}/invoke` reaches the rule and answers with its response."""
    hook = stack.hook(["invocation.manual"])
    response = stack.client.post(f"/api/v1/hooks/{hook['id']}/invoke", json={"order": "PO-1"})
    assert response.status_code == 200, response.text
    assert response.json() == {"asked": "PO-1", "via": "rossum-hooks"}


def test_scheduled_invocation_reaches_the_service_when_the_cron_matches(stack: Stack) -> None:
    """A tick at a matching minute delivers `invocation.scheduled`; a non-matching one doesn't."""
    stack.hook(["invocation.scheduled"], config={"schedule": {"cron": "15 3 * * *"}})
    before = len(seen)
    off = stack.client.post("/api/v1/sandbox/tick?wait=true", json={"at": "2026-12-02T03:16:00Z"})
    assert off.json()["fired"] == []
    on = stack.client.post("/api/v1/sandbox/tick?wait=true", json={"at": "2026-12-02T03:15:00Z"})
    assert len(on.json()["fired"]) == 1
    (record,) = stack.deliveries("invocation")
    assert record["state"] == "succeeded" and record["status_code"] == 200
    assert seen[before:] == [f"scheduled:{record['request_id']}"]


def test_async_mode_end_to_end(async_stack: Stack) -> None:
    """The service answers 202; the sandbox polls until 201 and applies the polled answers.

    The background label call uses the payload's token, kept alive by `token_lifetime_s`.
    """
    stack = async_stack
    stack.hook(["upload.created", "annotation_status"], token_lifetime_s=120)
    upload = _upload(stack, ("invoice.pdf", text_pdf(["invoice"])), ("notes.txt", b"notes"))
    (created,) = stack.deliveries("upload")
    (attempt,) = created["attempts"]
    assert (attempt["status_code"], attempt["result_status"]) == (202, 201)
    assert attempt["polls"] >= 1 and created["state"] == "succeeded"
    assert [f["prevent_importing"] for f in created["answer"]["files"]] == [False, True]
    (annotation_url,) = upload["annotations"]  # only the PDF was imported
    for record in stack.deliveries("annotation_status"):
        assert record["attempts"][-1]["result_status"] == 201, json.dumps(record)
    assert _labels(stack, annotation_url) == {"imported"}
