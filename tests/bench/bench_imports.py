"""Import time of each protocol package for a sync-only program, as a ratio to ``import websocket``.

Run as ``python tests/bench/bench_imports.py``. Every sample is a fresh interpreter that times
``import iotws.<p>; iotws.<p>.Client`` (or ``import websocket``, the sync driver's own library,
which every sync client needs anyway) with ``time.perf_counter`` around the import, so the
interpreter's start-up is not in the number. Bytecode caches are written and warm before the
first round, as they are after ``pip install``. Baseline and subject alternate within each round,
and the ratio is taken per round; the table shows min/median/max of those ratios and the median
of the absolute times (the machine is shared: only the ratios mean much).

Budget: the median ratio of every protocol <= 3.0 (before the lean-import work, ``import evok``
was about 5.5x ``import websocket`` on the development machine). Exit status 1 when it fails.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys

PROTOCOLS = ("globiots", "evok", "xentara", "oisp", "farmws")
ROUNDS = 15
BUDGET = 3.0

_TIMED = (
    "import time, importlib\n"
    "start = time.perf_counter()\n"
    "module = importlib.import_module({module!r})\n"
    "getattr(module, 'Client', None)\n"
    "print(time.perf_counter() - start)\n"
)


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # users' installs have their bytecode compiled
    return env


def sample(module: str) -> float:
    """Seconds a fresh interpreter spends importing ``module``."""
    done = subprocess.run(
        [sys.executable, "-c", _TIMED.format(module=module)],
        capture_output=True,
        text=True,
        check=True,
        env=_environment(),
    )
    return float(done.stdout.strip())


def main() -> int:
    """Measure, print the table, return the exit status."""
    subjects = [f"iotws.{name}" for name in PROTOCOLS]
    for module in ("websocket", *subjects):  # warm the bytecode and the OS file cache
        sample(module)
    ratios: dict[str, list[float]] = {module: [] for module in subjects}
    times: dict[str, list[float]] = {module: [] for module in ("websocket", *subjects)}
    for round_number in range(ROUNDS):
        for module in subjects:
            pair = [("websocket", 0.0), (module, 0.0)]
            if round_number % 2:  # alternate which of the two goes first
                pair.reverse()
            measured = {name: sample(name) for name, _ in pair}
            times["websocket"].append(measured["websocket"])
            times[module].append(measured[module])
            ratios[module].append(measured[module] / measured["websocket"])
    print(f"import time of a sync-only program, ratio to `import websocket` ({ROUNDS} rounds, interleaved)")
    print(f"{'package':18s} {'min':>6s} {'median':>7s} {'max':>6s}   median ms")
    baseline_ms = statistics.median(times["websocket"]) * 1e3
    print(f"{'websocket':18s} {'1.00':>6s} {'1.00':>7s} {'1.00':>6s}   {baseline_ms:8.1f}")
    failed = []
    for module in subjects:
        r = ratios[module]
        median = statistics.median(r)
        mark = "" if median <= BUDGET else f"  over budget ({BUDGET:g})"
        print(
            f"{module:18s} {min(r):6.2f} {median:7.2f} {max(r):6.2f}   "
            f"{statistics.median(times[module]) * 1e3:8.1f}{mark}"
        )
        if median > BUDGET:
            failed.append(module)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
