"""Row 8: the codec's pre-bound packers and unpackers, per value, against ``struct``.

The subject is ``codec.packer(dtype, layout)`` / ``codec.unpacker(dtype, layout)`` (``length=``
for ``string`` and ``hexa``), bound once outside the loop and called as ``pack(buf, address,
value)`` / ``unpack(buf, address)`` in a hot loop, as a user's code calls them. The baseline is
the cheapest plain code for the same bytes, bound the same way:

* big-endian (ABCD) and 16-bit values: a precompiled ``struct.Struct``'s ``pack_into`` /
  ``unpack_from``;
* the word-swapped (CDAB) float: ``struct`` cannot swap words, so the two halves
  (``2s2s``) around a big-endian float struct;
* ``string``: ``encode`` + NUL padding into the slice / the slice ``rstrip``-ed and decoded;
* ``hexa``: slice assignment of the bytes / ``bytes`` of the slice.

A bare ``pack_into`` checks nothing before it writes; the codec checks type, range and address
first (and leaves the buffer untouched on error), which the ratio includes. The two rows of
the by-address functions (``codec.pack``/``codec.unpack`` with the type each call) and the
two of compiled ``construct`` (what :mod:`iotws.memory` maps build on) are shown for reference,
without a budget.
"""

from __future__ import annotations

import struct
import timeit
from typing import Any

from tests.bench.harness import Context, Result, Sample, cost_result, error, interleave, na, timed

PACK_BUDGET = 2.0
UNPACK_BUDGET = 1.5
TEXT_BUDGET = 3.0
ADDRESS = 100
TEXT_LENGTH = 16


def _timer(stmt: str, **names: Any) -> timeit.Timer:
    """A timer whose names are locals of the timed function, as in a real hot loop."""
    setup = "; ".join(f"{name} = _{name}" for name in names) or "pass"
    return timeit.Timer(stmt, setup=setup, globals={f"_{k}": v for k, v in names.items()})


def _sample(timer: timeit.Timer, number: int) -> Any:
    return lambda: timed(lambda: timer.timeit(number), number)


def _cases() -> list[tuple[str, float, timeit.Timer, timeit.Timer]]:
    """(row, budget, baseline timer, subject timer); raises AttributeError/TypeError if the API is missing."""
    from iotws import codec
    from iotws.codec import DataType, Layout

    buf = bytearray(256)
    packer, unpacker = codec.packer, codec.unpacker  # type: ignore[attr-defined]
    cases = []
    for dtype, layout, code, value in (
        (DataType.UINT16, Layout.ABCD, ">H", 0x1234),
        (DataType.INT32, Layout.ABCD, ">i", -123456),
        (DataType.FLOAT, Layout.ABCD, ">f", 21.5),
    ):
        compiled = struct.Struct(code)
        p, u = packer(dtype, layout), unpacker(dtype, layout)
        p(buf, ADDRESS, value)
        if u(buf, ADDRESS) != value:
            raise RuntimeError(f"{dtype} {layout}: packer/unpacker do not round-trip {value!r}")
        label = f"{dtype.short_name} {layout.value}"
        cases.append(
            (
                f"8 codec pack {label}: packer() / struct",
                PACK_BUDGET,
                _timer("f(b, a, v)", f=compiled.pack_into, b=buf, a=ADDRESS, v=value),
                _timer("p(b, a, v)", p=p, b=buf, a=ADDRESS, v=value),
            )
        )
        cases.append(
            (
                f"8 codec unpack {label}: unpacker() / struct",
                UNPACK_BUDGET,
                _timer("f(b, a)[0]", f=compiled.unpack_from, b=buf, a=ADDRESS),
                _timer("u(b, a)", u=u, b=buf, a=ADDRESS),
            )
        )
    halves, big = struct.Struct("2s2s"), struct.Struct(">f")
    p, u = packer(DataType.FLOAT, Layout.CDAB), unpacker(DataType.FLOAT, Layout.CDAB)
    p(buf, ADDRESS, 21.5)
    if u(buf, ADDRESS) != 21.5:
        raise RuntimeError("float CDAB: packer/unpacker do not round-trip")
    swap = {"s": halves, "f": big, "b": buf, "a": ADDRESS}
    cases.append(
        (
            "8 codec pack float CDAB: packer() / struct",
            PACK_BUDGET,
            _timer("d = f.pack(v); s.pack_into(b, a, d[2:], d[:2])", v=21.5, **swap),
            _timer("p(b, a, v)", p=p, b=buf, a=ADDRESS, v=21.5),
        )
    )
    cases.append(
        (
            "8 codec unpack float CDAB: unpacker() / struct",
            UNPACK_BUDGET,
            _timer("cd, ab = s.unpack_from(b, a); f.unpack(ab + cd)[0]", **swap),
            _timer("u(b, a)", u=u, b=buf, a=ADDRESS),
        )
    )
    n, end = TEXT_LENGTH, ADDRESS + TEXT_LENGTH
    text, raw = "pump 3 running", bytes(range(1, n + 1))
    for dtype, value, pack_base, unpack_base in (
        (DataType.STRING, text, "b[a:e] = v.encode().ljust(n, z)", "b[a:e].rstrip(z).decode()"),
        (DataType.HEXA, raw, "b[a:e] = v", "bytes(b[a:e])"),
    ):
        p, u = packer(dtype, length=n), unpacker(dtype, length=n)
        p(buf, ADDRESS, value)
        if u(buf, ADDRESS) != value:
            raise RuntimeError(f"{dtype}: packer/unpacker do not round-trip {value!r}")
        names = {"b": buf, "a": ADDRESS, "e": end, "n": n, "z": b"\x00"}
        cases.append(
            (
                f"8 codec pack {dtype.short_name}[{n}]: packer() / slice",
                TEXT_BUDGET,
                _timer(pack_base, v=value, **names),
                _timer("p(b, a, v)", p=p, b=buf, a=ADDRESS, v=value),
            )
        )
        cases.append(
            (
                f"8 codec unpack {dtype.short_name}[{n}]: unpacker() / slice",
                TEXT_BUDGET,
                _timer(unpack_base, **names),
                _timer("u(b, a)", u=u, b=buf, a=ADDRESS),
            )
        )
    return cases


