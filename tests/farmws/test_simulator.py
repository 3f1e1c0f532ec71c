"""The reference server itself, driven by raw aiohttp WebSockets (no farmws client)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from iotws.errors import RemoteError, RequestTimeout
from iotws.farmws.simulator import CONFIG_COMMAND, LIVE_PATH, FarmSimulator
from iotws.testing import wait_until


@pytest.fixture
async def sim() -> AsyncIterator[FarmSimulator]:
    async with FarmSimulator(emulate=False, time_scale=0.1) as server:
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


async def recv(ws: aiohttp.ClientWebSocketResponse) -> Any:
    return json.loads(await asyncio.wait_for(ws.receive_str(), 5))


async def test_device_first_connect_gets_config_and_errors_for_bad_frames(
    sim: FarmSimulator, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(sim.url("/controller/Esp8266")) as ws:
        assert await recv(ws) == {"event": "command", "data": {"cmd": CONFIG_COMMAND}}
        bad_frames = (
            "nope",
            "[1]",
            '"text"',
            '{"data": 1}',
            '{"event": "sensor_update"}',
            '{"event": "register_sensors", "data": 3}',
            '{"event": "register_sensors", "data": ["Temperature"]}',
            '{"event": "register_sensors", "data": {"Flow": 5}}',
            '{"event": ["a", "list"], "data": 1}',  # unhashable: the server's `event in events` raises
        )
        for bad in bad_frames:
            await ws.send_str(bad)
            assert await recv(ws) == {"event": "error", "data": "Error in the data sent"}
        await ws.send_bytes(b'{"event": "sensor_update", "data": {}}')
        assert await recv(ws) == {"event": "error", "data": "Error in the data sent"}
        await ws.send_str('{"event": "no_such_event"}')  # ignored silently
        await ws.send_str('{"event": "register_sensors", "data": {"Temperature": {}}}')
        await ws.send_str('{"event": "sensor_update", "data": {"Temperature": 24.5}}')
        await wait_until(lambda: sim.devices["Esp8266"].values == {"Temperature": 24.5})
        assert sim.errors_sent == len(bad_frames) + 1


async def test_commands_are_resent_to_every_device_until_answered(
    sim: FarmSimulator, session: aiohttp.ClientSession
) -> None:
    async with session.ws_connect(sim.url("/controller/a")) as a, session.ws_connect(sim.url("/controller/b")) as b:
        await recv(a), await recv(b)  # config commands
        task = asyncio.ensure_future(sim.send_command("irrigation start"))
        first_a, first_b, second_a = await recv(a), await recv(b), await recv(a)
        assert first_a == first_b == second_a
        assert first_a["data"] == {"cmd": "irrigation start"}
        rid = first_a["return"]
        assert len(rid) == 10
        await a.send_str(json.dumps({"event": rid, "data": True}))
        assert await task is True
        assert sim.sends[rid] >= 2
        await a.send_str(json.dumps({"event": rid, "data": True}))  # a late reply is only recorded
        await wait_until(lambda: len(sim.replies[rid]) == 2)


async def test_unanswered_command_times_out(sim: FarmSimulator, session: aiohttp.ClientSession) -> None:
    async with session.ws_connect(sim.url("/controller/a")):
        with pytest.raises(RequestTimeout):
            await sim.send_command("drainage status", time_out=3)
        assert list(sim.sends.values()) == [4]  # time_out + 1, as the reference server


async def test_grace_period(sim: FarmSimulator, session: aiohttp.ClientSession) -> None:
    sim.grace = 20.0  # 2 s at time_scale 0.1
    async with session.ws_connect(sim.url("/controller/dev")) as ws:
        await recv(ws)
    await wait_until(lambda: sim.devices["dev"].conn is None)
    async with session.ws_connect(sim.url("/controller/dev")) as ws:
        await ws.send_str('{"event": "register_sensors", "data": {"Temperature": {}}}')
        await ws.send_str('{"event": "sensor_status", "data": {"Temperature": true}}')
        await wait_until(lambda: sim.devices["dev"].status == {"Temperature": True})
        sim.grace = 1.0  # read when the link closes: the device is then removed after 0.1 s
    assert sim.devices["dev"].configured == 1
    assert sim.devices["dev"].connects == 2
    await wait_until(lambda: "dev" not in sim.devices)


async def test_live_snapshots_on_connect_and_periodically(sim: FarmSimulator, session: aiohttp.ClientSession) -> None:
    async with session.ws_connect(sim.url("/controller/Esp8266")) as dev:
        await recv(dev)
        await dev.send_str('{"event": "register_sensors", "data": {"SoilMoisture": {"name": "Soil Moisture"}}}')
        await dev.send_str('{"event": "sensor_update", "data": {"SoilMoisture": 512}}')
        await dev.send_str('{"event": "sensor_status", "data": {"SoilMoisture": true}}')
        await wait_until(lambda: sim.devices["Esp8266"].status.get("SoilMoisture") is True)
        async with session.ws_connect(sim.url("/client/live_hardware_infor")) as live:
            first, second = await recv(live), await recv(live)
            await live.send_str("ignored")
            third = await recv(live)
    expected = {
        "Esp8266": {
            "name": "Esp8266",
            "sensors": {"SoilMoisture": {"name": "Soil Moisture", "status": True, "last_value": 512}},
        }
    }
    assert first == second == third == expected


async def test_relay_only_documented_events_when_asked(sim: FarmSimulator, session: aiohttp.ClientSession) -> None:
    sim.relay_all = False
    async with session.ws_connect(sim.url("/clients/1")) as dash, session.ws_connect(sim.url("/")) as ctl:
        await wait_until(lambda: sum(c.state.get("role") == "dashboard" for c in sim.connections) == 1)
        await ctl.send_str("garbage")  # not relayed, not fatal
        await ctl.send_str('{"event": "irrigation_started", "data": {"zones": ["z"]}}')
        await ctl.send_str('{"event": "humidity", "data": {"time": 1, "record": 50}}')
        assert await recv(dash) == {"event": "humidity", "data": {"time": 1, "record": 50}}
        await wait_until(lambda: len(sim.received) == 2)


async def test_emulated_controller_runs_irrigation_cycles(session: aiohttp.ClientSession) -> None:
    async with FarmSimulator(time_scale=0.01, seed=5) as server, session.ws_connect(server.url("/clients/x")) as dash:
        names: set[str] = set()
        while "irrigation_stopped" not in names:
            names.add((await recv(dash))["event"])
        assert names >= {"temperature", "humidity", "soil_moisture", "irrigation_started"}
        assert server.snapshot().devices["Emulated"].sensors["Temperature"].last_value is not None


def test_pytest_fixture_serves_an_emulated_farm(farmws_simulator: FarmSimulator) -> None:
    from iotws.farmws import Client, Temperature

    with Client(farmws_simulator.url("/"), client_id="fixture") as dash:
        assert dash.next_event(Temperature, timeout=5).record is not None


# -- issue 11, item 16: the same raw frames as sent to the real server -----------------------------

ERROR = {"event": "error", "data": "Error in the data sent"}
REGISTER_TEMPERATURE = '{"event": "register_sensors", "data": {"Temperature": {}}}'


async def device_socket(
    sim: FarmSimulator, session: aiohttp.ClientSession, name: str = "Esp8266"
) -> aiohttp.ClientWebSocketResponse:
    ws = await session.ws_connect(sim.url(f"/controller/{name}"))
    assert (await recv(ws))["data"] == {"cmd": CONFIG_COMMAND}
    return ws


async def assert_silent(ws: aiohttp.ClientWebSocketResponse, sim: FarmSimulator) -> None:
    """Everything sent before is handled once the error for "nope" is back: no other error may have come."""
    await ws.send_str("nope")
    assert await recv(ws) == ERROR
    assert sim.errors_sent == 1


async def live_snapshot(sim: FarmSimulator, session: aiohttp.ClientSession) -> Any:
    async with session.ws_connect(sim.url(LIVE_PATH)) as live:
        return await recv(live)


@pytest.mark.parametrize(
    ("frame", "values", "status"),
    [
        ('{"event": 5, "data": {"Temperature": 1}}', {"Temperature": None}, {"Temperature": False}),
        ('{"event": null, "data": {}}', {"Temperature": None}, {"Temperature": False}),
        ('{"event": "sensor_update", "data": "Temperature"}', {"Temperature": None}, {"Temperature": False}),
        ('{"event": "sensor_update", "data": {"Temperature": "hot"}}', {"Temperature": "hot"}, {"Temperature": False}),
        ('{"event": "sensor_status", "data": "Temperature"}', {"Temperature": None}, {"Temperature": False}),
        ('{"event": "sensor_status", "data": {"Temperature": "yes"}}', {"Temperature": None}, {"Temperature": "yes"}),
        ('{"event": "sensor_status", "data": 3}', {"Temperature": None}, {"Temperature": False}),
    ],
)
async def test_frames_the_real_server_takes_silently(
    sim: FarmSimulator, session: aiohttp.ClientSession, frame: str, values: Any, status: Any
) -> None:
    async with await device_socket(sim, session) as ws:
        await ws.send_str(REGISTER_TEMPERATURE)
        await ws.send_str(frame)
        await assert_silent(ws, sim)
        assert (sim.devices["Esp8266"].values, sim.devices["Esp8266"].status) == (values, status)


async def test_non_string_sensor_name_is_kept_silently(sim: FarmSimulator, session: aiohttp.ClientSession) -> None:
    async with await device_socket(sim, session) as ws:
        await ws.send_str('{"event": "register_sensors", "data": {"RainDrop": {"name": 7}}}')
        await assert_silent(ws, sim)
        snapshot = await live_snapshot(sim, session)
    assert snapshot["Esp8266"]["sensors"] == {"RainDrop": {"name": 7, "status": False, "last_value": None}}


async def test_unanswered_command_is_sent_time_out_plus_one_times(
    sim: FarmSimulator, session: aiohttp.ClientSession
) -> None:
    async with await device_socket(sim, session) as ws:
        with pytest.raises(RequestTimeout, match="after 21 sends"):
            await sim.send_command("irrigation start", time_out=20)
        [rid] = sim.sends
        assert sim.sends[rid] == 21
        copies = [await recv(ws) for _ in range(21)]
        assert {c["return"] for c in copies} == {rid}
        await assert_silent(ws, sim)  # and no 22nd copy came before the error


async def test_snapshot_keeps_extra_registration_keys(sim: FarmSimulator, session: aiohttp.ClientSession) -> None:
    async with await device_socket(sim, session) as ws:
        await ws.send_str('{"event": "register_sensors", "data": {"RainDrop": {"name": "Rainfall", "unit": "mm"}}}')
        await ws.send_str('{"event": "sensor_update", "data": {"RainDrop": 3}}')
        await wait_until(lambda: sim.devices["Esp8266"].values == {"RainDrop": 3})
        snapshot = await live_snapshot(sim, session)
    assert snapshot["Esp8266"]["sensors"] == {
        "RainDrop": {"name": "Rainfall", "unit": "mm", "status": False, "last_value": 3}
    }


async def test_snapshot_keeps_malformed_entries(sim: FarmSimulator, session: aiohttp.ClientSession) -> None:
    async with await device_socket(sim, session) as ws:
        await ws.send_str('{"event": "register_sensors", "data": {"Temperature": {}, "Flow": 5, "Humidity": {}}}')
        assert await recv(ws) == ERROR  # the server fails on "Flow" after storing it; "Humidity" is never reached
        snapshot = await live_snapshot(sim, session)
    assert snapshot["Esp8266"]["sensors"] == {"Temperature": {"status": False, "last_value": None}, "Flow": 5}


async def test_snapshot_shows_no_updates_for_unregistered_sensors(
    sim: FarmSimulator, session: aiohttp.ClientSession
) -> None:
    async with await device_socket(sim, session) as ws:
        await ws.send_str(REGISTER_TEMPERATURE)
        await ws.send_str('{"event": "sensor_update", "data": {"Temperature": 20, "Humidity": 61}}')
        # the server stops at the first unregistered sensor of an update, and skips it in a status
        await ws.send_str('{"event": "sensor_update", "data": {"Humidity": 62, "Temperature": 30}}')
        await ws.send_str('{"event": "sensor_status", "data": {"Humidity": true, "Temperature": true}}')
        await assert_silent(ws, sim)
        snapshot = await live_snapshot(sim, session)
    assert snapshot["Esp8266"]["sensors"] == {"Temperature": {"status": True, "last_value": 20}}


async def test_re_registration_resets_status_and_value(sim: FarmSimulator, session: aiohttp.ClientSession) -> None:
    async with await device_socket(sim, session) as ws:
        await ws.send_str(REGISTER_TEMPERATURE)
        await ws.send_str('{"event": "sensor_update", "data": {"Temperature": 20}}')
        await ws.send_str('{"event": "sensor_status", "data": {"Temperature": true}}')
        await wait_until(lambda: sim.devices["Esp8266"].status == {"Temperature": True})
        await ws.send_str('{"event": "register_sensors", "data": {"Temperature": {"name": "Air"}}}')
        await assert_silent(ws, sim)
        snapshot = await live_snapshot(sim, session)
    assert snapshot["Esp8266"]["sensors"] == {"Temperature": {"name": "Air", "status": False, "last_value": None}}


async def test_grace_ends_at_a_scheduler_tick_not_at_the_grace(
    sim: FarmSimulator, session: aiohttp.ClientSession
) -> None:
    sim.grace = 0.0  # a device is due for removal as soon as its socket closes...
    sim.scheduler_tick = 1000.0  # ...but only the scheduler removes it, at its next tick
    async with await device_socket(sim, session):
        pass
    await wait_until(lambda: sim.devices["Esp8266"].conn is None)
    async with session.ws_connect(sim.url("/controller/Esp8266")) as ws:
        await ws.send_str(REGISTER_TEMPERATURE)
        await wait_until(lambda: "Temperature" in sim.devices["Esp8266"].sensors)
        await assert_silent(ws, sim)  # no config command came first: a reconnect
    assert (sim.devices["Esp8266"].connects, sim.devices["Esp8266"].configured) == (2, 1)


async def test_grace_tick_removes_a_dropped_device(session: aiohttp.ClientSession) -> None:
    async with FarmSimulator(emulate=False, time_scale=0.01) as fast:
        async with await device_socket(fast, session):
            pass
        await wait_until(lambda: "Esp8266" not in fast.devices)  # 5-6 s at time_scale 0.01
        async with await device_socket(fast, session):  # a new connect: the config command again
            pass
        assert fast.devices["Esp8266"].configured == 1


@pytest.mark.parametrize("bug", [True, False])
async def test_switch_snapshot_drops_sockets(sim: FarmSimulator, session: aiohttp.ClientSession, bug: bool) -> None:
    sim.snapshot_drops_sockets = bug
    sim.grace = 1000.0  # the second socket below is a reconnect
    async with await device_socket(sim, session, "a") as a:
        await live_snapshot(sim, session)
        command = asyncio.ensure_future(sim.send_command("irrigation status"))
        if bug:
            with pytest.raises(RemoteError, match="KeyError: 'ws'"):
                await command
            await assert_silent(a, sim)  # the device got no command
        else:
            sent = await recv(a)
            await a.send_str(json.dumps({"event": sent["return"], "data": 1}))
            assert await command == 1
    await wait_until(lambda: sim.devices["a"].conn is None)
    async with session.ws_connect(sim.url("/controller/a")) as a:  # a reconnect: commands reach it again
        await wait_until(lambda: sim.devices["a"].conn is not None)
        command = asyncio.ensure_future(sim.send_command("irrigation status"))
        sent = await recv(a)
        await a.send_str(json.dumps({"event": sent["return"], "data": 0}))
        assert await command == 0


async def http_status(sim: FarmSimulator, method: str, path: str) -> tuple[int, str]:
    reader, writer = await asyncio.open_connection(sim.host, sim.port)
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
    response = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    head, _, body = response.decode().partition("\r\n\r\n")
    return int(head.split()[1]), body


@pytest.mark.parametrize(("bug", "status"), [(True, 5000), (False, 504)])
async def test_switch_failed_status_5000(
    sim: FarmSimulator, session: aiohttp.ClientSession, bug: bool, status: int
) -> None:
    sim.failed_status_5000 = bug
    assert await http_status(sim, "POST", "/api/start_irrigation") == (
        500, "No Controlller is connected, check your components!!"
    )
    async with await device_socket(sim, session):
        assert await http_status(sim, "POST", "/api/start_irrigation") == (status, "Failed")
        assert list(sim.sends.values()) == [21]


async def test_http_command_done_and_key_error(sim: FarmSimulator, session: aiohttp.ClientSession) -> None:
    async with await device_socket(sim, session) as ws:
        post = asyncio.ensure_future(http_status(sim, "POST", "/api/stop_drainage"))
        sent = await recv(ws)
        assert sent["data"] == {"cmd": "drainage stop"}
        await ws.send_str(json.dumps({"event": sent["return"], "data": True}))
        assert await post == (200, "Done")
        async with session.get(sim.url("/api/refresh_hardware_infor").replace("ws", "http", 1)) as response:
            assert await response.json() == {"Esp8266": {"name": "Esp8266", "sensors": {}}}
        status, body = await http_status(sim, "POST", "/api/start_irrigation")
        assert (status, "KeyError: 'ws'" in body) == (500, True)


@pytest.mark.parametrize("bug", [True, False])
async def test_switch_updates_uncommitted(sim: FarmSimulator, session: aiohttp.ClientSession, bug: bool) -> None:
    sim.updates_uncommitted = bug
    async with await device_socket(sim, session) as ws:
        await ws.send_str(REGISTER_TEMPERATURE)
        await ws.send_str('{"event": "sensor_update", "data": {"Temperature": 20}}')
        await assert_silent(ws, sim)
    assert sim.devices["Esp8266"].values == {"Temperature": 20}
    assert sim.history == ([] if bug else [("Esp8266", "Temperature", 20)])
