"""Checked by mypy --strict in CI (not run by pytest): the EVOK command surface is precisely typed.

Every helper returns ``None`` when sent unconfirmed, the confirming device (the
model class of its type, ``Device`` for the generic ``set``) with ``confirm=True``,
that or ``None`` for a ``bool`` only known at run time; the async client returns
awaitables of the same.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import assert_type

from iotws.evok import (
    AnalogInput,
    AnalogOutput,
    AsyncClient,
    Client,
    Device,
    DigitalInput,
    DigitalOutput,
    Led,
    LegacyRelay,
    Relay,
    State,
    Watchdog,
)


def check_sync(evok: Client, flag: bool) -> None:
    assert_type(evok.set("do", "1_02", value=1), None)
    assert_type(evok.set("do", "1_02", value=1, confirm=False), None)
    assert_type(evok.set("do", "1_02", confirm=True, value=1), Device)
    assert_type(evok.set("do", "1_02", confirm=flag, confirm_timeout=2.0, value=1), Device | None)
    assert_type(evok.set_relay("2_01", True), None)
    assert_type(evok.set_relay("2_01", True, confirm=True), Relay | LegacyRelay)
    assert_type(evok.set_relay("2_01", True, confirm=flag), Relay | LegacyRelay | None)
    assert_type(evok.set_output("1_01", True, timeout=2.0), None)
    assert_type(evok.set_output("1_01", True, confirm=True, confirm_timeout=1.0), DigitalOutput)
    assert_type(evok.set_pwm("1_04", duty=50.0), None)
    assert_type(evok.set_pwm("1_04", duty=50.0, freq=100.0, confirm=True), DigitalOutput)
    assert_type(evok.set_analog_output("1_01", 2.5), None)
    assert_type(evok.set_analog_output("1_01", 2.5, confirm=True), AnalogOutput)
    assert_type(evok.set_analog_input_mode("1_01", "Current"), None)
    assert_type(evok.set_analog_input_mode("1_01", "Current", confirm=True), AnalogInput)
    assert_type(evok.set_led("1_01", True), None)
    assert_type(evok.set_led("1_01", True, confirm=True), Led)
    assert_type(evok.set_watchdog("1_01", enabled=True, timeout=5000), None)
    assert_type(evok.set_watchdog("1_01", enabled=True, confirm=True), Watchdog)
    assert_type(evok.reset_watchdog("1_01"), None)
    assert_type(evok.set_debounce("1_01", 50), None)
    assert_type(evok.reset_counter("1_01"), None)
    assert_type(evok.reset_counter("1_01", 7, confirm=True), DigitalInput)
    assert_type(evok.set_alias("ro", "1_01", "lamp"), None)
    assert_type(evok.set_filter(["relay", "di"]), None)
    assert_type(evok.set_filter(None), None)
    assert_type(evok.refresh(), dict[tuple[str, str], Device])
    assert_type(evok.refresh(timeout=2.0), dict[tuple[str, str], Device])
    assert_type(evok.state, State)


def check_async(evok: AsyncClient, flag: bool) -> None:
    assert_type(evok.set("do", "1_02", value=1), Awaitable[None])
    assert_type(evok.set("do", "1_02", value=1, confirm=False), Awaitable[None])
    assert_type(evok.set("do", "1_02", confirm=True, value=1), Awaitable[Device])
    assert_type(evok.set("do", "1_02", confirm=flag, confirm_timeout=2.0, value=1), Awaitable[Device | None])
    assert_type(evok.set_relay("2_01", True), Awaitable[None])
    assert_type(evok.set_relay("2_01", True, confirm=True), Awaitable[Relay | LegacyRelay])
    assert_type(evok.set_relay("2_01", True, confirm=flag), Awaitable[Relay | LegacyRelay | None])
    assert_type(evok.set_output("1_01", True, timeout=2.0), Awaitable[None])
    assert_type(evok.set_output("1_01", True, confirm=True, confirm_timeout=1.0), Awaitable[DigitalOutput])
    assert_type(evok.set_pwm("1_04", duty=50.0), Awaitable[None])
    assert_type(evok.set_pwm("1_04", duty=50.0, freq=100.0, confirm=True), Awaitable[DigitalOutput])
    assert_type(evok.set_analog_output("1_01", 2.5), Awaitable[None])
    assert_type(evok.set_analog_output("1_01", 2.5, confirm=True), Awaitable[AnalogOutput])
    assert_type(evok.set_analog_input_mode("1_01", "Current"), Awaitable[None])
    assert_type(evok.set_analog_input_mode("1_01", "Current", confirm=True), Awaitable[AnalogInput])
    assert_type(evok.set_led("1_01", True), Awaitable[None])
    assert_type(evok.set_led("1_01", True, confirm=True), Awaitable[Led])
    assert_type(evok.set_watchdog("1_01", enabled=True, timeout=5000), Awaitable[None])
    assert_type(evok.set_watchdog("1_01", enabled=True, confirm=True), Awaitable[Watchdog])
    assert_type(evok.reset_watchdog("1_01"), Awaitable[None])
    assert_type(evok.set_debounce("1_01", 50), Awaitable[None])
    assert_type(evok.reset_counter("1_01"), Awaitable[None])
    assert_type(evok.reset_counter("1_01", 7, confirm=True), Awaitable[DigitalInput])
    assert_type(evok.set_alias("ro", "1_01", "lamp"), Awaitable[None])
    assert_type(evok.set_filter(["relay", "di"]), Awaitable[None])
    assert_type(evok.set_filter(None), Awaitable[None])
    assert_type(evok.refresh(), Awaitable[dict[tuple[str, str], Device]])
    assert_type(evok.refresh(timeout=2.0), Awaitable[dict[tuple[str, str], Device]])
    assert_type(evok.state, State)


async def check_awaited(evok: AsyncClient) -> None:
    assert_type(await evok.set_relay("2_01", True, confirm=True), Relay | LegacyRelay)
    assert_type(await evok.set_relay("2_01", True), None)
    assert_type(await evok.refresh(), dict[tuple[str, str], Device])


def check_narrowed(evok: Client) -> None:
    assert_type(evok.set_led("1_01", True, confirm=True).value, int | None)
    assert_type(evok.set_analog_output("1_01", 2.5, confirm=True).value, float | None)


def check_wrong(evok: Client) -> None:
    evok.set_debounce("1_01", "50")  # type: ignore[arg-type]  # an unused ignore would fail: the checks bite
