"""The ``iotws oisp`` command line, in-process and as subprocesses against a simulator."""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from iotws.cli import main
from iotws.oisp import AsyncClient, Client, InvalidTokenError, OispSimulator, TokenKeys
from iotws.oisp.__main__ import DEFAULT_KEY_DIR, TOKEN_ENV, demo, register
from iotws.testing import resolve

PY = sys.executable


@contextlib.contextmanager
def simulate_subprocess(*args: str) -> Iterator[tuple[str, dict[str, str]]]:
    """``iotws oisp simulate ARGS`` in a subprocess: its URL and the banner's fields."""
    proc = subprocess.Popen(
        [PY, "-m", "iotws.oisp", "simulate", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(7)]
        url = lines[0]
        assert url.startswith("ws://127.0.0.1:"), proc.stderr.read() if proc.stderr else lines
        yield url, dict(line.split(": ", 1) for line in lines[1:])
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def simulate_process(tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """``iotws oisp simulate --port 0`` in a subprocess: (url, device id, token)."""
    # no blind window: the test pushes as soon as the listener is bound
    args = ("--port", "0", "--blind-window", "0", "--key-dir", str(tmp_path / "keys"))
    with simulate_subprocess(*args) as (url, fields):
        assert fields["listen"].startswith(f"iotws oisp listen {url} --device-id ")
        yield url, fields["device-id"], fields["token"]


def test_simulate_listen_actuate_end_to_end(simulate_process: tuple[str, str, str]) -> None:
    url, device_id, token = simulate_process
    listener = subprocess.Popen(
        [PY, "-m", "iotws.oisp", "listen", url, "--device-id", device_id, "--token", token,
         "--json", "--count", "1", "--grace", "0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        delivered = 0
        deadline = time.monotonic() + 30
        while delivered == 0 and time.monotonic() < deadline and listener.poll() is None:
            args = ["oisp", "actuate", url, "--account-id", "demo-account", "--device-id", device_id,
                    "--param", "LED=1", "--json"]
            out = subprocess.run([PY, "-m", "iotws.oisp", *args[1:]], capture_output=True, text=True, timeout=30)
            assert out.returncode == 0, out.stderr
            result = json.loads(out.stdout)
            assert (result["type"], result["point"]) == ("result", f"demo-account/{device_id}")
            delivered = result["value"]
            if delivered == 0:
                time.sleep(0.1)  # the listener is still registering
        stdout, stderr = listener.communicate(timeout=30)
    finally:
        listener.kill()
    assert listener.returncode == 0, stderr
    event = json.loads(stdout.strip().splitlines()[-1])
    assert (event["protocol"], event["type"], event["point"]) == ("oisp", "command", device_id)
    assert event["name"] == "LED.v1.0" and event["params"] == {"LED": "1"}
    assert event["detail"]["wire"]["content"]["deviceId"] == device_id
    assert f"registered as device {device_id}" in stderr and "waiting for actuations (Ctrl-C to stop)" in stderr
    assert token not in stderr


def test_watch_json_count(capsys: pytest.CaptureFixture[str], oisp_simulator: OispSimulator) -> None:
    sim = oisp_simulator
    token = sim.issue_token("d1", "a1")
    # watch prints every typed event (link changes too, as link records); push one once registered
    pusher = threading.Thread(target=_actuate_when_bound, args=(sim, "a1", "d1"), daemon=True)
    pusher.start()
    code = main(["oisp", "watch", sim.url(), "--device-id", "d1", "--token", token, "--json", "--count", "2",
                 "--grace", "0.1", "--idle", "10"])
    pusher.join(timeout=10)
    assert code == 0
    records = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    # every event, the link's too (an actuation in the registration's grace period may come first)
    assert sorted(r["type"] for r in records) == ["command", "link"]
    link = next(r for r in records if r["type"] == "link")
    assert (link["state"], link["url"]) == ("connected", sim.url())


def _actuate_when_bound(sim: OispSimulator, account: str, device: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if sim.actuate_sync(account, device, "LED.v1.0", {"LED": "1"}) > 0:
            return
        time.sleep(0.05)


def test_listen_timeout_text_output(capsys: pytest.CaptureFixture[str], oisp_simulator: OispSimulator) -> None:
    sim = oisp_simulator
    token = sim.issue_token("d1", "a1")
    code = main(["oisp", "listen", sim.url(), "--device-id", "d1", "--token", token, "--idle", "0.2",
                 "--grace", "0.1"])
    assert code == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "oisp: registered as device d1" in captured.err  # not silent while it waits
    assert "oisp: waiting for actuations (Ctrl-C to stop)" in captured.err


def test_listen_with_a_bad_token_is_one_error_line(
    capsys: pytest.CaptureFixture[str], oisp_simulator: OispSimulator
) -> None:
    code = main(["oisp", "listen", oisp_simulator.url(), "--device-id", "d1", "--token", "eyJ.bad.token", "-q"])
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "Invalid device token" in err and "\n" not in err
    assert "eyJ.bad.token" not in err


def test_actuate_against_in_process_simulator(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["oisp", "actuate", "--param", "LED=0", "--param", "color=red"]) == 0
    out = capsys.readouterr().out  # "12:00:01.234  actuation LED.v1.0 ...": local time first
    assert out.split("  ", 1)[1].startswith("actuation LED.v1.0 LED=0 color=red (device demo-001")


def test_actuate_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["oisp", "actuate", "ws://127.0.0.1:9/", "--param", "bad"]) == 1
    assert "NAME=VALUE" in capsys.readouterr().err
    assert main(["oisp", "actuate", "ws://127.0.0.1:9/", "--param", "a=1"]) == 1
    assert "cannot reach the simulator" in capsys.readouterr().err
    assert main(["oisp", "actuate", "http://x/", "--param", "a=1"]) == 1
    assert "not a WebSocket URL" in capsys.readouterr().err


def test_usage_without_verb(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["oisp"]) == 2
    assert "simulate" in capsys.readouterr().out


def test_demo_reports_live_values() -> None:
    rows: list[tuple[str, str, str]] = []
    demo(1.0, lambda protocol, name, value: rows.append((protocol, name, value)))
    assert ("oisp", "demo-001 registered", "yes") in rows
    leds = [value for _, name, value in rows if name.endswith("LED")]
    assert leds and set(leds) <= {"0", "1"}


def test_simulator_without_cryptography_says_what_to_install() -> None:
    """R19: no hand-written RSA fallback; without PyJWT/cryptography the simulator says what to install."""
    code = (
        "import sys; sys.modules['jwt'] = None; sys.modules['cryptography'] = None\n"
        "from iotws.errors import UsageError\n"
        "from iotws.oisp import Client, OispSimulator\n"
        "from iotws.oisp.tokens import have_pyjwt\n"
        "assert not have_pyjwt()\n"
        "Client('ws://127.0.0.1:9/', 'd', 't')  # the client needs neither\n"
        "try:\n"
        "    with OispSimulator().run():\n"
        "        pass\n"
        "except UsageError as exc:\n"
        "    print('refused:', exc)\n"
        "from iotws.cli import main\n"
        "sys.exit(main(['oisp', 'simulate', '--port', '0', '--key-dir', '']))\n"
    )
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.startswith("refused: ") and "pip install 'iotws[simulators]'" in out.stdout, out
    assert out.returncode == 1
    err = out.stderr.strip()
    assert err.startswith("error: ") and "\n" not in err and "pip install 'iotws[simulators]'" in err
    assert "Traceback" not in out.stderr


async def test_simulate_keeps_its_keys_across_restarts(flavour: str, tmp_path: Path) -> None:
    """R18: a token from before a restart of `iotws oisp simulate` still registers, without a refresh."""
    keys = tmp_path / "keys"
    with simulate_subprocess("--port", "0", "--key-dir", str(keys)) as (url, fields):
        token = fields["token"]
        assert fields["keys"].startswith(str(keys))
    assert (keys / "public.pem").exists() and (keys / "private.pem").stat().st_mode & 0o077 == 0
    with simulate_subprocess("--port", "0", "--key-dir", str(keys)) as (url, fields):
        assert fields["token"] != token  # a new token (new jti), signed by the same key
        client = (Client if flavour == "sync" else AsyncClient)(url, fields["device-id"], token, grace=0.2,
                                                                reconnect=None)
        await resolve(client.connect())
        try:
            assert client.connected and client.core.registered
        finally:
            await resolve(client.close())
    with simulate_subprocess("--port", "0", "--key-dir", "") as (url, fields):
        assert fields["keys"].startswith("in memory")
        client = Client(url, fields["device-id"], token, grace=0.2, reconnect=None)
        with pytest.raises(InvalidTokenError):
            client.connect()


async def test_one_simulator_object_keeps_its_keys_across_stop_and_start(flavour: str) -> None:
    sim = OispSimulator(blind_window=0)
    with sim.run():
        token = sim.issue_token("d1", "a1")
    with sim.run():  # stopped and started again: the same keys
        client = (Client if flavour == "sync" else AsyncClient)(sim.url(), "d1", token, grace=0.2, reconnect=None)
        await resolve(client.connect())
        await resolve(client.close())
        assert sim.registrations["d1"] == 1


# -- issue 11, item 12 ---------------------------------------------------------------------------
def test_ping_verb_without_and_with_a_device(capsys: pytest.CaptureFixture[str], oisp_simulator: OispSimulator) -> None:
    sim = oisp_simulator
    assert main(["oisp", "ping", sim.url(), "--count", "2"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith(f"PONG from {sim.url()} in ") for line in lines)
    assert sim.pings == 2 and sim.registrations.total() == 0  # a health check: no registration
    token = sim.issue_token("d1", "a1")
    assert main(["oisp", "ping", sim.url(), "--device-id", "d1", "--token", token, "--json", "--grace", "0.1"]) == 0
    (line,) = capsys.readouterr().out.strip().splitlines()
    pong = json.loads(line)
    assert (pong["type"], pong["url"], pong["detail"]) == ("pong", sim.url(), {"content": "PONG"})
    assert pong["rtt_ms"] > 0
    assert sim.pings == 3 and sim.registrations["d1"] == 1


def test_ping_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["oisp", "ping", "ws://127.0.0.1:9/"]) == 1
    assert "cannot connect" in capsys.readouterr().err
    assert main(["oisp", "ping", "ws://127.0.0.1:9/", "--token", "eyJ.x.y"]) == 1
    assert "needs --device-id" in capsys.readouterr().err


def test_actuate_against_a_real_server_says_so_at_once(
    capsys: pytest.CaptureFixture[str], oisp_token_keys: TokenKeys
) -> None:
    # a real server has no platform side (platform_side=False reproduces it)
    with OispSimulator(keys=oisp_token_keys, platform_side=False).run() as sim:
        code = main(["oisp", "actuate", sim.url(), "--device-id", "d1", "--param", "LED=1"])
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err
    assert "not an iotws simulator" in err and "OISP backend" in err and "Redis" in err
    assert "only drives an iotws simulator" in err


def test_listen_count_counts_an_actuation_once_despite_copies(
    capsys: pytest.CaptureFixture[str], oisp_token_keys: TokenKeys
) -> None:
    sim = OispSimulator(keys=oisp_token_keys, blind_window=0)  # duplicates: the default
    with sim.run(), oisp_client_of(sim, "other"):  # a second registration: every actuation comes twice
        token = sim.issue_token("d1", "a1")
        for dedup, expected in ((None, ["1", "0"]), ("0", ["1", "1"])):
            pusher = threading.Thread(target=_push_two_when_bound, args=(sim, "a1", "d1"), daemon=True)
            pusher.start()
            args = ["oisp", "listen", sim.url(), "--device-id", "d1", "--token", token, "--json", "--count", "2",
                    "--grace", "0.1", "--idle", "10"]
            if dedup is not None:
                args += ["--dedup-window", dedup]
            assert main(args) == 0
            pusher.join(timeout=10)
            leds = [json.loads(line)["params"]["LED"] for line in capsys.readouterr().out.strip().splitlines()]
            assert leds == expected


def oisp_client_of(sim: OispSimulator, device_id: str) -> Client:
    return Client(sim.url(), device_id, sim.issue_token(device_id, "a1"), grace=0.1, reconnect=None)


def _push_two_when_bound(sim: OispSimulator, account: str, device: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if sim.actuate_sync(account, device, "LED.v1.0", {"LED": "1"}) > 0:
            sim.actuate_sync(account, device, "LED.v1.0", {"LED": "0"})
            return
        time.sleep(0.05)


def test_token_from_the_environment_or_a_file(
    capsys: pytest.CaptureFixture[str],
    oisp_simulator: OispSimulator,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    sim = oisp_simulator
    token = sim.issue_token("d1", "a1")
    listen = ["oisp", "listen", sim.url(), "--device-id", "d1", "--idle", "0.1", "--grace", "0.1"]
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    assert main(listen) == 1
    assert "no device token" in capsys.readouterr().err
    monkeypatch.setenv(TOKEN_ENV, token)
    assert main(listen) == 0
    assert sim.registrations["d1"] == 1
    monkeypatch.delenv(TOKEN_ENV)
    token_file = tmp_path / "token"
    token_file.write_text(token + "\n")
    assert main([*listen, "--token-file", str(token_file)]) == 0
    assert sim.registrations["d1"] == 2
    assert main([*listen, "--token-file", str(token_file), "--token", token]) == 1
    assert "not both" in capsys.readouterr().err
    assert main([*listen, "--token-file", str(tmp_path / "missing")]) == 1
    err = capsys.readouterr().err
    assert "cannot read --token-file" in err and token not in err


def test_simulate_switches() -> None:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers())
    faithful = parser.parse_args(["oisp", "simulate"])
    assert (faithful.duplicates, faithful.blind_window, faithful.keep_open_for_other_device) == (True, 3.0, True)
    assert faithful.key_dir == DEFAULT_KEY_DIR == ".iotws-oisp-keys"
    quiet = parser.parse_args(["oisp", "simulate", "--no-duplicates", "--blind-window", "0",
                               "--no-keep-open-for-other-device"])
    assert (quiet.duplicates, quiet.blind_window, quiet.keep_open_for_other_device) == (False, 0.0, False)
