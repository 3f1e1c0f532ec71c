"""What the pytest plugin needs from a protocol to give a test a simulator and clients.

Each protocol package's ``fixtures`` module defines one [`FixtureKit`][iotws.fixtures.FixtureKit] as
``KIT``. The plugin ([`iotws.pytest_plugin`][]) imports that module only when a
test asks for one of the protocol's fixtures, so a test run that uses none of
them loads no protocol code at all.

Options come from two markers, closest wins (test, then class, then module):

* ``@pytest.mark.iotws_simulator(**options)``: keyword arguments of the simulator's
  constructor, plus ``faults={...}`` to switch [`Faults`][iotws.simulator.Faults] on
  from the start (and, for Xentara, ``tls=True``).
* ``@pytest.mark.iotws_client(**options)``: keyword arguments of the client's
  constructor (``request_timeout``, ``reconnect``, ``filter`` for EVOK, ``device_id``
  and ``account_id`` for OISP...).

Examples:
    >>> from iotws.evok.fixtures import KIT
    >>> with KIT.running_simulator({"faults": {"delay": 0.01}}) as sim:
    ...     with KIT.client(sim, {}) as client:
    ...         sim.faults.delay, client.connected
    (0.01, True)
    >>> with KIT.running_simulator({"faults": {"slow": True}}):
    ...     pass
    Traceback (most recent call last):
    ...
    iotws.errors.UsageError: iotws_simulator marker: unknown fault 'slow' (known: delay, no_pongs, ...)
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from iotws.errors import UsageError

if TYPE_CHECKING:
    from iotws.client import AsyncClientBase, SyncClientBase
    from iotws.simulator import SimulatorBase

__all__ = ["CLIENT_MARKER", "SIMULATOR_MARKER", "FixtureKit", "apply_faults"]

S = TypeVar("S", bound="SimulatorBase")
C = TypeVar("C", bound="SyncClientBase[Any, Any]")
A = TypeVar("A", bound="AsyncClientBase[Any, Any]")

SIMULATOR_MARKER = "iotws_simulator"
"""The marker that configures a fixture's simulator."""
CLIENT_MARKER = "iotws_client"
"""The marker that configures a fixture's clients."""


def apply_faults(simulator: SimulatorBase, faults: Mapping[str, Any]) -> None:
    """Switch faults on by name, refusing names that are not faults.

    Examples:
        >>> from iotws.evok import EvokSimulator
        >>> sim = EvokSimulator()
        >>> apply_faults(sim, {"silent": True})
        >>> sim.faults.silent
        True
    """
    import attrs

    from iotws.simulator import Faults

    known = sorted(field.name for field in attrs.fields(Faults))
    for name, value in faults.items():
        if name not in known:
            raise UsageError(f"{SIMULATOR_MARKER} marker: unknown fault {name!r} (known: {', '.join(known)})")
        setattr(simulator.faults, name, value)


class FixtureKit(abc.ABC, Generic[S, C, A]):
    """How to build one protocol's simulator and clients for a test.

    Subclasses say which classes to use and how a client reaches a simulator;
    starting, connecting and closing are the same for every protocol.

    Examples:
        >>> from iotws.oisp.fixtures import KIT
        >>> KIT.protocol, KIT.client_class.__name__, KIT.async_client_class.__name__
        ('oisp', 'Client', 'AsyncClient')
    """

    protocol: ClassVar[str]
    """The protocol's name: its fixtures are ``<protocol>_simulator``, ``<protocol>_client``..."""
    client_class: type[C]
    """The sync client class the ``<protocol>_client`` fixture connects."""
    async_client_class: type[A]
    """The asyncio client class the ``<protocol>_async_client`` fixture connects."""

    @abc.abstractmethod
    def simulator(self, **options: Any) -> S:
        """A new, not yet running simulator built with ``options``."""

    @abc.abstractmethod
    def client_arguments(self, simulator: S, **options: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The positional and keyword arguments of a client of the running ``simulator``."""

    @contextlib.contextmanager
    def running_simulator(self, options: Mapping[str, Any]) -> Iterator[S]:
        """Build a simulator from marker ``options``, switch on its ``faults``, run it in its own thread."""
        options = dict(options)
        faults = options.pop("faults", {})
        try:
            simulator = self.simulator(**options)
        except TypeError as exc:
            raise UsageError(f"{SIMULATOR_MARKER} marker for {self.protocol}: {exc}") from exc
        apply_faults(simulator, faults)
        with simulator.run():
            yield simulator

    def client(self, simulator: S, options: Mapping[str, Any]) -> C:
        """A sync client of ``simulator`` (not connected yet) built with marker ``options``."""
        args, kwargs = self.client_arguments(simulator, **options)
        try:
            return self.client_class(*args, **kwargs)
        except TypeError as exc:
            raise UsageError(f"{CLIENT_MARKER} marker for {self.protocol}: {exc}") from exc

    def async_client(self, simulator: S, options: Mapping[str, Any]) -> A:
        """An asyncio client of ``simulator`` (not connected yet) built with marker ``options``."""
        args, kwargs = self.client_arguments(simulator, **options)
        try:
            return self.async_client_class(*args, **kwargs)
        except TypeError as exc:
            raise UsageError(f"{CLIENT_MARKER} marker for {self.protocol}: {exc}") from exc
