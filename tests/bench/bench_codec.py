"""Codec scalar pack/unpack by address against precompiled struct and against construct.

Run as ``python tests/bench/bench_codec.py``. Every number is the best of several runs, and
every ratio compares numbers measured in this run. Budget (DESIGN.md): the codec costs at most
2x the precompiled ``struct.Struct`` code that does the same job. For big-endian and 16-bit
values that code is one ``unpack_from``/``pack_into``; for a word-swapped (CDAB) float it is
the cheapest struct code for the swap (two halves with ``2s2s`` and a float struct), and the
ratio to a bare ABCD ``unpack_from`` is printed beside it. Exit status 1 when a budget fails.
"""

from __future__ import annotations

import struct
import sys
import timeit
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from common.codec import DataType, Layout, pack, unpack
from common.memory import to_construct

BUDGET = 2.0
ADDRESS = 100
NUMBER = 100_000
ROUNDS = 15


def timer(stmt: str, **names: Any) -> timeit.Timer:
    """A timer whose names are locals of the timed function, as in a real hot loop."""
    setup = "; ".join(f"{name} = _{name}" for name in names) or "pass"
    return timeit.Timer(stmt, setup=setup, globals={f"_{k}": v for k, v in names.items()})


def cases() -> list[tuple[str, timeit.Timer, timeit.Timer, timeit.Timer]]:
    """(label, struct baseline, codec, construct) for each measured operation."""
    buf = bytearray(range(256))
    rows = []
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
    return rows


def best_ns(timers: list[timeit.Timer]) -> list[float]:
    """Best time per operation of each timer, interleaving the rounds to share any noise."""
    best = [float("inf")] * len(timers)
    for _ in range(ROUNDS):
        for index, each in enumerate(timers):
            best[index] = min(best[index], each.timeit(NUMBER) / NUMBER * 1e9)
    return best


def main() -> int:
    results = {label: best_ns(timers) for label, *timers in cases()}
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
    print(
        f"ns per operation, best of {ROUNDS} rounds of {NUMBER:,}; budget: codec <= {BUDGET}x "
        "struct doing the same job; codec/bare: against a bare float32 ABCD unpack_from/pack_into"
    )
    print("FAIL" if failed else "PASS")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
