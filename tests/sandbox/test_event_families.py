"""Upload, email and invocation deliveries: payload shapes and the answers applied."""

from __future__ import annotations

import json
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from starlette.responses import JSONResponse, PlainTextResponse, Response

from sandbox.cron import Cron, CronError, check_schedule
from sandbox.emails import DEMO_INBOX_EMAIL
from sandbox.pdf import text_pdf
from sandbox.state import Sandbox
from tests.sandbox.helpers import API, BASE, Received, Receiver, create_hook, datapoints

PDF = text_pdf(["invoice"])


def by_event(receiver: Receiver, name: str) -> list[dict[str, Any]]:
    """Return the payloads of `event.action` deliveries received."""
    return [
        c.payload for c in receiver.calls if f"{c.payload['event']}.{c.payload['action']}" == name
    ]


async def upload(api: httpx.AsyncClient, *files: tuple[str, bytes], **parts: Any) -> str:
    """Upload files to the demo queue as the SDK does (multipart); return the task URL."""
    multipart: list[tuple[str, Any]] = [
        ("content", (name, data, "application/octet-stream")) for name, data in files
    ]
    for key, value in parts.items():
        multipart.append((key, ("", json.dumps(value).encode(), "application/json")))
    response = await api.post("/api/v1/uploads?queue=101", files=multipart)
    assert response.status_code == 202, response.text
    task_url: str = response.json()["url"]
    return task_url


async def test_an_upload_fires_upload_created_then_imports(
    api: httpx.AsyncClient, receiver: Receiver, sandbox: Sandbox
) -> None:
    """`POST /uploads` answers a task; `upload.created` has Rossum's shape; then the import."""
    await create_hook(api, events=["upload.created", "annotation_content.initialize"])
    task_url = await upload(
        api, ("a.pdf", PDF), values={"order_id": "PO-7"}, metadata={"batch": "b1"}
    )
    await sandbox.idle()
    assert receiver.events() == ["upload.created", "annotation_content.initialize"]
    (payload,) = by_event(receiver, "upload.created")
    (file,) = payload["files"]
    assert file["prevent_importing"] is False and file["annotation"] is None
    assert file["queue"] == f"{API}/queues/101"
    assert file["values"] == [{"id": "order_id", "value": "PO-7"}]
    assert payload["documents"][0]["url"] == file["document"]
    assert payload["documents"][0]["original_file_name"] == "a.pdf"
    assert payload["documents"][0]["mime_type"] == "application/pdf"
    assert payload["metadata"] == {"batch": "b1"} and payload["email"] is None
    assert payload["upload"].startswith(f"{API}/uploads/")
    assert "annotation" not in payload and payload["base_url"] == BASE
    task = (await api.get(task_url, params={"no_redirect": "True"})).json()
    assert (task["type"], task["status"]) == ("upload_created", "succeeded")
    assert task["content"] == {"upload": payload["upload"]}
    redirect = await api.get(task_url)
    assert redirect.status_code == 303 and redirect.headers["location"] == payload["upload"]
    record = (await api.get(payload["upload"])).json()
    assert record["documents"] == [file["document"]]
    (ann_url,) = record["annotations"]
    content = (await api.get(f"{ann_url}/content")).json()["content"]
    assert datapoints(content)["order_id"]["content"]["value"] == "PO-7"  # rir_field_names
    annotation = (await api.get(ann_url)).json()
    assert annotation["status"] == "to_review" and annotation["metadata"] == {"batch": "b1"}


