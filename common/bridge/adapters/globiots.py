"""Globiots -> MQTT: the subscribed addresses as states (``<hostname>/<address>``), set-data as commands.

The config's ``points`` are ``"HOSTNAME/ADDRESS:TYPE[:LENGTH]"`` (``"0.0.0.1/2000:float"``);
``options`` may hold ``update_time`` (s) and ``writable`` (points shown as settable
numbers in Home Assistant), the rest goes to the client. Each push is a full state of
the subscription, and the subscription is re-sent after every reconnect, so the first
push after it republishes everything. A command's value is checked against the
point's data type by the codec before anything is sent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from iotws.bridge.adapters.base import Adapter, Command, PointInfo
from iotws.bridge.topics import point_topic, state_payload
from iotws.cli import Record
from iotws.codec import DataType
from iotws.errors import UsageError
from iotws.globiots.async_client import AsyncClient
from iotws.globiots.models import Point, PointValue, RealtimeUpdate

__all__ = ["GlobiotsAdapter", "parse_point"]


def parse_point(spec: str) -> Point:
    """``HOSTNAME/ADDRESS:TYPE[:LENGTH]`` -> a [`Point`][iotws.globiots.Point].

    Examples:
        >>> p = parse_point("0.0.0.1/2000:float")
        >>> p.hostname, p.address, p.data_type.value
        ('0.0.0.1', '2000', 'float')
    """
    host, _, rest = spec.partition("/")
    parts = rest.split(":")
    if not host or len(parts) not in (2, 3) or not parts[0] or not parts[1]:
        raise UsageError(f"a Globiots point is HOSTNAME/ADDRESS:TYPE[:LENGTH], got {spec!r}")
    data_type = DataType.from_wire(parts[1])
    if len(parts) == 3:
        if not parts[2].isdigit():
            raise UsageError(f"point {spec!r}: LENGTH must be a number of bytes")
        return Point(host, parts[0], data_type, int(parts[2]))
    return Point(host, parts[0], data_type)


class GlobiotsAdapter(Adapter):
    """The points of one Data Engine."""

    protocol = "globiots"
    depths = frozenset({2})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.update_time = int(self.options.pop("update_time", 5))
        writable = self.options.pop("writable", [])
        self.points = [parse_point(spec) for spec in self.device.points]
        if not self.points:
            raise UsageError(f"globiots device {self.device.id!r}: give points = [\"HOSTNAME/ADDRESS:TYPE\", ...]")
        self.by_point = {point_topic(p.hostname, p.address): p for p in self.points}
        self.writable = {point_topic(*parse_point(s).key) for s in writable}

    def open(self) -> AsyncClient:
        """The Globiots client of the Data Engine at the device's URL."""
        return AsyncClient(self.device.url, **self.options)

    async def synced(self) -> None:
        """Subscribe (again): the first push is the full state."""
        update = await self.client.subscribe(self.points, update_time=self.update_time)
        self._publish(update)
        self._online(True)

    def info(self, point: str, data_type: DataType | str) -> PointInfo:
        """How discovery shows a point."""
        numeric = isinstance(data_type, DataType) and data_type not in (DataType.STRING, DataType.HEXA)
        writable = point in self.writable
        return PointInfo(point, "number" if writable and numeric else "sensor", name=self.name_of(point),
                         writable=writable, numeric=numeric, minimum=-1e9, maximum=1e9)

    def payload(self, value: PointValue, when: dt.datetime | None) -> Record:
        """The state record of one address."""
        point = point_topic(value.hostname, value.address)
        data_type = value.data_type.value if isinstance(value.data_type, DataType) else value.data_type
        error = None if value.ok else (value.status or value.raw_code or "no value")
        return state_payload(
            "globiots", point, value.value, when=value.timestamp or when, name=self.name_of(point),
            quality="good" if value.ok else "bad", error=error,
            detail={"hostname": value.hostname, "address": value.address, "data_type": data_type, "raw": value.raw,
                    "change": None if value.change is None else value.change.value},
        )

    def _publish(self, update: RealtimeUpdate) -> None:
        for value in update.values:
            point = point_topic(value.hostname, value.address)
            if point in self.by_point or point_topic(value.hostname, value.address.upper()) in self.by_point:
                self.sink.state(self.info(point, value.data_type), self.payload(value, update.timestamp))

    async def handle(self, event: object) -> None:
        """Each push: its addresses' states."""
        if isinstance(event, RealtimeUpdate):
            self._publish(event)

    async def command(self, point: str, command: Command) -> tuple[Any, Record | None]:
        """Set one address (the codec checks the value against its type first)."""
        target = self.by_point.get(point)
        if target is None:
            raise UsageError(f"{point!r} is not a configured point of {self.device.id}")
        result = await self.client.set(target, command.value)
        return command.value, None if result is None else {"code": result.raw_code, "message": result.message}
