"""Checked by mypy --strict and pyright (strict) in CI, not run by pytest: the EVOK surface.

Every setter returns the state EVOK reports as its model class (``Device`` for the
generic ``set``), one signature each; ``send`` and the unconfirmable helpers return
``None``. Every async method is a coroutine (``asyncio.create_task`` takes it);
``match`` over :data:`iotws.evok.Event` is exhaustive; a misspelt or mistyped option
or argument is an error (each ignore below must be used, or the checkers fail:
mypy's warn_unused_ignores, pyright's reportUnnecessaryTypeIgnoreComment).
"""

from __future__ import annotations

import asyncio
from typing import assert_never, assert_type

from iotws.evok import (
    AnalogInput,
    AnalogOutput,
    AsyncClient,
    Client,
    Connected,
    Device,
    DeviceChanged,
    DeviceRemoved,
    DigitalInput,
    DigitalOutput,
    Disconnected,
    Event,
    Led,
    LegacyRelay,
    ProtocolViolation,
    Reconnected,
    Relay,
    Snapshot,
    State,
    Stopped,
    Watchdog,
)

Devices = dict[tuple[str, str], Device]


def check_sync(evok: Client) -> None:
    assert_type(evok.set("do", "1_02", value=1), Device)
    assert_type(evok.set("ai", "1_01", mode="Current", timeout=2.0), Device)
    assert_type(evok.set_relay("2_01", True), Relay | LegacyRelay)
    assert_type(evok.set_relay("2_01", on=False, timeout=1.0), Relay | LegacyRelay)
    assert_type(evok.set_output("1_01", True), DigitalOutput)
    assert_type(evok.set_output("1_01", True, revert_after=2.0, timeout=1.0), DigitalOutput)
    assert_type(evok.set_pwm("1_04", duty=50.0), DigitalOutput)
    assert_type(evok.set_pwm("1_04", duty=50, freq=100.0, timeout=1.0), DigitalOutput)
    assert_type(evok.set_analog_output("1_01", 2.5), AnalogOutput)
    assert_type(evok.set_analog_output("1_01", 2, timeout=1.0), AnalogOutput)
    assert_type(evok.set_analog_input_mode("1_01", "Current"), AnalogInput)
    assert_type(evok.set_led("1_01", True, timeout=1.0), Led)
    assert_type(evok.set_watchdog("1_01", True), Watchdog)
    assert_type(evok.set_watchdog("1_01", False, timeout_ms=5000, timeout=1.0), Watchdog)
    assert_type(evok.reset_counter("1_01"), DigitalInput)
    assert_type(evok.reset_counter("1_01", 7, timeout=1.0), DigitalInput)
    assert_type(evok.send("do", "1_01", value=1, timeout=2.5), None)
    assert_type(evok.send("ro", "2_01", alias="lamp"), None)
    assert_type(evok.reset_watchdog("1_01"), None)
    assert_type(evok.set_debounce("1_01", 50), None)
    assert_type(evok.set_alias("ro", "1_01", "lamp"), None)
    assert_type(evok.set_filter(["relay", "di"]), None)
    assert_type(evok.set_filter(None), None)
    assert_type(evok.refresh(), Devices)
    assert_type(evok.refresh(timeout=2.0), Devices)
    assert_type(evok.state, State)
    assert_type(evok.connect(), Client)
    assert_type(evok.close(), None)
    assert_type(evok.next_event(DeviceChanged), DeviceChanged)
    assert_type(evok.next_event(Snapshot, timeout=1.0), Snapshot)
    assert_type(evok.set_led("1_01", True).value, int | None)
    assert_type(evok.set_analog_output("1_01", 2.5).value, float | None)
    for event in evok.events(timeout=1.0):
        assert_type(event, Event)
    evok.on(DeviceRemoved, lambda event: print(event.device.key))
    evok.set_debounce("1_01", "50")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    evok.set_relay("2_01", True, confirm=True)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    evok.set_led("1_01", True, timeout="1")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    evok.send("ro", "2_01", value=[1])  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


