"""The command line dispatches to subcommand modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from service import cli
from service.serve import load_settings
from service.settings import ConfigError


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


def test_version_is_printed(capsys: pytest.CaptureFixture[str]) -> None:
    """`rossum-hooks --version` names the installed version."""
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"rossum-hooks {cli.version()}"
    assert cli.version() == "0.1.0"


@pytest.fixture
def serve_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Run `serve` in an empty directory; the variables it sets are restored afterwards.

    `setenv` then `delenv` records each variable as unset, so monkeypatch removes whatever
    `serve` puts there when the test ends.
    """
    for name in ("RULES", "ENV_FILE", "LOG_LEVEL", "ALLOW_UNSIGNED", "WEBHOOK_SECRET", "DRY_RUN"):
        monkeypatch.setenv(f"ROSSUM_HOOKS_{name}", "")
        monkeypatch.delenv(f"ROSSUM_HOOKS_{name}")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_serve_refuses_wrong_rules_before_starting(
    serve_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A spec that does not load stops `serve` with exit 2 and a message; no server starts."""
    status = cli.main(["serve", "--allow-unsigned", "--rules", "nowhere_rules:router"])
    assert status == 2
    err = capsys.readouterr().err
    assert "rossum-hooks serve: rules 'nowhere_rules:router' (from ROSSUM_HOOKS_RULES)" in err
    assert "no module named 'nowhere_rules'" in err


def test_serve_reads_dotenv_and_the_environment_wins(
    serve_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`.env` in the current directory fills in settings; real variables override it."""
    (serve_env / ".env").write_text(
        "ROSSUM_HOOKS_WEBHOOK_SECRET=from-dotenv\n"
        "ROSSUM_HOOKS_RULES=handlers.rules:router,team:router\n"
        "ROSSUM_HOOKS_DRY_RUN=true\n"
    )
    monkeypatch.setenv("ROSSUM_HOOKS_DRY_RUN", "false")
    settings = load_settings()
    assert settings.webhook_secrets() == ("from-dotenv",)
    assert settings.rules == ("handlers.rules:router", "team:router")
    assert settings.dry_run is False
    monkeypatch.setenv("ROSSUM_HOOKS_ENV_FILE", str(serve_env / "missing.env"))
    with pytest.raises(ConfigError, match="no such file"):
        load_settings()
