"""The scalar codec: golden vectors, boundaries, every kind of bad input, text and registers."""

from __future__ import annotations

import ast
import doctest
import itertools
import math
import struct
from array import array
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

import iotws.codec
import iotws.memory
from iotws.codec import (
    FLOAT32_MAX,
    ByteOrder,
    DataType,
    Layout,
    WordOrder,
    coerce,
    from_registers,
    from_text,
    pack,
    size_of,
    to_registers,
    to_text,
    unpack,
)
from iotws.errors import CodecError, UsageError

INTEGERS = [DataType.BYTE, DataType.UINT16, DataType.INT16, DataType.UINT32, DataType.INT32]
FIXED = [*INTEGERS, DataType.FLOAT]


@pytest.mark.parametrize("module", [iotws.codec, iotws.memory])
def test_docstring_examples_hold_with_exact_messages(module: Any) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0


def test_attribute_docstring_examples_hold() -> None:
    """Docstrings under module constants and type aliases, which doctest itself does not collect."""
    source = Path(iotws.codec.__file__).read_text()
    body = ast.parse(source).body
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner()
    for assignment, doc in itertools.pairwise(body):
        if isinstance(assignment, ast.AnnAssign) and isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant):
            name = ast.unparse(assignment.target)
            test = parser.get_doctest(str(doc.value.value), dict(vars(iotws.codec)), name, source, doc.lineno)
            assert test.examples, name
            runner.run(test)
    assert runner.summarize(verbose=False) == (0, 13)


# --- types and layouts ---------------------------------------------------------------------------


def test_wire_names_sizes_and_ranges() -> None:
    table = {member.value: (member.size, member.min, member.max) for member in DataType}
    assert table == {
        "byte": (1, 0, 255),
        "unsigned_integer_16": (2, 0, 65535),
        "integer_16": (2, -32768, 32767),
        "unsigned_integer_32": (4, 0, 4294967295),
        "integer_32": (4, -2147483648, 2147483647),
        "float": (4, None, None),
        "string": (None, None, None),
        "hexa": (None, None, None),
    }


@pytest.mark.parametrize("dtype", list(DataType))
def test_from_wire_ignores_case_and_accepts_short_names(dtype: DataType) -> None:
    assert DataType.from_wire(dtype.value.upper()) is dtype
    assert DataType.from_wire(dtype.short_name) is dtype


@pytest.mark.parametrize("name", ["integer_64", "", "int", "double"])
def test_unknown_wire_name_lists_the_allowed_names(name: str) -> None:
    with pytest.raises(CodecError, match=r"unknown data type .* allowed: byte, unsigned_integer_16"):
        DataType.from_wire(name)


def test_layouts_from_byte_and_word_orders() -> None:
    for layout in Layout:
        assert Layout.from_orders(layout.byte_order, layout.word_order) is layout
    assert Layout.from_orders(ByteOrder.BIG, WordOrder.BIG) is Layout.ABCD
    assert Layout.from_orders(ByteOrder.LITTLE, WordOrder.LITTLE) is Layout.DCBA
    assert Layout.from_orders(ByteOrder.LITTLE, WordOrder.BIG) is Layout.BADC
    assert Layout.from_orders(ByteOrder.BIG, WordOrder.LITTLE) is Layout.CDAB


# --- golden vectors ------------------------------------------------------------------------------

GOLDEN_32 = {
    Layout.ABCD: "11 22 33 44",
    Layout.DCBA: "44 33 22 11",
    Layout.BADC: "22 11 44 33",
    Layout.CDAB: "33 44 11 22",
}
GOLDEN_16 = {Layout.ABCD: "11 22", Layout.DCBA: "22 11", Layout.BADC: "22 11", Layout.CDAB: "11 22"}
# float32 1.5 is 0x3FC00000; -2 as int32 is 0xFFFFFFFE.
GOLDEN_FLOAT = {
    Layout.ABCD: "3f c0 00 00",
    Layout.DCBA: "00 00 c0 3f",
    Layout.BADC: "c0 3f 00 00",
    Layout.CDAB: "00 00 3f c0",
}
GOLDEN_INT32 = {
    Layout.ABCD: "ff ff ff fe",
    Layout.DCBA: "fe ff ff ff",
    Layout.BADC: "ff ff fe ff",
    Layout.CDAB: "ff fe ff ff",
}


