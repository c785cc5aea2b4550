"""Read an annotation's content tree by `schema_id`, and build operations on it.

The tree is Rossum's "Annotation Data" as plain JSON: sections hold datapoints and
multivalues; a multivalue holds tuples (table rows) or datapoints; a datapoint carries
`content.value` (as shown in the UI) and `content.normalized_value` (ISO date, JSON number).
This module is a pure leaf: standard library plus `handlers.decision`, nothing else, so the
API client can reuse it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from handlers.decision import Operation

Node = Mapping[str, Any]
Row = Mapping[str, Node]
_NULLISH = (None, "", "None", "null")


class ContentTree:
    """Look content-tree nodes up by `schema_id` or id, indexing only as far as asked.

    Header fields (children of sections) and multivalues are indexed on the first lookup, which
    is all most rules need; the full walk into table rows happens only for a row-level
    `schema_id`, `datapoints()` or `by_id()`. Schema ids are unique within a Rossum schema, so a
    header field found in the shallow index is also the first in document order.
    """

    __slots__ = ("_by_id", "_deep", "_shallow", "nodes")

    def __init__(self, content: Sequence[Node] | str | None) -> None:
        # Status events carry the content as a URL, not the tree: treat as empty.
        self.nodes: Sequence[Node] = (
            content if isinstance(content, Sequence) and not isinstance(content, str) else ()
        )
        self._shallow: dict[str, Node] | None = None
        self._deep: dict[str, list[Node]] | None = None
        self._by_id: dict[int, Node] | None = None

    def _header_index(self) -> dict[str, Node]:
        if self._shallow is None:
            index: dict[str, Node] = {}
            for section in self.nodes:
                if not isinstance(section, Mapping):
                    continue
                index.setdefault(section.get("schema_id", ""), section)
                children = section.get("children")
                for child in children if isinstance(children, list) else ():
                    if isinstance(child, Mapping):
                        index.setdefault(child.get("schema_id", ""), child)
            self._shallow = index
        return self._shallow

    def _full_index(self) -> dict[str, list[Node]]:
        if self._deep is None:
            index: dict[str, list[Node]] = {}
            by_id: dict[int, Node] = {}
            for node in walk(self.nodes):
                index.setdefault(node.get("schema_id", ""), []).append(node)
                if isinstance(node.get("id"), int):
                    by_id[node["id"]] = node
            self._deep, self._by_id = index, by_id
        return self._deep

    def datapoints(self, schema_id: str) -> list[Node]:
        """Return every node with this `schema_id`, in document order."""
        return list(self._full_index().get(schema_id, ()))

    def datapoint(self, schema_id: str) -> Node | None:
        """Return the first node with this `schema_id` (a header field), or None."""
        found = self._header_index().get(schema_id)
        if found is not None:
            return found
        deep = self._full_index().get(schema_id)
        return deep[0] if deep else None

    def by_id(self, id: int) -> Node | None:
        """Return the node with this id, or None."""
        self._full_index()
        assert self._by_id is not None
        return self._by_id.get(id)

    def value(self, schema_id: str) -> str | None:
        """Return the field's value stripped of whitespace, or None when absent or empty."""
        return value_of(self.datapoint(schema_id))

    def number(self, schema_id: str) -> Decimal | None:
        """Return the field as a Decimal read from `normalized_value`, or None."""
        return number_of(self.datapoint(schema_id))

    def date(self, schema_id: str) -> date | None:
        """Return the field as a date read from `normalized_value` (ISO), or None."""
        return date_of(self.datapoint(schema_id))

    def multivalue(self, schema_id: str) -> Node | None:
        """Return the multivalue (table or repeated field) with this `schema_id`, or None."""
        node = self._header_index().get(schema_id)
        if node is not None and node.get("category") == "multivalue":
            return node
        for node in self._full_index().get(schema_id, ()):  # a multivalue nested deeper
            if node.get("category") == "multivalue":
                return node
        return None

    def rows(self, schema_id: str) -> list[Row]:
        """Return the multivalue's rows, each a mapping of `schema_id` to datapoint."""
        multivalue = self.multivalue(schema_id)
        if multivalue is None:
            return []
        rows: list[Row] = []
        for child in multivalue.get("children") or ():
            if child.get("category") == "tuple":
                rows.append({dp.get("schema_id", ""): dp for dp in child.get("children") or ()})
            else:
                rows.append({child.get("schema_id", ""): child})
        return rows


def walk(nodes: Iterable[Node]) -> Iterator[Node]:
    """Yield every node of the tree depth-first, parents before children."""
    stack = list(reversed(list(nodes)))
    while stack:
        node = stack.pop()
        if not isinstance(node, Mapping):
            continue  # tolerate junk in recorded payloads rather than crash a rule
        yield node
        children = node.get("children")
        if isinstance(children, list):
            stack.extend(reversed(children))


def raw_value(datapoint: Node | None) -> str | None:
    """Return `content.value` exactly as stored (no stripping), or None."""
    if datapoint is None:
        return None
    content = datapoint.get("content")
    value = content.get("value") if isinstance(content, Mapping) else None
    return None if value is None else str(value)


