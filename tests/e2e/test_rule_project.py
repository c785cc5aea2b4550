"""A team's rule project, end to end, as the README's "From zero to a deployed rule" runs it.

The rule package, `hook.toml` and `.env` come from the README (ports swapped for free ones);
`rossum-hooks serve` runs as a real process in the project directory; the sandbox is a real
server on loopback; `hook apply`, `send`, `hook test` and `replay` are the CLI's own code.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.app import create_sandbox_app
from sandbox.server import add_arguments as add_sandbox_arguments
from sandbox.server import serving_in_thread, settings_from_args
from service import cli
from service.rules import load_rules
from tests.e2e.service_process import free_port, running_service, wait_for_lines
from tests.test_readme import code_blocks, section, write_named_blocks, write_rule_project

pytestmark = pytest.mark.e2e
ZERO = "From zero to a deployed rule"
README_SANDBOX, README_SERVICE = "http://127.0.0.1:8900", "http://127.0.0.1:8000"
REPO = Path(__file__).parents[2]


@pytest.fixture(autouse=True)
def _forget_rule_modules(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Undo what running the CLI in-process does: the project on sys.path, its modules."""
    monkeypatch.syspath_prepend(str(REPO))  # sys.path is restored as it was after the test
    yield
    for name in [m for m in sys.modules if m == "my_rules" or m.startswith("my_rules.")]:
        del sys.modules[name]


def _localised(text: str, sandbox_url: str, service_url: str) -> str:
    return text.replace(README_SANDBOX, sandbox_url).replace(README_SERVICE, service_url)


def _readme_commands(sandbox_url: str, service_url: str) -> dict[str, list[str]]:
    """Return the README section's `rossum-hooks send` and `hook test` lines, as argv lists."""
    shell = "\n".join(code_blocks(ZERO, "sh")).replace("\\\n", " ")
    found = {}
    for line in _localised(shell, sandbox_url, service_url).splitlines():
        words = shlex.split(line, comments=True)
        if words[:2] in (["rossum-hooks", w] for w in ("send", "hook", "replay")):
            found[" ".join(words[1:3])] = words[1:]
    return found


def _readme_sandbox_args() -> argparse.Namespace:
    """Return the options of the README's `rossum-hooks sandbox` line, as the CLI parses them."""
    line = next(
        line.strip()
        for block in code_blocks(ZERO, "sh")
        for line in block.splitlines()
        if line.strip().startswith("rossum-hooks sandbox")
    )
    parser = argparse.ArgumentParser()
    add_sandbox_arguments(parser)
    return parser.parse_args(shlex.split(line.rstrip("&"))[2:])


def _import_body() -> dict[str, object]:
    body = re.search(r"-d '(\{.*?\})'", section(ZERO), re.S)
    assert body is not None, "the README imports an invoice with curl -d '{...}'"
    data: dict[str, object] = json.loads(body.group(1))
    return data


def _labels(sandbox_url: str, annotation: dict[str, object]) -> list[str]:
    urls = annotation["labels"]
    assert isinstance(urls, list)
    return sorted(httpx.get(str(url), headers=_auth(sandbox_url)).json()["name"] for url in urls)


def _auth(sandbox_url: str) -> dict[str, str]:
    body = {"username": "demo@example.com", "password": "demo-password"}
    key = httpx.post(f"{sandbox_url}/api/v1/auth/login", json=body).json()["key"]
    return {"Authorization": f"Bearer {key}"}


