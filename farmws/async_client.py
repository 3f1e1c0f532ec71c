"""The asyncio farmws clients (aiohttp), for both sides of both dialects.

This module is the source of both clients: ``scripts/unasync.py`` writes
``client.py`` from it.

* Dialect D controller (``ws://HOST/``): [`AsyncControllerClient`][iotws.farmws.AsyncControllerClient] sends events;
* Dialect D dashboard (``ws://HOST/clients/<id>``): [`AsyncDashboardClient`][iotws.farmws.AsyncDashboardClient]
  (also ``AsyncClient``) receives them;
* Dialect I device (``/controller/<name>``): [`AsyncDeviceClient`][iotws.farmws.AsyncDeviceClient] sends sensor
  messages and answers the server's commands;
* Dialect I dashboard (``/client/live_hardware_infor``): [`AsyncLiveClient`][iotws.farmws.AsyncLiveClient]
  receives snapshots.

farmws never acknowledges a message: a sending method returns ``None`` once its
frame is written. Each client's ``events()`` yields its own union of event types
([`ControllerEvent`][iotws.farmws.ControllerEvent], [`DashboardEvent`][iotws.farmws.DashboardEvent],
[`DeviceEvent`][iotws.farmws.DeviceEvent], [`LiveEvent`][iotws.farmws.LiveEvent]),
so ``match event:`` over it is checked for exhaustiveness.

Examples:
    >>> import asyncio
    >>> from iotws.farmws import FarmSimulator, Temperature
    >>> async def main(url):
    ...     async with AsyncDashboardClient(url, client_id="7") as dash, AsyncControllerClient(url) as ctl:
    ...         await ctl.temperature(223, time=8273663)
    ...         return await dash.next_event(Temperature, timeout=5)
    >>> with FarmSimulator(emulate=False).run() as sim:
    ...     asyncio.run(main(sim.url("/")))
    Temperature(time=8273663, record=223, extra={})
"""

from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar, Unpack

