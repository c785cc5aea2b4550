"""The `normalise` rule: trimmed document id, currency as one of the schema's options."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from handlers.invoice_schema import CURRENCIES, INVOICE_SCHEMA, iter_nodes
from handlers.rules import router
from handlers.rules.normalise import normalise
from handlers.testing import (
    after,
    assert_no_operations,
    assert_replaced,
    build_content_event,
    replaced_values,
)

SCHEMA_URL = "https://example.rossum.app/api/v1/schemas/223"  # the kit's annotation schema


def _sideloaded(currency: dict[str, Any]) -> dict[str, Any]:
    """Return a `schemas` sideload: the standard schema with `currency` replaced."""
    content = copy.deepcopy(INVOICE_SCHEMA)
    for node in iter_nodes(content):
        if node["id"] == "currency":
            node.clear()
            node.update({"category": "datapoint", "id": "currency", **currency})
    return {"schemas": [{"id": 223, "url": SCHEMA_URL, "content": content}]}


def test_untidy_fields_are_replaced_with_the_schemas_values() -> None:
    """A padded document id is trimmed; `EUR ` becomes Rossum's option value `eur`."""
    event = build_content_event(fields={"document_id": "  INV-1 \n", "currency": "EUR "})
    decision = normalise(event)
    assert replaced_values(decision) == {"document_id": "INV-1", "currency": "eur"}
    op = assert_replaced(decision, "currency", "eur")
    assert op.value["content"]["normalized_value"] == "eur"
    assert op.id == event.content.datapoint("currency")["id"]  # type: ignore[index]


@pytest.mark.parametrize("value", ["EUR", "Nok", " usd", "CZK\n", "eur ", "XYZ", "euro"])
def test_currency_written_is_always_an_option_of_the_standard_schema(value: str) -> None:
    """Whatever the reviewer typed, the rule writes only a value the enum allows, or nothing."""
    decision = normalise(build_content_event(fields={"currency": value}))
    written = replaced_values(decision).get("currency")
    assert written is None or written in CURRENCIES
    if value.strip().lower() in CURRENCIES:
        assert written == value.strip().lower()


def test_valid_option_and_empty_fields_give_no_operations() -> None:
    """An option value as is, or empty fields, are left alone; so is an unknown code."""
    assert_no_operations(
        normalise(build_content_event(fields={"document_id": "A", "currency": "usd"}))
    )
    assert_no_operations(normalise(build_content_event()))
    assert_no_operations(normalise(build_content_event(fields={"currency": "XYZ"})))


def test_sideloaded_schema_options_are_respected() -> None:
    """With a sideloaded schema, its options decide: here upper-case values, matched by label."""
    options = [{"value": "EUR", "label": "Euro"}, {"value": "NOK", "label": "Krone"}]
    extra = _sideloaded({"type": "enum", "label": "Currency", "options": options})
    by_value = normalise(build_content_event(fields={"currency": "eur"}, extra=extra))
    assert replaced_values(by_value) == {"currency": "EUR"}
    by_label = normalise(build_content_event(fields={"currency": "krone"}, extra=extra))
    assert replaced_values(by_label) == {"currency": "NOK"}
    assert_no_operations(normalise(build_content_event(fields={"currency": "usd"}, extra=extra)))


def test_free_text_currency_in_a_sideloaded_schema_is_upper_cased() -> None:
    """Where the schema makes `currency` a plain string, the ISO code is upper-cased."""
    extra = _sideloaded({"type": "string", "label": "Currency"})
    decision = normalise(build_content_event(fields={"currency": " chf"}, extra=extra))
    assert replaced_values(decision) == {"currency": "CHF"}


def test_stale_normalized_value_is_fixed() -> None:
    """A valid option with a different normalized value is still replaced."""
    fields = {"currency": {"value": "eur", "normalized_value": "EUR"}}
    assert_replaced(normalise(build_content_event(fields=fields)), "currency", "eur")


def test_second_delivery_after_applying_is_a_no_op() -> None:
    """Once Rossum applied the operations, the next delivery yields no operations at all."""
    event = build_content_event("initialize", fields={"document_id": " X ", "currency": "CZK"})
    first = router.dispatch(event)
    assert len(first.operations) == 2
    second = router.dispatch(after(event, first, action="updated"))
    assert_no_operations(second)
