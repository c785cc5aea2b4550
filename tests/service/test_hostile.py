"""Hostile input, in-process: whatever reaches the service without the secret gets a 4xx JSON.

Each case is one that once produced a 500, a `webhook.bug` line, an answer other than the
README's, or a hung request. The wire-level cases (head limits and timeouts, slowloris, the
connection limit, early refusals read by a client still sending) are in
tests/e2e/test_hostile_wire.py, over real loopback. Last, hypothesis mutates signed payloads:
no mutation may produce a 5xx or a bug line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.types import Message

from handlers.errors import InvalidSignature
from handlers.signature import LEGACY_SIGNATURE_HEADER, SIGNATURE_HEADER, sign, verify
from handlers.testing import signed
from service.app import create_app
from tests.service.conftest import FakeRossum, ServiceFactory, running
from tests.service.conftest import settings as service_settings
from tests.service.kit import SECRET, content_event, status_event

README = Path(__file__).parents[2] / "README.md"


def _assert_refusal(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"detail", "code"} and body["code"] == code and body["detail"]


def _levels(logs: list[dict[str, Any]]) -> dict[str, str]:
    return {line["event"]: line["log_level"] for line in logs}


@pytest.mark.parametrize(
    "header",
    [
        pytest.param((SIGNATURE_HEADER, b"sha256=" + "é".encode("latin-1") * 64), id="latin1-hex"),
        pytest.param((SIGNATURE_HEADER, b"sha256=\xff\xfe\x00"), id="high-bytes"),
        pytest.param((SIGNATURE_HEADER, b"\xe9sha256=abc"), id="in-prefix"),
        pytest.param((LEGACY_SIGNATURE_HEADER, b"sha1=\xc3\xa9" * 10), id="legacy-utf8"),
    ],
)
async def test_non_ascii_signature_header_is_a_401_not_a_500(
    service: ServiceFactory, header: tuple[str, bytes]
) -> None:
    """Non-ASCII bytes in a signature header are a malformed signature, refused before use."""
    _, body = signed(status_event(), SECRET)
    name, value = header
    async with service() as client:
        with structlog.testing.capture_logs() as logs:
            response = await client.post(
                "/hooks",
                content=body,
                headers=[(b"content-type", b"application/json"), (name.encode(), value)],
            )
    _assert_refusal(response, 401, "invalid_signature")
    assert "webhook.bug" not in _levels(logs)


async def _call(app: Any, state: Any, messages: list[Message], headers: list[tuple[bytes, bytes]]):
    """Call the ASGI app with `messages` as the request; return (status, headers, body)."""
    pending = list(messages)
    sent: list[Message] = []

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        await asyncio.Event().wait()  # a client that sends nothing more
        raise AssertionError("unreachable")

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/hooks",
        "raw_path": b"/hooks",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": dict(state),
    }
    await asyncio.wait_for(app(scope, receive, send), 5)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], dict(start["headers"]), json.loads(body)


def _signed_headers(body: bytes, length: int | None = None) -> list[tuple[bytes, bytes]]:
    return [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body) if length is None else length).encode()),
        (SIGNATURE_HEADER.lower().encode(), sign(body, SECRET).encode()),
    ]


async def test_disconnect_mid_body_is_logged_as_what_it_is() -> None:
    """A client gone mid-body: a warning canonical line (499 client_disconnected), no bug."""
    _, body = signed(content_event(), SECRET)
    app = create_app(service_settings())
    messages: list[Message] = [
        {"type": "http.request", "body": body[:100], "more_body": True},
        {"type": "http.disconnect"},
    ]
    async with app.router.lifespan_context(app) as state:
        with structlog.testing.capture_logs() as logs:
            status, _, answer = await _call(app, state or {}, messages, _signed_headers(body))
    assert (status, answer["code"]) == (499, "client_disconnected")
    levels = _levels(logs)
    assert levels["webhook.client_disconnected"] == "info"
    assert levels["webhook.handled"] == "warning"
    assert "webhook.bug" not in levels and "error" not in levels.values()
    handled = next(line for line in logs if line["event"] == "webhook.handled")
    assert (handled["status"], handled["outcome"]) == (499, "client_disconnected")


async def test_a_body_that_stops_arriving_gets_408_and_closes() -> None:
    """A body declared longer than sent is answered 408 `body_timeout`, `Connection: close`."""
    _, body = signed(content_event(), SECRET)
    app = create_app(service_settings(body_timeout_s=0.2))
    messages: list[Message] = [{"type": "http.request", "body": body, "more_body": True}]
    async with app.router.lifespan_context(app) as state:
        status, headers, answer = await _call(
            app, state or {}, messages, _signed_headers(body, len(body) + 1000)
        )
    assert (status, answer["code"]) == (408, "body_timeout")
    assert headers[b"connection"] == b"close"


async def test_answers_before_the_body_is_read_close_the_connection(
    service: ServiceFactory,
) -> None:
    """A refusal that left the body unread closes; a complete exchange keeps the connection."""
    async with service() as client:
        refused = await client.post(
            "/hooks", content=b"<xml/>", headers={"content-type": "text/xml"}
        )
        health = await client.get("/healthz")
    _assert_refusal(refused, 415, "unsupported_media_type")
    assert refused.headers["connection"] == "close"
    assert "connection" not in health.headers


def _readme_refusals() -> dict[str, int]:
    text = README.read_text()
    sentence = text[text.index("Every refusal is a 4xx JSON") :].split("\n\n", 1)[0]
    refusals: dict[str, int] = {}
    for codes, status in re.findall(r"((?:`\w+`/?)+) (\d{3})", sentence):
        for code in re.findall(r"`(\w+)`", codes):
            refusals[code] = int(status)
    return refusals


async def test_every_refusal_the_readme_lists_has_its_documented_status(
    service: ServiceFactory,
) -> None:
    """The README's list of refusals and statuses is what the service answers."""
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    good = {**content_event(), "timestamp": now}
    cases: dict[str, Callable[[], tuple[Any, Any]]] = {
        "invalid_signature": lambda: signed(good, "not-the-secret"),
        "invalid_json": lambda: signed(b"{not json", SECRET),
        "bad_payload": lambda: signed(b"[1, 2]", SECRET),
        "timestamp_out_of_window": lambda: signed(
            {**good, "timestamp": "2019-01-01T00:00:00Z"}, SECRET
        ),
    }
    documented = _readme_refusals()
    assert {"invalid_signature", "bad_payload", "payload_too_large"} <= set(documented)
    async with service(max_body_bytes=50_000, timestamp_window_s=600.0) as client:
        for code, status in documented.items():
            if code in cases:
                headers, body = cases[code]()
            elif code == "unsupported_media_type":
                headers, body = {"content-type": "text/plain"}, b"x"
            elif code == "payload_too_large":
                headers, body = signed(b"x" * 60_000, SECRET)
            else:
                continue  # answered below the application: tests/e2e/test_hostile_wire.py
            response = await client.post("/hooks", content=body, headers=headers)
            _assert_refusal(response, status, code)


