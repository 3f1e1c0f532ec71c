"""Write every Python example of the README and the docs out as a module, for the type checkers.

CI runs ``mypy --strict`` and ``pyright`` (strict) on the folder this writes, so an
example that a user copies passes both checkers as written. Each fenced ``python``
block becomes one module named after its page and position
(``docs/evok.md`` block 2 -> ``docs_evok_2.py``). A block that is not meant to be a
whole program (a session transcript, a fragment) is fenced as ``pycon`` or ``text``.

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
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(markdown: str) -> list[str]:
    """The fenced ``python`` blocks of a Markdown text, in order."""
    return _BLOCK.findall(markdown)


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
        for index, code in enumerate(blocks(page.read_text(encoding="utf-8")), start=1):
            (out / f"{module_name(page, index)}.py").write_text(code, encoding="utf-8")
            count += 1
    print(f"doc_examples: {count} examples written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
