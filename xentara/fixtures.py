"""Pytest fixtures for testing code that talks to Xentara, without hardware.

Loaded automatically by the iotws pytest plugin.

Examples:
    >>> def test_my_app(xentara_simulator):
    ...     from iotws.xentara import Client
    ...     with Client(xentara_simulator.url()) as client:
    ...         assert client.read_value("Group 1.Setpoint") == 50.0
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from iotws.xentara.simulator import XentaraSimulator

__all__ = ["xentara_simulator"]


@pytest.fixture
def xentara_simulator() -> Iterator[XentaraSimulator]:
    """A running :class:`~iotws.xentara.simulator.XentaraSimulator` (plain ``ws://``, no authentication).

    It runs in its own thread, so both ``Client`` and ``AsyncClient`` can use it.
    """
    with XentaraSimulator().run() as sim:
        yield sim