# --- fuzzing: signed, mutated payloads -------------------------------------------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out += _paths(child, (*prefix, index))
    return out


def _replace(value: Any, path: tuple[Any, ...], new: Any, *, delete: bool) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy: Any = dict(value) if isinstance(value, dict) else list(value)
    if delete and not rest:
        del copy[head]
    else:
        copy[head] = _replace(copy[head], rest, new, delete=delete)
    return copy


BASES = [content_event("updated"), content_event("initialize"), status_event()]
BASE_PATHS = [_paths(base)[1:] for base in BASES]


@st.composite
def mutated_bodies(draw: st.DrawFn) -> bytes:
    """A realistic payload with one value replaced or removed, or its bytes cut or flipped."""
    which = draw(st.integers(0, len(BASES) - 1))
    base, paths = BASES[which], BASE_PATHS[which]
    kind = draw(st.sampled_from(["replace", "delete", "truncate", "flip"]))
    if kind in ("replace", "delete"):
        path = draw(st.sampled_from(paths))
        new = None if kind == "delete" else draw(_JSON)
        return json.dumps(_replace(base, path, new, delete=kind == "delete")).encode()
    raw = json.dumps(base).encode()
    cut = draw(st.integers(0, len(raw) - 1))
    if kind == "truncate":
        return raw[:cut]
    return raw[:cut] + bytes([raw[cut] ^ draw(st.integers(1, 255))]) + raw[cut + 1 :]


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=mutated_bodies())
async def test_signed_mutated_payloads_never_get_a_5xx(rossum: FakeRossum, body: bytes) -> None:
    """Any signed mutation of a real payload is answered 2xx, or 4xx `{detail, code}`."""
    rossum.add_label("expedite")
    app = create_app(service_settings(), transport=rossum.transport)
    headers, body = signed(body, SECRET)
    async with running(app) as client:
        with structlog.testing.capture_logs() as logs:
            response = await client.post("/hooks", content=body, headers=headers)
    assert response.status_code < 500 or response.json().get("code") in {
        "deadline_exceeded",
        "actions_failed",
    }, response.text
    answer = response.json()
    if response.status_code >= 400:
        assert set(answer) == {"detail", "code"}
    assert "webhook.bug" not in _levels(logs)


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from([SIGNATURE_HEADER, LEGACY_SIGNATURE_HEADER]),
    prefix=st.sampled_from(["sha256=", "sha1=", "SHA256=", ""]),
    raw=st.binary(max_size=80),
)
def test_any_signature_header_value_is_valid_or_invalid_signature(
    name: str, prefix: str, raw: bytes
) -> None:
    """Whatever bytes a signature header holds (as Starlette decodes them), `verify` either
    accepts or raises `InvalidSignature`; nothing else escapes."""
    body = b'{"event": "annotation_status"}'
    with contextlib.suppress(InvalidSignature):
        verify({name: prefix + raw.decode("latin-1")}, body, (SECRET,))
