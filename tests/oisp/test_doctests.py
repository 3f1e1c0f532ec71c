"""The examples in the oisp docstrings are true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "oisp",
    "oisp.models",
    "oisp.protocol",
    "oisp.tokens",
    "oisp.client",
    "oisp.simulator",
    "oisp.__main__",
    "oisp.testing",
    "oisp.gateway",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.IGNORE_EXCEPTION_DETAIL)
    assert result.attempted > 0, f"{name} has no docstring examples"
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
