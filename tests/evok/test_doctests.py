"""The examples in the evok docstrings are true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "evok",
    "evok.models",
    "evok.protocol",
    "evok.client",
    "evok.simulator",
    "evok.testing",
    "evok.__main__",
]


@pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.IGNORE_EXCEPTION_DETAIL)
    assert result.attempted > 0, f"{name} has no docstring examples"
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
