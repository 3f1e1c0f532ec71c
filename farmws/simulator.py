"""The farmws reference server: both dialects, a built-in emulated controller, fault switches.

Paths served:

* ``/`` — Dialect D controllers; every valid ``{"event", "data"}`` frame is
  relayed unchanged to every dashboard.
* ``/clients/{id}`` — Dialect D dashboards (their own frames are ignored).
* ``/controller/{name}`` — Dialect I devices: the config command on first
  connect, ``register_sensors``/``sensor_update``/``sensor_status`` stored,
  ``{"event":"error","data":"Error in the data sent"}`` for malformed frames,
  commands re-sent every 0.5 s (to every device) until answered
  (:meth:`FarmSimulator.send_command`), 5 s grace for a dropped device.
* ``/client/live_hardware_infor`` — Dialect I dashboards: a snapshot on connect
  and every 2 s.

With ``emulate=True`` (default) a :class:`~iotws.farmws.emulator.FarmEmulator` sends
Dialect D events to dashboards every ``emulate_interval`` seconds and appears
as the device ``emulated_device`` in snapshots. ``time_scale`` multiplies every
interval (``0.1`` = ten times faster) for tests.

Examples:
    >>> with FarmSimulator(emulate=False).run() as sim:
    ...     sim.url("/clients/7").endswith("/clients/7")
    True
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import string
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import attrs

from iotws.errors import ProtocolError, RequestTimeout
from iotws.farmws.emulator import FarmEmulator
from iotws.farmws.models import (
    DeviceCommand,
    DeviceState,
    FarmEvent,
    Number,
    RegisterSensors,
    SensorInfo,
    SensorState,
    SensorStatus,
    SensorUpdate,
    ServerError,
    Snapshot,
)
from iotws.farmws.protocol import DEFAULT_SENSORS, encode, parse_event
from iotws.simulator import SimConnection, SimulatorBase

__all__ = ["DASHBOARD_PATH", "DEVICE_PATH", "LIVE_PATH", "DeviceRecord", "FarmSimulator"]

#: Path patterns of the two dialects.
DASHBOARD_PATH = "/clients/{id}"
DEVICE_PATH = "/controller/{name}"
LIVE_PATH = "/client/live_hardware_infor"

#: The config command the reference server sends on a device's first connect.
CONFIG_COMMAND = "config --socket_send_data_seconds 3 --send_sensor_status_seconds 2"
#: The reference server's answer to a frame it cannot handle.
ERROR_MESSAGE = "Error in the data sent"

R = TypeVar("R")

_ALPHABET = string.ascii_letters + string.digits


@attrs.define
class DeviceRecord:
    """A Dialect I device in the simulator's registry (kept through the reconnect grace).

    Examples:
        >>> DeviceRecord("Esp8266").connects
        0
    """

    name: str
    sensors: dict[str, SensorInfo] = attrs.field(factory=dict)
    values: dict[str, Number] = attrs.field(factory=dict)
    status: dict[str, bool] = attrs.field(factory=dict)
    conn: SimConnection | None = None
    connects: int = 0
    configured: int = 0
    removal: asyncio.Task[None] | None = None

    def state(self) -> DeviceState:
        """This device as a snapshot entry."""
        ids = list(self.sensors) + [k for k in self.values if k not in self.sensors]
        sensors = {
            sid: SensorState(
                status=self.status.get(sid, False),
                last_value=self.values.get(sid),
                name=self.sensors[sid].name if sid in self.sensors else None,
            )
            for sid in ids
        }
        return DeviceState(name=self.name, sensors=sensors)


class FarmSimulator(SimulatorBase):
    """The farmws reference server (both dialects) on loopback.

    Switches (plain attributes, settable while running): ``emulate_interval``,
    ``resend_interval``, ``grace``, ``snapshot_interval`` (seconds, before
    ``time_scale``), ``relay_all`` (``False``: relay only ``temperature`` and
    ``humidity``, the two documented dashboard events), ``min_sends`` (send every
    command at least this many times, as when replies arrive late), ``config_command``.

    Observations for tests: ``received`` (Dialect D events from controllers),
    ``devices`` (registry), ``replies`` (return id -> every reply received),
    ``sends`` (return id -> how many times it was sent), ``errors_sent``.

    Examples:
        >>> sim = FarmSimulator(time_scale=0.1)
        >>> sim.scaled(sim.resend_interval)
        0.05
    """

    paths: ClassVar[tuple[str, ...]] = ("/", DASHBOARD_PATH, DEVICE_PATH, LIVE_PATH)
    logger_name: ClassVar[str] = "iotws.farmws"
    heartbeat: float | None = 25.0

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        emulate: bool = True,
        time_scale: float = 1.0,
        seed: int | None = None,
        emulated_device: str = "Emulated",
        **kwargs: Any,
    ) -> None:
        super().__init__(host, port, **kwargs)
        self.emulate = emulate
        self.time_scale = time_scale
        self.emulator = FarmEmulator(seed=seed)
        self.emulated_device = emulated_device
        self.emulate_interval = 1.0
        self.resend_interval = 0.5
        self.grace = 5.0
        self.snapshot_interval = 2.0
        self.relay_all = True
        self.min_sends = 1
        self.config_command = CONFIG_COMMAND
        self.received: list[FarmEvent] = []
        self.devices: dict[str, DeviceRecord] = {}
        self.replies: dict[str, list[Any]] = {}
        self.sends: dict[str, int] = {}
        self.errors_sent = 0
        self._waiting: dict[str, asyncio.Future[Any]] = {}
        self._stopping = False

    def scaled(self, seconds: float) -> float:
        """``seconds`` times ``time_scale``."""
        return seconds * self.time_scale

    # -- lifecycle ------------------------------------------------------------------
    async def on_start(self) -> None:
        """Start the emulated controller."""
        self._stopping = False
        if self.emulate:
            record = DeviceRecord(self.emulated_device, sensors=dict(DEFAULT_SENSORS))
            self.devices.setdefault(self.emulated_device, record)
            self.spawn(self._emulate())

    async def on_stop(self) -> None:
        """Stop grace timers."""
        self._stopping = True
        for record in self.devices.values():
            if record.removal is not None:
                record.removal.cancel()

    async def _emulate(self) -> None:
        while True:
            await asyncio.sleep(self.scaled(self.emulate_interval))
            for event in self.emulator.step(self.emulate_interval):
                await self._to_dashboards(encode(event.to_wire()))
            record = self.devices.get(self.emulated_device)
            if record is not None:
                record.values.update(self.emulator.sensor_values())
                record.status.update(self.emulator.sensor_status())

    # -- routing --------------------------------------------------------------------
    async def handle(self, conn: SimConnection) -> None:
        """Serve one connection by its path."""
        path = conn.path
        if path == "/":
            conn.state["role"] = "controller"
            await self._controller(conn)
        elif path == LIVE_PATH:
            conn.state["role"] = "live"
            await self._live(conn)
        elif path.startswith("/clients/"):
            conn.state["role"] = "dashboard"
            conn.state["client_id"] = conn.request.match_info.get("id", "")
            async for _ in conn:
                pass  # dashboards "don't usually send data"; nothing is documented for it
        else:
            conn.state["role"] = "device"
            await self._device(conn, conn.request.match_info.get("name", ""))

    def _peers(self, role: str) -> list[SimConnection]:
        return [c for c in list(self.connections) if c.state.get("role") == role]

    async def _to_dashboards(self, frame: str) -> None:
        for conn in self._peers("dashboard"):
            await conn.send(frame)

    async def publish(self, event: FarmEvent) -> None:
        """Send a Dialect D event to every dashboard, as if a controller sent it."""
        await self._to_dashboards(encode(event.to_wire()))

    # -- Dialect D ------------------------------------------------------------------
    async def _controller(self, conn: SimConnection) -> None:
        async for frame in conn:
            try:
                event = parse_event(frame)
            except ProtocolError as exc:
                self.log.warning("sim: controller sent a malformed frame: %s", exc)
                continue
            self.received.append(event)
            if self.relay_all or event.event in ("temperature", "humidity"):
                await self._to_dashboards(frame if isinstance(frame, str) else frame.decode())

    # -- Dialect I: devices -----------------------------------------------------------
    async def _device(self, conn: SimConnection, name: str) -> None:
        record = self.devices.get(name)
        first = record is None
        if record is None:
            record = self.devices[name] = DeviceRecord(name)
        if record.removal is not None:
            record.removal.cancel()
            record.removal = None
        record.conn = conn
        record.connects += 1
        self.log.info("sim: device %s %s", name, "connected" if first else "reconnected")
        if first:
            record.configured += 1
            await conn.send(encode(DeviceCommand(self.config_command).to_wire()))
        try:
            async for frame in conn:
                await self._device_frame(record, conn, frame)
        finally:
            if record.conn is conn:
                record.conn = None
                if not self._stopping:
                    record.removal = asyncio.get_running_loop().create_task(self._remove_later(record))

    async def _remove_later(self, record: DeviceRecord) -> None:
        await asyncio.sleep(self.scaled(self.grace))
        if record.conn is None and self.devices.get(record.name) is record:
            del self.devices[record.name]
            self.log.info("sim: device %s removed after the grace period", record.name)

    async def _device_frame(self, record: DeviceRecord, conn: SimConnection, frame: str | bytes) -> None:
        try:
            message = json.loads(frame)
        except (ValueError, RecursionError):
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("event"), str):
            await self._error(conn)
            return
        name = message["event"]
        if name in self.sends:  # a reply: the event name is the return id
            self.replies.setdefault(name, []).append(message.get("data"))
            waiter = self._waiting.get(name)
            if waiter is not None and not waiter.done():
                waiter.set_result(message.get("data"))
            return
        handler = self._device_handlers().get(name)
        if handler is None:
            return  # unknown events are ignored silently, as the reference server does
        if "data" not in message:
            await self._error(conn)
            return
        try:
            handler(record, message["data"])
        except ProtocolError:
            await self._error(conn)

    def _device_handlers(self) -> dict[str, Callable[[DeviceRecord, Any], None]]:
        def register(record: DeviceRecord, data: Any) -> None:
            record.sensors.update(RegisterSensors.from_data(data).sensors)

        def update(record: DeviceRecord, data: Any) -> None:
            record.values.update(SensorUpdate.from_data(data).values)

        def status(record: DeviceRecord, data: Any) -> None:
            record.status.update(SensorStatus.from_data(data).connected)

        return {"register_sensors": register, "sensor_update": update, "sensor_status": status}

    async def _error(self, conn: SimConnection) -> None:
        self.errors_sent += 1
        await conn.send(encode(ServerError(ERROR_MESSAGE).to_wire()))

    async def send_command(self, cmd: str, *, expect_reply: bool = True, time_out: int = 7) -> Any:
        """Send ``cmd`` to every connected device; with ``expect_reply``, wait for the answer.

        Like the reference server, a command expecting a reply carries a random
        10-character ``return`` id and is re-sent every ``resend_interval`` to all
        devices until a reply arrives, at most ``time_out`` times; then
        :class:`~iotws.errors.RequestTimeout`.
        """
        if not expect_reply:
            await self._to_devices(encode(DeviceCommand(cmd).to_wire()))
            return None
        rid = "".join(secrets.choice(_ALPHABET) for _ in range(10))
        frame = encode(DeviceCommand(cmd, rid).to_wire())
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[rid] = waiter
        self.sends[rid] = 0
        try:
            for attempt in range(1, max(time_out, self.min_sends) + 1):
                self.sends[rid] += 1
                await self._to_devices(frame)
                await asyncio.sleep(self.scaled(self.resend_interval))
                if waiter.done() and attempt >= self.min_sends:
                    return waiter.result()
                if attempt >= time_out and not waiter.done():
                    break
            raise RequestTimeout(f"no device answered {cmd!r} (return id {rid}) after {self.sends[rid]} sends")
        finally:
            self._waiting.pop(rid, None)

    async def _to_devices(self, frame: str) -> None:
        for conn in self._peers("device"):
            await conn.send(frame)

    # -- Dialect I: live dashboards ---------------------------------------------------
    def snapshot(self) -> Snapshot:
        """The live state of every registered device.

        Examples:
            >>> FarmSimulator(emulate=False).snapshot()
            Snapshot(devices={})
        """
        return Snapshot({name: record.state() for name, record in self.devices.items()})

    async def _live(self, conn: SimConnection) -> None:
        async def push() -> None:
            while True:
                await conn.send(encode(self.snapshot().to_wire()))
                await asyncio.sleep(self.scaled(self.snapshot_interval))

        task = asyncio.get_running_loop().create_task(push())
        try:
            async for _ in conn:
                pass  # the reference server ignores what dashboards send
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
