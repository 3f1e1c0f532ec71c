"""Memory maps on construct: definitions, read/write, and a differential test against the codec."""

from __future__ import annotations

import math
import struct
from typing import Any

import construct as cs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from iotws.codec import DataType, Layout, coerce, pack, size_of, unpack
from iotws.errors import CodecError, UsageError
from iotws.memory import Field, MemoryMap, to_construct

DATA_AREA = MemoryMap(
    {
        "temperature": Field(0x2000, DataType.FLOAT),
        "humidity": Field(0x2004, DataType.FLOAT, layout=Layout.CDAB),
        "counter": Field(0x2008, DataType.UINT32),
        "offset": Field(0x200C, DataType.INT16),
        "mode": Field(0x200E, DataType.BYTE),
        "status": Field(0x2010, DataType.HEXA, length=4),
        "name": Field(0x2014, DataType.STRING, length=8),
    },
    base=0x2000,
    size=0x300,
    layout=Layout.ABCD,
)


def same(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return a == b and type(a) is type(b)


def test_read_and_write_a_block() -> None:
    block = bytearray(DATA_AREA.size)
    DATA_AREA.write(
        block,
        {
            "temperature": 21.5,
            "humidity": 55.25,
            "counter": 0x11223344,
            "offset": -2,
            "mode": 3,
            "status": "00FF00FF",
            "name": "pump 1",
        },
    )
    assert block[0:4] == bytes.fromhex("41ac0000")
    assert block[4:8] == bytes.fromhex("0000425d")  # CDAB: low word first
    assert block[8:12] == bytes.fromhex("11223344")
    assert block[0x14:0x1C] == b"pump 1\x00\x00"
    assert DATA_AREA.read(block) == {
        "temperature": 21.5,
        "humidity": 55.25,
        "counter": 0x11223344,
        "offset": -2,
        "mode": 3,
        "status": b"\x00\xff\x00\xff",
        "name": "pump 1",
    }
    assert DATA_AREA.read(bytes(block)) == DATA_AREA.read(memoryview(block))


def test_write_is_partial_and_leaves_other_bytes_alone() -> None:
    block = bytearray(b"\xee" * DATA_AREA.size)
    DATA_AREA.write(block, {"mode": 7})
    assert block[0x0E] == 7
    assert block.count(0xEE) == DATA_AREA.size - 1


def test_write_is_all_or_nothing() -> None:
    block = bytearray(DATA_AREA.size)
    before = bytes(block)
    bad_values: list[tuple[dict[str, Any], type[Exception], str]] = [
        ({"mode": 1, "offset": 40000}, CodecError, "field 'offset': int16: value 40000 is out of range"),
        ({"mode": 1, "temperature": "hot"}, CodecError, "field 'temperature': float: value 'hot' is a str"),
        ({"mode": 1, "status": "0102"}, CodecError, "field 'status': hexa: value '0102' has 2 bytes"),
        ({"mode": 1, "name": "a much too long name"}, CodecError, "field 'name': string: value"),
        ({"mode": 1, "mode2": 1}, UsageError, "unknown field 'mode2', known: temperature, humidity"),
        ({"mode": True}, CodecError, "field 'mode': byte: value True is a bool"),
    ]
    for values, error, message in bad_values:
        with pytest.raises(error) as raised:
            DATA_AREA.write(block, values)
        assert message in str(raised.value)
        assert block == before


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (bytearray(10), "block has 10 bytes, the map needs 768"),
        (bytes(768), "cannot write into a read-only bytes"),
        ([0] * 768, "block must be bytes-like, got list"),
    ],
)
def test_write_needs_a_writable_block_of_the_right_size(block: Any, message: str) -> None:
    with pytest.raises(CodecError, match=message):
        DATA_AREA.write(block, {"mode": 1})


def test_read_needs_a_block_of_the_right_size() -> None:
    with pytest.raises(CodecError, match="block has 769 bytes, the map needs 768"):
        DATA_AREA.read(bytes(769))


def test_read_names_the_field_with_bad_text() -> None:
    block = bytearray(DATA_AREA.size)
    block[0x14:0x16] = b"\xff\xfe"
    with pytest.raises(CodecError, match=r"field 'name' at 0x2014: string at address 0x0014: b'\\xff\\xfe"):
        DATA_AREA.read(block)


def test_properties_and_repr() -> None:
    assert DATA_AREA.base == 0x2000
    assert DATA_AREA.size == 0x300
    assert DATA_AREA.layout is Layout.ABCD
    assert list(DATA_AREA.fields) == ["temperature", "humidity", "counter", "offset", "mode", "status", "name"]
    assert DATA_AREA.fields["status"] == Field(0x2010, DataType.HEXA, length=4)
    with pytest.raises(TypeError):
        DATA_AREA.fields["x"] = Field(0, DataType.BYTE)  # type: ignore[index]
    assert repr(DATA_AREA) == "MemoryMap(7 fields, base=0x2000, size=768, layout=ABCD)"