#: The rows this module prints (so a missing API still prints every one of them, as n/a).
ROWS = [
    ("8 codec pack uint16 ABCD: packer() / struct", PACK_BUDGET),
    ("8 codec unpack uint16 ABCD: unpacker() / struct", UNPACK_BUDGET),
    ("8 codec pack int32 ABCD: packer() / struct", PACK_BUDGET),
    ("8 codec unpack int32 ABCD: unpacker() / struct", UNPACK_BUDGET),
    ("8 codec pack float ABCD: packer() / struct", PACK_BUDGET),
    ("8 codec unpack float ABCD: unpacker() / struct", UNPACK_BUDGET),
    ("8 codec pack float CDAB: packer() / struct", PACK_BUDGET),
    ("8 codec unpack float CDAB: unpacker() / struct", UNPACK_BUDGET),
    (f"8 codec pack string[{TEXT_LENGTH}]: packer() / slice", TEXT_BUDGET),
    (f"8 codec unpack string[{TEXT_LENGTH}]: unpacker() / slice", TEXT_BUDGET),
    (f"8 codec pack hexa[{TEXT_LENGTH}]: packer() / slice", TEXT_BUDGET),
    (f"8 codec unpack hexa[{TEXT_LENGTH}]: unpacker() / slice", TEXT_BUDGET),
]


def _reference(number: int) -> list[tuple[str, timeit.Timer, timeit.Timer]]:
    """For reference: the by-address functions (type given on every call) and construct, float."""
    from iotws.codec import DataType, Layout, pack, unpack
    from iotws.memory import to_construct

    buf = bytearray(256)
    halves, big = struct.Struct("2s2s"), struct.Struct(">f")
    swap = {"s": halves, "f": big, "b": buf, "a": ADDRESS}
    con = to_construct(DataType.FLOAT).compile()
    return [
        (
            "8 construct (compiled) build float ABCD / struct",
            _timer("f(b, a, v)", f=big.pack_into, b=buf, a=ADDRESS, v=21.5),
            _timer("b[a:e] = c.build(v)", c=con, b=buf, a=ADDRESS, e=ADDRESS + 4, v=21.5),
        ),
        (
            "8 construct (compiled) parse float ABCD / struct",
            _timer("f(b, a)[0]", f=big.unpack_from, b=buf, a=ADDRESS),
            _timer("c.parse(b[a:e])", c=con, b=buf, a=ADDRESS, e=ADDRESS + 4),
        ),
        (
            "8 codec.pack(buf, address, FLOAT, v, CDAB) / struct",
            _timer("d = f.pack(v); s.pack_into(b, a, d[2:], d[:2])", v=21.5, **swap),
            _timer("p(b, a, t, v, l)", p=pack, b=buf, a=ADDRESS, t=DataType.FLOAT, v=21.5, l=Layout.CDAB),
        ),
        (
            "8 codec.unpack(buf, address, FLOAT, CDAB) / struct",
            _timer("cd, ab = s.unpack_from(b, a); f.unpack(ab + cd)[0]", **swap),
            _timer("u(b, a, t, l)", u=unpack, b=buf, a=ADDRESS, t=DataType.FLOAT, l=Layout.CDAB),
        ),
    ]


def rows_codec(ctx: Context) -> list[Result]:
    """Row 8: pre-bound pack/unpack per value over struct (and the by-address functions, for reference)."""
    number = ctx.count(100_000, 100)
    rounds = ctx.rounds if ctx.quick else max(ctx.rounds, 15)
    out: list[Result] = []
    try:
        cases = _cases()
    except (AttributeError, TypeError) as exc:
        why = (
            "iotws.codec has no pre-bound packer()/unpacker() yet"
            if isinstance(exc, AttributeError)
            else f"iotws.codec.packer/unpacker do not take (dtype, layout) / (dtype, length=n): {exc}"
        )
        out.extend(na(row, "cost", budget, why) for row, budget in ROWS)
        cases = []
    except Exception as exc:
        out.extend(error(row, "cost", budget, exc) for row, budget in ROWS)
        cases = []
    for row, budget, base, subject in cases:
        try:
            pairs: list[tuple[Sample, Sample]] = interleave(
                _sample(base, number), _sample(subject, number), rounds, ctx.warmup
            )
            out.append(cost_result(row, pairs, budget))
        except Exception as exc:
            out.append(error(row, "cost", budget, exc))
    for row, base, subject in _reference(number):
        try:
            out.append(cost_result(row, interleave(_sample(base, number), _sample(subject, number), rounds, 0), None))
        except Exception as exc:
            out.append(error(row, "cost", None, exc))
    return out
