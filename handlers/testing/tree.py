"""Build realistic annotation content trees from a schema and `{schema_id: value}` fields.

Every schema datapoint is present (empty unless given), as in a real extraction; ids are
unique ints, URLs point under the annotation, `normalized_value` follows the datapoint type
(numbers as JSON number strings, dates as ISO dates), tables are multivalues of tuples.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from handlers.invoice_schema import INVOICE_SCHEMA
from handlers.normalize import normalize

FieldValue = str | int | float | Decimal | date | Mapping[str, Any] | None
Rows = Sequence[Mapping[str, FieldValue]]


class TreeBuilder:
    """Mint ids and nodes for one annotation's content tree."""

    def __init__(self, *, annotation_url: str, first_id: int) -> None:
        self.annotation_url = annotation_url
        self._ids: Iterator[int] = itertools.count(first_id)
        self._line = 0

    def build(
        self,
        schema: Sequence[Mapping[str, Any]] = INVOICE_SCHEMA,
        *,
        fields: Mapping[str, FieldValue] | None = None,
        tables: Mapping[str, Rows] | None = None,
        omit: Sequence[str] = (),
    ) -> list[dict[str, Any]]:
        """Return the content tree (list of sections) for `schema` filled with the values."""
        fields, tables = dict(fields or {}), dict(tables or {})
        _check_known(schema, fields, tables)
        return [self._section(section, fields, tables, set(omit)) for section in schema]

    def _node(self, schema_node: Mapping[str, Any], category: str) -> dict[str, Any]:
        id_ = next(self._ids)
        return {
            "id": id_,
            "url": f"{self.annotation_url}/content/{id_}",
            "schema_id": schema_node["id"],
            "category": category,
        }

    def _section(
        self,
        section: Mapping[str, Any],
        fields: Mapping[str, FieldValue],
        tables: Mapping[str, Rows],
        omit: set[str],
    ) -> dict[str, Any]:
        node = self._node(section, "section")
        children: list[dict[str, Any]] = []
        for child in section.get("children") or ():
            if child["id"] in omit:
                continue
            if child["category"] == "multivalue":
                children.append(self.multivalue(child, tables.get(child["id"], ())))
            else:
                children.append(self.datapoint(child, fields.get(child["id"], "")))
        node["children"] = children
        return node

    def multivalue(self, schema_node: Mapping[str, Any], rows: Rows) -> dict[str, Any]:
        """Return a multivalue node holding one tuple (or datapoint) per row."""
        node = self._node(schema_node, "multivalue")
        template = schema_node["children"]
        node["children"] = [self.row(template, row) for row in rows]
        return node

    def row(self, template: Mapping[str, Any], cells: Mapping[str, FieldValue]) -> dict[str, Any]:
        """Return one table row: a tuple with every cell of the template (or a datapoint)."""
        if template["category"] == "datapoint":
            return self.datapoint(template, cells.get(template["id"], ""))
        unknown = set(cells) - {c["id"] for c in template["children"]}
        if unknown:
            raise ValueError(f"unknown cells {sorted(unknown)} for row {template['id']!r}")
        self._line += 1
        node = self._node(template, "tuple")
        node["children"] = [self.datapoint(c, cells.get(c["id"], "")) for c in template["children"]]
        return node

    def datapoint(self, schema_node: Mapping[str, Any], value: FieldValue) -> dict[str, Any]:
        """Return a datapoint node as extracted by Rossum, holding `value`."""
        node = self._node(schema_node, "datapoint")
        node["content"] = _content(str(schema_node.get("type", "string")), value, self._line)
        node.update(
            validation_sources=["score"] if node["content"]["value"] else [],
            time_spent=0.0,
            time_spent_overall=0.0,
            hidden=False,
        )
        if "options" in schema_node:
            node["options"] = [dict(o) for o in schema_node["options"]]
        return node


def _content(type_: str, value: FieldValue, line: int) -> dict[str, Any]:
    overrides: Mapping[str, Any] = {}
    if isinstance(value, Mapping):
        overrides, value = value, value.get("value", "")
    text = "" if value is None else value.isoformat() if isinstance(value, date) else str(value)
    top = 120 + 24 * line
    position = [96, top, 480, top + 18] if text else None
    content: dict[str, Any] = {
        "value": text,
        "normalized_value": normalize(text, type_),
        "page": 1 if text else None,
        "position": position,
        "rir_text": text or None,
        "rir_raw_text": text or None,
        "rir_page": 1 if text else None,
        "rir_position": position,
        "rir_confidence": 0.97 if text else None,
        "connector_text": None,
    }
    return {**content, **overrides}


def _check_known(
    schema: Sequence[Mapping[str, Any]], fields: Mapping[str, Any], tables: Mapping[str, Any]
) -> None:
    header = {
        c["id"] for s in schema for c in s.get("children") or () if c["category"] != "multivalue"
    }
    multivalues = {
        c["id"] for s in schema for c in s.get("children") or () if c["category"] == "multivalue"
    }
    for given, known, what in ((fields, header, "field"), (tables, multivalues, "table")):
        unknown = set(given) - known
        if unknown:
            raise ValueError(f"unknown {what} schema ids {sorted(unknown)}; known: {sorted(known)}")
