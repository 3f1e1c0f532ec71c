"""Pre-bound packers and unpackers: the same results and the same errors as pack and unpack.

``packer(dtype, layout, length)`` and ``unpacker(...)`` bind the arguments once; their calls
must write, read and refuse exactly what ``pack``/``unpack`` do, and what the checked path
(``_pack_checked``/``_unpack_checked``, the reference) does, and never write a byte on error.
The inputs are drawn wide: every type, layout and length (good and bad), buffers of every
kind (read-only, non-contiguous, typed), addresses of every sort and values of every sort.
"""

from __future__ import annotations

import enum
import math
import struct
from array import array
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from iotws import codec
from iotws.codec import FLOAT32_MAX, DataType, Layout, Packer, Unpacker, pack, packer, unpack, unpacker
from iotws.errors import CodecError

from .test_codec_properties import expected, same, typed_values

WIDE = settings(max_examples=600, deadline=None)


class Small(enum.IntEnum):
    ONE = 1


def outcome(action: Callable[..., object], *args: Any) -> tuple[Any, Any]:
    """What ``action(*args)`` gives: ``("ok", value)`` or ``(exception type, message)``."""
    try:
        result = action(*args)
    except Exception as exc:  # any kind: the two sides must agree on it
        return (type(exc), str(exc))
    return ("ok", result)


def agree(first: object, second: object) -> bool:
    if isinstance(first, tuple) and isinstance(second, tuple) and first[0] == second[0] == "ok":
        return same(first[1], second[1])
    return first == second


lengths = st.one_of(
    st.none(),
    st.integers(-2, 24),
    st.sampled_from([True, 4.0, "4", 2**70]),
)
layouts = st.one_of(st.sampled_from(list(Layout)), st.sampled_from(["abcd", "CDAB", "zz", 3]))
addresses = st.one_of(
    st.integers(-6, 40),
    st.sampled_from([True, False, 2.0, "1", None, 2**70, -(2**70), Small.ONE]),
)
LIMITS = [(t.min, t.max) for t in DataType if t.min is not None and t.max is not None]
BOUNDARIES = sorted({b + d for lo, hi in LIMITS for b in (lo, hi, 2**30) for d in (-1, 0, 1)})
values = st.one_of(
    st.sampled_from(BOUNDARIES),
    st.integers(-(2**33), 2**33),
    st.integers(),
    st.floats(),
    st.floats(width=32),
    st.sampled_from([FLOAT32_MAX, -FLOAT32_MAX, 2.0**128, 3.5e38, math.nan, math.inf, -0.0]),
    st.booleans(),
    st.none(),
    st.text(max_size=12),
    st.text(alphabet="0123456789abcdefABCDEF x", max_size=16),
    st.sampled_from(["ab\x00", "\udc80", "é" * 3, "00ff00ff", " 00ff00f", "0g"]),
    st.binary(max_size=12),
    st.binary(max_size=12).map(bytearray),
    st.builds(Fraction, st.integers(-100, 100), st.integers(1, 9)),
    st.sampled_from([Decimal("1.5"), Small.ONE, 1 + 2j, [1]]),
)


@st.composite
def buffers(draw: st.DrawFn) -> tuple[str, bytes]:
    """A buffer kind and its bytes (made fresh for each side, from these bytes)."""
    raw = draw(st.binary(max_size=40))
    return draw(st.sampled_from(["bytearray", "memoryview", "bytes", "readonly view", "strided", "array"])), raw


def near_values(dtype: DataType, size: int) -> st.SearchStrategy[Any]:
    """Values of ``dtype`` at and just past its limits, for ``size`` bytes (string and hexa)."""
    if dtype is DataType.FLOAT:
        edge = st.sampled_from([FLOAT32_MAX, 3.4028235677973366e38, 3.4028235677973368e38, 2.0**128, 1e39, 1e300])
        return st.one_of(st.floats(width=32), edge, edge.map(float.__neg__), st.integers(-(2**130), 2**130))
    if dtype.min is not None and dtype.max is not None:
        edges = [dtype.min - 1, dtype.min, dtype.max, dtype.max + 1, 2**30 - 1, 2**30, -(2**30), -(2**30) - 1]
        return st.one_of(st.sampled_from(edges), st.integers(dtype.min - 3, dtype.max + 3))
    lengths = st.integers(max(0, size - 2), size + 2)
    if dtype is DataType.STRING:
        texts = st.text(st.characters(codec="utf-8"), max_size=size + 2)
        return st.one_of(texts, texts.map(lambda t: t + "\x00"), st.sampled_from(["é" * size, "\udc80", ""]))
    raw = lengths.flatmap(lambda n: st.binary(min_size=n, max_size=n))
    return st.one_of(
        raw,
        raw.map(bytearray),
        raw.map(lambda b: memoryview(b)),
        raw.map(bytes.hex),
        raw.map(lambda b: b.hex().upper()),
        raw.map(lambda b: " " + b.hex()[1:]),
        raw.map(lambda b: " " + b[1:].hex() + " "),  # 2 digits a byte long, one byte short
        raw.map(lambda b: b.hex()[:-1] + "g" if b else "g"),
    )


