"""The farmws reference server: both dialects, a built-in emulated controller, fault switches.

Paths served:

* ``/`` — Dialect D controllers; every valid ``{"event", "data"}`` frame is
  relayed unchanged to every dashboard.
* ``/clients/{id}`` — Dialect D dashboards (their own frames are ignored).
* ``/controller/{name}`` — Dialect I devices, as the reference Flask server
  handles them (facts in ``docs/farmws.md``, "The real server's quirks"): the
  config command on first connect, registrations stored as sent,
  ``{"event":"error","data":"Error in the data sent"}`` only where the server
  sends it, commands sent ``time_out + 1`` times every 0.5 s (to every device)
  until answered ([`FarmSimulator.send_command`][iotws.farmws.FarmSimulator.send_command]), a dropped device removed
  at the first 1 s scheduler tick more than 5 s after its socket closed.
* ``/client/live_hardware_infor`` — Dialect I dashboards: a snapshot on connect
  and every 2 s.
* HTTP, like the server's: ``POST /api/<start|stop>_<irrigation|drainage>``,
  ``GET /api/refresh_hardware_infor`` and ``GET /api/real_time_ecological_factors``.

The server's own bugs are switches, on by default: ``snapshot_drops_sockets``,
``failed_status_5000``, ``updates_uncommitted``.

With ``emulate=True`` (default) a [`FarmEmulator`][iotws.farmws.FarmEmulator] sends
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
from aiohttp import web

from iotws.errors import ProtocolError, RemoteError, RequestTimeout
from iotws.farmws.emulator import FarmEmulator
from iotws.farmws.models import DeviceCommand, FarmEvent, RegisterSensors, ServerError, Snapshot
from iotws.farmws.protocol import DEFAULT_SENSORS, encode, parse_event
from iotws.simulator import SimConnection, SimulatorBase

__all__ = ["DASHBOARD_PATH", "DEVICE_PATH", "LIVE_PATH", "DeviceRecord", "FarmSimulator"]

DASHBOARD_PATH = "/clients/{id}"
"""Path patterns of the two dialects."""
DEVICE_PATH = "/controller/{name}"
LIVE_PATH = "/client/live_hardware_infor"

CONFIG_COMMAND = "config --socket_send_data_seconds 3 --send_sensor_status_seconds 2"
"""The config command the reference server sends on a device's first connect."""
ERROR_MESSAGE = "Error in the data sent"
"""The reference server's answer to a frame it cannot handle."""
NO_CONTROLLER = "No Controlller is connected, check your components!!"
"""What the server's command endpoint answers when no device is connected (sic)."""

R = TypeVar("R")

_ALPHABET = string.ascii_letters + string.digits


class _HandlerFailed(Exception):
    """A device event handler of the reference server raised: it answers ``error``."""


