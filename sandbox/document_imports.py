"""Files stored without an upload object: the older `POST /queues/{id}/upload` and
`POST /documents` (API reference, "Import a document", "Create document").

`POST /queues/{id}/upload` takes the same files, `values` and `metadata` as `POST /uploads`
(`sandbox.uploads`) but answers at once with `{"results": [{"document", "annotation"}]}`: each
file becomes a document and an `importing` annotation, whose import flow (`initialize`, then
`to_review`) runs in the background. It creates no upload object and fires no `upload.created`.
`POST /documents` (multipart `content`, optional `metadata` and `parent` document URL) stores
one document with no annotation; 201 with the document.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sandbox import serialize
from sandbox.errors import bad_request
from sandbox.http import caller, sandbox_of, urls_of
from sandbox.importer import add_document, annotate_document
from sandbox.uploads import checked_metadata, checked_values, json_part, read_files


async def queue_upload(request: Request) -> Response:
    """Import files into the queue: documents and annotations now, the import flow after."""
    sandbox, urls = sandbox_of(request), urls_of(request)
    queue_id = sandbox.store.get("queues", request.path_params["queue_id"])["id"]
    files, extra = await read_files(request)
    if not files:
        raise bad_request("content: no file was uploaded.")
    values = checked_values(json_part(extra.get("values"), "values"))
    metadata = checked_metadata(json_part(extra.get("metadata"), "metadata"))
    creator = caller(request).user_id
    results = []
    for file in files:
        document = add_document(
            sandbox.store,
            file_name=file.name,
            mime_type=file.mime_type,
            data=file.data,
            creator=creator,
        )
        ann = annotate_document(
            sandbox.store,
            queue_id,
            document,
            values=values,
            metadata=dict(metadata),
            creator=creator,
        )
        sandbox.deliveries.spawn(sandbox.workflow.run_import(ann["id"], urls))
        results.append(
            {
                "document": urls.of("documents", document["id"]),
                "annotation": urls.of("annotations", ann["id"]),
            }
        )
    return JSONResponse({"results": results})


async def create_document(request: Request) -> Response:
    """Store one file as a document without an annotation; 201."""
    sandbox, urls = sandbox_of(request), urls_of(request)
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media != "multipart/form-data":
        raise bad_request("Send the document as multipart/form-data with a `content` file.")
    files, extra = await read_files(request)
    if len(files) != 1:
        raise bad_request("content: send exactly one file.")
    metadata = checked_metadata(json_part(extra.get("metadata"), "metadata"))
    parent_url = extra.get("parent")
    parent = None
    if parent_url:
        raw = parent_url.decode() if isinstance(parent_url, bytes) else parent_url
        parent = sandbox.store.ref("documents", raw, field="parent")
    file = files[0]
    document = add_document(
        sandbox.store,
        file_name=file.name,
        mime_type=file.mime_type,
        data=file.data,
        creator=caller(request).user_id,
        metadata=metadata,
        parent=parent,
    )
    return JSONResponse(serialize.document(sandbox.store, document, urls), status_code=201)


routes = [
    Route("/queues/{queue_id:int}/upload", queue_upload, methods=["POST"]),
    Route("/documents", create_document, methods=["POST"]),
]
