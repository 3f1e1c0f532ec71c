"""The simulator behaves as the EVOK reference describes, seen through a raw WebSocket."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from typing import Any

import pytest
import websocket

from iotws.evok import BoardConfig, EvokSimulator


@pytest.fixture
def sim() -> Iterator[EvokSimulator]:
    board = BoardConfig(temp_sensors=())
    with EvokSimulator(board, scan_rate=100, di_toggle_period=None, ai_noise=0).run() as s:
        yield s


class Raw:
    """A raw EVOK connection speaking JSON."""

    def __init__(self, url: str) -> None:
        self.ws = websocket.create_connection(url, timeout=5)

    def send(self, message: dict[str, Any]) -> None:
        self.ws.send(json.dumps(message))

    def recv(self) -> Any:
        return json.loads(self.ws.recv())

    def all(self) -> list[dict[str, Any]]:
        """Send ``all`` and return the reply, failing if any other frame came first."""
        self.send({"cmd": "all"})
        reply = self.recv()
        assert isinstance(reply, list) and any(o["dev"] == "run" for o in reply), f"not the all reply: {reply}"
        return reply


def poke_together(sim: EvokSimulator, *pokes: tuple[str, str, dict[str, Any]]) -> None:
    """Poke several devices within one turn of the simulator's loop (so one scan sees them all)."""

    async def run() -> None:
        for dev, circuit, fields in pokes:
            sim.poke(dev, circuit, **fields)

    sim.call(run())


@pytest.fixture
def raw(sim: EvokSimulator) -> Iterator[Raw]:
    conn = Raw(sim.url())
    yield conn
    conn.ws.close()


def test_nothing_is_sent_on_connect_and_commands_get_no_reply(sim: EvokSimulator, raw: Raw) -> None:
    raw.send({"cmd": "filter", "devices": ["ro"]})
    raw.send({"cmd": "set", "dev": "ro", "circuit": "2_01", "value": {"value": 0}})  # the current value
    raw.send({"cmd": "set", "dev": "ro", "circuit": "9_99", "value": 1})  # unknown circuit
    raw.send({"cmd": "nonsense"})
    raw.send({"no": "cmd"})
    raw.ws.send("not json")
    devices = raw.all()
    assert {(o["dev"], o["circuit"]) for o in devices} == set(sim.devices)
    assert {"run", "device_info", "register", "modbus_slave", "owbus", "owpower", "nv_save"} <= {
        o["dev"] for o in devices
    }


def test_changes_of_one_scan_arrive_as_one_array(sim: EvokSimulator, raw: Raw) -> None:
    raw.all()
    poke_together(sim, *[("ro", circuit, {"value": 1}) for circuit in ("2_01", "2_02", "2_03", "2_04")])
    frame = raw.recv()
    assert [(o["dev"], o["circuit"], o["value"]) for o in frame] == [("ro", f"2_0{i}", 1) for i in range(1, 5)]


def test_filter_matches_emitted_names_only(sim: EvokSimulator, raw: Raw) -> None:
    raw.send({"cmd": "filter", "devices": ["relay", "led", "bogus"]})  # relay is accepted but matches nothing
    raw.all()
    sim.poke("ro", "2_01", value=1)
    sim.poke("led", "1_01", value=1)
    assert [o["dev"] for o in raw.recv()] == ["led"]


def test_default_alone_is_rejected_and_invalid_filters_keep_the_old_one(sim: EvokSimulator, raw: Raw) -> None:
    raw.send({"cmd": "filter", "devices": ["led"]})
    raw.send({"cmd": "filter", "devices": ["default"]})
    raw.send({"cmd": "filter", "devices": ["bogus"]})
    raw.send({"cmd": "filter", "devices": "led"})
    raw.all()
    sim.poke("ro", "2_01", value=1)
    sim.poke("led", "1_01", value=1)
    assert [o["dev"] for o in raw.recv()] == ["led"]
    raw.send({"cmd": "filter", "devices": ["default", "led"]})  # restores everything
    raw.all()
    poke_together(sim, ("ro", "2_01", {"value": 0}), ("led", "1_01", {"value": 0}))
    assert sorted(o["dev"] for o in raw.recv()) == ["led", "ro"]


