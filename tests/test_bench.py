"""The benchmark harness runs: ``python -m tests.bench --quick`` prints every row of its one table.

Quick mode is one tiny round per row with small counts, every server in its own process as
in a full run. This test checks that the harness works and that the table lists every row;
it never looks at a figure or a verdict (timing claims are ``nox -s bench``'s, not the test
suite's). Rows that cannot run here (the PyPI peer evok-ws-client is installed by the bench
session only) print ``n/a`` with the reason.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROTOCOLS = ("evok", "globiots", "xentara", "oisp", "farmws")
VERDICTS = ("PASS", "FAIL", "n/a", "info")

#: Every row the table must print, by the start of its label.
EXPECTED = [
    "1 EVOK ai stream: AsyncClient / evok-ws-client",
    "1 EVOK ro stream: AsyncClient / evok-ws-client",
    *(f"2 async stream {p}: events() / aiohttp" for p in PROTOCOLS),
    *(f"3 events(timeout=10) {p}: / events()" for p in PROTOCOLS),
    *(f"4 sync stream {p}: events() / websocket-client" for p in PROTOCOLS),
    "5 request overhead async: Xentara read()",
    "5 request overhead async: OISP ping()",
    "5 request overhead sync: Xentara read()",
    "5 request overhead sync: OISP ping()",
    "6 EVOK ai event -> models",
    "6 EVOK 30-device all -> models",
    "7 Xentara 8-event message -> events",
    *(
        f"8 codec {op} {t}: {'packer' if op == 'pack' else 'unpacker'}()"
        for t in ("uint16 ABCD", "int32 ABCD", "float ABCD", "float CDAB", "string[16]", "hexa[16]")
        for op in ("pack", "unpack")
    ),
    *(f"9 memory per connection {p} (shared session)" for p in PROTOCOLS),
    "9 memory per connection oisp (own session)",
    "10 pipelined Xentara reads",
    *(f"11 import iotws.{p} (sync) / import websocket" for p in PROTOCOLS),
    "12 Globiots 50-address push -> values",
    "13 OISP Gateway",
]


@pytest.mark.timeout(600)
def test_quick_mode_prints_every_row() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 0, f"exit {done.returncode}\n{out}\n{done.stderr[-3000:]}"
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("row "))
    for column in ("baseline", "subject", "min / median / max", "CPU", "budget", "verdict"):
        assert column in lines[header]
    rows = []
    for line in lines[header + 2 :]:
        if not line.strip():
            break
        rows.append(line)
    for label in EXPECTED:
        found = [row for row in rows if row.startswith(label)]
        assert len(found) == 1, f"row {label!r}: {len(found)} lines in\n{out}"
    for row in rows:
        assert row.split()[-1] in VERDICTS, f"a row that did not run: {row}\n{out}"
    assert "quick mode" in out
