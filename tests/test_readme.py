"""The README's promises hold: its rule example and its test run as printed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"


def _python_blocks(section: str) -> list[str]:
    text = README.read_text()
    start = text.index(f"## {section}")
    end = text.find("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start : end if end > 0 else None], re.S)


def test_writing_a_rule_example_passes_its_own_test(tmp_path: Path) -> None:
    """The 'Writing a rule' rule and test, saved where their comments say, pass under pytest."""
    for block in _python_blocks("Writing a rule"):
        first = block.splitlines()[0]
        assert first.startswith("# "), f"README block does not name its file: {first!r}"
        path = tmp_path / first[2:].strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(block)
    (tmp_path / "my_rules" / "__init__.py").write_text("")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": f"{tmp_path}:{README.parent}", "PATH": ""},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