async def test_upload_answers_prevent_imports_add_messages_and_documents(
    api: httpx.AsyncClient, receiver: Receiver, sandbox: Sandbox
) -> None:
    """`prevent_importing` stops an import, `messages` land on the annotation, extras import."""
    await upload(api, ("extra.pdf", PDF))  # no hook yet: imported as is
    await sandbox.idle()
    extra_doc = sandbox.store.values("documents")[-1]["id"]
    await create_hook(api, events=["upload.created"])

    async def respond(received: Received) -> Response:
        kept, skipped = received.payload["files"]
        return JSONResponse(
            {
                "files": [
                    {"document": kept["document"], "messages": [{"type": "info", "content": "ok"}]},
                    {"document": skipped["document"], "prevent_importing": True},
                    {"document": f"{API}/documents/{extra_doc}", "prevent_importing": True},
                    {"document": f"{API}/documents/999999"},
                    {"nothing": True},
                ]
            }
        )

    receiver.respond = respond
    before = len(sandbox.store.values("annotations"))
    task_url = await upload(api, ("keep.pdf", PDF), ("skip.pdf", PDF))
    await sandbox.idle()
    task = (await api.get(task_url, params={"no_redirect": "true"})).json()
    record = (await api.get(task["content"]["upload"])).json()
    (ann_url,) = record["annotations"]
    assert len(sandbox.store.values("annotations")) == before + 1
    annotation = (await api.get(ann_url)).json()
    assert annotation["document"] == record["documents"][0]
    (message,) = annotation["messages"]
    assert (message["type"], message["content"]) == ("info", "ok")
    assert message["detail"]["hook_id"] == sandbox.store.values("hooks")[-1]["id"]
    assert record["additional_documents"] == [f"{API}/documents/{extra_doc}"]
    deliveries = (await api.get("/api/v1/sandbox/deliveries?event=upload")).json()["results"]
    problems = deliveries[-1]["outcome"]["problems"]
    assert len(problems) == 2 and "999999" in problems[0] and "document URL" in problems[1]


async def test_an_extra_document_listed_by_the_hook_is_imported(
    api: httpx.AsyncClient, receiver: Receiver, sandbox: Sandbox
) -> None:
    """A document the hook made (not one of the upload's) is imported as an additional one."""
    await upload(api, ("first.pdf", PDF))
    await sandbox.idle()
    first_doc = sandbox.store.values("documents")[-1]["id"]
    sandbox.store.contents.clear()
    for ann in sandbox.store.values("annotations"):
        sandbox.store.remove("annotations", ann["id"])
    await create_hook(api, events=["upload.created"])

    async def respond(received: Received) -> Response:
        return JSONResponse({"files": [{"document": f"{API}/documents/{first_doc}"}]})

    receiver.respond = respond
    task_url = await upload(api, ("second.pdf", PDF))
    await sandbox.idle()
    task = (await api.get(task_url, params={"no_redirect": "true"})).json()
    record = (await api.get(task["content"]["upload"])).json()
    documents = {(await api.get(a)).json()["document"] for a in record["annotations"]}
    assert documents == {record["documents"][0], f"{API}/documents/{first_doc}"}