def test_size_defaults_to_the_end_of_the_last_field() -> None:
    assert MemoryMap({"a": Field(0x3000, DataType.BYTE), "b": Field(0x3004, DataType.FLOAT)}, base=0x3000).size == 8


# --- definitions ---------------------------------------------------------------------------------


def test_field_definitions() -> None:
    assert Field(0, "FLOAT").dtype is DataType.FLOAT  # type: ignore[arg-type]
    assert Field(0, DataType.FLOAT, length=4).size == 4
    assert Field(0, DataType.STRING, length=9).size == 9
    with pytest.raises(CodecError, match="float: length 2 does not match the type, allowed 4"):
        Field(0, DataType.FLOAT, length=2)
    with pytest.raises(CodecError, match="hexa: length is required"):
        Field(0, DataType.HEXA)
    with pytest.raises(CodecError, match="unknown data type 'double'"):
        Field(0, "double")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="field address -1 is negative"):
        Field(-1, DataType.BYTE)
    with pytest.raises(UsageError, match="field address '0x10' is not an int"):
        Field("0x10", DataType.BYTE)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="unknown layout 'cdab', allowed: ABCD, DCBA, BADC, CDAB"):
        Field(0, DataType.FLOAT, layout="cdab")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "options", "message"),
    [
        (
            {"a": Field(0, DataType.INT32), "b": Field(3, DataType.BYTE)},
            {},
            "fields 'a' (int32 at 0x0000..0x0003) and 'b' (byte at 0x0003..0x0003) overlap; "
            "pass allow_overlap=True if that is intended",
        ),
        (
            {"a": Field(0x10, DataType.HEXA, length=16), "b": Field(0x14, DataType.BYTE)},
            {"base": 0x10},
            "fields 'a' (hexa at 0x0010..0x001F) and 'b' (byte at 0x0014..0x0014) overlap",
        ),
        (
            {"a": Field(0x2300, DataType.FLOAT)},
            {"base": 0x2000, "size": 0x300},
            "field 'a' (float at 0x2300..0x2303) lies outside the block 0x2000..0x22FF",
        ),
        (
            {"a": Field(0x22FE, DataType.FLOAT)},
            {"base": 0x2000, "size": 0x300},
            "field 'a' (float at 0x22FE..0x2301) lies outside the block 0x2000..0x22FF",
        ),
        (
            {"a": Field(0x1FFF, DataType.BYTE)},
            {"base": 0x2000, "size": 0x300},
            "field 'a' (byte at 0x1FFF..0x1FFF) lies outside the block 0x2000..0x22FF",
        ),
        ({}, {}, "a memory map needs at least one field"),
        ({"_io": Field(0, DataType.BYTE)}, {}, "field name '_io' must be an identifier not starting with '_'"),
        ({"a b": Field(0, DataType.BYTE)}, {}, "field name 'a b' must be an identifier"),
        ({"a": (0, DataType.BYTE)}, {}, "field 'a' is a tuple, expected a Field"),
        ({"a": Field(0, DataType.BYTE)}, {"base": -1}, "base -1 must be an int >= 0"),
        ({"a": Field(0, DataType.BYTE)}, {"size": 0}, "size 0 must be an int >= 1"),
        ({"a": Field(0, DataType.BYTE)}, {"layout": "ABCD"}, "unknown layout 'ABCD'"),
    ],
)
def test_bad_definitions(fields: dict[str, Any], options: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError) as raised:
        MemoryMap(fields, **options)
    assert message in str(raised.value)


def test_overlap_when_allowed() -> None:
    # The Globiots Android demos read floats at 0x2006 and 0x2007.
    overlapping = MemoryMap(
        {"a": Field(0x2006, DataType.FLOAT), "b": Field(0x2007, DataType.FLOAT)}, base=0x2000, allow_overlap=True
    )
    block = bytearray(overlapping.size)
    overlapping.write(block, {"a": 1.0, "b": 2.0})  # in order: b wins where they overlap
    assert block[6:] == bytes.fromhex("3f40000000")
    assert overlapping.read(block)["b"] == 2.0


def test_to_construct_is_compilable_and_lambda_free() -> None:
    for dtype in DataType:
        for layout in Layout:
            con = to_construct(dtype, layout, None if dtype.size else 6)
            compiled = cs.Struct("v" / cs.Pointer(2, con)).compile()
            assert compiled.parse(bytes(8))["v"] is not None
            assert "<lambda>" not in repr(getattr(con, "decodefunc", ""))


