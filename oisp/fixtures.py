"""How the iotws pytest plugin builds OISP fixtures (``oisp_simulator``, ``oisp_client``, ``oisp_token_keys``...).

Defaults: one RSA key pair per test session signs every token; the simulator runs
with ``duplicates=False`` and ``blind_window=0`` (one copy of each actuation, delivered
at once: a test of "one command, one action" should not wait 3 s nor see the real
server's copies; turn them back on with ``@pytest.mark.iotws_simulator(duplicates=True,
blind_window=3.0)``); the clients are device ``dev-1`` of account ``acc-1``, with a token
the simulator issues, a 0.2 s registration grace and a 5 s request timeout.
``@pytest.mark.iotws_client(device_id="pump-7", account_id="farm")`` picks
another device; ``token=`` passes a token of your own (an expired one, say).

A test that uses them:

```python
def test_led_handler(oisp_simulator, oisp_client):
    oisp_simulator.actuate_sync("acc-1", "dev-1", "LED.v1.0", {"LED": "1"})
    assert next(oisp_client.actuations(timeout=5)).param("LED") == "1"
```

Examples:
    >>> with KIT.running_simulator({}) as sim, KIT.client(sim, {"device_id": "pump-7"}) as dev:
    ...     dev.device_id, sim.keys is token_keys()
    ('pump-7', True)
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from iotws.fixtures import FixtureKit
from iotws.oisp.async_client import AsyncClient
from iotws.oisp.client import Client
from iotws.oisp.simulator import OispSimulator
from iotws.oisp.tokens import TokenKeys

__all__ = ["KIT", "SIMULATOR_DEFAULTS", "OispFixtures", "token_keys"]

SIMULATOR_DEFAULTS: Mapping[str, Any] = MappingProxyType({"duplicates": False, "blind_window": 0.0})
"""Simulator switches the fixtures set unless a marker says otherwise (see the module doc)."""


@functools.cache
def token_keys() -> TokenKeys:
    """The key pair of this test session (made once: RSA key generation is slow)."""
    return TokenKeys.generate()


class OispFixtures(FixtureKit[OispSimulator, Client, AsyncClient]):
    """OISP's fixture kit: a simulator signing with the session's keys, a registered device client."""

    protocol = "oisp"
    client_class = Client
    async_client_class = AsyncClient

    def simulator(self, **options: Any) -> OispSimulator:
        """An [`OispSimulator`][iotws.oisp.OispSimulator] built with ``options``: the session's keys, no duplicates,
        no blind window."""
        return OispSimulator(**{"keys": token_keys(), **SIMULATOR_DEFAULTS, **options})

    def client_arguments(
        self,
        simulator: OispSimulator,
        *,
        device_id: str = "dev-1",
        account_id: str = "acc-1",
        token: str | None = None,
        **options: Any,
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """URL, device id and a token the simulator issues for it; grace 0.2 s and 5 s timeouts by default."""
        if token is None:
            token = simulator.issue_token(device_id, account_id)
        return (simulator.url(), device_id, token), {"grace": 0.2, "request_timeout": 5.0, **options}


KIT = OispFixtures()
"""The kit the plugin uses."""
