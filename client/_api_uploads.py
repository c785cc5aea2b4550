"""Operations that move files: uploads, imports, tasks and their polling, exports, email import."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Sequence
from enum import Enum
from pathlib import Path
from typing import Any

from client import models
from client._api_annotations import is_imported, poll_annotation, resource_id
from client._plans import (
    Call,
    Flow,
    Gather,
    Listing,
    ReadFiles,
    Sleep,
    Stream,
    query_params,
    retrieve,
)
from client._resources import Resource

Files = Sequence[tuple[str | Path, str]]
# Tasks redirect to their result once done unless asked not to.
TASK_PARAMS = {"no_redirect": "True"}


class ExportFileFormats(Enum):
    """Formats of `export_annotations_to_file`."""

    CSV = "csv"
    XML = "xml"
    XLSX = "xlsx"


def is_finished(task: Any) -> bool:
    """Tell whether a task stopped running (succeeded or failed)."""
    return getattr(task, "status", None) in ("succeeded", "failed")


def upload_files(
    content: bytes, filename: str, values: dict[str, Any] | None, metadata: dict[str, Any] | None
) -> dict[str, Any]:
    """Build the multipart parts of one uploaded file."""
    files: dict[str, Any] = {"content": (filename, content, "application/octet-stream")}
    for name, part in (("values", values), ("metadata", metadata)):
        if part is not None:
            files[name] = ("", json.dumps(part).encode(), "application/json")
    return files


def upload_document(
    base: str,
    /,
    queue_id: int,
    files: Files,
    values: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Flow[list[models.Task]]:
    """Upload files to a queue (`POST /uploads`); return one Task per file, in order."""
    contents = yield ReadFiles(tuple(path for path, _ in files))
    uploads: tuple[Call[Any], ...] = tuple(
        Call(
            "POST",
            "uploads",
            params={"queue": queue_id},
            files=upload_files(c, name, values, metadata),
        )
        for c, (_, name) in zip(contents, files, strict=True)
    )
    answers = yield Gather(uploads)
    tasks = tuple(retrieve(Resource.Task, resource_id(a["url"]), TASK_PARAMS) for a in answers)
    done: list[models.Task] = yield Gather(tasks)
    return done


def import_document(
    base: str,
    /,
    queue_id: int,
    files: Files,
    values: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Flow[list[int]]:
    """Import files through `POST /queues/{id}/upload`; return annotation ids (deprecated)."""
    warnings.warn(
        "import_document is deprecated, use upload_document", DeprecationWarning, stacklevel=3
    )
    return _import(queue_id, files, values, metadata)


def _import(
    queue_id: int, files: Files, values: dict[str, Any] | None, metadata: dict[str, Any] | None
) -> Flow[list[int]]:
    contents = yield ReadFiles(tuple(path for path, _ in files))
    url = f"queues/{queue_id}/upload"
    calls: tuple[Call[Any], ...] = tuple(
        Call("POST", url, files=upload_files(c, name, values, metadata))
        for c, (_, name) in zip(contents, files, strict=True)
    )
    answers = yield Gather(calls)
    # One file per request, so each answer holds exactly one result.
    return [resource_id(a["results"][0]["annotation"]) for a in answers]


def upload_and_wait_until_imported(
    base: str, /, queue_id: int, filepath: str | Path, filename: str, **poll_kwargs: Any
) -> Flow[models.Annotation]:
    """Upload one file and poll its annotation until imported."""
    (annotation_id,) = yield from _import(queue_id, [(filepath, filename)], None, None)
    return (yield from poll_annotation(base, annotation_id, is_imported, **poll_kwargs))


def retrieve_upload(base: str, /, upload_id: int) -> Call[models.Upload]:
    """Retrieve an upload."""
    return retrieve(Resource.Upload, upload_id)


def retrieve_task(base: str, /, task_id: int) -> Call[models.Task]:
    """Retrieve a task (without following its redirect)."""
    return retrieve(Resource.Task, task_id, TASK_PARAMS)


def poll_task(
    base: str, /, task_id: int, predicate: Callable[[Any], bool], sleep_s: float = 3
) -> Flow[models.Task]:
    """Poll a task until `predicate` holds."""
    task: models.Task = yield retrieve(Resource.Task, task_id, TASK_PARAMS)
    while not predicate(task):
        yield Sleep(sleep_s)
        task = yield retrieve(Resource.Task, task_id, TASK_PARAMS)
    return task


def poll_task_until_succeeded(base: str, /, task_id: int, sleep_s: float = 3) -> Flow[models.Task]:
    """Poll a task until it finished; check `status` (a failed task ends the wait too)."""
    return poll_task(base, task_id, is_finished, sleep_s)


def export_annotations_to_json(
    base: str, /, queue_id: int, **filters: Any
) -> Listing[models.Annotation]:
    """Export a queue's annotations as JSON, page by page."""
    # `to_status` changes annotations, which the API only allows through POST.
    method = "POST" if "to_status" in filters else "GET"
    params = {**query_params(filters=filters), "format": "json"}
    return Listing(f"queues/{queue_id}/export", Resource.Annotation, params, method=method)


def export_annotations_to_file(
    base: str, /, queue_id: int, export_format: ExportFileFormats | str, **filters: Any
) -> Stream:
    """Export a queue's annotations as CSV/XML/XLSX bytes, streamed in chunks."""
    fmt = export_format.value if isinstance(export_format, ExportFileFormats) else export_format
    method = "POST" if "to_status" in filters else "GET"
    params = {"format": fmt, **query_params(filters=filters, page_size=None)}
    return Stream(method, f"queues/{queue_id}/export", params)


def import_email(
    base: str, /, raw_message: bytes, recipient: str, mime_type: str | None = None
) -> Flow[str]:
    """Import a raw email into the inbox of `recipient`; return the task URL."""
    raw = ("email.eml", raw_message, mime_type) if mime_type else ("email.eml", raw_message)
    files = {"raw_message": raw, "recipient": (None, recipient)}
    answer = yield Call("POST", "emails/import", files=files)
    return str(answer["url"])
