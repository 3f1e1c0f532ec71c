"""farmws clients, sync and async, for both sides of both dialects.

* Dialect D controller (``ws://HOST/``): :class:`ControllerClient`, :class:`AsyncControllerClient`
* Dialect D dashboard (``/clients/<id>``): :class:`DashboardClient`, :class:`AsyncDashboardClient`
* Dialect I device (``/controller/<name>``): :class:`DeviceClient`, :class:`AsyncDeviceClient`
* Dialect I dashboard (``/client/live_hardware_infor``): :class:`LiveClient`, :class:`AsyncLiveClient`

The command methods are written once (``*Commands`` classes, each method building one
:class:`~iotws.farmws.protocol.SendCommand` with :func:`iotws.commands.command`): the sync
clients return ``None``, the async ones an ``Awaitable[None]``. farmws never
acknowledges a message, so sending completes once the frame is written.

Examples:
    >>> from iotws.farmws import FarmSimulator
    >>> with FarmSimulator(emulate=False).run() as sim:
    ...     with DashboardClient(sim.url("/"), client_id="7") as dash, ControllerClient(sim.url("/")) as ctl:
    ...         ctl.temperature(223, time=8273663)
    ...         dash.next_event(Temperature, timeout=5)
    Temperature(time=8273663, record=223, extra={})
"""

from __future__ import annotations

import contextlib
import inspect
import time as _time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import attrs

from iotws import commands
from iotws.backoff import ReconnectPolicy
from iotws.client import AsyncClientBase, SyncClientBase
from iotws.errors import ConnectionClosed, UsageError, excerpt
from iotws.farmws.models import (
    CommandReply,
    DeviceCommand,
    FarmEvent,
    Humidity,
    IrrigationStarted,
    IrrigationStopped,
    Number,
    RegisterSensors,
    SensorDisconnected,
    SensorInfo,
    SensorStatus,
    SensorUpdate,
    Snapshot,
    SoilMoisture,
    Temperature,
)
from iotws.farmws.protocol import CommandHandler, DeviceCore, EventCore, LiveCore, SendCommand

__all__ = [
    "AsyncControllerClient",
    "AsyncDashboardClient",
    "AsyncDeviceClient",
    "AsyncLiveClient",
    "ControllerClient",
    "ControllerCommands",
    "DashboardClient",
    "DashboardCommands",
    "DeviceClient",
    "DeviceCommands",
    "LiveClient",
    "dashboard_url",
    "device_url",
    "live_url",
]

E = TypeVar("E")
H = TypeVar("H", bound=CommandHandler)

#: The reconnect policy of device clients: back well inside the server's 5 s grace.
DEVICE_RECONNECT = ReconnectPolicy(initial_delay=0.2, factor=2.0, max_delay=2.0, jitter=0.2)


def _with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + path))


def dashboard_url(base: str, client_id: str | int) -> str:
    """The Dialect D dashboard URL for ``client_id`` under ``base``.

    Examples:
        >>> dashboard_url("ws://farm.local/", 42)
        'ws://farm.local/clients/42'
    """
    return _with_path(base, "/clients/" + quote(str(client_id), safe=""))


def device_url(base: str, name: str) -> str:
    """The Dialect I device URL for ``name`` under ``base``.

    Examples:
        >>> device_url("ws://farm.local:5000", "Esp8266")
        'ws://farm.local:5000/controller/Esp8266'
    """
    return _with_path(base, "/controller/" + quote(name, safe=""))


def live_url(base: str) -> str:
    """The Dialect I dashboard URL under ``base``.

    Examples:
        >>> live_url("ws://farm.local:5000/")
        'ws://farm.local:5000/client/live_hardware_infor'
    """
    return _with_path(base, "/client/live_hardware_infor")


def device_time() -> int:
    """The default ``time`` of events sent without one: whole seconds of host uptime.

    The vendor examples (``8273663``) look like device uptime, not a Unix epoch.
    """
    return int(_time.monotonic())


def _t(time: int | None) -> int:
    return device_time() if time is None else time


def _event_name(event: object) -> str:
    if not isinstance(event, str) or not event:
        raise UsageError(f"an event name must be a non-empty string, got {excerpt(event)}")
    return event


