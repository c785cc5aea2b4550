"""The rule authors' kit: payload builders and Decision assertions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from handlers.content import add_row, number_of, replace, walk
from handlers.decision import Decision, warning
from handlers.errors import InvalidOperation
from handlers.events import AnnotationContentEvent, HookEvent
from handlers.signature import verify
from handlers.testing import (
    TOKEN,
    after,
    assert_labels,
    assert_message,
    assert_no_messages,
    build_content_event,
    content_payload,
    payload_of,
    signed,
)


def test_content_tree_shape_ids_and_urls() -> None:
    """Built trees have unique int ids, URLs under the annotation, sections and tuples."""
    payload = content_payload(line_items=[{"item_amount_total": "1"}, {}])
    annotation = payload["annotation"]
    nodes = list(walk(annotation["content"]))
    ids = [n["id"] for n in nodes]
    assert len(ids) == len(set(ids)) and all(isinstance(i, int) for i in ids)
    assert all(n["url"] == f"{annotation['url']}/content/{n['id']}" for n in nodes)
    assert {n["category"] for n in annotation["content"]} == {"section"}
    rows = [n for n in nodes if n["category"] == "tuple"]
    assert len(rows) == 2 and all(len(r["children"]) == 8 for r in rows)


def test_normalized_values_follow_types() -> None:
    """Numbers and dates get normalised values; strings keep their value."""
    event = build_content_event(
        fields={"amount_total": "1 234,50", "date_due": date(2024, 6, 1), "sender_name": "Acme"}
    )
    content = event.content
    assert content.datapoint("amount_total")["content"]["normalized_value"] == "1234.50"  # type: ignore[index]
    assert content.date("date_due") == date(2024, 6, 1)
    assert content.datapoint("sender_name")["content"]["normalized_value"] == "Acme"  # type: ignore[index]
    assert content.number("amount_due") is None
    dotted = build_content_event(fields={"date_due": "31.05.2024", "amount_due": ""}).content
    assert dotted.date("date_due") == date(2024, 5, 31)
    assert dotted.datapoint("amount_due")["content"]["normalized_value"] == ""  # type: ignore[index]


def test_unknown_schema_ids_are_refused() -> None:
    """A typo in a field or cell name fails loudly, listing what exists."""
    with pytest.raises(ValueError, match="unknown field schema ids \\['amount_totl'\\]"):
        content_payload(fields={"amount_totl": "1"})
    with pytest.raises(ValueError, match="unknown cells"):
        content_payload(line_items=[{"amount": "1"}])


def test_updated_datapoints_defaults() -> None:
    """`updated` lists the changed fields' ids; other actions list none."""
    event = build_content_event("updated", fields={"order_id": "1"})
    assert event.updated_datapoints == [event.content.datapoint("order_id")["id"]]  # type: ignore[index]
    assert build_content_event("updated").updated_datapoints  # never empty on updated
    assert build_content_event("started").updated_datapoints == []


def test_every_builder_fixture_parses(
    content_event: Callable[..., HookEvent],
    status_event: Callable[..., HookEvent],
    upload_event: Callable[..., HookEvent],
    email_event: Callable[..., HookEvent],
    invocation_event: Callable[..., HookEvent],
) -> None:
    """Each fixture factory builds the event it is named for, with distinct annotation ids."""
    built = [
        content_event("confirm"),
        status_event(status="exported"),
        upload_event(file_names=["a.pdf", "b.xml"]),
        email_event(),
        invocation_event("manual", fields={"x": 1}),
    ]
    assert [(e.event, e.action) for e in built] == [
        ("annotation_content", "confirm"),
        ("annotation_status", "changed"),
        ("upload", "created"),
        ("email", "received"),
        ("invocation", "manual"),
    ]
    assert content_event().annotation_id != content_event().annotation_id


def test_signed_round_trip() -> None:
    """`signed` produces a body and headers that verify and parse back to the same event."""
    event = build_content_event(fields={"amount_total": Decimal("5.5")})
    headers, body = signed(event, "k", legacy=True)
    assert verify(headers, body, ["k"]) == "sha256"
    again = HookEvent.from_http(headers, body, secrets=["k"])
    assert isinstance(again, AnnotationContentEvent)
    assert again.content.number("amount_total") == Decimal("5.5")
    assert payload_of(again)["rossum_authorization_token"] == TOKEN


def test_assertions_explain_failures() -> None:
    """Failed assertions say what the decision actually held."""
    decision = Decision(
        add_labels={"a"}, messages=[warning("PO missing", {"id": 1, "schema_id": "order_id"})]
    )
    assert_labels(decision, add={"a"})
    assert_message(decision, schema_id="order_id", contains="po missing")
    with pytest.raises(AssertionError, match=r"add_labels: expected \['b'\], got \['a'\]"):
        assert_labels(decision, add={"b"})
    with pytest.raises(AssertionError, match="PO missing"):
        assert_message(decision, type="error")
    with pytest.raises(AssertionError, match="PO missing"):
        assert_no_messages(decision)


def test_after_applies_operations_as_rossum_does() -> None:
    """`after` normalises by schema type, adds full rows, and refuses what Rossum refuses."""
    event = build_content_event(fields={"amount_total": ""}, line_items=[{"item_quantity": "1"}])
    total = event.content.datapoint("amount_total")
    items = event.content.multivalue("line_items")
    assert total is not None and items is not None
    decision = Decision(
        operations=[replace(total, "1 250,00"), add_row(items, {"item_quantity": "2"})]
    )
    nxt = after(event, decision, action="updated")
    assert nxt.action == "updated"
    assert nxt.content.datapoint("amount_total")["content"]["normalized_value"] == "1250.00"  # type: ignore[index]
    rows = nxt.content.rows("line_items")
    assert [number_of(r["item_quantity"]) for r in rows] == [1, 2]
    assert set(rows[1]) == set(rows[0])  # every cell of the schema's row, as Rossum adds it
    assert all(n["url"].endswith(f"/content/{n['id']}") for n in walk(nxt.content.nodes))
    with pytest.raises(InvalidOperation, match="only datapoints can be replaced"):
        after(event, Decision(operations=[replace(items, "x")]))
