"""`hook plan` / `hook apply` logic against the sandbox's hooks API, in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from client import AsyncRossumAPIClient, BadRequest, UserCredentials
from handlers.hook_settings import Setting
from handlers.routing import Router
from handlers.rules import router as shipped_router
from sandbox.app import create_sandbox_app
from sandbox.settings import SandboxSettings
from service.hook_file import HookFileError, read_hook_file
from service.hook_plan import apply_plan, make_plan, rule_events

API = "http://sandbox.test/api/v1"
SECRET = "first-secret-value"
LIMIT = Setting("limit", int, default=3, description="A limit.")
FILE = """
name = "Team hook"
queues = [101]
token_owner = "demo@example.com"
[config]
url = "http://hooks.test/hooks"
secret_env = "TEAM_SECRET"
[settings]
limit = 5
"""


def _router() -> Router:
    router = Router()
    router.add(
        lambda e: None, "annotation_content", ("initialize", "updated"), name="a", settings=[LIMIT]
    )
    router.add(lambda e: None, "annotation_status", name="b")
    return router


@pytest.fixture
async def api() -> AsyncIterator[AsyncRossumAPIClient]:
    app = create_sandbox_app(SandboxSettings(rate_limit_per_s=0))
    credentials = UserCredentials("demo@example.com", "demo-password")
    async with (
        app.router.lifespan_context(app),
        AsyncRossumAPIClient(API, credentials, transport=httpx.ASGITransport(app=app)) as client,
    ):
        yield client


def _spec(tmp_path: Path, text: str = FILE) -> Path:
    path = tmp_path / "hook.toml"
    path.write_text(text)
    return path


async def test_plan_creates_then_is_up_to_date(api: AsyncRossumAPIClient, tmp_path: Path) -> None:
    """A new hook is planned in full and created; planning again finds nothing to change."""
    spec = read_hook_file(_spec(tmp_path))
    env = {"TEAM_SECRET": SECRET}
    plan = await make_plan(api, spec, _router(), env)
    assert plan.hook_id is None and plan.has_changes
    text = plan.render()
    assert "will be created" in text and "config.secret: set (not shown)" in text
    assert SECRET not in text
    hook_id = await apply_plan(api, plan)
    hook = await api.request_json("GET", f"hooks/{hook_id}")
    assert hook["events"] == [
        "annotation_content.initialize",
        "annotation_content.updated",
        "annotation_status",
    ]
    assert hook["queues"] == [f"{API}/queues/101"] and hook["token_owner"] == f"{API}/users/1"
    assert hook["config"]["secret"] == SECRET and hook["settings"] == {"limit": 5}
    assert hook["settings_schema"]["properties"]["limit"]["type"] == "integer"
    again = await make_plan(api, spec, _router(), env)
    assert again.hook_id == hook_id and not again.has_changes
    assert "is up to date" in again.render()


async def test_plan_shows_only_what_changed(api: AsyncRossumAPIClient, tmp_path: Path) -> None:
    """A setting, the secret and a queue by name: listed one by one; apply patches them."""
    first = read_hook_file(_spec(tmp_path))
    await apply_plan(api, await make_plan(api, first, _router(), {"TEAM_SECRET": SECRET}))
    changed = FILE.replace("limit = 5", "limit = 7\nextra = true").replace(
        "queues = [101]", 'queues = ["Invoices"]'
    )
    spec = read_hook_file(_spec(tmp_path, changed))
    plan = await make_plan(api, spec, _router(), {"TEAM_SECRET": "rotated-secret"})
    lines = plan.render().splitlines()
    assert "  ~ settings.limit: 5 -> 7" in lines and "  + settings.extra: true" in lines
    assert "  ~ config.secret: changed (not shown)" in lines
    assert not any("queues" in line for line in lines)  # "Invoices" is queue 101
    assert "warning: settings.extra is read by none of the loaded rules" in lines
    assert "rotated-secret" not in plan.render()
    assert set(plan.patch) == {"config", "settings"}
    hook_id = await apply_plan(api, plan)
    hook = await api.request_json("GET", f"hooks/{hook_id}")
    assert hook["settings"] == {"limit": 7, "extra": True}
    assert hook["config"]["secret"] == "rotated-secret"


async def test_plan_refuses_what_the_rules_or_rossum_would_not_take(
    api: AsyncRossumAPIClient, tmp_path: Path
) -> None:
    """An invalid declared setting, an unknown user or queue, two hooks of one name: errors."""
    env = {"TEAM_SECRET": SECRET}
    cases = [
        (FILE.replace("limit = 5", 'limit = "many"'), "settings.limit: hook setting 'limit'"),
        (FILE.replace("demo@example.com", "nobody@example.com"), "no users with username"),
        (FILE.replace("[101]", '["Nope"]'), "no queues with name 'Nope'"),
    ]
    for text, words in cases:
        with pytest.raises(HookFileError, match=words):
            await make_plan(api, read_hook_file(_spec(tmp_path, text)), _router(), env)
    body = {"name": "Team hook", "events": ["annotation_status"], "config": {"url": "http://x"}}
    for _ in range(2):
        await api.request_json("POST", "hooks", json=body)
    with pytest.raises(HookFileError, match="2 hooks are named 'Team hook'"):
        await make_plan(api, read_hook_file(_spec(tmp_path)), _router(), env)


def test_rule_events_subscribe_to_what_the_rules_register() -> None:
    """Registered actions become `event.action`; a rule for every action takes the event."""
    router = Router()
    router.add(lambda e: None, "annotation_content", "updated", name="x")
    router.add(lambda e: None, "annotation_content", name="y")
    router.add(lambda e: None, "upload", "created", name="z")
    assert rule_events(router) == ["annotation_content", "upload.created"]
    assert rule_events(_router()) == [
        "annotation_content.initialize",
        "annotation_content.updated",
        "annotation_status",
    ]


async def test_the_sandbox_enforces_the_schema_the_rules_generate(
    api: AsyncRossumAPIClient,
) -> None:
    """The shipped rules' `settings_schema` accepts their defaults; a wrong type is refused."""
    schema = shipped_router.settings_schema()
    defaults = {name: prop["default"] for name, prop in schema["properties"].items()}
    body = {
        "name": "shipped",
        "events": ["annotation_content"],
        "config": {"url": "http://hooks.test/hooks"},
        "settings_schema": schema,
        "settings": defaults,
    }
    hook = await api.request_json("POST", "hooks", json=body)
    assert hook["settings"] == defaults
    with pytest.raises(BadRequest, match=r"settings\.expedite_amount: expected number"):
        await api.update_part_hook(hook["id"], {"settings": {"expedite_amount": "lots"}})
