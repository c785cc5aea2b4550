"""The sandbox and the rules' kit implement Rossum's content model independently; they agree.

`sandbox/` (the Rossum stand-in) and `handlers/` (the rules and their kit) each have their own
`normalized_value`, content operations and signing, written from Rossum's documentation. This
table runs both on the same cases. A disagreement is a bug on one side: settle it against
Rossum's documentation, fix that side, and keep the case here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest

from handlers import operations as handlers_operations
from handlers.errors import InvalidOperation
from handlers.invoice_schema import INVOICE_SCHEMA
from handlers.normalize import normalize
from handlers.signature import signature_headers, verify
from handlers.tree import schema_index
from sandbox import operations as sandbox_operations
from sandbox.content_tree import Schema, extracted_tree, walk
from sandbox.invoice_schema import invoice_schema
from sandbox.normalize import normalized_value
from sandbox.signing import signed_headers

SCHEMA = Schema(invoice_schema())
FIELD = {"number": "amount_total", "date": "date_due", "string": "document_id", "enum": "currency"}

NUMBERS = [
    "18 492.48", "1.234,50", "1,234.50", "12,5", "1,234", "1.234", "1.234.567", "-42", "+3",
    "12\u00a0500,00", "12\u202f500.00", "1'234.50", "1 234 567,89", "1.000.000,00",
    "12,345,678.9", "EUR 1 250,00", "EUR -12", "100 CZK", "€12.50", "12.50 €", "$-12", "-$12",
    "\u22125", "- 12", ",5", "12.", "0", "007", "0.1", "  7  ", "1,23",
    # not numbers in any of Rossum's number formats
    "1e3", "abc", "inf", "nan", "(12.50)", "12.50-", "1 25", "1,2,3", "1.234.5", "1,234,5",
    "12abc", "INV123", "EUR1250", "12 pcs", "--1",
]  # fmt: skip
DATES = [
    "2030-01-31", "2030-1-5", "2030/01/31", "31.01.2030", "31. 01. 2030", "31/01/2030",
    "31-01-2030", "1/2/2030", "5.6.2030", "31 January 2030", "31 Jan 2030", "January 31, 2030",
    "Jan 31, 2030", "Sep 3, 2030", "2028-02-29",
    # not dates
    "soon", "2030-02-29", "30.02.2030", "12/31/2030", "31.01.30", "Sept 3, 2030", "2030-13-01",
]  # fmt: skip
STRINGS = ["", "   ", " INV-1005 ", "eur", "EUR", "Acme Ltd."]


@pytest.mark.parametrize(
    ("kind", "value"),
    [("number", v) for v in NUMBERS]
    + [("date", v) for v in DATES]
    + [(kind, v) for kind in ("string", "enum", "number", "date") for v in STRINGS[:3]]
    + [("enum", v) for v in STRINGS],
)
def test_normalized_value_agrees(kind: str, value: str) -> None:
    """Both compute the same `normalized_value` for the invoice schema's fields."""
    field = SCHEMA.get(FIELD[kind])
    assert field is not None
    assert normalized_value(value, field) == normalize(value, field["type"])


def _tree() -> tuple[list[dict[str, Any]], dict[str, int], Callable[[], int]]:
    counter = itertools.count(1)
    tree = extracted_tree(
        SCHEMA,
        fields={"document_id": "INV-1", "amount_total": "1 250.00", "currency": "eur"},
        tables={"line_items": [{"item_description": "Consulting", "item_amount_total": "1250"}]},
        ids=lambda: next(counter),
    )
    ids = {}
    for node, _ in walk(tree):
        ids.setdefault(node["schema_id"], node["id"])
    return tree, ids, lambda: next(counter)


def _cells(**values: str) -> list[dict[str, Any]]:
    return [{"schema_id": k, "content": {"value": v}} for k, v in values.items()]


