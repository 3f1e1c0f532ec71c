"""How the iotws pytest plugin builds Globiots fixtures (``globiots_simulator``, ``globiots_client``...).

Defaults: devices ``0.0.0.1`` and ``0.0.0.2`` at 20x time scale; clients on the
simulator's base URL with a 5 s request timeout. Every switch of the simulator
can also be flipped during the test, through the ``globiots_simulator`` fixture.

A test that uses them:

```python
from iotws.globiots import DataType, Point

def test_setpoint(globiots_client):
    globiots_client.set(Point("0.0.0.1", "3000", DataType.FLOAT), 3.3)
```

Examples:
    >>> with KIT.running_simulator({"hostnames": ["0.0.0.9"]}) as sim:
    ...     [device.hostname for device in sim.devices.values()]
    ['0.0.0.9']
"""

from __future__ import annotations

from typing import Any, ClassVar

from iotws.fixtures import FixtureKit
from iotws.globiots.async_client import AsyncClient
from iotws.globiots.client import Client
from iotws.globiots.simulator import GlobiotsSimulator

__all__ = ["KIT", "GlobiotsFixtures"]


class GlobiotsFixtures(FixtureKit[GlobiotsSimulator, Client, AsyncClient]):
    """Globiots' fixture kit: an iConnector simulator, clients on its base URL."""

    protocol: ClassVar[str] = "globiots"
    client_class: type[Client] = Client
    async_client_class: type[AsyncClient] = AsyncClient

    def simulator(self, **options: Any) -> GlobiotsSimulator:
        """A [`GlobiotsSimulator`][iotws.globiots.GlobiotsSimulator] built with ``options`` (20x time scale unless
        given)."""
        return GlobiotsSimulator(**{"time_scale": 20, **options})

    def client_arguments(
        self, simulator: GlobiotsSimulator, **options: Any
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The simulator's base URL; a 5 s request timeout unless ``options`` say otherwise."""
        return (simulator.base_url,), {"request_timeout": 5.0, **options}


KIT: GlobiotsFixtures = GlobiotsFixtures()
"""The kit the plugin uses."""
