"""Uploads (API reference, "Upload", "Create upload"): `POST /uploads?queue={id}` and
`POST /uploads/{filename}?queue={id}`, `GET /uploads/{id}`.

A file comes as multipart/form-data (one or more `content` parts, optional `values` and
`metadata` JSON parts) or as the raw request body, named by `Content-Disposition: attachment;
filename=...` (or `filename*=utf-8''...`) or by the `{filename}` path. The answer is 202
`{"url": <task URL>}`; in the background the upload fires `upload.created` and imports its
documents (`sandbox.upload_events`), then its task succeeds and redirects to the upload.
`values` keys are strings such as `upload:organization_unit`, used through `rir_field_names`.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox import serialize
from sandbox.errors import bad_request
from sandbox.http import caller, read_body, read_object, sandbox_of, urls_of
from sandbox.importer import METADATA_MAX_BYTES, add_document, annotate_document
from sandbox.tasks import finish, new_task
from sandbox.upload_events import create_upload, run_upload, serialize_upload
from sandbox.urls import Urls

if TYPE_CHECKING:
    from sandbox.state import Sandbox

OCTET_STREAM = "application/octet-stream"


@dataclass(frozen=True)
class UploadedFile:
    """One file of an upload request."""

    name: str
    mime_type: str
    data: bytes


def mime_type_of(name: str, declared: str | None) -> str:
    """Return the declared type, or one guessed from the file name (clients send octet-stream)."""
    if declared and declared.partition(";")[0].strip() not in ("", OCTET_STREAM):
        return declared.partition(";")[0].strip()
    return mimetypes.guess_type(name)[0] or OCTET_STREAM


def json_part(raw: str | bytes | None, name: str) -> dict[str, Any]:
    """Parse a JSON-object form part (`values`, `metadata`), or raise 400."""
    if raw is None or raw in ("", b""):
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise bad_request(f"{name}: Value must be valid JSON.") from None
    if not isinstance(data, dict):
        raise bad_request(f"{name}: expected a JSON object.")
    return data


def checked_values(values: Mapping[str, Any], *, prefix: str | None = None) -> dict[str, str]:
    """Return upload `values` as strings, or raise 400 (keys must start with `prefix`)."""
    out = {}
    for key, value in values.items():
        if prefix is not None and not key.startswith(prefix):
            raise bad_request(f"values: key {key!r} must start with {prefix!r}.")
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise bad_request(f"values: {key!r} must be a string.")
        out[key] = str(value)
    return out


def checked_metadata(metadata: dict[str, Any]) -> dict[str, Any]:
    """Return annotation metadata, or raise 400 when it is too large."""
    if len(json.dumps(metadata)) > METADATA_MAX_BYTES:
        raise bad_request(f"metadata: at most {METADATA_MAX_BYTES} bytes.")
    return metadata


async def parse_form(request: Request, body: bytes) -> Any:
    """Parse an already read multipart/form-data body, or raise 400."""

    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    try:
        return await MultiPartParser(request.headers, stream()).parse()
    except MultiPartException as exc:
        raise bad_request(f"multipart body: {exc.message}") from None


async def part_text(value: str | UploadFile | None) -> str | bytes | None:
    """Return a form part's text, reading it if it came as a file."""
    if isinstance(value, UploadFile):
        return await value.read()
    return value


def _disposition_name(request: Request) -> str | None:
    header = request.headers.get("content-disposition", "")
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "filename*" and "''" in value:
            return unquote(value.split("''", 1)[1])
        if key.lower() == "filename" and value:
            return value.strip('"')
    return None


async def read_files(request: Request) -> tuple[list[UploadedFile], dict[str, Any]]:
    """Return the uploaded files and the form's other fields (raw `values`/`metadata`)."""
    body = await read_body(request)
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media == "multipart/form-data":
        form = await parse_form(request, body)
        try:
            files = []
            for item in form.getlist("content"):
                if not isinstance(item, UploadFile) or not item.filename:
                    raise bad_request("content: expected a file part with a file name.")
                mime_type = mime_type_of(item.filename, item.content_type)
                files.append(UploadedFile(item.filename, mime_type, await item.read()))
            names = ("values", "metadata", "parent")  # `parent`: `POST /documents`
            extra = {name: await part_text(form.get(name)) for name in names}
        finally:
            await form.close()
        return files, extra
    name = _disposition_name(request) or unquote(request.path_params.get("filename", ""))
    if not name or not body:
        raise bad_request("content: send the file as multipart `content` or as the body.")
    return [UploadedFile(name, mime_type_of(name, request.headers.get("content-type")), body)], {}


