"""`GET|POST /queues/{id}/export` (API reference, "Export annotations").

`format` `json` (paginated like a list), `csv` or `xml` (every matching annotation); `xlsx` is
not served (400). Every annotation-list filter applies (the queue is fixed by the path), plus
`columns` / `prepend_columns` / `append_columns` for CSV (schema ids and the meta-columns
`meta_arrived_at`, `meta_file`, `meta_file_name`, `meta_status`, `meta_url`, `meta_automated`,
`meta_modified_at`, `meta_assigned_at`) and, on POST only, `to_status=exporting|exported`, which
moves the exported annotations there (`exporting` runs the export flow with its hook events;
annotations already `exporting` or `exported` are left alone).

JSON rows: `url, status, arrived_at, exported_at, document {url, file_name, file}, modifier,
schema {url}, metadata, content` where content is the tree of sections with `value`-carrying
datapoints. CSV: a header row of column labels (schema labels, meta-column names), then one row
per annotation, or per line-item row when a table column is exported (header values repeat).
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from typing import Any
from xml.etree import ElementTree

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox.annotation_query import ANNOTATIONS
from sandbox.errors import bad_request
from sandbox.http import caller, sandbox_of, urls_of
from sandbox.pagination import paginate_pages
from sandbox.state import Sandbox
from sandbox.store import Record
from sandbox.urls import Urls
from sandbox.workflow import set_status

FORMATS = ("json", "csv", "xml")
EXPORT_PARAMS = frozenset(
    {"format", "columns", "prepend_columns", "append_columns", "to_status", "queue"}
)
EXPORT = replace(ANNOTATIONS, sideloads=frozenset(), extra=EXPORT_PARAMS, selectable=False)
META_COLUMNS = (
    "meta_arrived_at",
    "meta_file",
    "meta_file_name",
    "meta_status",
    "meta_url",
    "meta_automated",
    "meta_modified_at",
    "meta_assigned_at",
)


def _exported_node(node: Record) -> dict[str, Any]:
    out: dict[str, Any] = {"category": node["category"], "schema_id": node["schema_id"]}
    if node["category"] == "datapoint":
        content = node.get("content") or {}
        out |= {
            "value": content.get("value", ""),
            "type": node.get("type", "string"),
            "rir_confidence": content.get("rir_confidence"),
        }
    else:
        out["children"] = [_exported_node(child) for child in node.get("children") or []]
    return out


def _types(schema: Record) -> dict[str, str]:
    found: dict[str, str] = {}

    def walk(nodes: list[Any]) -> None:
        for node in nodes:
            if node.get("category") == "datapoint":
                found[node["id"]] = node.get("type", "string")
            children = node.get("children")
            walk(children if isinstance(children, list) else [children] if children else [])

    walk(schema["content"])
    return found


def export_row(sandbox: Sandbox, ann: Record, urls: Urls) -> dict[str, Any]:
    """Return one annotation as the JSON export shows it."""
    store = sandbox.store
    document = store.get("documents", ann["document"])
    doc_url = urls.of("documents", document["id"])
    types = _types(store.get("schemas", ann["schema"]))
    tree = [_exported_node(node) for node in store.contents.get(ann["id"], [])]

    def typed_nodes(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            if node["category"] == "datapoint":
                node["type"] = types.get(node["schema_id"], "string")
            typed_nodes(node.get("children", []))

    typed_nodes(tree)
    return {
        "url": urls.of("annotations", ann["id"]),
        "status": ann["status"],
        "arrived_at": ann.get("created_at"),
        "exported_at": ann.get("exported_at"),
        "document": {
            "url": doc_url,
            "file_name": document["original_file_name"],
            "file": f"{doc_url}/content",
        },
        "modifier": urls.maybe("users", ann.get("modifier")),
        "schema": {"url": urls.of("schemas", ann["schema"])},
        "metadata": dict(ann.get("metadata", {})),
        "content": tree,
    }


def _labels(schema: Record) -> tuple[dict[str, str], set[str]]:
    """Return schema id -> label of every datapoint, and the ids inside tables."""
    labels: dict[str, str] = {}
    in_table: set[str] = set()

    def walk(nodes: list[Any], table: bool) -> None:
        for node in nodes:
            if node.get("category") == "datapoint":
                labels[node["id"]] = node.get("label", node["id"])
                if table:
                    in_table.add(node["id"])
            children = node.get("children")
            inner = children if isinstance(children, list) else [children] if children else []
            walk(inner, table or node.get("category") == "multivalue")

    walk(schema["content"], False)
    return labels, in_table


def _split(request: Request, name: str) -> list[str]:
    raw = request.query_params.get(name) or ""
    return [part.strip() for part in raw.split(",") if part.strip()]


def _columns(request: Request, schema: Record) -> list[str]:
    labels, _ = _labels(schema)
    chosen = _split(request, "columns") or list(labels)
    columns = _split(request, "prepend_columns") + chosen + _split(request, "append_columns")
    unknown = [c for c in columns if c not in labels and c not in META_COLUMNS]
    if unknown:
        raise bad_request(f"columns: unknown columns {unknown}.")
    return columns


def _meta(ann: Record, document: Record, column: str, urls: Urls) -> str:
    values = {
        "meta_arrived_at": ann.get("created_at"),
        "meta_file": f"{urls.of('documents', document['id'])}/content",
        "meta_file_name": document["original_file_name"],
        "meta_status": ann["status"],
        "meta_url": urls.of("annotations", ann["id"]),
        "meta_automated": "False",
        "meta_modified_at": ann.get("modified_at"),
        "meta_assigned_at": ann.get("assigned_at"),
    }
    return str(values[column] or "")


def _rows(sandbox: Sandbox, ann: Record, columns: list[str], urls: Urls) -> list[list[str]]:
    store = sandbox.store
    schema = store.get("schemas", ann["schema"])
    _, in_table = _labels(schema)
    document = store.get("documents", ann["document"])
    header: dict[str, str] = {}
    rows: list[dict[str, str]] = []

    def walk(nodes: list[Record], row: dict[str, str] | None) -> None:
        for node in nodes:
            if node["category"] == "tuple":
                new_row: dict[str, str] = {}
                rows.append(new_row)
                walk(node.get("children") or [], new_row)
            elif node["category"] == "datapoint":
                target = row if row is not None else header
                target.setdefault(
                    node["schema_id"], str((node.get("content") or {}).get("value", ""))
                )
            else:
                walk(node.get("children") or [], row)

    walk(store.contents.get(ann["id"], []), None)
    wants_table = any(c in in_table for c in columns)
    table_rows = rows if wants_table and rows else [{}]

    def cell(column: str, row: dict[str, str]) -> str:
        if column in META_COLUMNS:
            return _meta(ann, document, column, urls)
        return row.get(column, header.get(column, ""))

    return [[cell(c, row) for c in columns] for row in table_rows]


def _csv(sandbox: Sandbox, request: Request, queue: Record, anns: list[Record], urls: Urls) -> str:
    schema = sandbox.store.get("schemas", queue["schema"])
    labels, _ = _labels(schema)
    columns = _columns(request, schema)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c if c in META_COLUMNS else labels[c] for c in columns])
    for ann in anns:
        writer.writerows(_rows(sandbox, ann, columns, urls))
    return out.getvalue()


def _xml(sandbox: Sandbox, anns: list[Record], urls: Urls) -> bytes:
    root = ElementTree.Element("export")
    results = ElementTree.SubElement(root, "results")
    for ann in anns:
        row = export_row(sandbox, ann, urls)
        node = ElementTree.SubElement(results, "annotation", url=row["url"])
        for key in ("status", "arrived_at", "exported_at"):
            ElementTree.SubElement(node, key).text = row[key]
        doc = ElementTree.SubElement(node, "document", url=row["document"]["url"])
        ElementTree.SubElement(doc, "file_name").text = row["document"]["file_name"]
        ElementTree.SubElement(doc, "file").text = row["document"]["file"]
        modifier = ElementTree.SubElement(node, "modifier")
        if row["modifier"]:
            modifier.set("url", row["modifier"])
        ElementTree.SubElement(node, "schema", url=row["schema"]["url"])
        ElementTree.SubElement(node, "metadata")
        content = ElementTree.SubElement(node, "content")

        def add(parent: ElementTree.Element, items: list[dict[str, Any]]) -> None:
            for item in items:
                attrs = {"schema_id": item["schema_id"]}
                if item["category"] == "datapoint":
                    attrs["type"] = item["type"]
                    el = ElementTree.SubElement(parent, "datapoint", attrs)
                    el.text = str(item["value"])
                else:
                    add(ElementTree.SubElement(parent, item["category"], attrs), item["children"])

        add(content, row["content"])
    pagination = ElementTree.SubElement(root, "pagination")
    for key, value in (("next", None), ("previous", None), ("total", len(anns))):
        ElementTree.SubElement(pagination, key).text = None if value is None else str(value)
    ElementTree.SubElement(pagination, "total_pages").text = "1"
    data: bytes = ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def _move(sandbox: Sandbox, request: Request, anns: list[Record], urls: Urls) -> None:
    target = request.query_params.get("to_status")
    if not target:
        return
    if request.method != "POST":
        raise bad_request("to_status: only valid with POST.")
    if target not in {"exporting", "exported"}:
        raise bad_request("to_status: expected exporting or exported.")
    who = caller(request)
    for ann in anns:
        if ann["status"] in {"exporting", "exported"}:
            continue
        if target == "exporting":
            sandbox.workflow.change_status(ann, "exporting", urls=urls, who=who)
        else:
            set_status(ann, "exported", user_id=who.user_id)


async def export(request: Request) -> Response:
    """Export the queue's annotations matching the filters."""
    sandbox, urls = sandbox_of(request), urls_of(request)
    queue = sandbox.store.get("queues", request.path_params["queue_id"])
    fmt = request.query_params.get("format") or "json"
    if fmt not in FORMATS:
        raise bad_request(f"format: {fmt!r} is not served by the sandbox; expected {FORMATS}.")
    if request.query_params.get("queue"):
        raise bad_request("queue: the queue is given by the path.")
    items = EXPORT.select(request, sandbox.store, sandbox.store.values("annotations"))
    items = [a for a in items if a["queue"] == queue["id"]]
    if fmt == "json":
        page = paginate_pages(request, items, urls)
        _move(sandbox, request, page["results"], urls)
        page["results"] = [export_row(sandbox, a, urls) for a in page["results"]]
        return JSONResponse(page)
    _move(sandbox, request, items, urls)
    if fmt == "csv":
        return Response(_csv(sandbox, request, queue, items, urls), media_type="text/csv")
    return Response(_xml(sandbox, items, urls), media_type="application/xml")


routes = [Route("/queues/{queue_id:int}/export", export, methods=["GET", "POST"])]
