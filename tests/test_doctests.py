"""Every docstring example in the six packages is true (one runner for all of them)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

from iotws import PROTOCOLS

PACKAGES = ("iotws", *(f"iotws.{name}" for name in PROTOCOLS))


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        names.append(package)
        module = importlib.import_module(package)
        for info in pkgutil.iter_modules(module.__path__, prefix=f"{package}."):
            if not info.name.endswith("__main__"):
                names.append(info.name)
    return names


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.IGNORE_EXCEPTION_DETAIL)
    assert result.attempted > 0, f"{name} has no docstring examples"
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


@pytest.mark.parametrize("package", PACKAGES)
def test_command_line_module_examples(package: str) -> None:
    module = importlib.import_module(f"{package}.__main__")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.IGNORE_EXCEPTION_DETAIL)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {package}.__main__"
