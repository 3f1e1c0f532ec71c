"""Pytest fixtures for testing code that uses EVOK (loaded by the iotws pytest plugin).

* ``evok_simulator``: a running :class:`~iotws.evok.simulator.EvokSimulator` on 127.0.0.1
  (its own thread, ephemeral port), default board, scanning at 50 Hz.
* ``evok_client``: a connected sync :class:`~iotws.evok.client.Client` on that simulator.

Example::

    def test_my_lamp_logic(evok_simulator, evok_client):
        evok_client.set_relay("2_01", True, confirm=True)
        assert evok_simulator.device("ro", "2_01")["value"] == 1
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from iotws.evok.client import Client
from iotws.evok.simulator import EvokSimulator

__all__ = ["evok_client", "evok_simulator"]


@pytest.fixture
def evok_simulator() -> Iterator[EvokSimulator]:
    """A running EVOK simulator, stopped after the test."""
    with EvokSimulator().run() as sim:
        yield sim


@pytest.fixture
def evok_client(evok_simulator: EvokSimulator) -> Iterator[Client]:
    """A connected sync client of ``evok_simulator`` (state cache filled), closed after the test."""
    with Client(evok_simulator.url(), request_timeout=5.0) as client:
        yield client
