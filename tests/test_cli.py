"""The command line dispatches to subcommand modules."""

from __future__ import annotations

import pytest

from service import cli


def test_help_lists_every_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    """`rossum-hooks --help` names each subcommand."""
    with pytest.raises(SystemExit) as exc:
        cli.main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
        assert name in out


def test_missing_subcommand_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """Running with no subcommand exits 2 with a usage message."""
    with pytest.raises(SystemExit) as exc:
        cli.main([])
    assert exc.value.code == 2
    assert "usage" in capsys.readouterr().err