@pytest.mark.parametrize("layout", list(Layout))
@pytest.mark.parametrize(
    ("dtype", "value", "golden"),
    [
        (DataType.UINT32, 0x11223344, GOLDEN_32),
        (DataType.INT32, 0x11223344, GOLDEN_32),
        (DataType.UINT16, 0x1122, GOLDEN_16),
        (DataType.INT16, 0x1122, GOLDEN_16),
        (DataType.FLOAT, 1.5, GOLDEN_FLOAT),
        (DataType.INT32, -2, GOLDEN_INT32),
    ],
)
def test_golden_vectors(dtype: DataType, value: int | float, golden: dict[Layout, str], layout: Layout) -> None:
    data = bytes.fromhex(golden[layout])
    buf = bytearray(b"\xaa" * (len(data) + 3))
    pack(buf, 1, dtype, value, layout=layout)
    assert buf == b"\xaa" + data + b"\xaa\xaa"
    assert unpack(data, 0, dtype, layout=layout) == value
    assert unpack(memoryview(data), 0, dtype, layout=layout, length=len(data)) == value
    assert iotws.codec._unpack_checked(data, 0, dtype, layout, None) == value


def test_byte_ignores_the_layout() -> None:
    for layout in Layout:
        buf = bytearray(1)
        pack(buf, 0, DataType.BYTE, 0xAB, layout=layout)
        assert buf == b"\xab"
        assert unpack(buf, 0, DataType.BYTE, layout=layout) == 0xAB


def test_string_and_hexa() -> None:
    buf = bytearray(b"\xff" * 8)
    pack(buf, 0, DataType.STRING, "h\u00e9", length=5)
    assert buf == b"h\xc3\xa9\x00\x00\xff\xff\xff"
    assert unpack(buf, 0, DataType.STRING, length=5) == "h\u00e9"
    pack(buf, 5, DataType.HEXA, "0aFf01", length=3)
    assert buf[5:] == b"\x0a\xff\x01"
    pack(buf, 5, DataType.HEXA, b"\x01\x02\x03", length=3)
    assert unpack(buf, 5, DataType.HEXA, length=3) == b"\x01\x02\x03"
    pack(buf, 0, DataType.STRING, "", length=2)
    assert unpack(buf, 0, DataType.STRING, length=2) == ""
    assert unpack(b"a\x00b\x00", 0, DataType.STRING, length=4) == "a\x00b"


def test_every_buffer_kind() -> None:
    for layout in Layout:
        for buf in (bytearray(8), memoryview(bytearray(8)), array("H", [0] * 4)):
            pack(buf, 2, DataType.FLOAT, 2.5, layout=layout)  # type: ignore[arg-type]
            assert unpack(buf, 2, DataType.FLOAT, layout=layout) == 2.5  # type: ignore[arg-type]
            assert unpack(bytes(buf), 2, DataType.FLOAT, layout=layout) == 2.5


def test_layout_and_type_may_be_given_as_text() -> None:
    data = bytes.fromhex("33441122")
    assert unpack(data, 0, "UNSIGNED_INTEGER_32", "cdab") == 0x11223344  # type: ignore[call-overload]
    assert unpack(data, 0, "unsigned_integer_32", "CDAB") == 0x11223344  # type: ignore[call-overload]
    with pytest.raises(CodecError, match="unknown layout 'ACBD', allowed: ABCD, DCBA, BADC, CDAB"):
        unpack(data, 0, DataType.UINT32, "ACBD")  # type: ignore[call-overload]


# --- boundaries ----------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", list(Layout))
@pytest.mark.parametrize("dtype", INTEGERS)
def test_integer_boundaries(dtype: DataType, layout: Layout) -> None:
    lo, hi = dtype.min, dtype.max
    assert lo is not None
    assert hi is not None
    buf = bytearray(6)
    for value in (lo, hi, lo + 1, hi - 1, 0):
        pack(buf, 1, dtype, value, layout=layout)
        assert unpack(buf, 1, dtype, layout=layout) == value
    before = bytes(buf)
    for value in (lo - 1, hi + 1):
        message = f"{dtype.short_name}: value {value} is out of range, allowed {lo}..{hi}"
        with pytest.raises(CodecError) as raised:
            pack(buf, 1, dtype, value, layout=layout)
        assert str(raised.value) == message
        assert buf == before
        with pytest.raises(CodecError, match="out of range"):
            to_registers(dtype, value, layout=layout)
        with pytest.raises(CodecError) as raised:
            from_text(dtype, str(value))
        assert str(raised.value) == message


