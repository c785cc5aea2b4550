"""Hook objects: creation defaults, validation, write-only secrets, updates and filters."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.sandbox.helpers import API, HOOK_URL, create_hook


async def test_created_hook_has_rossums_defaults(api: httpx.AsyncClient) -> None:
    """A new webhook gets Rossum's config defaults and never shows its secrets."""
    hook = await create_hook(api, secrets={"password": "s3cret"})
    assert hook["type"] == "webhook" and hook["active"] is True
    assert hook["config"] | {"url": None, "secret": None} == {
        "url": None,
        "secret": None,
        "insecure_ssl": False,
        "private": False,
        "schedule": {},
        "timeout_s": 30,
        "retry_count": 4,
        "max_polling_time_s": 300,
        "retry_after_polling_failure": True,
        "payload_logging_enabled": False,
        "retry_on_any_non_2xx": False,
    }
    assert hook["token_owner"] == f"{API}/users/1" and hook["token_lifetime_s"] is None
    assert "secrets" not in hook and "s3cret" not in str(hook)
    assert (await api.get(f"{hook['url']}/secrets_keys")).json() == ["password"]
    queue = (await api.get("/api/v1/queues/101")).json()
    assert queue["hooks"] == [hook["url"]]


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param({"events": []}, id="no-events"),
        pytest.param({"events": ["annotation_content.saved"]}, id="unknown-action"),
        pytest.param({"events": ["document"]}, id="unknown-event"),
        pytest.param({"config": {"url": "ftp://x"}}, id="url-not-http"),
        pytest.param({"config": {"timeout_s": 61}}, id="timeout-over-60"),
        pytest.param({"config": {"retry_count": 5}}, id="retry-count-over-4"),
        pytest.param({"config": {"payload_logging_enabled": "yes"}}, id="flag-not-bool"),
        pytest.param({"queues": [f"{API}/queues/9"]}, id="unknown-queue"),
        pytest.param({"token_owner": f"{API}/users/99"}, id="unknown-token-owner"),
        pytest.param({"token_lifetime_s": 7201}, id="token-lifetime-too-long"),
        pytest.param({"sideload": ["everything"]}, id="unknown-sideload"),
        pytest.param({"secrets": {"n": 1}}, id="secret-not-string"),
        pytest.param({"type": "function"}, id="functions-unsupported"),
        pytest.param({"name": ""}, id="empty-name"),
    ],
)
async def test_invalid_hooks_answer_400(api: httpx.AsyncClient, overrides: dict[str, Any]) -> None:
    """Hook validation answers 400 `bad_request` naming the field."""
    config = {"url": HOOK_URL, **overrides.pop("config", {})}
    body = {"name": "h", "events": ["annotation_status"], "config": config, **overrides}
    response = await api.post("/api/v1/hooks", json=body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "bad_request"


async def test_missing_required_fields_answer_400(api: httpx.AsyncClient) -> None:
    """`name`, `events` and `config` are required on create and PUT."""
    for missing in ("name", "events", "config"):
        body = {"name": "h", "events": ["annotation_status"], "config": {"url": HOOK_URL}}
        del body[missing]
        response = await api.post("/api/v1/hooks", json=body)
        assert response.status_code == 400 and missing in response.json()["detail"]


async def test_patch_merges_config_and_put_keeps_secrets(api: httpx.AsyncClient) -> None:
    """PATCH of `config` keeps unsent keys; PUT replaces but keeps write-only secrets."""
    hook = await create_hook(api, secrets={"k": "v"})
    patched = (await api.patch(hook["url"], json={"config": {"timeout_s": 5}})).json()
    assert (patched["config"]["timeout_s"], patched["config"]["secret"]) == (5, "hook-secret")
    body = {"name": "renamed", "events": ["annotation_status"], "config": {"url": HOOK_URL}}
    replaced = (await api.put(hook["url"], json=body)).json()
    assert (replaced["name"], replaced["config"]["secret"], replaced["queues"]) == (
        "renamed",
        None,
        [],
    )
    assert (await api.get(f"{hook['url']}/secrets_keys")).json() == ["k"]


async def test_private_hooks_hide_and_freeze_url_and_secret(api: httpx.AsyncClient) -> None:
    """Once `config.private`, url and secret are hidden and cannot change or be unset."""
    hook = await create_hook(api, config={"private": True})
    assert "url" not in hook["config"] and "secret" not in hook["config"]
    for config in ({"url": "http://elsewhere.test/"}, {"private": False}):
        response = await api.patch(hook["url"], json={"config": config})
        assert response.status_code == 400


async def test_a_hook_cannot_run_after_itself(api: httpx.AsyncClient) -> None:
    """`run_after` naming the hook itself is refused."""
    hook = await create_hook(api)
    response = await api.patch(hook["url"], json={"run_after": [hook["url"]]})
    assert response.status_code == 400


async def test_delete_removes_the_hook_from_chains(api: httpx.AsyncClient) -> None:
    """Deleting a hook answers 204 and drops it from other hooks' `run_after`."""
    first = await create_hook(api)
    second = await create_hook(api, run_after=[first["url"]])
    assert (await api.delete(first["url"])).status_code == 204
    assert (await api.get(first["url"])).status_code == 404
    assert (await api.get(second["url"])).json()["run_after"] == []


async def test_hook_list_filters(api: httpx.AsyncClient) -> None:
    """Hooks filter by `active`, `queue`, `events`, `name` and `config_url`."""
    on = await create_hook(api, name="on")
    off = await create_hook(api, name="off", active=False, queues=[], events=["invocation"])

    async def ids(query: str) -> list[int]:
        return [h["id"] for h in (await api.get(f"/api/v1/hooks?{query}")).json()["results"]]

    assert await ids("active=false") == [off["id"]]
    assert await ids("queue=101") == [on["id"]]
    assert await ids("events=invocation") == [off["id"]]
    assert await ids("name=on") == [on["id"]]
    assert await ids(f"config_url={HOOK_URL}") == [on["id"], off["id"]]
    assert (await api.get("/api/v1/hooks?active=maybe")).status_code == 400


async def test_extension_fields_and_schemas_are_writable(api: httpx.AsyncClient) -> None:
    """`guide`, `read_more_url`, `extension_image_url` and both schemas round-trip."""
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    fields = {
        "guide": "Set `a`.",
        "read_more_url": "https://example.com/more",
        "extension_image_url": None,
        "settings_schema": schema,
        "secrets_schema": {"type": "object"},
    }
    hook = await create_hook(api, **fields)
    assert {key: hook[key] for key in fields} == fields
    response = await api.patch(hook["url"], json={"secrets_schema": "x"})
    assert response.status_code == 400 and "secrets_schema" in response.json()["detail"]


async def test_settings_are_validated_against_the_hooks_settings_schema(
    api: httpx.AsyncClient,
) -> None:
    """As Rossum does: `settings` must match `settings_schema`, on create and on change."""
    schema = {
        "type": "object",
        "properties": {
            "limit": {"type": "integer", "minimum": 1},
            "names": {"type": "array", "items": {"type": "string"}},
            "mode": {"enum": ["fast", "safe"]},
        },
        "required": ["limit"],
        "additionalProperties": {"type": ["string", "number"]},
    }
    hook = await create_hook(api, settings_schema=schema, settings={"limit": 2, "other": "x"})
    refused = [
        ({"limit": 0}, "settings.limit: 0 is below minimum 1"),
        ({"limit": 2, "names": ["a", 3]}, "settings.names[1]: expected string, got 3"),
        ({"limit": 2, "mode": "slow"}, "settings.mode: expected one of ['fast', 'safe']"),
        ({"names": []}, "settings.limit: required"),
        ({"limit": 2, "flag": True}, "settings.flag: expected string or number, got True"),
        ({"limit": 1.5}, "settings.limit: expected integer, got 1.5"),
    ]
    for settings, words in refused:
        response = await api.patch(hook["url"], json={"settings": settings})
        assert response.status_code == 400, settings
        assert words in response.json()["detail"], response.json()["detail"]
    tightened = await api.patch(
        hook["url"],
        json={"settings_schema": {"type": "object", "maxProperties": 1, "required": ["x"]}},
    )
    assert tightened.status_code == 400 and "settings.x: required" in tightened.json()["detail"]
    ok = await api.patch(hook["url"], json={"settings": {"limit": 3, "mode": "safe"}})
    assert ok.status_code == 200 and ok.json()["settings"] == {"limit": 3, "mode": "safe"}


async def test_secret_values_never_appear_in_schema_errors(api: httpx.AsyncClient) -> None:
    """A secret breaking `secrets_schema` is refused naming the key, not the value."""
    schema = {"type": "object", "additionalProperties": {"type": "string", "minLength": 20}}
    response = await api.post(
        "/api/v1/hooks",
        json={
            "name": "h",
            "events": ["annotation_status"],
            "config": {"url": HOOK_URL},
            "secrets_schema": schema,
            "secrets": {"api_key": "short-secret-value"},
        },
    )
    assert response.status_code == 400
    assert "secrets.api_key: invalid" in response.json()["detail"]
    assert "short-secret-value" not in response.text