def test_the_readme_rule_project_is_applied_served_and_labels_a_real_delivery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """hook apply creates the hook, serve runs the rule, a sandbox import gets its label."""
    project = tmp_path / "project"
    project.mkdir()
    write_rule_project(project)
    sandbox = create_sandbox_app(settings_from_args(_readme_sandbox_args()))
    with serving_in_thread(sandbox) as sandbox_url:
        port = free_port()
        service_url = f"http://127.0.0.1:{port}"
        named = {
            block.splitlines()[0]: _localised(block, sandbox_url, service_url)
            for block in (*code_blocks(ZERO, "toml"), *code_blocks(ZERO, "sh"))
        }
        hook_toml, env_file = named["# hook.toml"], named["# .env"]
        write_named_blocks(project, [hook_toml, env_file])
        secret = re.search(r"ROSSUM_HOOKS_WEBHOOK_SECRET=(\S+)", env_file)
        assert secret is not None
        monkeypatch.chdir(project)

        assert cli.main(["hook", "plan"]) == 1
        assert cli.main(["hook", "apply"]) == 0
        assert cli.main(["hook", "plan"]) == 0
        out = capsys.readouterr().out
        assert "Created hook 'Watchlist'" in out and "config.secret: set (not shown)" in out
        assert "is up to date" in out and secret.group(1) not in out

        with running_service({}, cwd=project, port=port) as (_, process):
            created = httpx.post(
                f"{sandbox_url}/api/v1/sandbox/import?wait=true", json=_import_body()
            )
            annotation = created.json()
            assert annotation["id"] == 3001  # the id the README's commands use
            assert _labels(sandbox_url, annotation) == ["watchlist"]
            assert "Acme Ltd. is on the watchlist" in str(annotation["messages"])

            commands = _readme_commands(sandbox_url, service_url)
            send = [*commands["send annotation_content.updated"], "--url", f"{service_url}/hooks"]
            assert cli.main(send) == 0
            sent = capsys.readouterr().out
            assert "HTTP 200" in sent and "labels: watchlist -> -" in sent
            assert cli.main(commands["hook test"]) == 0
            tested = capsys.readouterr().out
            assert "annotation_content.updated on" in tested
            assert "message warning on sender_name (" in tested and "Acme Ltd." in tested
            assert "labels: - -> watchlist" in tested
            wait_for_lines(project / "deliveries.jsonl", 3)
            process.terminate()
            process.wait(timeout=15)
            assert process.stderr is not None
            err = process.stderr.read().decode()
        assert "rules my_rules.watchlist:router (ROSSUM_HOOKS_RULES)" in err
        assert secret.group(1) not in err
        replay = [*_readme_commands(sandbox_url, service_url)["replay deliveries.jsonl"]]
        assert cli.main([*replay, "--no-progress"]) == 0
        assert "replayed 3 deliveries: 3 same" in capsys.readouterr().out


def test_the_image_runs_rules_mounted_on_its_rules_path(tmp_path: Path) -> None:
    """With the Dockerfile's PYTHONPATH, a package mounted there is what `serve` runs."""
    dockerfile = (REPO / "deploy" / "Dockerfile").read_text()
    rules_path = re.search(r"PYTHONPATH=(\S+)", dockerfile)
    assert rules_path is not None and rules_path.group(1) == "/opt/rossum-hooks/rules"
    mounted = tmp_path / rules_path.group(1).lstrip("/")
    mounted.mkdir(parents=True)
    write_rule_project(mounted)
    elsewhere = tmp_path / "var-lib-rossum-hooks"
    elsewhere.mkdir()
    env = {
        "PYTHONPATH": str(mounted),
        "ROSSUM_HOOKS_RULES": "my_rules.watchlist:router",
        "ROSSUM_HOOKS_ALLOW_UNSIGNED": "true",
    }
    with running_service(env, cwd=elsewhere) as (url, process):
        assert httpx.get(f"{url}/readyz").status_code == 200
        process.terminate()
        process.wait(timeout=15)
        assert process.stderr is not None
        assert "rules my_rules.watchlist:router" in process.stderr.read().decode()


def test_a_derived_image_installs_the_rule_package_as_an_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """deploy/Dockerfile.rules' install step, run on the README's rule project, adds its rule."""
    project = tmp_path / "src" / "rules"
    project.mkdir(parents=True)
    write_rule_project(project)
    deploy_readme = (REPO / "deploy" / "README.md").read_text()
    pyproject = re.search(r"```toml\n(.*?)```", deploy_readme, re.S)
    assert pyproject is not None
    (project / "pyproject.toml").write_text(re.sub(r"(?m)^ +", "", pyproject.group(1)))
    recipe = (REPO / "deploy" / "Dockerfile.rules").read_text()
    step = re.search(r"RUN (python -m pip install [^&\n]*?) /src/rules", recipe)
    assert step is not None
    site = tmp_path / "site-packages"
    command = [
        sys.executable,
        *shlex.split(step.group(1))[1:],
        "--no-build-isolation",  # offline: the build backend comes from this environment
        "--quiet",
        "--target",
        str(site),
        str(project),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    monkeypatch.syspath_prepend(str(site))
    loaded = load_rules(None)
    assert loaded.rule_names[-1] == "watchlist"
    assert "entry point 'watchlist' of my-rules" in loaded.sources[-1]
