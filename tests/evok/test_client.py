"""Every client scenario on both Client and AsyncClient, against the simulator over loopback."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from iotws.backoff import ReconnectPolicy
from iotws.errors import ConnectionClosed, RequestTimeout, UsageError
from iotws.events import Reconnected
from iotws.evok import (
    AnalogInput,
    AnalogOutput,
    AsyncClient,
    BoardConfig,
    Client,
    DeviceChanged,
    DeviceInfo,
    DeviceRemoved,
    DigitalInput,
    DigitalOutput,
    EvokSimulator,
    Led,
    LegacyRelay,
    ProtocolViolation,
    Relay,
    Run,
    Snapshot,
    Temperature,
    Watchdog,
)
from iotws.testing import resolve, take_events, wait_until

FAST = ReconnectPolicy(initial_delay=0.05, factor=2.0, max_delay=0.2, jitter=0.0, reset_after=60.0)


@pytest.fixture
def sim() -> Iterator[EvokSimulator]:
    """A simulator with still inputs (tests move them with poke()), fast scans and 1-Wire reads."""
    with EvokSimulator(scan_rate=100, temp_interval=0.1, di_toggle_period=None, ai_noise=0, seed=1).run() as s:
        yield s


@asynccontextmanager
async def evok(flavour: str, url: str, **kwargs: Any) -> AsyncIterator[Any]:
    kwargs.setdefault("reconnect", FAST)
    kwargs.setdefault("request_timeout", 5.0)
    client = (Client if flavour == "sync" else AsyncClient)(url, **kwargs)
    await resolve(client.connect())
    try:
        yield client
    finally:
        await resolve(client.close())


def changes(of: str | None = None, circuit: str | None = None) -> Any:
    """A take_events type filter: DeviceChanged (from an event, not a resync) of one dev (and circuit)."""

    class Match(type):
        def __instancecheck__(cls, event: object) -> bool:
            return (
                isinstance(event, DeviceChanged)
                and not event.resync
                and (of is None or event.device.dev == of)
                and (circuit is None or event.device.circuit == circuit)
            )

    return Match("Match", (), {})


async def test_connect_fills_the_cache_and_events_stream(flavour: str, sim: EvokSimulator) -> None:
    async with evok(flavour, sim.url()) as client:
        state = client.state
        assert isinstance(state["run", "alias"], Run)
        assert isinstance(state["device_info", "S103"], DeviceInfo)
        assert len(state.of_type("di")) == 4 and len(state.of_type("relay")) == 4
        sim.poke("di", "1_03", value=1, counter=1)
        (event,) = await take_events(client, 1, of_type=changes("di", "1_03"), timeout=5)
        assert isinstance(event.device, DigitalInput) and event.device.counter == 1
        assert event.previous is not None and event.previous.value == 0 and not event.resync
        assert state["di", "1_03"].value == 1


async def test_moving_inputs_stream_changes(flavour: str) -> None:
    with EvokSimulator(scan_rate=100, di_toggle_period=0.05, ai_noise=0.01, seed=3).run() as s:
        async with evok(flavour, s.url()) as client:
            await take_events(client, 2, of_type=changes("di", "1_01"), timeout=5)
            (ai,) = await take_events(client, 1, of_type=changes("ai"), timeout=5)
            assert isinstance(ai.device, AnalogInput) and ai.device.unit == "V"


async def test_filter_selects_emitted_types(flavour: str, sim: EvokSimulator) -> None:
    async with evok(flavour, sim.url(), filter=["relay"]) as client:
        assert sim.received[:2] == [{"cmd": "filter", "devices": ["ro"]}, {"cmd": "all"}]
        sim.poke("do", "1_01", value=1)
        sim.poke("ro", "2_03", value=1)
        (event,) = await take_events(client, 1, of_type=changes(), timeout=5)
        assert event.device.key == ("ro", "2_03")
        await resolve(client.set_filter(["output"]))
        await wait_until(lambda: sim.received[-1] == {"cmd": "filter", "devices": ["do"]})
        sim.poke("ro", "2_03", value=0)
        sim.poke("do", "1_01", value=0)
        (event,) = await take_events(client, 1, of_type=changes(), timeout=5)
        assert event.device.key == ("do", "1_01")


async def test_setters_change_the_device_and_return_the_reported_state(flavour: str, sim: EvokSimulator) -> None:
    async with evok(flavour, sim.url()) as client:
        relay = await resolve(client.set_relay("2_01", True))
        assert isinstance(relay, Relay) and relay.value == 1 and sim.device("ro", "2_01")["value"] == 1
        out = await resolve(client.set_output("1_02", True))
        assert isinstance(out, DigitalOutput) and out.value == 1
        pwm = await resolve(client.set_pwm("1_04", duty=25, freq=100.0))
        assert (pwm.pwm_duty, pwm.pwm_freq, pwm.mode) == (25, 100.0, "PWM")
        ao = await resolve(client.set_analog_output("1_01", 3.3))
        assert isinstance(ao, AnalogOutput) and ao.value == 3.3
        ai = await resolve(client.set_analog_input_mode("1_02", "Current"))
        assert isinstance(ai, AnalogInput) and (ai.mode, ai.unit) == ("Current", "mA")
        led = await resolve(client.set_led("1_03", True))
        assert isinstance(led, Led) and led.value == 1
        wd = await resolve(client.set_watchdog("1_01", True, timeout_ms=4000))
        assert isinstance(wd, Watchdog) and wd.value == 1 and sim.device("wd", "1_01")["timeout"] == 4000
        sim.poke("di", "1_02", counter=5)
        await wait_until(lambda: client.state["di", "1_02"].counter == 5)
        di = await resolve(client.reset_counter("1_02"))
        assert isinstance(di, DigitalInput) and di.counter == 0
        generic = await resolve(client.set("output", "1_03", value=1, timeout=5))
        assert generic.key == ("do", "1_03") and client.state["do", "1_03"] == generic


async def test_send_returns_once_written_and_the_event_follows(flavour: str, sim: EvokSimulator) -> None:
    async with evok(flavour, sim.url()) as client:
        assert await resolve(client.send("relay", "2_03", value=1)) is None
        (event,) = await take_events(client, 1, of_type=changes("ro", "2_03"), timeout=5)
        assert event.device.value == 1
        assert {"cmd": "set", "dev": "ro", "circuit": "2_03", "value": {"value": 1}} in sim.received


async def test_helpers_that_emit_no_event_show_in_refresh(flavour: str, sim: EvokSimulator) -> None:
    async with evok(flavour, sim.url()) as client:
        assert await resolve(client.set_debounce("1_01", 7)) is None
        assert await resolve(client.send("wd", "1_01", timeout=1234)) is None
        assert await resolve(client.reset_watchdog("1_01")) is None
        assert await resolve(client.set_alias("relay", "2_02", "pump")) is None
        snapshot = await resolve(client.refresh())
        assert snapshot["di", "1_01"].debounce == 7
        assert snapshot["wd", "1_01"].timeout == 1234
        assert snapshot["ro", "2_02"].alias == "pump"
        assert snapshot["run", "alias"].aliases["pump"].devtype == "ro"
        assert sim.watchdog_resets == 1
        assert client.state.device("relay", "pump") is not None
        # the positional trap never bites: debounce went out in the value dict
        assert {"cmd": "set", "dev": "di", "circuit": "1_01", "value": {"debounce": 7}} in sim.received


async def test_timed_output_switches_back(flavour: str, sim: EvokSimulator) -> None:
    async with evok(flavour, sim.url()) as client:
        on = await resolve(client.set_output("1_01", True, revert_after=0.2))
        assert on.value == 1
        assert {"cmd": "set", "dev": "do", "circuit": "1_01", "value": {"value": 1, "timeout": 0.2}} in sim.received
        seen, off = await take_events(client, 2, of_type=changes("do", "1_01"), timeout=5)
        assert seen.device == on  # the confirming event is in the stream too
        assert off.device.value == 0 and off.device.pending is True


async def test_setting_the_current_value_returns_the_cached_state(flavour: str, sim: EvokSimulator) -> None:
    """EVOK pushes nothing for a write that changes nothing: the cache, which shows it, answers."""
    async with evok(flavour, sim.url()) as client:
        asked = [m["cmd"] for m in sim.received].count("all")
        started = time.monotonic()
        relay = await resolve(client.set_relay("2_04", False, timeout=5))
        assert relay.value == 0 and relay is client.state["ro", "2_04"]
        assert time.monotonic() - started < 1.0
        await wait_until(lambda: {"cmd": "set", "dev": "ro", "circuit": "2_04", "value": {"value": 0}} in sim.received)
        assert [m["cmd"] for m in sim.received].count("all") == asked  # no `all` needed
        assert (await resolve(client.set_led("1_02", True))).value == 1  # a change: the event confirms it
        assert (await resolve(client.set_led("1_02", True))).value == 1  # again: nothing changes, cache answers


async def test_setting_the_current_value_after_an_unshown_write_waits_for_evok(
    flavour: str, sim: EvokSimulator
) -> None:
    """A write of ours not shown yet may still change the device: EVOK's `all` reply settles it."""
    async with evok(flavour, sim.url()) as client:
        asked = [m["cmd"] for m in sim.received].count("all")
        sim.call(sim.hold_commands())  # EVOK busy: neither write has run when the setter is called
        await resolve(client.send("ro", "2_04", value=1))
        release = threading.Timer(0.3, lambda: sim.call(sim.release_commands()))
        release.start()
        try:
            relay = await resolve(client.set_relay("2_04", False, timeout=5))
        finally:
            release.join()
        assert relay.value == 0 and sim.device("ro", "2_04")["value"] == 0
        assert [m["cmd"] for m in sim.received].count("all") == asked + 1


