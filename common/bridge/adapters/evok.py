"""EVOK -> MQTT: every device state (``<dev>/<circuit>``), its commands, full republish on every resync.

Points: ``ro/2_01``, ``di/1_01``, ``ai/1_01``... (EVOK's device type and circuit). The
config's ``points`` are device types (``"ro"``, ``"relay"`` and the other friendly names)
or single circuits (``"ro/2_01"``); none = every device. Commands, on ``<point>/set``:

* ``ro``/``relay``, ``do``/``output``, ``led``: on/off (``1``/``0``, ``ON``/``OFF``...);
* ``ao``: a number; ``ai``: a mode name (``"Voltage"``, ``"Current"``...);
* any other type, or a JSON object ``{"value": ..., "<param>": ...}``: EVOK's parameters
  through ``set()``.

Every command waits for the state EVOK reports, and that state is the result.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from iotws.bridge.adapters.base import Adapter, Command, PointInfo, as_bool, as_number
from iotws.bridge.topics import point_topic, state_payload
from iotws.cli import Record
from iotws.errors import UsageError
from iotws.evok.async_client import AsyncClient
from iotws.evok.models import Device
from iotws.evok.protocol import DeviceChanged, DeviceRemoved, Snapshot, normalize_filter

__all__ = ["EvokAdapter", "component_of"]

_SWITCHES = ("ro", "relay", "do", "output", "led")
_BINARY = ("di", "input")
_SENSORS = ("ai", "temp", "1wdevice", "data_point", "unit_register", "register")


def component_of(dev: str) -> str | None:
    """The Home Assistant component of an EVOK device type (``None``: not announced).

    Examples:
        >>> component_of("ro"), component_of("di"), component_of("ai"), component_of("ao"), component_of("run")
        ('switch', 'binary_sensor', 'sensor', 'number', None)
    """
    if dev in _SWITCHES:
        return "switch"
    if dev in _BINARY:
        return "binary_sensor"
    if dev == "ao":
        return "number"
    if dev in _SENSORS:
        return "sensor"
    return None


class EvokAdapter(Adapter):
    """One EVOK unit."""

    protocol = "evok"
    depths = frozenset({2})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = [p for p in self.device.points if "/" not in p]
        circuits = [p for p in self.device.points if "/" in p]
        self._circuits: set[tuple[str, str]] = set()
        for spec in circuits:
            dev, _, circuit = spec.partition("/")
            self._circuits.add((normalize_filter([dev])[0], circuit))
        wanted = normalize_filter(types + [p.split("/", 1)[0] for p in circuits]) if self.device.points else None
        self._filter = wanted
        self._types = set(normalize_filter(types)) if types else set()

    def open(self) -> AsyncClient:
        """The EVOK client, filtered to the configured device types."""
        return AsyncClient(self.device.url, filter=self._filter, **self.options)

    def wanted(self, device: Device) -> bool:
        """Whether the config publishes ``device``."""
        if not self.device.points:
            return True
        return device.dev in self._types or (device.dev, device.circuit) in self._circuits

    def point(self, device: Device) -> str:
        """The point of a device: ``dev/circuit``."""
        return point_topic(device.dev, device.circuit)

    def info(self, device: Device) -> PointInfo:
        """How discovery shows a device."""
        point = self.point(device)
        component = component_of(device.dev)
        return PointInfo(
            point, component, unit=getattr(device, "unit", None), name=self.name_of(point, device.alias),
            writable=component in ("switch", "number"), numeric=component != "binary_sensor",
        )

    def payload(self, device: Device, when: dt.datetime | None = None) -> Record:
        """The state record of a device."""
        point = self.point(device)
        return state_payload(
            "evok", point, getattr(device, "value", None), when=when, name=self.name_of(point, device.alias),
            unit=getattr(device, "unit", None), detail={"dev": device.dev, "circuit": device.circuit,
                                                         "state": device.to_wire()},
        )

    async def handle(self, event: object) -> None:
        """Device changes become states; a snapshot is the full state (and says who is gone)."""
        if isinstance(event, DeviceChanged):
            if not event.resync and self.wanted(event.device):
                self.sink.state(self.info(event.device), self.payload(event.device))
        elif isinstance(event, Snapshot):
            when = dt.datetime.now(dt.UTC)
            points: set[str] = set()
            for device in event.devices.values():
                if self.wanted(device):
                    point = self.point(device)
                    points.add(point)
                    self.sink.state(self.info(device), self.payload(device, when))
            if not event.partial:
                self.sink.resynced(points)
            self._online(True)
        elif isinstance(event, DeviceRemoved) and self.wanted(event.device):
            self.sink.removed(self.point(event.device))

    async def synced(self) -> None:
        """EVOK's ``all`` reply (a ``Snapshot`` event) says when the state is complete."""

    async def command(self, point: str, command: Command) -> tuple[Any, Record | None]:
        """Write and wait for the state EVOK reports."""
        dev, _, circuit = point.partition("/")
        if not circuit or "/" in circuit:
            raise UsageError(f"an EVOK point is DEV/CIRCUIT, got {point!r}")
        client: AsyncClient = self.client
        device: Device
        if command.params:
            values = {"value": command.value, **command.params} if command.value is not None else dict(command.params)
            device = await client.set(dev, circuit, **values)
        elif dev in ("ro", "relay"):
            device = await client.set_relay(circuit, as_bool(command.value))
        elif dev in ("do", "output"):
            device = await client.set_output(circuit, as_bool(command.value))
        elif dev == "led":
            device = await client.set_led(circuit, as_bool(command.value))
        elif dev == "ao":
            device = await client.set_analog_output(circuit, as_number(command.value))
        elif dev == "ai":
            if not isinstance(command.value, str):
                raise UsageError(f"an ai takes a mode name, got {command.value!r}")
            device = await client.set_analog_input_mode(circuit, command.value)
        else:
            if not isinstance(command.value, int | float | str) or isinstance(command.value, bool):
                raise UsageError(f"expected a number or text, got {command.value!r}")
            device = await client.set(dev, circuit, value=command.value)
        return getattr(device, "value", None), self.payload(device)