def test_byte_boundary_messages() -> None:
    with pytest.raises(CodecError, match=r"^byte: value -1 is out of range, allowed 0\.\.255$"):
        pack(bytearray(1), 0, DataType.BYTE, -1)
    with pytest.raises(CodecError, match=r"^byte: value 256 is out of range, allowed 0\.\.255$"):
        pack(bytearray(1), 0, DataType.BYTE, 256)


@pytest.mark.parametrize("layout", list(Layout))
def test_float32_limits(layout: Layout) -> None:
    buf = bytearray(4)
    biggest_double_below_overflow = math.nextafter(2.0**128 - 2.0**103, 0)
    for value, stored in (
        (FLOAT32_MAX, FLOAT32_MAX),
        (-FLOAT32_MAX, -FLOAT32_MAX),
        (biggest_double_below_overflow, FLOAT32_MAX),  # rounds down to FLOAT32_MAX
        (math.inf, math.inf),
        (-math.inf, -math.inf),
        (1e-46, 0.0),  # underflows to zero, like any float32 rounding
        (2**-149, 2**-149),
    ):
        pack(buf, 0, DataType.FLOAT, value, layout=layout)
        assert unpack(buf, 0, DataType.FLOAT, layout=layout) == stored
    pack(buf, 0, DataType.FLOAT, math.nan, layout=layout)
    assert math.isnan(unpack(buf, 0, DataType.FLOAT, layout=layout))
    before = bytes(buf)
    too_big: list[object] = [2.0**128 - 2.0**103, -(2.0**128), 1e39, 1e300, 10**400, Fraction(10**50)]
    for bad in too_big:
        with pytest.raises(CodecError, match=r"^float: value .* is out of range, allowed "):
            pack(buf, 0, DataType.FLOAT, bad, layout=layout)  # type: ignore[arg-type]
        assert buf == before


def test_float_out_of_range_message() -> None:
    with pytest.raises(CodecError) as raised:
        pack(bytearray(4), 0, DataType.FLOAT, 1e39)
    assert str(raised.value) == (
        "float: value 1e+39 is out of range, allowed -3.4028235e+38..3.4028235e+38, inf, -inf or nan"
    )
    assert to_text(DataType.FLOAT, FLOAT32_MAX) == "3.4028235e+38"


# --- bad input: CodecError and the buffer unchanged ---------------------------------------------