@attrs.define
class DeviceRecord:
    """A Dialect I device in the simulator's registry (kept through the reconnect grace).

    ``sensors`` holds each sensor's entry exactly as the reference server keeps it
    and serves it in snapshots: the registered metadata (extra keys included, a
    malformed entry such as ``5`` as sent) with ``status`` and ``last_value`` set
    on it. ``socket_deleted`` is the server's bug of a snapshot deleting the
    device's socket (see [`FarmSimulator.snapshot_drops_sockets`][iotws.farmws.FarmSimulator.snapshot_drops_sockets]).

    Examples:
        >>> record = DeviceRecord("Esp8266", sensors={"Rain": {"unit": "mm", "status": False, "last_value": 3}})
        >>> record.values, record.status, record.connects
        ({'Rain': 3}, {'Rain': False}, 0)
    """

    name: str
    sensors: dict[str, Any] = attrs.field(factory=dict)
    conn: SimConnection | None = None
    socket_deleted: bool = False
    connects: int = 0
    configured: int = 0
    closed_at: float | None = None
    """Loop time the socket closed (``None`` while connected or never connected)."""

    @property
    def values(self) -> dict[str, Any]:
        """``last_value`` of every well-formed sensor entry."""
        return {k: v.get("last_value") for k, v in self.sensors.items() if isinstance(v, dict)}

    @property
    def status(self) -> dict[str, Any]:
        """``status`` of every well-formed sensor entry."""
        return {k: v.get("status") for k, v in self.sensors.items() if isinstance(v, dict)}

    def state(self) -> dict[str, Any]:
        """This device as a snapshot entry (JSON data, as the server serves it)."""
        return {"name": self.name, "sensors": self.sensors}

    # -- the reference server's event handlers, step for step ------------------------
    def register(self, data: Any) -> None:
        """``register_sensors``: store each entry as sent, then reset its status and value.

        A non-object ``data`` or entry fails (the server answers ``error``); a bad
        entry is stored before the failure and the entries after it are not.
        """
        if not isinstance(data, dict):
            raise _HandlerFailed("'data' has no .items()")
        for sensor, entry in data.items():
            self.sensors[sensor] = entry
            if not isinstance(entry, dict):
                raise _HandlerFailed(f"cannot set 'status' on {entry!r}")
            entry["status"] = False
            entry["last_value"] = None

    def update(self, data: Any, row: Callable[[str, Any], None]) -> None:
        """``sensor_update``: store each value until an unregistered sensor; never fails."""
        if not isinstance(data, dict):
            return
        for sensor, value in data.items():
            row(sensor, value)
            entry = self.sensors.get(sensor)
            if not isinstance(entry, dict):
                return  # KeyError / TypeError, swallowed by the server
            entry["last_value"] = value

    def set_status(self, data: Any) -> None:
        """``sensor_status``: store each registered sensor's status as sent; never fails."""
        if not isinstance(data, dict):
            return
        for sensor, value in data.items():
            if sensor not in self.sensors:
                continue
            entry = self.sensors[sensor]
            if not isinstance(entry, dict):
                return  # TypeError, swallowed by the server
            entry["status"] = value