from iotws.client import AsyncClientBase
from iotws.commands import checked
from iotws.farmws.handlers import AsyncHandlerRunner
from iotws.farmws.models import (
    CommandReply,
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
from iotws.farmws.protocol import (
    DEVICE_RECONNECT,
    CommandHandler,
    ControllerEvent,
    DashboardEvent,
    DeviceCore,
    DeviceEvent,
    EventCore,
    LiveCore,
    LiveEvent,
    NamedCallback,
    SendCommand,
    dashboard_url,
    device_url,
    event_command,
    event_time,
    live_endpoint,
    non_empty,
    sensor_ids,
    zone_names,
)
from iotws.options import AsyncConnectOptionsDict
from iotws.sansio import ProtocolCore

__all__ = ["AsyncClient", "AsyncControllerClient", "AsyncDashboardClient", "AsyncDeviceClient", "AsyncLiveClient"]
# unasync: (r"(?s:A coroutine function is run in a task[ ]of its own.*?not run it again\.)", "A coroutine function is refused ([`UsageError`][iotws.UsageError]): this client cannot run it.")  # noqa: E501

CoreT = TypeVar("CoreT", bound=ProtocolCore)
EventT = TypeVar("EventT")
H = TypeVar("H", bound=CommandHandler)


class _AsyncSender(AsyncClientBase[CoreT, EventT]):
    """What the farmws clients that send share: their logger and ``send``."""

    logger_name = "iotws.farmws"

    @checked
    async def send(self, event: str, data: object) -> None:
        """Send ``{"event": event, "data": data}`` for any event name.

        ``event`` must be a non-empty string and ``data`` a JSON value
        ([`UsageError`][iotws.UsageError] or [`CodecError`][iotws.CodecError]
        before anything is sent).

        Examples:
            >>> import asyncio
            >>> asyncio.run(AsyncControllerClient("ws://127.0.0.1:9/").send("", {}))
            Traceback (most recent call last):
            iotws.errors.UsageError: an event name must be a non-empty string, got ''
        """
        await self._execute(SendCommand({"event": non_empty(event, "an event name"), "data": data}))


class _AsyncEventSender(_AsyncSender[EventCore, EventT]):
    """What both Dialect D clients share: ``emit`` besides ``send``."""

    @checked
    async def emit(self, event: FarmEvent) -> None:
        """Send one typed event ([`CodecError`][iotws.CodecError] before sending if it cannot be encoded).

        The fields of a typed event are optional, as in the vendor document (a
        ``Temperature()`` goes out as ``"data": {}``); an event that is not a
        [`FarmEvent`][iotws.farmws.FarmEvent], or a ``GenericEvent`` with an empty
        name, raises [`UsageError`][iotws.UsageError] before anything is sent.

        Examples:
            >>> import asyncio
            >>> from iotws.farmws import FarmSimulator, Humidity
            >>> async def main(url):
            ...     async with AsyncDashboardClient(url, client_id=1) as dash, AsyncControllerClient(url) as ctl:
            ...         await ctl.emit(Humidity(time=8273663, record=55))
            ...         return await dash.next_event(Humidity, timeout=5)
            >>> with FarmSimulator(emulate=False).run() as sim:
            ...     asyncio.run(main(sim.url("/")))
            Humidity(time=8273663, record=55, extra={})
        """
        await self._execute(event_command(event))


# -- Dialect D --------------------------------------------------------------------------


class AsyncControllerClient(_AsyncEventSender[ControllerEvent]):
    """The asyncio Dialect D controller: connect to ``ws://HOST/`` and send events.

    ``options`` are the connection options ([`ConnectOptionsDict`][iotws.options.ConnectOptionsDict]:
    ``connect_timeout``, ``headers``, ``reconnect``...). ``time`` defaults to
    [`device_time`][iotws.farmws.protocol.device_time]. Every value is checked before anything
    is sent: a ``record`` must be a finite number (``None`` too is a
    [`UsageError`][iotws.UsageError]), ``time`` an integer, a ``sensor`` a non-empty
    string, and ``zones`` non-empty zone names. A single string is one zone:
    ``irrigation_started("zone1")`` sends ``["zone1"]``.

    Examples:
        >>> AsyncControllerClient("ws://127.0.0.1:9/").connected
        False
    """

    def __init__(self, url: str, **options: Unpack[AsyncConnectOptionsDict]) -> None:
        super().__init__(EventCore(), url, **options)

    @checked
    async def temperature(self, record: Number, time: int | None = None) -> None:
        """Send a ``temperature`` record (unscaled, e.g. ``223`` for 22.3 degrees).

        Examples:
            >>> import asyncio
            >>> from iotws.farmws import FarmSimulator
            >>> async def main(url):
            ...     async with AsyncControllerClient(url) as ctl:
            ...         await ctl.temperature(223, time=8273663)
            >>> with FarmSimulator(emulate=False).run() as sim:
            ...     asyncio.run(main(sim.url("/")))
            ...     sim.received
            [Temperature(time=8273663, record=223, extra={})]
        """
        await self._execute(event_command(Temperature(time=event_time(time), record=record)))

    @checked
    async def humidity(self, record: Number, time: int | None = None) -> None:
        """Send a ``humidity`` record (percent); like
        [`temperature`][iotws.farmws.AsyncControllerClient.temperature], a record is required.

        Examples:
            >>> import asyncio
            >>> asyncio.run(AsyncControllerClient("ws://127.0.0.1:9/").humidity(None))
            Traceback (most recent call last):
            iotws.errors.UsageError: humidity: record must be an int or a number, not NoneType None; nothing was sent
        """
        await self._execute(event_command(Humidity(time=event_time(time), record=record)))

    @checked
    async def soil_moisture(self, record: Number, time: int | None = None) -> None:
        """Send a ``soil_moisture`` record (raw, e.g. ``512`` of a 10-bit sensor); it must be finite.

        Examples:
            >>> import asyncio
            >>> asyncio.run(AsyncControllerClient("ws://127.0.0.1:9/").soil_moisture(float("nan")))
            Traceback (most recent call last):
            iotws.errors.CodecError: soil_moisture: record must be a finite number, got nan
        """
        await self._execute(event_command(SoilMoisture(time=event_time(time), record=record)))

    @checked
    async def irrigation_started(self, zones: str | Iterable[str], time: int | None = None) -> None:
        """Send ``irrigation_started`` for ``zones`` (one zone name, or several).

        Examples:
            >>> import asyncio
            >>> from iotws.farmws import FarmSimulator
            >>> async def main(url):
            ...     async with AsyncControllerClient(url) as ctl:
            ...         await ctl.irrigation_started(["zone1", "zone2"], time=5)
            >>> with FarmSimulator(emulate=False).run() as sim:
            ...     asyncio.run(main(sim.url("/")))
            ...     sim.received
            [IrrigationStarted(time=5, zones=('zone1', 'zone2'), extra={})]
            >>> asyncio.run(AsyncControllerClient("ws://127.0.0.1:9/").irrigation_started(["zone1", ""]))
            Traceback (most recent call last):
            iotws.errors.UsageError: irrigation_started: a zone must be a non-empty string, got '' in ('zone1', '')
        """
        await self._execute(
            event_command(IrrigationStarted(time=event_time(time), zones=zone_names(zones, "irrigation_started")))
        )

    @checked
    async def irrigation_stopped(self, zones: str | Iterable[str] | None = None, time: int | None = None) -> None:
        """Send ``irrigation_stopped`` (``zones`` left out when ``None``; a string is one zone).

        Examples:
            >>> import asyncio
            >>> from iotws.farmws import FarmSimulator
            >>> async def main(url):
            ...     async with AsyncControllerClient(url) as ctl:
            ...         await ctl.irrigation_stopped("zone1", time=6)
            >>> with FarmSimulator(emulate=False).run() as sim:
            ...     asyncio.run(main(sim.url("/")))
            ...     sim.received
            [IrrigationStopped(time=6, zones=('zone1',), extra={})]
        """
        names = None if zones is None else zone_names(zones, "irrigation_stopped")
        await self._execute(event_command(IrrigationStopped(time=event_time(time), zones=names)))

    @checked
    async def sensor_disconnected(self, sensor: str, time: int | None = None) -> None:
        """Send ``sensor_disconnected`` for ``sensor`` (a non-empty string).

        Examples:
            >>> import asyncio
            >>> from iotws.farmws import FarmSimulator
            >>> async def main(url):
            ...     async with AsyncControllerClient(url) as ctl:
            ...         await ctl.sensor_disconnected("humidity", time=1122)
            >>> with FarmSimulator(emulate=False).run() as sim:
            ...     asyncio.run(main(sim.url("/")))
            ...     sim.received
            [SensorDisconnected(time=1122, sensor='humidity', extra={})]
        """
        name = non_empty(sensor, "sensor_disconnected: sensor")
        await self._execute(event_command(SensorDisconnected(time=event_time(time), sensor=name)))


class AsyncDashboardClient(_AsyncEventSender[DashboardEvent]):
    """The asyncio Dialect D dashboard: typed events from ``/clients/<client_id>``.

    With ``client_id``, ``url`` is the server's base URL; without, the full URL.
    ``options`` are the connection options ([`ConnectOptionsDict`][iotws.options.ConnectOptionsDict]).
    Its ``events()`` yields [`DashboardEvent`][iotws.farmws.DashboardEvent].

    Examples:
        >>> AsyncDashboardClient("ws://127.0.0.1:9/", client_id="a b").options.url
        'ws://127.0.0.1:9/clients/a%20b'
    """

    def __init__(
        self, url: str, client_id: str | int | None = None, **options: Unpack[AsyncConnectOptionsDict]
    ) -> None:
        super().__init__(EventCore(), url if client_id is None else dashboard_url(url, client_id), **options)

    @checked
    def on_event(self, name: str, callback: Callable[[FarmEvent], object]) -> None:
        """Call ``callback(event)`` for every event named ``name`` (typed or generic).

        For a typed event, ``on(Temperature, callback)`` gives the callback the exact type.

        Examples:
            >>> dash = AsyncDashboardClient("ws://127.0.0.1:9/", client_id=1)
            >>> dash.on_event("valve_opened", print)
        """
        self.on(FarmEvent, NamedCallback(name, callback))

    @checked
    def off_event(self, name: str, callback: Callable[[FarmEvent], object]) -> None:
        """Remove a callback added with [`on_event`][iotws.farmws.AsyncDashboardClient.on_event].

        Examples:
            >>> dash = AsyncDashboardClient("ws://127.0.0.1:9/", client_id=1)
            >>> dash.on_event("valve_opened", print)
            >>> dash.off_event("valve_opened", print)
        """
        self.off(FarmEvent, NamedCallback(name, callback))


AsyncClient = AsyncDashboardClient
"""The package's default client: the Dialect D dashboard."""


# -- Dialect I --------------------------------------------------------------------------


class AsyncDeviceClient(_AsyncSender[DeviceCore, DeviceEvent]):
    """The asyncio Dialect I device at ``/controller/<name>`` (``name`` given: ``url`` is the base).

    ``sensors`` are registered on every connect (default: the reference firmware's
    four, [`DEFAULT_SENSORS`][iotws.farmws.DEFAULT_SENSORS]); ``handlers`` map command
    patterns to handlers (see [`handle`][iotws.farmws.AsyncDeviceClient.handle]); a handler is a function of the
    [`DeviceCommand`][iotws.farmws.DeviceCommand] that returns the reply.
    A coroutine function is run in a task of its own; its result (or
    ``"error: <exception>"``) is the reply, and re-sends of the command that arrive
    meanwhile do not run it again.

    ``options`` are the connection options ([`ConnectOptionsDict`][iotws.options.ConnectOptionsDict]);
    ``reconnect`` defaults to [`DEVICE_RECONNECT`][iotws.farmws.DEVICE_RECONNECT], quick enough
    to come back inside the server's 5 s grace. Its ``events()`` yields
    [`DeviceEvent`][iotws.farmws.DeviceEvent].

    Examples:
        >>> AsyncDeviceClient("ws://127.0.0.1:9", name="Esp8266").options.url
        'ws://127.0.0.1:9/controller/Esp8266'
    """

    def __init__(
        self,
        url: str,
        name: str | None = None,
        *,
        sensors: Mapping[str, SensorInfo] | None = None,
        handlers: Mapping[str, CommandHandler] | None = None,
        **options: Unpack[AsyncConnectOptionsDict],
    ) -> None:
        options.setdefault("reconnect", DEVICE_RECONNECT)
        core = DeviceCore(sensors, handlers)
        super().__init__(core, url if name is None else device_url(url, name), **options)
        self._handlers = AsyncHandlerRunner(self)
        for handler in core.handlers.values():
            self._handlers.check(handler)

    @checked
    def handle(self, pattern: str, handler: CommandHandler) -> None:
        """Answer server commands matching ``pattern`` with ``handler(command)``'s result.

        A command matches its exact ``cmd``, then its first two words, then its first
        word. Handlers run on the client's reader: keep them quick. Each return id is
        answered once.
        A coroutine function is run in a task of its own; its result is the reply, and
        re-sends of the command that arrive meanwhile do not run it again.

        Examples:
            >>> def start(command):
            ...     return True
            >>> device = AsyncDeviceClient("ws://127.0.0.1:9", name="pump")
            >>> device.handle("irrigation start", start)
            >>> device.core.handlers
            {'irrigation start': <function start at ...>}
        """
        self._handlers.check(handler)
        self.core.handle(pattern, handler)

    @checked
    def command(self, pattern: str) -> Callable[[H], H]:
        """Decorator form of [`handle`][iotws.farmws.AsyncDeviceClient.handle].

        Examples:
            >>> device = AsyncDeviceClient("ws://127.0.0.1:9", name="pump")
            >>> @device.command("drainage")
            ... def drainage(command):
            ...     return 1 if command.words[1:] == ("status",) else True
            >>> list(device.core.handlers)
            ['drainage']
        """

        def register(handler: H) -> H:
            self.handle(pattern, handler)
            return handler

        return register

    @checked
    async def register_sensors(self, sensors: Mapping[str, SensorInfo]) -> None:
        """Replace the registered sensors (also re-sent on every reconnect).

        Sensor ids must be non-empty strings and values [`SensorInfo`][iotws.farmws.SensorInfo]
        ([`UsageError`][iotws.UsageError] before anything is sent or replaced).

        Examples:
            >>> import asyncio
            >>> from iotws.farmws import FarmSimulator
            >>> async def main(url):
            ...     async with AsyncDeviceClient(url, name="Pump", sensors={}) as device:
            ...         await device.register_sensors({"Flow": SensorInfo(name="Water flow")})
            ...         return device.core.sensors
            >>> with FarmSimulator(emulate=False).run() as sim:
            ...     asyncio.run(main(sim.url("/")))
            {'Flow': SensorInfo(name='Water flow', extra={})}
        """
        command = SendCommand(RegisterSensors(sensor_ids(sensors, "register_sensors")).to_wire())
        self.core.sensors = dict(sensors)
        await self._execute(command)

    @checked
    async def sensor_update(self, values: Mapping[str, Number]) -> None:
        """Send ``sensor_update``: sensor id (a non-empty string) -> finite number.

        Examples:
            >>> import asyncio
            >>> from iotws.farmws import FarmSimulator
            >>> async def main(url):
            ...     async with AsyncDeviceClient(url, name="Pump") as device:
            ...         await device.sensor_update({"Temperature": 24.5})
            >>> with FarmSimulator(emulate=False).run() as sim:
            ...     asyncio.run(main(sim.url("/")))
            ...     sim.devices["Pump"].values["Temperature"]
            24.5
        """
        await self._execute(SendCommand(SensorUpdate(sensor_ids(values, "sensor_update")).to_wire()))

    @checked
    async def sensor_status(self, connected: Mapping[str, bool]) -> None:
        """Send ``sensor_status``: sensor id (a non-empty string) -> connected.

        Examples:
            >>> import asyncio
            >>> from iotws.farmws import FarmSimulator
            >>> async def main(url):
            ...     async with AsyncDeviceClient(url, name="Pump") as device:
            ...         await device.sensor_status({"RainDrop": False})
            >>> with FarmSimulator(emulate=False).run() as sim:
            ...     asyncio.run(main(sim.url("/")))
            ...     sim.devices["Pump"].status["RainDrop"]
            False
        """
        await self._execute(SendCommand(SensorStatus(sensor_ids(connected, "sensor_status")).to_wire()))

    @checked
    async def reply(self, return_id: str, result: object) -> None:
        """Answer a command by hand (when no handler did); once per id, else [`UsageError`][iotws.UsageError].

        Examples:
            >>> import asyncio
            >>> from iotws.farmws import DeviceCommand, FarmSimulator
            >>> async def main(sim):
            ...     async with AsyncDeviceClient(sim.url("/"), name="Pump") as device:
            ...         await device.next_event(DeviceCommand)  # the server's config command
            ...         answer = sim.soon(sim.send_command("drainage status"))
            ...         command = await device.next_event(DeviceCommand)
            ...         await device.reply(command.return_id, 0)
            ...     return answer
            >>> with FarmSimulator(emulate=False).run() as sim:
            ...     answer = asyncio.run(main(sim))
            ...     answer.result(timeout=5)
            0
        """
        await self._execute(SendCommand(CommandReply(return_id, result).to_wire()))


class AsyncLiveClient(AsyncClientBase[LiveCore, LiveEvent]):
    """The asyncio Dialect I dashboard: [`Snapshot`][iotws.farmws.Snapshot] events; ``state`` is the latest.

    A ``url`` without a path gets ``/client/live_hardware_infor``. ``options`` are the
    connection options ([`ConnectOptionsDict`][iotws.options.ConnectOptionsDict]). Its ``events()``
    yields [`LiveEvent`][iotws.farmws.LiveEvent].

    Examples:
        >>> AsyncLiveClient("ws://127.0.0.1:9").options.url
        'ws://127.0.0.1:9/client/live_hardware_infor'
    """

    logger_name = "iotws.farmws"

    def __init__(self, url: str, **options: Unpack[AsyncConnectOptionsDict]) -> None:
        super().__init__(LiveCore(), live_endpoint(url), **options)

    @property
    def state(self) -> Snapshot:
        """The latest snapshot (empty before the first).

        Examples:
            >>> AsyncLiveClient("ws://127.0.0.1:9/").state
            Snapshot(devices={})
        """
        return self.core.state
