"""Pytest fixtures for testing code that uses Globiots, without hardware.

Loaded automatically by the iotws pytest plugin.

Examples:
    >>> def test_my_dashboard(globiots_simulator):
    ...     with Client(globiots_simulator.base_url) as client:
    ...         client.subscribe([Point("0.0.0.1", "2000", DataType.FLOAT)], update_time=1)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from iotws.globiots.simulator import GlobiotsSimulator

__all__ = ["globiots_simulator"]


@pytest.fixture
def globiots_simulator() -> Iterator[GlobiotsSimulator]:
    """A running :class:`GlobiotsSimulator` (devices ``0.0.0.1``, ``0.0.0.2``; 20x time scale).

    Use ``globiots_simulator.base_url`` as the client's base URL; every switch of the
    simulator can be flipped during the test.
    """
    with GlobiotsSimulator(time_scale=20).run() as sim:
        yield sim
