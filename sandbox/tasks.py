"""Tasks: status monitors of asynchronous operations (API reference, "Task").

`POST /uploads` and `POST /emails/import` answer 202 with a task URL. `GET /tasks/{id}` answers
200 with the task while it is `running` or `failed`; once `succeeded` it redirects (303) to the
object it created (the upload, or the email), unless `no_redirect` is true. Types:
`upload_created`, `email_imported`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from sandbox.http import bool_filter, sandbox_of, urls_of
from sandbox.store import Record, Store
from sandbox.urls import Urls

TASK_LIFETIME = timedelta(days=1)


def new_task(store: Store, task_type: str, *, result_kind: str, result_id: int) -> Record:
    """Create a `running` task whose success points to `result_kind` object `result_id`."""
    expires = datetime.now(UTC) + TASK_LIFETIME
    return store.add(
        "tasks",
        {
            "type": task_type,
            "status": "running",
            "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "detail": None,
            "result_kind": result_kind,
            "result_id": result_id,
        },
    )


def finish(task: Record, *, failure: str | None = None) -> None:
    """Mark a task `succeeded`, or `failed` with `failure` as its detail."""
    task["status"] = "failed" if failure else "succeeded"
    task["detail"] = failure


def serialize_task(r: Record, urls: Urls) -> dict[str, Any]:
    """Serialise a task; `content` names the upload (email tasks: the email)."""
    result_url = urls.of(r["result_kind"], r["result_id"])
    content_key = "upload" if r["result_kind"] == "uploads" else "email"
    data: dict[str, Any] = {
        "id": r["id"],
        "url": urls.of("tasks", r["id"]),
        "type": r["type"],
        "status": r["status"],
        "expires_at": r["expires_at"],
        "detail": r["detail"],
        "content": {content_key: result_url},
    }
    if r["status"] == "succeeded":
        data["result_url"] = result_url
    return data


async def retrieve_task(request: Request) -> Response:
    """Return a task, or redirect to what it created once it has succeeded."""
    sandbox, urls = sandbox_of(request), urls_of(request)
    task = sandbox.store.get("tasks", request.path_params["task_id"])
    body = serialize_task(task, urls)
    if task["status"] == "succeeded" and not bool_filter(request, "no_redirect"):
        return RedirectResponse(body["result_url"], status_code=303)
    return JSONResponse(body)


routes = [Route("/tasks/{task_id:int}", retrieve_task, methods=["GET"])]
