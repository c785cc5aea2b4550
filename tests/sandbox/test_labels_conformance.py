"""Conformance of the sandbox with the Labels API of seed `000_bc02970507d672fd`.

Every endpoint the seed names (list, create, retrieve, partial update, delete, update, apply),
every field of the label object, and every status code with its `{"detail", "code"}` body
that the sandbox can produce: 200/201/204, 400, 401, 403, 404, 409, 413, 429 and, through
fault injection, 500/502/503/504. Not producible, by design: 404 on the list and create
endpoints and on apply (unknown URLs in a body are 400), 409 on list/retrieve/delete/apply
(nothing there can conflict), 403 on reads (every user may read labels).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from tests.sandbox.conftest import SandboxFactory
from tests.sandbox.helpers import API, client_for, import_invoice, login

LABEL_FIELDS = {"id", "url", "name", "organization", "color"}
RATE_LIMIT_URL = "https://rossum.app/api/docs/openapi/guides/overview/#rate-limiting"
# The bodies of the seed's examples whose text does not depend on the input.
SEED_BODIES: dict[int, dict[str, str]] = {
    401: {"detail": "Invalid token.", "code": "authentication_failed"},
    403: {"detail": "Access to the requested resource is forbidden.", "code": "access_forbidden"},
    404: {"detail": "Not found.", "code": "not_found"},
    413: {"detail": "Payload Too Large.", "code": "payload_too_large"},
    429: {"detail": "Request was rate limited.", "code": "rate_limited", "url": RATE_LIMIT_URL},
    500: {"detail": "Server error.", "code": "error"},
    502: {"detail": "Bad Gateway.", "code": "bad_gateway"},
    503: {"detail": "Service Unavailable.", "code": "service_unavailable"},
    504: {"detail": "Gateway timeout.", "code": "gateway_timeout"},
}


@pytest.fixture
async def label(api: httpx.AsyncClient) -> dict[str, Any]:
    response = await api.post("/api/v1/labels", json={"name": "expedite", "color": "#FF5733"})
    assert response.status_code == 201
    data: dict[str, Any] = response.json()
    return data


@pytest.fixture
async def annotation(api: httpx.AsyncClient) -> dict[str, Any]:
    return await import_invoice(api)


def endpoints(label: dict[str, Any], annotation: dict[str, Any]) -> dict[str, tuple[str, str, Any]]:
    """Return every Labels API call, each valid for the given label and annotation."""
    one = f"/api/v1/labels/{label['id']}"
    apply_body = {
        "operations": {"add": [label["url"]]},
        "objects": {"annotations": [annotation["url"]]},
    }
    return {
        "list": ("GET", "/api/v1/labels", None),
        "create": ("POST", "/api/v1/labels", {"name": "fresh"}),
        "retrieve": ("GET", one, None),
        "partial_update": ("PATCH", one, {"color": "#00FF00"}),
        "update": ("PUT", one, {"name": "renamed"}),
        "delete": ("DELETE", one, None),
        "apply": ("POST", "/api/v1/labels/apply", apply_body),
    }


ALL = ["list", "create", "retrieve", "partial_update", "update", "delete", "apply"]
WRITES = ["create", "partial_update", "update", "delete", "apply"]
WITH_BODY = ["create", "partial_update", "update", "apply"]


async def call(
    client: httpx.AsyncClient, spec: tuple[str, str, Any], **kwargs: Any
) -> httpx.Response:
    method, path, body = spec
    return await client.request(method, path, json=body, **kwargs)


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    if status in SEED_BODIES and code is None:
        assert body == SEED_BODIES[status]
    else:
        assert set(body) == {"detail", "code"} and isinstance(body["detail"], str)
        assert body["code"] == code


def assert_label(data: dict[str, Any], *, name: str, color: str | None) -> None:
    assert set(data) == LABEL_FIELDS
    assert isinstance(data["id"], int)
    assert data["url"] == f"{API}/labels/{data['id']}"
    assert data["organization"] == f"{API}/organizations/1"
    assert (data["name"], data["color"]) == (name, color)


async def test_list_answers_cursor_pagination_and_label_objects(
    api: httpx.AsyncClient, label: dict[str, Any]
) -> None:
    """`GET /labels` answers 200 with `pagination.next/previous` and full label objects."""
    response = await api.get("/api/v1/labels")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"pagination", "results"}
    assert body["pagination"] == {"next": None, "previous": None}
    assert len(body["results"]) == 1
    assert_label(body["results"][0], name="expedite", color="#FF5733")


async def test_create_answers_201_with_the_new_label(api: httpx.AsyncClient) -> None:
    """`POST /labels` with only `name` answers 201, the label with a null color."""
    response = await api.post("/api/v1/labels", json={"name": "due-soon"})
    assert response.status_code == 201
    assert_label(response.json(), name="due-soon", color=None)


async def test_create_accepts_own_organization_and_color(api: httpx.AsyncClient) -> None:
    """`organization` (own URL) and `color` are accepted on create."""
    body = {"name": "x", "organization": f"{API}/organizations/1", "color": "#0a0B0c"}
    response = await api.post("/api/v1/labels", json=body)
    assert response.status_code == 201
    assert_label(response.json(), name="x", color="#0a0B0c")


async def test_retrieve_answers_the_label(api: httpx.AsyncClient, label: dict[str, Any]) -> None:
    """`GET /labels/{id}` answers 200 with the same object as create."""
    response = await api.get(f"/api/v1/labels/{label['id']}")
    assert response.status_code == 200
    assert response.json() == label


async def test_partial_update_changes_only_the_fields_sent(
    api: httpx.AsyncClient, label: dict[str, Any]
) -> None:
    """PATCH with `color` keeps `name`; PATCH with `color: null` clears it."""
    response = await api.patch(f"/api/v1/labels/{label['id']}", json={"color": "#000000"})
    assert response.status_code == 200
    assert_label(response.json(), name="expedite", color="#000000")
    response = await api.patch(f"/api/v1/labels/{label['id']}", json={"color": None})
    assert_label(response.json(), name="expedite", color=None)


async def test_update_replaces_the_label(api: httpx.AsyncClient, label: dict[str, Any]) -> None:
    """PUT with only `name` renames the label and resets the unspecified color."""
    response = await api.put(f"/api/v1/labels/{label['id']}", json={"name": "urgent"})
    assert response.status_code == 200
    assert_label(response.json(), name="urgent", color=None)
    assert (await api.get(f"/api/v1/labels/{label['id']}")).json()["name"] == "urgent"


async def test_delete_answers_204_and_takes_the_label_off_annotations(
    api: httpx.AsyncClient, label: dict[str, Any], annotation: dict[str, Any]
) -> None:
    """DELETE answers 204 with no body; the label is gone, also from annotations."""
    await call(api, endpoints(label, annotation)["apply"])
    response = await api.delete(f"/api/v1/labels/{label['id']}")
    assert (response.status_code, response.content) == (204, b"")
    assert_error(await api.get(f"/api/v1/labels/{label['id']}"), 404)
    assert (await api.get(annotation["url"])).json()["labels"] == []


async def test_apply_adds_and_removes_labels(
    api: httpx.AsyncClient, label: dict[str, Any], annotation: dict[str, Any]
) -> None:
    """`POST /labels/apply` answers 204 and changes `annotation.labels`, idempotently."""
    other = (await api.post("/api/v1/labels", json={"name": "other"})).json()
    body = {
        "operations": {"add": [label["url"], other["url"]]},
        "objects": {"annotations": [annotation["url"]]},
    }
    for _ in range(2):
        response = await api.post("/api/v1/labels/apply", json=body)
        assert (response.status_code, response.content) == (204, b"")
    assert (await api.get(annotation["url"])).json()["labels"] == [label["url"], other["url"]]
    remove = {"operations": {"remove": [label["url"]]}, "objects": body["objects"]}
    assert (await api.post("/api/v1/labels/apply", json=remove)).status_code == 204
    assert (await api.get(annotation["url"])).json()["labels"] == [other["url"]]


async def test_list_filters_by_id_and_name_and_orders(api: httpx.AsyncClient) -> None:
    """`id` (comma list) and `name` filter; `ordering` sorts by id or name, `-` reverses."""
    ids = {}
    for name in ("b", "c", "a"):
        ids[name] = (await api.post("/api/v1/labels", json={"name": name})).json()["id"]

    async def names(query: str) -> list[str]:
        response = await api.get(f"/api/v1/labels?{query}")
        assert response.status_code == 200
        return [r["name"] for r in response.json()["results"]]

    assert await names(f"id={ids['a']},{ids['c']}") == ["c", "a"]
    assert await names("name=b") == ["b"]
    assert await names("name=zzz") == []
    assert await names("ordering=name") == ["a", "b", "c"]
    assert await names("ordering=-name") == ["c", "b", "a"]
    assert await names("ordering=-id") == ["a", "c", "b"]


BAD_REQUESTS = [
    pytest.param("POST", "/api/v1/labels", {}, id="create-without-name"),
    pytest.param("POST", "/api/v1/labels", {"name": "  "}, id="create-blank-name"),
    pytest.param("POST", "/api/v1/labels", {"name": 7}, id="create-name-not-string"),
    pytest.param("POST", "/api/v1/labels", {"name": "x" * 256}, id="create-name-too-long"),
    pytest.param("POST", "/api/v1/labels", {"name": "x", "color": "red"}, id="create-bad-color"),
    pytest.param("POST", "/api/v1/labels", {"name": "x", "color": "#12345"}, id="short-color"),
    pytest.param(
        "POST",
        "/api/v1/labels",
        {"name": "x", "organization": f"{API}/organizations/99"},
        id="unknown-organization",
    ),
    pytest.param("POST", "/api/v1/labels", ["name"], id="body-not-object"),
    pytest.param("PATCH", "/api/v1/labels/{id}", {"color": "#GGGGGG"}, id="patch-bad-color"),
    pytest.param("PATCH", "/api/v1/labels/{id}", {"name": ""}, id="patch-empty-name"),
    pytest.param("PUT", "/api/v1/labels/{id}", {"color": "#000000"}, id="put-without-name"),
    pytest.param("GET", "/api/v1/labels?id=1,x", None, id="list-bad-id-filter"),
    pytest.param("GET", "/api/v1/labels?ordering=color", None, id="list-bad-ordering"),
    pytest.param("GET", "/api/v1/labels?page_size=0", None, id="list-bad-page-size"),
    pytest.param("GET", "/api/v1/labels?cursor=abc.def", None, id="list-forged-cursor"),
    pytest.param("POST", "/api/v1/labels/apply", {"objects": {}}, id="apply-no-operations"),
    pytest.param("POST", "/api/v1/labels/apply", {"operations": {}}, id="apply-no-objects"),
    pytest.param(
        "POST",
        "/api/v1/labels/apply",
        {"operations": {"add": [f"{API}/labels/999"]}, "objects": {"annotations": []}},
        id="apply-unknown-label",
    ),
    pytest.param(
        "POST",
        "/api/v1/labels/apply",
        {"operations": {"add": ["{label}"]}, "objects": {"annotations": [f"{API}/annotations/1"]}},
        id="apply-unknown-annotation",
    ),
    pytest.param(
        "POST",
        "/api/v1/labels/apply",
        {"operations": {"add": [1]}, "objects": {"annotations": []}},
        id="apply-id-instead-of-url",
    ),
    pytest.param(
        "POST",
        "/api/v1/labels/apply",
        {"operations": {"add": [f"{API}/queues/101"]}, "objects": {"annotations": []}},
        id="apply-url-of-other-kind",
    ),
    pytest.param(
        "POST",
        "/api/v1/labels/apply",
        {"operations": {"add": ["{label}"], "remove": ["{label}"]}, "objects": {}},
        id="apply-add-and-remove-same",
    ),
    pytest.param(
        "POST",
        "/api/v1/labels/apply",
        {"operations": {"set": []}, "objects": {}},
        id="apply-unknown-operation",
    ),
]


def _fill(value: Any, label: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return value.replace("{label}", label["url"]).replace("{id}", str(label["id"]))
    if isinstance(value, list):
        return [_fill(v, label) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, label) for k, v in value.items()}
    return value


@pytest.mark.parametrize(("method", "path", "body"), BAD_REQUESTS)
async def test_invalid_input_answers_400_bad_request(
    api: httpx.AsyncClient, label: dict[str, Any], method: str, path: str, body: Any
) -> None:
    """Invalid input answers 400 `bad_request` with a detail naming the problem."""
    response = await api.request(method, _fill(path, label), json=_fill(body, label))
    assert_error(response, 400, "bad_request")


async def test_malformed_json_answers_400(api: httpx.AsyncClient) -> None:
    """A body that is not JSON answers 400, never 500."""
    response = await api.post(
        "/api/v1/labels", content=b"{name:", headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "bad_request")


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="missing"),
        pytest.param("Bearer not-a-token", id="wrong"),
        pytest.param("Basic ZGVtbzpkZW1v", id="other-scheme"),
    ],
)
async def test_bad_credentials_answer_401(
    app: Starlette,
    label: dict[str, Any],
    annotation: dict[str, Any],
    name: str,
    authorization: str | None,
) -> None:
    """Every endpoint answers 401 with the seed's body without a valid token."""
    headers = {"Authorization": authorization} if authorization else {}
    async with client_for(app) as client:
        response = await call(client, endpoints(label, annotation)[name], headers=headers)
    assert_error(response, 401)