BAD_PACKS: list[tuple[str, int, DataType, object, int | None, str]] = [
    ("bool int", 0, DataType.INT16, True, None, "int16: value True is a bool, expected an int"),
    ("bool byte", 0, DataType.BYTE, False, None, "byte: value False is a bool, expected an int"),
    ("bool float", 0, DataType.FLOAT, True, None, "float: value True is a bool, expected a float"),
    ("float for int", 0, DataType.UINT32, 1.0, None, "uint32: value 1.0 is a float, expected an int"),
    ("text for int", 0, DataType.INT32, "5", None, "int32: value '5' is a str, expected an int"),
    ("text for float", 0, DataType.FLOAT, "1.5", None, "float: value '1.5' is a str, expected a"),
    ("decimal", 0, DataType.FLOAT, Decimal("1.5"), None, "is a Decimal, expected a float"),
    ("none", 0, DataType.UINT16, None, None, "uint16: value None is a NoneType, expected an int"),
    ("out of range", 0, DataType.INT16, 40000, None, "int16: value 40000 is out of range, allowed"),
    ("negative unsigned", 0, DataType.UINT32, -1, None, "uint32: value -1 is out of range"),
    ("wrong length", 0, DataType.FLOAT, 1.0, 2, "float: length 2 does not match the type, allowed 4"),
    ("length 8 int32", 0, DataType.INT32, 1, 8, "int32: length 8 does not match the type"),
    ("bool length", 0, DataType.HEXA, b"\x01", True, "hexa: length True is a bool, expected an int"),
    ("zero length", 0, DataType.HEXA, b"", 0, "hexa: length 0 is out of range, allowed 1 or more"),
    ("no length", 0, DataType.STRING, "a", None, "string: length is required"),
    ("no hexa length", 0, DataType.HEXA, "00", None, "hexa: length is required"),
    ("not hex", 0, DataType.HEXA, "zz", 1, "hexa: 'zz' is not hex digits"),
    ("0x prefix", 0, DataType.HEXA, "0x01", 2, "hexa: '0x01' is not hex digits"),
    ("spaces", 0, DataType.HEXA, "01 02", 2, "hexa: '01 02' is not hex digits"),
    ("odd digits", 0, DataType.HEXA, "abc", 2, "hexa: 'abc' has an odd number of hex digits (3)"),
    ("short hexa", 0, DataType.HEXA, b"\x01", 2, "hexa: value b'\\x01' has 1 byte, allowed exactly"),
    ("long hexa", 0, DataType.HEXA, "010203", 2, "hexa: value '010203' has 3 bytes"),
    ("hexa int", 0, DataType.HEXA, 5, 2, "hexa: value 5 is an int, expected bytes or hex text"),
    ("long string", 0, DataType.STRING, "abcdef", 4, "string: value 'abcdef' needs 6 bytes in UTF-8"),
    ("utf-8 long", 0, DataType.STRING, "\u00e9\u00e9\u00e9", 5, "needs 6 bytes in UTF-8, allowed"),
    ("string bytes", 0, DataType.STRING, b"ab", 4, "string: value b'ab' is a bytes, expected a str"),
    ("trailing nul", 0, DataType.STRING, "ab\x00", 4, "ends with NUL, which is padding"),
    ("surrogate", 0, DataType.STRING, "\ud800", 4, "is not encodable as UTF-8"),
    ("negative address", -1, DataType.UINT16, 1, None, "uint16: address -1 is negative"),
    ("negative float address", -4, DataType.FLOAT, 1.0, None, "float: address -4 is negative"),
    ("past the end", 7, DataType.UINT16, 1, None, "uint16 at address 0x0007 needs 2 bytes but"),
    ("far past", 100, DataType.BYTE, 1, None, "byte at address 0x0064 needs 1 byte but the buffer"),
    ("string past end", 6, DataType.STRING, "a", 4, "string at address 0x0006 needs 4 bytes"),
    ("address text", "1", DataType.BYTE, 1, None, "byte: address '1' is a str, expected an int"),  # type: ignore[list-item]
    ("address float", 1.0, DataType.BYTE, 1, None, "byte: address 1.0 is a float, expected an int"),  # type: ignore[list-item]
    ("address bool", True, DataType.HEXA, "00", 1, "hexa: address True is a bool"),
    ("unknown type", 0, "integer_64", 1, None, "unknown data type 'integer_64', allowed: byte"),  # type: ignore[list-item]
    ("type object", 0, int, 1, None, "data type must be a DataType or a wire name, got <class"),  # type: ignore[list-item]
]


@pytest.mark.parametrize("layout", list(Layout))
@pytest.mark.parametrize(
    ("address", "dtype", "value", "length", "message"),
    [case[1:] for case in BAD_PACKS],
    ids=[case[0] for case in BAD_PACKS],
)
def test_bad_pack_raises_and_leaves_the_buffer_unchanged(
    address: int, dtype: DataType, value: Any, length: int | None, message: str, layout: Layout
) -> None:
    buf = bytearray(range(8))
    before = bytes(buf)
    with pytest.raises(CodecError) as raised:
        pack(buf, address, dtype, value, layout=layout, length=length)
    assert message in str(raised.value)
    assert buf == before
    assert isinstance(raised.value, UsageError)
    assert isinstance(raised.value, ValueError)


def test_exact_messages_from_the_brief() -> None:
    with pytest.raises(CodecError) as raised:
        pack(bytearray(0x100), 0xFE, DataType.UINT32, 1)
    assert str(raised.value) == "uint32 at address 0x00FE needs 4 bytes but the buffer ends at 0x0100"
    with pytest.raises(CodecError) as raised:
        pack(bytearray(4), 0, DataType.HEXA, "zz", length=1)
    assert str(raised.value) == "hexa: 'zz' is not hex digits"
    with pytest.raises(CodecError) as raised:
        pack(bytearray(2), 0, DataType.BYTE, 300)
    assert str(raised.value) == "byte: value 300 is out of range, allowed 0..255"


@pytest.mark.parametrize(
    ("buf", "message"),
    [
        (b"\x00" * 8, "cannot write into a read-only bytes, use a bytearray"),
        (memoryview(b"\x00" * 8), "cannot write into a read-only memoryview"),
        ([0] * 8, "buffer must be bytes-like, got a list"),
        ("00000000", "buffer must be bytes-like, got a str"),
    ],
)
def test_pack_needs_a_writable_buffer(buf: Any, message: str) -> None:
    for layout in Layout:
        with pytest.raises(CodecError, match=message):
            pack(buf, 0, DataType.FLOAT, 1.0, layout=layout)