def scanned(sim: EvokSimulator) -> None:
    """Wait until the simulator ran two more scans (a poke before this call was reported)."""
    target = sim.scans + 2
    deadline = time.monotonic() + 5
    while sim.scans < target and time.monotonic() < deadline:
        time.sleep(0.005)


def test_empty_filter_mutes(sim: EvokSimulator, raw: Raw) -> None:
    raw.send({"cmd": "filter", "devices": []})
    raw.all()
    sim.poke("ro", "2_01", value=1)
    sim.poke("led", "1_01", value=1)
    scanned(sim)
    raw.all()  # would fail if an event had come first


def test_set_argument_mapping_and_the_positional_trap(sim: EvokSimulator, raw: Raw) -> None:
    raw.send({"cmd": "set", "dev": "di", "circuit": "1_01", "value": 5})  # positional -> debounce
    raw.send({"cmd": "set", "dev": "analoginput", "circuit": "1_01", "value": "Current"})  # -> mode
    raw.send({"cmd": "set", "dev": "do", "circuit": "1_01", "value": 1, "timeout": 2})  # timeout ignored
    raw.send({"cmd": "set", "dev": "wd", "circuit": "1_01", "timeout": 3000})  # keywords at top level
    raw.send({"cmd": "set", "dev": "relay", "circuit": "2_01", "alias": "lamp"})
    raw.send({"cmd": "set", "dev": "ro", "circuit": "lamp", "value": {"value": "1"}})  # by alias, coerced
    raw.send({"cmd": "set", "dev": "do", "circuit": "1_02", "value": {"value": 1, "pwm_duty": 50}})  # conflict
    raw.send({"cmd": "set", "dev": "data_point", "circuit": "IAQ_0", "value": 3})  # read-only
    raw.send({"cmd": "set", "dev": "ro", "circuit": "2_02", "value": {"bogus": 1}})  # unknown keyword
    raw.all()
    assert sim.device("di", "1_01")["debounce"] == 5
    assert sim.device("ai", "1_01")["mode"] == "Current"
    assert sim.device("do", "1_01")["pending"] is False and sim.device("do", "1_01")["value"] == 1
    assert sim.device("wd", "1_01")["timeout"] == 3000
    assert sim.device("ro", "2_01")["value"] == 1 and sim.device("ro", "2_01")["alias"] == "lamp"
    assert sim.device("run", "alias")["aliases"]["lamp"] == {"circuit": "ro_2_01", "devtype": "ro"}
    assert sim.device("do", "1_02")["value"] == 0
    assert sim.device("data_point", "IAQ_0")["value"] == 21.3


def test_a_set_that_changes_nothing_sends_nothing(sim: EvokSimulator, raw: Raw) -> None:
    # EVOK's scan (check_new_data) compares with the last scan: writing the current value is no change
    for dev, circuit, value in [
        ("ro", "2_01", {"value": 0}),
        ("led", "1_01", {"value": 0}),
        ("ao", "1_01", {"value": 0}),
    ]:
        raw.send({"cmd": "set", "dev": dev, "circuit": circuit, "value": value})
    raw.all()  # the writes ran
    scanned(sim)
    raw.all()  # would fail if an event had come first
    raw.send({"cmd": "set", "dev": "ro", "circuit": "2_01", "value": {"value": 1}})
    (relay,) = raw.recv()  # a change is pushed
    assert (relay["dev"], relay["circuit"], relay["value"]) == ("ro", "2_01", 1)


def test_watchdog_timeout_changes_are_not_pushed_but_value_changes_are(sim: EvokSimulator, raw: Raw) -> None:
    raw.send({"cmd": "set", "dev": "wd", "circuit": "1_01", "value": {"timeout": 100}})
    raw.send({"cmd": "set", "dev": "wd", "circuit": "1_01", "value": {"value": 1}})
    (wd,) = raw.recv()
    assert (wd["dev"], wd["value"], wd["timeout"]) == ("wd", 1, 100)


