"""Checked by mypy --strict and pyright (strict) in CI, not run by pytest: the farmws surface.

Every public method of the eight clients (controller, dashboard, device and live
dashboard, each sync and async) has its exact type; every async method is a
coroutine (``asyncio.create_task`` takes it); each client's ``events()`` yields its
own union and ``match`` over each union is exhaustive; a misspelt or mistyped option
or argument is an error (each ignore below must be used, or the checkers fail:
mypy's warn_unused_ignores, pyright's reportUnnecessaryTypeIgnoreComment).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import assert_never, assert_type

from iotws.farmws import (
    DEVICE_RECONNECT,
    AnyFarmEvent,
    AsyncClient,
    AsyncControllerClient,
    AsyncDashboardClient,
    AsyncDeviceClient,
    AsyncLiveClient,
    Client,
    Connected,
    ControllerClient,
    ControllerEvent,
    DashboardClient,
    DashboardEvent,
    DeviceClient,
    DeviceCommand,
    DeviceCore,
    DeviceEvent,
    Disconnected,
    Event,
    EventCore,
    FarmEvent,
    GenericEvent,
    Humidity,
    IrrigationEvent,
    IrrigationStarted,
    IrrigationStopped,
    LiveClient,
    LiveCore,
    LiveEvent,
    ProtocolViolation,
    Reading,
    Reconnected,
    SensorDisconnected,
    SensorInfo,
    ServerError,
    Snapshot,
    SoilMoisture,
    Stopped,
    Temperature,
)

URL = "ws://127.0.0.1:1/"
EVENT = Temperature(time=8273663, record=223)
SENSORS = {"temp": SensorInfo("Temperature")}


def on_pump(event: FarmEvent) -> None:
    print(event.event)


def on_temperature(event: Temperature) -> None:
    print(event.record)


def start(command: DeviceCommand) -> bool:
    return command.cmd.startswith("irrigation")


async def drain(command: DeviceCommand) -> int:
    await asyncio.sleep(0)
    return 1


HANDLER: Callable[[DeviceCommand], bool] = start


# -- Dialect D: controller ----------------------------------------------------------------


def check_controller(ctl: ControllerClient) -> None:
    assert_type(ctl.emit(EVENT), None)
    assert_type(ctl.send("pump", "on"), None)
    assert_type(ctl.send("pump", {"zone": 1, "on": [True]}), None)
    assert_type(ctl.temperature(223), None)
    assert_type(ctl.temperature(22.3, time=8273663), None)
    assert_type(ctl.humidity(55.5, time=8273663), None)
    assert_type(ctl.soil_moisture(40), None)
    assert_type(ctl.irrigation_started(["a", "b"]), None)
    assert_type(ctl.irrigation_started("a", time=1), None)
    assert_type(ctl.irrigation_stopped(), None)
    assert_type(ctl.irrigation_stopped(["a"], time=1), None)
    assert_type(ctl.sensor_disconnected("temp"), None)
    assert_type(ctl.sensor_disconnected("temp", time=1), None)
    assert_type(ctl.connect(), ControllerClient)
    assert_type(ctl.close(), None)
    assert_type(ctl.connected, bool)
    assert_type(ctl.dropped_events, int)
    assert_type(ctl.core, EventCore)
    assert_type(ctl.on(Temperature, on_temperature), None)
    assert_type(ctl.off(Temperature, on_temperature), None)
    assert_type(ctl.next_event(Temperature, timeout=1.0), Temperature)
    for event in ctl.events(timeout=1.0):
        assert_type(event, ControllerEvent)
    with ctl as entered:
        assert_type(entered, ControllerClient)
    ctl.temperature("hot")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    ctl.irrigation_started([1, 2])  # type: ignore[list-item]  # pyright: ignore[reportArgumentType]
    ctl.emit({"event": "temperature"})  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


async def check_async_controller(ctl: AsyncControllerClient) -> None:
    assert_type(await ctl.emit(EVENT), None)
    assert_type(await ctl.send("pump", "on"), None)
    assert_type(await ctl.temperature(22.3, time=8273663), None)
    assert_type(await ctl.humidity(55.5, time=8273663), None)
    assert_type(await ctl.soil_moisture(40), None)
    assert_type(await ctl.irrigation_started(["a", "b"], time=1), None)
    assert_type(await ctl.irrigation_stopped(), None)
    assert_type(await ctl.irrigation_stopped("a", time=1), None)
    assert_type(await ctl.sensor_disconnected("temp", time=1), None)
    assert_type(await ctl.connect(), AsyncControllerClient)
    assert_type(await ctl.close(), None)
    assert_type(ctl.connected, bool)
    assert_type(ctl.dropped_events, int)
    assert_type(ctl.core, EventCore)
    assert_type(ctl.on(Temperature, on_temperature), None)
    assert_type(ctl.off(Temperature, on_temperature), None)
    assert_type(await ctl.next_event(Temperature, timeout=1.0), Temperature)
    async for event in ctl.events(timeout=1.0):
        assert_type(event, ControllerEvent)
    async with ctl as entered:
        assert_type(entered, AsyncControllerClient)
    # every async method is a coroutine function: tasks take its calls
    assert_type(asyncio.create_task(ctl.emit(EVENT)), asyncio.Task[None])
    assert_type(asyncio.create_task(ctl.send("pump", "on")), asyncio.Task[None])
    assert_type(asyncio.create_task(ctl.temperature(223)), asyncio.Task[None])
    assert_type(asyncio.create_task(ctl.humidity(55)), asyncio.Task[None])
    assert_type(asyncio.create_task(ctl.soil_moisture(40)), asyncio.Task[None])
    assert_type(asyncio.create_task(ctl.irrigation_started("a")), asyncio.Task[None])
    assert_type(asyncio.create_task(ctl.irrigation_stopped()), asyncio.Task[None])
    assert_type(asyncio.create_task(ctl.sensor_disconnected("temp")), asyncio.Task[None])
    assert_type(asyncio.create_task(ctl.connect()), asyncio.Task[AsyncControllerClient])
    assert_type(asyncio.create_task(ctl.close()), asyncio.Task[None])
    assert_type(asyncio.create_task(ctl.next_event(Temperature)), asyncio.Task[Temperature])
    await ctl.temperature("hot")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await ctl.sensor_disconnected(None)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


# -- Dialect D: dashboard -----------------------------------------------------------------


def check_dashboard(dash: DashboardClient, alias: Client) -> None:
    assert_type(dash.emit(EVENT), None)
    assert_type(dash.send("pump", "on"), None)
    assert_type(dash.on_event("pump", on_pump), None)
    assert_type(dash.off_event("pump", on_pump), None)
    assert_type(dash.on(Temperature, on_temperature), None)
    assert_type(dash.off(Temperature, on_temperature), None)
    assert_type(dash.connect(), DashboardClient)
    assert_type(dash.close(), None)
    assert_type(dash.connected, bool)
    assert_type(dash.dropped_events, int)
    assert_type(dash.core, EventCore)
    assert_type(dash.next_event(Humidity, timeout=1.0), Humidity)
    assert_type(dash.next_event(Reading), Reading)
    for event in dash.events(timeout=1.0):
        assert_type(event, DashboardEvent)
    assert_type(alias.send("pump", "off"), None)
    assert_type(alias, DashboardClient)
    dash.emit("temperature")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    dash.on_event("pump", on_temperature)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


async def check_async_dashboard(dash: AsyncDashboardClient, alias: AsyncClient) -> None:
    assert_type(await dash.emit(EVENT), None)
    assert_type(await dash.send("pump", "on"), None)
    assert_type(dash.on_event("pump", on_pump), None)
    assert_type(dash.off_event("pump", on_pump), None)
    assert_type(dash.on(Temperature, on_temperature), None)
    assert_type(dash.off(Temperature, on_temperature), None)
    assert_type(await dash.connect(), AsyncDashboardClient)
    assert_type(await dash.close(), None)
    assert_type(dash.connected, bool)
    assert_type(dash.dropped_events, int)
    assert_type(dash.core, EventCore)
    assert_type(await dash.next_event(Humidity, timeout=1.0), Humidity)
    async for event in dash.events(timeout=1.0):
        assert_type(event, DashboardEvent)
    assert_type(await alias.send("pump", "off"), None)
    assert_type(alias, AsyncDashboardClient)
    assert_type(asyncio.create_task(dash.emit(EVENT)), asyncio.Task[None])
    assert_type(asyncio.create_task(dash.send("pump", "on")), asyncio.Task[None])
    assert_type(asyncio.create_task(dash.connect()), asyncio.Task[AsyncDashboardClient])
    assert_type(asyncio.create_task(dash.close()), asyncio.Task[None])
    assert_type(asyncio.create_task(dash.next_event(Humidity)), asyncio.Task[Humidity])
    await dash.emit("temperature")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


# -- Dialect I: device ----------------------------------------------------------------------


def check_device(dev: DeviceClient) -> None:
    assert_type(dev.handle("irrigation start", start), None)
    assert_type(dev.command("drainage")(HANDLER), Callable[[DeviceCommand], bool])
    assert_type(dev.register_sensors(SENSORS), None)
    assert_type(dev.sensor_update({"temp": 22.5, "rain": 3}), None)
    assert_type(dev.sensor_status({"temp": True}), None)
    assert_type(dev.reply("abcdefghij", True), None)
    assert_type(dev.send("pump", "on"), None)
    assert_type(dev.connect(), DeviceClient)
    assert_type(dev.close(), None)
    assert_type(dev.connected, bool)
    assert_type(dev.dropped_events, int)
    assert_type(dev.core, DeviceCore)
    assert_type(dev.on(DeviceCommand, start), None)
    assert_type(dev.off(DeviceCommand, start), None)
    assert_type(dev.next_event(DeviceCommand, timeout=1.0), DeviceCommand)
    assert_type(dev.next_event(ServerError), ServerError)
    for event in dev.events(timeout=1.0):
        assert_type(event, DeviceEvent)
    dev.sensor_update(22.5)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    dev.sensor_status(["temp"])  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    dev.register_sensors({"temp": {"name": "T"}})  # type: ignore[dict-item]  # pyright: ignore[reportArgumentType]


async def check_async_device(dev: AsyncDeviceClient) -> None:
    assert_type(dev.handle("irrigation start", start), None)
    assert_type(dev.handle("drainage", drain), None)
    assert_type(dev.command("drainage")(HANDLER), Callable[[DeviceCommand], bool])
    assert_type(await dev.register_sensors(SENSORS), None)
    assert_type(await dev.sensor_update({"temp": 22.5}), None)
    assert_type(await dev.sensor_status({"temp": True}), None)
    assert_type(await dev.reply("abcdefghij", True), None)
    assert_type(await dev.send("pump", "on"), None)
    assert_type(await dev.connect(), AsyncDeviceClient)
    assert_type(await dev.close(), None)
    assert_type(dev.connected, bool)
    assert_type(dev.dropped_events, int)
    assert_type(dev.core, DeviceCore)
    assert_type(dev.on(DeviceCommand, start), None)
    assert_type(dev.off(DeviceCommand, start), None)
    assert_type(await dev.next_event(DeviceCommand, timeout=1.0), DeviceCommand)
    async for event in dev.events(timeout=1.0):
        assert_type(event, DeviceEvent)
    assert_type(asyncio.create_task(dev.register_sensors(SENSORS)), asyncio.Task[None])
    assert_type(asyncio.create_task(dev.sensor_update({"temp": 22.5})), asyncio.Task[None])
    assert_type(asyncio.create_task(dev.sensor_status({"temp": True})), asyncio.Task[None])
    assert_type(asyncio.create_task(dev.reply("abcdefghij", 1)), asyncio.Task[None])
    assert_type(asyncio.create_task(dev.send("pump", "on")), asyncio.Task[None])
    assert_type(asyncio.create_task(dev.connect()), asyncio.Task[AsyncDeviceClient])
    assert_type(asyncio.create_task(dev.close()), asyncio.Task[None])
    assert_type(asyncio.create_task(dev.next_event(DeviceCommand)), asyncio.Task[DeviceCommand])
    await dev.sensor_status(["temp"])  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await dev.reply(7, True)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


# -- Dialect I: live dashboard --------------------------------------------------------------


def check_live(live: LiveClient) -> None:
    assert_type(live.state, Snapshot)
    assert_type(live.connect(), LiveClient)
    assert_type(live.close(), None)
    assert_type(live.connected, bool)
    assert_type(live.dropped_events, int)
    assert_type(live.core, LiveCore)
    assert_type(live.on(Snapshot, print), None)
    assert_type(live.off(Snapshot, print), None)
    assert_type(live.next_event(Snapshot, timeout=1.0), Snapshot)
    for event in live.events(timeout=1.0):
        assert_type(event, LiveEvent)


async def check_async_live(live: AsyncLiveClient) -> None:
    assert_type(live.state, Snapshot)
    assert_type(await live.connect(), AsyncLiveClient)
    assert_type(await live.close(), None)
    assert_type(live.connected, bool)
    assert_type(live.dropped_events, int)
    assert_type(live.core, LiveCore)
    assert_type(live.on(Snapshot, print), None)
    assert_type(live.off(Snapshot, print), None)
    assert_type(await live.next_event(Snapshot, timeout=1.0), Snapshot)
    async for event in live.events(timeout=1.0):
        assert_type(event, LiveEvent)
    assert_type(asyncio.create_task(live.connect()), asyncio.Task[AsyncLiveClient])
    assert_type(asyncio.create_task(live.close()), asyncio.Task[None])
    assert_type(asyncio.create_task(live.next_event(Snapshot)), asyncio.Task[Snapshot])


# -- options ----------------------------------------------------------------------------------


def check_options() -> None:
    ControllerClient(URL, request_timeout=5.0, reconnect=None)
    DashboardClient(URL, client_id=7, connect_timeout=2.0, headers={"X-Site": "north"})
    DeviceClient(URL, name="Esp8266", sensors=SENSORS, handlers={"irrigation": start}, reconnect=DEVICE_RECONNECT)
    LiveClient(URL, ping_interval=None, event_queue_size=100)
    AsyncControllerClient(URL, session=None)
    AsyncDashboardClient(URL, client_id="7", session=None, request_timeout=1.0)
    AsyncDeviceClient(URL, name="Esp8266", handlers={"drainage": drain}, session=None)
    AsyncLiveClient(URL, session=None, verify=False)
    ControllerClient(URL, request_timout=5)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    ControllerClient(URL, request_timeout="5")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    DashboardClient(URL, client_id=7, reconect=None)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    DashboardClient(URL, client_id=[7])  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    DeviceClient(URL, name="E", ping_interval="20")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    DeviceClient(URL, name="E", handler={})  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    LiveClient(URL, verify="no")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    LiveClient(URL, session=None)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    AsyncControllerClient(URL, sesion=None)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    AsyncDeviceClient(URL, name="E", reconnect=True)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    AsyncLiveClient(URL, request_timout=5)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]


# -- the event unions: match over each is exhaustive ------------------------------------------


def describe_farm_event(event: AnyFarmEvent) -> str:
    match event:
        case Temperature() | Humidity() | SoilMoisture():
            return f"{event.event}: {event.record}"
        case IrrigationStarted() | IrrigationStopped():
            return f"{event.event}: {event.zones}"
        case SensorDisconnected(sensor=sensor):
            return f"lost {sensor}"
        case GenericEvent(event=name, data=data):
            return f"{name}: {data!r}"
        case _:
            assert_never(event)


def describe_link(event: Connected | Disconnected | Reconnected | ProtocolViolation | Stopped) -> str:
    match event:
        case Connected() | Reconnected():
            return "up"
        case Disconnected(will_reconnect=again):
            return f"down, reconnecting: {again}"
        case ProtocolViolation(error=error):
            return str(error)
        case Stopped(reason=reason):
            return reason
        case _:
            assert_never(event)


def describe_dashboard(event: DashboardEvent) -> str:
    match event:
        case Reading():  # Temperature, Humidity, SoilMoisture
            return str(event.record)
        case IrrigationEvent():  # started and stopped
            return str(event.zones)
        case SensorDisconnected() | GenericEvent():
            return event.event
        case Connected() | Disconnected() | Reconnected() | ProtocolViolation() | Stopped():
            return describe_link(event)
        case _:
            assert_never(event)


def describe_controller(event: ControllerEvent) -> str:
    assert_type(event, DashboardEvent)  # one union: both Dialect D clients read through EventCore
    return describe_dashboard(event)


def describe_device(event: DeviceEvent) -> str:
    match event:
        case DeviceCommand(cmd=cmd, return_id=rid):
            return f"{cmd} -> {rid}"
        case ServerError(message=message):
            return f"server: {message!r}"
        case FarmEvent():
            return event.event
        case Connected() | Disconnected() | Reconnected() | ProtocolViolation() | Stopped():
            return describe_link(event)
        case _:
            assert_never(event)


def describe_live(event: LiveEvent) -> str:
    match event:
        case Snapshot(devices=devices):
            return ", ".join(devices)
        case ServerError(message=message):
            return f"server: {message!r}"
        case GenericEvent(event=name):
            return name
        case Connected() | Disconnected() | Reconnected() | ProtocolViolation() | Stopped():
            return describe_link(event)
        case _:
            assert_never(event)


def describe(event: Event) -> str:
    match event:
        case DeviceCommand() | ServerError():
            return describe_device(event)
        case Snapshot():
            return describe_live(event)
        case FarmEvent():
            return event.event
        case Connected() | Disconnected() | Reconnected() | ProtocolViolation() | Stopped():
            return describe_link(event)
        case _:
            assert_never(event)


def check_unions(dashboard: DashboardEvent, device: DeviceEvent, live: LiveEvent) -> None:
    # each client kind's union is part of Event; a dashboard's is part of a device's
    assert_type(describe(dashboard) + describe(device) + describe(live), str)
    assert_type(describe_device(dashboard), str)
    describe_live(EVENT)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    describe_dashboard(Snapshot())  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
