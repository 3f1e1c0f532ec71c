"""Codec scalar pack/unpack by address against precompiled struct and against construct.

Run as ``python tests/bench/bench_codec.py``. Every number is the best of several rounds, the
rounds of all timers interleaved, and every ratio compares numbers measured in this run.

Budget (DESIGN.md): codec <= 2x precompiled ``struct.Struct``. The struct baseline is one bare
``unpack_from``/``pack_into`` for big-endian and 16-bit values; struct cannot swap words, so for
the CDAB float it is the cheapest struct code for the swap (``2s2s`` halves around a float
struct), and ``codec/bare`` gives the ratio to a bare big-endian float beside it. A bare
``pack_into`` checks nothing before it writes (it zeroes its target when the value is bad),
so for pack rows the script also times struct with the codec's checks written inline, to show
what the checks cost. Exit status 1 when a budget fails.
"""

from __future__ import annotations

import struct
import sys
import timeit
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from iotws.codec import DataType, Layout, pack, unpack
from iotws.memory import to_construct

BUDGET = 2.0
ADDRESS = 100
NUMBER = 100_000
ROUNDS = 15


def timer(stmt: str, **names: Any) -> timeit.Timer:
    """A timer whose names are locals of the timed function, as in a real hot loop."""
    setup = "; ".join(f"{name} = _{name}" for name in names) or "pass"
    return timeit.Timer(stmt, setup=setup, globals={f"_{k}": v for k, v in names.items()})


def cases() -> tuple[list[tuple[str, timeit.Timer, timeit.Timer, timeit.Timer]], dict[str, timeit.Timer]]:
    """(label, struct baseline, codec, construct) per operation; struct with inline checks per pack."""
    buf = bytearray(range(256))
    rows = []
    checked: dict[str, timeit.Timer] = {}
    for dtype, code, value in (
        (DataType.UINT16, ">H", 0x1234),
        (DataType.INT32, ">i", -123456),
        (DataType.FLOAT, ">f", 21.5),
    ):
        compiled = struct.Struct(code)
        size = compiled.size
        con = to_construct(dtype).compile()
        end = ADDRESS + size
        rows.append(
            (
                f"unpack {dtype.short_name} ABCD",
                timer("f(b, a)[0]", f=compiled.unpack_from, b=buf, a=ADDRESS),
                timer("f(b, a, t)", f=unpack, b=buf, a=ADDRESS, t=dtype),
                timer("c.parse(b[a:e])", c=con, b=buf, a=ADDRESS, e=end),
            )
        )
        kind, lo, hi = (float, -3.4e38, 3.4e38) if dtype is DataType.FLOAT else (int, dtype.min, dtype.max)
        checked[f"pack {dtype.short_name} ABCD"] = timer(
            "if v.__class__ is k and lo <= v <= hi and a >= 0: f(b, a, v)",
            f=compiled.pack_into,
            b=buf,
            a=ADDRESS,
            v=value,
            k=kind,
            lo=lo,
            hi=hi,
        )
        rows.append(
            (
                f"pack {dtype.short_name} ABCD",
                timer("f(b, a, v)", f=compiled.pack_into, b=buf, a=ADDRESS, v=value),
                timer("f(b, a, t, v)", f=pack, b=buf, a=ADDRESS, t=dtype, v=value),
                timer("b[a:e] = c.build(v)", c=con, b=buf, a=ADDRESS, e=end, v=value),
            )
        )
    halves, big_float = struct.Struct("2s2s"), struct.Struct(">f")
    con = to_construct(DataType.FLOAT, Layout.CDAB).compile()
    swapped = {"s": halves, "f": big_float, "b": buf, "a": ADDRESS}
    rows.append(
        (
            "unpack float CDAB",
            timer("cd, ab = s.unpack_from(b, a); f.unpack(ab + cd)[0]", **swapped),
            timer("u(b, a, t, layout=l)", u=unpack, b=buf, a=ADDRESS, t=DataType.FLOAT, l=Layout.CDAB),
            timer("c.parse(b[a:e])", c=con, b=buf, a=ADDRESS, e=ADDRESS + 4),
        )
    )
    rows.append(
        (
            "pack float CDAB",
            timer("d = f.pack(v); s.pack_into(b, a, d[2:], d[:2])", v=21.5, **swapped),
            timer("p(b, a, t, v, layout=l)", p=pack, b=buf, a=ADDRESS, t=DataType.FLOAT, v=21.5, l=Layout.CDAB),
            timer("b[a:e] = c.build(v)", c=con, b=buf, a=ADDRESS, e=ADDRESS + 4, v=21.5),
        )
    )
    return rows, checked


def best_ns(timers: list[timeit.Timer]) -> list[float]:
    """Best time per operation of each timer, interleaving the rounds to share any noise."""
    best = [float("inf")] * len(timers)
    for _ in range(ROUNDS):
        for index, each in enumerate(timers):
            best[index] = min(best[index], each.timeit(NUMBER) / NUMBER * 1e9)
    return best


def main() -> int:
    rows, checked = cases()
    labels = [label for label, *_ in rows]
    timings = best_ns([each for _, *timers in rows for each in timers] + list(checked.values()))
    results = {label: timings[3 * index : 3 * index + 3] for index, label in enumerate(labels)}
    inline = dict(zip(checked, timings[3 * len(rows) :], strict=True))
    print(
        f"{'operation':20} {'struct':>8} {'codec':>8} {'construct':>10} "
        f"{'codec/struct':>13} {'codec/construct':>16} {'codec/bare':>11}  budget"
    )
    failed = False
    for label, (base, ours, con) in results.items():
        bare = results[label.split()[0] + " float ABCD"][0]
        ratio = ours / base
        failed = failed or ratio > BUDGET
        print(
            f"{label:20} {base:8.1f} {ours:8.1f} {con:10.1f} {ratio:12.2f}x "
            f"{ours / con:15.2f}x {ours / bare:10.2f}x  {'PASS' if ratio <= BUDGET else 'FAIL'}"
        )
    print(f"ns per operation, best of {ROUNDS} rounds of {NUMBER:,}; budget: codec <= {BUDGET}x struct")
    print("struct with the codec's checks inline (type, range, address), for the pack rows:")
    for label, ns in inline.items():
        ours = results[label][1]
        print(f"  {label:18} {ns:8.1f} ns; codec {ours / ns:.2f}x of it, bare pack_into {results[label][0] / ns:.2f}x")
    print("FAIL" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
