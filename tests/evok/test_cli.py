"""The ``iotws evok`` command line, in-process against the simulator and as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from iotws.cli import main
from iotws.evok import EvokSimulator
from iotws.evok.__main__ import demo


@pytest.fixture
def sim() -> Iterator[EvokSimulator]:
    with EvokSimulator(scan_rate=100, temp_interval=0.1, di_toggle_period=0.05).run() as s:
        yield s


def test_simulate_prints_its_url_and_serves_watch_and_set(capsys: pytest.CaptureFixture[str]) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "evok", "simulate", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("ws://127.0.0.1:") and url.endswith("/ws")
        assert main(["evok", "watch", url, "--json", "--count", "5"]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert len(lines) == 5
        for line in lines:
            data = json.loads(line)
            assert data["type"] == "DeviceChanged" and {"dev", "circuit"} <= data["device"].keys()
        assert main(["evok", "set", url, "relay", "2_01", "on", "--confirm"]) == 0
        assert capsys.readouterr().out.strip() == "confirmed ro 2_01: 1"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_watch_filter_prints_only_the_filtered_types(sim: EvokSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    count = 4 + 4  # the four DIs (the resync on connect), then 4 changes of the toggling DI
    assert main(["evok", "watch", sim.url(), "--filter", "input", "--count", str(count)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == count
    assert {line.split()[0] for line in lines} == {"di"}
    assert [line.split()[:2] for line in lines[-4:]] == [["di", "1_01"]] * 4


def test_watch_json_with_a_filter_prints_only_the_filtered_types(
    sim: EvokSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evok", "watch", sim.url(), "--filter", "di", "--json", "--count", "6"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(records) == 6 and {r["device"]["dev"] for r in records} == {"di"}
    assert [r["resync"] for r in records[:4]] == [True] * 4


def test_watch_live_table_shows_only_the_filtered_types(
    sim: EvokSimulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)  # the live table is drawn for a terminal
    assert main(["evok", "watch", sim.url(), "--filter", "relay,di", "--count", "6"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("\x1b[2J") for line in lines)  # the table was drawn
    rows = [line for line in lines if line.strip() and not line.startswith(("\x1b", "-"))]
    assert {row.split()[0] for row in rows} == {"ro", "di"}


def test_watch_prints_devices_evok_no_longer_has(sim: EvokSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    sim.di_toggle_period = None

    def restart_without_a_led_once_resynced() -> None:
        deadline = time.monotonic() + 10
        while {"cmd": "all"} not in sim.received and time.monotonic() < deadline:
            time.sleep(0.01)
        target = sim.scans + 3  # the reply went out before these scans
        while sim.scans < target and time.monotonic() < deadline:
            time.sleep(0.01)
        sim.call(sim.stop())
        sim.remove_device("led", "1_02")
        sim.call(sim.start())

    thread = threading.Thread(target=restart_without_a_led_once_resynced)
    thread.start()
    try:  # 4 LEDs on connect, then the one EVOK no longer has
        code = main(["evok", "watch", sim.url(), "--filter", "led", "--json", "--count", "5"])
    finally:
        thread.join()
    assert code == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    removed = [r for r in records if r["type"] == "DeviceRemoved"]
    assert [(r["device"]["dev"], r["device"]["circuit"]) for r in removed] == [("led", "1_02")]


def test_an_unconfirmable_set_is_refused_before_connecting(
    sim: EvokSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    for url in (sim.url(), "ws://127.0.0.1:1/ws"):  # the second is not even reachable
        assert main(["evok", "set", url, "wd", "1_01", "--param", "timeout=100", "--confirm", "--timeout", "2"]) == 1
        (err,) = capsys.readouterr().err.strip().splitlines()
        assert err.startswith("error: ") and "pushes no event" in err
        # EVOK's own timeout parameter would be taken for the wait: refused with --confirm
        assert main(["evok", "set", url, "do", "1_01", "1", "--param", "timeout=2", "--confirm"]) == 1
        (err,) = capsys.readouterr().err.strip().splitlines()
        assert err.startswith("error: ") and "--param timeout" in err
    assert sim.received == [] and not sim.connections


def test_set_without_confirm_and_with_params(sim: EvokSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evok", "set", sim.url(), "do", "1_02", "1", "--param", "timeout=5"]) == 0
    assert "EVOK does not reply" in capsys.readouterr().out
    assert main(["evok", "set", sim.url(), "ai", "1_01", "--param", "mode=Current", "--confirm"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("confirmed ai 1_01: ") and out.strip().endswith("mA mode=Current")
    assert {"cmd": "set", "dev": "do", "circuit": "1_02", "value": {"value": 1, "timeout": 5}} in sim.received


@pytest.mark.parametrize(
    "argv",
    [
        ["evok", "set", "{url}", "ro", "2_01"],
        ["evok", "set", "{url}", "ro", "2_01", "1", "--param", "novalue"],
        ["evok", "set", "{url}", "ro", "9_99", "1", "--confirm", "--timeout", "0.3"],
        ["evok", "watch", "{url}", "--filter", "register", "--count", "1"],
        ["evok", "watch", "ws://127.0.0.1:1/ws", "--count", "1", "--timeout", "2"],
    ],
)
def test_expected_failures_print_one_line(
    argv: list[str], sim: EvokSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([a.replace("{url}", sim.url()) for a in argv]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")


def test_demo_reports_live_values() -> None:
    rows: dict[str, str] = {}
    demo(1.2, lambda protocol, name, value: rows.__setitem__(name, value))
    assert {"ro 2_01", "di 1_01", "ai 1_01", "temp 2895DCD509000035"} <= rows.keys()
