"""Write every Python example of the README and the docs out as a module, for the type checkers.

CI runs ``mypy --strict`` and ``pyright`` (strict) on the folder this writes, so an
example that a user copies passes both checkers as written. Each fenced ``python``
block becomes one module named after its page and position
(``docs/evok.md`` block 2 -> ``docs_evok_2.py``). A block that is not meant to be a
whole program (a session transcript, a fragment) is fenced as ``pycon`` or ``text``.

A notebook page (:data:`NOTEBOOK_PAGES`) is a sequence of cells that share one kernel:
its blocks become one module, in order, and a cell that uses top-level ``await`` (as
Jupyter allows) becomes the body of an ``async def`` there, so it is checked too.

Usage::

    python scripts/doc_examples.py OUT_DIR [PAGE.md ...]

Examples:
    >>> blocks("Text\\n```python\\nprint(1)\\n```\\n")
    ['print(1)\\n']
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Pages whose blocks are the cells of one notebook.
NOTEBOOK_PAGES = ("docs/jupyter.md",)
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(markdown: str) -> list[str]:
    """The fenced ``python`` blocks of a Markdown text, in order."""
    return _BLOCK.findall(markdown)


def notebook(cells: list[str]) -> str:
    """One module of a notebook's cells; a cell with top-level ``await`` is wrapped in a coroutine.

    Examples:
        >>> print(notebook(["x = 1\\n", "await f(x)\\n"]), end="")
        x = 1
        <BLANKLINE>
        <BLANKLINE>
        async def cell_2() -> None:
            await f(x)
    """
    parts = []
    for number, cell in enumerate(cells, start=1):
        try:
            compile(cell, f"cell {number}", "exec")
        except SyntaxError:  # top-level await: valid in a notebook, not in a module
            body = "".join(f"    {line}" if line.strip() else line for line in cell.splitlines(keepends=True))
            cell = f"\n\nasync def cell_{number}() -> None:\n{body}"
        parts.append(cell)
    return "".join(parts)


def pages() -> list[Path]:
    """The README and every page of the docs."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def module_name(page: Path, index: int) -> str:
    """The module an example becomes: its page's path with underscores, and its number."""
    stem = page.relative_to(ROOT).with_suffix("").as_posix()
    return re.sub(r"\W", "_", stem).lower() + f"_{index}"


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    chosen = [Path(p).resolve() for p in argv[1:]] or pages()
    count = 0
    for page in chosen:
        found = blocks(page.read_text(encoding="utf-8"))
        if page.relative_to(ROOT).as_posix() in NOTEBOOK_PAGES:
            (out / f"{module_name(page, 1)}.py").write_text(notebook(found), encoding="utf-8")
            count += 1
            continue
        for index, code in enumerate(found, start=1):
            (out / f"{module_name(page, index)}.py").write_text(code, encoding="utf-8")
            count += 1
    print(f"doc_examples: {count} examples written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
