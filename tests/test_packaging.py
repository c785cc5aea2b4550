"""What an installed rossum-hooks gives a rule project: typed packages and the testing extra."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]
TYPED = ("client", "handlers", "service", "sandbox", "replay")


def test_every_package_ships_a_py_typed_marker() -> None:
    """Each package has `py.typed`, and setuptools is told to put it in the wheel."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["tool"]["setuptools"]["package-data"]["*"] == ["py.typed"]
    assert set(pyproject["tool"]["setuptools"]["packages"]["find"]["include"]) == {
        f"{name}*" for name in TYPED
    }
    for name in TYPED:
        assert (ROOT / name / "py.typed").is_file(), name


def test_the_testing_extra_brings_what_the_kit_imports() -> None:
    """`rossum-hooks[testing]` holds pytest and pytest-asyncio; `dev` includes it."""
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    names = {spec.split(">")[0].split("=")[0] for spec in extras["testing"]}
    assert names == {"pytest", "pytest-asyncio"}
    assert "rossum-hooks[testing]" in extras["dev"]
    kit = (ROOT / "service" / "testing.py").read_text()
    assert "import pytest_asyncio" in kit and "@pytest_asyncio.fixture" in kit
