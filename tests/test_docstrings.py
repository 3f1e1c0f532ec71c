"""Docstrings are written for the mkdocs reference and for help(): links resolve, examples run.

* No Sphinx role (``:class:`X```) is left: mkdocs would show it as raw text. Cross-references
  are written as ``[`Name`][iotws.module.Name]`` (autorefs), which reads as plain text too.
* Every cross-reference names an object that exists, also in modules the reference does not
  render (the strict docs build checks the rendered ones).
* The example test of each protocol's ``fixtures`` module passes when pytest runs it.
* The ``>>>`` examples of attribute docstrings (the string after an assignment, which
  the reference shows and ``doctest`` cannot see) print what they say.

The ``>>>`` examples of every module, class and function run in ``tests/test_doctests.py``.
"""

from __future__ import annotations

import ast
import doctest
import importlib
import inspect
import itertools
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from iotws import PROTOCOLS

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("common", *PROTOCOLS)
SOURCES = sorted(path for folder in FOLDERS for path in (ROOT / folder).rglob("*.py"))

_ROLE = re.compile(r":(?:py:)?(?:class|meth|func|attr|exc|data|mod|obj|const):`[^`]+`")
_XREF = re.compile(r"\[`([^`\]]+)`\]\[([\w.]*)\]")


def _module_of(path: Path) -> str:
    top, *inner = path.relative_to(ROOT).with_suffix("").parts
    parts = ["iotws"] if top == "common" else ["iotws", top]
    parts += inner
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _references() -> list[tuple[str, str]]:
    """(where, identifier) of every cross-reference in the sources."""
    found = []
    for path in SOURCES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for title, identifier in _XREF.findall(line):
                found.append((f"{path.relative_to(ROOT)}:{number}", identifier or title))
    return found


def _has_attribute(owner: object, name: str) -> bool:
    """Whether ``name`` is an attribute of a class or module, declared without a value at class level too."""
    if hasattr(owner, name):
        return True
    if isinstance(owner, ModuleType):
        return name in getattr(owner, "__annotations__", {})
    if not isinstance(owner, type):
        return False
    for klass in owner.__mro__:
        if name in vars(klass).get("__annotations__", {}) or name in getattr(klass, "__struct_fields__", ()):
            return True
        try:
            source = inspect.getsource(klass)
        except (OSError, TypeError):
            continue
        if re.search(rf"\bself\.{re.escape(name)}\s*(?::[^=\n]+)?=", source):
            return True
    return False


def _resolves(identifier: str) -> bool:
    parts = identifier.split(".")
    if parts[0] != "iotws":
        return False
    owner: object = None
    for end in range(len(parts), 0, -1):
        try:
            owner = importlib.import_module(".".join(parts[:end]))
        except ImportError:
            continue
        rest = parts[end:]
        break
    else:
        return False
    for index, name in enumerate(rest):
        if index == len(rest) - 1:
            return _has_attribute(owner, name)
        try:
            owner = getattr(owner, name)
        except AttributeError:
            return False
    return True


def test_no_sphinx_role_is_left() -> None:
    left = [
        f"{path.relative_to(ROOT)}:{number}: {role}"
        for path in SOURCES
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        for role in _ROLE.findall(line)
    ]
    assert left == []


def test_the_role_pattern_finds_roles() -> None:
    assert _ROLE.findall("see :class:`~iotws.Client` and :py:meth:`close`, not ``a:b`` or :class:") == [
        ":class:`~iotws.Client`",
        ":py:meth:`close`",
    ]


def test_every_cross_reference_names_an_object() -> None:
    references = _references()
    assert len(references) > 400
    broken = [f"{where}: {identifier}" for where, identifier in references if not _resolves(identifier)]
    assert broken == []


@pytest.mark.parametrize(
    ("identifier", "resolves"),
    [
        ("iotws.globiots.Client.subscribe", True),  # a method
        ("iotws.farmws.SensorState.problem", True),  # an attrs field
        ("iotws.globiots.RealtimeUpdate.values", True),  # a msgspec field
        ("iotws.farmws.DeviceCore.config", True),  # set in __init__
        ("iotws.codec", True),  # a module
        ("iotws.globiots.Client.subscrbe", False),
        ("iotws.globiots.Nothing", False),
        ("iotws.nothing", False),
        ("Client", False),  # not a full path
    ],
)
def test_the_resolver_tells_real_objects(identifier: str, resolves: bool) -> None:
    assert _resolves(identifier) is resolves


def _fixture_examples() -> list[tuple[str, str]]:
    examples = []
    for protocol in PROTOCOLS:
        doc = importlib.import_module(f"iotws.{protocol}.fixtures").__doc__ or ""
        blocks = re.findall(r"```python\n(.*?)```", doc, flags=re.S)
        assert len(blocks) == 1, f"iotws.{protocol}.fixtures: expected one example test, found {len(blocks)}"
        examples.append((protocol, blocks[0]))
    return examples


@pytest.mark.timeout(300)
@pytest.mark.parametrize(("protocol", "code"), _fixture_examples(), ids=[name for name in PROTOCOLS])
def test_the_fixture_example_test_passes(protocol: str, code: str, tmp_path: Path) -> None:
    test_file = tmp_path / f"test_{protocol}_example.py"
    test_file.write_text("import pytest\n\n" + code, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert re.search(r"\b1 passed\b", done.stdout), done.stdout[-3000:]


def _attribute_docstrings() -> list[tuple[str, str, str, int]]:
    """(module, attribute, docstring, line) of every attribute docstring that has a ``>>>`` example."""
    found = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bodies: list[tuple[str, list[ast.stmt]]] = [("", tree.body)]
        bodies += [(f"{node.name}.", node.body) for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
        for prefix, body in bodies:
            for statement, following in itertools.pairwise(body):
                if not isinstance(statement, ast.Assign | ast.AnnAssign):
                    continue
                if not (isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)):
                    continue
                doc = following.value.value
                target = statement.targets[0] if isinstance(statement, ast.Assign) else statement.target
                if isinstance(doc, str) and ">>>" in doc and isinstance(target, ast.Name):
                    found.append((_module_of(path), prefix + target.id, doc, following.lineno))
    return found


ATTRIBUTE_DOCS = _attribute_docstrings()


def test_attribute_docstring_examples_are_found() -> None:
    assert {"iotws.codec.Value", "iotws.codec.FLOAT32_MAX"} <= {f"{m}.{a}" for m, a, _, _ in ATTRIBUTE_DOCS}


@pytest.mark.parametrize(
    ("module", "attribute", "doc", "line"), ATTRIBUTE_DOCS, ids=[f"{m}.{a}" for m, a, _, _ in ATTRIBUTE_DOCS]
)
def test_attribute_docstring_examples(module: str, attribute: str, doc: str, line: int) -> None:
    globs = dict(vars(importlib.import_module(module)))
    test = doctest.DocTestParser().get_doctest(doc, globs, f"{module}.{attribute}", module, line)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.IGNORE_EXCEPTION_DETAIL)
    result = runner.run(test)
    assert result.attempted > 0 and result.failed == 0
