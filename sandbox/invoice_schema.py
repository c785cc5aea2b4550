"""Rossum's standard invoice schema, the `content` of the demo queue's schema.

Ids follow Rossum's stock invoice schema (API reference, "Document Schema"): sections of header
datapoints such as `document_id`, `order_id`, `date_due`, `amount_total`, the `tax_details` and
`line_items` tables (a multivalue whose single child is the row tuple). As in Rossum, choices
are `enum` datapoints whose option values are Rossum's: `currency` holds lower-case ISO 4217
codes (`"eur"`, `"usd"`, `"nok"`, ...) labelled in upper case, `document_type` Rossum's document
types. Dates show as `YYYY-MM-DD`, numbers as `# ##0.#`.

`invoice_schema()` returns a fresh copy each time, so callers may change it freely.
"""

from __future__ import annotations

import copy
from typing import Any

CURRENCIES = (
    "eur", "usd", "gbp", "chf", "czk", "pln", "huf", "nok", "sek", "dkk", "ron", "bgn",
    "jpy", "cny", "aud", "cad", "nzd", "inr", "sgd", "hkd", "zar", "try", "mxn", "brl",
)  # fmt: skip
DOCUMENT_TYPES = {
    "tax_invoice": "Tax invoice",
    "credit_note": "Credit note",
    "proforma": "Pro forma invoice",
    "debit_note": "Debit note",
    "order": "Order",
}

# (section id, label, fields); a field is (id, label, type) or a table (id, label, row id, cells).
_LAYOUT: tuple[tuple[str, str, tuple[tuple[Any, ...], ...]], ...] = (
    (
        "invoice_info_section",
        "Basic information",
        (
            ("document_id", "Invoice number", "string"),
            ("order_id", "Order number", "string"),
            ("date_issue", "Issue date", "date"),
            ("date_due", "Due date", "date"),
            ("date_uzp", "Tax point date", "date"),
            ("terms", "Terms", "string"),
            ("customer_id", "Customer number", "string"),
            ("document_type", "Document type", "enum"),
        ),
    ),
    (
        "payment_info_section",
        "Payment instructions",
        (
            ("account_num", "Bank account", "string"),
            ("bank_num", "Bank code", "string"),
            ("iban", "IBAN", "string"),
            ("bic", "BIC/SWIFT", "string"),
            ("var_sym", "Payment reference", "string"),
        ),
    ),
    (
        "amounts_section",
        "Amounts",
        (
            ("amount_total_base", "Total without tax", "number"),
            ("amount_total_tax", "Tax amount", "number"),
            ("amount_total", "Total amount", "number"),
            ("amount_due", "Amount due", "number"),
            ("amount_rounding", "Rounding", "number"),
            ("currency", "Currency", "enum"),
            (
                "tax_details",
                "Tax details",
                "tax_detail",
                (
                    ("tax_detail_rate", "VAT rate", "number"),
                    ("tax_detail_base", "Tax base", "number"),
                    ("tax_detail_tax", "Tax amount", "number"),
                    ("tax_detail_total", "Amount", "number"),
                ),
            ),
        ),
    ),
    (
        "vendor_section",
        "Vendor & customer",
        (
            ("sender_name", "Vendor name", "string"),
            ("sender_address", "Vendor address", "string"),
            ("sender_ic", "Vendor company ID", "string"),
            ("sender_vat_id", "Vendor VAT number", "string"),
            ("recipient_name", "Customer name", "string"),
            ("recipient_address", "Customer address", "string"),
            ("recipient_ic", "Customer company ID", "string"),
            ("recipient_vat_id", "Customer VAT number", "string"),
        ),
    ),
    (
        "line_items_section",
        "Line items",
        (
            (
                "line_items",
                "Line items",
                "line_item",
                (
                    ("item_code", "Item code", "string"),
                    ("item_description", "Description", "string"),
                    ("item_quantity", "Quantity", "number"),
                    ("item_uom", "Unit of measure", "string"),
                    ("item_amount_base", "Unit price without tax", "number"),
                    ("item_rate", "VAT rate", "number"),
                    ("item_tax", "Tax", "number"),
                    ("item_amount_total", "Total amount", "number"),
                ),
            ),
        ),
    ),
    ("other_section", "Other", (("notes", "Notes", "string"),)),
)

_OPTIONS = {
    "currency": [{"value": code, "label": code.upper()} for code in CURRENCIES],
    "document_type": [{"value": v, "label": label} for v, label in DOCUMENT_TYPES.items()],
}
_FORMATS = {"date": "YYYY-MM-DD", "number": "# ##0.#"}
_GRID = {"row_types": ["data"], "default_row_type": "data", "row_types_to_extract": ["data"]}


def _field(schema_id: str, label: str, kind: str) -> dict[str, Any]:
    field: dict[str, Any] = {
        "category": "datapoint",
        "id": schema_id,
        "label": label,
        "type": kind,
        "rir_field_names": [schema_id],
        "constraints": {"required": False},
        "default_value": None,
    }
    if kind in _FORMATS:
        field["format"] = _FORMATS[kind]
    if kind == "enum":
        field["options"] = [dict(option) for option in _OPTIONS[schema_id]]
    return field


def _table(schema_id: str, label: str, row_id: str, cells: tuple[Any, ...]) -> dict[str, Any]:
    """Return a table: a multivalue whose row template is a tuple of the given cells."""
    row: dict[str, Any] = {"category": "tuple", "id": row_id, "label": label.removesuffix("s")}
    row |= {"rir_field_names": [], "children": [_field(*cell) for cell in cells]}
    table: dict[str, Any] = {
        "category": "multivalue",
        "id": schema_id,
        "label": label,
        "children": row,
    }
    table |= {"rir_field_names": [schema_id], "default_value": None, "grid": copy.deepcopy(_GRID)}
    return table | dict.fromkeys(("min_occurrences", "max_occurrences"))


def invoice_schema() -> list[dict[str, Any]]:
    """Return a fresh copy of the standard invoice schema's `content`."""
    return [
        {
            "category": "section",
            "id": section_id,
            "label": label,
            "icon": None,
            "children": [_table(*f) if len(f) == 4 else _field(*f) for f in fields],
        }
        for section_id, label, fields in _LAYOUT
    ]
