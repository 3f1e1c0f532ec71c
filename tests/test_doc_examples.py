"""Every example of the README and the docs pages prints what the page says it prints.

A ```python block is an example; the ```text block after it (with nothing between them but
one paragraph starting with "prints") holds its exact output, and the example runs as written, over
loopback against the simulators, in a fresh interpreter. ``...`` in an output stands for any
text (a port, a time), as in doctest. A block that prints nothing says so with the HTML comment
``<!-- example: no output -->`` just above it; a test module for pytest with
``<!-- example: pytest -->`` (its output block is pytest's summary, without the time).

The notebook page (``docs/jupyter.md``) runs its blocks as the cells of one notebook in a real
Jupyter kernel (nbclient + ipykernel): a cell's output is what it prints and the value it ends
with. ```pycon blocks are doctests. Every ``iotws`` command line in a ```console or ```sh block
must parse with the command line of today (no flag that is gone).
"""

from __future__ import annotations

import doctest
import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted((ROOT / "docs" / "servers").glob("*.md"))]
NOTEBOOK = ROOT / "docs" / "jupyter.md"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
MARKER = re.compile(r"<!--\s*example:\s*(no output|pytest)\s*-->\s*$")
CHECKER = doctest.OutputChecker()


@dataclass(frozen=True)
class Example:
    """One ```python block and what it must print."""

    page: Path
    line: int
    code: str
    kind: str  # "script", "no output", "pytest", "cell"
    expected: str | None  # None: no output block (only a notebook cell may have none)

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(ROOT).as_posix()}:{self.line}"


def examples(page: Path) -> list[Example]:
    """The python blocks of ``page`` with their expected output (see the module docstring)."""
    text = page.read_text(encoding="utf-8")
    fences = list(FENCE.finditer(text))
    found = []
    for i, fence in enumerate(fences):
        if fence.group(1) != "python":
            continue
        before = text[: fence.start()].rstrip("\n").rsplit("\n", 1)[-1]
        marker = MARKER.search(before)
        kind = "cell" if page == NOTEBOOK else marker.group(1) if marker else "script"
        expected = None
        following = fences[i + 1] if i + 1 < len(fences) else None
        if following is not None and following.group(1) == "text":
            between = text[fence.end() : following.start()].strip()
            if not between or (between.startswith("prints") and "\n\n" not in between):
                expected = following.group(2)
        line = text.count("\n", 0, fence.start()) + 1
        found.append(Example(page, line, fence.group(2), kind, expected))
    return found


SCRIPTS = [e for page in PAGES if page != NOTEBOOK for e in examples(page)]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}


def _same(expected: str, got: str) -> None:
    if not CHECKER.check_output(expected, got, doctest.ELLIPSIS):
        example = doctest.Example("", expected)
        pytest.fail(CHECKER.output_difference(example, got, doctest.ELLIPSIS))


def test_every_example_says_what_it_prints() -> None:
    unchecked = [e.id for e in SCRIPTS if e.kind != "no output" and e.expected is None]
    assert unchecked == [], "a python block without its ```text output (or <!-- example: no output -->)"
    assert len(SCRIPTS) >= 30
    assert not [e.id for e in SCRIPTS if e.kind == "no output" and e.expected is not None]


@pytest.mark.parametrize("example", SCRIPTS, ids=[e.id for e in SCRIPTS])
def test_example_prints_what_the_page_says(example: Example, tmp_path: Path) -> None:
    if example.kind == "pytest":
        (tmp_path / "test_example.py").write_text(example.code, encoding="utf-8")
        (tmp_path / "pytest.ini").write_text(
            "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n", encoding="utf-8"
        )
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_example.py"],
            capture_output=True, text=True, timeout=120, cwd=tmp_path, env=_env(),
        )
        assert done.returncode == 0, done.stdout + done.stderr
        summary = re.sub(r" in [\d.]+s.*$", "", done.stdout.strip().splitlines()[-1])
        assert example.expected is not None
        _same(example.expected, summary + "\n")
        return
    done = subprocess.run(
        [sys.executable, "-c", example.code], capture_output=True, text=True, timeout=90, cwd=tmp_path, env=_env()
    )
    assert done.returncode == 0, done.stderr
    _same(example.expected or "", done.stdout)