def _sending(event: FarmEvent) -> SendCommand:
    if not isinstance(event, FarmEvent):
        raise UsageError(f"emit() takes a FarmEvent (Temperature, GenericEvent...), got {excerpt(event)}")
    _event_name(event.event)
    return SendCommand(event.to_wire())


def _record(record: Number, what: str) -> Number:
    if record is None:
        raise UsageError(f"{what}: record must be a finite number, got None")
    return record


def _zone_names(zones: str | Iterable[str], what: str) -> tuple[str, ...]:
    """``zones`` as a tuple of names; a single string is one zone (never split into characters)."""
    if isinstance(zones, str):
        zones = (zones,)
    try:
        names = tuple(zones)
    except TypeError:
        raise UsageError(f"{what}: zones must be a zone name or names, got {excerpt(zones)}") from None
    for name in names:
        if not isinstance(name, str) or not name:
            raise UsageError(f"{what}: a zone must be a non-empty string, got {excerpt(name)} in {excerpt(names)}")
    return names


def _sensor_map(values: Mapping[str, Any], what: str) -> Mapping[str, Any]:
    if not isinstance(values, Mapping):
        raise UsageError(f"{what}: expected a mapping of sensor id -> value, got {excerpt(values)}")
    for key in values:
        if not isinstance(key, str) or not key:
            raise UsageError(f"{what}: a sensor id must be a non-empty string, got {excerpt(key)}")
    return values


# -- Dialect D --------------------------------------------------------------------------


class EventCommands:
    """Sending Dialect D events, for both sides.

    Examples:
        >>> "emit" in dir(EventCommands)
        True
    """

    @commands.command
    def emit(self, event: FarmEvent) -> SendCommand:
        """Send one typed event (:class:`CodecError` before sending if it cannot be encoded).

        The fields of a typed event are optional, as in the vendor document (a
        ``Temperature()`` goes out as ``"data": {}``); an event that is not a
        :class:`FarmEvent`, or a :class:`GenericEvent` with an empty name, raises
        :class:`UsageError` before anything is sent.

        Examples:
            >>> from iotws.farmws import FarmSimulator
            >>> with FarmSimulator(emulate=False).run() as sim:
            ...     with DashboardClient(sim.url("/"), client_id=1) as dash, ControllerClient(sim.url("/")) as ctl:
            ...         ctl.emit(Humidity(time=8273663, record=55))
            ...         dash.next_event(Humidity, timeout=5)
            Humidity(time=8273663, record=55, extra={})
        """
        return _sending(event)

    @commands.command
    def send(self, event: str, data: Any) -> SendCommand:
        """Send ``{"event": event, "data": data}`` for any event name.

        ``event`` must be a non-empty string (:class:`UsageError` otherwise, before sending).

        Examples:
            >>> ControllerClient("ws://127.0.0.1:9/").send("", {})
            Traceback (most recent call last):
            iotws.errors.UsageError: an event name must be a non-empty string, got ''
        """
        return SendCommand({"event": _event_name(event), "data": data})