@st.composite
def cases(draw: st.DrawFn, with_value: bool = True) -> tuple[Any, ...]:
    """(type, layout, length, (buffer kind, bytes), address[, value]): mostly near the valid ones."""
    dtype = draw(st.sampled_from(list(DataType)))
    layout = draw(st.sampled_from(list(Layout)) | layouts)
    size = dtype.size or draw(st.integers(1, 12))
    length = draw(st.sampled_from([None if dtype.size else size, size]) | lengths)
    raw = draw(st.binary(min_size=0, max_size=size + 6))
    kind = draw(
        st.sampled_from(["bytearray", "bytearray", "bytearray", "bytes", "memoryview"]) | buffers().map(lambda b: b[0])
    )
    address = draw(st.integers(-size - 1, len(raw) - size + 1) | addresses)
    if not with_value:
        return dtype, layout, length, (kind, raw), address
    return dtype, layout, length, (kind, raw), address, draw(near_values(dtype, size) | values)


def make(kind: str, raw: bytes) -> tuple[Any, bytearray | array[int] | bytes]:
    """The buffer to pass, and the object whose bytes show what was written."""
    if kind == "bytearray":
        target = bytearray(raw)
        return target, target
    if kind == "memoryview":
        target = bytearray(raw)
        return memoryview(target), target
    if kind == "readonly view":
        return memoryview(raw), raw
    if kind == "strided":  # not contiguous
        target = bytearray(raw + raw)
        return memoryview(target)[::2], target
    if kind == "array":  # a typed buffer: 16-bit items, addressed by byte all the same
        words = array("H", raw[: len(raw) // 2 * 2])
        return words, words
    return raw, raw


def pack_sides(
    dtype: DataType, layout: Any, length: Any, kind: str, raw: bytes, address: Any, value: Any
) -> list[tuple[tuple[Any, Any], bytes]]:
    """What pack(), packer() and the checked path do: the outcome and the buffer's bytes after."""
    bound = outcome(packer, dtype, layout, length)
    sides = []
    for write in ("pack", "packer", "checked"):
        buf, shows = make(kind, raw)
        before = bytes(shows)
        if write == "pack":
            result = outcome(pack, buf, address, dtype, value, layout, length)
        elif write == "checked":
            result = outcome(codec._pack_checked, buf, address, dtype, value, layout, length)
        elif bound[0] == "ok":
            result = outcome(bound[1], buf, address, value)
        else:  # bad arguments: packer() raises what pack() raises for them
            result = bound
        if result[0] != "ok":
            assert result[0] is CodecError, result
            assert bytes(shows) == before, f"{write} wrote before raising {result}"
        sides.append((result, bytes(shows)))
    return sides


def unpack_sides(dtype: DataType, layout: Any, length: Any, kind: str, raw: bytes, address: Any) -> list[object]:
    """What unpack(), unpacker() and the checked path read."""
    buf, _ = make(kind, raw)
    bound = outcome(unpacker, dtype, layout, length)
    by_address = outcome(unpack, buf, address, dtype, layout, length)
    by_unpacker = outcome(bound[1], buf, address) if bound[0] == "ok" else bound
    checked = outcome(codec._unpack_checked, buf, address, dtype, layout, length)
    for side in (by_address, by_unpacker, checked):
        assert side[0] in ("ok", CodecError), side
    return [by_address, by_unpacker, checked]


def bool_refused(dtype: DataType, address: bool) -> object:
    return (CodecError, f"{dtype.short_name}: address {address} is a bool, expected an int")


@WIDE
@given(cases())
@example((DataType.UINT16, Layout.ABCD, None, ("strided", bytes(8)), 0, 1))
@example((DataType.STRING, Layout.ABCD, 4, ("bytearray", bytes(8)), 0, "ab\x00"))
@example((DataType.HEXA, Layout.ABCD, 2, ("bytearray", bytes(8)), 0, " 0a0"))
@example((DataType.HEXA, Layout.ABCD, 2, ("bytearray", bytes(8)), True, b"ab"))
@example((DataType.FLOAT, Layout.CDAB, None, ("bytearray", bytes(8)), 4, 3.4028235677973366e38))
@example((DataType.STRING, Layout.ABCD, 2**70, ("bytearray", b""), 0, ""))
def test_packers_write_and_refuse_what_pack_does(case: tuple[Any, ...]) -> None:
    dtype, layout, length, (kind, raw), address, value = case
    sides = pack_sides(dtype, layout, length, kind, raw, address, value)
    if isinstance(address, bool) and dtype.size is not None:
        # A bool is an int: the fast paths of the fixed-size types write at 0 or 1 where the
        # checked path (taken for a layout given as text, say) refuses it. Either is fine.
        for side, as_int in zip(sides, pack_sides(dtype, layout, length, kind, raw, int(address), value), strict=True):
            assert side == as_int or side[0] == bool_refused(dtype, address), (side, as_int)
        return
    assert sides[0] == sides[1] == sides[2], sides


@WIDE
@given(cases(with_value=False))
@example((DataType.STRING, Layout.ABCD, 2, ("bytes", b"\xff\xfe"), 0))
@example((DataType.UINT32, Layout.BADC, None, ("strided", bytes(8)), 0))
@example((DataType.HEXA, Layout.ABCD, 1, ("bytes", b"ab"), True))
@example((DataType.BYTE, "abcd", None, ("bytearray", b"\x00\x00"), True))
def test_unpackers_read_and_refuse_what_unpack_does(case: tuple[Any, ...]) -> None:
    dtype, layout, length, (kind, raw), address = case
    sides = unpack_sides(dtype, layout, length, kind, raw, address)
    if isinstance(address, bool) and dtype.size is not None:  # (see above)
        for side, as_int in zip(sides, unpack_sides(dtype, layout, length, kind, raw, int(address)), strict=True):
            assert agree(side, as_int) or side == bool_refused(dtype, address), (side, as_int)
        return
    assert agree(sides[0], sides[1]) and agree(sides[0], sides[2]), sides


def test_every_type_and_layout_at_its_limits_and_the_buffer_ends() -> None:
    """Exhaustively: limits of every fixed type and layout, at the ends of the buffer and past them."""
    for dtype in DataType:
        if dtype.size is None:
            continue
        size = dtype.size
        edges: list[Any] = (
            [FLOAT32_MAX, 3.4028235677973366e38, 3.4028235677973368e38, 2.0**128, math.inf, math.nan, 2**24 + 1, True]
            if dtype is DataType.FLOAT
            else [dtype.min - 1, dtype.min, dtype.max, dtype.max + 1, 2**30 - 1, 2**30, -(2**30) - 1, True, 1.0]  # type: ignore[operator]
        )
        edges += [-value for value in edges if not isinstance(value, bool)]
        for layout in Layout:
            for value in edges:
                for address in (-size - 1, -size, -1, 0, 8 - size, 9 - size, 8):
                    sides = pack_sides(dtype, layout, None, "bytearray", bytes(range(1, 9)), address, value)
                    assert sides[0] == sides[1] == sides[2], (dtype, layout, value, address, sides)
            for address in (-size, -1, 0, 8 - size, 9 - size):
                read = unpack_sides(dtype, layout, None, "bytes", bytes(range(1, 9)), address)
                assert agree(read[0], read[1]) and agree(read[0], read[2]), read


def test_string_and_hexa_at_their_lengths_and_the_buffer_ends() -> None:
    for size in (1, 2, 3, 5):
        data = bytes(range(0x41, 0x41 + size))
        candidates: dict[DataType, list[Any]] = {
            DataType.HEXA: [
                *(
                    kind(data[:n] + b"!" * (n - len(data[:n])))
                    for n in (size - 1, size, size + 1)
                    for kind in (bytes, bytearray, memoryview)
                ),
                data.hex(),
                data.hex().upper(),
                " " + data[1:].hex() + " ",
                data[1:].hex() + "  ",
                data.hex()[:-1],
                data.hex()[:-1] + "g",
                data.hex() + "0",
                "",
                None,
                7,
            ],
            DataType.STRING: [
                "",
                "a",
                "é",
                "a" * size,
                "a" * (size + 1),
                "é" * size,
                "a\x00",
                "\x00",
                "\udc80",
                b"a",
                None,
            ],
        }
        for dtype, values_ in candidates.items():
            for value in values_:
                for address in (-size - 1, -1, 0, 8 - size, 9 - size, True):
                    for layout in (Layout.ABCD, Layout.CDAB, "abcd"):
                        sides = pack_sides(dtype, layout, size, "bytearray", bytes(8), address, value)
                        assert sides[0] == sides[1] == sides[2], (dtype, value, address, sides)


@given(st.data(), typed_values(), st.sampled_from(Layout))
def test_packers_and_unpackers_round_trip_every_type_layout_and_length(
    data: st.DataObject, typed: tuple[DataType, int, Any], layout: Layout
) -> None:
    dtype, length, value = typed
    explicit = length if dtype.size is None else None
    size = data.draw(st.integers(length, length + 16))
    address = data.draw(st.integers(0, size - length))
    buf = bytearray(data.draw(st.binary(min_size=size, max_size=size)))
    reference = bytearray(buf)
    packer(dtype, layout, explicit)(buf, address, value)
    pack(reference, address, dtype, value, layout, explicit)
    assert buf == reference
    for view in (buf, bytes(buf), memoryview(buf)):
        assert same(unpacker(dtype, layout, explicit)(view, address), expected(dtype, value))


def test_the_same_arguments_give_the_same_function_and_a_readable_one() -> None:
    assert packer(DataType.FLOAT, Layout.CDAB) is packer(DataType.FLOAT, Layout.CDAB)
    assert unpacker(DataType.STRING, length=6) is unpacker(DataType.STRING, Layout.ABCD, 6)
    assert packer(DataType.FLOAT, "cdab") is packer(DataType.FLOAT, Layout.CDAB)  # type: ignore[call-overload]
    pack_flow = packer(DataType.FLOAT, Layout.CDAB)
    assert pack_flow.__name__ == "pack_float_cdab" and pack_flow.__module__ == "iotws.codec"
    assert "float CDAB" in (pack_flow.__doc__ or "")
    assert unpacker(DataType.HEXA, length=3).__name__ == "unpack_hexa_abcd_3"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: packer(DataType.STRING), "string: length is required (the size in bytes)"),
        (lambda: unpacker(DataType.FLOAT, length=2), "float: length 2 does not match the type, allowed 4"),
        (lambda: packer("integer_64"), "unknown data type 'integer_64', allowed: byte, unsigned_integer_16, "),  # type: ignore[call-overload]
        (lambda: unpacker(DataType.BYTE, "XYZW"), "unknown layout 'XYZW', allowed: ABCD, DCBA, BADC, CDAB"),  # type: ignore[call-overload]
        (lambda: packer(DataType.HEXA, length=0), "hexa: length 0 is out of range, allowed 1 or more"),
    ],
)
def test_bad_arguments_raise_when_binding(call: Callable[[], object], message: str) -> None:
    with pytest.raises(CodecError) as raised:
        call()
    assert str(raised.value).startswith(message)