# --- differential: construct memory map vs the struct codec -------------------------------------


@st.composite
def maps(draw: st.DrawFn) -> tuple[MemoryMap, bool]:
    """A random map of non-overlapping fields (or overlapping ones, allowed) in a random block."""
    base = draw(st.integers(0, 0x6000))
    layout = draw(st.sampled_from(Layout))
    fields: dict[str, Field] = {}
    cursor = base
    overlap = draw(st.booleans())
    for index in range(draw(st.integers(1, 10))):
        dtype = draw(st.sampled_from(DataType))
        length = None if dtype.size else draw(st.integers(1, 12))
        cursor += draw(st.integers(0, 3))
        own_layout = draw(st.none() | st.sampled_from(Layout))
        fields[f"f{index}"] = Field(cursor, dtype, length=length, layout=own_layout)
        step = size_of(dtype, length)
        cursor += draw(st.integers(1, step)) if overlap else step
    end = max(field.address + field.size for field in fields.values())
    size = end - base + draw(st.integers(0, 5))
    return MemoryMap(fields, base=base, size=size, layout=layout, allow_overlap=overlap), overlap


def codec_read(memory_map: MemoryMap, block: bytes, name: str) -> Any:
    field = memory_map.fields[name]
    return unpack(block, field.address - memory_map.base, field.dtype, field.layout or memory_map.layout, field.length)


@given(st.data(), maps())
def test_read_agrees_with_the_codec(data: st.DataObject, generated: tuple[MemoryMap, bool]) -> None:
    memory_map, _ = generated
    block = data.draw(st.binary(min_size=memory_map.size, max_size=memory_map.size))
    try:
        values = memory_map.read(block)
    except CodecError as exc:  # some string field's bytes are not UTF-8: the codec must agree
        names = [name for name in memory_map.fields if f"field {name!r} " in str(exc)]
        assert len(names) == 1
        with pytest.raises(CodecError, match="is not valid UTF-8"):
            codec_read(memory_map, block, names[0])
        return
    for name, value in values.items():
        assert same(value, codec_read(memory_map, block, name)), name


def value_for(field: Field) -> st.SearchStrategy[Any]:
    if field.dtype is DataType.FLOAT:
        return st.floats(width=32)
    if field.dtype is DataType.STRING:
        length = field.size
        letters = st.characters(codec="utf-8", exclude_characters="\x00")
        return st.text(letters, max_size=length).filter(lambda t: len(t.encode()) <= length)
    if field.dtype is DataType.HEXA:
        return st.binary(min_size=field.size, max_size=field.size)
    assert field.dtype.min is not None
    assert field.dtype.max is not None
    return st.integers(field.dtype.min, field.dtype.max)


@given(st.data(), maps())
def test_write_then_codec_unpack_agrees(data: st.DataObject, generated: tuple[MemoryMap, bool]) -> None:
    memory_map, overlap = generated
    names = data.draw(st.lists(st.sampled_from(list(memory_map.fields)), unique=True, min_size=1))
    values = {name: data.draw(value_for(memory_map.fields[name])) for name in names}
    block = bytearray(data.draw(st.binary(min_size=memory_map.size, max_size=memory_map.size)))
    expected = bytearray(block)
    for name, value in values.items():  # the same writes through the struct codec
        field = memory_map.fields[name]
        layout = field.layout or memory_map.layout
        pack(expected, field.address - memory_map.base, field.dtype, value, layout, field.length)
    memory_map.write(block, values)
    assert block == expected
    if not overlap:
        for name, value in values.items():
            assert same(codec_read(memory_map, bytes(block), name), coerce(memory_map.fields[name].dtype, value))


@given(st.binary(min_size=4, max_size=4), st.sampled_from(Layout))
def test_construct_and_struct_agree_on_every_32_bit_layout(raw: bytes, layout: Layout) -> None:
    for dtype in (DataType.UINT32, DataType.INT32, DataType.FLOAT):
        assert same(to_construct(dtype, layout).parse(raw), unpack(raw, 0, dtype, layout))
        value = unpack(raw, 0, dtype, layout)
        if not (isinstance(value, float) and math.isnan(value)):
            assert to_construct(dtype, layout).build(value) == raw
    for dtype in (DataType.UINT16, DataType.INT16):
        assert to_construct(dtype, layout).parse(raw[:2]) == unpack(raw, 0, dtype, layout)
        assert struct.pack(">H", unpack(raw, 0, DataType.UINT16, Layout.ABCD)) == raw[:2]
