"""The rule authors' `hook_service` drives every event family through the real sandbox."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from handlers.decision import Decision
from handlers.events import EmailEvent, InvocationEvent, UploadEvent
from handlers.routing import Router
from service import testing
from service.testing import DEMO_INBOX, HookService

sandbox = testing.sandbox
sandbox_client = testing.sandbox_client
hook_service = testing.hook_service
hook_settings = testing.hook_settings
hook_service_settings = testing.hook_service_settings

rules = Router()


@rules.register("upload", "created")
def keep_pdfs(event: UploadEvent) -> Decision:
    """Prevent importing anything not named `.pdf`."""
    names = {d.url: d.original_file_name or "" for d in event.documents}
    files = [
        {"document": f.document, "prevent_importing": not names[f.document].endswith(".pdf")}
        for f in event.files
    ]
    return Decision(files=files)


@rules.register("email", "received")
def first_attachment(event: EmailEvent) -> Decision:
    """Import the first attachment only."""
    return Decision(files=[{"id": event.files[0].id, "values": []}])


@rules.register("invocation", "manual")
def pong(event: InvocationEvent) -> Decision:
    """Answer a manual invocation."""
    return Decision(response={"pong": event.fields.get("ping")})


@pytest.fixture
def hook_router() -> Router:
    return rules


async def test_upload_email_and_invoke_reach_the_rules(hook_service: HookService) -> None:
    """Each helper makes a real delivery; the sandbox applies the rules' answers."""
    upload = await hook_service.upload(("a.pdf", b"%PDF-1.4"), ("b.txt", b"text"))
    assert len(upload["documents"]) == 2 and len(upload["annotations"]) == 1
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "a@b.test", DEMO_INBOX, "two files"
    message.set_content("see attached")
    for name in ("one.pdf", "two.pdf"):
        message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename=name)
    email = await hook_service.import_email(message.as_bytes())
    assert len(email["documents"]) == 2 and len(email["annotations"]) == 1
    assert await hook_service.invoke(ping="x") == {"pong": "x"}
    events = {f"{d['event']}.{d['action']}" for d in await hook_service.deliveries()}
    assert {"upload.created", "email.received", "invocation.manual"} <= events
