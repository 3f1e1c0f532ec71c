"""The reference server itself, driven by raw aiohttp WebSockets (no farmws client)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from iotws.errors import RequestTimeout
from iotws.farmws.simulator import CONFIG_COMMAND, FarmSimulator
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
            '{"data": 1}',
            '{"event": "sensor_update"}',
            '{"event": "sensor_status", "data": 3}',
        )
        for bad in bad_frames:
            await ws.send_str(bad)
            assert await recv(ws) == {"event": "error", "data": "Error in the data sent"}
        await ws.send_str('{"event": "no_such_event"}')  # ignored silently
        await ws.send_str('{"event": "sensor_update", "data": {"Temperature": 24.5}}')
        await wait_until(lambda: sim.devices["Esp8266"].values == {"Temperature": 24.5})
        assert sim.errors_sent == 5


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
        assert list(sim.sends.values()) == [3]


async def test_grace_period(sim: FarmSimulator, session: aiohttp.ClientSession) -> None:
    sim.grace = 20.0  # 2 s at time_scale 0.1
    async with session.ws_connect(sim.url("/controller/dev")) as ws:
        await recv(ws)
    await wait_until(lambda: sim.devices["dev"].conn is None)
    async with session.ws_connect(sim.url("/controller/dev")) as ws:
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
