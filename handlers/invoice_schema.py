"""Rossum's standard invoice schema, as data: the `content` list of a schema object.

Section, multivalue, tuple and datapoint ids follow Rossum's stock "Tax invoice" schema
(API reference, "Document Schema"): header fields such as `document_id`, `order_id`,
`date_due`, `amount_total`, `currency` and `sender_name`, and the `line_items` table
(multivalue) whose rows are `line_item` tuples with `item_amount_total` and friends.

As in Rossum, a multivalue's `children` is a single node (the row template), not a list, and
choices are `enum` datapoints with Rossum's option values: `currency` holds lower-case ISO 4217
codes (`"eur"`, `"nok"`, ...) labelled in upper case, `document_type` Rossum's document types.
The payload builders in `handlers.testing` and the rules (when a hook sideloads no schema)
read this; treat it as read-only (`copy.deepcopy` it before changing anything).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final


def _dp(schema_id: str, label: str, type_: str = "string", **extra: Any) -> dict[str, Any]:
    node: dict[str, Any] = {
        "category": "datapoint",
        "id": schema_id,
        "label": label,
        "type": type_,
        "rir_field_names": [schema_id],
        "constraints": {"required": False},
        "default_value": None,
    }
    if type_ == "date":
        node["format"] = "YYYY-MM-DD"
    elif type_ == "number":
        node["format"] = "# ##0.#"
    node.update(extra)
    return node


def _section(schema_id: str, label: str, *children: dict[str, Any]) -> dict[str, Any]:
    return {
        "category": "section",
        "id": schema_id,
        "label": label,
        "icon": None,
        "children": list(children),
    }


def _table(schema_id: str, label: str, row_id: str, *cells: dict[str, Any]) -> dict[str, Any]:
    return {
        "category": "multivalue",
        "id": schema_id,
        "label": label,
        "rir_field_names": [schema_id],
        "min_occurrences": None,
        "max_occurrences": None,
        "default_value": None,
        "grid": {
            "row_types": ["data"],
            "default_row_type": "data",
            "row_types_to_extract": ["data"],
        },
        "children": {
            "category": "tuple",
            "id": row_id,
            "label": label.rstrip("s"),
            "rir_field_names": [],
            "children": list(cells),
        },
    }


DOCUMENT_TYPES: Final = ("tax_invoice", "credit_note", "proforma", "debit_note", "order")
CURRENCIES: Final = (
    "eur", "usd", "gbp", "chf", "czk", "pln", "huf", "nok", "sek", "dkk", "ron", "bgn",
    "jpy", "cny", "aud", "cad", "nzd", "inr", "sgd", "hkd", "zar", "try", "mxn", "brl",
)  # fmt: skip

INVOICE_SCHEMA: Final[list[dict[str, Any]]] = [
    _section(
        "invoice_info_section",
        "Basic information",
        _dp("document_id", "Invoice number"),
        _dp("order_id", "Order number"),
        _dp("date_issue", "Issue date", "date"),
        _dp("date_due", "Due date", "date"),
        _dp("date_uzp", "Tax point date", "date"),
        _dp("terms", "Terms"),
        _dp("customer_id", "Customer number"),
        _dp(
            "document_type",
            "Document type",
            "enum",
            options=[{"value": v, "label": v.replace("_", " ").title()} for v in DOCUMENT_TYPES],
        ),
    ),
    _section(
        "payment_info_section",
        "Payment instructions",
        _dp("account_num", "Bank account"),
        _dp("bank_num", "Bank code"),
        _dp("iban", "IBAN"),
        _dp("bic", "BIC/SWIFT"),
        _dp("var_sym", "Payment reference"),
    ),
    _section(
        "amounts_section",
        "Amounts",
        _dp("amount_total_base", "Total without tax", "number"),
        _dp("amount_total_tax", "Tax amount", "number"),
        _dp("amount_total", "Total amount", "number"),
        _dp("amount_due", "Amount due", "number"),
        _dp("amount_rounding", "Rounding", "number"),
        _dp(
            "currency",
            "Currency",
            "enum",
            options=[{"value": code, "label": code.upper()} for code in CURRENCIES],
        ),
        _table(
            "tax_details",
            "Tax details",
            "tax_detail",
            _dp("tax_detail_rate", "VAT rate", "number"),
            _dp("tax_detail_base", "Tax base", "number"),
            _dp("tax_detail_tax", "Tax amount", "number"),
            _dp("tax_detail_total", "Amount", "number"),
        ),
    ),
    _section(
        "vendor_section",
        "Vendor & customer",
        _dp("sender_name", "Vendor name"),
        _dp("sender_address", "Vendor address"),
        _dp("sender_ic", "Vendor company ID"),
        _dp("sender_vat_id", "Vendor VAT number"),
        _dp("recipient_name", "Customer name"),
        _dp("recipient_address", "Customer address"),
        _dp("recipient_ic", "Customer company ID"),
        _dp("recipient_vat_id", "Customer VAT number"),
    ),
    _section(
        "line_items_section",
        "Line items",
        _table(
            "line_items",
            "Line items",
            "line_item",
            _dp("item_code", "Item code"),
            _dp("item_description", "Description"),
            _dp("item_quantity", "Quantity", "number"),
            _dp("item_uom", "Unit of measure"),
            _dp("item_amount_base", "Unit price without tax", "number"),
            _dp("item_rate", "VAT rate", "number"),
            _dp("item_tax", "Tax", "number"),
            _dp("item_amount_total", "Total amount", "number"),
        ),
    ),
    _section("other_section", "Other", _dp("notes", "Notes")),
]


def iter_nodes(nodes: list[dict[str, Any]] | None = None) -> Iterator[dict[str, Any]]:
    """Yield every schema node depth-first (sections, multivalues, tuples, datapoints)."""
    for node in INVOICE_SCHEMA if nodes is None else nodes:
        yield node
        children = node.get("children")
        if isinstance(children, Mapping):
            yield from iter_nodes([dict(children)])
        elif isinstance(children, list):
            yield from iter_nodes(children)


def datapoint_types() -> dict[str, str]:
    """Return `{schema_id: type}` for every datapoint of the invoice schema."""
    return {n["id"]: n["type"] for n in iter_nodes() if n["category"] == "datapoint"}


def section_of() -> dict[str, str]:
    """Return `{schema_id: section id}` for every header datapoint and table of the schema."""
    return {
        child["id"]: section["id"] for section in INVOICE_SCHEMA for child in section["children"]
    }
