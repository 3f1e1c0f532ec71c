"""How the iotws pytest plugin builds farmws fixtures (``farmws_simulator``, ``farmws_client``...).

Defaults: the reference server with its emulated farm at ``time_scale=0.1``;
clients are Dialect D dashboards (``client_id="pytest"``) with a 5 s request
timeout. ``@pytest.mark.iotws_client(client_id="kitchen")`` picks another id.

A test that uses them:

```python
from iotws.farmws import Temperature

def test_dashboard_sees_temperatures(farmws_client):
    assert farmws_client.next_event(Temperature, timeout=5).record is not None
```

Examples:
    >>> with KIT.running_simulator({}) as sim:
    ...     KIT.client(sim, {"client_id": "kitchen"}).options.url.endswith("/clients/kitchen")
    True
"""

from __future__ import annotations

from typing import Any

from iotws.farmws.async_client import AsyncDashboardClient
from iotws.farmws.client import DashboardClient
from iotws.farmws.simulator import FarmSimulator
from iotws.fixtures import FixtureKit

__all__ = ["KIT", "FarmwsFixtures"]


class FarmwsFixtures(FixtureKit[FarmSimulator, DashboardClient, AsyncDashboardClient]):
    """farmws' fixture kit: the reference server, dashboard clients of it."""

    protocol = "farmws"
    client_class = DashboardClient
    async_client_class = AsyncDashboardClient

    def simulator(self, **options: Any) -> FarmSimulator:
        """A [`FarmSimulator`][iotws.farmws.FarmSimulator] built with ``options`` (``time_scale=0.1`` unless given)."""
        return FarmSimulator(**{"time_scale": 0.1, **options})

    def client_arguments(self, simulator: FarmSimulator, **options: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The server's base URL and ``client_id="pytest"``; a 5 s request timeout, unless ``options`` say otherwise."""
        return (simulator.url("/"),), {"client_id": "pytest", "request_timeout": 5.0, **options}


KIT = FarmwsFixtures()
"""The kit the plugin uses."""
