"""Checked by mypy --strict in CI (not run by pytest): the farmws clients' precise types."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, assert_type

from iotws.farmws import (
    AsyncClient,
    AsyncControllerClient,
    AsyncDashboardClient,
    AsyncDeviceClient,
    AsyncLiveClient,
    Client,
    ControllerClient,
    DashboardClient,
    DeviceClient,
    DeviceCommand,
    LiveClient,
    SensorInfo,
    Snapshot,
    Temperature,
)

EVENT = Temperature(time=8273663, record=223)
SENSORS = {"temp": SensorInfo("Temperature")}


def on_pump(event: Any) -> None:
    print(event)


def start(command: DeviceCommand) -> bool:
    return command.cmd.startswith("irrigation")


HANDLER: Callable[[DeviceCommand], bool] = start


def check_controller(ctl: ControllerClient) -> None:
    assert_type(ctl.emit(EVENT), None)
    assert_type(ctl.send("pump", "on"), None)
    assert_type(ctl.temperature(223), None)
    assert_type(ctl.humidity(55.5, time=8273663), None)
    assert_type(ctl.soil_moisture(40), None)
    assert_type(ctl.irrigation_started(["a", "b"]), None)
    assert_type(ctl.irrigation_stopped(), None)
    assert_type(ctl.irrigation_stopped(["a"], time=1), None)
    assert_type(ctl.sensor_disconnected("temp"), None)
    ctl.temperature("hot")  # type: ignore[arg-type]  # an unused ignore would fail: the check works


async def check_async_controller(ctl: AsyncControllerClient) -> None:
    assert_type(ctl.emit(EVENT), Awaitable[None])
    assert_type(ctl.send("pump", "on"), Awaitable[None])
    assert_type(ctl.temperature(223), Awaitable[None])
    assert_type(ctl.humidity(55.5, time=8273663), Awaitable[None])
    assert_type(ctl.soil_moisture(40), Awaitable[None])
    assert_type(ctl.irrigation_started(["a", "b"]), Awaitable[None])
    assert_type(ctl.irrigation_stopped(), Awaitable[None])
    assert_type(ctl.irrigation_stopped(["a"], time=1), Awaitable[None])
    assert_type(ctl.sensor_disconnected("temp"), Awaitable[None])
    await ctl.temperature("hot")  # type: ignore[arg-type]  # an unused ignore would fail: the check works


def check_dashboard(dash: DashboardClient, alias: Client) -> None:
    assert_type(dash.emit(EVENT), None)
    assert_type(dash.send("pump", "on"), None)
    assert_type(dash.on_event("pump", on_pump), None)
    assert_type(dash.off_event("pump", on_pump), None)
    assert_type(alias.send("pump", "off"), None)
    dash.emit("temperature")  # type: ignore[arg-type]  # an unused ignore would fail: the check works


async def check_async_dashboard(dash: AsyncDashboardClient, alias: AsyncClient) -> None:
    assert_type(dash.emit(EVENT), Awaitable[None])
    assert_type(dash.send("pump", "on"), Awaitable[None])
    assert_type(dash.on_event("pump", on_pump), None)
    assert_type(dash.off_event("pump", on_pump), None)
    assert_type(alias.send("pump", "off"), Awaitable[None])
    await dash.emit("temperature")  # type: ignore[arg-type]  # an unused ignore would fail: the check works


def check_device(dev: DeviceClient) -> None:
    assert_type(dev.handle("irrigation start", start), None)
    assert_type(dev.command("drainage")(HANDLER), Callable[[DeviceCommand], bool])
    assert_type(dev.register_sensors(SENSORS), None)
    assert_type(dev.sensor_update({"temp": 22.5}), None)
    assert_type(dev.sensor_status({"temp": True}), None)
    assert_type(dev.reply("abcdefghij", True), None)
    assert_type(dev.send("pump", "on"), None)
    dev.sensor_update(22.5)  # type: ignore[arg-type]  # an unused ignore would fail: the check works


async def check_async_device(dev: AsyncDeviceClient) -> None:
    assert_type(dev.handle("irrigation start", start), None)
    assert_type(dev.command("drainage")(HANDLER), Callable[[DeviceCommand], bool])
    assert_type(dev.register_sensors(SENSORS), Awaitable[None])
    assert_type(dev.sensor_update({"temp": 22.5}), Awaitable[None])
    assert_type(dev.sensor_status({"temp": True}), Awaitable[None])
    assert_type(dev.reply("abcdefghij", True), Awaitable[None])
    assert_type(dev.send("pump", "on"), Awaitable[None])
    await dev.sensor_status(["temp"])  # type: ignore[arg-type]  # an unused ignore would fail: the check works


async def check_live(live: LiveClient, async_live: AsyncLiveClient) -> None:
    assert_type(live.state, Snapshot)
    assert_type(async_live.state, Snapshot)
    assert_type(live.next_event(Snapshot, timeout=1.0), Snapshot)
    assert_type(await async_live.next_event(Snapshot, timeout=1.0), Snapshot)
