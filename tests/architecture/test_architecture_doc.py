"""ARCHITECTURE.md's worked example: the forty-line strategy and its use run as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", (ROOT / "ARCHITECTURE.md").read_text(), re.S)


def test_the_worked_example_is_forty_lines_or_fewer_of_blocks() -> None:
    strategy = python_blocks()[0]
    assert len(strategy.strip().splitlines()) <= 40
    assert "run.generate(" not in strategy and "client" not in strategy  # only blocks and the run


def test_the_worked_example_runs_as_written() -> None:
    # a fresh interpreter: the example registers its strategy, which must not leak into other tests
    code = "\n\n".join(python_blocks())
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