async def check_async(evok: AsyncClient) -> None:
    assert_type(await evok.set("do", "1_02", value=1, timeout=2.0), Device)
    assert_type(await evok.set_relay("2_01", True, timeout=1.0), Relay | LegacyRelay)
    assert_type(await evok.set_output("1_01", True, revert_after=2.0, timeout=1.0), DigitalOutput)
    assert_type(await evok.set_pwm("1_04", duty=50.0, freq=100.0, timeout=1.0), DigitalOutput)
    assert_type(await evok.set_analog_output("1_01", 2.5, timeout=1.0), AnalogOutput)
    assert_type(await evok.set_analog_input_mode("1_01", "Current", timeout=1.0), AnalogInput)
    assert_type(await evok.set_led("1_01", True, timeout=1.0), Led)
    assert_type(await evok.set_watchdog("1_01", True, timeout_ms=5000, timeout=1.0), Watchdog)
    assert_type(await evok.reset_counter("1_01", 7, timeout=1.0), DigitalInput)
    assert_type(await evok.send("do", "1_01", value=1, timeout=2.5), None)
    assert_type(await evok.reset_watchdog("1_01"), None)
    assert_type(await evok.set_debounce("1_01", 50), None)
    assert_type(await evok.set_alias("ro", "1_01", "lamp"), None)
    assert_type(await evok.set_filter(["relay", "di"]), None)
    assert_type(await evok.refresh(timeout=2.0), Devices)
    assert_type(evok.state, State)
    assert_type(await evok.connect(), AsyncClient)
    assert_type(await evok.close(), None)
    assert_type(await evok.next_event(DeviceChanged, timeout=1.0), DeviceChanged)
    async for event in evok.events(timeout=1.0):
        assert_type(event, Event)
    # every async method is a coroutine function: tasks take its calls
    assert_type(asyncio.create_task(evok.set("do", "1_02", value=1)), asyncio.Task[Device])
    assert_type(asyncio.create_task(evok.set_relay("2_01", True)), asyncio.Task[Relay | LegacyRelay])
    assert_type(asyncio.create_task(evok.set_output("1_01", True)), asyncio.Task[DigitalOutput])
    assert_type(asyncio.create_task(evok.set_pwm("1_04", duty=50.0)), asyncio.Task[DigitalOutput])
    assert_type(asyncio.create_task(evok.set_analog_output("1_01", 2.5)), asyncio.Task[AnalogOutput])
    assert_type(asyncio.create_task(evok.set_analog_input_mode("1_01", "Current")), asyncio.Task[AnalogInput])
    assert_type(asyncio.create_task(evok.set_led("1_01", True)), asyncio.Task[Led])
    assert_type(asyncio.create_task(evok.set_watchdog("1_01", True)), asyncio.Task[Watchdog])
    assert_type(asyncio.create_task(evok.reset_counter("1_01")), asyncio.Task[DigitalInput])
    assert_type(asyncio.create_task(evok.send("ro", "2_01", value=1)), asyncio.Task[None])
    assert_type(asyncio.create_task(evok.reset_watchdog("1_01")), asyncio.Task[None])
    assert_type(asyncio.create_task(evok.set_debounce("1_01", 50)), asyncio.Task[None])
    assert_type(asyncio.create_task(evok.set_alias("ro", "1_01", "lamp")), asyncio.Task[None])
    assert_type(asyncio.create_task(evok.set_filter(None)), asyncio.Task[None])
    assert_type(asyncio.create_task(evok.refresh()), asyncio.Task[Devices])
    assert_type(asyncio.create_task(evok.connect()), asyncio.Task[AsyncClient])
    assert_type(asyncio.create_task(evok.close()), asyncio.Task[None])
    assert_type(asyncio.create_task(evok.next_event(Snapshot)), asyncio.Task[Snapshot])
    async with asyncio.TaskGroup() as group:
        assert_type(group.create_task(evok.set_led("1_02", False)), asyncio.Task[Led])
    await evok.set_debounce("1_01", "50")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await evok.set_led("1_01", True, confirm_timeout=1.0)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]


def check_options() -> None:
    Client("ws://127.0.0.1:1/ws", filter=["relay"], resync=False, request_timeout=5.0, ping_interval=None)
    AsyncClient("ws://127.0.0.1:1/ws", filter=None, reconnect=None, session=None)
    Client("ws://127.0.0.1:1/ws", request_timout=5)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    Client("ws://127.0.0.1:1/ws", request_timeout="5")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Client("ws://127.0.0.1:1/ws", filtr=["relay"])  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    Client("ws://127.0.0.1:1/ws", resync="yes")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    AsyncClient("ws://127.0.0.1:1/ws", sesion=None)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    Client("ws://127.0.0.1:1/ws", session=None)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]


def describe(event: Event) -> str:
    match event:
        case DeviceChanged(device=device, resync=resync):
            return f"{device.dev} {device.circuit}{' (resync)' if resync else ''}"
        case DeviceRemoved(device=device):
            return f"{device.dev} {device.circuit} removed"
        case Snapshot(devices=devices, partial=partial):
            return f"{len(devices)} devices{' (partial)' if partial else ''}"
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