async def test_a_setter_the_filter_would_hide_is_refused_before_sending(flavour: str, sim: EvokSimulator) -> None:
    async with evok(flavour, sim.url(), filter=["relay"]) as client:
        sent = len(sim.received)
        with pytest.raises(UsageError, match=r"hides 'led'.*send\('led', '1_01'"):
            await resolve(client.set_led("1_01", True))
        with pytest.raises(UsageError, match="hides 'di'"):
            await resolve(client.reset_counter("1_01"))
        assert len(sim.received) == sent
        assert await resolve(client.send("led", "1_01", value=1)) is None  # unconfirmed: fine
        await resolve(client.set_filter([]))
        with pytest.raises(UsageError, match="hides 'ro'"):
            await resolve(client.set_relay("2_01", True))
        await resolve(client.set_filter(None))
        assert (await resolve(client.set_led("1_03", True))).value == 1


async def test_refresh_returns_the_full_state(flavour: str, sim: EvokSimulator) -> None:
    async with evok(flavour, sim.url()) as client:
        snapshot = await resolve(client.refresh())
        assert snapshot.keys() == sim.devices.keys()
        assert {d.dev for d in snapshot.values()} >= {"run", "device_info", "register", "owbus", "modbus_slave"}


async def test_temp_events_arrive_as_bare_objects_and_in_arrays(flavour: str, sim: EvokSimulator) -> None:
    async with evok(flavour, sim.url()) as client:
        (event,) = await take_events(client, 1, of_type=changes("temp"), timeout=5)
        assert isinstance(event.device, Temperature) and event.device.type == "DS18B20"
    async with evok(flavour, sim.url(), filter=["sensor"]) as client:
        (event,) = await take_events(client, 1, of_type=changes(), timeout=5)
        assert isinstance(event.device, Temperature)


