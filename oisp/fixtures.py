"""Pytest fixtures for testing code that uses OISP devices (loaded by the iotws pytest plugin).

* ``oisp_simulator``: a running :class:`~iotws.oisp.simulator.OispSimulator` (own thread), its
  switches at their defaults; push commands with ``oisp_simulator.actuate_sync(...)``.
* ``oisp_token_keys``: the RSA key pair shared by the session's simulators (key generation
  costs tens of milliseconds, so it is done once).

Example::

    def test_my_device_handler(oisp_simulator):
        token = oisp_simulator.issue_token("dev-1", "acc-1")
        with oisp.Client(oisp_simulator.url(), "dev-1", token, grace=0.2) as dev:
            oisp_simulator.actuate_sync("acc-1", "dev-1", "LED.v1.0", {"LED": "1"})
            assert next(dev.actuations(timeout=5)).param("LED") == "1"
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from iotws.oisp.simulator import OispSimulator
from iotws.oisp.tokens import TokenKeys

__all__ = ["oisp_simulator", "oisp_token_keys"]


@pytest.fixture(scope="session")
def oisp_token_keys() -> TokenKeys:
    """One RSA key pair for every simulator of the test session."""
    return TokenKeys.generate()


@pytest.fixture
def oisp_simulator(oisp_token_keys: TokenKeys) -> Iterator[OispSimulator]:
    """A running OISP simulator on 127.0.0.1 (ephemeral port), stopped after the test."""
    with OispSimulator(keys=oisp_token_keys).run() as sim:
        yield sim
