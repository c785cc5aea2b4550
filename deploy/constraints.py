"""Write deploy/constraints.txt: every package the image installs, pinned to what pip resolves.

    python deploy/constraints.py        # from the repository root, after changing dependencies

pip resolves `.[redis]` (what the Dockerfile installs) without installing anything
(`pip install --dry-run --ignore-installed --report`), and each resolved distribution except
rossum-hooks itself becomes a `name==version` line. The Dockerfile builds with
`--constraint deploy/constraints.txt`, so an image built later gets the same versions.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "deploy" / "constraints.txt"
REQUIREMENT = ".[redis]"
HEADER = """\
# Exact versions of everything the image installs (rossum-hooks[redis] and its dependencies),
# as pip resolved them. Used by deploy/Dockerfile; regenerate with: python deploy/constraints.py
"""


def resolve() -> list[tuple[str, str]]:
    """Return (name, version) of every distribution pip would install for REQUIREMENT."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        pip = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed"]
        subprocess.run(
            [*pip, "--quiet", "--report", str(report), REQUIREMENT], cwd=ROOT, check=True
        )
        installed = json.loads(report.read_text())["install"]
    pins = {
        item["metadata"]["name"].lower().replace("_", "-"): item["metadata"]["version"]
        for item in installed
        if not item.get("requested")
    }
    return sorted(pins.items())


def main() -> int:
    """Resolve and write the constraints file."""
    pins = resolve()
    TARGET.write_text(HEADER + "".join(f"{name}=={version}\n" for name, version in pins))
    print(f"wrote {len(pins)} pins to {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
