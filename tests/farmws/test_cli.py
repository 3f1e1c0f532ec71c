"""The ``iotws farmws`` command line, in-process against the reference server and as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from iotws.cli import main
from iotws.farmws import Temperature
from iotws.farmws.simulator import FarmSimulator
from iotws.testing import wait_until


@pytest.fixture
def sim() -> Iterator[FarmSimulator]:
    with FarmSimulator(time_scale=0.05, seed=11).run() as server:
        yield server


def test_watch_json_count_prints_typed_events(sim: FarmSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["farmws", "watch", sim.url("/"), "--client-id", "42", "--json", "--count", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    events = [json.loads(line) for line in lines]
    assert {(e["protocol"], e["type"]) for e in events} <= {("farmws", "value"), ("farmws", "event")}
    readings = [e for e in events if e["type"] == "value"]
    assert {e["point"] for e in readings} <= {"temperature", "humidity", "soil_moisture"}
    assert {e["name"] for e in events if e["type"] == "event"} <= {"irrigation_started", "irrigation_stopped"}
    assert all(isinstance(e["detail"]["device_time"], int) for e in events)  # device time: not a Unix time
    assert all(e["time"].endswith("Z") for e in events)  # when it arrived


def test_watch_human_lines(sim: FarmSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["farmws", "watch", sim.url("/"), "--client-id", "42", "--count", "3"]) == 0
    captured = capsys.readouterr()
    for line in captured.out.splitlines():  # "12:00:01.234  temperature    223  (device time 8273663)"
        clock, name, *_ = line.split()
        assert clock.count(":") == 2 and name in {"temperature", "humidity", "soil_moisture", "irrigation_started",
                                                  "irrigation_stopped"}
    assert "farmws: waiting for events (Ctrl-C to stop)" in captured.err


def test_watch_live_snapshots(sim: FarmSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["farmws", "watch", sim.url("/client/live_hardware_infor"), "--json", "--count", "1"]) == 0
    [line] = capsys.readouterr().out.splitlines()
    sensor = json.loads(line)  # one value record per sensor of each snapshot
    assert sensor["type"] == "value" and sensor["point"].startswith("Emulated/")
    assert sensor["detail"]["device"] == "Emulated" and sensor["detail"]["connected"] in (True, False)


async def test_emit_sends_one_event(capsys: pytest.CaptureFixture[str]) -> None:
    with FarmSimulator(emulate=False).run() as server:
        data = '{"time": 8273663, "record": 223}'
        assert main(["farmws", "emit", server.url("/"), "temperature", "--data", data, "--json"]) == 0
        await wait_until(lambda: server.received == [Temperature(time=8273663, record=223)])
        sent = json.loads(capsys.readouterr().out)
        assert (sent["type"], sent["point"], sent["ok"], sent["value"]) == (
            "result", "temperature", True, {"time": 8273663, "record": 223}
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["temperature", "--data", "{oops"], "--data is not JSON"),
        (["temperature", "--data", '{"record": "hot"}'], "not a valid 'temperature' event"),
    ],
)
def test_emit_rejects_bad_input_with_one_line(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["farmws", "emit", "ws://127.0.0.1:9/", *args]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_watch_refused_connection_is_one_line(free_port: int, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["farmws", "watch", f"ws://127.0.0.1:{free_port}/", "--count", "1", "-q"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot connect")
    assert "Traceback" not in err


async def test_controller_verb_feeds_a_dashboard(capsys: pytest.CaptureFixture[str]) -> None:
    with FarmSimulator(emulate=False).run() as server:
        assert main(["farmws", "controller", server.url("/"), "--steps", "2", "--interval", "0.05", "--json"]) == 0
        out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert [(e["type"], e["point"]) for e in out[:3]] == [
            ("value", "temperature"), ("value", "humidity"), ("value", "soil_moisture")
        ]
        assert {e["detail"]["direction"] for e in out} == {"sent"}
        await wait_until(lambda: len(server.received) == len(out))


async def test_controller_verb_as_a_device(capsys: pytest.CaptureFixture[str]) -> None:
    with FarmSimulator(emulate=False).run() as server:
        args = ["farmws", "controller", server.url("/"), "--device", "Esp", "--steps", "3", "--interval", "0.05"]
        assert main(args) == 0
        sensors = {"Temperature", "Humidity", "SoilMoisture", "RainDrop"}
        await wait_until(lambda: "Esp" in server.devices and set(server.devices["Esp"].values) == sensors)
        assert "config --socket_send_data_seconds 3" in capsys.readouterr().out


def test_demo_reports_live_values() -> None:
    from iotws.farmws.__main__ import demo

    rows: list[tuple[str, str, str]] = []
    demo(1.0, lambda protocol, name, value: rows.append((protocol, name, value)))
    assert {"temperature", "humidity", "soil_moisture"} <= {name for _, name, _ in rows}
    assert {protocol for protocol, _, _ in rows} == {"farmws"}


def test_simulate_prints_its_url_first() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "iotws.farmws", "simulate", "--port", "0", "--time-scale", "0.05"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("ws://127.0.0.1:")
        assert url.endswith("/")
        assert main(["farmws", "watch", url, "--client-id", "x", "--count", "3", "--json"]) == 0
    finally:
        proc.terminate()
        proc.wait(timeout=10)
