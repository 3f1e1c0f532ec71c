"""The maintenance scripts: the sync-client generator and its check, the docs-example extractor."""

from __future__ import annotations

import doctest
import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ("unasync", "doc_examples", "verifytypes")


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_script_{name}", ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", SCRIPTS)
def test_script_examples(name: str) -> None:
    result = doctest.testmod(_script(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_every_generated_client_is_up_to_date(capsys: pytest.CaptureFixture[str]) -> None:
    unasync = _script("unasync")
    assert unasync.main(["--check"]) == 0, capsys.readouterr().out


def test_the_check_fails_when_a_source_changed_without_regenerating(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unasync = _script("unasync")
    for name in ("async_client.py", "client.py"):
        (tmp_path / "globiots").mkdir(exist_ok=True)
        shutil.copy(ROOT / "globiots" / name, tmp_path / "globiots" / name)
    unasync.ROOT = tmp_path
    assert unasync.main(["--check", "globiots"]) == 0
    source = tmp_path / "globiots" / "async_client.py"
    source.write_text(source.read_text().replace("returns the first push", "returns the first update"))
    assert unasync.main(["--check", "globiots"]) == 1
    out = capsys.readouterr()
    assert "+" in out.out and "returns the first update" in out.out and "is stale" in out.err
    assert unasync.main(["globiots"]) == 0
    assert "returns the first update" in (tmp_path / "globiots" / "client.py").read_text()
    assert unasync.main(["--check", "globiots"]) == 0


def test_generated_text_is_the_sync_twin_of_the_source() -> None:
    unasync = _script("unasync")
    source = (
        "# unasync: ('one task per link', 'a thread per link')\n"
        "import asyncio\n"
        "class AsyncThing(AsyncClientBase[Core, Event]):\n"
        '    """The asyncio thing: one task per link (aiohttp).\n\n'
        "    Examples:\n"
        "        >>> import asyncio\n"
        "        >>> asyncio.run(main(url))\n"
        '    """\n'
        "    async def go(self) -> None:\n"
        "        async with self._lock:\n"
        "            await self._execute(Go())\n"
    )
    assert unasync.unasync(source) == (
        "import threading\n"
        "class Thing(SyncClientBase[Core, Event]):\n"
        '    """The synchronous thing: a thread per link (websocket-client).\n\n'
        "    Examples:\n"
        "        >>> main(url)\n"
        '    """\n'
        "    def go(self) -> None:\n"
        "        with self._lock:\n"
        "            self._execute(Go())\n"
    )


def test_doc_examples_are_written_one_module_per_block(tmp_path: Path) -> None:
    extractor = _script("doc_examples")
    page = tmp_path / "page.md"
    page.write_text("# P\n```python\nx = 1\n```\ntext\n```pycon\n>>> 1\n```\n```python\ny = 2\n```\n")
    assert extractor.blocks(page.read_text()) == ["x = 1\n", "y = 2\n"]
    assert len(extractor.blocks((ROOT / "README.md").read_text())) >= 2
