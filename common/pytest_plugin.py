"""The iotws pytest plugin (registered through the ``pytest11`` entry point).

For every protocol it provides a running simulator and connected clients of it:

==========================  =======================================================
fixture                     what the test gets
==========================  =======================================================
``<p>_simulator``           the protocol's simulator, running in its own thread
``<p>_client``              a connected sync ``Client`` of that simulator
``<p>_async_client``        a connected ``AsyncClient`` (needs pytest-asyncio)
``oisp_token_keys``         the RSA key pair the OISP simulators sign tokens with
``free_port``               a TCP port on 127.0.0.1 that was free a moment ago
==========================  =======================================================

``<p>`` is ``globiots``, ``evok``, ``xentara``, ``oisp`` or ``farmws``. The markers
``iotws_simulator(**options)`` and ``iotws_client(**options)`` configure them per
test, class or module (see :mod:`iotws.fixtures`).

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

#: What a fixture factory below returns: a function pytest registers as a fixture.
Fixture = Callable[..., object]


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
globiots_client: Fixture = _client_fixture("globiots")
globiots_async_client: Fixture = _async_client_fixture("globiots")

evok_simulator: Fixture = _simulator_fixture("evok")
evok_client: Fixture = _client_fixture("evok")
evok_async_client: Fixture = _async_client_fixture("evok")

xentara_simulator: Fixture = _simulator_fixture("xentara")
xentara_client: Fixture = _client_fixture("xentara")
xentara_async_client: Fixture = _async_client_fixture("xentara")

oisp_simulator: Fixture = _simulator_fixture("oisp")
oisp_client: Fixture = _client_fixture("oisp")
oisp_async_client: Fixture = _async_client_fixture("oisp")

farmws_simulator: Fixture = _simulator_fixture("farmws")
farmws_client: Fixture = _client_fixture("farmws")
farmws_async_client: Fixture = _async_client_fixture("farmws")


@pytest.fixture(scope="session")
def oisp_token_keys() -> Any:
    """The RSA key pair (:class:`~iotws.oisp.tokens.TokenKeys`) every ``oisp_simulator`` signs tokens with."""
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
