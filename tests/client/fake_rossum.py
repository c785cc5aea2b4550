"""A tiny in-test stand-in for the Rossum API, for running the SDK's usage examples."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from tests.client.conftest import BASE

ANNOTATION_URL = f"{BASE}/annotations/12345"


class FakeRossum:
    """Answer any API request plausibly and record `(method, path)` of each one."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.logins = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api/v1/")
        self.calls.append((request.method, path))
        return self.answer(request.method, path, request)

    def answer(self, method: str, path: str, request: httpx.Request) -> httpx.Response:
        if path == "auth/login":
            self.logins += 1
            return httpx.Response(200, json={"key": f"token-{self.logins}"})
        if path == "auth/user":
            return httpx.Response(200, json={"organization": f"{BASE}/organizations/1"})
        if method == "GET" and re.fullmatch(r"documents/\d+/content", path):
            return httpx.Response(200, content=b"%PDF-1.7 invoice")
        if re.fullmatch(r"queues/\d+/export", path):
            return self.export(request)
        if re.fullmatch(r"queues/\d+/upload", path):
            return httpx.Response(200, json={"results": [{"annotation": ANNOTATION_URL}]})
        if path == "uploads":
            return httpx.Response(202, json={"url": f"{BASE}/tasks/77"})
        if method == "DELETE" or path.rsplit("/", 1)[-1] in ("confirm", "start", "cancel"):
            return httpx.Response(204)
        if method == "GET" and path.rsplit("/", 1)[-1].isdigit():
            return httpx.Response(200, json=self.obj(path))
        if method == "GET" or path.endswith("/search"):
            collection = path.removesuffix("/search")
            return httpx.Response(200, json=self.page(collection))
        body = json.loads(request.content) if request.content.startswith(b"{") else {}
        return httpx.Response(201, json={**self.obj(f"{path}/900"), **body})

    @staticmethod
    def obj(path: str) -> dict[str, Any]:
        collection, object_id = path.rsplit("/", 1)
        return {
            "id": int(object_id),
            "url": f"{BASE}/{path}",
            "name": f"{collection} {object_id}",
            "status": "succeeded" if collection == "tasks" else "to_review",
            "email": "user@example.com",
            "type": "duplicate",
            "key": "k",
            "annotations": [ANNOTATION_URL],
        }

    def page(self, collection: str) -> dict[str, Any]:
        return {
            "pagination": {"next": None},
            "results": [self.obj(f"{collection}/{i}") for i in (1, 2)],
        }

    def export(self, request: httpx.Request) -> httpx.Response:
        if request.url.params["format"] == "json":
            return httpx.Response(200, json=self.page("annotations"))
        return httpx.Response(200, content=b"id,status\n1,confirmed\n")
