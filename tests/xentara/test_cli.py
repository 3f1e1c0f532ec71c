"""The ``iotws xentara`` verbs (``python -m iotws.xentara``), in-process against the simulator,
and ``simulate`` as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from iotws.cli import protocol_main
from iotws.xentara.__main__ import demo
from iotws.xentara.simulator import XentaraSimulator


@pytest.fixture
def plain_sim() -> Iterator[XentaraSimulator]:
    with XentaraSimulator(users={"op": "pw"}, update_interval=0.02).run() as sim:
        yield sim


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = protocol_main("xentara", list(argv))  # what python -m iotws.xentara runs
    out, err = capsys.readouterr()
    return status, out, err


def test_browse_prints_the_tree(plain_sim: XentaraSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "browse", plain_sim.url(), "--user", "op", "--password", "pw")
    assert status == 0
    lines = out.splitlines()
    assert lines[0].startswith("Group 1  [element_group]")
    assert lines[1].startswith("  Data Point 1  [data_point]")
    status, out, _ = run(capsys, "browse", plain_sim.url(), "Plant", "--user", "op", "--password", "pw")
    assert status == 0 and out.splitlines()[0].startswith("Temperature")


def test_read_write_lookup(plain_sim: XentaraSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    auth = ("--user", "op", "--password", "pw")
    assert run(capsys, "write", plain_sim.url(), "Group 1.Setpoint", "12.5", *auth)[0] == 0
    status, out, _ = run(capsys, "read", plain_sim.url(), "Group 1.Setpoint", "--json", *auth)
    rec = json.loads(out)
    assert status == 0 and (rec["type"], rec["point"], rec["name"], rec["value"]) == (
        "value", "Group 1.Setpoint", "Setpoint", 12.5
    )
    status, out, _ = run(capsys, "read", plain_sim.url(), "Group 1.Setpoint", *auth)
    assert status == 0 and out == "Group 1.Setpoint  12.5\n"
    status, out, _ = run(capsys, "read", plain_sim.url(), "Group 1.Label", "--attribute", "quality", *auth)
    assert status == 0 and out == "Group 1.Label  QUALITY=GOOD\n"  # the quality by name
    status, _, err = run(capsys, "write", plain_sim.url(), "Group 1.Setpoint", "500", *auth, "-q")
    assert status == 1 and err.startswith("error:") and "out of range" in err
    status, out, _ = run(capsys, "lookup", plain_sim.url(), "Group 1", "Plant", *auth)
    assert status == 0 and [line.split("  ")[0] for line in out.splitlines()] == ["Group 1", "Plant"]
    status, out, _ = run(capsys, "lookup", plain_sim.url(), "Plant", "--json", *auth)
    rec = json.loads(out)
    assert (rec["type"], rec["point"], rec["kind"]) == ("element", "Plant", None) and len(rec["detail"]["uuid"]) == 36
    status, _, err = run(capsys, "lookup", plain_sim.url(), "Nope", *auth)
    assert status == 1 and "unknown element" in err


def test_bad_credentials_is_one_line(plain_sim: XentaraSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "read", plain_sim.url(), "Group 1.Setpoint", "--user", "op", "--password", "x",
                           "-q")
    assert status == 1 and out == "" and err.count("\n") == 1 and "401" in err


def test_watch_json_count(plain_sim: XentaraSimulator, capsys: pytest.CaptureFixture[str]) -> None:
    auth = ("--user", "op", "--password", "pw")
    status, out, _ = run(capsys, "watch", plain_sim.url(), "Group 1.Data Point 1", "--json", "--count", "3", *auth)
    assert status == 0
    events = [json.loads(line) for line in out.splitlines()]
    assert len(events) == 3 and all(e["type"] == "value" and isinstance(e["value"], float) for e in events)
    assert all(e["point"] == "Group 1.Data Point 1" for e in events)  # the key the watch looked up
    assert all(e["detail"]["timestamp"].endswith("Z") and len(e["detail"]["element"]) == 36 for e in events)


def test_watch_prints_paths_and_attribute_names(
    plain_sim: XentaraSimulator, capsys: pytest.CaptureFixture[str]
) -> None:
    auth = ("--user", "op", "--password", "pw")
    flags = ("--attribute", "value", "--attribute", "quality", "--count", "2", "--min-rate", "20")
    status, out, _ = run(capsys, "watch", plain_sim.url(), "Plant.Temperature", *flags, *auth)
    assert status == 0
    lines = out.splitlines()
    assert len(lines) == 2
    for line in lines:  # "12:00:01.234  Plant.Temperature  21.5 QUALITY=GOOD": local time, path, values
        clock, path, values = line.split("  ")
        assert clock.count(":") == 2 and path == "Plant.Temperature"
        value, *others = values.split(" ")
        assert float(value) and set(others) <= {"QUALITY=GOOD"}
        assert "Timestamp(" not in line and "UUID(" not in line and "<Attribute" not in line


def test_secrets_from_a_file_or_the_environment_are_never_shown(
    plain_sim: XentaraSimulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from iotws.xentara.__main__ import PASSWORD_ENV

    read = ("read", plain_sim.url(), "Group 1.Setpoint", "--user", "op", "-vv")  # -vv: frames and headers logged
    secret = tmp_path / "password"
    secret.write_text("pw\n")
    status, out, err = run(capsys, *read, "--password-file", str(secret))
    assert status == 0 and out.startswith("Group 1.Setpoint  ")
    assert "cHc=" not in err and "b3A6cHc=" not in err  # base64 of the password and of op:pw
    monkeypatch.setenv(PASSWORD_ENV, "pw")
    status, out, err = run(capsys, *read)
    assert status == 0 and out.startswith("Group 1.Setpoint  ") and "b3A6cHc=" not in err
    monkeypatch.setenv(PASSWORD_ENV, "wrong")
    status, _, err = run(capsys, *read[:-1], "-q")
    assert status == 1 and "401" in err and "wrong" not in err
    status, _, err = run(capsys, *read[:-1], "--password", "pw", "--password-file", str(secret), "-q")
    assert status == 1 and err == "error: pass either --password or --password-file, not both\n"
    status, _, err = run(capsys, *read[:-1], "--password-file", str(tmp_path / "missing"), "-q")
    assert status == 1 and "cannot read --password-file" in err


def test_demo_reports_values() -> None:
    seen: list[tuple[str, str, str]] = []
    demo(0.5, lambda *row: seen.append(row))
    assert seen and all(protocol == "xentara" for protocol, _, _ in seen)


WATCH_FLAGS = ("--insecure", "--json", "--count", "3")


def test_simulate_subprocess_with_tls_and_insecure_watch(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "iotws.xentara", "simulate", "--port", "0", "--update-interval", "0.02"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("wss://127.0.0.1:") and url.endswith("/api/ws")
        watch = subprocess.run(
            [sys.executable, "-m", "iotws.xentara", "watch", url, "Group 1.Data Point 1", *WATCH_FLAGS],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert watch.returncode == 0, watch.stderr
        assert [json.loads(line)["type"] for line in watch.stdout.splitlines()] == ["value"] * 3
        refused = subprocess.run(
            [sys.executable, "-m", "iotws.xentara", "browse", url], capture_output=True, text=True, timeout=60
        )
        assert refused.returncode == 1 and "certificate" in refused.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_self_signed_certificate_without_cryptography_says_what_to_install() -> None:
    """R19: without cryptography the self-signed TLS path is a UsageError naming the extra, not an ImportError."""
    code = (
        "import sys; sys.modules['cryptography'] = None\n"
        "from iotws.errors import UsageError\n"
        "from iotws.xentara.simulator import self_signed_context\n"
        "try:\n"
        "    self_signed_context()\n"
        "except UsageError as exc:\n"
        "    print('refused:', exc)\n"
        "from iotws.cli import protocol_main\n"
        "sys.exit(protocol_main('xentara', ['simulate', '--port', '0']))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.startswith("refused: ") and "pip install 'iotws[simulators]'" in out.stdout, out
    assert out.returncode == 1
    err = out.stderr.strip()
    assert err.startswith("error: ") and "\n" not in err and "Traceback" not in err
    assert "pip install 'iotws[simulators]'" in err and "--plain" in err
