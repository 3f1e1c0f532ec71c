"""The examples in the common layer's docstrings are true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "common",
    "common.errors",
    "common.events",
    "common.options",
    "common.backoff",
    "common.logs",
    "common.sansio",
    "common.liveness",
    "common.commands",
    "common.dispatch",
    "common.sync_driver",
    "common.async_driver",
    "common.client",
    "common.simulator",
    "common.cli",
    "common.testing",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.IGNORE_EXCEPTION_DETAIL)
    assert result.attempted > 0, f"{name} has no docstring examples"
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
