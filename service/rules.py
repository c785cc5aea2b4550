"""Which rules the service runs: `ROSSUM_HOOKS_RULES` / `--rules`, plus installed rule packages.

A spec is `module:attribute` naming a `handlers.routing.Router` (`module` alone means
`module:router`). Without a setting the service runs the shipped rules (`handlers.rules:router`);
an empty setting runs none of them. Installed distributions add theirs through the entry-point
group `rossum_hooks.rules` (each entry point names a Router the same way), unless
`ROSSUM_HOOKS_RULES_ENTRY_POINTS=false`.

Every problem (a module that does not import, a missing attribute, something that is not a
Router, two rules declaring one hook setting differently, nothing to run) raises `RulesError`
with a message naming the spec and where it came from, so `serve` fails at start.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from handlers.hook_settings import SettingConflict
from handlers.routing import Router
from service.settings import ConfigError

ENTRY_POINT_GROUP = "rossum_hooks.rules"
SHIPPED_RULES = "handlers.rules:router"


class RulesError(ConfigError):
    """The configured rules cannot be loaded."""


@dataclass(frozen=True)
class LoadedRules:
    """The composed router and where each part came from (for logs and `hook schema`)."""

    router: Router
    sources: tuple[str, ...]  # "handlers.rules:router", "my_rules:router (entry point ...)"

    @property
    def shipped(self) -> bool:
        """Tell whether these are exactly the shipped rules."""
        from handlers.rules import router as shipped

        return self.router is shipped

    @property
    def rule_names(self) -> list[str]:
        """Return the names of every rule, in the order they run."""
        return [r.name for r in self.router.registrations()]


def load_router(spec: str, *, origin: str = "ROSSUM_HOOKS_RULES") -> Router:
    """Import `module:attribute` and return it, or raise `RulesError` saying what is wrong."""
    module_name, _, attribute = spec.strip().partition(":")
    attribute = attribute or "router"
    where = f"{spec!r} (from {origin})"
    if not module_name or not all(part.isidentifier() for part in module_name.split(".")):
        raise RulesError(f"rules {where}: expected module:attribute, e.g. my_rules:router")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            raise RulesError(
                f"rules {where}: no module named {exc.name!r}; install the package or add its "
                "directory to PYTHONPATH"
            ) from None
        raise RulesError(f"rules {where}: importing it failed: {exc}") from None
    except Exception as exc:  # the module itself is broken: say so, do not start
        raise RulesError(
            f"rules {where}: importing it failed: {type(exc).__name__}: {exc}"
        ) from None
    try:
        router = getattr(module, attribute)
    except AttributeError:
        raise RulesError(f"rules {where}: module {module_name!r} has no {attribute!r}") from None
    if not isinstance(router, Router):
        raise RulesError(
            f"rules {where}: {attribute!r} is a {type(router).__name__}, not a Router "
            "(handlers.routing.Router)"
        )
    return router


def entry_point_specs() -> list[tuple[str, str]]:
    """Return `(spec, origin)` of every installed `rossum_hooks.rules` entry point."""
    found = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    specs = []
    for point in sorted(found, key=lambda p: (p.dist.name if p.dist else "", p.name)):
        package = point.dist.name if point.dist else "an installed package"
        specs.append((point.value, f"entry point {point.name!r} of {package}"))
    return specs


def parse_specs(value: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """Return the specs of a comma-separated string or a list (None: not configured)."""
    if value is None:
        return None
    parts = value.split(",") if isinstance(value, str) else list(value)
    return tuple(part.strip() for part in parts if part.strip())


def load_rules(
    specs: Sequence[str] | None = None, *, entry_points: bool = True, origin: str | None = None
) -> LoadedRules:
    """Load the rules to run: `specs` (None: the shipped rules), then installed entry points.

    Routers are composed in that order (a router named twice runs once); the hook settings
    they declare are checked for conflicts here, so a bad combination fails at start.
    """
    named = [(s, origin or "ROSSUM_HOOKS_RULES") for s in (specs or ())]
    if specs is None:
        named = [(SHIPPED_RULES, "the default rules")]
    if entry_points:
        named += entry_point_specs()
    routers: list[Router] = []
    sources: list[str] = []
    for spec, where in named:
        router = load_router(spec, origin=where)
        if all(router is not seen for seen in routers):
            routers.append(router)
            sources.append(f"{spec} ({where})")
    if not routers:
        raise RulesError(
            "no rules to run: ROSSUM_HOOKS_RULES is empty and no installed package declares "
            f"a {ENTRY_POINT_GROUP!r} entry point"
        )
    composed = routers[0] if len(routers) == 1 else Router(*routers)
    names = [r.name for r in composed.registrations()]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise RulesError(
            f"rules {', '.join(sources)}: rule names {twice} appear more than once; "
            "register one of them with name=..."
        )
    try:
        composed.settings()
    except SettingConflict as exc:
        raise RulesError(f"rules {', '.join(sources)}: {exc}") from None
    return LoadedRules(composed, tuple(sources))


def rules_from_environment(
    flag: str | None = None, environ: Mapping[str, str] | None = None
) -> LoadedRules:
    """Load the rules of a command: its `--rules` value, else `ROSSUM_HOOKS_RULES`.

    `ROSSUM_HOOKS_RULES_ENTRY_POINTS=false` leaves installed entry points out. `environ`
    defaults to `os.environ` (`serve` reads the same variables through `Settings`).
    """
    env = os.environ if environ is None else environ
    origin = "--rules" if flag is not None else "ROSSUM_HOOKS_RULES"
    specs = parse_specs(flag if flag is not None else env.get("ROSSUM_HOOKS_RULES"))
    switch = env.get("ROSSUM_HOOKS_RULES_ENTRY_POINTS", "true").strip().lower()
    return load_rules(specs, entry_points=switch not in {"false", "0", "no", "off"}, origin=origin)
