"""Pytest fixtures for farmws, loaded by the iotws pytest plugin.

``farmws_simulator`` is a running :class:`~iotws.farmws.simulator.FarmSimulator`
(both dialects, emulated controller on, ten times faster than real time).

Examples:
    >>> def test_dashboard_sees_readings(farmws_simulator):
    ...     from iotws.farmws import Client, Temperature
    ...     with Client(farmws_simulator.url("/"), client_id="test") as dash:
    ...         assert dash.next_event(Temperature, timeout=5).record is not None
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from iotws.farmws.simulator import FarmSimulator

__all__ = ["farmws_simulator"]


@pytest.fixture
def farmws_simulator() -> Iterator[FarmSimulator]:
    """A started farmws reference server on 127.0.0.1 (``time_scale=0.1``), stopped after the test."""
    with FarmSimulator(time_scale=0.1).run() as sim:
        yield sim
