"""Hypothesis properties of the codec: round trips for every type and layout, exact float32 text."""

from __future__ import annotations

import math
import struct
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from iotws import codec
from iotws.codec import DataType, Layout, from_registers, from_text, pack, to_registers, to_text, unpack
from iotws.errors import CodecError

F32 = struct.Struct(">f")
U32 = struct.Struct(">I")


def same(a: object, b: object) -> bool:
    """Equal, with NaN equal to NaN (float payloads are not promised to survive)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return a == b and type(a) is type(b)


@st.composite
def typed_values(draw: st.DrawFn, dtype: DataType | None = None) -> tuple[DataType, int, Any]:
    """(type, length in bytes, a valid Python value of that type)."""
    dtype = dtype or draw(st.sampled_from(DataType))
    if dtype is DataType.FLOAT:
        return (
            dtype,
            4,
            draw(st.floats(width=32) | st.floats(min_value=-3e38, max_value=3e38) | st.integers(-(2**24), 2**24)),
        )
    if dtype is DataType.STRING:
        length = draw(st.integers(1, 24))
        letters = st.characters(codec="utf-8")
        text = draw(st.text(letters, max_size=length).filter(lambda t: len(t.encode()) <= length))
        assume(not text.endswith("\x00"))
        return dtype, length, text
    if dtype is DataType.HEXA:
        data = draw(st.binary(min_size=1, max_size=24))
        return dtype, len(data), draw(st.sampled_from([data, data.hex(), data.hex().upper(), bytearray(data)]))
    assert dtype.min is not None
    assert dtype.max is not None
    size = dtype.size
    assert size is not None
    return dtype, size, draw(st.integers(dtype.min, dtype.max))


def expected(dtype: DataType, value: Any) -> Any:
    if dtype is DataType.FLOAT:
        return F32.unpack(F32.pack(value))[0]
    if dtype is DataType.HEXA:
        return bytes.fromhex(value) if isinstance(value, str) else bytes(value)
    return value


@given(st.data(), typed_values(), st.sampled_from(Layout))
def test_pack_then_unpack_round_trips_at_random_addresses(
    data: st.DataObject, typed: tuple[DataType, int, Any], layout: Layout
) -> None:
    dtype, length, value = typed
    size = data.draw(st.integers(length, length + 40))
    address = data.draw(st.integers(0, size - length))
    buf = bytearray(data.draw(st.binary(min_size=size, max_size=size)))
    before = bytes(buf)
    explicit = length if dtype.size is None or data.draw(st.booleans()) else None
    pack(buf, address, dtype, value, layout, explicit)
    assert buf[:address] == before[:address]
    assert buf[address + length :] == before[address + length :]
    for view in (buf, bytes(buf), memoryview(buf)):
        assert same(unpack(view, address, dtype, layout, explicit), expected(dtype, value))


@given(st.data(), typed_values(), st.sampled_from(Layout))
def test_fast_and_checked_paths_agree(data: st.DataObject, typed: tuple[DataType, int, Any], layout: Layout) -> None:
    dtype, length, value = typed
    size = data.draw(st.integers(length, length + 8))
    address = data.draw(st.integers(0, size - length))
    raw = data.draw(st.binary(min_size=size, max_size=size))
    fast, checked = bytearray(raw), bytearray(raw)
    explicit = length if dtype.size is None else None
    pack(fast, address, dtype, value, layout, explicit)
    codec._pack_checked(checked, address, dtype, value, layout, explicit)
    assert fast == checked
    try:
        from_fast: object = unpack(raw, address, dtype, layout, explicit)
    except CodecError:  # bytes that are not UTF-8, read as a string
        from_fast = CodecError
    try:
        from_checked: object = codec._unpack_checked(raw, address, dtype, layout, explicit)
    except CodecError:
        from_checked = CodecError
    assert same(from_fast, from_checked)


@given(
    st.binary(min_size=4, max_size=4),
    st.sampled_from(Layout),
    st.sampled_from([DataType.FLOAT, DataType.UINT32, DataType.INT32]),
)
def test_unpack_then_pack_restores_the_bytes(raw: bytes, layout: Layout, dtype: DataType) -> None:
    value = unpack(raw, 0, dtype, layout)
    buf = bytearray(4)
    pack(buf, 0, dtype, value, layout)
    if isinstance(value, float) and math.isnan(value):
        assert same(unpack(buf, 0, dtype, layout), math.nan)  # NaN payloads may be quieted
    else:
        assert bytes(buf) == raw


@given(st.binary(min_size=4, max_size=4))
def test_the_four_layouts_are_byte_permutations_of_abcd(raw: bytes) -> None:
    a, b, c, d = raw
    value = unpack(raw, 0, DataType.UINT32)
    assert unpack(bytes((d, c, b, a)), 0, DataType.UINT32, Layout.DCBA) == value
    assert unpack(bytes((b, a, d, c)), 0, DataType.UINT32, Layout.BADC) == value
    assert unpack(bytes((c, d, a, b)), 0, DataType.UINT32, Layout.CDAB) == value


@given(typed_values(), st.sampled_from(Layout))
def test_registers_round_trip(typed: tuple[DataType, int, Any], layout: Layout) -> None:
    dtype, length, value = typed
    explicit = length if dtype.size is None else None
    registers = to_registers(dtype, value, layout=layout, length=explicit)
    assert all(0 <= word <= 0xFFFF for word in registers)
    assert len(registers) == (1 if dtype is DataType.BYTE else (length + 1) // 2)
    assert same(from_registers(dtype, registers, layout=layout, length=explicit), expected(dtype, value))
    if dtype is not DataType.BYTE:  # registers are the packed bytes, high byte first
        buf = bytearray(length)
        pack(buf, 0, dtype, value, layout, explicit)
        assert struct.pack(f">{len(registers)}H", *registers)[:length] == bytes(buf)


def bad_values(dtype: DataType) -> st.SearchStrategy[object]:
    """Values that ``dtype`` must refuse (strings and hexa have length 4 here)."""
    common = [st.none(), st.booleans(), st.lists(st.integers(), max_size=2), st.complex_numbers()]
    if dtype is DataType.STRING:
        return st.one_of(*common, st.binary(max_size=3), st.integers(), st.text(min_size=5), st.just("ab\x00"))
    if dtype is DataType.HEXA:
        wrong_size = st.binary(max_size=8).filter(lambda b: len(b) != 4)
        return st.one_of(
            *common,
            st.integers(),
            wrong_size,
            wrong_size.map(bytes.hex),
            st.text(alphabet="0123456789abcdefxyz -", min_size=1, max_size=8).filter(
                lambda t: not (len(t) == 8 and all(c in "0123456789abcdef" for c in t))
            ),
        )
    if dtype is DataType.FLOAT:
        too_big = st.floats(min_value=3.5e38, allow_infinity=False)
        return st.one_of(
            *common, st.text(max_size=3), too_big, too_big.map(float.__neg__), st.integers(min_value=2**128)
        )
    assert dtype.min is not None
    assert dtype.max is not None
    return st.one_of(
        *common,
        st.text(max_size=3),
        st.floats(),
        st.integers(max_value=dtype.min - 1),
        st.integers(min_value=dtype.max + 1),
    )


@given(st.data(), st.sampled_from(DataType), st.sampled_from(Layout))
def test_bad_values_raise_and_never_touch_the_buffer(data: st.DataObject, dtype: DataType, layout: Layout) -> None:
    bad = data.draw(bad_values(dtype))
    buf = bytearray(data.draw(st.binary(min_size=8, max_size=8)))
    before = bytes(buf)
    length = 4 if dtype.size is None else None
    address = data.draw(st.integers(0, 4))
    try:
        pack(buf, address, dtype, bad, layout, length)  # type: ignore[arg-type]
    except CodecError:
        pass
    else:
        raise AssertionError(f"{dtype.short_name} accepted {bad!r}")
    assert buf == before


@given(st.integers(), st.integers(1, 16), st.sampled_from(DataType), st.sampled_from(Layout))
def test_addresses_outside_the_buffer_are_rejected(address: int, size: int, dtype: DataType, layout: Layout) -> None:
    length = dtype.size or 2
    assume(address < 0 or address + length > size)
    buf = bytearray(size)
    value = {DataType.HEXA: "0000", DataType.STRING: "a", DataType.FLOAT: 1.0}.get(dtype, 1)
    explicit = None if dtype.size else length
    with pytest.raises(CodecError, match=r"is negative|but the buffer ends at"):
        pack(buf, address, dtype, value, layout, explicit)  # type: ignore[arg-type]
    assert buf == bytearray(size)
    with pytest.raises(CodecError, match=r"is negative|but the buffer ends at"):
        unpack(buf, address, dtype, layout, explicit)


# --- float32 text ----------------------------------------------------------------------------------


def significant_digits(text: str) -> int:
    mantissa = text.lstrip("-").split("e")[0].replace(".", "")
    return len(mantissa.strip("0"))


def fewest_digits(x: float) -> int:
    """An independent oracle: the fewest significant digits of any decimal that rounds to x.

    Works on exact fractions: x's rounding interval reaches halfway to each neighbouring float32
    (both ends included when x's mantissa is even: ties go to even).
    """
    bits = U32.unpack(F32.pack(x))[0]
    exact = Fraction(x)
    below = Fraction(F32.unpack(U32.pack(bits - 1))[0]) if bits else Fraction(0)
    above = Fraction(F32.unpack(U32.pack(bits + 1))[0]) if bits != 0x7F7FFFFF else Fraction(2**128)
    low, high = (exact + below) / 2, (exact + above) / 2
    even = bits % 2 == 0

    def inside(decimal: Fraction) -> bool:
        return low <= decimal <= high if even else low < decimal < high

    for digits in range(1, 10):
        for exponent in range(math.floor(math.log10(low)) if low else -46, math.floor(math.log10(high)) + 1):
            step = Fraction(10) ** (exponent - digits + 1)
            first = math.ceil(low / step)
            if inside(first * step) or inside((first + 1) * step):
                return digits
    raise AssertionError(x)


@given(st.floats(width=32, allow_nan=False))
@example(3.4025001647762064e38)  # shorter texts overflow rather than miss
@example(7.038531308148791e-26)  # a float32; double rounding would make "7.038531e-26" look right
def test_float_text_round_trips_bit_exactly_and_is_shortest(x: float) -> None:
    text = to_text(DataType.FLOAT, x)
    assert F32.pack(from_text(DataType.FLOAT, text)) == F32.pack(x)
    if x != 0 and math.isfinite(x):
        digits = significant_digits(text)
        assert digits == fewest_digits(abs(x))
        for precision in range(1, digits):  # the brief's rule: no shorter precision round-trips
            assert not reads_back(f"{x:.{precision}g}", x)


def reads_back(text: str, x: float) -> bool:
    try:
        return F32.pack(from_text(DataType.FLOAT, text)) == F32.pack(x)
    except CodecError:  # rounded past FLOAT32_MAX
        return False


@given(st.integers(-149, 127), st.booleans())
def test_float_text_of_powers_of_two(exponent: int, negative: bool) -> None:
    x = (-1.0 if negative else 1.0) * 2.0**exponent  # lopsided rounding intervals
    text = to_text(DataType.FLOAT, x)
    assert from_text(DataType.FLOAT, text) == x
    assert significant_digits(text) == fewest_digits(abs(x))


def float32_midpoints() -> st.SearchStrategy[float]:
    """Doubles exactly halfway between two neighbouring float32s: where double rounding bites."""
    below = st.integers(0, 0x7F7FFFFE).map(lambda bits: F32.unpack(U32.pack(bits))[0])
    return below.map(lambda low: (low + F32.unpack(U32.pack(U32.unpack(F32.pack(low))[0] + 1))[0]) / 2)


@given(
    st.floats(allow_nan=False, allow_infinity=False, min_value=-3.4e38, max_value=3.4e38) | float32_midpoints(),
    st.sampled_from(["{!r}", "{:.30e}", "{:.60e}"]),
)
def test_from_text_rounds_any_decimal_correctly(x: float, form: str) -> None:
    text = form.format(x)
    got = from_text(DataType.FLOAT, text)
    exact = abs(Fraction(text))
    assert got == 0 or math.copysign(1, got) == math.copysign(1, x)
    bits = U32.unpack(F32.pack(abs(got)))[0]
    error = abs(Fraction(abs(got)) - exact)
    for neighbour in (bits - 1, bits + 1):
        if 0 <= neighbour < 0x7F800000:
            other = abs(Fraction(F32.unpack(U32.pack(neighbour))[0]) - exact)
            assert other > error or (other == error and bits % 2 == 0)


@given(st.integers(-(2**40), 2**40), st.sampled_from([d for d in DataType if d.min is not None]))
def test_integer_text_round_trips_or_is_out_of_range(n: int, dtype: DataType) -> None:
    assert dtype.min is not None
    assert dtype.max is not None
    if dtype.min <= n <= dtype.max:
        assert from_text(dtype, to_text(dtype, n)) == n
    else:
        with pytest.raises(CodecError, match="out of range"):
            from_text(dtype, str(n))


@given(st.text(max_size=12))
def test_from_text_raises_only_codec_errors(text: str) -> None:
    for dtype in DataType:
        try:
            from_text(dtype, text)
        except CodecError:
            pass
