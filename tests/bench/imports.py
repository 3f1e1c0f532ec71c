"""Row 11 (kept from the former bench_imports.py): a sync-only program's import time.

Every sample is a fresh interpreter that times ``import iotws.<p>; iotws.<p>.Client`` (or
``import websocket``, the sync driver's own library, which every sync client needs anyway)
with ``time.perf_counter`` and ``time.process_time`` around the import, so the interpreter's
start-up is not in the number. Bytecode caches are written and warm before the first round,
as after ``pip install``. The figure is the import time over ``import websocket``'s.
"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.bench.harness import Context, Result, Sample, cost_result, error, interleave

PROTOCOLS = ("globiots", "evok", "xentara", "oisp", "farmws")
BUDGET = 3.0

_TIMED = (
    "import time, importlib\n"
    "wall, cpu = time.perf_counter(), time.process_time()\n"
    "module = importlib.import_module({module!r})\n"
    "getattr(module, 'Client', None)\n"
    "print(time.perf_counter() - wall, time.process_time() - cpu)\n"
)


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # users' installs have their bytecode compiled
    return env


def sample(module: str) -> Sample:
    """A fresh interpreter's wall and CPU seconds importing ``module``."""
    done = subprocess.run(
        [sys.executable, "-c", _TIMED.format(module=module)],
        capture_output=True,
        text=True,
        check=True,
        env=_environment(),
    )
    wall, cpu = (float(x) for x in done.stdout.split())
    return Sample(wall, cpu, 1)


def rows_imports(ctx: Context) -> list[Result]:
    """Row 11: import time of each protocol package for a sync-only program / ``import websocket``."""
    out = []
    rounds = ctx.rounds if ctx.quick else max(ctx.rounds, 11)
    for module in ("websocket", *(f"iotws.{p}" for p in PROTOCOLS)):  # warm the bytecode and the file cache
        sample(module)
    for protocol in PROTOCOLS:
        name = f"11 import iotws.{protocol} (sync) / import websocket"
        try:
            pairs = interleave(lambda: sample("websocket"), lambda p=protocol: sample(f"iotws.{p}"), rounds, 0)
            out.append(cost_result(name, pairs, BUDGET, kind="import"))
        except Exception as exc:
            out.append(error(name, "import", BUDGET, exc))
    return out
