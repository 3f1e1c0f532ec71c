"""The iotws pytest plugin (registered through the ``pytest11`` entry point).

For every protocol it provides a running simulator and connected clients of it:

| fixture | what the test gets |
|---|---|
| ``<p>_simulator`` | the protocol's simulator, running in its own thread |
| ``<p>_client`` | a connected sync ``Client`` of that simulator |
| ``<p>_async_client`` | a connected ``AsyncClient`` (needs pytest-asyncio) |
| ``oisp_token_keys`` | the RSA key pair the OISP simulators sign tokens with |
| ``free_port`` | a TCP port on 127.0.0.1 that was free a moment ago |

``<p>`` is ``globiots``, ``evok``, ``xentara``, ``oisp`` or ``farmws``. The markers
``iotws_simulator(**options)`` and ``iotws_client(**options)`` configure them per
test, class or module (see [`iotws.fixtures`][]). Each protocol's reference page lists its fixtures
(for example [`globiots_simulator`][iotws.pytest_plugin.globiots_simulator]).

Loading the plugin imports no protocol code: a fixture imports its protocol the
first time a test asks for it. Projects that want none of this run pytest with
``-p no:iotws``.

Examples:
    >>> sorted(name for name in globals() if name.startswith("evok_"))
    ['evok_async_client', 'evok_client', 'evok_simulator']
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from iotws.fixtures import CLIENT_MARKER as _CLIENT_MARKER
from iotws.fixtures import SIMULATOR_MARKER as _SIMULATOR_MARKER

if TYPE_CHECKING:
    from iotws.fixtures import FixtureKit

__all__ = ["free_port"]

Fixture = Callable[..., object]
"""What a fixture factory below returns: a function pytest registers as a fixture."""


def pytest_configure(config: pytest.Config) -> None:
    """Register the iotws markers (so ``--strict-markers`` accepts them)."""
    config.addinivalue_line(
        "markers",
        f"{_SIMULATOR_MARKER}(**options): keyword arguments of the simulator an iotws fixture starts "
        "(faults={...} switches simulator faults on)",
    )
    config.addinivalue_line(
        "markers", f"{_CLIENT_MARKER}(**options): keyword arguments of the client an iotws fixture connects"
    )


def _kit(protocol: str) -> FixtureKit[Any, Any, Any]:
    """The protocol's fixture kit, imported now (the first time a test needs it)."""
    module = importlib.import_module(f"iotws.{protocol}.fixtures")
    kit: FixtureKit[Any, Any, Any] = module.KIT
    return kit


def _marker_options(request: pytest.FixtureRequest, marker: str) -> dict[str, Any]:
    """The keyword arguments of every ``marker`` on the test, the closest winning."""
    options: dict[str, Any] = {}
    for mark in reversed(list(request.node.iter_markers(marker))):
        if mark.args:
            raise pytest.UsageError(f"{marker} takes keyword arguments only, got {mark.args!r}")
        options.update(mark.kwargs)
    return options


def _simulator_fixture(protocol: str) -> Fixture:
    def simulator(request: pytest.FixtureRequest) -> Iterator[Any]:
        with _kit(protocol).running_simulator(_marker_options(request, _SIMULATOR_MARKER)) as sim:
            yield sim

    simulator.__doc__ = (
        f"A running {protocol} simulator on 127.0.0.1 (its own thread, ephemeral port), stopped after the "
        f"test. Configure it with @pytest.mark.{_SIMULATOR_MARKER}(...)."
    )
    return pytest.fixture(name=f"{protocol}_simulator")(simulator)


def _client_fixture(protocol: str) -> Fixture:
    def client(request: pytest.FixtureRequest) -> Iterator[Any]:
        sim = request.getfixturevalue(f"{protocol}_simulator")
        with _kit(protocol).client(sim, _marker_options(request, _CLIENT_MARKER)) as connected:
            yield connected

    client.__doc__ = (
        f"A connected sync {protocol} Client of {protocol}_simulator, closed after the test. "
        f"Configure it with @pytest.mark.{_CLIENT_MARKER}(...)."
    )
    return pytest.fixture(name=f"{protocol}_client")(client)