async def test_restart_reconnects_resends_filter_and_resyncs(flavour: str, sim: EvokSimulator) -> None:
    async with evok(flavour, sim.url(), filter=["ro", "di"]) as client:
        assert client.state["ro", "2_01"].value == 0
        sim.call(sim.stop())
        sim.poke("ro", "2_01", value=1, report=False)  # changed while the client was away
        sim.call(sim.start())
        await take_events(client, 1, of_type=Reconnected, timeout=10)
        assert client.state["ro", "2_01"].value == 1
        filters = [m for m in sim.received if m["cmd"] == "filter"]
        assert filters == [{"cmd": "filter", "devices": ["ro", "di"]}] * 2
        assert [m["cmd"] for m in sim.received].count("all") == 2
        relay = await resolve(client.set_relay("2_01", False))
        assert relay.value == 0


async def test_confirmation_times_out_for_a_missing_circuit(flavour: str, sim: EvokSimulator) -> None:
    async with evok(flavour, sim.url()) as client:
        with pytest.raises(RequestTimeout):
            await resolve(client.set_relay("9_99", True, timeout=0.3))
        assert client.connected
        assert (await resolve(client.set_led("1_01", True))).value == 1


async def test_bad_arguments_fail_before_sending(flavour: str, sim: EvokSimulator) -> None:
    async with evok(flavour, sim.url()) as client:
        sent = len(sim.received)
        for call in (
            lambda: client.set_relay("2_01", 2),
            lambda: client.set_pwm("1_01", duty=120),
            lambda: client.set_pwm("1_01", freq=0),
            lambda: client.set_pwm("1_01"),
            lambda: client.set_output("1_01", True, revert_after=-1),
            lambda: client.set_watchdog("1_01", True, timeout_ms=1_000_000),
            lambda: client.set("wd", "1_01", nv_save=1),  # EVOK pushes no event for it: send() it
            lambda: client.set("ro", "2_01"),
            lambda: client.set_relay("2_01", True, timeout=-1),
            lambda: client.send("ro", "2_01", value=[1]),
            lambda: client.set_debounce("1_01", -1),
            lambda: client.reset_counter("1_01", 2**32),
            lambda: client.set_analog_input_mode("1_01", ""),
            lambda: client.set_filter(["register"]),
        ):
            with pytest.raises(UsageError):
                await resolve(call())
        assert len(sim.received) == sent