class ControllerCommands(EventCommands):
    """The controller's events; ``time`` defaults to :func:`device_time`.

    Every value is checked before anything is sent: a ``record`` must be a finite
    number (``None`` too is a :class:`UsageError`), ``time`` an integer, a
    ``sensor`` a non-empty string, and ``zones`` non-empty zone names. A single
    string is one zone: ``irrigation_started("zone1")`` sends ``["zone1"]``.

    Examples:
        >>> "irrigation_started" in dir(ControllerCommands)
        True
    """

    @commands.command
    def temperature(self, record: Number, time: int | None = None) -> SendCommand:
        """Send a ``temperature`` record (unscaled, e.g. ``223``)."""
        return _sending(Temperature(time=_t(time), record=_record(record, "temperature")))

    @commands.command
    def humidity(self, record: Number, time: int | None = None) -> SendCommand:
        """Send a ``humidity`` record."""
        return _sending(Humidity(time=_t(time), record=_record(record, "humidity")))

    @commands.command
    def soil_moisture(self, record: Number, time: int | None = None) -> SendCommand:
        """Send a ``soil_moisture`` record."""
        return _sending(SoilMoisture(time=_t(time), record=_record(record, "soil_moisture")))

    @commands.command
    def irrigation_started(self, zones: str | Iterable[str], time: int | None = None) -> SendCommand:
        """Send ``irrigation_started`` for ``zones`` (one zone name, or several).

        Examples:
            >>> ControllerClient("ws://127.0.0.1:9/").irrigation_started(["zone1", ""])
            Traceback (most recent call last):
            iotws.errors.UsageError: irrigation_started: a zone must be a non-empty string, got '' in ('zone1', '')
        """
        return _sending(IrrigationStarted(time=_t(time), zones=_zone_names(zones, "irrigation_started")))

    @commands.command
    def irrigation_stopped(self, zones: str | Iterable[str] | None = None, time: int | None = None) -> SendCommand:
        """Send ``irrigation_stopped`` (``zones`` left out when ``None``; a string is one zone)."""
        names = None if zones is None else _zone_names(zones, "irrigation_stopped")
        return _sending(IrrigationStopped(time=_t(time), zones=names))

    @commands.command
    def sensor_disconnected(self, sensor: str, time: int | None = None) -> SendCommand:
        """Send ``sensor_disconnected`` for ``sensor`` (a non-empty string)."""
        if not isinstance(sensor, str) or not sensor:
            raise UsageError(f"sensor_disconnected: sensor must be a non-empty string, got {excerpt(sensor)}")
        return _sending(SensorDisconnected(time=_t(time), sensor=sensor))


@attrs.frozen
class _NamedCallback:
    name: str
    callback: Callable[[Any], Any]

    def __call__(self, event: FarmEvent) -> Any:
        if event.event == self.name:
            return self.callback(event)
        return None


class DashboardCommands(EventCommands):
    """The dashboard surface: callbacks per event name, and sending (rarely used).

    Examples:
        >>> "on_event" in dir(DashboardCommands)
        True
    """

    if TYPE_CHECKING:

        def on(self, event_type: type[E], callback: Callable[[E], Any]) -> None: ...
        def off(self, event_type: type[E], callback: Callable[[E], Any]) -> None: ...

    def on_event(self, name: str, callback: Callable[[Any], Any]) -> None:
        """Call ``callback(event)`` for every event named ``name`` (typed or generic)."""
        self.on(FarmEvent, _NamedCallback(name, callback))

    def off_event(self, name: str, callback: Callable[[Any], Any]) -> None:
        """Remove a callback added with :meth:`on_event`."""
        self.off(FarmEvent, _NamedCallback(name, callback))


class ControllerClient(SyncClientBase[EventCore], ControllerCommands):
    """Sync Dialect D controller: connect to ``ws://HOST/`` and send events.

    Examples:
        >>> ControllerClient("ws://127.0.0.1:9/").connected
        False
    """

    logger_name = "iotws.farmws"

    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(EventCore(), url, **options)


class AsyncControllerClient(AsyncClientBase[EventCore], ControllerCommands):
    """Async Dialect D controller; the same methods as :class:`ControllerClient`, awaited.

    Examples:
        >>> AsyncControllerClient("ws://127.0.0.1:9/").connected
        False
    """

    logger_name = "iotws.farmws"

    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(EventCore(), url, **options)


class DashboardClient(SyncClientBase[EventCore], DashboardCommands):
    """Sync Dialect D dashboard: typed events from ``/clients/<client_id>``.

    With ``client_id``, ``url`` is the server's base URL; without, the full URL.

    Examples:
        >>> DashboardClient("ws://127.0.0.1:9/", client_id=7).options.url
        'ws://127.0.0.1:9/clients/7'
    """

    logger_name = "iotws.farmws"

    def __init__(self, url: str, client_id: str | int | None = None, **options: Any) -> None:
        super().__init__(EventCore(), url if client_id is None else dashboard_url(url, client_id), **options)


