"""End to end: real uvicorn servers on loopback, the sandbox delivering, the service acting."""

from __future__ import annotations

import io
from datetime import date

import pytest

from service.demo import run_demo

pytestmark = pytest.mark.e2e


async def test_demo_applies_every_shipped_rule_through_the_sandbox() -> None:
    """`rossum-hooks demo` exits 0 with every invoice labelled, messaged and normalised."""
    out = io.StringIO()
    code = await run_demo(out=out, rate_limit=0, today=date(2026, 11, 24))
    text = out.getvalue()
    assert code == 0, text
    assert "- -> expedite" in text
    assert "- -> missing-po" in text
    assert "- -> due-soon" in text
    assert "missing-po -> -" in text  # the reviewer filled the PO in: label taken back
    assert "due-soon -> -" in text
    assert "error: Line items add up to 900.00" in text
    totals_row = next(line for line in text.splitlines() if "totals-mismatch" in line)
    assert totals_row.split()[6] == "1"  # its automation blocker, as the sandbox stored it
    assert "warning: Purchase order number is missing." in text
    assert text.count("each as its case promises") == 2


async def test_demo_runs_other_rules_and_says_it_checks_nothing() -> None:
    """With rules other than the shipped ones the demo shows what they did, unchecked."""
    from service.rules import load_rules

    rules = load_rules(["tests.service.replay_rules:router"], entry_points=False)
    out = io.StringIO()
    code = await run_demo(rules=rules, out=out, rate_limit=0, today=date(2026, 11, 24))
    text = out.getvalue()
    assert code == 0, text
    assert text.count("not checked (the cases promise what the shipped rules do)") == 2
    assert "PROBLEM" not in text and "- -> missing-po" not in text
    assert "Replay test rule: every invoice is wrong." in text


def test_demo_refuses_rules_that_do_not_load(capsys: pytest.CaptureFixture[str]) -> None:
    """`demo --rules` with a wrong spec exits 2 before starting anything."""
    from service import cli

    assert cli.main(["demo", "--rules", "no_such_rules_here"]) == 2
    assert "no module named 'no_such_rules_here'" in capsys.readouterr().err
