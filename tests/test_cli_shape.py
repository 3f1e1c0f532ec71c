"""One command-line shape for all five protocols (issue 15).

Every verb has the common flags with the same meaning; ``--json`` prints one schema per
concept (``{"protocol", "type", "time", ...}``); status lines go to stderr; secrets come
from files and environment variables too; Ctrl-C ends every verb with status 130 (0 for
``simulate``) and no traceback. Everything talks to the simulators over loopback.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from iotws.cli import (
    CLIENT_FLAGS,
    COMMON_FLAGS,
    CONCEPTS,
    HEAD,
    STREAM_FLAGS,
    Output,
    _protocol_modules,
    build_parser,
    connect_options,
    main,
)
from iotws.evok import EvokSimulator
from iotws.farmws.simulator import FarmSimulator
from iotws.globiots import GlobiotsSimulator
from iotws.oisp import OispSimulator
from iotws.xentara.simulator import XentaraSimulator

PY = sys.executable

#: Every verb and the flag set it must have: the test fails when a verb is added without a row.
VERBS: dict[tuple[str, ...], str] = {
    ("demo",): "common",
    ("globiots", "simulate"): "common",
    ("globiots", "watch"): "stream",
    ("globiots", "set"): "client",
    ("evok", "simulate"): "common",
    ("evok", "watch"): "stream",
    ("evok", "set"): "client",
    ("xentara", "simulate"): "common",
    ("xentara", "browse"): "client",
    ("xentara", "lookup"): "client",
    ("xentara", "read"): "client",
    ("xentara", "write"): "client",
    ("xentara", "watch"): "stream",
    ("oisp", "simulate"): "common",
    ("oisp", "listen"): "stream",
    ("oisp", "watch"): "stream",
    ("oisp", "ping"): "client",
    ("oisp", "actuate"): "client",
    ("farmws", "simulate"): "common",
    ("farmws", "watch"): "stream",
    ("farmws", "emit"): "client",
    ("farmws", "controller"): "client",
    ("bridge", "run"): "common",
    ("bridge", "demo"): "common",
    ("bridge", "globiots"): "client",
    ("bridge", "evok"): "client",
    ("bridge", "xentara"): "client",
    ("bridge", "oisp"): "client",
    ("bridge", "farmws"): "client",
}
FLAGS = {
    "common": ("-h", *COMMON_FLAGS),
    "client": ("-h", *COMMON_FLAGS, *CLIENT_FLAGS),
    "stream": ("-h", *COMMON_FLAGS, *CLIENT_FLAGS, *STREAM_FLAGS),
}
#: The arguments each client verb needs besides the flags (to parse it).
REQUIRED: dict[tuple[str, ...], list[str]] = {
    ("globiots", "watch"): ["ws://h/data-engine", "--host", "0.0.0.1", "--point", "2000:float"],
    ("globiots", "set"): ["ws://h/data-engine", "--host", "0.0.0.1", "--point", "3000:float", "--value", "1"],
    ("evok", "watch"): ["ws://h/ws"],
    ("evok", "set"): ["ws://h/ws", "ro", "2_01", "1"],
    ("xentara", "browse"): ["wss://h/api/ws"],
    ("xentara", "lookup"): ["wss://h/api/ws", "Plant"],
    ("xentara", "read"): ["wss://h/api/ws", "Plant.Temperature"],
    ("xentara", "write"): ["wss://h/api/ws", "Group 1.Setpoint", "1"],
    ("xentara", "watch"): ["wss://h/api/ws", "Plant.Temperature"],
    ("oisp", "listen"): ["ws://h/", "--device-id", "d1"],
    ("oisp", "watch"): ["ws://h/", "--device-id", "d1"],
    ("oisp", "ping"): ["ws://h/"],
    ("oisp", "actuate"): ["ws://h/"],
    ("farmws", "watch"): ["ws://h/"],
    ("farmws", "emit"): ["ws://h/", "temperature", "--data", "{}"],
    ("farmws", "controller"): ["ws://h/"],
    **{("bridge", p): ["ws://h/", "--mqtt", "mqtt://127.0.0.1:1883"] for p in ("globiots", "evok", "xentara", "oisp",
                                                                            "farmws")},
}


def _parser() -> argparse.ArgumentParser:
    return build_parser(_protocol_modules())


def _verbs(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                path = (*prefix, name)
                nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
                if nested:
                    yield from _verbs(sub, path)
                else:
                    yield path, sub


def _option_help(parser: argparse.ArgumentParser) -> dict[str, str | None]:
    return {flag: action.help for action in parser._actions for flag in action.option_strings}


def _has_flag(text: str, flag: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", text) is not None


# -- the flag table --------------------------------------------------------------------------


def test_the_table_lists_every_verb() -> None:
    assert {path for path, _ in _verbs(_parser())} == set(VERBS)


@pytest.mark.parametrize(("verb", "kind"), VERBS.items(), ids=[" ".join(v) for v in VERBS])
def test_every_verb_help_shows_its_shared_flags(
    verb: tuple[str, ...], kind: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*verb, "--help"]) == 0
    text = capsys.readouterr().out
    missing = [flag for flag in FLAGS[kind] if not _has_flag(text, flag)]
    assert missing == []
    if kind == "common":  # a verb that connects nowhere has no connection flags
        assert not any(_has_flag(text, flag) for flag in CLIENT_FLAGS)
    if kind != "stream":
        assert not any(_has_flag(text, flag) for flag in ("--idle", "--no-reconnect"))
    for secret in ("--token", "--password"):  # a secret on argv always has a file (and env) form
        if _has_flag(text, secret) and verb[-1] != "simulate":
            assert _has_flag(text, f"{secret}-file")


def test_each_shared_flag_has_one_meaning_everywhere() -> None:
    meanings: dict[str, set[str | None]] = {}
    for verb, parser in _verbs(_parser()):
        helps = _option_help(parser)
        for flag in FLAGS[VERBS[verb]]:
            meanings.setdefault(flag, set()).add(helps[flag])
    assert {flag: len(helps) for flag, helps in meanings.items() if len(helps) != 1} == {}


@pytest.mark.parametrize("verb", [v for v, kind in VERBS.items() if kind != "common"], ids=" ".join)
def test_client_flags_give_the_same_options_on_every_verb(verb: tuple[str, ...]) -> None:
    flags = ["--connect-timeout", "2.5", "--timeout", "4", "--ca-file", "ca.pem", "--insecure",
             "--header", "X-Site: north", "--header", "X-Line:2"]
    args = _parser().parse_args([*verb, *REQUIRED[verb], *flags])
    assert connect_options(args) == {
        "connect_timeout": 2.5,
        "request_timeout": 4.0,
        "ca_file": "ca.pem",
        "verify": False,
        "headers": {"X-Site": "north", "X-Line": "2"},
    }
    if VERBS[verb] == "stream":
        args = _parser().parse_args([*verb, *REQUIRED[verb], "--idle", "3", "--count", "7", "--no-reconnect"])
        assert (args.idle, args.count, args.reconnect) == (3.0, 7, False)
        assert connect_options(args) == {"reconnect": None}


@pytest.mark.parametrize(
    "argv",
    [
        ["-v", "evok", "-v", "watch", "ws://h/ws", "-v"],
        ["evok", "watch", "-vv", "ws://h/ws", "--verbose"],
        ["-q", "evok", "watch", "ws://h/ws", "-v", "-vv", "-v"],
    ],
)
def test_verbosity_adds_up_at_any_position(argv: list[str]) -> None:
    assert _parser().parse_args(argv).verbosity == 3


def test_python_dash_m_protocol_takes_the_common_flags() -> None:
    done = subprocess.run(
        [PY, "-m", "iotws.farmws", "-v", "watch", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: python -m iotws.farmws watch ")
    assert all(_has_flag(done.stdout, flag) for flag in FLAGS["stream"])


def test_bad_flag_values_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    for flag, value in (("--connect-timeout", "0"), ("--timeout", "soon"), ("--idle", "-1"), ("--count", "0")):
        assert main(["evok", "watch", "ws://h/ws", flag, value]) == 2
        assert flag in capsys.readouterr().err


# -- one JSON schema per concept -------------------------------------------------------------


def check_record(line: str, protocol: str) -> dict[str, Any]:
    """One ``--json`` line: the common head, then exactly the keys of its concept."""
    rec: dict[str, Any] = json.loads(line)
    assert list(rec) == [*HEAD, *CONCEPTS[rec["type"]]], line
    assert rec["protocol"] == protocol
    assert rec["time"].endswith("Z") and dt.datetime.fromisoformat(rec["time"]).tzinfo is not None
    assert isinstance(rec["detail"], dict)
    return rec


RAW_REPRS = ("Timestamp(", "UUID(", "<Attribute", "DataChange(", "Device(", "RealtimeUpdate(", "Actuation(")


@contextlib.contextmanager
def serving(protocol: str) -> Iterator[list[str]]:
    """A simulator of ``protocol`` on loopback; yields ``watch``'s arguments for it."""
    if protocol == "globiots":
        with GlobiotsSimulator(time_scale=20).run() as g:
            yield ["globiots", "watch", g.base_url, "--host", "0.0.0.1", "--point", "2000:float"]
    elif protocol == "evok":
        with EvokSimulator(scan_rate=100, di_toggle_period=0.05).run() as e:
            yield ["evok", "watch", e.url(), "--filter", "di"]
    elif protocol == "xentara":
        with XentaraSimulator(update_interval=0.02).run() as x:
            yield ["xentara", "watch", x.url(), "Plant.Temperature", "--attribute", "value", "--attribute", "quality"]
    elif protocol == "oisp":
        with OispSimulator(blind_window=0).run() as o:
            pusher = threading.Thread(target=_push_until_stopped, args=(o,), daemon=True)
            token = o.issue_token("d1", "a1")
            pusher.start()
            try:
                yield ["oisp", "listen", o.url(), "--device-id", "d1", "--token", token, "--grace", "0.1"]
            finally:
                o.pushing = False  # type: ignore[attr-defined]
                pusher.join(10)
    else:
        with FarmSimulator(time_scale=0.05, seed=3).run() as f:
            yield ["farmws", "watch", f.url("/"), "--client-id", "7"]


