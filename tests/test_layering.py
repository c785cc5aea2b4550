"""The dependency arrows of docs/architecture.md, checked on every import statement.

`handlers` and `client` import nothing of ours; `sandbox` imports nothing of ours (it is an
independent implementation of Rossum); `service -> handlers`, `service -> client`, and the
sandbox only where `service` runs the whole loop (`service.demo`, `service.testing`);
`replay -> service/handlers/client/sandbox`. Nothing outside `service` imports it but
`replay`. `handlers` performs no I/O. Imports inside functions count as much as top-level ones.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGES = ("handlers", "client", "sandbox", "service", "replay")

# package -> our packages its modules may import (besides itself)
ALLOWED: dict[str, frozenset[str]] = {
    "handlers": frozenset(),
    "client": frozenset(),
    "sandbox": frozenset(),
    "service": frozenset({"handlers", "client"}),
    "replay": frozenset({"service", "handlers", "client", "sandbox"}),
}
# modules of `service` that run the whole loop against the sandbox
SANDBOX_USERS_IN_SERVICE = frozenset({"service.demo", "service.testing"})
# what `handlers` may not import: network, servers, processes, storage, logging to sinks
IO_MODULES = frozenset(
    {"httpx", "requests", "aiohttp", "starlette", "uvicorn", "redis", "structlog", "anyio"}
    | {"socket", "ssl", "asyncio", "subprocess", "urllib", "http", "sqlite3", "shutil"}
    | {"multiprocessing", "threading", "logging", "os", "pathlib", "tempfile", "io"}
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Return every module a file imports (relative imports resolved), at any depth."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    return imported_names(path.read_text(), package=package)


def imported_names(source: str, *, package: str) -> set[str]:
    """Return the modules `source` imports, resolving relative imports against `package`."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                names.add(".".join([*base, *([node.module] if node.module else [])]))
            elif node.module:
                names.add(node.module)
    return names


def _modules(package: str) -> dict[str, set[str]]:
    return {_module_name(p): imports_of(p) for p in sorted((ROOT / package).rglob("*.py"))}


def _top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_only_what_its_arrows_allow(package: str) -> None:
    """Each package imports, of ours, only the packages its arrows point to."""
    offenders = {}
    for module, names in _modules(package).items():
        allowed = ALLOWED[package] | {package}
        if module in SANDBOX_USERS_IN_SERVICE:
            allowed = allowed | {"sandbox"}
        bad = {n for n in names if _top(n) in PACKAGES and _top(n) not in allowed}
        if bad:
            offenders[module] = sorted(bad)
    assert offenders == {}


def test_only_replay_imports_service() -> None:
    """Outside `service` itself, only `replay` imports `service` (the CLI side)."""
    importers = {
        module
        for package in PACKAGES
        if package != "service"
        for module, names in _modules(package).items()
        if any(_top(n) == "service" for n in names)
    }
    assert {_top(m) for m in importers} <= {"replay"}


def test_sandbox_uses_only_the_standard_library_and_its_declared_dependencies() -> None:
    """The stand-in stands alone: stdlib, its web stack and pydantic, nothing else."""
    third_party = {"httpx", "pydantic", "starlette", "structlog", "uvicorn"}
    allowed = set(sys.stdlib_module_names) | third_party | {"sandbox"}
    used = {_top(n) for names in _modules("sandbox").values() for n in names}
    assert used - allowed == set()


def test_handlers_perform_no_io() -> None:
    """No module of `handlers` imports a network, server, process, file or logging module."""
    offenders = {
        module: sorted(bad)
        for module, names in _modules("handlers").items()
        if (bad := {n for n in names if _top(n) in IO_MODULES})
    }
    assert offenders == {}


def test_content_module_is_a_stdlib_leaf() -> None:
    """`handlers.content` (reused by the client) imports only the stdlib and handlers.decision."""
    allowed = set(sys.stdlib_module_names) | {"__future__", "handlers.decision"}
    imported = imports_of(ROOT / "handlers" / "content.py")
    assert {n for n in imported if n not in allowed and _top(n) not in allowed} == set()


def test_the_checker_sees_relative_and_nested_imports() -> None:
    """A relative import and an import inside a function are both reported."""
    source = (
        "from . import errors\nfrom .store import Store\n\ndef f():\n    import handlers.tree\n"
    )
    found = imported_names(source, package="sandbox")
    assert found == {"sandbox", "sandbox.store", "handlers.tree"}
