"""The rule authors' I/O fixtures: sandbox in-process, a client bound to it, the service."""

from __future__ import annotations

from client import AsyncRossumAPIClient
from service import testing
from service.testing import HookService

# The rule authors' fixtures, as `pytest_plugins = ["service.testing"]` provides them.
sandbox = testing.sandbox
sandbox_client = testing.sandbox_client
hook_service = testing.hook_service
hook_router = testing.hook_router
hook_settings = testing.hook_settings
hook_service_settings = testing.hook_service_settings


async def test_imported_invoice_is_delivered_and_labelled(
    hook_service: HookService, sandbox_client: AsyncRossumAPIClient
) -> None:
    """An expensive invoice imported into the sandbox reaches the service, which labels it."""
    annotation = await hook_service.import_document(
        fields={"amount_total": "25000.00", "order_id": "PO-1", "date_due": "2099-01-01"}
    )
    deliveries = await hook_service.deliveries()
    print(deliveries)
    labels = {label.url: label.name async for label in sandbox_client.list_labels()}
    current = await sandbox_client.retrieve_annotation(annotation["id"])
    print(labels, current.labels)
    assert "expedite" in {labels[url] for url in current.labels}
