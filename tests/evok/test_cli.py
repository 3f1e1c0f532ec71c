"""The ``iotws evok`` command line, in-process against the simulator and as a subprocess."""

from __future__ import annotations

import json
import re
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
        [sys.executable, "-m", "iotws.evok", "simulate", "--port", "0"], stdout=subprocess.PIPE, text=True
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
            assert data["protocol"] == "evok" and data["type"] == "value"
            assert data["point"] == f"{data['detail']['dev']} {data['detail']['circuit']}"
            assert {"dev", "circuit"} <= data["detail"]["state"].keys()
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
    # "12:00:01.234  di    1_01               1 counter=3": local time, device, circuit, state
    assert {line.split()[1] for line in lines} == {"di"}
    assert [line.split()[1:3] for line in lines[-4:]] == [["di", "1_01"]] * 4


def test_watch_json_with_a_filter_prints_only_the_filtered_types(
    sim: EvokSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evok", "watch", sim.url(), "--filter", "di", "--json", "--count", "6"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(records) == 6 and {r["detail"]["dev"] for r in records} == {"di"}
    # the four DIs (from the resync on connect; a push may overtake it), each record saying which it was
    assert {r["point"] for r in records} == {"di 1_01", "di 1_02", "di 1_03", "di 1_04"}
    assert all(isinstance(r["detail"]["resync"], bool) for r in records)


def test_watch_live_table_shows_only_the_filtered_types(
    sim: EvokSimulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("rich")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)  # the live table is drawn for a terminal
    monkeypatch.setenv("NO_COLOR", "1")
    assert main(["evok", "watch", sim.url(), "--filter", "relay,di", "--count", "6"]) == 0
    out = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", capsys.readouterr().out)  # the live display's cursor moves
    rows = [line.split() for line in out.splitlines() if line.strip()]
    assert rows[0][:2] == ["point", "value"]  # the header: no name column (no aliases)
    assert {row[0] for row in rows[1:]} == {"ro", "di"}


def test_watch_on_a_terminal_without_rich_prints_lines(
    sim: EvokSimulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import iotws.cli

    monkeypatch.setattr(iotws.cli, "_rich", lambda: None)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["evok", "watch", sim.url(), "--filter", "relay", "--count", "4"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and [line.split()[1] for line in out.splitlines()] == ["ro"] * 4


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
    removed = [r for r in records if r["type"] == "removed"]
    assert [(r["detail"]["dev"], r["detail"]["circuit"], r["point"]) for r in removed] == [("led", "1_02", "led 1_02")]


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
    assert main(["evok", "set", sim.url(), "do", "1_02", "0", "--json"]) == 0
    sent = json.loads(capsys.readouterr().out)
    assert (sent["type"], sent["point"], sent["ok"], sent["detail"]["confirmed"]) == ("result", "do 1_02", True, False)
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
        ["evok", "watch", "ws://127.0.0.1:1/ws", "--count", "1", "--connect-timeout", "2"],
    ],
)
def test_expected_failures_print_one_line(
    argv: list[str], sim: EvokSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([a.replace("{url}", sim.url()) for a in [*argv, "-q"]]) == 1  # -q: no status lines
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")


def test_demo_reports_live_values() -> None:
    rows: dict[str, str] = {}
    demo(1.2, lambda protocol, name, value: rows.__setitem__(name, value))
    assert {"ro 2_01", "di 1_01", "ai 1_01", "temp 2895DCD509000035"} <= rows.keys()