def _async_client_fixture(protocol: str) -> Fixture:
    name = f"{protocol}_async_client"
    doc = (
        f"A connected {protocol} AsyncClient of {protocol}_simulator in the test's event loop, closed after "
        f"the test (needs pytest-asyncio). Configure it with @pytest.mark.{_CLIENT_MARKER}(...)."
    )
    try:
        import pytest_asyncio
    except ImportError:

        def missing() -> None:
            pytest.fail(f"the {name} fixture needs pytest-asyncio: pip install pytest-asyncio", pytrace=False)

        missing.__doc__ = doc
        return pytest.fixture(name=name)(missing)

    async def async_client(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
        sim = request.getfixturevalue(f"{protocol}_simulator")
        async with _kit(protocol).async_client(sim, _marker_options(request, _CLIENT_MARKER)) as connected:
            yield connected

    async_client.__doc__ = doc
    fixture: Callable[[Any], Fixture] = pytest_asyncio.fixture(name=name)
    return fixture(async_client)


globiots_simulator: Fixture = _simulator_fixture("globiots")
"""A running [`GlobiotsSimulator`][iotws.globiots.GlobiotsSimulator]: devices ``0.0.0.1`` and ``0.0.0.2`` at 20x
time scale. Stopped after the test.

Its own thread, an ephemeral port on 127.0.0.1; ``@pytest.mark.iotws_simulator(...)`` passes
constructor arguments and ``faults={...}``.
"""
globiots_client: Fixture = _client_fixture("globiots")
"""A connected [`Client`][iotws.globiots.Client] of ``globiots_simulator``, on the simulator's base URL; closed
after the test.

A 5 s request timeout; ``@pytest.mark.iotws_client(...)`` passes constructor arguments.
"""
globiots_async_client: Fixture = _async_client_fixture("globiots")
"""A connected [`AsyncClient`][iotws.globiots.AsyncClient] of ``globiots_simulator`` in the test's event loop (needs
pytest-asyncio).

Built as ``globiots_client`` is; closed after the test.
"""

evok_simulator: Fixture = _simulator_fixture("evok")
"""A running [`EvokSimulator`][iotws.evok.EvokSimulator]: the default board, scanning at 50 Hz, EVOK 3 behaviour.
Stopped after the test.

Its own thread, an ephemeral port on 127.0.0.1; ``@pytest.mark.iotws_simulator(...)`` passes
constructor arguments and ``faults={...}``.
"""
evok_client: Fixture = _client_fixture("evok")
"""A connected [`Client`][iotws.evok.Client] of ``evok_simulator``, on ``/ws``, its state cache filled; closed after
the test.

A 5 s request timeout; ``@pytest.mark.iotws_client(...)`` passes constructor arguments.
"""
evok_async_client: Fixture = _async_client_fixture("evok")
"""A connected [`AsyncClient`][iotws.evok.AsyncClient] of ``evok_simulator`` in the test's event loop (needs
pytest-asyncio).

Built as ``evok_client`` is; closed after the test.
"""

xentara_simulator: Fixture = _simulator_fixture("xentara")
"""A running [`XentaraSimulator`][iotws.xentara.XentaraSimulator]: the default model over plain ``ws://``, no
authentication; ``tls=True`` serves ``wss://``. Stopped after the test.

Its own thread, an ephemeral port on 127.0.0.1; ``@pytest.mark.iotws_simulator(...)`` passes
constructor arguments and ``faults={...}``.
"""
xentara_client: Fixture = _client_fixture("xentara")
"""A connected [`Client`][iotws.xentara.Client] of ``xentara_simulator``, on ``/api/ws`` (trusting the simulator's
own certificate under ``tls=True``); closed after the test.

A 5 s request timeout; ``@pytest.mark.iotws_client(...)`` passes constructor arguments.
"""
xentara_async_client: Fixture = _async_client_fixture("xentara")
"""A connected [`AsyncClient`][iotws.xentara.AsyncClient] of ``xentara_simulator`` in the test's event loop (needs
pytest-asyncio).

Built as ``xentara_client`` is; closed after the test.
"""

oisp_simulator: Fixture = _simulator_fixture("oisp")
"""A running [`OispSimulator`][iotws.oisp.OispSimulator]: signing with ``oisp_token_keys``, without the real
server's duplicate copies and 3 s blind window. Stopped after the test.

Its own thread, an ephemeral port on 127.0.0.1; ``@pytest.mark.iotws_simulator(...)`` passes
constructor arguments and ``faults={...}``.
"""
oisp_client: Fixture = _client_fixture("oisp")
"""A connected [`Client`][iotws.oisp.Client] of ``oisp_simulator``, registered as device ``dev-1`` of account
``acc-1`` with a token the simulator issued (0.2 s grace); closed after the test.

A 5 s request timeout; ``@pytest.mark.iotws_client(...)`` passes constructor arguments.
"""
oisp_async_client: Fixture = _async_client_fixture("oisp")
"""A connected [`AsyncClient`][iotws.oisp.AsyncClient] of ``oisp_simulator`` in the test's event loop (needs
pytest-asyncio).

Built as ``oisp_client`` is; closed after the test.
"""

farmws_simulator: Fixture = _simulator_fixture("farmws")
"""A running [`FarmSimulator`][iotws.farmws.FarmSimulator]: the reference server with its emulated farm at
``time_scale=0.1``. Stopped after the test.

Its own thread, an ephemeral port on 127.0.0.1; ``@pytest.mark.iotws_simulator(...)`` passes
constructor arguments and ``faults={...}``.
"""
farmws_client: Fixture = _client_fixture("farmws")
"""A connected [`Client`][iotws.farmws.Client] of ``farmws_simulator``, a Dialect D dashboard with
``client_id="pytest"``; closed after the test.

A 5 s request timeout; ``@pytest.mark.iotws_client(...)`` passes constructor arguments.
"""
farmws_async_client: Fixture = _async_client_fixture("farmws")
"""A connected [`AsyncClient`][iotws.farmws.AsyncClient] of ``farmws_simulator`` in the test's event loop (needs
pytest-asyncio).

Built as ``farmws_client`` is; closed after the test.
"""


@pytest.fixture(scope="session")
def oisp_token_keys() -> Any:
    """The RSA key pair ([`TokenKeys`][iotws.oisp.TokenKeys]) every ``oisp_simulator`` signs tokens with."""
    return importlib.import_module("iotws.oisp.fixtures").token_keys()


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago.

    Examples:
        >>> def test_uses_port(free_port):
        ...     assert 0 < free_port < 65536
    """
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
