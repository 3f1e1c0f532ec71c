"""A faithful Globiots Data Engine on loopback, with iConnector devices behind it.

Each [`Device`][iotws.globiots.Device] is a byte memory map (``0x0000``-``0x6FFF``) driven by
[`iotws.codec`][]: the read-only data areas hold values that move over time (see
[`SIGNALS`][iotws.globiots.simulator.SIGNALS]), RAM ``0x3000``-``0x30FF`` and flash ``0x5000``-``0x50FF`` are writable.
[`GlobiotsSimulator`][iotws.globiots.GlobiotsSimulator] serves ``/data-engine/realtime``,
``/data-engine/mobile/realtime``
and ``/data-engine/set-data``.

Switches (settable at any time): ``time_scale`` (simulated seconds per real second: pushes
come every ``updateTime / time_scale`` s), ``pushing`` (False: stop pushing),
``length_as_text`` (answer ``"length": "4"``), ``unknown_host_code`` (``"04"`` or ``"01"``),
``set_fault`` (answer every write with e.g. ``"10"``, ``"0A"``, ``"0E"``; per device:
``Device.fault``), ``failing_reads`` (``(hostname, ADDRESS)`` pairs answered with
``status: "message-request-fail"``), ``slow_writes`` (``(hostname, ADDRESS)`` -> seconds the
answer to a set-data request naming that point is held back; requests on one socket are
answered in order, so later ones wait too), plus the common ``faults`` and
``drop_connections()``.

Examples:
    >>> from iotws.globiots import Client, DataType, Point
    >>> with GlobiotsSimulator(time_scale=20).run() as sim:
    ...     with Client(sim.base_url) as client:
    ...         update = client.subscribe([Point("0.0.0.1", "3000", DataType.UINT16)], update_time=1)
    ...         update.values[0].value
    0
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Final

import attrs
from aiohttp import web

from iotws.codec import DataType, Value, pack, to_text, unpack
from iotws.errors import CodecError, ProtocolError, UsageError, excerpt
from iotws.globiots.models import (
    ChangeOfValue,
    Point,
    RealtimeRequest,
    ResponseCode,
    SetRequest,
)
from iotws.globiots.protocol import dumps, loads
from iotws.simulator import SimConnection, SimulatorBase

__all__ = ["AREAS", "SIGNALS", "Area", "Device", "GlobiotsSimulator", "Signal"]


@attrs.frozen(slots=True)
class Area:
    """One region of the iConnector memory map.

    Examples:
        >>> AREAS[3].writable, AREAS[3].contains(0x30FE, 2), AREAS[3].contains(0x30FF, 2)
        (True, True, False)
    """

    start: int
    end: int  # exclusive
    writable: bool
    readable: bool
    name: str

    def contains(self, address: int, length: int) -> bool:
        """Whether ``length`` bytes from ``address`` lie inside this area."""
        return self.start <= address and address + length <= self.end


AREAS: Final = (
    Area(0x0000, 0x2000, writable=False, readable=False, name="flash configuration"),
    Area(0x2000, 0x2300, writable=False, readable=True, name="Modbus data"),
    Area(0x2300, 0x2500, writable=False, readable=True, name="intrinsic data"),
    Area(0x3000, 0x3100, writable=True, readable=True, name="controller RAM"),
    Area(0x5000, 0x5100, writable=True, readable=True, name="controller flash"),
    Area(0x6000, 0x7000, writable=False, readable=True, name="Modbus data (extended)"),
)
"""The iConnector memory map (byte addresses)."""
MEMORY_SIZE: Final = 0x7000


@attrs.frozen(slots=True)
class Signal:
    """A live value in a read-only area: ``compute(t, phase)`` at simulated time ``t``.

    Examples:
        >>> SIGNALS[0].name, SIGNALS[0].point("0.0.0.1").address
        ('sine', '2000')
    """

    name: str
    address: int
    data_type: DataType
    compute: Callable[[float, int], Value]
    length: int | None = None

    def point(self, hostname: str) -> Point:
        """This signal on device ``hostname``."""
        if self.length is None:
            return Point(hostname, self.address, self.data_type)
        return Point(hostname, self.address, self.data_type, self.length)


def _sine(t: float, phase: int) -> float:
    return round(20.0 + 5.0 * math.sin(2 * math.pi * (t + 7 * phase) / 60.0), 2)


SIGNALS: Final = (
    Signal("sine", 0x2000, DataType.FLOAT, _sine),
    Signal("ramp", 0x2004, DataType.UINT16, lambda t, p: (int(t) + 100 * p) % 1000),
    Signal("counter", 0x2006, DataType.UINT32, lambda t, p: int(t * 10)),
    Signal("toggle", 0x200A, DataType.BYTE, lambda t, p: (int(t) + p) % 2),
    Signal("status", 0x200B, DataType.HEXA, lambda t, p: bytes((0xA5, p & 0xFF, int(t) & 0xFF)), 3),
    Signal("level", 0x2010, DataType.INT16, lambda t, p: int(50 * math.sin(t / 10.0 + p))),
    Signal("supply", 0x2300, DataType.FLOAT, lambda t, p: round(12.0 + 0.1 * math.cos(t / 5.0), 3)),
    Signal("uptime", 0x2304, DataType.UINT32, lambda t, p: int(t)),
    Signal("temperature", 0x6000, DataType.INT16, lambda t, p: int(250 + 30 * math.sin(t / 20.0 + p))),
    Signal("flow", 0x6002, DataType.FLOAT, lambda t, p: round(abs(3.5 * math.sin(t / 15.0 + p)), 3)),
)
"""The moving values every simulated device exposes."""

_MESSAGES: Final = {
    "00": "Sets value to the device is Successful.",
    "01": "Sets value to the device is failured [Device Identify is not found].",
    "04": "Sets value to the device is failured [Device Identify is not found].",
    "06": "Sets value to the device is failured [unknown error].",
    "08": "Sets value to the device is failured [Memmory Area is not allowed writing].",
    "0A": "Sets value to the device is failured [Device has beed locked].",
    "0B": "Sets value to the device is failured [Device has been deattached].",
    "0E": "Sets value to the device is failured [Device is unattached].",
}


class Device:
    """One simulated iConnector: a byte memory map with live signals.

    ``fault`` (a response code such as ``"0A"``) makes every write to it fail with that code;
    ``flash_writes`` counts writes to the wear-limited flash area.

    Examples:
        >>> dev = Device("0.0.0.1", index=0)
        >>> dev.write(Point("0.0.0.1", "3000", DataType.FLOAT), "3.3")
        '00'
        >>> dev.read(Point("0.0.0.1", "3000", DataType.FLOAT))
        '3.3'
        >>> dev.write(Point("0.0.0.1", "2000", DataType.FLOAT), "1.0")
        '08'
    """

    def __init__(self, hostname: str, index: int = 0) -> None:
        self.hostname = hostname
        self.index = index
        self.device_id: int = 0x0A000000 + index + 1
        self.memory: bytearray = bytearray(MEMORY_SIZE)
        self.fault: str | None = None
        self.flash_writes: int = 0
        name = f"IC {hostname}".encode()[:16]
        self.memory[0x2308 : 0x2308 + len(name)] = name  # a string at 0x2308, length 16

    def tick(self, t: float) -> None:
        """Move the live signals to simulated time ``t`` (seconds)."""
        for signal in SIGNALS:
            pack(self.memory, signal.address, signal.data_type, signal.compute(t, self.index), length=signal.length)

    @staticmethod
    def area(address: int, length: int) -> Area | None:
        """The area holding ``length`` bytes from ``address`` (``None``: outside the map)."""
        return next((a for a in AREAS if a.contains(address, length)), None)

    def value(self, point: Point) -> Value:
        """The typed value at ``point`` (no area check)."""
        length = None if point.data_type.size else point.length
        return unpack(self.memory, int(point.address, 16), point.data_type, length=length)

    def read(self, point: Point) -> str:
        """The wire text of the value at ``point`` (no area check)."""
        value = self.value(point)
        if point.data_type is DataType.STRING:
            return str(value)
        return to_text(point.data_type, value, length=None if point.data_type.size else point.length)

    def write(self, point: Point, text: str) -> str:
        """Write wire ``text`` at ``point``; returns the response code."""
        address = int(point.address, 16)
        area = self.area(address, point.length)
        if area is None or not area.writable:
            return "08"
        try:
            value = point.parse(text)
            pack(self.memory, address, point.data_type, value, length=None if point.data_type.size else point.length)
        except CodecError:
            return "06"
        if area.start == 0x5000:
            self.flash_writes += 1
        return "00"


class GlobiotsSimulator(SimulatorBase):
    """The Data Engine: realtime pushes and set-data over iConnector memory maps.

    ``hostnames`` name the devices (default ``0.0.0.1`` and ``0.0.0.2``); ``base_url`` is what
    clients take. Its switches are listed in [`iotws.globiots.simulator`][].

    Examples:
        >>> sim = GlobiotsSimulator(["0.0.0.254"], time_scale=10)
        >>> sorted(sim.devices), sim.time_scale
        (['0.0.0.254'], 10.0)
    """

    paths: ClassVar[tuple[str, ...]] = (
        "/data-engine/realtime",
        "/data-engine/mobile/realtime",
        "/data-engine/set-data",
    )
    logger_name = "iotws.globiots"

    def __init__(
        self,
        hostnames: Iterable[str] = ("0.0.0.1", "0.0.0.2"),
        *,
        time_scale: float = 1.0,
        **kwargs: Any,
    ) -> None:
        names = () if isinstance(hostnames, str) else tuple(hostnames)
        if not names or not all(isinstance(name, str) and name for name in names):
            raise UsageError(f"hostnames must be an iterable of non-empty strings, got {excerpt(hostnames)}")
        if isinstance(time_scale, bool) or not isinstance(time_scale, int | float) or not 0 < time_scale < math.inf:
            raise UsageError(f"time_scale must be a positive number, got {excerpt(time_scale)}")
        super().__init__(**kwargs)
        self.devices: dict[str, Device] = {name: Device(name, index) for index, name in enumerate(names)}
        self.time_scale: float = float(time_scale)
        self.pushing = True
        self.length_as_text = False
        self.unknown_host_code = "04"
        self.set_fault: str | None = None
        self.failing_reads: set[tuple[str, str]] = set()
        self.slow_writes: dict[tuple[str, str], float] = {}
        self.realtime_requests: list[RealtimeRequest] = []
        self.set_requests: list[SetRequest] = []
        self.upgrades: list[tuple[str, dict[str, str]]] = []
        self._started = time.monotonic()
        self.tick()

    @property
    def base_url(self) -> str:
        """The base URL clients take, e.g. ``ws://127.0.0.1:PORT/data-engine``."""
        return self.url("/data-engine")

    def sim_time(self) -> float:
        """Simulated seconds since the simulator was made (real seconds times ``time_scale``)."""
        return (time.monotonic() - self._started) * self.time_scale

    def tick(self) -> None:
        """Move every device's live signals to the current simulated time."""
        t = self.sim_time()
        for device in self.devices.values():
            device.tick(t)

    async def check_upgrade(self, request: web.Request) -> web.StreamResponse | None:
        """Record each upgrade's path and query parameters in ``upgrades``; refuse none."""
        self.upgrades.append((request.path, dict(request.query)))
        return None

    async def handle(self, conn: SimConnection) -> None:
        if conn.path.endswith("/set-data"):
            await self._serve_set_data(conn)
        else:
            await self._serve_realtime(conn)

    # -- realtime -----------------------------------------------------------------------------
    async def _serve_realtime(self, conn: SimConnection) -> None:
        pusher: asyncio.Task[None] | None = None
        try:
            async for frame in conn:
                try:
                    request = RealtimeRequest.from_wire(loads(frame))
                except ProtocolError as exc:
                    self.log.warning("sim: ignoring a malformed realtime request: %s", exc)
                    continue
                self.realtime_requests.append(request)
                if pusher is not None:
                    pusher.cancel()
                pusher = asyncio.get_running_loop().create_task(self._push_loop(conn, request))
        finally:
            if pusher is not None:
                pusher.cancel()

    async def _push_loop(self, conn: SimConnection, request: RealtimeRequest) -> None:
        previous: dict[tuple[str, str], Value] = {}
        while True:
            if self.pushing:
                await conn.send(dumps(self.snapshot(request, previous)))
            await asyncio.sleep(request.update_time / self.time_scale)

    def snapshot(
        self, request: RealtimeRequest, previous: dict[tuple[str, str], Value] | None = None
    ) -> dict[str, Any]:
        """The realtime response for ``request`` now; ``previous`` tracks ``changeOfValue``.

        Examples:
            >>> sim = GlobiotsSimulator()
            >>> req = RealtimeRequest([Point("0.0.0.1", "3000", DataType.BYTE)])
            >>> (obj,) = sim.snapshot(req)["objects"]
            >>> (entry,) = obj["addresses"]
            >>> entry["changeOfValue"]
            'UNCHNAGED'
        """
        self.tick()
        previous = {} if previous is None else previous
        objects: dict[str, list[dict[str, Any]]] = {}
        for point in request.points:
            objects.setdefault(point.hostname, []).append(self._entry(point, previous))
        return {
            "updateTime": request.update_time,
            "timezone": request.timezone,
            "timestamp": int(time.time() * 1000),
            "sessionId": request.session_id or "",
            "objects": [{"hostname": host, "addresses": entries} for host, entries in objects.items()],
        }

    def _entry(self, point: Point, previous: dict[tuple[str, str], Value]) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "address": point.address,
            "dataType": point.data_type.value,
            "length": str(point.length) if self.length_as_text else point.length,
        }
        device = self.devices.get(point.hostname)
        area = Device.area(int(point.address, 16), point.length)
        if device is None:
            code = self.unknown_host_code
        elif area is None or not area.readable:
            code = "09"
        elif point.key in self.failing_reads:
            code = "06"
        else:
            value = device.value(point)
            entry["value"] = device.read(point)
            entry["changeOfValue"] = ChangeOfValue.between(previous.get(point.key), value).to_wire()
            previous[point.key] = value
            return entry
        entry.update(
            value="",
            changeOfValue=ChangeOfValue.UNCHANGED.to_wire(),
            status="message-request-fail",
            responseCode=code,
            responseMessage=ResponseCode.from_wire(code).meaning,
        )
        return entry

    # -- set data -----------------------------------------------------------------------------
    async def _serve_set_data(self, conn: SimConnection) -> None:
        async for frame in conn:
            try:
                request = SetRequest.from_wire(loads(frame))
            except ProtocolError as exc:
                self.log.warning("sim: ignoring a malformed set-data request: %s", exc)
                continue
            self.set_requests.append(request)
            answer = dumps(self.apply(request))
            delay = max((self.slow_writes.get(write.point.key, 0.0) for write in request.writes), default=0.0)
            if delay > 0:
                await asyncio.sleep(delay)
            await conn.send(answer)

    def apply(self, request: SetRequest) -> dict[str, Any]:
        """Write ``request`` into the devices and return the set-data response.

        Examples:
            >>> from iotws.globiots.models import PointWrite
            >>> sim = GlobiotsSimulator()
            >>> req = SetRequest([PointWrite.of(Point("0.0.0.9", "3000", DataType.BYTE), 1)])
            >>> services = sim.apply(req)["services"]
            >>> (obj,) = services["objects"]
            >>> (entry,) = obj["addresses"]
            >>> entry["responseCode"]
            '04'
        """
        objects: dict[str, list[dict[str, Any]]] = {}
        for write in request.writes:
            point = write.point
            device = self.devices.get(point.hostname)
            if device is None:
                code, device_id = self.unknown_host_code, 0
            else:
                code = self.set_fault or device.fault or device.write(point, write.text)
                device_id = device.device_id
            if code == "10":
                message = f"Sets value to the device[{device_id:08X}] is timeout."
            else:
                meaning = ResponseCode.from_wire(code).meaning
                message = _MESSAGES.get(code, f"Sets value to the device is failured [{meaning}].")
            objects.setdefault(point.hostname, []).append(
                {
                    "address": point.address,
                    "value": write.text,
                    "dataType": point.data_type.value,
                    "responseCode": code,
                    "responseMessage": message,
                }
            )
        return {
            "sessionId": "",
            "services": {
                "serviceName": "set-data",
                "objects": [
                    {"type": "any-data", "hostname": host, "addresses": entries} for host, entries in objects.items()
                ],
            },
        }