def test_a_full_cache_of_string_and_hexa_functions_starts_again() -> None:
    buf = bytearray(64)
    for length in range(1, 2 * codec._VARIABLE_CACHE_SIZE + 2):
        pack(buf, 0, DataType.HEXA, b"\x01" * min(length, 64), length=min(length, 64))
        packer(DataType.STRING, length=length)
    assert len(codec._VARIABLE_PACKERS) <= codec._VARIABLE_CACHE_SIZE
    assert unpack(buf, 0, DataType.HEXA, length=2) == b"\x01\x01"


def test_typed_aliases_describe_the_functions() -> None:
    pack_count: Packer[int] = packer(DataType.UINT32, Layout.CDAB)
    read_count: Unpacker[int] = unpacker(DataType.UINT32, Layout.CDAB)
    buf = bytearray(4)
    pack_count(buf, 0, 0x11223344)
    assert buf.hex() == "33441122" and read_count(buf, 0) == 0x11223344
    pack_label: Packer[str] = packer(DataType.STRING, length=4)
    pack_raw: Packer[bytes | str] = packer(DataType.HEXA, length=4)
    pack_label(buf, 0, "ab")
    assert buf == b"ab\x00\x00"
    pack_raw(buf, 0, "0A0b0C0d")
    assert buf == b"\x0a\x0b\x0c\x0d"
    with pytest.raises(CodecError, match="hexa: '0a0b0c0 ' is not hex digits"):
        pack_raw(buf, 0, "0a0b0c0 ")
    assert buf == b"\x0a\x0b\x0c\x0d"


def test_struct_would_have_zeroed_what_the_checks_keep() -> None:
    """Why the checks come first: a bare pack_into zeroes its target on a value it cannot pack."""
    buf = bytearray(b"\xff" * 4)
    with pytest.raises(struct.error):
        struct.Struct(">H").pack_into(buf, 0, 70000)
    assert buf == b"\x00\x00\xff\xff"
    buf = bytearray(b"\xff" * 4)
    for dtype, bad in ((DataType.UINT16, 70000), (DataType.FLOAT, 1e39), (DataType.INT32, 2**31)):
        for layout in Layout:
            with pytest.raises(CodecError):
                packer(dtype, layout)(buf, 0, bad)
            assert buf == b"\xff" * 4