class FarmSimulator(SimulatorBase):
    """The farmws reference server (both dialects) on loopback.

    Switches (plain attributes, settable while running): ``emulate_interval``,
    ``resend_interval`` (0.5), ``grace`` (5), ``scheduler_tick`` (1: a dropped
    device is removed at the first tick more than ``grace`` after its socket
    closed), ``snapshot_interval`` (2) (seconds, before ``time_scale``),
    ``relay_all`` (``False``: relay only ``temperature`` and ``humidity``, the two
    documented dashboard events), ``min_sends`` (send every command at least this
    many times, as when replies arrive late), ``config_command``.

    The reference server's bugs, on by default:

    * ``snapshot_drops_sockets``: serving a dashboard snapshot deletes every
      device's socket, so the next command fails (``RemoteError(500, "KeyError:
      'ws'")``, HTTP 500) until that device reconnects.
    * ``failed_status_5000``: the command endpoint answers an unanswered command
      with the invalid HTTP status 5000 (off: 504).
    * ``updates_uncommitted``: sensor updates never reach ``history`` (the
      server's database).

    Observations for tests: ``received`` (Dialect D events from controllers),
    ``devices`` (registry), ``replies`` (return id -> every reply received),
    ``sends`` (return id -> how many times it was sent), ``errors_sent``,
    ``history`` (committed ``(device, sensor, value)`` rows).

    Examples:
        >>> sim = FarmSimulator(time_scale=0.1)
        >>> sim.scaled(sim.resend_interval), sim.snapshot_drops_sockets
        (0.05, True)
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
        self.emulate: bool = emulate
        self.time_scale: float = time_scale
        self.emulator: FarmEmulator = FarmEmulator(seed=seed)
        self.emulated_device: str = emulated_device
        self.emulate_interval: float = 1.0
        self.resend_interval: float = 0.5
        self.grace: float = 5.0
        self.scheduler_tick: float = 1.0
        self.snapshot_interval: float = 2.0
        self.relay_all: bool = True
        self.min_sends: int = 1
        self.config_command: str = CONFIG_COMMAND
        self.snapshot_drops_sockets: bool = True
        self.failed_status_5000: bool = True
        self.updates_uncommitted: bool = True
        self.received: list[FarmEvent] = []
        self.devices: dict[str, DeviceRecord] = {}
        self.replies: dict[str, list[Any]] = {}
        self.sends: dict[str, int] = {}
        self.errors_sent: int = 0
        self.history: list[tuple[str, str, Any]] = []
        self._waiting: dict[str, asyncio.Future[Any]] = {}

    def scaled(self, seconds: float) -> float:
        """``seconds`` times ``time_scale``."""
        return seconds * self.time_scale

    # -- lifecycle ------------------------------------------------------------------
    async def on_start(self) -> None:
        """Start the scheduler (removes dropped devices) and the emulated controller."""
        self.spawn(self._scheduler())
        if self.emulate:
            record = DeviceRecord(self.emulated_device)
            record.register(RegisterSensors(DEFAULT_SENSORS).to_wire()["data"])
            self.devices.setdefault(self.emulated_device, record)
            self.spawn(self._emulate())

    async def _scheduler(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self.scaled(self.scheduler_tick))
            now = loop.time()
            for record in list(self.devices.values()):
                closed = record.closed_at
                if record.conn is None and closed is not None and now - closed > self.scaled(self.grace):
                    del self.devices[record.name]
                    self.log.info("sim: device %s removed after the grace period", record.name)

    async def _emulate(self) -> None:
        while True:
            await asyncio.sleep(self.scaled(self.emulate_interval))
            for event in self.emulator.step(self.emulate_interval):
                await self._to_dashboards(encode(event.to_wire()))
            record = self.devices.get(self.emulated_device)
            if record is not None:
                record.update(self.emulator.sensor_values(), lambda sensor, value: None)
                record.set_status(self.emulator.sensor_status())

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
        reconnect = record is not None and record.conn is None and record.closed_at is not None
        if record is None or not reconnect:
            record = self.devices[name] = DeviceRecord(name)
        record.conn = conn
        record.closed_at = None
        record.socket_deleted = False
        record.connects += 1
        self.log.info("sim: device %s %s", name, "reconnected" if reconnect else "connected")
        if not reconnect:
            record.configured += 1
            await conn.send(encode(DeviceCommand(self.config_command).to_wire()))
        try:
            async for frame in conn:
                await self._device_frame(record, conn, frame)
        finally:
            if record.conn is conn:
                record.conn = None
                record.closed_at = asyncio.get_running_loop().time()

    async def _device_frame(self, record: DeviceRecord, conn: SimConnection, frame: str | bytes) -> None:
        if isinstance(frame, bytes):
            await self._error(conn)  # seen: the server answers binary frames with an error
            return
        try:
            message = json.loads(frame)
        except (ValueError, RecursionError):
            message = None
        if not isinstance(message, dict) or "event" not in message or isinstance(message["event"], (list, dict)):
            await self._error(conn)  # not JSON, not an object, no event, or an unhashable event
            return
        name = message["event"]
        if not isinstance(name, str):
            return  # a number, bool or null is no known event: ignored silently
        if name in self.sends:  # a reply: the event name is the return id
            await self._reply(conn, name, message)
            return
        handler = self._device_handlers().get(name)
        if handler is None:
            return  # unknown events are ignored silently, as the reference server does
        if "data" not in message:
            await self._error(conn)
            return
        try:
            handler(record, message["data"])
        except _HandlerFailed:
            await self._error(conn)

    async def _reply(self, conn: SimConnection, rid: str, message: dict[str, Any]) -> None:
        waiter = self._waiting.get(rid)
        if waiter is None or waiter.done():
            self.replies.setdefault(rid, []).append(message.get("data"))
            return  # the server removed the reply event: a late reply is ignored
        if "data" not in message:
            await self._error(conn)
            return
        self.replies.setdefault(rid, []).append(message["data"])
        waiter.set_result(message["data"])

    def _device_handlers(self) -> dict[str, Callable[[DeviceRecord, Any], None]]:
        def update(record: DeviceRecord, data: Any) -> None:
            def row(sensor: str, value: Any) -> None:
                if not self.updates_uncommitted:
                    self.history.append((record.name, sensor, value))

            record.update(data, row)

        return {
            "register_sensors": DeviceRecord.register,
            "sensor_update": update,
            "sensor_status": DeviceRecord.set_status,
        }

    async def _error(self, conn: SimConnection) -> None:
        self.errors_sent += 1
        await conn.send(encode(ServerError(ERROR_MESSAGE).to_wire()))

    async def send_command(self, cmd: str, *, expect_reply: bool = True, time_out: int = 7) -> Any:
        """Send ``cmd`` to every connected device; with ``expect_reply``, wait for the answer.

        Like the reference server, a command expecting a reply carries a random
        10-character ``return`` id and is sent every ``resend_interval`` to all
        devices until a reply arrives, at most ``time_out + 1`` times (a reply to
        the last copy comes too late); then [`RequestTimeout`][iotws.RequestTimeout].
        Returns the reply's data. With ``snapshot_drops_sockets``, a device whose
        socket a snapshot deleted fails the command with ``RemoteError(500, ...)``.
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
            for attempt in range(max(time_out + 1, self.min_sends)):
                if waiter.done() and attempt >= self.min_sends:
                    return waiter.result()
                self.sends[rid] += 1
                await self._to_devices(frame)
                await asyncio.sleep(self.scaled(self.resend_interval))
            if waiter.done() and self.min_sends > time_out:
                return waiter.result()
            raise RequestTimeout(f"no device answered {cmd!r} (return id {rid}) after {self.sends[rid]} sends")
        finally:
            self._waiting.pop(rid, None)

    async def _to_devices(self, frame: str) -> None:
        for record in list(self.devices.values()):
            if record.socket_deleted:
                raise RemoteError(500, f"KeyError: 'ws' (a dashboard snapshot deleted {record.name}'s socket)")
            if record.conn is not None:
                await record.conn.send(frame)

    # -- HTTP, as the reference server's ------------------------------------------------
    def add_routes(self, app: web.Application) -> None:
        """The server's command and hardware-information endpoints."""
        app.router.add_post("/api/{action:[a-z]+}_{what:[a-z]+}", self._http_command)
        app.router.add_get("/api/refresh_hardware_infor", self._http_snapshot)
        app.router.add_get("/api/real_time_ecological_factors", self._http_sensors)

    async def _http_command(self, request: web.Request) -> web.Response:
        action, what = request.match_info["action"], request.match_info["what"]
        if action not in ("start", "stop"):
            return web.Response(status=404, text="Error, Action should be start or stop")
        if what not in ("irrigation", "drainage"):
            text = f"Error! Url should be either /api/{action}_irrigation or /api/{action}_drainage  "
            return web.Response(status=404, text=text)
        if not self.devices:
            return web.Response(status=500, text=NO_CONTROLLER)
        try:
            await self.send_command(f"{what} {action}", time_out=20)
        except RemoteError as exc:
            return web.Response(status=500, text=f"Internal Server Error: {exc}")
        except RequestTimeout:
            return web.Response(status=5000 if self.failed_status_5000 else 504, text="Failed")
        return web.Response(text="Done")

    async def _http_snapshot(self, request: web.Request) -> web.Response:
        return web.json_response(self._served_snapshot())

    async def _http_sensors(self, request: web.Request) -> web.Response:
        flat = {sid: entry for record in self.devices.values() for sid, entry in record.sensors.items()}
        return web.json_response(flat)

    # -- Dialect I: live dashboards ---------------------------------------------------
    def snapshot_data(self) -> dict[str, Any]:
        """The snapshot as the server serves it (JSON data; malformed entries included).

        Examples:
            >>> FarmSimulator(emulate=False).snapshot_data()
            {}
        """
        return {name: record.state() for name, record in self.devices.items()}

    def snapshot(self) -> Snapshot:
        """The live state of every registered device, parsed as a dashboard does (``strict=False``).

        Examples:
            >>> FarmSimulator(emulate=False).snapshot()
            Snapshot(devices={})
        """
        return Snapshot.from_wire(self.snapshot_data(), strict=False)

    def _served_snapshot(self) -> dict[str, Any]:
        if self.snapshot_drops_sockets:
            for record in self.devices.values():
                if record.connects:  # the emulated device never had a socket
                    record.socket_deleted = True
        return self.snapshot_data()

    async def _live(self, conn: SimConnection) -> None:
        async def push() -> None:
            while True:
                await conn.send(json.dumps(self._served_snapshot()))
                await asyncio.sleep(self.scaled(self.snapshot_interval))

        task = asyncio.get_running_loop().create_task(push())
        try:
            async for _ in conn:
                pass  # the reference server ignores what dashboards send
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