async def test_garbage_is_a_violation_and_the_client_keeps_working(flavour: str, sim: EvokSimulator) -> None:
    async with evok(flavour, sim.url()) as client:
        sim.call(sim.send_garbage())
        await take_events(client, 1, of_type=ProtocolViolation, timeout=5)
        assert (await resolve(client.set_led("1_02", True))).value == 1


async def test_commands_fail_after_close(flavour: str, sim: EvokSimulator) -> None:
    async with evok(flavour, sim.url()) as client:
        pass
    with pytest.raises(ConnectionClosed):
        await resolve(client.set_led("1_01", True))


async def test_v2_simulator_is_understood(flavour: str) -> None:
    with EvokSimulator(v2=True, di_toggle_period=None, ai_noise=0, scan_rate=100).run() as s:
        async with evok(flavour, s.url()) as client:
            assert client.state["relay", "2_01"].kind == "ro"
            assert client.state["input", "1_01"].kind == "di"
            relay = await resolve(client.set_relay("2_01", True))
            assert isinstance(relay, LegacyRelay) and relay.dev == "relay" and relay.value == 1
            output = await resolve(client.set_output("1_01", True))
            assert isinstance(output, LegacyRelay) and output.kind == "do" and output.value == 1


async def test_silent_server_refresh_times_out_and_connect_carries_on(flavour: str, sim: EvokSimulator) -> None:
    sim.faults.silent = True
    async with evok(flavour, sim.url(), connect_timeout=0.5) as client:
        assert client.connected and len(client.state) == 0  # no `all` reply: the cache fills from events
        with pytest.raises(RequestTimeout):
            await resolve(client.refresh(timeout=0.3))
        sim.faults.silent = False
        snapshot = await resolve(client.refresh())
        assert len(client.state) == len(snapshot) == len(sim.devices)


async def test_callbacks_see_device_changes(flavour: str, sim: EvokSimulator) -> None:
    seen: list[DeviceChanged] = []
    async with evok(flavour, sim.url()) as client:
        client.on(DeviceChanged, seen.append)
        await resolve(client.set_led("1_04", True))
        await wait_until(lambda: any(e.device.key == ("led", "1_04") for e in seen))
        client.off(DeviceChanged, seen.append)


async def test_dropped_link_reconnects_and_resyncs(flavour: str, sim: EvokSimulator) -> None:
    async with evok(flavour, sim.url()) as client:
        sim.call(sim.drop_connections())
        await take_events(client, 1, of_type=Reconnected, timeout=10)
        assert [m["cmd"] for m in sim.received].count("all") == 2
        assert (await resolve(client.set_relay("2_02", True))).value == 1


# -- the real server's quirks (shared/protocols/evok.md "Seen on the real server"), simulated -----


@pytest.mark.parametrize("setpoint", [0.29, 1.15, 2.3, 2.55])
async def test_analog_output_writes_evok_truncates_are_confirmed(
    flavour: str, sim: EvokSimulator, setpoint: float
) -> None:
    async with evok(flavour, sim.url()) as client:
        ao = await resolve(client.set_analog_output("1_02", setpoint, timeout=5))
        assert isinstance(ao, AnalogOutput)
        assert ao.value == round(int(setpoint / 0.0025) * 0.0025, 3) < setpoint  # e.g. 1.15 V reads 1.147


async def test_analog_output_outside_the_cached_range_is_refused_before_sending(
    flavour: str, sim: EvokSimulator
) -> None:
    async with evok(flavour, sim.url()) as client:
        sent = len(sim.received)
        for call in (
            lambda: client.set_analog_output("1_01", 12.0),
            lambda: client.set_analog_output("1_01", -1.0),
            lambda: client.set("analogoutput", "1_01", value=10.5),
            lambda: client.send("ao", "1_01", value=10.5),
        ):
            with pytest.raises(UsageError, match=r"outside the range 0\.\.10 V"):
                await resolve(call())
        assert len(sim.received) == sent
        assert (await resolve(client.set_analog_output("1_01", 10.0))).value == 10.0


async def test_all_filtered_snapshot_is_partial_and_refresh_works(
    flavour: str, caplog: pytest.LogCaptureFixture
) -> None:
    board = BoardConfig()
    with EvokSimulator(board, all_filtered=True, scan_rate=100, di_toggle_period=None, ai_noise=0).run() as s:
        streamed = {key for key in s.devices if key[0] in ("di", "ro", "ai", "ao", "temp")}
        with caplog.at_level(logging.WARNING, logger="iotws.evok"):
            async with evok(flavour, s.url(), connect_timeout=60) as client:
                # the reply finished the handshake (a stalled one would end in a timeout, with no Snapshot)
                (snap,) = await take_events(client, 1, of_type=Snapshot, timeout=5)
                assert snap.partial and set(snap.devices) == streamed
                assert client.state.partial and set(client.state) == streamed
                assert "all_filtered" in caplog.text
                assert set(await resolve(client.refresh(timeout=5))) == streamed
                s.call(s.drop_connections())
                # the refresh's snapshot, then the reconnect's (its handshake), then Reconnected
                _, again, reconnected = await take_events(client, 3, of_type=(Snapshot, Reconnected), timeout=10)
                assert isinstance(again, Snapshot) and again.partial and client.state.partial
                assert isinstance(reconnected, Reconnected)
                relay = await resolve(client.set_relay("2_01", True))
                assert relay.value == 1
                # a LED is not in this `all`: once an event showed it, the cache answers a write that changes nothing
                assert (await resolve(client.set_led("1_01", True))).value == 1
                assert (await resolve(client.set_led("1_01", True, timeout=2))).value == 1