def test_unpack_rejects_bad_requests() -> None:
    data = bytes(8)
    cases: list[tuple[Any, ...]] = [
        (data, -1, DataType.BYTE, None, "byte: address -1 is negative"),
        (data, 6, DataType.INT32, None, "int32 at address 0x0006 needs 4 bytes"),
        (data, 0, DataType.UINT32, 2, "uint32: length 2 does not match the type, allowed 4"),
        (data, 0, DataType.HEXA, None, "hexa: length is required"),
        (data, 0, DataType.STRING, 9, "string at address 0x0000 needs 9 bytes"),
        ([0] * 8, 0, DataType.BYTE, None, "byte: buffer must be bytes-like, got a list"),
        (b"\xff\xfe", 0, DataType.STRING, 2, r"string at address 0x0000: b'\\xff\\xfe' is not valid"),
    ]
    for buf, address, dtype, length, message in cases:
        for layout in Layout:
            with pytest.raises(CodecError, match=message):
                unpack(buf, address, dtype, layout=layout, length=length)


def test_errors_are_usage_errors() -> None:
    assert issubclass(CodecError, UsageError)
    assert issubclass(CodecError, ValueError)


# --- coerce --------------------------------------------------------------------------------------


def test_coerce_normalises() -> None:
    assert coerce(DataType.FLOAT, 3.3) == struct.unpack(">f", struct.pack(">f", 3.3))[0]
    assert coerce(DataType.FLOAT, 2) == 2.0
    assert type(coerce(DataType.FLOAT, 2)) is float
    assert coerce(DataType.FLOAT, Fraction(1, 4)) == 0.25
    assert coerce(DataType.INT16, -3) == -3
    assert coerce(DataType.HEXA, "0aff", length=2) == b"\x0a\xff"
    assert coerce(DataType.HEXA, bytearray(b"\x01")) == b"\x01"
    assert coerce(DataType.STRING, "abc", length=3) == "abc"
    with pytest.raises(CodecError, match="hexa: value '0aff' has 2 bytes, allowed exactly 3"):
        coerce(DataType.HEXA, "0aff", length=3)


def test_int_like_values_are_accepted_on_the_checked_path() -> None:
    class Register(int):
        pass

    buf = bytearray(2)
    pack(buf, 0, DataType.UINT16, Register(7))
    assert unpack(buf, 0, DataType.UINT16) == 7
    assert type(coerce(DataType.UINT16, Register(7))) is int
    assert to_text(DataType.UINT16, Register(7)) == "7"


def test_size_of() -> None:
    assert [size_of(dtype) for dtype in FIXED] == [1, 2, 2, 4, 4, 4]
    assert size_of(DataType.STRING, 12) == 12
    with pytest.raises(CodecError, match="string: length is required"):
        size_of(DataType.STRING)


# --- text forms ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (3.3, "3.3"),
        (25, "25.0"),
        (-3, "-3.0"),
        (0.1, "0.1"),
        (1000.0, "1000.0"),
        (1e16, "1e+16"),
        (1e-5, "1e-05"),
        (0.0001, "0.0001"),
        (123456789, "123456790.0"),
        (16777217, "16777216.0"),
        (FLOAT32_MAX, "3.4028235e+38"),
        (2**-149, "1e-45"),
        (7.0385313e-26, "7.0385313e-26"),  # 8 digits: "7.038531e-26" is the neighbour float32
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
        (math.nan, "nan"),
    ],
)
def test_float_text(value: float, text: str) -> None:
    assert to_text(DataType.FLOAT, value) == text


def test_float_text_never_shows_float64_noise() -> None:
    assert repr(coerce(DataType.FLOAT, 3.3)) == "3.299999952316284"
    assert to_text(DataType.FLOAT, coerce(DataType.FLOAT, 3.3)) == "3.3"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("25", 25.0),
        ("-3", -3.0),
        ("3.3", coerce(DataType.FLOAT, 3.3)),
        ("1e3", 1000.0),
        ("+.5", 0.5),
        ("5.", 5.0),
        (" 2.5\n", 2.5),
        ("1E-2", coerce(DataType.FLOAT, 0.01)),
        ("inf", math.inf),
        ("-Infinity", -math.inf),
        ("3.4028235e38", FLOAT32_MAX),
        ("3.40282356e38", FLOAT32_MAX),  # below the midpoint to 2**128: rounds down
        ("1e-50", 0.0),
        ("7.038531e-26", 7.0385306918512091e-26),  # double rounding would give 7.0385313e-26
    ],
)
def test_float_from_text(text: str, value: float) -> None:
    assert struct.pack(">f", from_text(DataType.FLOAT, text)) == struct.pack(">f", value)