def _push_until_stopped(sim: OispSimulator) -> None:
    sim.pushing = True  # type: ignore[attr-defined]
    n = 0
    while getattr(sim, "pushing", False):
        n += 1
        sim.actuate_sync("a1", "d1", "LED.v1.0", {"LED": str(n % 2), "n": str(n)})
        time.sleep(0.05)


PROTOCOLS = ("globiots", "evok", "xentara", "oisp", "farmws")


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_watch_json_follows_the_schema_and_human_lines_are_readable(
    protocol: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with serving(protocol) as argv:
        assert main([*argv, "--json", "--count", "3"]) == 0
        records = [check_record(line, protocol) for line in capsys.readouterr().out.splitlines()]
        assert len(records) == 3 and {r["type"] for r in records} <= {"value", "command"}
        assert main([*argv, "--count", "3"]) == 0
        captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 3
    for line in lines:  # local time first, no raw reprs
        assert re.match(r"\d\d:\d\d:\d\d\.\d\d\d  ", line), line
        assert not any(raw in line for raw in RAW_REPRS), line
    status = captured.err.splitlines()  # status lines on stderr, each named after the protocol
    assert status[0].startswith(f"{protocol}: connecting to ws://127.0.0.1:") and "(timeout " in status[0]
    assert any(line.endswith("(Ctrl-C to stop)") for line in status)


@pytest.mark.parametrize(
    ("argv", "concepts"),
    [
        (["oisp", "actuate", "--param", "LED=1"], {"command"}),
        (["demo", "--seconds", "0.5", "--only", "evok"], {"value"}),
    ],
)
def test_other_verbs_json_follows_the_schema(
    argv: list[str], concepts: set[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*argv, "--json"]) == 0
    protocol = "evok" if argv[0] == "demo" else argv[0]
    records = [check_record(line, protocol) for line in capsys.readouterr().out.splitlines()]
    assert records and {r["type"] for r in records} == concepts


def test_one_shot_verbs_json_follows_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    with XentaraSimulator().run() as x:
        for argv, concept in (
            (["read", x.url(), "Plant.Temperature"], "value"),
            (["lookup", x.url(), "Plant"], "element"),
            (["browse", x.url()], "element"),
            (["write", x.url(), "Group 1.Setpoint", "12"], "result"),
        ):
            assert main(["xentara", *argv, "--json"]) == 0
            records = [check_record(line, "xentara") for line in capsys.readouterr().out.splitlines()]
            assert records and {r["type"] for r in records} == {concept}
    with OispSimulator().run() as o:
        assert main(["oisp", "ping", o.url(), "--json"]) == 0
        assert check_record(capsys.readouterr().out, "oisp")["type"] == "pong"
    with EvokSimulator().run() as e:
        assert main(["evok", "set", e.url(), "ro", "2_01", "1", "--confirm", "--json"]) == 0
        assert check_record(capsys.readouterr().out, "evok")["type"] == "result"


def test_simulate_json_first_line_is_a_simulator_record() -> None:
    proc = subprocess.Popen(
        [PY, "-m", "iotws.oisp", "simulate", "--port", "0", "--key-dir", "", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint,
    )
    try:
        assert proc.stdout is not None
        rec = check_record(proc.stdout.readline(), "oisp")
        assert rec["type"] == "simulator" and rec["url"].startswith("ws://127.0.0.1:")
        assert rec["detail"]["listen"].startswith(f"iotws oisp listen {rec['url']} --device-id demo-001 ")
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in err


# -- status lines ----------------------------------------------------------------------------


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A TCP port that accepts connections (the kernel's backlog) and never answers the upgrade."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield sock.getsockname()[1]


WATCH_ARGS: dict[str, list[str]] = {
    "globiots": ["globiots", "watch", "{url}/data-engine", "--host", "0.0.0.1", "--point", "2000:float"],
    "evok": ["evok", "watch", "{url}/ws"],
    "xentara": ["xentara", "watch", "{url}/api/ws", "Plant.Temperature"],
    "oisp": ["oisp", "listen", "{url}/", "--device-id", "d1", "--token", "t", "--grace", "0.1"],
    "farmws": ["farmws", "watch", "{url}/", "--client-id", "1"],
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_connect_timeout_bounds_a_server_that_never_upgrades(
    protocol: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with silent_server() as port:
        url = f"ws://127.0.0.1:{port}"
        argv = [a.replace("{url}", url) for a in WATCH_ARGS[protocol]]
        assert main([*argv, "--connect-timeout", "0.3"]) == 1
    status = capsys.readouterr().err.splitlines()
    assert status[0].startswith(f"{protocol}: connecting to {url}/") and status[0].endswith("(timeout 0.3 s)...")
    assert status[-1].startswith("error: ") and "timed out" in status[-1]


def test_reconnect_status_lines(capsys: pytest.CaptureFixture[str]) -> None:
    sim = EvokSimulator(scan_rate=100, di_toggle_period=None)
    with sim.run():
        url = sim.url()

        def restart_once_resynced() -> None:
            deadline = time.monotonic() + 10
            while {"cmd": "all"} not in sim.received and time.monotonic() < deadline:
                time.sleep(0.01)
            sim.call(sim.stop())
            sim.di_toggle_period = 0.05  # changes again once the client is back
            sim.call(sim.start())

        thread = threading.Thread(target=restart_once_resynced)
        thread.start()
        try:  # the 4 DIs on connect, then changes only after the reconnect
            code = main(["evok", "watch", sim.url(), "--filter", "di", "--json", "--count", "6"])
        finally:
            thread.join()
    assert code == 0
    err = capsys.readouterr().err
    assert "evok: connection lost: " in err
    assert re.search(r"evok: reconnecting in \d+\.\d s \(attempt 1\)", err), err
    assert f"evok: reconnected to {url}" in err


def test_quiet_and_verbose(capsys: pytest.CaptureFixture[str]) -> None:
    with EvokSimulator().run() as sim:
        assert main(["-q", "evok", "set", sim.url(), "ro", "2_01", "1", "--confirm"]) == 0
        captured = capsys.readouterr()
        assert captured.out == "confirmed ro 2_01: 1\n" and captured.err == ""
        assert main(["evok", "set", sim.url(), "ro", "2_01", "0", "--confirm", "-v"]) == 0
        err = capsys.readouterr().err
    assert re.search(r"iotws\.evok INFO connecting to ws://127\.0\.0\.1:\d+/ws", err), err


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("rich")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for no_color, coloured in ((None, True), ("1", False)):
        if no_color is None:
            monkeypatch.delenv("NO_COLOR", raising=False)
        else:
            monkeypatch.setenv("NO_COLOR", no_color)
        terminal = Terminal()
        monkeypatch.setattr(sys, "stderr", terminal)
        Output("evok").error("boom")
        colour = re.search(r"\x1b\[[0-9;]*;3[0-9]m|\x1b\[3[0-9]", terminal.getvalue())  # a foreground colour
        assert (colour is not None) is coloured and "error: boom" in terminal.getvalue()
    piped = io.StringIO()
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys, "stderr", piped)
    Output("evok").status("connecting")
    assert piped.getvalue() == "evok: connecting\n"


def test_demo_prints_a_plain_table_when_not_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--seconds", "0.5", "--only", "evok"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].split() == ["protocol", "point", "value", "updates", "at"]
    assert "ro 2_01" in captured.out and "\x1b" not in captured.out
    assert "demo: running evok for 0.5 s (Ctrl-C to stop)" in captured.err


# -- Ctrl-C ----------------------------------------------------------------------------------


def _interrupt_when(proc: subprocess.Popen[str], stream: io.TextIOBase | Any, marker: str) -> tuple[str, str]:
    """Read ``stream`` up to a line with ``marker``, send SIGINT, return what the process printed."""
    seen: list[str] = []
    while True:
        line = stream.readline()
        assert line, f"ended before {marker!r}: {''.join(seen)}"
        seen.append(line)
        if marker in line:
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    return out, "".join(seen) + err if stream is proc.stderr else err


def _default_sigint() -> None:
    # a shell without job control starts background commands with SIGINT ignored, and their
    # children inherit that (Python then never raises KeyboardInterrupt): these tests want Ctrl-C
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start(*argv: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [PY, "-m", *argv], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=env, preexec_fn=_default_sigint,
    )


SIMULATE: dict[str, list[str]] = {
    "globiots": [],
    "evok": [],
    "xentara": ["--plain"],
    "oisp": ["--key-dir", ""],
    "farmws": [],
}


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_ctrl_c_stops_simulate_with_status_0(protocol: str) -> None:
    proc = _start(f"iotws.{protocol}", "simulate", "--port", "0", *SIMULATE[protocol])
    _, err = _interrupt_when(proc, proc.stdout, "://127.0.0.1:")
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_ctrl_c_stops_watch_with_status_130(protocol: str) -> None:
    with serving(protocol) as argv:
        proc = _start(f"iotws.{argv[0]}", *argv[1:])
        _, err = _interrupt_when(proc, proc.stderr, "(Ctrl-C to stop)")
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


def test_ctrl_c_while_connecting_exits_130() -> None:
    with silent_server() as port:
        proc = _start("iotws", "evok", "watch", f"ws://127.0.0.1:{port}/ws")
        _, err = _interrupt_when(proc, proc.stderr, "connecting to")
    assert proc.returncode == 130, err
    assert "Traceback" not in err


def test_ctrl_c_stops_demo_with_status_130() -> None:
    # the defect this pins down: SIGINT was at times taken by one of the demo's threads, and the
    # main thread slept on in join() (about 1 run in 4); the demo's threads now block SIGINT
    proc = _start("iotws", "demo", "--seconds", "60")
    out, err = _interrupt_when(proc, proc.stderr, "(Ctrl-C to stop)")
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert out.startswith("protocol  point")  # what was seen so far