async def test_all_filtered_with_a_filter_gives_an_empty_partial_snapshot(
    flavour: str, caplog: pytest.LogCaptureFixture
) -> None:
    sim = EvokSimulator(all_filtered=True, scan_rate=100, di_toggle_period=None, ai_noise=0)
    with sim.run() as s, caplog.at_level(logging.WARNING, logger="iotws.evok"):
        async with evok(flavour, s.url(), filter=["relay"], connect_timeout=60) as client:
            (snap,) = await take_events(client, 1, of_type=Snapshot, timeout=5)
            assert snap.partial and snap.devices == {}
            assert client.state.partial and len(client.state) == 0
            assert "empty list" in caplog.text
            assert await resolve(client.refresh(timeout=5)) == {}
            s.poke("ro", "2_02", value=1)
            (event,) = await take_events(client, 1, of_type=changes("ro", "2_02"), timeout=5)
            assert client.state["ro", "2_02"] == event.device


async def test_resync_removes_devices_evok_no_longer_has(flavour: str, sim: EvokSimulator) -> None:
    gone = [("led", f"1_0{i}") for i in range(1, 5)] + [("ro", "2_03"), ("ro", "2_04")]
    async with evok(flavour, sim.url()) as client:
        assert client.state.device("led", "1_01") is not None
        sim.call(sim.stop())
        for dev, circuit in gone:  # EVOK restarted with an extension offline
            sim.remove_device(dev, circuit)
        sim.call(sim.start())
        removed = await take_events(client, len(gone), of_type=DeviceRemoved, timeout=10)
        assert sorted(e.device.key for e in removed) == sorted(gone)
        assert client.state.device("led", "1_01") is None and client.state.device("relay", "2_04") is None
        assert set(client.state) == set(sim.devices) and not client.state.partial


async def test_an_unchanged_nan_is_not_a_change(flavour: str, sim: EvokSimulator) -> None:
    seen: list[DeviceChanged] = []
    async with evok(flavour, sim.url()) as client:
        client.on(DeviceChanged, seen.append)
        sim.poke("ai", "1_01", value=math.nan)  # sent as a bare NaN, re-sent on every scan
        await wait_until(lambda: any(e.device.key == ("ai", "1_01") for e in seen))
        target = sim.scans + 20
        await wait_until(lambda: sim.scans >= target)
        sim.poke("led", "1_01", value=1)  # its frame comes after 20 re-sent NaNs
        await wait_until(lambda: any(e.device.key == ("led", "1_01") for e in seen))
        nans = [e for e in seen if e.device.key == ("ai", "1_01")]
        assert len(nans) == 1 and math.isnan(nans[0].device.value)
        assert math.isnan(client.state["ai", "1_01"].value)


async def test_resync_events_follow_the_filter(flavour: str, sim: EvokSimulator) -> None:
    async with evok(flavour, sim.url(), filter=["input"]) as client:
        resync = await take_events(client, 4, of_type=DeviceChanged, timeout=5)
        assert {e.device.dev for e in resync} == {"di"} and all(e.resync for e in resync)
        assert set(client.state) == set(sim.devices)  # the cache holds everything
        snapshot = await resolve(client.refresh())
        assert len(snapshot) == len(sim.devices)
        sim.poke("ro", "2_01", value=1, report=False)  # changed while nobody looked: the next resync sees it
        sim.poke("di", "1_02", value=1, report=False)
        await resolve(client.refresh())
        (event,) = await take_events(client, 1, of_type=DeviceChanged, timeout=5)
        assert event.device.key == ("di", "1_02") and event.resync
        assert client.state["ro", "2_01"].value == 1


async def test_cached_states_keep_explicit_nulls(flavour: str, sim: EvokSimulator) -> None:
    sim.poke("device_info", "S103", sn=None, report=False)
    async with evok(flavour, sim.url()) as client:
        wire = client.state["device_info", "S103"].to_wire()
        assert "sn" in wire and wire["sn"] is None
        assert wire == sim.device("device_info", "S103")