def test_temp_is_a_bare_object_under_the_default_filter() -> None:
    with EvokSimulator(temp_interval=0.05, di_toggle_period=None, ai_noise=0).run() as s:
        conn = Raw(s.url())
        first = conn.recv()
        assert isinstance(first, dict) and first["dev"] == "temp" and first["type"] == "DS18B20"
        conn.send({"cmd": "filter", "devices": ["temp"]})
        conn.all()
        assert isinstance(conn.recv(), list)
        conn.ws.close()


def test_v2_names_and_full() -> None:
    with EvokSimulator(v2=True, di_toggle_period=None, ai_noise=0).run() as s:
        conn = Raw(s.url())
        conn.send({"cmd": "full", "dev": "relay", "circuit": "2_01"})
        relay = conn.recv()
        assert (relay["dev"], relay["relay_type"], relay["glob_dev_id"]) == ("relay", "physical", 1)
        conn.send({"cmd": "all"})
        devs = {o["dev"] for o in conn.recv()}
        assert {"relay", "input", "unit_register", "neuron"} <= devs and not devs & {"ro", "di", "run"}
        conn.ws.close()


def test_all_filtered_quirk() -> None:
    with EvokSimulator(all_filtered=True, di_toggle_period=None, ai_noise=0, temp_interval=60).run() as s:
        conn = Raw(s.url())
        conn.send({"cmd": "all"})
        devs = [o["dev"] for o in conn.recv()]
        assert devs == sorted(devs, key=["di", "ro", "ai", "ao", "temp"].index)  # grouped in EVOK's order
        assert set(devs) == {"di", "ro", "ai", "ao", "temp"}
        conn.send({"cmd": "filter", "devices": ["ro"]})
        conn.send({"cmd": "all"})
        assert conn.recv() == []
        conn.send({"cmd": "filter", "devices": ["default", "ro"]})  # EVOK: back to ["default"]
        conn.send({"cmd": "all"})
        assert {o["dev"] for o in conn.recv()} == {"di", "ro", "ai", "ao", "temp"}
        conn.ws.close()


def test_analog_output_setpoints_are_truncated_and_clamped_like_evok(sim: EvokSimulator, raw: Raw) -> None:
    raw.all()
    for setpoint, reported in [(1.15, 1.147), (2.3, 2.297), (5.0, 5.0), (12.0, 10.238), (-1.0, 0.0)]:
        raw.send({"cmd": "set", "dev": "ao", "circuit": "1_01", "value": {"value": setpoint}})
        (ao,) = raw.recv()
        assert (ao["dev"], ao["value"]) == ("ao", reported)


def test_a_nan_goes_out_as_a_bare_token_on_every_scan(sim: EvokSimulator, raw: Raw) -> None:
    raw.all()
    sim.poke("data_point", "IAQ_0", value=math.nan)
    for _ in range(3):  # re-sent every scan, as nan != nan to EVOK
        text = raw.ws.recv()
        assert '"value": NaN' in text
        (point,) = json.loads(text)
        assert point["circuit"] == "IAQ_0" and math.isnan(point["value"])


def test_a_removed_device_is_gone_after_a_restart(sim: EvokSimulator) -> None:
    sim.call(sim.stop())
    sim.remove_device("led", "1_04")
    sim.call(sim.start())
    conn = Raw(sim.url())
    assert ("led", "1_04") not in {(o["dev"], o["circuit"]) for o in conn.all()}
    conn.ws.close()


def test_held_commands_run_in_a_burst_after_release(sim: EvokSimulator, raw: Raw) -> None:
    sim.call(sim.hold_commands())
    raw.send({"cmd": "set", "dev": "led", "circuit": "1_01", "value": {"value": 1}})
    raw.send({"cmd": "set", "dev": "led", "circuit": "1_02", "value": {"value": 1}})
    assert sim.device("led", "1_01")["value"] == 0
    sim.call(sim.release_commands())
    raw.all()
    assert sim.device("led", "1_01")["value"] == 1 and sim.device("led", "1_02")["value"] == 1


def test_fixture_gives_a_running_simulator(evok_simulator: EvokSimulator) -> None:
    assert evok_simulator.url().startswith("ws://127.0.0.1:")