# Each case: a name and a function from `{schema_id: first node id}` to an operation list.
OPERATIONS: list[tuple[str, Callable[[dict[str, int]], Any]]] = [
    ("replace-number", lambda i: [_replace(i["amount_total"], {"content": {"value": "1 000,50"}})]),
    ("replace-date", lambda i: [_replace(i["date_due"], {"content": {"value": "31.01.2030"}})]),
    ("replace-enum-outside-options", lambda i: [_replace(i["currency"], _value("EUR"))]),
    (
        "value-and-matching-normalized",
        lambda i: [
            _replace(
                i["amount_total"], {"content": {"value": "12 500", "normalized_value": "12500.00"}}
            )
        ],
    ),
    (
        "value-and-other-normalized",
        lambda i: [
            _replace(i["amount_total"], {"content": {"value": "12", "normalized_value": "13"}})
        ],
    ),
    (
        "normalized-only",
        lambda i: [_replace(i["amount_total"], {"content": {"normalized_value": "99.5"}})],
    ),
    (
        "page-and-position",
        lambda i: [_replace(i["document_id"], {"content": {"page": 2, "position": [1, 2, 3, 4]}})],
    ),
    (
        "sources-hidden-options",
        lambda i: [
            _replace(
                i["currency"],
                {
                    "validation_sources": ["human"],
                    "hidden": True,
                    "options": [{"value": "eur", "label": "EUR"}],
                },
            )
        ],
    ),
    (
        "date-value-and-matching-normalized",
        lambda i: [_replace(i["date_due"], _both("31.01.2030", "2030-01-31"))],
    ),
    (
        "date-value-and-other-normalized",
        lambda i: [_replace(i["date_due"], _both("31.01.2030", "2030-02-01"))],
    ),
    ("string-value-and-other-normalized", lambda i: [_replace(i["document_id"], _both("A", "B"))]),
    ("unreadable-number", lambda i: [_replace(i["amount_total"], _value("about 12"))]),
    (
        "sources-inside-content-are-ignored",
        lambda i: [
            _replace(i["document_id"], {"content": {"value": "X", "validation_sources": ["human"]}})
        ],
    ),
    ("options-not-a-list", lambda i: [_replace(i["currency"], {"options": {"eur": "EUR"}})]),
    ("unknown-source", lambda i: [_replace(i["document_id"], {"validation_sources": ["magic"]})]),
    ("hidden-not-bool", lambda i: [_replace(i["document_id"], {"hidden": "yes"})]),
    ("value-not-string", lambda i: [_replace(i["amount_total"], {"content": {"value": 12}})]),
    ("value-not-object", lambda i: [_replace(i["document_id"], "INV-2")]),
    ("replace-section", lambda i: [_replace(i["amounts_section"], _value("x"))]),
    ("replace-multivalue", lambda i: [_replace(i["line_items"], _value("x"))]),
    ("replace-tuple", lambda i: [_replace(i["line_item"], _value("x"))]),
    (
        "add-row",
        lambda i: [
            {
                "op": "add",
                "id": i["line_items"],
                "value": _cells(item_description="Travel", item_amount_total="250,00"),
            }
        ],
    ),
    (
        "add-row-with-sources",
        lambda i: [
            {
                "op": "add",
                "id": i["line_items"],
                "value": _cells(item_description="Travel"),
                "validation_sources": ["human"],
            }
        ],
    ),
    ("add-empty-row", lambda i: [{"op": "add", "id": i["line_items"], "value": []}]),
    (
        "add-unknown-cell",
        lambda i: [{"op": "add", "id": i["line_items"], "value": _cells(amount_total="1")}],
    ),
    (
        "add-cell-without-schema-id",
        lambda i: [{"op": "add", "id": i["line_items"], "value": [{"content": {"value": "1"}}]}],
    ),
    ("add-value-not-list", lambda i: [{"op": "add", "id": i["line_items"], "value": {}}]),
    ("add-to-datapoint", lambda i: [{"op": "add", "id": i["document_id"], "value": []}]),
    ("add-to-section", lambda i: [{"op": "add", "id": i["amounts_section"], "value": []}]),
    ("remove-row", lambda i: [{"op": "remove", "id": i["line_item"]}]),
    ("remove-header-datapoint", lambda i: [{"op": "remove", "id": i["document_id"]}]),
    ("remove-section", lambda i: [{"op": "remove", "id": i["amounts_section"]}]),
    ("unknown-op", lambda i: [{"op": "move", "id": i["document_id"]}]),
    ("missing-id", lambda i: [{"op": "remove"}]),
    ("bool-id", lambda i: [{"op": "remove", "id": True}]),
    ("unknown-id", lambda i: [{"op": "replace", "id": 999_999, "value": _value("x")}]),
    ("not-an-object", lambda i: ["replace"]),
    ("not-a-list", lambda i: {"op": "replace", "id": i["document_id"], "value": _value("x")}),
    (
        "all-or-nothing",
        lambda i: [
            _replace(i["document_id"], _value("INV-2")),
            {"op": "remove", "id": i["document_id"]},
        ],
    ),
    (
        "several-in-order",
        lambda i: [
            _replace(i["document_id"], _value("INV-2")),
            {"op": "remove", "id": i["line_item"]},
            {"op": "add", "id": i["line_items"], "value": _cells(item_amount_total="5")},
            _replace(i["document_id"], _value("INV-3")),
        ],
    ),
]


