"""What every protocol adapter shares: the device link's lifecycle, and what it tells the bridge.

An adapter owns one protocol client for one device. It turns the client's typed
events into point states (``Sink.state()``), events and removals, says when the
device is online, and carries out the commands the bridge hands it. The bridge
(``iotws.bridge.runner``) turns that into MQTT messages.
"""

from __future__ import annotations

import abc
import asyncio
import logging
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

import attrs

from iotws.backoff import ReconnectPolicy
from iotws.bridge.config import DeviceConfig
from iotws.cli import Record
from iotws.errors import IotwsError, UsageError
from iotws.events import Connected, Disconnected, Reconnected, Stopped

__all__ = ["Adapter", "Command", "PointInfo", "Sink", "as_bool", "as_number"]

log = logging.getLogger("iotws.bridge")

#: How Home Assistant should show a point (``None``: not announced).
Component = str | None


@attrs.frozen(slots=True)
class PointInfo:
    """A point as discovery sees it: its topic levels, Home Assistant component, unit, name, writability."""

    point: str
    component: Component = "sensor"
    unit: str | None = None
    name: str | None = None
    writable: bool = False
    numeric: bool = True
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None


@attrs.frozen(slots=True)
class Command:
    """One ``set`` message: the value, more parameters (a JSON object's other keys), the caller's id."""

    value: Any
    params: Mapping[str, Any] = attrs.field(factory=dict)
    id: str | None = None


class Sink(Protocol):
    """Where an adapter's news goes (the bridge's per-device channel)."""

    def online(self, up: bool, reason: str | None = None) -> None:
        """The device link is up (and its state published) or down."""

    def state(self, info: PointInfo, payload: Record) -> None:
        """A point's new state (retained)."""

    def event(self, point: str, payload: Record) -> None:
        """Something that happened at a point (not retained)."""

    def removed(self, point: str) -> None:
        """A point the device no longer has."""

    def resynced(self, points: set[str]) -> None:
        """A full state was just published: these are all the points; the others are gone."""


def as_bool(value: Any) -> bool:
    """A switch value: ``1``/``0``, ``true``/``false``, ``"on"``/``"off"`` (``UsageError`` otherwise).

    Examples:
        >>> as_bool(1), as_bool("off"), as_bool(True)
        (True, False, True)
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("1", "0", "on", "off", "true", "false"):
        return value.strip().lower() in ("1", "on", "true")
    raise UsageError(f"expected on/off (1/0, true/false), got {value!r}")


def as_number(value: Any) -> float:
    """A number from JSON (a number, or text of one); ``UsageError`` otherwise.

    Examples:
        >>> as_number("2.5"), as_number(3)
        (2.5, 3.0)
    """
    if isinstance(value, bool):
        raise UsageError(f"expected a number, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise UsageError(f"expected a number, got {value!r}")


class Adapter(abc.ABC):
    """One device's client, driven for the bridge.

    Subclasses give ``protocol``, ``depths`` (the point levels of their
    writable points: what the bridge subscribes to), ``open()`` (the client),
    ``handle()`` (one event) and ``command()``; ``synced()`` runs after every
    (re)connect.
    """

    protocol: ClassVar[str]
    #: Point depths that take commands (empty: the protocol takes none from this side).
    depths: ClassVar[frozenset[int]] = frozenset()

    def __init__(self, device: DeviceConfig, sink: Sink, *, retry: ReconnectPolicy | None = None) -> None:
        self.device = device
        self.sink = sink
        self.options: dict[str, Any] = dict(device.options)
        self.client: Any = None
        self.up = False
        self._retry = retry or ReconnectPolicy(initial_delay=0.5, max_delay=30.0)

    def name_of(self, point: str, fallback: str | None = None) -> str | None:
        """The configured name of ``point``, else ``fallback``."""
        return self.device.names.get(point, fallback)

    @abc.abstractmethod
    def open(self) -> Any:
        """A new, unconnected client for the device."""

    @abc.abstractmethod
    async def handle(self, event: object) -> None:
        """Turn one client event into states, events or removals."""

    async def synced(self) -> None:
        """After each (re)connect: subscribe, read, publish the full state, then say online."""
        self._online(True)

    async def command(self, point: str, command: Command) -> tuple[Any, Record | None]:
        """Carry out a command; returns ``(value, confirmed state or None)``; raises on failure."""
        raise UsageError(f"{self.protocol} takes no commands from the bridge")

    def _online(self, up: bool, reason: str | None = None) -> None:
        if up != self.up:
            self.up = up
            self.sink.online(up, reason)

    async def run(self) -> None:
        """Connect, stream, reconnect, for ever (until cancelled); a client that stops for good is replaced."""
        attempt = 0
        while True:
            client = self.open()
            self.client = client
            try:
                await client.connect()
                attempt = 0
                await self._stream(client)
            except IotwsError as exc:
                self._online(False, str(exc))
                log.warning("%s %s: %s", self.protocol, self.device.id, exc)
            except OSError as exc:
                self._online(False, str(exc))
                log.warning("%s %s: %s", self.protocol, self.device.id, exc)
            finally:
                self._online(False, "link closed")
                await client.close()
            attempt += 1
            await asyncio.sleep(self._retry.delay(attempt))

    async def _stream(self, client: Any) -> None:
        synced = False
        async for event in client.events():
            if isinstance(event, Connected | Reconnected):
                await self.synced()
                synced = True
            elif isinstance(event, Disconnected):
                self._online(False, "link down" if event.error is None else str(event.error))
            elif isinstance(event, Stopped):
                self._online(False, event.reason)
                return
            else:
                await self.handle(event)
        if not synced:
            return

    async def close(self) -> None:
        """Close the client."""
        if self.client is not None:
            await self.client.close()
