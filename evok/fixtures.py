"""How the iotws pytest plugin builds EVOK fixtures (``evok_simulator``, ``evok_client``, ``evok_async_client``).

Defaults: the default board scanning at 50 Hz; clients with a 5 s request
timeout. ``@pytest.mark.iotws_simulator(v2=True)`` runs an EVOK 2.x unit;
``@pytest.mark.iotws_client(filter=["relay"])`` connects a client that streams
relay changes only.

A test that uses them:

```python
def test_my_lamp_logic(evok_simulator, evok_client):
    evok_client.set_relay("2_01", True)  # returns once EVOK reports the relay on
    assert evok_simulator.device("ro", "2_01")["value"] == 1
```

Examples:
    >>> with KIT.running_simulator({"v2": True}) as sim, KIT.client(sim, {"request_timeout": 2.0}) as evok:
    ...     evok.state.device("relay", "2_01").dev, evok.options.request_timeout
    ('relay', 2.0)
"""

from __future__ import annotations

from typing import Any

from iotws.evok.async_client import AsyncClient
from iotws.evok.client import Client
from iotws.evok.simulator import EvokSimulator
from iotws.fixtures import FixtureKit

__all__ = ["KIT", "EvokFixtures"]


class EvokFixtures(FixtureKit[EvokSimulator, Client, AsyncClient]):
    """EVOK's fixture kit: a simulator with the default board, clients on its ``/ws``."""

    protocol = "evok"
    client_class = Client
    async_client_class = AsyncClient

    def simulator(self, **options: Any) -> EvokSimulator:
        """An [`EvokSimulator`][iotws.evok.EvokSimulator] built with ``options``."""
        return EvokSimulator(**options)

    def client_arguments(self, simulator: EvokSimulator, **options: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The simulator's URL; a 5 s request timeout unless ``options`` say otherwise."""
        return (simulator.url(),), {"request_timeout": 5.0, **options}


KIT = EvokFixtures()
"""The kit the plugin uses."""
