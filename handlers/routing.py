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
        self, event: str, action: str | Iterable[str] | None = None, *, name: str | None = None
    ) -> Callable[[F], F]:
        """Register the decorated rule for `event` and one action, several, or all (None).

        `user_update` payloads arrive as `updated`, so register `updated` for both.
        """

        def decorator(rule: F) -> F:
            self.add(rule, event, action, name=name)
            return rule

        return decorator

    def add(
        self,
        rule: Rule[E],
        event: str,
        action: str | Iterable[str] | None = None,
        *,
        name: str | None = None,
    ) -> None:
        """Register `rule` without decorating it."""
        actions = (
            None if action is None else frozenset([action] if isinstance(action, str) else action)
        )
        label = name if name is not None else str(getattr(rule, "__name__", repr(rule)))
        if any(r.name == label and r.rule is not rule for r in self.registrations()):
            raise ValueError(f"a rule named {label!r} is already registered; pass name=...")
        self._own.append(Registration(rule=rule, name=label, event=event, actions=actions))

    def registrations(self) -> Iterator[Registration]:
        """Yield every registration, composed routers' first, in registration order."""
        for router in self._routers:
            yield from router.registrations()
        yield from self._own

    def rules_for(self, event: HookEvent) -> list[Registration]:
        """Return the registrations that match `event`, in the order they will run.

        Rules named in the hook setting `disabled_rules` (list, or comma-separated) are skipped.
        """
        disabled = _disabled(event)
        return [r for r in self.registrations() if r.matches(event) and r.name not in disabled]

    def dispatch(self, event: HookEvent) -> Decision:
        """Run every matching rule in order and merge their decisions.

        A rule that raises does not stop the others: its failure becomes a document-level
        `error` message and an entry in `Decision.errors`.
        """
        return Decision.merge(*(_run(r, event) for r in self.rules_for(event)))


def _disabled(event: HookEvent) -> frozenset[str]:
    value = event.settings.get("disabled_rules")
    if isinstance(value, str):
        return frozenset(part.strip() for part in value.split(","))
    return (
        frozenset(v for v in value if isinstance(v, str))
        if isinstance(value, list)
        else frozenset()
    )


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
