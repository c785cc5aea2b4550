"""Build realistic annotation content trees from a schema and `{schema_id: value}` fields.

The nodes are `handlers.tree`'s (the sandbox builds its trees with the same code); this kit
adds URLs under the annotation, ids counted from `first_id`, and refuses unknown schema ids.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from handlers.invoice_schema import INVOICE_SCHEMA
from handlers.tree import FieldValue, Node, Rows, build_tree, new_datapoint, new_row, with_urls

__all__ = ["FieldValue", "Rows", "TreeBuilder"]


class TreeBuilder:
    """Mint ids and nodes for one annotation's content tree."""

    def __init__(self, *, annotation_url: str, first_id: int) -> None:
        self.annotation_url = annotation_url
        self._ids: Iterator[int] = itertools.count(first_id)

    def _new_id(self) -> int:
        return next(self._ids)

    def _served(self, node: Node) -> Node:
        return with_urls([node], annotation_url=self.annotation_url)[0]

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
        tree = build_tree(schema, fields=fields, tables=tables, new_id=self._new_id, omit=omit)
        return with_urls(tree, annotation_url=self.annotation_url)

    def multivalue(self, schema_node: Mapping[str, Any], rows: Rows) -> dict[str, Any]:
        """Return a multivalue node holding one tuple (or datapoint) per row."""
        tree = build_tree(
            [schema_node], fields={}, tables={schema_node["id"]: rows}, new_id=self._new_id
        )
        return with_urls(tree, annotation_url=self.annotation_url)[0]

    def row(self, template: Mapping[str, Any], cells: Mapping[str, FieldValue]) -> dict[str, Any]:
        """Return one table row: a tuple with every cell of the template (or a datapoint)."""
        _check_cells(template, [cells])
        return self._served(new_row(template, cells, new_id=self._new_id))

    def datapoint(self, schema_node: Mapping[str, Any], value: FieldValue) -> dict[str, Any]:
        """Return a datapoint node as extracted by Rossum, holding `value`."""
        return self._served(new_datapoint(schema_node, value, new_id=self._new_id))


def _check_known(
    schema: Sequence[Mapping[str, Any]], fields: Mapping[str, Any], tables: Mapping[str, Rows]
) -> None:
    children = [c for s in schema for c in s.get("children") or ()]
    header = {c["id"] for c in children if c["category"] != "multivalue"}
    multivalues = {c["id"]: c for c in children if c["category"] == "multivalue"}
    for given, known, what in ((fields, header, "field"), (tables, set(multivalues), "table")):
        unknown = set(given) - known
        if unknown:
            raise ValueError(f"unknown {what} schema ids {sorted(unknown)}; known: {sorted(known)}")
    for table_id, rows in tables.items():
        _check_cells(multivalues[table_id]["children"], rows)


def _check_cells(template: Mapping[str, Any], rows: Rows) -> None:
    if template["category"] == "datapoint":
        return
    known = {c["id"] for c in template["children"]}
    for cells in rows:
        unknown = set(cells) - known
        if unknown:
            raise ValueError(f"unknown cells {sorted(unknown)} for row {template['id']!r}")
