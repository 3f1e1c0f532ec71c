"""The Python examples in README.md print what the README says they print.

Each ```python block is followed by a ```text block holding its exact output; the
example runs as written (against the built-in simulators) and its output must match.
"""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import pytest

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
EXAMPLES = re.findall(
    r"```python\n(.*?)```\n+[^`]*?```text\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S
)


def test_every_readme_example_has_its_output() -> None:
    blocks = re.findall(r"```python\n", README.read_text(encoding="utf-8"))
    assert len(EXAMPLES) == len(blocks) >= 2


@pytest.mark.parametrize(("code", "expected"), EXAMPLES, ids=[f"example{i}" for i in range(len(EXAMPLES))])
def test_readme_example_prints_what_the_readme_says(code: str, expected: str) -> None:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected
