"""Every client scenario on both flavours, over loopback sockets to the reference server."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from iotws.backoff import ReconnectPolicy
from iotws.errors import CodecError, RemoteError, RequestTimeout, UsageError
from iotws.events import Disconnected, ProtocolViolation, Reconnected
from iotws.farmws import (
    AsyncControllerClient,
    AsyncDashboardClient,
    AsyncDeviceClient,
    AsyncLiveClient,
    ControllerClient,
    DashboardClient,
    DeviceClient,
    DeviceCommand,
    FarmEvent,
    GenericEvent,
    Humidity,
    IrrigationStarted,
    IrrigationStopped,
    LiveClient,
    SensorDisconnected,
    SensorInfo,
    ServerError,
    Snapshot,
    Temperature,
)
from iotws.farmws.simulator import FarmSimulator
from iotws.testing import open_client, resolve, take_events, wait_until

FAST: dict[str, Any] = {"connect_timeout": 5, "request_timeout": 5}


@pytest.fixture
def sim() -> Iterator[FarmSimulator]:
    with FarmSimulator(emulate=False, time_scale=0.1).run() as server:
        yield server


def controller(flavour: str, sim: FarmSimulator) -> Any:
    return open_client(flavour, ControllerClient, AsyncControllerClient, sim.url("/"), **FAST)


def dashboard(flavour: str, sim: FarmSimulator, client_id: str) -> Any:
    return open_client(flavour, DashboardClient, AsyncDashboardClient, sim.url("/"), client_id=client_id, **FAST)


def device(flavour: str, sim: FarmSimulator, name: str = "Esp8266", **kwargs: Any) -> Any:
    return open_client(flavour, DeviceClient, AsyncDeviceClient, sim.url("/"), name=name, **FAST, **kwargs)


async def dashboards_connected(sim: FarmSimulator, count: int) -> None:
    await wait_until(lambda: sum(c.state.get("role") == "dashboard" for c in list(sim.connections)) >= count)


async def test_controller_events_reach_two_dashboards(flavour: str, sim: FarmSimulator) -> None:
    async with (
        dashboard(flavour, sim, "1") as one,
        dashboard(flavour, sim, "2") as two,
        controller(flavour, sim) as ctl,
    ):
        await dashboards_connected(sim, 2)
        await resolve(ctl.temperature(223, time=8273663))
        await resolve(ctl.irrigation_started(["zone1", "zone2"], time=8273663))
        await resolve(ctl.sensor_disconnected("humidity and sensor", time=1122))
        expected = [
            Temperature(time=8273663, record=223),
            IrrigationStarted(time=8273663, zones=("zone1", "zone2")),
            SensorDisconnected(time=1122, sensor="humidity and sensor"),
        ]
        for client in (one, two):
            assert await take_events(client, 3, of_type=FarmEvent, timeout=5) == expected
        assert {c.state["client_id"] for c in sim.connections if c.state.get("role") == "dashboard"} == {"1", "2"}
        await wait_until(lambda: len(sim.received) == 3)


async def test_unknown_events_pass_through_as_generic(flavour: str, sim: FarmSimulator) -> None:
    async with dashboard(flavour, sim, "7") as dash, controller(flavour, sim) as ctl:
        await dashboards_connected(sim, 1)
        named: list[FarmEvent] = []
        typed: list[Humidity] = []
        dash.on_event("valve_opened", named.append)
        dash.on(Humidity, typed.append)
        await resolve(ctl.send("valve_opened", {"valve": 3, "zone": "north"}))
        await resolve(ctl.humidity(61, time=5))
        events = await take_events(dash, 2, of_type=FarmEvent, timeout=5)
        assert events[0] == GenericEvent("valve_opened", {"valve": 3, "zone": "north"})
        assert events[1].record == 61
        assert named == [events[0]]
        assert typed == [events[1]]
        dash.off_event("valve_opened", named.append)
        dash.off(Humidity, typed.append)
        await resolve(ctl.send("valve_opened", {"valve": 4}))
        await resolve(ctl.humidity(62, time=6))
        assert len(await take_events(dash, 2, of_type=FarmEvent, timeout=5)) == 2
        assert (len(named), len(typed)) == (1, 1)  # both callbacks were removed


async def test_sends_are_coroutines_that_tasks_take(flavour: str, sim: FarmSimulator) -> None:
    """The async methods are coroutine functions: ``asyncio.create_task`` and ``gather`` take their calls."""
    async with dashboard(flavour, sim, "t") as dash, controller(flavour, sim) as ctl:
        await dashboards_connected(sim, 1)
        if flavour == "async":
            tasks = [asyncio.create_task(ctl.temperature(record, time=record)) for record in range(3)]
            assert await asyncio.gather(*tasks) == [None, None, None]
        else:
            assert [ctl.temperature(record, time=record) for record in range(3)] == [None, None, None]
        events = await take_events(dash, 3, of_type=Temperature, timeout=5)
        assert sorted(event.record for event in events) == [0, 1, 2]


async def test_dashboard_survives_garbage(flavour: str, sim: FarmSimulator) -> None:
    async with dashboard(flavour, sim, "g") as dash, controller(flavour, sim) as ctl:
        await dashboards_connected(sim, 1)
        await asyncio.wrap_future(sim.soon(sim.send_garbage()))
        [violation] = await take_events(dash, 1, of_type=ProtocolViolation, timeout=5)
        assert "not JSON" in str(violation.error)
        await resolve(ctl.soil_moisture(512, time=1))
        [event] = await take_events(dash, 1, of_type=FarmEvent, timeout=5)
        assert event.record == 512


async def test_unsendable_values_fail_before_sending(flavour: str, sim: FarmSimulator) -> None:
    async with controller(flavour, sim) as ctl:
        with pytest.raises(CodecError):
            await resolve(ctl.temperature(float("nan"), time=1))
        with pytest.raises(CodecError):
            await resolve(ctl.send("x", {1, 2}))
        await resolve(ctl.temperature(1, time=1))
        await wait_until(lambda: sim.received == [Temperature(time=1, record=1)])


async def test_emulated_controller_feeds_dashboards(flavour: str) -> None:
    with FarmSimulator(time_scale=0.05, seed=7).run() as server:
        async with dashboard(flavour, server, "demo") as dash:
            events = await take_events(dash, 6, of_type=FarmEvent, timeout=10)
    assert {e.event for e in events} >= {"temperature", "humidity", "soil_moisture"}


# -- Dialect I ------------------------------------------------------------------------


async def test_device_registers_and_gets_config_once(flavour: str, sim: FarmSimulator) -> None:
    async with device(flavour, sim) as dev:
        [config] = await take_events(dev, 1, of_type=DeviceCommand, timeout=5)
        assert config.cmd == "config --socket_send_data_seconds 3 --send_sensor_status_seconds 2"
        assert dev.core.config == {"socket_send_data_seconds": "3", "send_sensor_status_seconds": "2"}
        await wait_until(lambda: "Esp8266" in sim.devices and len(sim.devices["Esp8266"].sensors) == 4)
        await resolve(dev.sensor_update({"Temperature": 24.5, "Humidity": 61}))
        await resolve(dev.sensor_status({"Temperature": True, "RainDrop": False}))
        await wait_until(lambda: sim.devices["Esp8266"].values.get("Humidity") == 61)
        await wait_until(lambda: sim.devices["Esp8266"].status.get("RainDrop") is False)


async def test_command_with_return_id_answered_exactly_once(flavour: str, sim: FarmSimulator) -> None:
    sim.min_sends = 4  # replies "arrive late": the server keeps re-sending
    calls: list[str] = []

    def irrigation(command: DeviceCommand) -> Any:
        calls.append(command.cmd)
        return True

    async with device(flavour, sim, handlers={"irrigation": irrigation}) as dev:
        await take_events(dev, 1, of_type=DeviceCommand, timeout=5)  # the config command
        result = await asyncio.wrap_future(sim.soon(sim.send_command("irrigation start")))
        assert result is True
        [rid] = list(sim.sends)
        assert sim.sends[rid] == 4
        assert sim.replies[rid] == [True]
        assert calls == ["irrigation start"]
        await wait_until(lambda: dev.core.resends == 3)


async def test_manual_reply_once(flavour: str, sim: FarmSimulator) -> None:
    async with device(flavour, sim) as dev:
        await take_events(dev, 1, of_type=DeviceCommand, timeout=5)
        pending = sim.soon(sim.send_command("drainage status", time_out=40))
        [command] = await take_events(dev, 1, of_type=DeviceCommand, timeout=5)
        assert command.words == ("drainage", "status")
        await resolve(dev.reply(command.return_id, 0))
        with pytest.raises(UsageError):
            await resolve(dev.reply(command.return_id, 1))
        assert await asyncio.wrap_future(pending) == 0
        assert sim.replies[command.return_id] == [0]


async def test_command_without_answer_times_out_on_the_server(flavour: str, sim: FarmSimulator) -> None:
    async with device(flavour, sim):
        with pytest.raises(RequestTimeout):
            await asyncio.wrap_future(sim.soon(sim.send_command("irrigation status", time_out=3)))


async def test_error_events_on_malformed_frames(flavour: str, sim: FarmSimulator) -> None:
    async with device(flavour, sim) as dev:
        await resolve(dev.send("sensor_update", "not a map"))  # the real server stays silent on these
        await resolve(dev.send("sensor_status", {"Temperature": "yes"}))
        await resolve(dev.send("register_sensors", "not a map"))
        await resolve(dev._driver.send_frames(["this is not JSON", '{"event": "sensor_status"}', '{"data": 1}']))
        await resolve(dev.send("something_else", 1))  # unknown events are ignored silently
        errors = await take_events(dev, 4, of_type=ServerError, timeout=5)
        assert [e.message for e in errors] == ["Error in the data sent"] * 4
        assert sim.errors_sent == 4
        await resolve(dev.sensor_update({"SoilMoisture": 512}))
        await wait_until(lambda: sim.devices["Esp8266"].values.get("SoilMoisture") == 512)


async def test_device_reconnects_within_grace(flavour: str, sim: FarmSimulator) -> None:
    sim.grace = 50.0  # 5 s at time_scale 0.1
    async with device(flavour, sim) as dev:
        await take_events(dev, 1, of_type=DeviceCommand, timeout=5)
        await wait_until(lambda: "Esp8266" in sim.devices and sim.devices["Esp8266"].conn is not None)
        await asyncio.wrap_future(sim.soon(sim.drop_connections()))
        await take_events(dev, 1, of_type=Reconnected, timeout=5)
        await wait_until(lambda: sim.devices["Esp8266"].connects == 2)
        record = sim.devices["Esp8266"]
        await resolve(dev.sensor_update({"Temperature": 20}))
        await wait_until(lambda: record.values.get("Temperature") == 20)
        assert record.configured == 1  # no config command again after a reconnect within the grace
        assert len(record.sensors) == 4
        sim.grace = 1.0  # read when the link closes: the device is then removed after 0.1 s
    await wait_until(lambda: "Esp8266" not in sim.devices, timeout=5)


async def test_live_dashboard_gets_snapshots(flavour: str, sim: FarmSimulator) -> None:
    async with device(flavour, sim, name="Pump") as dev:
        await resolve(dev.sensor_update({"SoilMoisture": 300}))
        await resolve(dev.sensor_status({"SoilMoisture": True}))
        await wait_until(lambda: "Pump" in sim.devices and sim.devices["Pump"].status.get("SoilMoisture") is True)
        async with open_client(flavour, LiveClient, AsyncLiveClient, sim.url("/"), **FAST) as live:
            snaps = await take_events(live, 2, of_type=Snapshot, timeout=5)
            assert snaps[-1].value("Pump", "SoilMoisture") == 300
            state = snaps[-1].devices["Pump"].sensors["SoilMoisture"]
            assert (state.status, state.name) == (True, "Soil Moisture")
            assert live.state == snaps[-1]
            assert json.loads(json.dumps(live.state.to_wire()))["Pump"]["name"] == "Pump"


async def test_dashboard_reconnects_and_keeps_receiving(flavour: str, sim: FarmSimulator) -> None:
    fast = ReconnectPolicy(initial_delay=0.05, max_delay=0.2)
    async with open_client(
        flavour, DashboardClient, AsyncDashboardClient, sim.url("/"), client_id="r", reconnect=fast, **FAST
    ) as dash:
        await dashboards_connected(sim, 1)
        await asyncio.wrap_future(sim.soon(sim.drop_connections()))
        await take_events(dash, 1, of_type=Reconnected, timeout=5)
        await dashboards_connected(sim, 1)
        await asyncio.wrap_future(sim.soon(sim.publish(Temperature(time=2, record=3))))
        assert await take_events(dash, 1, of_type=FarmEvent, timeout=5) == [Temperature(time=2, record=3)]


async def test_dashboard_over_wss_with_a_custom_ca(flavour: str) -> None:
    import ssl

    import trustme

    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    with FarmSimulator(emulate=False, ssl_context=server_ctx).run() as server:
        assert server.url("/").startswith("wss://")
        async with open_client(
            flavour, DashboardClient, AsyncDashboardClient, server.url("/"), client_id="tls",
            ssl_context=client_ctx, **FAST,
        ) as dash:
            await dashboards_connected(server, 1)
            await asyncio.wrap_future(server.soon(server.publish(SensorDisconnected(time=1, sensor="rain"))))
            assert await take_events(dash, 1, of_type=FarmEvent, timeout=5) == [SensorDisconnected(1, "rain")]


# -- issue 11 ------------------------------------------------------------------------


async def test_async_def_handlers_are_awaited(flavour: str, sim: FarmSimulator) -> None:
    """Item 14: the body runs and its result is the reply (it was "error: cannot encode <coroutine ...>")."""
    sim.min_sends = 3  # re-sends arrive while the handler awaits: it still runs once
    calls: list[str] = []
    release = asyncio.Event()

    async def irrigation(command: DeviceCommand) -> Any:
        calls.append(command.cmd)
        await release.wait()
        return True

    async def drainage(command: DeviceCommand) -> Any:
        await asyncio.sleep(0)
        raise RuntimeError("relay stuck")

    if flavour == "sync":  # the sync client cannot await: it says so instead of answering nonsense
        with pytest.raises(UsageError, match="async def"):
            DeviceClient(sim.url("/"), name="Esp8266", handlers={"irrigation": irrigation})
        client = DeviceClient(sim.url("/"), name="Esp8266")
        with pytest.raises(UsageError, match="async def"):
            client.handle("irrigation", irrigation)
        with pytest.raises(UsageError, match="async def"):
            client.command("drainage")(drainage)
        assert client.core.handlers == {}
        return
    async with device(flavour, sim, handlers={"irrigation": irrigation}) as dev:
        dev.command("drainage")(drainage)
        await take_events(dev, 1, of_type=DeviceCommand, timeout=5)  # the config command
        pending = sim.soon(sim.send_command("irrigation start", time_out=40))
        await wait_until(lambda: dev.core.resends >= 2)  # re-sent while the handler is still waiting
        assert calls == ["irrigation start"]
        release.set()
        assert await asyncio.wrap_future(pending) is True
        [rid] = list(sim.sends)
        assert sim.replies[rid] == [True]
        assert calls == ["irrigation start"]
        failed = await asyncio.wrap_future(sim.soon(sim.send_command("drainage stop")))
        assert failed == "error: relay stuck"


async def test_live_client_keeps_a_snapshot_with_a_malformed_entry(flavour: str, sim: FarmSimulator) -> None:
    """Item 15: after a device registers {"Flow": 5} every snapshot holds it; the good entries stay visible."""
    async with device(flavour, sim, name="Esp8266", sensors={}) as dev:
        await resolve(dev.send("register_sensors", {"Temperature": {}, "Flow": 5}))
        await take_events(dev, 1, of_type=ServerError, timeout=5)  # the server complains, and keeps it
        await resolve(dev.sensor_update({"Temperature": 24.5}))
        await wait_until(lambda: sim.devices["Esp8266"].values.get("Temperature") == 24.5)
        async with open_client(flavour, LiveClient, AsyncLiveClient, sim.url("/"), **FAST) as live:
            snapshots: list[Snapshot] = []
            violations: list[ProtocolViolation] = []
            while len(snapshots) < 3:
                [item] = await take_events(live, 1, of_type=(Snapshot, ProtocolViolation), timeout=5)
                (snapshots if isinstance(item, Snapshot) else violations).append(item)
            assert len(violations) == 1
            assert "Esp8266/Flow" in str(violations[0].error)
            for snapshot in snapshots:
                assert snapshot.value("Esp8266", "Temperature") == 24.5
                flow = snapshot.devices["Esp8266"].sensors["Flow"]
                assert (flow.malformed, flow.raw, flow.last_value) == (True, 5, None)
                assert snapshot.problems == [("Esp8266", "Flow", "sensor state: expected a JSON object, got int")]
            assert live.state == snapshots[-1]
            assert live.state.to_wire()["Esp8266"]["sensors"]["Flow"] == 5


@pytest.mark.parametrize("bug", [True, False])
async def test_snapshot_bug_keeps_commands_from_a_device(flavour: str, sim: FarmSimulator, bug: bool) -> None:
    """Item 16, server bug: a dashboard snapshot deletes the device's socket until it reconnects."""
    sim.snapshot_drops_sockets = bug
    sim.grace = 1000.0
    fast = ReconnectPolicy(initial_delay=0.05, max_delay=0.2)
    async with device(flavour, sim, handlers={"irrigation": lambda command: True}, reconnect=fast) as dev:
        await take_events(dev, 1, of_type=DeviceCommand, timeout=5)
        async with open_client(flavour, LiveClient, AsyncLiveClient, sim.url("/"), **FAST) as live:
            await take_events(live, 1, of_type=Snapshot, timeout=5)
        command = sim.soon(sim.send_command("irrigation start"))
        if bug:
            with pytest.raises(RemoteError, match="KeyError: 'ws'"):
                await asyncio.wrap_future(command)
            assert dev.core.resends == 0 and sim.replies == {}
            await asyncio.wrap_future(sim.soon(sim.drop_connections()))
            await take_events(dev, 1, of_type=Reconnected, timeout=5)
            await wait_until(lambda: sim.devices["Esp8266"].connects == 2)
            command = sim.soon(sim.send_command("irrigation start"))
        assert await asyncio.wrap_future(command) is True


def test_command_decorator_and_urls() -> None:
    client = DeviceClient("ws://127.0.0.1:9", name="Esp 1")
    assert client.options.url == "ws://127.0.0.1:9/controller/Esp%201"

    @client.command("irrigation start")
    def start(command: DeviceCommand) -> bool:
        return True

    assert client.core.handler_for(DeviceCommand("irrigation start now")) is start
    assert client.core.handler_for(DeviceCommand("drainage start")) is None
    assert LiveClient("ws://127.0.0.1:9/custom").options.url == "ws://127.0.0.1:9/custom"


# -- issue items R1, R17, R10 ------------------------------------------------------------


async def test_malformed_command_is_a_violation_and_the_link_stays_up(flavour: str, sim: FarmSimulator) -> None:
    """R1: ``"return": ""`` used to raise CodecError in the reader and drop the link (re-sent every 0.5 s)."""
    async with device(flavour, sim, handlers={"irrigation": lambda command: True}) as dev:
        await take_events(dev, 1, of_type=DeviceCommand, timeout=5)  # the config command
        await wait_until(lambda: "Esp8266" in sim.devices and sim.devices["Esp8266"].conn is not None)
        malformed = [
            '{"event":"command","data":{"cmd":"irrigation start"},"return":""}',
            '{"event":"command","data":{"cmd":"irrigation start"},"return":5}',
            '{"event":"command","data":{"cmd":["irrigation"]},"return":"abcdefghij"}',
            '{"event":"command","data":"irrigation start","return":"abcdefghij"}',
        ]
        for frame in malformed * 2:  # the server re-sends: the second copies change nothing
            await asyncio.wrap_future(sim.soon(sim.broadcast(frame, path="/controller/Esp8266")))
        violations = await take_events(dev, 8, of_type=(ProtocolViolation, Disconnected), timeout=5)
        assert all(isinstance(v, ProtocolViolation) for v in violations), violations
        assert "'return' must be a non-empty string, got ''" in str(violations[0].error)
        assert await asyncio.wrap_future(sim.soon(sim.send_command("irrigation start"))) is True
        assert sim.devices["Esp8266"].connects == 1 and dev.connected


async def test_bad_caller_values_are_refused_before_sending(flavour: str, sim: FarmSimulator) -> None:
    """R17: a string for ``zones`` was split per character; ``record=None`` and an empty name went out."""
    async with controller(flavour, sim) as ctl:
        await resolve(ctl.irrigation_started("zone1", time=1))  # one zone, documented
        await resolve(ctl.irrigation_stopped("zone1", time=2))
        refused = [
            lambda: ctl.temperature(None, time=3),
            lambda: ctl.humidity(None),
            lambda: ctl.soil_moisture(None),
            lambda: ctl.send("", {"record": 1}),
            lambda: ctl.send(None, {"record": 1}),
            lambda: ctl.emit(GenericEvent("", 1)),
            lambda: ctl.emit({"event": "temperature", "data": {}}),
            lambda: ctl.irrigation_started(["zone1", ""]),
            lambda: ctl.irrigation_started(["zone1", 2]),
            lambda: ctl.irrigation_started(7),
            lambda: ctl.sensor_disconnected(None),
            lambda: ctl.sensor_disconnected(""),
        ]
        for call in refused:
            with pytest.raises(UsageError):
                await resolve(call())
        await resolve(ctl.temperature(223, time=4))
        await wait_until(lambda: len(sim.received) == 3)
        assert sim.received == [
            IrrigationStarted(time=1, zones=("zone1",)),
            IrrigationStopped(time=2, zones=("zone1",)),
            Temperature(time=4, record=223),
        ]
    async with device(flavour, sim, name="Pump") as dev:
        sensors = dict(dev.core.sensors)
        for call in [
            lambda: dev.send("", 1),
            lambda: dev.sensor_update({"": 1}),
            lambda: dev.sensor_update({1: 1}),
            lambda: dev.sensor_update([("Temperature", 1)]),
            lambda: dev.sensor_status({None: True}),
            lambda: dev.register_sensors({"Flow": {"name": "Flow"}}),
            lambda: dev.register_sensors({"": SensorInfo()}),
        ]:
            with pytest.raises(UsageError):
                await resolve(call())
        assert dev.core.sensors == sensors  # a refused registration replaced nothing
        await resolve(dev.sensor_update({"Temperature": 20}))
        await wait_until(lambda: "Pump" in sim.devices and sim.devices["Pump"].values.get("Temperature") == 20)
        assert sim.errors_sent == 0


async def test_deeply_nested_frames_are_violations_not_core_failures(
    flavour: str, sim: FarmSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """R10: JSON nested ~990 deep raised RecursionError while building the error's excerpt."""
    # the depth json.loads takes but repr cannot depends on the reader's stack: try each one near the limit
    frames = ['{"event":"temperature","data":' + "[" * depth + "]" * depth + "}" for depth in range(850, 1000)]
    frames.append("[" * 100_000 + "]" * 100_000)
    caplog.set_level(logging.WARNING, logger="iotws.farmws")
    async with dashboard(flavour, sim, "deep") as dash, controller(flavour, sim) as ctl:
        await dashboards_connected(sim, 1)
        for frame in frames:
            await asyncio.wrap_future(sim.soon(sim.broadcast(frame, path="/clients/deep")))
        violations = await take_events(dash, len(frames), of_type=ProtocolViolation, timeout=10)
        for violation in violations:
            assert "cannot process frame" not in str(violation.error)
            assert violation.error.frame is not None and len(violation.error.frame) < 300
            assert len(str(violation.error)) < 1000
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "a core failed on a frame"
        await resolve(ctl.humidity(61, time=1))
        assert await take_events(dash, 1, of_type=FarmEvent, timeout=5) == [Humidity(time=1, record=61)]
