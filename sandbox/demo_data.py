"""Seed data: the organisation and users, a demo "Invoices" queue, and demo invoices.

Always seeded: organisation 1 and two users, `demo@example.com` / `demo-password` (admin, id 1)
and `viewer@example.com` / `viewer-password` (read-only, id 2). With `seed_demo_data`: workspace
11, schema 201 (Rossum's standard invoice schema) and queue 101 "Invoices".
`demo_invoices(today)` returns import requests for `POST /api/v1/sandbox/import` whose data
trigger each shipped rule once, plus one clean invoice that triggers nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sandbox.invoice_schema import invoice_schema
from sandbox.store import Store, now_iso

DEMO_USER = "demo@example.com"
DEMO_PASSWORD = "demo-password"
VIEWER_USER = "viewer@example.com"
VIEWER_PASSWORD = "viewer-password"
ORGANIZATION_ID = 1
DEMO_QUEUE_ID = 101


def _user(store: Store, email: str, password: str, role: str, first: str) -> None:
    store.add(
        "users",
        {
            "username": email,
            "email": email,
            "password": password,
            "role": role,
            "first_name": first,
            "last_name": "User",
            "organization": ORGANIZATION_ID,
            "is_active": True,
            "date_joined": now_iso(),
            "last_login": None,
            "metadata": {},
        },
    )


def seed_base(store: Store) -> None:
    """Add organisation 1 and the demo and viewer users."""
    group = store.add(
        "organization_groups", {"name": "Demo organization group", "deployment_location": "local"}
    )
    store.add(
        "organizations",
        {
            "name": "Demo Organization",
            "organization_group": group["id"],
            "created_at": now_iso(),
            "metadata": {},
        },
    )
    _user(store, DEMO_USER, DEMO_PASSWORD, "admin", "Demo")
    _user(store, VIEWER_USER, VIEWER_PASSWORD, "viewer", "Viewer")


def seed_demo(store: Store) -> None:
    """Add the demo workspace, the standard invoice schema and the "Invoices" queue."""
    workspace = store.add(
        "workspaces", {"name": "Demo workspace", "organization": ORGANIZATION_ID, "metadata": {}}
    )
    schema = store.add(
        "schemas",
        {"name": "Invoice schema", "content": invoice_schema(), "metadata": {}},
    )
    store.add("queues", new_queue("Invoices", workspace=workspace["id"], schema=schema["id"]))


def new_queue(name: str, *, workspace: int | None, schema: int) -> dict[str, Any]:
    """Return a queue record with Rossum's defaults."""
    return {
        "name": name,
        "workspace": workspace,
        "schema": schema,
        "session_timeout": "01:00:00",
        "default_score_threshold": 0.8,
        "automation_enabled": False,
        "automation_level": "never",
        "locale": "en_GB",
        "use_confirmed_state": False,
        "status": "active",
        "training_enabled": True,
        "settings": {},
        "metadata": {},
    }


@dataclass(frozen=True)
class DemoInvoice:
    """One demo import request and what the shipped rules should make of it."""

    key: str
    description: str
    expected_labels: frozenset[str]
    expected_message_types: tuple[str, ...]
    expects_operations: bool
    body: dict[str, Any]


def _invoice(
    today: date,
    number: str,
    *,
    total: str = "1 250.00",
    lines: tuple[tuple[str, str], ...] = (("Consulting", "1000.00"), ("Travel", "250.00")),
    due_in_days: int = 30,
    order_id: str = "PO-4711",
    currency: str = "eur",
) -> dict[str, Any]:
    return {
        "queue": DEMO_QUEUE_ID,
        "file_name": f"{number.strip().lower()}.pdf",
        "fields": {
            "document_id": number,
            "order_id": order_id,
            "date_issue": (today - timedelta(days=10)).isoformat(),
            "date_due": (today + timedelta(days=due_in_days)).isoformat(),
            "sender_name": "Acme Supplies Ltd.",
            "amount_total": total,
            "currency": currency,
        },
        "line_items": [
            {"item_description": text, "item_quantity": "1", "item_amount_total": amount}
            for text, amount in lines
        ],
        "metadata": {"demo": number.strip()},
    }


def demo_invoices(today: date) -> list[DemoInvoice]:
    """Return the demo imports, with dates relative to `today`."""
    big = (("Server rack", "9000.00"), ("Installation", "3500.00"))
    short = (("Consulting", "600.00"), ("Travel", "300.00"))
    return [
        DemoInvoice(
            "expedite",
            "amount_total 12 500.00 is at least 10 000",
            frozenset({"expedite"}),
            (),
            False,
            _invoice(today, "INV-1001", total="12 500.00", lines=big),
        ),
        DemoInvoice(
            "missing-po",
            "order_id is empty",
            frozenset({"missing-po"}),
            ("warning",),
            False,
            _invoice(today, "INV-1002", order_id=""),
        ),
        DemoInvoice(
            "due-soon",
            "date_due is 3 days from today",
            frozenset({"due-soon"}),
            (),
            False,
            _invoice(today, "INV-1003", due_in_days=3),
        ),
        DemoInvoice(
            "totals-mismatch",
            "line items add up to 900.00, amount_total says 1 000.00",
            frozenset(),
            ("error",),
            False,
            _invoice(today, "INV-1004", total="1 000.00", lines=short),
        ),
        DemoInvoice(
            "normalise",
            "document_id has surrounding spaces and currency is 'EUR ', not the option 'eur'",
            frozenset(),
            (),
            True,
            _invoice(today, "  INV-1005 ", currency="EUR "),
        ),
        DemoInvoice(
            "clean",
            "a valid invoice that no rule objects to",
            frozenset(),
            (),
            False,
            _invoice(today, "INV-1006"),
        ),
    ]