def start_upload(
    sandbox: Sandbox,
    urls: Urls,
    *,
    queue_id: int,
    files: list[UploadedFile],
    values: dict[str, str],
    metadata: dict[str, Any],
    creator: int,
    email_id: int | None = None,
) -> dict[str, Any]:
    """Store the files and an upload, run it in the background; return the task's reference."""
    store = sandbox.store
    documents = [
        add_document(store, file_name=f.name, mime_type=f.mime_type, data=f.data, creator=creator)
        for f in files
    ]
    upload = create_upload(
        store,
        queue_id=queue_id,
        documents=[d["id"] for d in documents],
        creator=creator,
        values=values,
        metadata=metadata,
        email_id=email_id,
    )
    task = new_task(store, "upload_created", result_kind="uploads", result_id=upload["id"])

    async def work() -> None:
        try:
            await run_upload(sandbox, upload["id"], urls)
        except Exception as exc:
            finish(task, failure=f"upload failed: {type(exc).__name__}")
            raise
        finish(task)

    sandbox.deliveries.spawn(work())
    return {"url": urls.of("tasks", task["id"])}


async def create_upload_endpoint(request: Request) -> Response:
    """Upload one or more files to `?queue=`; 202 with the task URL."""
    sandbox, urls = sandbox_of(request), urls_of(request)
    raw_queue = request.query_params.get("queue")
    if raw_queue is None or not raw_queue.isdigit():
        raise bad_request("queue: this query parameter is required (a queue id).")
    queue_id = sandbox.store.ref("queues", int(raw_queue), field="queue", allow_int=True)
    files, extra = await read_files(request)
    if not files:
        raise bad_request("content: no file was uploaded.")
    values = checked_values(json_part(extra.get("values"), "values"))
    metadata = checked_metadata(json_part(extra.get("metadata"), "metadata"))
    answer = start_upload(
        sandbox,
        urls,
        queue_id=queue_id,
        files=files,
        values=values,
        metadata=metadata,
        creator=caller(request).user_id,
    )
    return JSONResponse(answer, status_code=202)


async def create_annotation(request: Request) -> Response:
    """Create an annotation in status `created` for a stored document (`upload.created` hooks).

    Body: `status` ("created", the only one Rossum accepts), `document` and `queue` URLs,
    optional `values` (through `rir_field_names`) and `metadata`. The upload pipeline switches
    it to `importing` when the `upload.created` event ends (`sandbox.upload_events`).
    """
    sandbox, urls = sandbox_of(request), urls_of(request)
    body = await read_object(request)
    if body.get("status") != "created":
        raise bad_request("status: only 'created' is supported.")
    if "content_data" in body:
        raise bad_request("content_data: not supported by the sandbox; use values.")
    for name in ("document", "queue"):
        if name not in body:
            raise bad_request(f"{name}: this field is required.")
    store = sandbox.store
    document = store.get("documents", store.ref("documents", body["document"], field="document"))
    queue_id = store.ref("queues", body["queue"], field="queue")
    if any(a["document"] == document["id"] for a in store.values("annotations")):
        raise bad_request("document: this document already has an annotation.")
    values = checked_values(body.get("values") or {})
    metadata = body.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise bad_request("metadata: expected an object.")
    ann = annotate_document(
        store,
        queue_id,
        document,
        values=values,
        metadata=checked_metadata(metadata),
        creator=caller(request).user_id,
    )
    ann["status"], ann["previous_status"] = "created", None
    return JSONResponse(serialize.annotation(store, ann, urls), status_code=201)


async def retrieve_upload(request: Request) -> Response:
    """Return one upload object."""
    sandbox = sandbox_of(request)
    record = sandbox.store.get("uploads", request.path_params["upload_id"])
    return JSONResponse(serialize_upload(record, urls_of(request)))


routes = [
    Route("/annotations", create_annotation, methods=["POST"]),
    Route("/uploads", create_upload_endpoint, methods=["POST"]),
    Route("/uploads/{upload_id:int}", retrieve_upload, methods=["GET"]),
    Route("/uploads/{filename:str}", create_upload_endpoint, methods=["POST"]),
]