async def test_expired_token_answers_401(
    api: httpx.AsyncClient, clock: Any, label: dict[str, Any]
) -> None:
    """A token past its lifetime is refused with 401."""
    clock.advance(162 * 3600 + 1)
    assert_error(await api.get("/api/v1/labels"), 401)


@pytest.mark.parametrize("name", WRITES)
async def test_viewer_writes_answer_403(
    viewer: httpx.AsyncClient, label: dict[str, Any], annotation: dict[str, Any], name: str
) -> None:
    """A read-only user gets 403 `access_forbidden` on every writing endpoint."""
    assert_error(await call(viewer, endpoints(label, annotation)[name]), 403)
    assert (await viewer.get(f"/api/v1/labels/{label['id']}")).json() == label


@pytest.mark.parametrize("method", ["GET", "PATCH", "PUT", "DELETE"])
async def test_unknown_label_answers_404(api: httpx.AsyncClient, method: str) -> None:
    """Retrieve, update and delete of a missing label answer the seed's 404 body."""
    body = {"name": "x"} if method in {"PATCH", "PUT"} else None
    assert_error(await api.request(method, "/api/v1/labels/424242", json=body), 404)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        pytest.param("POST", "/api/v1/labels", id="create"),
        pytest.param("PATCH", "/api/v1/labels/{id}", id="partial_update"),
        pytest.param("PUT", "/api/v1/labels/{id}", id="update"),
    ],
)
async def test_duplicate_name_answers_409(
    api: httpx.AsyncClient, label: dict[str, Any], method: str, path: str
) -> None:
    """A second label with an existing name in the organisation is a 409 `conflict_status`."""
    await api.post("/api/v1/labels", json={"name": "taken"})
    response = await api.request(method, _fill(path, label), json={"name": "taken"})
    assert_error(response, 409, "conflict_status")
    assert "taken" in response.json()["detail"]


