"""Decoding answers: JSON, models (straight from bytes when possible), pages.

Pure functions of the response and the optional custom deserializer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from pydantic import ValidationError

from client._errors import InvalidResponse
from client._pagination import Page, embed_sideloads, page_from_json, typed_page
from client._plans import Call, Listing
from client._resources import Resource

Deserializer = Callable[[Resource[Any], Any], Any]


def decode_json(response: httpx.Response) -> Any:
    """Return the decoded JSON body (`{}` when there is none)."""
    content = response.content
    if not content:
        return {}
    try:
        return json.loads(content)
    except ValueError as exc:
        raise InvalidResponse(f"{response.request.url}: answer is not JSON") from exc


def build(resource: Resource[Any], data: Any, deserializer: Deserializer | None) -> Any:
    """Turn decoded JSON into the resource's model, or whatever the deserializer makes."""
    if deserializer is not None:
        return deserializer(resource, data)
    if resource.model is None:
        return data
    try:
        return resource.model.model_validate(data)
    except ValidationError as exc:
        raise InvalidResponse(f"not a {resource.name}: {exc}") from exc


def decode_model(
    resource: Resource[Any], response: httpx.Response, deserializer: Deserializer | None
) -> Any:
    """Decode one object; without a custom deserializer, validate the raw bytes in one pass."""
    if deserializer is not None or resource.model is None:
        return build(resource, decode_json(response), deserializer)
    try:
        return resource.model.model_validate_json(response.content)
    except ValidationError as exc:
        raise InvalidResponse(f"{response.request.url}: not a {resource.name}") from exc


def decode_call(
    call: Call[Any], response: httpx.Response, deserializer: Deserializer | None
) -> Any:
    """Decode a call's answer the way its plan asks."""
    kind = call.result
    if kind == "model":
        assert call.resource is not None
        return decode_model(call.resource, response, deserializer)
    if kind == "json":
        return decode_json(response)
    if kind == "bytes":
        return response.content
    if kind == "response":
        return response
    return None


def decode_page(
    listing: Listing[Any], response: httpx.Response, deserializer: Deserializer | None
) -> Page:
    """Decode one page of a listing, with sideloads embedded into its results."""
    resource = listing.resource
    model = None if resource is None else resource.model
    if model is not None and deserializer is None and not listing.sideloads:
        try:
            return typed_page(model).model_validate_json(response.content).page()
        except ValidationError as exc:
            raise InvalidResponse(f"{response.request.url}: not a page of {model}") from exc
    data = decode_json(response)
    if not isinstance(data, dict):
        raise InvalidResponse(f"{response.request.url}: a list answer must be an object")
    if listing.sideloads:
        embed_sideloads(data, listing.sideloads)
    results = data.get("results") or []
    items = results if resource is None else [build(resource, r, deserializer) for r in results]
    return page_from_json(data, items)
