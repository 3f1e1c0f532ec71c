"""Globiots: decoding a realtime push with 50 addresses into typed values, against ``json.loads``.

Run as ``python tests/bench/bench_globiots.py``. The baseline is the stdlib ``json.loads`` of the
same frame text, measured in this run; the measured path is ``RealtimeCore.receive(frame)``,
which parses the JSON (orjson when installed, else the stdlib), builds a typed
``RealtimeUpdate`` with 50 ``PointValue`` entries (each value decoded through the common codec)
and refreshes the latest-value table. Every number is the best of several rounds. Budget
(issue 3): at most 3x. Exit status 1 when the budget fails.
"""

from __future__ import annotations

import json
import math
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from iotws.globiots.protocol import RealtimeCore

BUDGET = 3.0
ROUNDS = 15
NUMBER = 1_000

TYPES = [
    ("float", 4, lambda i: f"{20 + 5 * math.sin(i):.2f}"),
    ("unsigned_integer_16", 2, lambda i: str(i * 37 % 65536)),
    ("integer_16", 2, lambda i: str(-i * 11)),
    ("unsigned_integer_32", 4, lambda i: str(i * 100_003)),
    ("integer_32", 4, lambda i: str(-i * 70_001)),
    ("byte", 1, lambda i: str(i % 256)),
    ("hexa", 4, lambda i: f"{i * 2654435761 % 2**32:08X}"),
]


def frame(addresses: int = 50) -> str:
    """A realtime push over two devices, several types, ``addresses`` entries in all."""
    changes = ["INCREASE", "DECREASE", "UNCHNAGED"]
    objects = []
    for host in ("0.0.0.1", "0.0.0.2"):
        entries = []
        for i in range(addresses // 2):
            name, length, value = TYPES[i % len(TYPES)]
            entries.append({"address": f"{0x2000 + 4 * i:04X}", "dataType": name, "length": length,
                            "value": value(i), "changeOfValue": changes[i % 3]})
        objects.append({"hostname": host, "addresses": entries})
    return json.dumps({"updateTime": 1, "timezone": "GMT+07:00", "timestamp": 1451380750978, "sessionId": "",
                       "objects": objects})


def best_pair(baseline: timeit.Timer, measured: timeit.Timer) -> tuple[float, float]:
    """Seconds per call of each, best of ``ROUNDS`` rounds that alternate the two.

    Alternating keeps a busy machine from loading one side more than the other.
    """
    base, meas = [], []
    for _ in range(ROUNDS):
        base.append(baseline.timeit(NUMBER) / NUMBER)
        meas.append(measured.timeit(NUMBER) / NUMBER)
    return min(base), min(meas)


def main() -> int:
    text = frame()
    core = RealtimeCore()
    update = core.receive(text)[0]
    assert len(update.values) == 50 and all(v.value is not None for v in update.values)  # type: ignore[attr-defined]
    baseline, typed = best_pair(timeit.Timer(lambda: json.loads(text)), timeit.Timer(lambda: core.receive(text)))
    ratio = typed / baseline
    verdict = "PASS" if ratio <= BUDGET else "FAIL"
    print(f"globiots realtime push, 50 addresses, {len(text)} chars")
    print(f"  json.loads (baseline)      {baseline * 1e6:8.1f} us")
    print(f"  RealtimeCore.receive       {typed * 1e6:8.1f} us   {ratio:5.2f}x  (budget <= {BUDGET:g}x)  {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