def test_float_from_text_nan() -> None:
    assert math.isnan(from_text(DataType.FLOAT, "nan"))
    assert math.isnan(from_text(DataType.FLOAT, "NaN"))


def test_float_from_text_decides_double_rounding_ties_exactly() -> None:
    # 2**-126 * (1 + 2**-24) is the midpoint between two float32s and exact as a double;
    # texts a hair above or below it read as that same double.
    midpoint = Decimal(2.0**-126 * (1 + 2.0**-24))
    low, high = 2.0**-126, 2.0**-126 * (1 + 2.0**-23)
    with localcontext() as context:
        context.prec = 200
        above, below = str(midpoint + Decimal("1e-80")), str(midpoint - Decimal("1e-80"))
    assert float(above) == float(below) == float(midpoint)
    assert from_text(DataType.FLOAT, str(midpoint)) == low  # a true tie: to even
    assert from_text(DataType.FLOAT, above) == high
    assert from_text(DataType.FLOAT, below) == low


def test_float_from_text_just_below_the_overflow_midpoint() -> None:
    overflow = Decimal(2**128 - 2**103)  # halfway between FLOAT32_MAX and 2**128
    with localcontext() as context:
        context.prec = 100
        below = str(overflow - Decimal("1e-20"))
    assert float(below) == float(overflow)
    assert from_text(DataType.FLOAT, below) == FLOAT32_MAX
    assert from_text(DataType.FLOAT, "-" + below) == -FLOAT32_MAX
    with pytest.raises(CodecError, match="out of range"):
        from_text(DataType.FLOAT, str(overflow))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "float: 'abc' is not a decimal number"),
        ("", "float: '' is not a decimal number"),
        ("1_000", "float: '1_000' is not a decimal number"),
        ("0x10", "float: '0x10' is not a decimal number"),
        ("1e", "float: '1e' is not a decimal number"),
        ("١٢", "is not a decimal number"),  # Arabic-Indic digits: float() would take them
        ("3.4028236e38", "float: value 3.4028236e38 is out of range"),
        ("1e400", "float: value 1e400 is out of range"),
        ("-1e39", "float: value -1e39 is out of range"),
    ],
)
def test_float_from_text_rejects(text: str, message: str) -> None:
    with pytest.raises(CodecError, match=message):
        from_text(DataType.FLOAT, text)


@pytest.mark.parametrize(
    ("dtype", "text", "value"),
    [
        (DataType.UINT16, "25", 25),
        (DataType.INT16, "-3", -3),
        (DataType.INT16, "+7", 7),
        (DataType.BYTE, " 255 ", 255),
        (DataType.INT32, "-2147483648", -2147483648),
        (DataType.UINT32, "0004294967295", 4294967295),
    ],
)
def test_integer_from_text(dtype: DataType, text: str, value: int) -> None:
    assert from_text(dtype, text) == value
    assert to_text(dtype, value) == str(value)


@pytest.mark.parametrize("text", ["2.5", "25.0", "1e3", "0x10", "", "-", "1_000", "٣", "ten"])
def test_integer_from_text_rejects(text: str) -> None:
    with pytest.raises(CodecError, match=f"int16: {text!r} is not a decimal integer"):
        from_text(DataType.INT16, text)


def test_hexa_and_string_text() -> None:
    assert to_text(DataType.HEXA, b"\x0a\xff") == "0AFF"
    assert to_text(DataType.HEXA, "0aff") == "0AFF"
    assert from_text(DataType.HEXA, "0aFF") == b"\x0a\xff"
    assert from_text(DataType.HEXA, "0aFF", length=2) == b"\x0a\xff"
    assert to_text(DataType.STRING, "hello") == "hello"
    assert from_text(DataType.STRING, "hello", length=5) == "hello"
    with pytest.raises(CodecError, match="string: value 'hello' needs 5 bytes"):
        from_text(DataType.STRING, "hello", length=4)
    with pytest.raises(CodecError, match="hexa: 'g0' is not hex digits"):
        from_text(DataType.HEXA, "g0")
    with pytest.raises(CodecError, match="has an odd number of hex digits"):
        from_text(DataType.HEXA, "0")
    with pytest.raises(CodecError, match=r"float: text b'1' is a bytes, expected a str"):
        from_text(DataType.FLOAT, b"1")  # type: ignore[call-overload]


