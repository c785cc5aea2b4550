"""The `rossum-hooks serve` command: configuration checks before uvicorn starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from service import serve
from service.cli import main


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # setenv first so that monkeypatch restores (deletes) what `serve` itself sets.
    for name in ("WEBHOOK_SECRET", "ALLOW_UNSIGNED", "LOG_LEVEL", "RECORD_PATH"):
        monkeypatch.setenv(f"ROSSUM_HOOKS_{name}", "")
        monkeypatch.delenv(f"ROSSUM_HOOKS_{name}")


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("uvicorn.run", lambda app, **kw: calls.append({"app": app, **kw}))
    return calls


def test_refuses_to_start_without_secret(
    capsys: pytest.CaptureFixture[str], uvicorn_calls: list[dict[str, Any]]
) -> None:
    """With no secret and no --allow-unsigned, serve exits 2 with a message naming the fix."""
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "ROSSUM_HOOKS_WEBHOOK_SECRET" in err and "ALLOW_UNSIGNED" in err
    assert uvicorn_calls == []


def test_allow_unsigned_flag_starts_uvicorn_with_the_factory(
    uvicorn_calls: list[dict[str, Any]],
) -> None:
    """--allow-unsigned starts uvicorn on the app factory with the given host and port."""
    assert main(["serve", "--allow-unsigned", "--port", "9123", "--log-level", "debug"]) == 0
    (call,) = uvicorn_calls
    assert call["app"] == serve.APP_FACTORY and call["factory"] is True
    assert (call["host"], call["port"], call["log_level"]) == ("127.0.0.1", 9123, "debug")
    assert call["access_log"] is False and call["log_config"] is None


def test_invalid_setting_is_reported_without_its_value(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    uvicorn_calls: list[dict[str, Any]],
) -> None:
    """A malformed setting names the variable and exits 2."""
    monkeypatch.setenv("ROSSUM_HOOKS_WEBHOOK_SECRET", "s")
    monkeypatch.setenv("ROSSUM_HOOKS_DELIVERY_DEADLINE_S", "soon")
    assert main(["serve"]) == 2
    assert "ROSSUM_HOOKS_DELIVERY_DEADLINE_S" in capsys.readouterr().err
    assert uvicorn_calls == []


def test_recording_with_several_workers_is_refused(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    uvicorn_calls: list[dict[str, Any]],
) -> None:
    """Recording needs one writer per file, so --workers 2 with RECORD_PATH is refused."""
    monkeypatch.setenv("ROSSUM_HOOKS_WEBHOOK_SECRET", "s")
    monkeypatch.setenv("ROSSUM_HOOKS_RECORD_PATH", str(tmp_path / "r.jsonl"))
    assert main(["serve", "--workers", "2"]) == 2
    assert "single worker" in capsys.readouterr().err
