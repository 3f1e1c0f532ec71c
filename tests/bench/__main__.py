"""``python -m tests.bench [--quick] [--only 1,2,6] [--rounds N]``: every benchmark row, one table.

``nox -s bench`` runs it (with the peer ``evok-ws-client`` 0.0.4 installed). Rows:

1.  EVOK AsyncClient stream vs the PyPI peer ``evok-ws-client`` on the same frames (ai, ro)
2.  async typed stream vs raw aiohttp + json.loads (cbor2.loads for Xentara), 5 protocols
3.  ``events(timeout=10)`` vs ``events()``, 5 protocols
4.  sync typed stream vs raw websocket-client + json.loads, 5 protocols
5.  request overhead over a raw lock-step round trip: Xentara ``read()``, OISP ``ping()``, async and sync
6.  EVOK ``ai`` event and 30-device ``all`` reply -> models, vs json.loads
7.  Xentara 8-event message -> typed events, vs cbor2.loads
8.  codec pre-bound pack/unpack per value vs struct (and the by-address functions, for reference)
9.  memory per async connection at 10,000 connections
10. pipelined Xentara reads vs the raw pipelined loop
11. import time of each package for a sync-only program vs ``import websocket``
12. Globiots 50-address realtime push -> typed values, vs json.loads
13. the OISP Gateway registering 1,000 devices on the simulator: memory per device
14. events through ``iotws bridge`` into an MQTT broker for 1,000 EVOK devices, vs the clients alone

Every server runs in a process of its own; see :mod:`tests.bench.harness` for how rows are
measured and read. The exit status is 1 when a row misses its budget on the median (or could
not be measured: ``n/a``, ``ERROR``). ``--quick`` runs one tiny round per row with small
counts, to check that the harness works (``tests/test_bench.py``): its figures mean nothing,
and only an ``ERROR`` sets its exit status.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version

from tests.bench import bridge, calls, decode, imports, memory, packing, streams
from tests.bench.harness import Context, Result, Servers, error, table

#: Row number -> the functions that measure it (in the order the table lists them).
ROWS: dict[int, list[Callable[[Context], list[Result]]]] = {
    1: [streams.rows_peer],
    2: [streams.rows_async],
    3: [streams.rows_timeout],
    4: [streams.rows_sync],
    5: [calls.rows_overhead],
    6: [decode.rows_evok],
    7: [decode.rows_xentara],
    8: [packing.rows_codec],
    9: [memory.rows_memory],
    10: [calls.rows_pipelined],
    11: [imports.rows_imports],
    12: [decode.rows_globiots],
    13: [memory.rows_gateway],
    14: [bridge.rows_bridge],
}
ROUNDS = 7


def _versions() -> str:
    found = []
    for name in ("aiohttp", "websocket-client", "cbor2", "msgspec", "orjson", "websockets", "evok-ws-client"):
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} -")
    return ", ".join(found)


def _machine() -> str:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{platform.python_implementation()} {platform.python_version()} on {platform.machine()} "
        f"{platform.system()} {platform.release()}, {os.cpu_count()} CPUs, load average {load}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one tiny round per row: check the harness, not budgets")
    parser.add_argument("--only", default="", help="comma-separated row numbers (default: all)")
    parser.add_argument("--rounds", type=int, default=None, help=f"measured rounds per row (default {ROUNDS})")
    args = parser.parse_args(argv)
    chosen = sorted(int(n) for n in args.only.split(",") if n.strip()) if args.only else sorted(ROWS)
    unknown = [n for n in chosen if n not in ROWS]
    if unknown:
        parser.error(f"no row {unknown[0]} (rows: 1-{max(ROWS)})")
    rounds = args.rounds or (1 if args.quick else ROUNDS)
    if not args.quick and rounds < 5:
        parser.error("a full run needs --rounds >= 5")
    ctx = Context(quick=args.quick, rounds=rounds, warmup=0 if args.quick else 1, servers=Servers())
    started = time.perf_counter()
    print(f"iotws benchmarks{' (quick: one tiny round per row, figures mean nothing)' if args.quick else ''}")
    print(f"machine: {_machine()}")
    print(f"libraries: {_versions()}")
    print(f"rounds: {rounds} measured (+{ctx.warmup} warm-up) per row, baseline and subject interleaved", flush=True)
    results: list[Result] = []
    try:
        for number in chosen:
            for measure in ROWS[number]:
                row_started = time.perf_counter()
                try:
                    got = measure(ctx)
                except Exception as exc:  # a bug in a row function: report it, go on with the others
                    got = [error(f"{number} {measure.__name__}", "rate", None, exc)]
                results.extend(got)
                print(
                    f"  row {number} ({measure.__name__}): {time.perf_counter() - row_started:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        ctx.servers.stop_all()
    print()
    print(table(results))
    print()
    print(
        f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
        f"{time.perf_counter() - started:.0f} s in all"
    )
    verdicts = [r.status for r in results]
    if args.quick:
        print("quick mode: figures and verdicts are not meaningful and do not set the exit status")
        return 1 if "ERROR" in verdicts else 0
    missed = [r.row for r in results if r.status in ("FAIL", "n/a", "ERROR")]
    print(f"{len(missed)} of {len(results)} rows miss their budget" if missed else "every budget met")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
