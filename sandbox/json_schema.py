"""The part of JSON Schema Rossum's hook `settings_schema` / `secrets_schema` needs checked.

API reference ("Hook"): `settings` "is validated with json schema stored in `settings_schema`".
Checked keywords: `type` (one or a list), `enum`, `const`, `properties`, `required`,
`additionalProperties` (boolean or schema), `items`, `minimum`, `maximum`, `minLength`,
`maxLength`, `minItems`, `maxItems`, `anyOf`, `oneOf`, `allOf`. Others (`default`,
`description`, `title`, formats, ...) describe and do not constrain, as here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _integer(value: Any) -> bool:
    return _number(value) and float(value).is_integer()


_TYPES: Mapping[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "integer": _integer,
    "number": _number,
}


def problems(value: Any, schema: Any, where: str) -> list[str]:
    """Return what is wrong with `value` under `schema` (empty: it is valid)."""
    if schema is True or not isinstance(schema, Mapping):
        return [] if schema is not False else [f"{where}: not allowed"]
    found: list[str] = []
    kinds = schema.get("type")
    if kinds is not None:
        names = [kinds] if isinstance(kinds, str) else list(kinds)
        if not any(_TYPES.get(name, lambda v: True)(value) for name in names):
            return [f"{where}: expected {' or '.join(names)}, got {value!r}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: expected one of {schema['enum']!r}, got {value!r}")
    if "const" in schema and value != schema["const"]:
        found.append(f"{where}: expected {schema['const']!r}, got {value!r}")
    found += _bounds(value, schema, where)
    if isinstance(value, dict):
        found += _object(value, schema, where)
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found += problems(item, schema["items"], f"{where}[{index}]")
    found += _combinations(value, schema, where)
    return found


_LOWER = {"minimum": _number, "minLength": str, "minItems": list}
_UPPER = {"maximum": _number, "maxLength": str, "maxItems": list}


def _size(value: Any) -> Any:
    return value if _number(value) else len(value)


def _applies(value: Any, kind: Any) -> bool:
    return bool(kind(value)) if kind is _number else isinstance(value, kind)


def _bounds(value: Any, schema: Mapping[str, Any], where: str) -> list[str]:
    found = []
    for key, kind in _LOWER.items():
        if key in schema and _applies(value, kind) and _size(value) < schema[key]:
            found.append(f"{where}: {value!r} is below {key} {schema[key]!r}")
    for key, kind in _UPPER.items():
        if key in schema and _applies(value, kind) and _size(value) > schema[key]:
            found.append(f"{where}: {value!r} is above {key} {schema[key]!r}")
    return found


def _object(value: dict[str, Any], schema: Mapping[str, Any], where: str) -> list[str]:
    found = [f"{where}.{key}: required" for key in schema.get("required", []) if key not in value]
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in properties:
            found += problems(item, properties[key], f"{where}.{key}")
        else:
            found += problems(item, extra, f"{where}.{key}")
    return found


def _combinations(value: Any, schema: Mapping[str, Any], where: str) -> list[str]:
    found = []
    for sub in schema.get("allOf", []):
        found += problems(value, sub, where)
    for key, wanted in (("anyOf", "at least one"), ("oneOf", "exactly one")):
        if key in schema:
            matching = sum(not problems(value, sub, where) for sub in schema[key])
            if (matching == 0) if key == "anyOf" else (matching != 1):
                found.append(f"{where}: {value!r} matches {matching} of {key}, needs {wanted}")
    return found
