"""Loading the rules to run: specs, the shipped default, entry points, and clear failures."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from handlers.rules import router as shipped
from service.rules import (
    ENTRY_POINT_GROUP,
    RulesError,
    load_router,
    load_rules,
    rules_from_environment,
)

TEAM_RULES = """
from handlers.decision import Decision
from handlers.hook_settings import Setting
from handlers.routing import Router

router = Router()
LIMIT = Setting("{setting}", int, default={default}, description="A limit.")


@router.register("annotation_content", settings=[LIMIT])
def {rule}(event):
    return Decision(add_labels={{"{rule}"}})
"""


def write_module(
    root: Path, name: str, *, rule: str = "team", setting: str = "limit", default: int = 1
) -> None:
    """Write a rule module `name` under `root`."""
    source = TEAM_RULES.format(rule=rule, setting=setting, default=default)
    (root / f"{name}.py").write_text(textwrap.dedent(source))


def write_distribution(root: Path, name: str, entry_points: dict[str, str]) -> None:
    """Write the metadata an installed distribution leaves: METADATA and entry_points.txt."""
    info = root / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    lines = [f"[{ENTRY_POINT_GROUP}]", *(f"{k} = {v}" for k, v in entry_points.items())]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")


@pytest.fixture
def rules_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Return a directory on the import path, holding no module yet."""
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_default_is_the_shipped_rules() -> None:
    """Without specs the shipped router runs, and is reported as the default."""
    loaded = load_rules(None, entry_points=False)
    assert loaded.router is shipped and loaded.shipped
    assert loaded.rule_names == ["normalise", "totals", "expedite", "missing_po", "due_soon"]


def test_specs_compose_in_order_and_module_alone_means_router(rules_dir: Path) -> None:
    """`module` names `module:router`; the shipped rules run only when listed."""
    write_module(rules_dir, "team_a", rule="team_a")
    loaded = load_rules(["handlers.rules:router", "team_a"], entry_points=False)
    assert loaded.rule_names[-1] == "team_a" and not loaded.shipped
    assert [s.name for s in loaded.router.settings()][-1] == "limit"
    alone = load_rules(["team_a:router"], entry_points=False)
    assert alone.rule_names == ["team_a"]


def test_installed_entry_points_are_added(rules_dir: Path) -> None:
    """A distribution declaring a `rossum_hooks.rules` entry point adds its router."""
    write_module(rules_dir, "team_b", rule="team_b")
    write_distribution(rules_dir, "team-b-rules", {"watch": "team_b:router"})
    loaded = load_rules(None)
    assert loaded.rule_names[-1] == "team_b"
    assert "entry point 'watch' of team-b-rules" in loaded.sources[-1]
    assert load_rules(None, entry_points=False).rule_names[-1] == "due_soon"
    only_installed = load_rules([])
    assert only_installed.rule_names == ["team_b"]


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        pytest.param("nowhere_at_all:router", "no module named 'nowhere_at_all'", id="no-module"),
        pytest.param("json:router", "module 'json' has no 'router'", id="no-attribute"),
        pytest.param("json:dumps", "is a function, not a Router", id="not-a-router"),
        pytest.param("my rules:router", "expected module:attribute", id="malformed"),
        pytest.param("broken_rules", "importing it failed: ZeroDivisionError", id="broken"),
    ],
)
def test_wrong_specs_fail_with_a_clear_message(rules_dir: Path, spec: str, words: str) -> None:
    """Each kind of wrong spec raises RulesError naming the spec and its origin."""
    (rules_dir / "broken_rules.py").write_text("router = 1 / 0\n")
    with pytest.raises(RulesError) as raised:
        load_router(spec, origin="--rules")
    assert words in str(raised.value) and f"{spec!r} (from --rules)" in str(raised.value)


def test_conflicts_and_nothing_to_run_fail_at_load(rules_dir: Path) -> None:
    """Settings declared differently, a rule name twice, or no rules at all: RulesError."""
    write_module(rules_dir, "one", rule="one", default=1)
    write_module(rules_dir, "two", rule="two", default=2)
    write_module(rules_dir, "again", rule="one", setting="other")
    with pytest.raises(RulesError, match="'limit' is declared"):
        load_rules(["one", "two"], entry_points=False)
    with pytest.raises(RulesError, match=r"rule names \['one'\] appear more than once"):
        load_rules(["one", "again"], entry_points=False)
    with pytest.raises(RulesError, match="no rules to run"):
        load_rules([], entry_points=False)
    assert load_rules(["one", "one:router"], entry_points=False).rule_names == ["one"]


def test_commands_read_the_flag_then_the_environment(
    rules_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--rules` wins over ROSSUM_HOOKS_RULES; the entry-point switch is read too."""
    write_module(rules_dir, "env_rules", rule="env_rule")
    write_distribution(rules_dir, "extra", {"x": "env_rules:router"})
    monkeypatch.setenv("ROSSUM_HOOKS_RULES", "env_rules")
    monkeypatch.setenv("ROSSUM_HOOKS_RULES_ENTRY_POINTS", "false")
    assert rules_from_environment().rule_names == ["env_rule"]
    assert rules_from_environment("handlers.rules").shipped
    with pytest.raises(RulesError, match=r"\(from --rules\)"):
        rules_from_environment("nowhere_else")
