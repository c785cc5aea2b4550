"""The pure core stays pure: import rules from docs/architecture.md."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

HANDLERS = Path(__file__).parents[2] / "handlers"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_handlers_import_no_io_packages() -> None:
    """No module of `handlers` imports httpx, starlette, uvicorn, client, service or sandbox."""
    forbidden = {"httpx", "starlette", "uvicorn", "client", "service", "sandbox"}
    offenders = {
        str(path.relative_to(HANDLERS)): sorted(bad)
        for path in HANDLERS.rglob("*.py")
        if (bad := {n for n in _imports(path) if n.split(".")[0] in forbidden})
    }
    assert offenders == {}


def test_content_module_is_a_stdlib_leaf() -> None:
    """`handlers.content` (reused by the client) imports only the stdlib and handlers.decision."""
    allowed = set(sys.stdlib_module_names) | {"__future__", "handlers.decision"}
    imported = _imports(HANDLERS / "content.py")
    assert {n for n in imported if n not in allowed and n.split(".")[0] not in allowed} == set()
