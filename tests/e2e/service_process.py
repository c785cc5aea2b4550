"""Run `rossum-hooks serve` as a real uvicorn process on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    """Return a free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


CONSOLE_SCRIPT = Path(sys.executable).parent / "rossum-hooks"


@contextmanager
def running_service(
    env: Mapping[str, str],
    args: Sequence[str] = (),
    *,
    cwd: Path | None = None,
    port: int | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start the service with `env` added to the environment (and `args` on its command
    line); yield its URL and process.

    With `cwd`, the installed `rossum-hooks` script runs there, as a user starts it.
    """
    port = port or free_port()
    command = [str(CONSOLE_SCRIPT)] if cwd else [sys.executable, "-m", "service.cli"]
    process = subprocess.Popen(
        [*command, "serve", "--port", str(port), *args],
        env={**os.environ, "ROSSUM_HOOKS_LOG_FORMAT": "json", **env},
        stderr=subprocess.PIPE,
        cwd=cwd,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        yield url, process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


@contextmanager
def running_services(envs: Sequence[Mapping[str, str]]) -> Iterator[list[str]]:
    """Start one service per env at once (not one after another); yield their URLs."""
    started: list[tuple[str, subprocess.Popen[bytes]]] = []
    try:
        for env in envs:
            port = free_port()
            process = subprocess.Popen(
                [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
                env={**os.environ, "ROSSUM_HOOKS_LOG_FORMAT": "json", **env},
                stderr=subprocess.DEVNULL,
            )
            started.append((f"http://127.0.0.1:{port}", process))
        for url, process in started:
            _wait_ready(url, process)
        yield [url for url, _ in started]
    finally:
        for _, process in started:
            if process.poll() is None:
                process.kill()
                process.wait()


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{url}/readyz").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    _, err = process.communicate()
    raise RuntimeError(f"service did not start: {(err or b'').decode()}")


def wait_for_lines(path: Path, count: int) -> None:
    """Wait until the recorder's thread has written `count` lines (it runs off the answer)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().splitlines()) >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"{path} did not reach {count} lines")