async def test_a_raw_body_upload_takes_its_name_from_content_disposition(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """The file may be the body, named by `Content-Disposition` (UTF-8 via `filename*`)."""
    headers = {"Content-Disposition": "attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf"}
    response = await api.post("/api/v1/uploads?queue=101", content=PDF, headers=headers)
    assert response.status_code == 202
    await sandbox.idle()
    assert sandbox.store.values("documents")[-1]["original_file_name"] == "résumé.pdf"
    bad = [
        await api.post("/api/v1/uploads", content=PDF, headers=headers),
        await api.post("/api/v1/uploads?queue=99999", content=PDF, headers=headers),
        await api.post("/api/v1/uploads?queue=101", content=PDF),
        await api.post(
            "/api/v1/uploads?queue=101",
            files=[("content", ("a.pdf", PDF)), ("values", ("", b"{nope", "application/json"))],
        ),
    ]
    assert [r.status_code for r in bad] == [400, 400, 400, 400]
    assert all(r.json()["code"] == "bad_request" for r in bad)


def raw_email(*attachments: tuple[str, str, bytes], sender: str = "Acme <ap@acme.test>") -> bytes:
    """Build a raw MIME email with the given (file name, MIME type, bytes) attachments."""
    message = EmailMessage()
    message["From"], message["To"] = sender, DEMO_INBOX_EMAIL
    message["Subject"], message["Message-ID"] = "Invoice 42", "<m42@acme.test>"
    message["Date"] = "Mon, 04 May 2020 11:01:32 +0200"
    message.set_content("Please find the invoice attached.")
    message.add_alternative("<p>Please find the invoice attached.</p>", subtype="html")
    for name, mime, data in attachments:
        maintype, subtype = mime.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


async def import_email(api: httpx.AsyncClient, raw: bytes, **parts: Any) -> httpx.Response:
    """Call `POST /emails/import` as Rossum documents it (multipart)."""
    data = {"recipient": DEMO_INBOX_EMAIL, **{k: json.dumps(v) for k, v in parts.items()}}
    return await api.post(
        "/api/v1/emails/import", files={"raw_message": ("email.eml", raw)}, data=data
    )


async def test_an_email_import_fires_email_received_with_rossums_shape(
    api: httpx.AsyncClient, receiver: Receiver, sandbox: Sandbox
) -> None:
    """Headers, bodies and attachments arrive; with no `files` answer, PDFs are imported."""
    await create_hook(api, events=["email.received", "upload.created"])
    docx = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    raw = raw_email(("inv.pdf", "application/pdf", PDF), ("notes.docx", docx, b"PK\x03\x04"))
    response = await import_email(api, raw, values={"emails_import:customer_id": "C-1"})
    assert response.status_code == 202, response.text
    await sandbox.idle()
    assert receiver.events() == ["email.received", "upload.created"]
    (payload,) = by_event(receiver, "email.received")
    assert payload["queue"] == f"{API}/queues/101" and payload["email"].startswith(f"{API}/emails/")
    assert payload["headers"]["subject"] == "Invoice 42"
    assert payload["headers"]["from"] == "Acme <ap@acme.test>"
    assert payload["headers"]["message-id"] == "<m42@acme.test>"
    assert payload["body"]["body_text_plain"].strip() == "Please find the invoice attached."
    assert "<p>" in payload["body"]["body_text_html"]
    pdf, word = payload["files"]
    assert (pdf["id"], pdf["filename"], pdf["mime_type"]) == ("1", "inv.pdf", "application/pdf")
    assert pdf["n_pages"] == 1 and pdf["width_px"] == pytest.approx(2480, abs=2)
    assert (word["mime_type"], word["height_px"]) == (docx, None)
    (created,) = by_event(receiver, "upload.created")
    assert created["email"] == payload["email"]
    (file,) = created["files"]
    assert file["document"] == pdf["document"]
    values = {v["id"]: v["value"] for v in file["values"]}
    assert values["email_header:subject"] == "Invoice 42"
    assert values["emails_import:customer_id"] == "C-1"
    email_object = (await api.get(payload["email"])).json()
    assert email_object["from"] == {"email": "ap@acme.test", "name": "Acme"}
    (ann_url,) = email_object["annotations"]
    assert (await api.get(ann_url)).json()["email"] == payload["email"]
    task = (await api.get(response.json()["url"], params={"no_redirect": "true"})).json()
    assert (task["type"], task["status"]) == ("email_imported", "succeeded")


async def test_email_answers_choose_files_values_additional_files_and_sender(
    api: httpx.AsyncClient, receiver: Receiver, sandbox: Sandbox
) -> None:
    """`files` picks attachments (with values), `additional_files` imports, sender replaced."""
    await upload(api, ("old.pdf", PDF))
    await sandbox.idle()
    for ann in sandbox.store.values("annotations"):
        sandbox.store.remove("annotations", ann["id"])
    old_doc = f"{API}/documents/{sandbox.store.values('documents')[-1]['id']}"
    await create_hook(api, events=["email.received", "upload.created"])

    async def respond(received: Received) -> Response:
        if received.payload["event"] != "email":
            return JSONResponse({})
        return JSONResponse(
            {
                "files": [{"id": "2", "values": [{"id": "email:po", "value": "PO-9"}]}],
                "additional_files": [{"document": old_doc, "import_document": True}],
                "extracted_original_sender": {"email": "real@vendor.test", "name": "Vendor"},
            }
        )

    receiver.respond = respond
    raw = raw_email(("a.pdf", "application/pdf", PDF), ("b.pdf", "application/pdf", PDF))
    assert (await import_email(api, raw)).status_code == 202
    await sandbox.idle()
    (email_payload,) = by_event(receiver, "email.received")
    (created,) = by_event(receiver, "upload.created")
    second = email_payload["files"][1]["document"]
    by_document = {f["document"]: f for f in created["files"]}
    assert set(by_document) == {second, old_doc}
    assert {"id": "email:po", "value": "PO-9"} in by_document[second]["values"]
    email_object = (await api.get(email_payload["email"])).json()
    assert email_object["from"] == {"email": "real@vendor.test", "name": "Vendor"}
    assert len(email_object["annotations"]) == 2


async def test_an_email_to_an_unknown_inbox_or_without_a_message_is_refused(
    api: httpx.AsyncClient,
) -> None:
    """400 with Rossum's error body, never a 500."""
    raw = raw_email()
    unknown = await api.post(
        "/api/v1/emails/import",
        files={"raw_message": ("e.eml", raw)},
        data={"recipient": "nobody@sandbox.rossum.app"},
    )
    missing = await api.post("/api/v1/emails/import", data={"recipient": DEMO_INBOX_EMAIL})
    bad_values = await import_email(api, raw, values={"customer": "x"})
    not_form = await api.post("/api/v1/emails/import", json={"raw_message": "x"})
    for response in (unknown, missing, bad_values, not_form):
        assert response.status_code == 400 and response.json()["code"] == "bad_request"
    assert "emails_import:" in bad_values.json()["detail"]


async def test_manual_invocation_answers_with_the_hooks_json(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """`POST /hooks/{id}/invoke` merges the body at top level and returns the hook's answer."""
    hook = await create_hook(api, events=["invocation.manual"], queues=[])

    async def respond(received: Received) -> Response:
        return JSONResponse({"echo": received.payload["SAP_ID"], "n": 1})

    receiver.respond = respond
    body = {"SAP_ID": "1234", "DB_COLUMN": "SAP", "event": "spoofed"}
    response = await api.post(f"/api/v1/hooks/{hook['id']}/invoke", json=body)
    assert response.status_code == 200 and response.json() == {"echo": "1234", "n": 1}
    (payload,) = (c.payload for c in receiver.calls)
    assert (payload["event"], payload["action"]) == ("invocation", "manual")
    assert payload["DB_COLUMN"] == "SAP" and payload["hook"] == hook["url"]
    assert "rossum_authorization_token" in payload and "annotation" not in payload


@pytest.mark.parametrize(
    "respond",
    [
        lambda r: PlainTextResponse("not json"),
        lambda r: JSONResponse({"detail": "boom"}, status_code=500),
    ],
)
async def test_manual_invocation_refuses_a_failed_or_non_json_answer(
    api: httpx.AsyncClient, receiver: Receiver, respond: Any
) -> None:
    """A non-JSON answer or a failed call is a 400; an unsubscribed hook too."""
    hook = await create_hook(api, events=["invocation.manual"])

    async def answer(received: Received) -> Response:
        response: Response = respond(received)
        return response

    receiver.respond = answer
    response = await api.post(f"/api/v1/hooks/{hook['id']}/invoke", json={})
    assert response.status_code == 400 and len(receiver.calls) == 1
    other = await create_hook(api, events=["annotation_status"])
    refused = await api.post(f"/api/v1/hooks/{other['id']}/invoke", json={})
    assert refused.status_code == 400 and "invocation.manual" in refused.json()["detail"]


async def test_scheduled_hooks_fire_when_their_cron_matches(
    api: httpx.AsyncClient, receiver: Receiver
) -> None:
    """A tick fires the active hooks whose cron matches its minute, and only those."""
    hourly = await create_hook(
        api, events=["invocation.scheduled"], config={"schedule": {"cron": "0 * * * *"}}
    )
    await create_hook(
        api, events=["invocation.scheduled"], config={"schedule": {"cron": "30 6 * * 1"}}
    )
    await create_hook(
        api,
        events=["invocation.scheduled"],
        active=False,
        config={"schedule": {"cron": "0 * * * *"}},
    )
    missed = await api.post("/api/v1/sandbox/tick?wait=true", json={"at": "2026-12-01T10:05:00Z"})
    assert missed.json()["fired"] == [] and receiver.calls == []
    due = await api.post("/api/v1/sandbox/tick?wait=true", json={"at": "2026-12-01T10:00:30Z"})
    assert due.json() == {"at": "2026-12-01T10:00:30Z", "fired": [hourly["url"]]}
    (payload,) = (c.payload for c in receiver.calls)
    assert (payload["event"], payload["action"]) == ("invocation", "scheduled")
    assert set(payload) >= {"request_id", "timestamp", "base_url", "hook", "settings", "secrets"}
    named = await api.post("/api/v1/sandbox/tick?wait=true", json={"hooks": [hourly["id"]]})
    assert named.json()["fired"] == [hourly["url"]] and len(receiver.calls) == 2


async def test_schedules_are_validated_on_write(api: httpx.AsyncClient) -> None:
    """A malformed cron, or one more frequent than every 10 minutes, is a 400."""
    for cron in ("*/5 * * * *", "61 * * * *", "0 * * *", "a b c d e"):
        response = await api.post(
            "/api/v1/hooks",
            json={
                "name": "s",
                "events": ["invocation.scheduled"],
                "config": {"url": "http://hooks.test/hook", "schedule": {"cron": cron}},
            },
        )
        assert response.status_code == 400, cron
        assert response.json()["detail"].startswith("config.schedule")


def test_cron_matching_follows_cron_rules() -> None:
    """Ranges, steps, lists; day of month or week when both are restricted; Sunday is 0 or 7."""
    from datetime import datetime

    monday_0630 = datetime(2026, 11, 30, 6, 30)
    assert Cron.parse("30 6 * * 1").matches(monday_0630)
    assert Cron.parse("30 6 * * 7").matches(datetime(2026, 11, 29, 6, 30))  # a Sunday
    assert Cron.parse("0-30/15 6 1 * 1").matches(monday_0630)  # day 1 or Monday
    assert not Cron.parse("30 6 1 * *").matches(monday_0630)
    assert Cron.parse("0,20,40 * * * *").shortest_gap_minutes() == 20
    assert check_schedule({}) == {}
    with pytest.raises(CronError):
        check_schedule({"cron": "0,5 * * * *"})


async def test_the_clock_fires_due_hooks_at_each_minute(
    api: httpx.AsyncClient, receiver: Receiver, sandbox: Sandbox
) -> None:
    """`run_clock` waits for the next minute, then fires the hooks whose cron matches it."""
    import asyncio
    from datetime import UTC, datetime, timedelta

    from sandbox.invocations import run_clock
    from sandbox.urls import Urls

    await create_hook(
        api, events=["invocation.scheduled"], config={"schedule": {"cron": "*/30 * * * *"}}
    )
    wall = [datetime(2026, 12, 1, 9, 59, 42, tzinfo=UTC)]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        wall[0] += timedelta(seconds=seconds)
        if len(waits) == 3:
            raise asyncio.CancelledError

    sandbox.sleep = sleep
    with pytest.raises(asyncio.CancelledError):
        await run_clock(sandbox, Urls(BASE), now=lambda: wall[0])
    await sandbox.idle()
    assert waits == [18.0, 60.0, 60.0]  # to 10:00, 10:01, 10:02
    assert receiver.events() == ["invocation.scheduled"]  # 10:00 matched, 10:01 did not


async def test_email_deliveries_name_the_email_in_hook_logs(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """A hook log entry of `email.received` carries `email_id` (and the queue)."""
    await create_hook(api, events=["email.received"])
    assert (await import_email(api, raw_email())).status_code == 202
    await sandbox.idle()
    (entry,) = (await api.get("/api/v1/hooks/logs")).json()["results"]
    email_id = sandbox.store.values("emails")[-1]["id"]
    assert (entry["event"], entry["email_id"], entry["queue_id"]) == ("email", email_id, 101)


async def test_generate_payload_rebuilds_upload_and_email_payloads(
    api: httpx.AsyncClient, receiver: Receiver, sandbox: Sandbox
) -> None:
    """`generate_payload` for an upload or an email gives what the hook was sent."""
    hook = await create_hook(api, events=["email.received", "upload.created"])
    raw = raw_email(("inv.pdf", "application/pdf", PDF))
    assert (await import_email(api, raw)).status_code == 202
    await sandbox.idle()
    volatile = ("request_id", "timestamp", "rossum_authorization_token", "secrets")
    for event, action, key in (("email", "received", "email"), ("upload", "created", "upload")):
        (sent,) = by_event(receiver, f"{event}.{action}")
        body = {"event": event, "action": action, key: sent[key]}
        generated = (await api.post(f"{hook['url']}/generate_payload", json=body)).json()
        for payload in (generated, sent):  # the document has its annotation by now
            for document in payload.get("documents", []):
                document.pop("annotations")
        assert {k: v for k, v in generated.items() if k not in volatile} == {
            k: v for k, v in sent.items() if k not in volatile
        }


async def test_annotations_a_hook_creates_during_upload_created_are_imported(
    api: httpx.AsyncClient, receiver: Receiver, sandbox: Sandbox
) -> None:
    """A hook converts a file Rossum cannot read: new document + `created` annotation, the
    original prevented; at the event's end the annotation is switched to `importing`."""
    await create_hook(api, events=["upload.created", "annotation_content.initialize"])
    seen_status: list[str] = []

    async def respond(received: Received) -> Response:
        if received.payload["event"] != "upload":
            return JSONResponse({})
        (original,) = received.payload["files"]
        document = await api.post(
            "/api/v1/documents", files={"content": ("converted.pdf", PDF, "application/pdf")}
        )
        created = await api.post(
            "/api/v1/annotations",
            json={
                "status": "created",
                "document": document.json()["url"],
                "queue": f"{API}/queues/101",
                "values": {"order_id": "PO-X"},
            },
        )
        assert created.status_code == 201, created.text
        seen_status.append(created.json()["status"])
        return JSONResponse(
            {
                "files": [
                    {"document": original["document"], "prevent_importing": True},
                    {"document": document.json()["url"]},
                ]
            }
        )

    receiver.respond = respond
    task_url = await upload(api, ("order.xml", b"<order><po>PO-X</po></order>"))
    await sandbox.idle()
    task = (await api.get(task_url, params={"no_redirect": "true"})).json()
    record = (await api.get(task["content"]["upload"])).json()
    (ann_url,) = record["annotations"]
    annotation = (await api.get(ann_url)).json()
    assert seen_status == ["created"] and annotation["status"] == "to_review"
    assert record["additional_documents"] == [annotation["document"]]
    assert receiver.events() == ["upload.created", "annotation_content.initialize"]
    content = (await api.get(f"{ann_url}/content")).json()["content"]
    assert datapoints(content)["order_id"]["content"]["value"] == "PO-X"


async def test_creating_an_annotation_takes_only_the_created_status(
    api: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    """`POST /annotations`: status `created` only, a document without an annotation, no
    `content_data`; anything else is a 400."""
    await upload(api, ("a.pdf", PDF))
    await sandbox.idle()
    used = f"{API}/documents/{sandbox.store.values('documents')[-1]['id']}"
    queue = f"{API}/queues/101"
    bodies = [
        {"status": "importing", "document": used, "queue": queue},
        {"status": "created", "document": used, "queue": queue},
        {"status": "created", "queue": queue},
        {"status": "created", "document": used, "queue": queue, "content_data": []},
    ]
    for body in bodies:
        response = await api.post("/api/v1/annotations", json=body)
        assert response.status_code == 400 and response.json()["code"] == "bad_request", body


async def test_bad_invocation_and_task_requests_get_rossums_errors(
    api: httpx.AsyncClient,
) -> None:
    """Malformed ticks and invocations are 400s, unknown hooks and tasks 404s: never a 500."""
    plain = await create_hook(api, events=["annotation_status"])
    cases = [
        (await api.post("/api/v1/sandbox/tick", json={"at": "yesterday"}), 400),
        (await api.post("/api/v1/sandbox/tick", json={"hooks": "all"}), 400),
        (await api.post("/api/v1/sandbox/tick", json={"hooks": [plain["id"]]}), 400),
        (await api.post("/api/v1/sandbox/tick", json={"hooks": [99999]}), 404),
        (await api.post("/api/v1/sandbox/tick", content=b"[1]"), 400),
        (await api.post("/api/v1/hooks/99999/invoke", json={}), 404),
        (await api.post(f"/api/v1/hooks/{plain['id']}/invoke", content=b"{oops"), 400),
        (await api.get("/api/v1/tasks/99999"), 404),
        (await api.get("/api/v1/uploads/99999"), 404),
        (await api.get("/api/v1/emails/99999"), 404),
    ]
    for response, status in cases:
        assert response.status_code == status, (response.request.url, response.text)
        assert set(response.json()) >= {"detail", "code"}
