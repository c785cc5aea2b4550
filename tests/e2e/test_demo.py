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