class AsyncDashboardClient(AsyncClientBase[EventCore], DashboardCommands):
    """Async Dialect D dashboard; the same methods as :class:`DashboardClient`.

    Examples:
        >>> AsyncDashboardClient("ws://127.0.0.1:9/", client_id="a b").options.url
        'ws://127.0.0.1:9/clients/a%20b'
    """

    logger_name = "iotws.farmws"

    def __init__(self, url: str, client_id: str | int | None = None, **options: Any) -> None:
        super().__init__(EventCore(), url if client_id is None else dashboard_url(url, client_id), **options)


# -- Dialect I --------------------------------------------------------------------------


class DeviceCommands:
    """The device surface: sensor messages out, command handlers in.

    Examples:
        >>> "sensor_update" in dir(DeviceCommands)
        True
    """

    #: The client's protocol core (set by the client base).
    core: DeviceCore
    #: Whether this client can await ``async def`` handlers (the async client).
    awaits_handlers: ClassVar[bool] = False

    def _check_handler(self, handler: CommandHandler) -> None:
        if not self.awaits_handlers and inspect.iscoroutinefunction(handler):
            raise UsageError(
                f"{handler!r} is an async def handler: the sync {type(self).__name__} cannot await it; "
                "use AsyncDeviceClient or a plain function"
            )

    def handle(self, pattern: str, handler: CommandHandler) -> None:
        """Answer server commands matching ``pattern`` with ``handler(command)``'s result.

        Handlers run on the client's reader (thread or task): keep them quick and
        non-blocking. Each return id is answered once. On the async client an
        ``async def`` handler is awaited in its own task (the reader goes on) and
        its result is the reply; the sync client refuses one (:class:`UsageError`).

        Examples:
            >>> async def start(command):
            ...     return True
            >>> AsyncDeviceClient("ws://127.0.0.1:9", name="pump").handle("irrigation start", start)
            >>> DeviceClient("ws://127.0.0.1:9", name="pump").handle("irrigation start", start)
            Traceback (most recent call last):
            iotws.errors.UsageError: <function start at ...> is an async def handler: ...
        """
        self._check_handler(handler)
        self.core.handle(pattern, handler)

    def command(self, pattern: str) -> Callable[[H], H]:
        """Decorator form of :meth:`handle`."""

        def register(handler: H) -> H:
            self.handle(pattern, handler)
            return handler

        return register

    @commands.command
    def register_sensors(self, sensors: Mapping[str, SensorInfo]) -> SendCommand:
        """Replace the registered sensors (also re-sent on every reconnect).

        Sensor ids must be non-empty strings and values :class:`SensorInfo`
        (:class:`UsageError` before anything is sent or replaced).
        """
        for info in _sensor_map(sensors, "register_sensors").values():
            if not isinstance(info, SensorInfo):
                raise UsageError(f"register_sensors: expected SensorInfo values, got {excerpt(info)}")
        frame = SendCommand(RegisterSensors(sensors).to_wire())
        self.core.sensors = dict(sensors)
        return frame

    @commands.command
    def sensor_update(self, values: Mapping[str, Number]) -> SendCommand:
        """Send ``sensor_update``: sensor id (a non-empty string) -> finite number."""
        return SendCommand(SensorUpdate(_sensor_map(values, "sensor_update")).to_wire())

    @commands.command
    def sensor_status(self, connected: Mapping[str, bool]) -> SendCommand:
        """Send ``sensor_status``: sensor id (a non-empty string) -> connected."""
        return SendCommand(SensorStatus(_sensor_map(connected, "sensor_status")).to_wire())

    @commands.command
    def reply(self, return_id: str, result: Any) -> SendCommand:
        """Answer a command by hand (when no handler did); once per id, else ``UsageError``."""
        return SendCommand(CommandReply(return_id, result).to_wire())

    @commands.command
    def send(self, event: str, data: Any) -> SendCommand:
        """Send any ``{"event", "data"}`` message (``event`` a non-empty string)."""
        return SendCommand({"event": _event_name(event), "data": data})


def _device_args(
    url: str, name: str | None, sensors: Mapping[str, SensorInfo] | None,
    handlers: Mapping[str, CommandHandler] | None, options: dict[str, Any],
) -> tuple[DeviceCore, str]:
    if "options" not in options:
        options.setdefault("reconnect", DEVICE_RECONNECT)
    return DeviceCore(sensors, handlers), url if name is None else device_url(url, name)


