"""Hook settings declared by rules: reading, checking, JSON Schema, validation in dispatch."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from handlers.decision import Decision
from handlers.events import HookEvent
from handlers.hook_settings import Setting, SettingConflict, SettingError
from handlers.routing import Router
from handlers.testing import assert_message, build_content_event, build_status_event

LIMIT = Setting("limit", Decimal, default=Decimal(10), description="A limit.")
DAYS = Setting("days", int, default=7, description="Days.")
NAMES = Setting("names", list[str], default=[], description="Names.")
LOUD = Setting("loud", bool, default=False, description="Shout.")
GREETING = Setting("greeting", str, default="hi", description="Greeting.")


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        pytest.param(LIMIT, None, Decimal(10), id="missing"),
        pytest.param(LIMIT, "", Decimal(10), id="empty"),
        pytest.param(LIMIT, 5, Decimal(5), id="int"),
        pytest.param(LIMIT, 0.5, Decimal("0.5"), id="float"),
        pytest.param(LIMIT, " 7.25 ", Decimal("7.25"), id="numeric-string"),
        pytest.param(DAYS, "14", 14, id="integer-string"),
        pytest.param(NAMES, "a, b,", ["a", "b"], id="comma-separated"),
        pytest.param(NAMES, ["x"], ["x"], id="list"),
        pytest.param(LOUD, "TRUE", True, id="bool-string"),
        pytest.param(GREETING, "hello", "hello", id="text"),
    ],
)
def test_values_are_read_as_their_type(setting: Setting[Any], value: object, expected: Any) -> None:
    """Canonical values and their string forms are read; missing or empty gives the default."""
    settings = {} if value is None else {setting.name: value}
    assert setting.read(build_status_event(settings=settings)) == expected


@pytest.mark.parametrize(
    ("setting", "value", "words"),
    [
        pytest.param(LIMIT, True, "must be a number", id="bool-as-number"),
        pytest.param(LIMIT, "NaN", "must be a number", id="nan"),
        pytest.param(LIMIT, [1], "must be a number", id="list-as-number"),
        pytest.param(DAYS, "1.5", "must be a whole number", id="fraction"),
        pytest.param(NAMES, [1, 2], "must be a list of strings", id="list-of-numbers"),
        pytest.param(LOUD, "yes", "must be true or false", id="yes"),
        pytest.param(GREETING, 5, "must be a string", id="number-as-text"),
    ],
)
def test_wrong_types_raise_naming_the_setting(
    setting: Setting[Any], value: object, words: str
) -> None:
    """A value of the wrong type raises SettingError naming the key, the type and the value."""
    with pytest.raises(SettingError) as raised:
        setting.read(build_status_event(settings={setting.name: value}))
    assert f"hook setting '{setting.name}' {words}" in str(raised.value)
    assert str(raised.value).endswith(f", got {value!r}")
    assert setting.problem({setting.name: value}) is not None
    assert setting.problem({}) is None


def test_declarations_are_checked() -> None:
    """Unsupported types, a default of the wrong type and a missing description are refused."""
    with pytest.raises(TypeError, match="float"):
        Setting("x", float, default=1.0, description="d")
    with pytest.raises(SettingError):
        Setting("x", int, default="seven", description="d")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="description"):
        Setting("x", int, default=1, description=" ")


def test_json_schema_states_types_defaults_and_descriptions() -> None:
    """Each declared setting becomes a property with its canonical JSON type."""
    router = Router()

    @router.register("annotation_content", settings=[LIMIT, DAYS, NAMES, LOUD, GREETING])
    def rule(event: HookEvent) -> None:
        return None

    schema = router.settings_schema()
    assert schema["type"] == "object" and schema["additionalProperties"] is True
    props = schema["properties"]
    assert props["limit"] == {"type": "number", "default": 10, "description": "A limit."}
    assert props["days"]["type"] == "integer" and props["loud"]["default"] is False
    assert props["names"] == {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Names.",
    }
    assert props["greeting"]["default"] == "hi"
    assert list(props) == ["disabled_rules", "limit", "days", "names", "loud", "greeting"]


def test_conflicting_declarations_fail_when_composed() -> None:
    """Two rules declaring one name differently are refused when the settings are listed."""
    first, second = Router(), Router()
    other_limit = Setting("limit", Decimal, default=Decimal(99), description="Another.")
    first.add(lambda e: None, "annotation_content", name="a", settings=[LIMIT])
    second.add(lambda e: None, "annotation_content", name="b", settings=[other_limit])
    second.add(lambda e: None, "annotation_content", name="c", settings=[LIMIT])
    with pytest.raises(SettingConflict, match=r"'limit' is declared as .* by rule 'a'"):
        Router(first, second).settings()
    same = Router(first, Router())
    same.add(lambda e: None, "annotation_content", name="d", settings=[LIMIT])
    assert [s.name for s in same.settings()] == ["disabled_rules", "limit"]


def _router() -> Router:
    router = Router()

    @router.register("annotation_content", settings=[LIMIT])
    def limited(event: HookEvent) -> Decision:
        return Decision(add_labels={f"limit-{LIMIT.read(event)}"})

    @router.register("annotation_content", settings=[LIMIT, DAYS])
    def both(event: HookEvent) -> Decision:
        return Decision(add_labels={"both"})

    @router.register("annotation_content")
    def free(event: HookEvent) -> Decision:
        return Decision(add_labels={"free"})

    return router


def test_dispatch_holds_back_rules_with_an_invalid_setting() -> None:
    """Rules reading an invalid setting do not run; one error says why; the others run."""
    decision = _router().dispatch(build_content_event(settings={"limit": "lots", "days": 3}))
    assert decision.add_labels == {"free"}
    assert_message(
        decision,
        type="error",
        contains="Hook setting 'limit' must be a number, got 'lots'; rules 'limited', 'both'",
    )
    assert [m.type for m in decision.messages] == ["error"]
    assert {(f.rule, f.error_type) for f in decision.errors} == {
        ("limited", "SettingError"),
        ("both", "SettingError"),
    }
    valid = _router().dispatch(build_content_event(settings={"limit": 5}))
    assert valid.add_labels == {"limit-5", "both", "free"} and not valid.messages


def test_an_invalid_disabled_rules_setting_is_reported() -> None:
    """`disabled_rules` of the wrong type skips nothing and says so."""
    decision = _router().dispatch(build_content_event(settings={"disabled_rules": 5}))
    assert decision.add_labels == {"limit-10", "both", "free"}
    assert_message(decision, type="error", contains="'disabled_rules' must be a list")
