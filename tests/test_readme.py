"""The README's promises hold: its rule example and its tests run as printed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).parents[1] / "README.md"


def section(title: str) -> str:
    """Return the text of the README section `## title` (up to the next `## `)."""
    text = README.read_text()
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def code_blocks(title: str, language: str) -> list[str]:
    """Return the `language` code blocks of a README section, indentation removed."""
    blocks = re.findall(rf"( *)```{language}\n(.*?)```", section(title), re.S)
    return [re.sub(rf"(?m)^{indent}", "", body) for indent, body in blocks]


def write_named_blocks(root: Path, blocks: list[str]) -> list[Path]:
    """Save each block where its first line (`# path`) says; return the paths."""
    paths = []
    for block in blocks:
        first = block.splitlines()[0]
        assert first.startswith("# "), f"README block does not name its file: {first!r}"
        path = root / first[2:].strip()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(block)
        paths.append(path)
    return paths


def write_rule_project(root: Path) -> None:
    """Write the 'Writing a rule' files (rule, conftest, tests) into `root`."""
    write_named_blocks(root, code_blocks("Writing a rule", "python"))
    (root / "my_rules" / "__init__.py").write_text("")


def test_writing_a_rule_example_passes_under_plain_pytest(tmp_path: Path) -> None:
    """The README's rule and tests, saved where their comments say, pass under plain `pytest`.

    No `pythonpath` setting, no PYTHONPATH, no ini file: pytest-asyncio in its default strict
    mode, run from a fresh directory as a rule author would.
    """
    write_rule_project(tmp_path)
    pytest = Path(sys.executable).parent / "pytest"
    result = subprocess.run(
        [str(pytest), "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
    assert "warning" not in result.stdout.lower()
