"""The demo invoices: valid imports whose data trigger each shipped rule exactly once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import httpx

from handlers.content import parse_number
from sandbox.demo_data import demo_invoices
from sandbox.invoice_schema import CURRENCIES

TODAY = date(2030, 6, 15)


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = body["fields"]
    return fields


def _number(text: str) -> Decimal:
    value = parse_number(text)
    assert value is not None
    return value


def _line_sum(body: dict[str, Any]) -> Decimal:
    return sum((_number(r["item_amount_total"]) for r in body["line_items"]), Decimal(0))


def test_each_rule_condition_holds_for_exactly_its_invoice() -> None:
    """Each rule's trigger condition is true for its own demo invoice and no other."""
    invoices = {d.key: d.body for d in demo_invoices(TODAY)}
    conditions: dict[str, Callable[[dict[str, Any]], bool]] = {
        "expedite": lambda b: _number(_fields(b)["amount_total"]) >= 10_000,
        "missing-po": lambda b: not _fields(b)["order_id"].strip(),
        "due-soon": lambda b: (date.fromisoformat(_fields(b)["date_due"]) - TODAY).days <= 7,
        "totals-mismatch": lambda b: _line_sum(b) != _number(_fields(b)["amount_total"]),
        "normalise": lambda b: (
            _fields(b)["document_id"] != _fields(b)["document_id"].strip()
            and _fields(b)["currency"] not in CURRENCIES
        ),
    }
    for rule, condition in conditions.items():
        assert [key for key, body in invoices.items() if condition(body)] == [rule], rule
    assert set(invoices) == {*conditions, "clean"}


def test_dates_follow_today() -> None:
    """Due and issue dates are relative to the `today` passed in."""
    due_soon = next(d for d in demo_invoices(TODAY) if d.key == "due-soon")
    assert _fields(due_soon.body)["date_due"] == "2030-06-18"
    assert _fields(due_soon.body)["date_issue"] == "2030-06-05"


def test_expectations_describe_the_outcome() -> None:
    """Labels, message types and operations expected are stated per invoice."""
    by_key = {d.key: d for d in demo_invoices(TODAY)}
    assert by_key["expedite"].expected_labels == {"expedite"}
    assert by_key["missing-po"].expected_message_types == ("warning",)
    assert by_key["totals-mismatch"].expected_message_types == ("error",)
    assert by_key["normalise"].expects_operations
    clean = by_key["clean"]
    assert (clean.expected_labels, clean.expected_message_types, clean.expects_operations) == (
        frozenset(),
        (),
        False,
    )


async def test_every_demo_invoice_imports(api: httpx.AsyncClient) -> None:
    """Each demo import request is accepted by the sandbox and reaches `to_review`."""
    for demo in demo_invoices(date.today()):
        response = await api.post("/api/v1/sandbox/import?wait=true", json=demo.body)
        assert response.status_code == 201, (demo.key, response.text)
        assert response.json()["status"] == "to_review"
        assert response.json()["metadata"] == {"demo": _fields(demo.body)["document_id"].strip()}
