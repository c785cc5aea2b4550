"""Reading `hook.toml`: what it may say, and the clear refusals of what it may not."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.hook_file import HookFileError, read_hook_file

GOOD = """
api_url = "http://127.0.0.1:8900/api/v1"
name = "Watchlist"
queues = [101, "Invoices"]
events = ["annotation_content.updated"]
token_owner = "demo@example.com"
active = true

[config]
url = "http://127.0.0.1:8000/hooks"
secret_env = "MY_SECRET"
timeout_s = 20

[settings]
watchlist = ["ACME LTD."]
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "hook.toml"
    path.write_text(text)
    return path


def test_a_full_file_is_read(tmp_path: Path) -> None:
    """Fields, config (without secret_env), settings and the secret's variable are kept."""
    spec = read_hook_file(_write(tmp_path, GOOD))
    assert spec.name == "Watchlist" and spec.api_url == "http://127.0.0.1:8900/api/v1"
    assert spec.fields["queues"] == [101, "Invoices"] and spec.fields["active"] is True
    assert spec.config == {"url": "http://127.0.0.1:8000/hooks", "timeout_s": 20}
    assert spec.settings == {"watchlist": ["ACME LTD."]} and spec.generate_schema
    assert spec.secret({"MY_SECRET": "s3cret,older"}) == "s3cret"
    with pytest.raises(HookFileError, match="MY_SECRET, which is not set"):
        spec.secret({})


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param('queues = [1]\n[config]\nurl = "http://x"', "name", id="no-name"),
        pytest.param('name = "h"', "[config]", id="no-config"),
        pytest.param(
            'name = "h"\n[config]\nurl = "http://x"\nsecret = "s"', "secret_env", id="secret"
        ),
        pytest.param(
            'name = "h"\nqueue = [1]\n[config]\nurl = "http://x"', "queue: unknown", id="typo"
        ),
        pytest.param(
            'name = "h"\n[config]\nurl = "http://x"\ntimeout_s = "5"', "timeout_s", id="type"
        ),
        pytest.param(
            'name = "h"\n[config]\nurl = "http://x"\nretries = 1', "retries", id="config-key"
        ),
        pytest.param(
            'name = "h"\nqueues = 101\n[config]\nurl = "http://x"', "queues", id="not-list"
        ),
        pytest.param(
            'name = "h"\nsettings_schema = "x"\n[config]\nurl = "http://x"',
            "settings_schema",
            id="schema",
        ),
        pytest.param('name = "h"\n[config\n', "not valid TOML", id="syntax"),
    ],
)
def test_bad_files_are_refused_naming_the_key(tmp_path: Path, text: str, words: str) -> None:
    """Each mistake raises HookFileError naming the file and what to change."""
    path = _write(tmp_path, text)
    with pytest.raises(HookFileError) as raised:
        read_hook_file(path)
    assert words in str(raised.value) and str(path) in str(raised.value)


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    """No hook.toml: a message, not a traceback."""
    with pytest.raises(HookFileError, match="no such file"):
        read_hook_file(tmp_path / "hook.toml")
