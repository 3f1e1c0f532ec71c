"""Xentara -> MQTT: watched elements as states (their path is the point), ``write`` as commands.

The config's ``points`` are element paths (``"Plant.Temperature"``); ``options`` hold the
client's ``user``/``password`` or ``token`` (``"${XENTARA_TOKEN}"``), ``writable`` (paths
shown as settable in Home Assistant), ``min_rate``/``max_rate`` (ms). After every
(re)connect the elements are read (Value and Quality) and published, so MQTT holds the
full state; an element the server no longer knows is removed. A command writes the
Value and answers with the value read back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from iotws.bridge.adapters.base import Adapter, Command, PointInfo
from iotws.bridge.topics import point_level, state_payload
from iotws.cli import Record
from iotws.errors import IotwsError, UsageError
from iotws.xentara.async_client import AsyncClient
from iotws.xentara.models import Attribute, DataChange, Failure, Quality, ReadResult, Timestamp, enum_or_int

__all__ = ["XentaraAdapter"]

_ATTRIBUTES = (Attribute.VALUE, Attribute.QUALITY)


def _plain(value: Any) -> Any:
    if isinstance(value, Timestamp):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _quality(value: Any) -> str | None:
    if value is None or isinstance(value, Failure):
        return None
    known = enum_or_int(Quality, value)
    return known.name.lower() if isinstance(known, Quality) else str(known)


class XentaraAdapter(Adapter):
    """The watched elements of one Xentara server."""

    protocol = "xentara"
    depths = frozenset({1})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.writable = {point_level(p) for p in self.options.pop("writable", [])}
        self.rates = {k: self.options.pop(k) for k in ("min_rate", "max_rate") if k in self.options}
        if not self.device.points:
            raise UsageError(f"xentara device {self.device.id!r}: give points = [\"Group.Element\", ...]")
        self.paths = {point_level(p): p for p in self.device.points}
        self._kinds: dict[str, type] = {}
        self._last: dict[str, dict[Any, Any]] = {}

    def open(self) -> AsyncClient:
        """The Xentara client (``user``/``password``/``token`` from the options)."""
        return AsyncClient(self.device.url, **self.options)

    def info(self, point: str, value: Any) -> PointInfo:
        """How discovery shows an element."""
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        writable = point in self.writable
        if isinstance(value, bool):
            component = "switch" if writable else "binary_sensor"
        else:
            component = "number" if writable and numeric else "sensor"
        return PointInfo(point, component, name=self.name_of(point, self.paths[point].rpartition(".")[2]),
                         writable=writable, numeric=numeric, minimum=-1e9, maximum=1e9)

    def payload(self, point: str, values: dict[Any, Any], when: dt.datetime | None) -> Record:
        """The state record of an element's Value and Quality."""
        value = values.get(Attribute.VALUE)
        error = None
        if isinstance(value, Failure):
            error, value = f"error {value.code}: {value.message}".rstrip(": "), None
        if isinstance(value, bool):
            value = int(value)
        return state_payload(
            "xentara", point, _plain(value), when=when, name=self.name_of(point, self.paths[point].rpartition(".")[2]),
            quality=_quality(values.get(Attribute.QUALITY)), error=error, detail={"path": self.paths[point]},
        )

    def _state(self, point: str, changed: dict[Any, Any], when: dt.datetime | None) -> None:
        values = self._last.setdefault(point, {})
        values.update(changed)  # a data change carries the attributes that changed
        value = values.get(Attribute.VALUE)
        if value is not None and not isinstance(value, Failure):
            self._kinds[point] = type(value)
        self.sink.state(self.info(point, values.get(Attribute.VALUE)), self.payload(point, values, when))

    async def synced(self) -> None:
        """Watch the elements (the client restores it after reconnects) and publish a full read."""
        client: AsyncClient = self.client
        if not client.subscriptions:
            await client.watch(*self.paths.values(), attributes=_ATTRIBUTES, **self.rates)
        results = await client.read_many(list(self.paths.values()), _ATTRIBUTES)
        when = dt.datetime.now(dt.UTC)
        present: set[str] = set()
        for point, result in zip(self.paths, results, strict=True):
            if isinstance(result, ReadResult):
                present.add(point)
                self._state(point, dict(result.results), when)
        self.sink.resynced(present)
        self._online(True)

    async def handle(self, event: object) -> None:
        """A data change: the element's new state."""
        if isinstance(event, DataChange) and event.path is not None:
            point = point_level(event.path)
            if point in self.paths:
                stamp = event.timestamp
                when = stamp.to_datetime() if isinstance(stamp, Timestamp) and stamp not in (
                    Timestamp.MIN, Timestamp.MAX) else None
                self._state(point, dict(event.values), when)

    async def command(self, point: str, command: Command) -> tuple[Any, Record | None]:
        """Write the Value and read it back."""
        path = self.paths.get(point)
        if path is None:
            raise UsageError(f"{point!r} is not a configured element of {self.device.id}")
        client: AsyncClient = self.client
        value = command.value
        kind = self._kinds.get(point)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)  # JSON has one kind of number; the element's type decides
        elif kind is bool and value in (0, 1) and not isinstance(value, bool):
            value = bool(value)
        await client.write_value(path, value)
        try:
            result = await client.read(path, _ATTRIBUTES)
        except IotwsError:
            return value, None
        values = dict(result.results)
        state = self.payload(point, values, dt.datetime.now(dt.UTC))
        return state["value"], state