def _replace(node_id: int, value: Any) -> dict[str, Any]:
    return {"op": "replace", "id": node_id, "value": value}


def _both(value: str, normalized: str) -> dict[str, Any]:
    return {"content": {"value": value, "normalized_value": normalized}}


def _value(text: str) -> dict[str, Any]:
    return {"content": {"value": text}}


@pytest.mark.parametrize("build", [b for _, b in OPERATIONS], ids=[n for n, _ in OPERATIONS])
def test_operations_agree(build: Callable[[dict[str, int]], Any]) -> None:
    """Both refuse the same operations, or both leave the same tree and changed ids."""
    tree, ids, _ = _tree()
    operations = build(ids)

    _, _, sandbox_ids = _tree()
    try:
        ours = sandbox_operations.apply(tree, operations, schema=SCHEMA, ids=sandbox_ids)
        sandbox_answer: Any = (ours.tree, ours.changed)
    except sandbox_operations.OperationRefused:
        sandbox_answer = "refused"

    _, _, handlers_ids = _tree()
    try:
        theirs = handlers_operations.applied(
            tree, operations, schema=schema_index(invoice_schema()), new_id=handlers_ids
        )
        handlers_answer: Any = (theirs.tree, theirs.changed)
    except InvalidOperation:
        handlers_answer = "refused"

    assert sandbox_answer == handlers_answer
    assert tree == _tree()[0], "the input tree is never changed"


@pytest.mark.parametrize(
    ("body", "secret"),
    [
        (b'{"request_id": "1"}', "hook-secret"),
        (b"", "hook-secret"),
        ('{"name": "Ústí"}'.encode(), "tajné-heslo-ěščř"),
        (bytes(range(256)), "s" * 200),
    ],
)
@pytest.mark.parametrize("legacy", [False, True])
def test_signatures_agree(body: bytes, secret: str, legacy: bool) -> None:
    """Both sign a body to the same headers, and the service's check accepts the sandbox's."""
    ours = signed_headers(body, secret, legacy=legacy)
    assert ours == signature_headers(body, secret, legacy=legacy)
    assert verify(ours, body, [secret]) == "sha256"
    if legacy:
        sha1_only = {k: v for k, v in ours.items() if k == "X-Elis-Signature"}
        assert verify(sha1_only, body, [secret]) == "sha1"


def _shape(nodes: Any) -> list[tuple[str, str, Any]]:
    """Return (id, category, children's shape, or type with format and option values)."""
    shape = []
    for node in nodes if isinstance(nodes, list) else [nodes]:
        children = node.get("children")
        options = tuple(o["value"] for o in node.get("options", ()))
        leaf = (node.get("type"), node.get("format"), options)
        shape.append((node["id"], node["category"], _shape(children) if children else leaf))
    return shape


def test_invoice_schemas_have_one_shape() -> None:
    """The sandbox's and the kit's invoice schemas have the same ids, nesting, types, formats
    and enum option values, so rules tested with the kit meet the same fields on the sandbox."""
    assert _shape(invoice_schema()) == _shape(INVOICE_SCHEMA)


def test_sandbox_currency_is_rossums_enum() -> None:
    """`currency` is an enum of lower-case ISO codes labelled in upper case, as in Rossum."""
    currency = SCHEMA.get("currency")
    assert currency is not None and currency["type"] == "enum"
    values = {o["value"]: o["label"] for o in currency["options"]}
    assert {"eur", "usd", "nok", "czk", "gbp"} <= set(values)
    assert all(v == v.lower() and values[v] == v.upper() for v in values)