def value_of(datapoint: Node | None) -> str | None:
    """Return a datapoint's value stripped of whitespace, or None when absent or empty."""
    value = raw_value(datapoint)
    stripped = value.strip() if value is not None else None
    return None if stripped in _NULLISH else stripped


def _normalized(datapoint: Node | None) -> str | None:
    content = datapoint.get("content") if datapoint is not None else None
    value = content.get("normalized_value") if isinstance(content, Mapping) else None
    return None if value in _NULLISH else str(value).strip()


def number_of(datapoint: Node | None) -> Decimal | None:
    """Return a datapoint as a Decimal: `normalized_value`, else the parsed `value`, or None."""
    normalized = _normalized(datapoint)
    if normalized is not None:
        try:
            number = Decimal(normalized)
        except InvalidOperation:
            number = None
        if number is not None and number.is_finite():
            return number
    return parse_number(value_of(datapoint))


def date_of(datapoint: Node | None) -> date | None:
    """Return a datapoint as a date: ISO `normalized_value`, else an ISO `value`, or None."""
    for text in (_normalized(datapoint), value_of(datapoint)):
        if text:
            try:
                return date.fromisoformat(text[:10])
            except ValueError:
                continue
    return None


_NUMBER_JUNK = re.compile(r"[\s\u00a0\u202f'\u2019$€£¥]")
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}\s+|\s+[A-Z]{3}$")
# Rossum's number formats (`# ##0.#`, `#,##0.#`, `#.##0,#`, ...): groups of three, one decimal mark.
_NUMBER_SHAPE = re.compile(
    r"^[-+]?(?:\d{1,3}(?:[\s'\u2019.,]\d{3})*|\d+)(?:[.,]\d*)?$|^[-+]?[.,]\d+$"
)


def parse_number(text: str | None) -> Decimal | None:
    """Parse a UI-formatted number (`"18 492.48"`, `"1.234,56"`, `"EUR -12"`), or return None.

    When both `,` and `.` occur the last one is the decimal separator; a lone `,` is decimal
    unless it repeats or is followed by exactly three digits (`"1,234"` groups thousands).
    Text in none of Rossum's number shapes (`"1e3"`, `"1 25"`, `"INV123"`) is not a number.
    """
    if not text:
        return None
    body = _CURRENCY_CODE.sub("", text.strip().replace("\u2212", "-"))
    body = re.sub(r"^([-+]?)\s*[$€£¥]?\s*", r"\1", body.strip().rstrip("$€£¥").strip())
    if not _NUMBER_SHAPE.match(body):
        return None
    cleaned = _NUMBER_JUNK.sub("", body)
    if "," in cleaned and "." in cleaned:
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    elif "," in cleaned:
        head, _, tail = cleaned.rpartition(",")
        if cleaned.count(",") > 1 and len(tail) != 3:
            return None  # "1,234,5": one mark cannot both group and separate decimals
        grouped = cleaned.count(",") > 1 or len(tail) == 3
        cleaned = cleaned.replace(",", "") if grouped else f"{head}.{tail}"
    elif cleaned.count(".") > 1:
        if len(cleaned.rpartition(".")[2]) != 3:
            return None  # "1.234.5"
        cleaned = cleaned.replace(".", "")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _ref(node: Node | int) -> tuple[int, str | None]:
    if isinstance(node, int):
        return node, None
    return int(node["id"]), node.get("schema_id")


def replace(
    datapoint: Node | int,
    value: str,
    *,
    normalized_value: str | None = None,
    validation_sources: Sequence[str] | None = None,
    hidden: bool | None = None,
    options: Sequence[Mapping[str, str]] | None = None,
    position: Sequence[float] | None = None,
    page: int | None = None,
) -> Operation:
    """Build a `replace` of a datapoint's value (and optionally other updatable attributes)."""
    id_, schema_id = _ref(datapoint)
    content: dict[str, Any] = {"value": value}
    for key, item in (("normalized_value", normalized_value), ("position", position)):
        if item is not None:
            content[key] = list(item) if key == "position" else item
    if page is not None:
        content["page"] = page
    payload: dict[str, Any] = {"content": content}
    if validation_sources is not None:
        payload["validation_sources"] = list(validation_sources)
    if hidden is not None:
        payload["hidden"] = hidden
    if options is not None:
        payload["options"] = [dict(o) for o in options]
    return Operation(op="replace", id=id_, value=payload, schema_id=schema_id)


def add_row(
    multivalue: Node | int,
    cells: Mapping[str, str],
    *,
    validation_sources: Sequence[str] | None = None,
) -> Operation:
    """Build an `add` appending a table row with the given `{schema_id: value}` cells."""
    id_, schema_id = _ref(multivalue)
    row: list[dict[str, Any]] = []
    for cell_schema_id, cell_value in cells.items():
        cell: dict[str, Any] = {"schema_id": cell_schema_id, "content": {"value": cell_value}}
        if validation_sources is not None:
            cell["validation_sources"] = list(validation_sources)
        row.append(cell)
    return Operation(op="add", id=id_, value=row, schema_id=schema_id)


def remove(node: Node | int) -> Operation:
    """Build a `remove` of a multivalue child (a table row or a repeated datapoint)."""
    id_, schema_id = _ref(node)
    return Operation(op="remove", id=id_, schema_id=schema_id)
