"""The ``iotws oisp`` command line, in-process and as subprocesses against a simulator."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from iotws.cli import main
from iotws.oisp import OispSimulator
from iotws.oisp.__main__ import demo

PY = sys.executable


@pytest.fixture
def simulate_process() -> Iterator[tuple[str, str, str]]:
    """``iotws oisp simulate --port 0`` in a subprocess: (url, device id, token)."""
    proc = subprocess.Popen(
        [PY, "-m", "oisp", "simulate", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(6)]
        url = lines[0]
        fields = dict(line.split(": ", 1) for line in lines[1:])
        assert url.startswith("ws://127.0.0.1:")
        assert fields["listen"].startswith(f"iotws oisp listen {url} --device-id ")
        yield url, fields["device-id"], fields["token"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_simulate_listen_actuate_end_to_end(simulate_process: tuple[str, str, str]) -> None:
    url, device_id, token = simulate_process
    listener = subprocess.Popen(
        [PY, "-m", "oisp", "listen", url, "--device-id", device_id, "--token", token,
         "--json", "--count", "1", "--grace", "0.2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        delivered = 0
        deadline = time.monotonic() + 30
        while delivered == 0 and time.monotonic() < deadline and listener.poll() is None:
            args = ["oisp", "actuate", url, "--account-id", "demo-account", "--device-id", device_id,
                    "--param", "LED=1", "--json"]
            out = subprocess.run([PY, "-m", "oisp", *args[1:]], capture_output=True, text=True, timeout=30)
            assert out.returncode == 0, out.stderr
            delivered = json.loads(out.stdout)["delivered"]
            if delivered == 0:
                time.sleep(0.1)  # the listener is still registering
        stdout, stderr = listener.communicate(timeout=30)
    finally:
        listener.kill()
    assert listener.returncode == 0, stderr
    event = json.loads(stdout.strip().splitlines()[-1])
    assert event["type"] == "Actuation"
    assert event["command"] == "LED.v1.0" and event["params"] == {"LED": "1"}
    assert event["wire"]["content"]["deviceId"] == device_id
    assert token not in stderr


def test_watch_json_count(capsys: pytest.CaptureFixture[str], oisp_simulator: OispSimulator) -> None:
    sim = oisp_simulator
    token = sim.issue_token("d1", "a1")
    # watch prints every typed event (lifecycle changes go to stderr); push one once registered
    pusher = threading.Thread(target=_actuate_when_bound, args=(sim, "a1", "d1"), daemon=True)
    pusher.start()
    code = main(["oisp", "watch", sim.url(), "--device-id", "d1", "--token", token, "--json", "--count", "1",
                 "--grace", "0.1", "--timeout", "10"])
    pusher.join(timeout=10)
    assert code == 0
    (line,) = capsys.readouterr().out.strip().splitlines()
    assert json.loads(line)["type"] == "Actuation"


def _actuate_when_bound(sim: OispSimulator, account: str, device: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if sim.actuate_sync(account, device, "LED.v1.0", {"LED": "1"}) > 0:
            return
        time.sleep(0.05)


def test_listen_timeout_text_output(capsys: pytest.CaptureFixture[str], oisp_simulator: OispSimulator) -> None:
    sim = oisp_simulator
    token = sim.issue_token("d1", "a1")
    code = main(["oisp", "listen", sim.url(), "--device-id", "d1", "--token", token, "--timeout", "0.2",
                 "--grace", "0.1"])
    assert code == 0
    assert capsys.readouterr().out == ""


def test_listen_with_a_bad_token_is_one_error_line(
    capsys: pytest.CaptureFixture[str], oisp_simulator: OispSimulator
) -> None:
    code = main(["oisp", "listen", oisp_simulator.url(), "--device-id", "d1", "--token", "eyJ.bad.token"])
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "Invalid device token" in err and "\n" not in err
    assert "eyJ.bad.token" not in err


def test_actuate_against_in_process_simulator(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["oisp", "actuate", "--param", "LED=0", "--param", "color=red"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("actuation LED.v1.0 LED=0 color=red (device demo-001")


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


def test_demo_and_simulator_work_without_pyjwt() -> None:
    # a plain `pip install iotws` has no PyJWT/cryptography: the stdlib RS256 fallback takes over
    code = (
        "import sys; sys.modules['jwt'] = None; sys.modules['cryptography'] = None\n"
        "from iotws.oisp.tokens import have_pyjwt\n"
        "assert not have_pyjwt()\n"
        "from iotws.oisp.__main__ import demo\n"
        "rows = []\n"
        "demo(0.5, lambda p, n, v: rows.append((p, n, v)))\n"
        "assert ('oisp', 'demo-001 registered', 'yes') in rows, rows\n"
        "print('ok', len(rows))\n"
    )
    out = subprocess.run([PY, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("ok")
