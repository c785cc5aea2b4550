"""Register rules by event and action, compose routers, and dispatch an event to its rules.

router = Router()

@router.register("annotation_content", action=("initialize", "updated"))
def expedite(event: AnnotationContentEvent) -> Decision: ...

app_router = Router(router, other.router)
decision = app_router.dispatch(event)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from handlers.decision import Decision, Message, RuleFailure
from handlers.events import HookEvent
from handlers.hook_settings import DISABLED_RULES, Setting, SettingError, merged, settings_schema

E = TypeVar("E", bound=HookEvent)
Rule = Callable[[E], Decision | None]
F = TypeVar("F", bound=Callable[..., Decision | None])
_MAX_ERROR_CHARS = 300


@dataclass(frozen=True, slots=True)
class Registration:
    """A rule with the event and actions it answers (actions None: every action)."""

    rule: Callable[[Any], Decision | None]
    name: str
    event: str
    actions: frozenset[str] | None
    settings: tuple[Setting[Any], ...] = ()

    def matches(self, event: HookEvent) -> bool:
        """Tell whether this rule should run for `event`."""
        if event.event != self.event:
            return False
        return self.actions is None or event.action in self.actions


class Router:
    """An ordered set of rules; routers compose, their rules running before this one's own."""

    def __init__(self, *routers: Router) -> None:
        self._routers = routers
        self._own: list[Registration] = []

    def register(
        self,
        event: str,
        action: str | Iterable[str] | None = None,
        *,
        name: str | None = None,
        settings: Iterable[Setting[Any]] = (),
    ) -> Callable[[F], F]:
        """Register the decorated rule for `event` and one action, several, or all (None).

        `user_update` payloads arrive as `updated`, so register `updated` for both.
        `settings` are the hook settings the rule reads (`handlers.hook_settings.Setting`):
        a delivery whose value for one of them is invalid does not run the rule.
        """

        def decorator(rule: F) -> F:
            self.add(rule, event, action, name=name, settings=settings)
            return rule

        return decorator

    def add(
        self,
        rule: Rule[E],
        event: str,
        action: str | Iterable[str] | None = None,
        *,
        name: str | None = None,
        settings: Iterable[Setting[Any]] = (),
    ) -> None:
        """Register `rule` without decorating it."""
        actions = (
            None if action is None else frozenset([action] if isinstance(action, str) else action)
        )
        label = name if name is not None else str(getattr(rule, "__name__", repr(rule)))
        if any(r.name == label and r.rule is not rule for r in self.registrations()):
            raise ValueError(f"a rule named {label!r} is already registered; pass name=...")
        declared = tuple(settings)
        merged((label, s) for s in declared)  # one rule cannot declare a name twice differently
        self._own.append(
            Registration(rule=rule, name=label, event=event, actions=actions, settings=declared)
        )

    def registrations(self) -> Iterator[Registration]:
        """Yield every registration, composed routers' first, in registration order."""
        for router in self._routers:
            yield from router.registrations()
        yield from self._own

    def settings(self) -> tuple[Setting[Any], ...]:
        """Return every hook setting the rules declare (and `disabled_rules`), once each.

        Raise `SettingConflict` when two rules declare one name with different types or
        defaults, so a bad combination of rules fails when it is loaded.
        """
        pairs = [("the router", DISABLED_RULES)]
        pairs += [(f"rule {r.name!r}", s) for r in self.registrations() for s in r.settings]
        return merged(pairs)

    def settings_schema(self) -> dict[str, Any]:
        """Return the JSON Schema of the hook `settings` these rules read (`settings_schema`)."""
        return settings_schema(self.settings())

    def rules_for(self, event: HookEvent) -> list[Registration]:
        """Return the registrations that match `event`, in the order they will run.

        Rules named in the hook setting `disabled_rules` (list, or comma-separated) are skipped.
        """
        disabled = _disabled(event)
        return [r for r in self.registrations() if r.matches(event) and r.name not in disabled]

    def dispatch(self, event: HookEvent) -> Decision:
        """Run every matching rule in order and merge their decisions.

        A rule that raises does not stop the others: its failure becomes a document-level
        `error` message and an entry in `Decision.errors`. A rule one of whose declared
        settings is invalid in this delivery does not run: one `error` message per invalid
        setting says what is wrong with it and which rules it held back.
        """
        decisions: list[Decision] = []
        held: dict[str, tuple[str, list[str]]] = {}  # setting -> (problem, rules held back)
        problems: dict[str, str | None] = {}
        for registration in self.rules_for(event):
            bad = False
            for setting in registration.settings:
                if setting.name not in problems:
                    problems[setting.name] = setting.problem(event.settings)
                problem = problems[setting.name]
                if problem is not None:
                    held.setdefault(setting.name, (problem, []))[1].append(registration.name)
                    bad = True
            if not bad:
                decisions.append(_run(registration, event))
        disabled_problem = DISABLED_RULES.problem(event.settings)
        if disabled_problem is not None:
            text = f"{_capitalised(disabled_problem)}; no rule was skipped."
            decisions.append(Decision(messages=(Message("error", text),)))
        return Decision.merge(*decisions, *(_held_back(p, rules) for p, rules in held.values()))


def _held_back(problem: str, rules: list[str]) -> Decision:
    """Return the error of one invalid setting, naming the rules that did not run."""
    names = ", ".join(repr(r) for r in rules)
    plural = "s" if len(rules) > 1 else ""
    text = f"{_capitalised(problem)}; rule{plural} {names} did not run."
    failures = tuple(RuleFailure(rule, "SettingError", problem) for rule in rules)
    return Decision(messages=(Message("error", text),), errors=failures)


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _disabled(event: HookEvent) -> frozenset[str]:
    try:
        return frozenset(DISABLED_RULES.read(event))
    except SettingError:
        return frozenset()  # reported by `dispatch`


def _run(registration: Registration, event: HookEvent) -> Decision:
    try:
        decision = registration.rule(event)
        if decision is not None and not isinstance(decision, Decision):
            raise TypeError(f"returned {type(decision).__name__}, expected Decision or None")
    except Exception as exc:  # a broken rule must not take the delivery down with it
        detail = f"{type(exc).__name__}: {exc}"[:_MAX_ERROR_CHARS]
        return Decision(
            messages=(Message("error", f"Rule {registration.name!r} failed: {detail}"),),
            errors=(RuleFailure(registration.name, type(exc).__name__, str(exc)),),
        )
    return Decision() if decision is None else decision.with_rule(registration.name)
