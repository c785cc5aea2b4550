"""Deploy hygiene that can be checked without a Docker engine: compose grace periods, pinned
base images, the constraints file the image builds with, and the env file kept out of git."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
# uvicorn's graceful shutdown is the delivery deadline + 5 s (service/serve.py); the deadline
# itself may be configured up to its maximum.
MAX_DEADLINE_S = next(
    m.le for m in Settings.model_fields["delivery_deadline_s"].metadata if hasattr(m, "le")
)
DRAIN_S = MAX_DEADLINE_S + 5


def _seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+)(ms|s|m)", value)
    assert match, f"unreadable duration {value!r}"
    number, unit = int(match[1]), match[2]
    return number / 1000 if unit == "ms" else number * (60 if unit == "m" else 1)


def _compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_gives_deliveries_longer_than_the_deadline_to_drain() -> None:
    """Both the service and the proxy in front wait longer than the longest drain on stop."""
    services = _compose()["services"]
    for name in ("hooks", "proxy"):
        grace = services[name].get("stop_grace_period")
        assert grace is not None, f"{name}: Docker's default 10 s kills in-flight deliveries"
        assert _seconds(grace) > DRAIN_S, f"{name}: {grace} <= {DRAIN_S} s"
    caddy = re.search(r"grace_period (\S+)", (DEPLOY / "Caddyfile").read_text())
    assert caddy is not None and _seconds(caddy[1]) > DRAIN_S


def test_caddy_bounds_client_connections() -> None:
    """The proxy has header and body read timeouts and a header size cap of its own."""
    caddyfile = (DEPLOY / "Caddyfile").read_text()
    for directive in ("read_header", "read_body", "idle", "max_header_size"):
        assert re.search(rf"^\s*{directive} \S+", caddyfile, re.M), directive


def _pinned(image: str) -> bool:
    return "@sha256:" in image or re.search(r":\d+\.\d+\.\d+", image) is not None


def test_base_images_are_pinned_to_exact_releases() -> None:
    """Every image (compose, Dockerfile) names an exact release or a digest, never `:2`."""
    images = [s["image"] for s in _compose()["services"].values() if "image" in s]
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    images += re.findall(r"^FROM (\S+)", dockerfile, re.M)
    assert len(images) >= 3
    assert [i for i in images if not _pinned(i)] == []


def _constraints() -> dict[str, str]:
    pins = {}
    for line in (DEPLOY / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line!r}"
            pins[canonicalize_name(name)] = version
    return pins


def test_the_image_builds_from_the_constraints_file() -> None:
    """Both Dockerfile stages install with deploy/constraints.txt."""
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "COPY deploy/constraints.txt" in dockerfile
    joined = dockerfile.replace("\\\n", " ")  # continuation lines as one command
    installs = re.findall(r"pip (?:wheel|install)[^\n]*", joined)
    assert len(installs) == 2 and all("--constraint" in cmd for cmd in installs), installs


def test_constraints_pin_every_runtime_dependency_within_its_range() -> None:
    """Each dependency of rossum-hooks[redis] is pinned, to a version pyproject allows."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    required = [Requirement(r) for r in project["dependencies"]]
    required += [Requirement(r) for r in project["optional-dependencies"]["redis"]]
    pins = _constraints()
    for requirement in required:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not pinned; run python deploy/constraints.py"
        assert requirement.specifier.contains(pins[name], prereleases=True), (name, pins[name])


def test_the_filled_in_env_file_is_ignored_by_git() -> None:
    """`git add -A` cannot commit deploy/rossum-hooks.env; the example stays tracked."""

    def ignored(path: str) -> bool:
        check = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, check=False)
        return check.returncode == 0

    assert ignored("deploy/rossum-hooks.env")
    assert not ignored("deploy/rossum-hooks.env.example")