def test_to_text_validates() -> None:
    with pytest.raises(CodecError, match="int16: value 40000 is out of range"):
        to_text(DataType.INT16, 40000)
    with pytest.raises(CodecError, match=r"float: value 1e\+39 is out of range"):
        to_text(DataType.FLOAT, 1e39)
    with pytest.raises(CodecError, match="uint16: value True is a bool"):
        to_text(DataType.UINT16, True)


# --- registers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dtype", "value", "layout", "registers"),
    [
        (DataType.FLOAT, 1.0, Layout.CDAB, [0x0000, 0x3F80]),
        (DataType.FLOAT, 1.0, Layout.ABCD, [0x3F80, 0x0000]),
        (DataType.FLOAT, 1.0, Layout.BADC, [0x803F, 0x0000]),
        (DataType.FLOAT, 1.0, Layout.DCBA, [0x0000, 0x803F]),
        (DataType.UINT32, 0x11223344, Layout.CDAB, [0x3344, 0x1122]),
        (DataType.INT32, -2, Layout.ABCD, [0xFFFF, 0xFFFE]),
        (DataType.INT16, -2, Layout.ABCD, [0xFFFE]),
        (DataType.INT16, -2, Layout.DCBA, [0xFEFF]),
        (DataType.UINT16, 0x1234, Layout.CDAB, [0x1234]),
        (DataType.BYTE, 0xAB, Layout.DCBA, [0x00AB]),
    ],
)
def test_register_vectors(dtype: DataType, value: int | float, layout: Layout, registers: list[int]) -> None:
    assert to_registers(dtype, value, layout=layout) == registers
    assert from_registers(dtype, registers, layout=layout) == value


def test_registers_of_text_and_hexa() -> None:
    assert to_registers(DataType.STRING, "abc", length=3) == [0x6162, 0x6300]
    assert from_registers(DataType.STRING, [0x6162, 0x6300]) == "abc"
    assert from_registers(DataType.STRING, [0x6162, 0x6300], length=3) == "abc"
    assert to_registers(DataType.HEXA, "0102", length=2) == [0x0102]
    assert from_registers(DataType.HEXA, [0x0102, 0x0304]) == b"\x01\x02\x03\x04"


@pytest.mark.parametrize(
    ("dtype", "registers", "length", "message"),
    [
        (DataType.UINT16, [70000], None, "register 0: value 70000 is out of range, allowed 0..65535"),
        (DataType.FLOAT, [0, -1], None, "register 1: value -1 is out of range"),
        (DataType.FLOAT, [0, True], None, "register 1: value True is a bool, expected an int"),
        (DataType.FLOAT, [0, 1.0], None, "register 1: value 1.0 is a float"),
        (DataType.FLOAT, [0], None, "float: needs 2 registers, got 1"),
        (DataType.UINT16, [0, 0], None, "uint16: needs 1 register, got 2"),
        (DataType.BYTE, [256], None, "byte: value 256 is out of range, allowed 0..255"),
        (DataType.STRING, [1], 4, "string: needs 2 registers, got 1"),
        (DataType.FLOAT, "ab", None, "float: registers must be a sequence of ints, got a str"),
        (DataType.FLOAT, 5, None, "float: registers must be a sequence of ints, got an int"),
    ],
)
def test_bad_registers(dtype: DataType, registers: Any, length: int | None, message: str) -> None:
    with pytest.raises(CodecError, match=message):
        from_registers(dtype, registers, length=length)


def test_to_registers_rejects_bad_values() -> None:
    with pytest.raises(CodecError, match="float: value 'x' is a str"):
        to_registers(DataType.FLOAT, "x")
    with pytest.raises(CodecError, match="string: length is required"):
        to_registers(DataType.STRING, "x")


def test_the_codec_page_examples_hold() -> None:
    page = Path(__file__).resolve().parents[2] / "docs" / "codec.md"
    result = doctest.testfile(str(page), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 20
    assert result.failed == 0
