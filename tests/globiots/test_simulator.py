"""The simulator's devices, memory map and answers, without a client."""

from __future__ import annotations

import asyncio
import json

import aiohttp

from iotws.globiots import DataType, Device, GlobiotsSimulator, Point, RealtimeRequest, SetRequest
from iotws.globiots.models import PointWrite
from iotws.globiots.simulator import AREAS, SIGNALS


def test_memory_map_areas() -> None:
    writable = {(a.start, a.end) for a in AREAS if a.writable}
    assert writable == {(0x3000, 0x3100), (0x5000, 0x5100)}
    readonly = {(a.start, a.end) for a in AREAS if a.readable and not a.writable}
    assert readonly == {(0x2000, 0x2300), (0x2300, 0x2500), (0x6000, 0x7000)}


def test_device_write_codes_and_flash_wear() -> None:
    dev = Device("0.0.0.1")
    assert dev.write(Point("0.0.0.1", "30FE", DataType.UINT16), "65535") == "00"
    assert dev.write(Point("0.0.0.1", "30FF", DataType.UINT16), "1") == "08"  # crosses the area end
    assert dev.write(Point("0.0.0.1", "0100", DataType.BYTE), "1") == "08"  # flash configuration
    assert dev.write(Point("0.0.0.1", "6000", DataType.BYTE), "1") == "08"
    assert dev.write(Point("0.0.0.1", "3000", DataType.BYTE), "x") == "06"
    assert dev.write(Point("0.0.0.1", "5000", DataType.FLOAT), "1.5") == "00"
    assert dev.flash_writes == 1
    assert dev.read(Point("0.0.0.1", "5000", DataType.FLOAT)) == "1.5"


def test_signals_move_with_simulated_time() -> None:
    dev = Device("0.0.0.1")
    dev.tick(0.0)
    before = {s.name: dev.value(s.point("0.0.0.1")) for s in SIGNALS}
    dev.tick(13.5)
    after = {s.name: dev.value(s.point("0.0.0.1")) for s in SIGNALS}
    assert after["counter"] == 135 and after["uptime"] == 13
    assert {k for k in before if before[k] != after[k]} >= {"sine", "ramp", "counter", "status", "toggle"}


def test_snapshot_change_of_value_and_quirk_switches() -> None:
    sim = GlobiotsSimulator(["0.0.0.7"])
    request = RealtimeRequest([Point("0.0.0.7", "3000", DataType.BYTE), Point("0.0.0.7", "0000", DataType.BYTE)])
    previous: dict[tuple[str, str], object] = {}
    first = sim.snapshot(request, previous)  # type: ignore[arg-type]
    ok, unreadable = first["objects"][0]["addresses"]
    assert ok["changeOfValue"] == "UNCHNAGED" and ok["length"] == 1 and ok["value"] == "0"
    assert unreadable["status"] == "message-request-fail" and unreadable["responseCode"] == "09"
    sim.devices["0.0.0.7"].write(Point("0.0.0.7", "3000", DataType.BYTE), "9")
    sim.length_as_text = True
    second = sim.snapshot(request, previous)  # type: ignore[arg-type]
    entry = second["objects"][0]["addresses"][0]
    assert entry["changeOfValue"] == "INCREASE" and entry["length"] == "1"


def test_set_fault_and_unknown_host_codes() -> None:
    sim = GlobiotsSimulator()
    req = SetRequest([PointWrite.of(Point("0.0.0.1", "3000", DataType.BYTE), 1),
                      PointWrite.of(Point("1.2.3.4", "3000", DataType.BYTE), 1)])
    codes = [a["responseCode"] for o in sim.apply(req)["services"]["objects"] for a in o["addresses"]]
    assert codes == ["00", "04"]
    sim.set_fault, sim.unknown_host_code = "10", "01"
    answer = sim.apply(req)["services"]["objects"]
    assert answer[0]["addresses"][0]["responseMessage"] == "Sets value to the device[0A000001] is timeout."
    assert answer[1]["addresses"][0]["responseCode"] == "01"


async def test_malformed_requests_get_no_crash() -> None:
    async with GlobiotsSimulator(time_scale=50) as sim, aiohttp.ClientSession() as session:
        for path in sim.paths:
            async with session.ws_connect(sim.url(path)) as ws:
                for junk in ["not json", "[]", '{"objects": 1}', '{"services": {"objects": [{"hostname": 5}]}}']:
                    await ws.send_str(junk)
                if path.endswith("set-data"):
                    req = SetRequest([PointWrite.of(Point("0.0.0.1", "3000", DataType.BYTE), 5)])
                    await ws.send_str(json.dumps(req.to_wire()))
                else:
                    await ws.send_str(json.dumps(RealtimeRequest([Point("0.0.0.1", "2000", DataType.FLOAT)]).to_wire()))
                msg = await asyncio.wait_for(ws.receive(), timeout=5)
                assert msg.type is aiohttp.WSMsgType.TEXT and json.loads(msg.data)
