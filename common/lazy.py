"""Names a package exports but loads on first use (PEP 562), so that importing it stays cheap.

The protocol packages export their simulators this way: ``from iotws.evok import
EvokSimulator`` works, but ``import iotws.evok`` alone does not load the simulator
(an aiohttp web server). Type checkers see the names through ``TYPE_CHECKING``
imports next to the call; at run time the package's ``__getattr__`` imports the
module that defines a name the first time it is asked for.

Examples:
    >>> import sys
    >>> getattr_, dir_ = lazy_exports("demo", {"OrderedDict": "collections"})
    >>> getattr_("OrderedDict").__name__
    'OrderedDict'
    >>> getattr_("Missing")
    Traceback (most recent call last):
    ...
    AttributeError: module 'demo' has no attribute 'Missing'
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping

__all__ = ["lazy_exports"]


def lazy_exports(package: str, exports: Mapping[str, str]) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """Return ``(__getattr__, __dir__)`` for ``package``: ``exports`` maps a name to its defining module.

    A loaded name is stored in the package's namespace, so later lookups cost nothing.
    ``__dir__`` lists the lazy names too (for tab completion in a notebook).

    Examples:
        >>> getattr_, dir_ = lazy_exports("demo", {"Fraction": "fractions"})
        >>> "Fraction" in dir_()
        True
    """
    table = dict(exports)

    def __getattr__(name: str) -> object:
        module_name = table.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module_name), name)
        namespace = sys.modules.get(package)
        if namespace is not None:
            setattr(namespace, name, value)
        return value

    def __dir__() -> list[str]:
        namespace = sys.modules.get(package)
        names = set(vars(namespace)) if namespace is not None else set()
        return sorted(names | set(table))

    return __getattr__, __dir__
