"""The command line, in process against a simulator thread and as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from iotws.cli import main
from iotws.globiots import GlobiotsSimulator
from iotws.globiots.__main__ import demo


def test_watch_json_count_prints_typed_values(
    globiots_simulator: GlobiotsSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["globiots", "watch", globiots_simulator.base_url, "--host", "0.0.0.1", "--host", "0.0.0.2",
            "--point", "2000:float", "--point", "2006:uint32", "--point", "200B:hexa:3", "--json", "--count", "18"]
    assert main(argv) == 0  # --count counts records: 3 pushes of 6 values
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(records) == 18
    assert {(r["protocol"], r["type"]) for r in records} == {("globiots", "value")}
    first = records[0]
    assert first["point"] == "0.0.0.1/2000" and first["detail"]["data_type"] == "float"
    assert isinstance(first["value"], float) and first["error"] is None
    hexa = next(r for r in records if r["point"] == "0.0.0.1/200B")
    assert hexa["value"] == hexa["detail"]["raw"].upper() and len(hexa["value"]) == 6  # bytes: hex text
    counters = [r["value"] for r in records if r["point"] == "0.0.0.1/2006"]
    assert len(counters) == 3 and counters == sorted(counters) and counters[0] < counters[-1]


def test_watch_human_lines(globiots_simulator: GlobiotsSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["globiots", "watch", globiots_simulator.base_url, "--host", "0.0.0.1",
            "--point", "2308:string:16", "--point", "2000:float", "--count", "4"]
    assert main(argv) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 4  # "12:00:01.234  0.0.0.1/2308    IC 0.0.0.1  (string)"
    assert [line.split()[1] for line in lines] == ["0.0.0.1/2308", "0.0.0.1/2000"] * 2
    assert "IC 0.0.0.1" in lines[0] and "(string)" in lines[0]
    assert "globiots: connecting to ws://" in captured.err and "waiting for pushes (Ctrl-C to stop)" in captured.err


def test_set_ok_and_read_only(globiots_simulator: GlobiotsSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    url = globiots_simulator.base_url
    assert main(["globiots", "set", url, "--host", "0.0.0.1", "--point", "3000:float", "--value", "3.3"]) == 0
    assert "0.0.0.1/3000: 00" in capsys.readouterr().out
    assert main(["globiots", "set", url, "--host", "0.0.0.1", "--point", "3000:float", "--value", "3.3", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert (result["type"], result["point"], result["ok"], result["value"]) == ("result", "0.0.0.1/3000", True, "3.3")
    assert globiots_simulator.devices["0.0.0.1"].memory[0x3000:0x3004] == bytes.fromhex("40533333")
    assert main(["globiots", "set", url, "--host", "0.0.0.1", "--point", "2000:float", "--value", "1"]) == 1
    captured = capsys.readouterr()
    error = captured.err.splitlines()[-1]  # after the status lines
    assert "08" in captured.out and error.startswith("error: ") and "not allowed writing" in error


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
    assert main(["globiots", "set", globiots_simulator.base_url, "--host", "0.0.0.1", *args, "-q"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert globiots_simulator.set_requests == []


def test_refused_connection_is_one_line(capsys: pytest.CaptureFixture[str], free_port: int) -> None:
    argv = ["globiots", "watch", f"ws://127.0.0.1:{free_port}/data-engine", "--host", "h", "--point", "2000:float",
            "--count", "1", "--connect-timeout", "2", "-q"]
    assert main(argv) == 1
    assert capsys.readouterr().err.startswith("error: cannot connect")


def test_simulate_prints_url_and_watch_subprocess() -> None:
    sim = subprocess.Popen(
        [sys.executable, "-m", "iotws.globiots", "simulate", "--port", "0", "--time-scale", "20"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sim.stdout is not None
        url = sim.stdout.readline().strip()
        assert url.startswith("ws://127.0.0.1:") and url.endswith("/data-engine")
        watch = subprocess.run(
            [sys.executable, "-m", "iotws.globiots", "watch", url, "--host", "0.0.0.1", "--point", "2004:uint16",
             "--json", "--count", "3"],
            capture_output=True, text=True, timeout=60, check=False,
        )
        assert watch.returncode == 0, watch.stderr
        updates = [json.loads(line) for line in watch.stdout.splitlines()]
        assert len(updates) == 3 and all((u["type"], u["point"]) == ("value", "0.0.0.1/2004") for u in updates)
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
