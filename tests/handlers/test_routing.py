"""Registering rules, composing routers, and dispatching events to them."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from handlers.decision import Decision, info
from handlers.events import AnnotationContentEvent, HookEvent
from handlers.routing import Router
from handlers.testing import assert_message, build_content_event, build_status_event


def _label(name: str) -> Callable[[HookEvent], Decision]:
    def rule(event: HookEvent) -> Decision:
        return Decision(add_labels={name}, messages=[info(name)])

    rule.__name__ = name
    return rule


def test_rules_run_in_registration_order_and_merge() -> None:
    """Matching rules run in the order registered; their decisions are merged."""
    router = Router()
    router.add(_label("first"), "annotation_content")
    router.add(_label("second"), "annotation_content", "updated")
    decision = router.dispatch(build_content_event("updated"))
    assert [m.content for m in decision.messages] == ["first", "second"]
    assert decision.add_labels == {"first", "second"}
    assert decision.rules_fired == ("first", "second")


def test_action_filters() -> None:
    """A rule runs for its event and listed actions only; None means every action."""
    router = Router()
    router.add(_label("any"), "annotation_content")
    router.add(_label("some"), "annotation_content", ("initialize", "confirm"))
    router.add(_label("status"), "annotation_status", "changed")

    def fired(event: HookEvent) -> tuple[str, ...]:
        return tuple(router.dispatch(event).rules_fired)

    assert fired(build_content_event("confirm")) == ("any", "some")
    assert fired(build_content_event("export")) == ("any",)
    assert fired(build_status_event()) == ("status",)


def test_updated_rule_receives_user_update_payloads() -> None:
    """A rule registered for `updated` also runs for deprecated `user_update` deliveries."""
    router = Router()
    router.add(_label("on_update"), "annotation_content", "updated")
    event = build_content_event("user_update")
    assert event.raw_action == "user_update"
    assert router.dispatch(event).rules_fired == ("on_update",)


def test_decorator_registers_and_returns_the_rule() -> None:
    """`@router.register` leaves the function callable as before."""
    router = Router()

    @router.register("annotation_content", action="updated", name="custom")
    def rule(event: AnnotationContentEvent) -> Decision:
        return Decision(add_labels={"x"})

    assert rule(build_content_event()).add_labels == {"x"}
    assert [r.name for r in router.registrations()] == ["custom"]


def test_composed_routers_run_before_own_rules_in_order() -> None:
    """`Router(a, b)` runs a's rules, then b's, then its own; later registrations are seen."""
    a, b = Router(), Router()
    a.add(_label("a1"), "annotation_content")
    app = Router(a, b)
    app.add(_label("own"), "annotation_content")
    b.add(_label("b1"), "annotation_content")  # registered after composition
    assert app.dispatch(build_content_event()).rules_fired == ("a1", "b1", "own")


def test_empty_or_none_decisions_do_not_count_as_fired() -> None:
    """Rules returning None or an empty Decision are not listed in `rules_fired`."""
    router = Router()
    router.add(lambda e: None, "annotation_content", name="silent")
    router.add(lambda e: Decision(), "annotation_content", name="empty")
    decision = router.dispatch(build_content_event())
    assert decision.is_empty
    assert decision.rules_fired == ()


def test_failing_rule_becomes_an_error_message_and_others_still_run() -> None:
    """A raising rule yields a document-level error naming it; the other rules still apply."""
    router = Router()

    def broken(event: HookEvent) -> Decision:
        raise ZeroDivisionError("division by zero")

    router.add(broken, "annotation_content")
    router.add(_label("healthy"), "annotation_content")
    decision = router.dispatch(build_content_event())
    message = assert_message(decision, type="error", contains="'broken' failed")
    assert message.id is None
    assert "ZeroDivisionError" in message.content
    assert [(f.rule, f.error_type) for f in decision.errors] == [("broken", "ZeroDivisionError")]
    assert decision.add_labels == {"healthy"}
    assert decision.rules_fired == ("healthy",)


def test_rule_returning_something_else_is_reported() -> None:
    """A rule returning a non-Decision is treated as a failure, not silently ignored."""
    router = Router()
    router.add(lambda e: {"labels": ["x"]}, "annotation_content", name="sloppy")  # type: ignore[arg-type, return-value]
    decision = router.dispatch(build_content_event())
    assert decision.errors[0].error_type == "TypeError"
    assert "expected Decision or None" in decision.errors[0].error


def test_duplicate_rule_names_are_refused() -> None:
    """Two different rules with one name would be indistinguishable in logs: refused."""
    router = Router()
    router.add(_label("x"), "annotation_content")
    with pytest.raises(ValueError, match="'x' is already registered"):
        router.add(_label("x"), "annotation_status")


def test_disabled_rules_setting_skips_rules() -> None:
    """Rules named in the hook setting `disabled_rules` do not run."""
    router = Router()
    router.add(_label("a"), "annotation_content")
    router.add(_label("b"), "annotation_content")
    router.add(_label("c"), "annotation_content")
    as_list = build_content_event(settings={"disabled_rules": ["a"]})
    as_text = build_content_event(settings={"disabled_rules": "a, c"})
    assert router.dispatch(as_list).rules_fired == ("b", "c")
    assert router.dispatch(as_text).rules_fired == ("b",)
