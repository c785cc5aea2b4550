"""Plans: pure descriptions of API operations, carried out by either client.

An operation is a function returning a `Call` (one request and how to decode its answer), a
`Listing` (a paginated collection), a `Stream` (raw bytes) or a *flow*: a generator that yields
steps (`Call`, `Gather`, `Sleep`, `ReadFiles`, `Build`) and receives their results, like an
httpx auth flow. Flows hold multi-step logic (polling, upload then fetch the task) once, and the
async client runs them with `await` while the sync client runs them directly.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Literal, TypeAlias, TypeVar

from client._resources import Resource

T = TypeVar("T")
M = TypeVar("M")

Result = Literal["model", "json", "none", "bytes", "response"]
DEFAULT_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One request; `result` says how to decode the answer (`model` uses `resource`)."""

    method: str
    url: str
    result: Result = "json"
    resource: Resource[Any] | None = None
    params: Mapping[str, Any] | None = None
    json: Any = None
    data: Mapping[str, Any] | None = None
    files: Mapping[str, Any] | None = None
    idempotent: bool | None = None
    extra: Mapping[str, Any] | None = None

    def request_kwargs(self) -> dict[str, Any]:
        """Return the httpx keyword arguments of this call."""
        kwargs: dict[str, Any] = dict(self.extra) if self.extra else {}
        if self.params:
            kwargs["params"] = self.params
        if self.json is not None:
            kwargs["json"] = self.json
        if self.data is not None:
            kwargs["data"] = self.data
        if self.files is not None:
            kwargs["files"] = self.files
        return kwargs


@dataclass(frozen=True, slots=True)
class Listing(Generic[T]):
    """A paginated collection; items decode into `resource`'s model (plain dicts if None)."""

    url: str
    resource: Resource[Any] | None
    params: Mapping[str, Any]
    method: str = "GET"
    json: Any = None
    sideloads: tuple[str, ...] = ()
    page_numbers: bool = False
    idempotent: bool | None = None
    max_pages: int | None = None


@dataclass(frozen=True, slots=True)
class Stream:
    """A download streamed as bytes chunks."""

    method: str
    url: str
    params: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Gather:
    """Run several calls (concurrently in the async client); the result is their list."""

    calls: tuple[Call[Any], ...]


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait `seconds` (through the client's injectable sleep)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class ReadFiles:
    """Read local files; the result is their bytes, in order."""

    paths: tuple[str | Path, ...]


@dataclass(frozen=True, slots=True)
class Build:
    """Turn decoded JSON into `resource`'s model (or the custom deserializer's object)."""

    resource: Resource[Any]
    data: Any


Step: TypeAlias = Call[Any] | Gather | Sleep | ReadFiles | Build
Flow: TypeAlias = Generator[Step, Any, T]
Op: TypeAlias = Call[T] | Generator[Step, Any, T]


def retrieve(
    resource: Resource[M], object_id: int | str, params: Mapping[str, Any] | None = None
) -> Call[M]:
    """Plan `GET /{resource}/{id}` decoded into the resource's model."""
    return Call("GET", resource.path(object_id), "model", resource, params=params)


def create(resource: Resource[M], data: Mapping[str, Any]) -> Call[M]:
    """Plan `POST /{resource}` with a JSON body."""
    return Call("POST", resource.value, "model", resource, json=data)


def replace(resource: Resource[M], object_id: int | str, data: Mapping[str, Any]) -> Call[M]:
    """Plan `PUT /{resource}/{id}` (full update)."""
    return Call("PUT", resource.path(object_id), "model", resource, json=data)


def update(resource: Resource[M], object_id: int | str, data: Mapping[str, Any]) -> Call[M]:
    """Plan `PATCH /{resource}/{id}` (partial update)."""
    return Call("PATCH", resource.path(object_id), "model", resource, json=data)


def delete(resource: Resource[Any], object_id: int | str) -> Call[None]:
    """Plan `DELETE /{resource}/{id}`."""
    return Call("DELETE", resource.path(object_id), "none")


def post(url: str, json: Any = None) -> Call[None]:
    """Plan a POST whose answer is ignored (workflow verbs such as confirm)."""
    return Call("POST", url, "none", json=json)


def query_params(
    ordering: Sequence[str] = (),
    sideloads: Sequence[str] = (),
    content_schema_ids: Sequence[str] = (),
    filters: Mapping[str, Any] | None = None,
    *,
    page_size: int | None = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """Build list query parameters; sequences become Rossum's comma-separated values."""
    params: dict[str, Any] = {} if page_size is None else {"page_size": page_size}
    if ordering:
        params["ordering"] = ",".join(ordering)
    if sideloads:
        params["sideload"] = ",".join(sideloads)
    if content_schema_ids:
        params["content.schema_id"] = ",".join(content_schema_ids)
    for key, value in (filters or {}).items():
        if value is None:
            continue
        if isinstance(value, list | tuple | set | frozenset):
            value = ",".join(str(v) for v in value)
        params[key] = value
    return params


def listing(
    resource: Resource[M],
    ordering: Sequence[str] = (),
    sideloads: Sequence[str] = (),
    content_schema_ids: Sequence[str] = (),
    **filters: Any,
) -> Listing[M]:
    """Plan a paginated `GET /{resource}` listing."""
    params = query_params(ordering, sideloads, content_schema_ids, filters)
    return Listing(resource.value, resource, params, sideloads=tuple(sideloads))
