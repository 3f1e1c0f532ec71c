"""The command line, in process against a simulator thread and as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from iotws.cli import main
from iotws.globiots import GlobiotsSimulator
from iotws.globiots.__main__ import demo


def test_watch_json_count_prints_typed_updates(
    globiots_simulator: GlobiotsSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["globiots", "watch", globiots_simulator.base_url, "--host", "0.0.0.1", "--host", "0.0.0.2",
            "--point", "2000:float", "--point", "2006:uint32", "--point", "200B:hexa:3", "--json", "--count", "3"]
    assert main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for line in lines:
        update = json.loads(line)
        assert update["type"] == "RealtimeUpdate" and len(update["values"]) == 6
        first = update["values"][0]
        assert first["hostname"] == "0.0.0.1" and first["data_type"] == "float"
        assert isinstance(first["value"], float)
    counters = [json.loads(line)["values"][1]["value"] for line in lines]
    assert counters == sorted(counters) and counters[0] < counters[-1]


def test_watch_table(globiots_simulator: GlobiotsSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["globiots", "watch", globiots_simulator.base_url, "--host", "0.0.0.1",
            "--point", "2308:string:16", "--point", "2000:float", "--count", "2"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out.count("update at") == 2 and "IC 0.0.0.1" in out


def test_set_ok_and_read_only(globiots_simulator: GlobiotsSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    url = globiots_simulator.base_url
    assert main(["globiots", "set", url, "--host", "0.0.0.1", "--point", "3000:float", "--value", "3.3"]) == 0
    assert "0.0.0.1/3000: 00" in capsys.readouterr().out
    assert globiots_simulator.devices["0.0.0.1"].memory[0x3000:0x3004] == bytes.fromhex("40533333")
    assert main(["globiots", "set", url, "--host", "0.0.0.1", "--point", "2000:float", "--value", "1"]) == 1
    captured = capsys.readouterr()
    assert "08" in captured.out and captured.err.startswith("error: ") and "not allowed writing" in captured.err


@pytest.mark.parametrize(
    "args",
    [
        ["--point", "3000:byte", "--value", "300"],
        ["--point", "3000", "--value", "1"],
        ["--point", "3000:integer_64", "--value", "1"],
        ["--point", "3000:string", "--value", "x"],
    ],
)
def test_set_bad_input_is_one_line(
    globiots_simulator: GlobiotsSimulator, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    assert main(["globiots", "set", globiots_simulator.base_url, "--host", "0.0.0.1", *args]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert globiots_simulator.set_requests == []


def test_refused_connection_is_one_line(capsys: pytest.CaptureFixture[str], free_port: int) -> None:
    argv = ["globiots", "watch", f"ws://127.0.0.1:{free_port}/data-engine", "--host", "h", "--point", "2000:float",
            "--count", "1", "--timeout", "2"]
    assert main(argv) == 1
    assert capsys.readouterr().err.startswith("error: cannot connect")


def test_simulate_prints_url_and_watch_subprocess() -> None:
    sim = subprocess.Popen(
        [sys.executable, "-m", "globiots", "simulate", "--port", "0", "--time-scale", "20"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sim.stdout is not None
        url = sim.stdout.readline().strip()
        assert url.startswith("ws://127.0.0.1:") and url.endswith("/data-engine")
        watch = subprocess.run(
            [sys.executable, "-m", "globiots", "watch", url, "--host", "0.0.0.1", "--point", "2004:uint16",
             "--json", "--count", "3"],
            capture_output=True, text=True, timeout=60, check=False,
        )
        assert watch.returncode == 0, watch.stderr
        updates = [json.loads(line) for line in watch.stdout.splitlines()]
        assert len(updates) == 3 and all(u["type"] == "RealtimeUpdate" for u in updates)
    finally:
        sim.terminate()
        sim.wait(timeout=10)


def test_demo_reports_live_values() -> None:
    seen: list[tuple[str, str, str]] = []
    demo(0.6, lambda protocol, name, value: seen.append((protocol, name, value)))
    assert {p for p, _, _ in seen} == {"globiots"}
    names = {n for _, n, _ in seen}
    assert "0.0.0.1/3000 written" in names and any("sine" in n for n in names)
    assert ("globiots", "0.0.0.1/3000 written", "42.5") in seen
