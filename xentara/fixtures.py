"""How the iotws pytest plugin builds Xentara fixtures (``xentara_simulator``, ``xentara_client``...).

Defaults: the default model over plain ``ws://`` with no authentication; clients
with a 5 s request timeout. ``@pytest.mark.iotws_simulator(tls=True)`` serves
``wss://`` with a fresh self-signed certificate, which the clients trust by that
certificate alone (verification stays on; needs ``cryptography``). Users and
tokens are simulator options; the client's credentials are client options:

A test that uses them:

```python
@pytest.mark.iotws_simulator(tls=True, users={"op": "pw"})
@pytest.mark.iotws_client(user="op", password="pw")
def test_reads_over_tls(xentara_client):
    assert xentara_client.read_value("Group 1.Setpoint") is not None
```

Examples:
    >>> with KIT.running_simulator({"tls": True}) as sim:
    ...     with KIT.client(sim, {}) as client:
    ...         sim.url().split(":")[0], client.connected
    ('wss', True)
"""

from __future__ import annotations

import ssl
import weakref
from typing import Any

from iotws.fixtures import FixtureKit
from iotws.xentara.async_client import AsyncClient
from iotws.xentara.client import Client
from iotws.xentara.simulator import XentaraSimulator, self_signed_certificate

__all__ = ["KIT", "XentaraFixtures"]


class XentaraFixtures(FixtureKit[XentaraSimulator, Client, AsyncClient]):
    """Xentara's fixture kit: the default model, optionally over TLS."""

    protocol = "xentara"
    client_class = Client
    async_client_class = AsyncClient

    def __init__(self) -> None:
        #: The certificate each TLS simulator serves, for its clients to trust.
        self._certificates: weakref.WeakKeyDictionary[XentaraSimulator, str] = weakref.WeakKeyDictionary()

    def simulator(self, *, tls: bool = False, **options: Any) -> XentaraSimulator:
        """A [`XentaraSimulator`][iotws.xentara.XentaraSimulator] built with ``options``; ``tls=True`` makes a
        self-signed certificate."""
        if not tls or "ssl_context" in options:
            return XentaraSimulator(**options)
        server_context, certificate = self_signed_certificate(options.get("host", "127.0.0.1"))
        sim = XentaraSimulator(ssl_context=server_context, **options)
        self._certificates[sim] = certificate
        return sim

    def client_arguments(
        self, simulator: XentaraSimulator, **options: Any
    ) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The simulator's URL, trust in its own certificate, a 5 s request timeout (unless ``options`` differ)."""
        defaults: dict[str, Any] = {"request_timeout": 5.0}
        certificate = self._certificates.get(simulator)
        if certificate is not None and not {"ssl_context", "ca_file", "verify"} & options.keys():
            defaults["ssl_context"] = ssl.create_default_context(cadata=certificate)
        return (simulator.url(),), {**defaults, **options}


KIT = XentaraFixtures()
"""The kit the plugin uses."""