# -- the notebook page, in a real kernel ---------------------------------------------------------


def _cell_output(cell: dict[str, object]) -> str:
    parts = []
    for output in cell["outputs"]:  # type: ignore[attr-defined]
        if output["output_type"] == "stream" and output["name"] == "stdout":
            parts.append(output["text"])
        elif output["output_type"] == "execute_result":
            parts.append(output["data"]["text/plain"] + "\n")
        elif output["output_type"] == "error":
            pytest.fail(f"cell raised {output['ename']}: {output['evalue']}\n" + "\n".join(output["traceback"]))
    return "".join(parts)


def test_the_notebook_page_runs_in_a_kernel_and_prints_what_it_says(tmp_path: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    cells = examples(NOTEBOOK)
    assert len(cells) >= 5 and sum(c.expected is not None for c in cells) >= 4
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(cell.code.rstrip("\n")) for cell in cells]
    client = nbclient.NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    for cell, ran in zip(cells, notebook.cells, strict=True):
        got = _cell_output(ran)
        if cell.expected is None:
            assert got == "", f"{cell.id} prints {got!r} but the page shows no output"
        else:
            _same(cell.expected, got)


# -- pycon blocks and command lines ----------------------------------------------------------------


@pytest.mark.parametrize("page", [p for p in PAGES if "```pycon" in p.read_text(encoding="utf-8")],
                         ids=lambda p: p.name)
def test_pycon_blocks_are_true(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    sessions = "\n".join(code for lang, code in FENCE.findall(text) if lang == "pycon")
    parser = doctest.DocTestParser()
    test = parser.get_doctest(sessions, {}, page.name, str(page), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.failures == 0 and runner.tries > 0


def command_lines(page: Path) -> list[list[str]]:
    """Every ``iotws ...`` / ``python -m iotws...`` line of the page's console and sh blocks, as argv."""
    found = []
    for lang, code in FENCE.findall(page.read_text(encoding="utf-8")):
        if lang not in ("console", "sh"):
            continue
        for line in code.replace("\\\n", " ").splitlines():
            line = line.strip().removeprefix("$ ")
            for part in re.split(r"\s(?:&&|\|)\s", line):
                argv = shlex.split(part, comments=True)
                if argv[:1] == ["eval"] or not argv:
                    continue
                if argv[0].endswith("iotws"):
                    found.append(argv[1:])
                elif argv[:2] == ["python", "-m"] and argv[2].startswith("iotws") and "..." not in argv:
                    protocol = argv[2].removeprefix("iotws").lstrip(".")
                    found.append(([protocol] if protocol else []) + argv[3:])
    return found


COMMANDS = [(page, argv) for page in PAGES for argv in command_lines(page)]


def test_the_pages_show_command_lines() -> None:
    assert len(COMMANDS) >= 30


@pytest.mark.parametrize(("page", "argv"), COMMANDS, ids=[f"{p.name}: {' '.join(a)}" for p, a in COMMANDS])
def test_every_command_line_parses(page: Path, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from iotws.cli import _protocol_modules, build_parser

    parser = build_parser(_protocol_modules())
    try:
        parser.parse_args(argv)
    except SystemExit as exc:
        pytest.fail(f"{page.name}: `iotws {' '.join(argv)}` does not parse ({exc.code}): {capsys.readouterr().err}")


# -- the server pages name the tests that pin each quirk down --------------------------------------

SERVER_PAGES = sorted((ROOT / "docs" / "servers").glob("*.md"))


@pytest.mark.parametrize("page", SERVER_PAGES, ids=lambda p: p.stem)
def test_every_test_a_server_page_names_exists(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    named = re.findall(r"`((?:tests/\w+/)?test_\w+\.py)(?:::(\w+))?`", text)
    assert len(named) >= 10
    for file, test in named:
        path = ROOT / file if file.startswith("tests/") else ROOT / "tests" / page.stem / file
        assert path.is_file(), f"{page.name}: {file} does not exist"
        if test:
            assert re.search(rf"^(async )?def {test}\(", path.read_text(encoding="utf-8"), re.M), (
                f"{page.name}: {file}::{test} does not exist"
            )