class DeviceClient(SyncClientBase[DeviceCore], DeviceCommands):
    """Sync Dialect I device at ``/controller/<name>`` (``name`` given: ``url`` is the base).

    ``sensors`` are registered on every connect (default: the reference
    firmware's four); ``handlers`` map command patterns to handlers. Reconnects
    quickly by default (:data:`DEVICE_RECONNECT`), inside the server's 5 s grace.

    Examples:
        >>> DeviceClient("ws://127.0.0.1:9", name="Esp8266").options.url
        'ws://127.0.0.1:9/controller/Esp8266'
    """

    logger_name = "iotws.farmws"

    def __init__(
        self,
        url: str,
        name: str | None = None,
        *,
        sensors: Mapping[str, SensorInfo] | None = None,
        handlers: Mapping[str, CommandHandler] | None = None,
        **options: Any,
    ) -> None:
        core, full = _device_args(url, name, sensors, handlers, options)
        super().__init__(core, full, **options)
        for handler in core.handlers.values():
            self._check_handler(handler)


class AsyncDeviceClient(AsyncClientBase[DeviceCore], DeviceCommands):
    """Async Dialect I device; the same methods as :class:`DeviceClient`, awaited.

    Handlers may be ``async def``: each is awaited in a task of its own and its
    result (or ``"error: <exception>"``) is the reply; re-sends of the command
    that arrive meanwhile do not run it again.

    Examples:
        >>> AsyncDeviceClient("ws://127.0.0.1:9", name="pump").options.url
        'ws://127.0.0.1:9/controller/pump'
    """

    logger_name = "iotws.farmws"
    awaits_handlers = True

    def __init__(
        self,
        url: str,
        name: str | None = None,
        *,
        sensors: Mapping[str, SensorInfo] | None = None,
        handlers: Mapping[str, CommandHandler] | None = None,
        **options: Any,
    ) -> None:
        core, full = _device_args(url, name, sensors, handlers, options)
        super().__init__(core, full, **options)
        core.defer = self._defer

    def _defer(self, command: DeviceCommand, result: Awaitable[Any]) -> None:
        schedule = self._driver.dispatcher.schedule
        assert schedule is not None  # the async driver always sets it
        schedule(self._answer_later(command, result))

    async def _answer_later(self, command: DeviceCommand, result: Awaitable[Any]) -> None:
        try:
            value = await result
        except Exception as exc:  # the firmware answers errors with a string
            value = f"error: {exc}"
        self.core.deferred_result(command, value)
        frames = self.core.data_to_send()
        if frames and self.connected:
            # if the link is down, the cached reply answers the server's next re-send after the reconnect
            with contextlib.suppress(ConnectionClosed, ConnectionError):
                await self._driver.send_frames(frames)


class LiveClient(SyncClientBase[LiveCore]):
    """Sync Dialect I dashboard: :class:`Snapshot` events; ``state`` is the latest.

    A ``url`` without a path gets ``/client/live_hardware_infor``.

    Examples:
        >>> LiveClient("ws://127.0.0.1:9").options.url
        'ws://127.0.0.1:9/client/live_hardware_infor'
    """

    logger_name = "iotws.farmws"

    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(LiveCore(), live_url(url) if urlsplit(url).path in ("", "/") else url, **options)

    @property
    def state(self) -> Snapshot:
        """The latest snapshot (empty before the first)."""
        return self.core.state


class AsyncLiveClient(AsyncClientBase[LiveCore]):
    """Async Dialect I dashboard; the same as :class:`LiveClient`.

    Examples:
        >>> AsyncLiveClient("ws://127.0.0.1:9/").state
        Snapshot(devices={})
    """

    logger_name = "iotws.farmws"

    def __init__(self, url: str, **options: Any) -> None:
        super().__init__(LiveCore(), live_url(url) if urlsplit(url).path in ("", "/") else url, **options)

    @property
    def state(self) -> Snapshot:
        """The latest snapshot (empty before the first)."""
        return self.core.state