async def test_renaming_a_label_to_its_own_name_is_not_a_conflict(
    api: httpx.AsyncClient, label: dict[str, Any]
) -> None:
    """PUT of a label with its current name succeeds."""
    response = await api.put(f"/api/v1/labels/{label['id']}", json={"name": "expedite"})
    assert response.status_code == 200


@pytest.fixture
async def small_api(make_app: SandboxFactory) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """A logged-in client of a sandbox limited to 2 kB request bodies, plus fixtures data."""
    app = make_app(max_body_bytes=2048)
    async with client_for(app) as client:
        token = await login(client, "demo@example.com", "demo-password")
        client.headers["Authorization"] = f"Bearer {token}"
        label = (await client.post("/api/v1/labels", json={"name": "l"})).json()
        annotation = await import_invoice(client)
        yield client, endpoints(label, annotation)


@pytest.mark.parametrize("name", WITH_BODY)
async def test_body_over_the_limit_answers_413(
    small_api: tuple[httpx.AsyncClient, Any], name: str
) -> None:
    """A request body over the size limit answers 413 `payload_too_large`."""
    client, specs = small_api
    method, path, _ = specs[name]
    response = await client.request(method, path, json={"name": "x" * 4096})
    assert_error(response, 413)


async def test_streamed_body_over_the_limit_answers_413(
    small_api: tuple[httpx.AsyncClient, Any],
) -> None:
    """A chunked body without Content-Length is cut off at the limit with 413 too."""
    client, _ = small_api

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b" " * 1024

    response = await client.post(
        "/api/v1/labels", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_error(response, 413)


@pytest.mark.parametrize("name", ALL)
async def test_rate_limit_answers_429_with_retry_after(
    app: Starlette,
    api: httpx.AsyncClient,
    label: dict[str, Any],
    annotation: dict[str, Any],
    name: str,
) -> None:
    """Over the rate limit every endpoint answers 429 with `Retry-After` and the seed's body."""
    limited = await api.put("/api/v1/sandbox/faults", json={"rate_limit_per_s": 1})
    assert limited.status_code == 200
    spec = endpoints(label, annotation)[name]
    await api.get("/api/v1/labels")  # uses the one request of this second
    response = await call(api, spec)
    assert_error(response, 429)
    assert re.fullmatch(r"[1-9]\d*", response.headers["Retry-After"])


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("status", [500, 502, 503, 504])
async def test_injected_server_errors_answer_the_seed_bodies(
    api: httpx.AsyncClient,
    label: dict[str, Any],
    annotation: dict[str, Any],
    name: str,
    status: int,
) -> None:
    """Injected 5xx answers carry the seed's body, and the request had no effect."""
    faults = {"rate_5xx": 1.0, "statuses_5xx": [status]}
    assert (await api.put("/api/v1/sandbox/faults", json=faults)).status_code == 200
    assert_error(await call(api, endpoints(label, annotation)[name]), status)
    await api.put("/api/v1/sandbox/faults", json={"rate_5xx": 0.0})
    assert (await api.get(f"/api/v1/labels/{label['id']}")).json() == label
    names = [r["name"] for r in (await api.get("/api/v1/labels")).json()["results"]]
    assert names == ["expedite"]
    assert (await api.get(annotation["url"])).json()["labels"] == []
