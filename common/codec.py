"""Scalar codec: pack and unpack typed values by byte address, in any of the four layouts.

Controllers expose their data as a byte-addressed memory map (Globiots iConnector) or as
16-bit registers (EVOK). This module converts between those bytes and Python values:

* [`pack`][iotws.pack] / [`unpack`][iotws.unpack] write and read one value at a byte address of a buffer;
* [`packer`][iotws.packer] / [`unpacker`][iotws.unpacker] bind the type, layout and length once, for hot loops;
* [`to_registers`][iotws.to_registers] / [`from_registers`][iotws.from_registers] do the same with lists of 16-bit
  registers;
* [`to_text`][iotws.to_text] / [`from_text`][iotws.from_text] convert to and from the decimal and hex text used on the
  Globiots wire, exactly (a float32 prints as the shortest text that reads back to it);
* [`coerce`][iotws.coerce] checks a Python value against a type and normalises it.

Every check happens before anything is written; a bad value raises
[`CodecError`][iotws.CodecError] naming the type, the value and what is allowed.
Scalars go through a table of ``struct.Struct`` objects compiled once at import; the
pre-bound functions are compiled on first use.
Text of the ``string`` type is UTF-8, padded with NUL bytes to its length.

Examples:
    >>> buf = bytearray(8)
    >>> pack(buf, 2, DataType.FLOAT, 3.3, layout=Layout.CDAB)
    >>> buf.hex(" ")
    '00 00 33 33 40 53 00 00'
    >>> to_text(DataType.FLOAT, unpack(buf, 2, DataType.FLOAT, layout=Layout.CDAB))
    '3.3'
"""

from __future__ import annotations

import enum
import math
import numbers
import operator
import re
import struct
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, Final, Literal, TypeAlias, TypeVar, overload

from iotws.errors import CodecError, excerpt

__all__ = [
    "FLOAT32_MAX",
    "Buffer",
    "ByteOrder",
    "DataType",
    "IntType",
    "Layout",
    "Packer",
    "Unpacker",
    "Value",
    "WordOrder",
    "WritableBuffer",
    "coerce",
    "from_registers",
    "from_text",
    "pack",
    "packer",
    "size_of",
    "to_registers",
    "to_text",
    "unpack",
    "unpacker",
]


class DataType(enum.StrEnum):
    """The data types of a memory map; each value is its Globiots wire name.

    Examples:
        >>> DataType.UINT16.value, DataType.UINT16.size, DataType.UINT16.max
        ('unsigned_integer_16', 2, 65535)
        >>> DataType.STRING.size is None  # variable length: pass ``length``
        True
    """

    BYTE = "byte"
    UINT16 = "unsigned_integer_16"
    INT16 = "integer_16"
    UINT32 = "unsigned_integer_32"
    INT32 = "integer_32"
    FLOAT = "float"
    STRING = "string"
    HEXA = "hexa"

    @property
    def size(self) -> int | None:
        """Size in bytes, or ``None`` for the variable-length ``string`` and ``hexa``.

        Examples:
            >>> DataType.INT32.size
            4
        """
        return _SIZE.get(self)

    @property
    def min(self) -> int | None:
        """Smallest value of an integer type, ``None`` for the other types.

        Examples:
            >>> DataType.INT16.min
            -32768
        """
        bounds = _INT_RANGE.get(self)
        return bounds[0] if bounds else None

    @property
    def max(self) -> int | None:
        """Largest value of an integer type, ``None`` for the other types.

        Examples:
            >>> DataType.UINT32.max
            4294967295
        """
        bounds = _INT_RANGE.get(self)
        return bounds[1] if bounds else None

    @property
    def short_name(self) -> str:
        """The short name used in error messages: ``byte``, ``uint16``, ``int16``, ...

        Examples:
            >>> DataType.UINT32.short_name
            'uint32'
        """
        return self.name.lower()

    @classmethod
    def from_wire(cls, name: str) -> DataType:
        """Look a type up by its wire name (or short name), ignoring case.

        Examples:
            >>> DataType.from_wire("Integer_16")
            <DataType.INT16: 'integer_16'>
            >>> DataType.from_wire("integer_64")  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            iotws.errors.CodecError: unknown data type 'integer_64', allowed: byte, ..., hexa
        """
        found = _BY_NAME.get(name.lower()) if isinstance(name, str) else None
        if found is None:
            allowed = ", ".join(member.value for member in cls)
            raise CodecError(f"unknown data type {excerpt(name)}, allowed: {allowed}")
        return found


class ByteOrder(enum.StrEnum):
    """Order of the two bytes inside a 16-bit word (``AB`` is big endian).

    Examples:
        >>> ByteOrder.BIG.value
        'big'
    """

    BIG = "big"
    LITTLE = "little"


class WordOrder(enum.StrEnum):
    """Order of the two 16-bit words of a 32-bit value (big: high word first).

    Examples:
        >>> WordOrder.LITTLE.value
        'little'
    """

    BIG = "big"
    LITTLE = "little"


class Layout(enum.StrEnum):
    """Where the bytes ``A B C D`` (most significant first) of a 32-bit value go.

    ``ABCD`` is big endian, ``DCBA`` little endian, ``BADC`` swaps the bytes inside each word,
    ``CDAB`` swaps the words (Modbus/EVOK float32 "low word first"). 16-bit values follow the
    byte order: ``AB`` for ABCD and CDAB, ``BA`` for DCBA and BADC.

    Examples:
        >>> Layout.from_orders(ByteOrder.BIG, WordOrder.LITTLE)
        <Layout.CDAB: 'CDAB'>
        >>> Layout.BADC.byte_order, Layout.BADC.word_order
        (<ByteOrder.LITTLE: 'little'>, <WordOrder.BIG: 'big'>)
    """

    ABCD = "ABCD"
    DCBA = "DCBA"
    BADC = "BADC"
    CDAB = "CDAB"

    @property
    def byte_order(self) -> ByteOrder:
        """Order of the bytes inside each 16-bit word.

        Examples:
            >>> Layout.DCBA.byte_order
            <ByteOrder.LITTLE: 'little'>
        """
        return ByteOrder.BIG if self in (Layout.ABCD, Layout.CDAB) else ByteOrder.LITTLE

    @property
    def word_order(self) -> WordOrder:
        """Order of the two words of a 32-bit value.

        Examples:
            >>> Layout.CDAB.word_order
            <WordOrder.LITTLE: 'little'>
        """
        return WordOrder.BIG if self in (Layout.ABCD, Layout.BADC) else WordOrder.LITTLE

    @classmethod
    def from_orders(cls, byte_order: ByteOrder, word_order: WordOrder) -> Layout:
        """The layout with this byte order inside words and this word order.

        Examples:
            >>> Layout.from_orders(ByteOrder.LITTLE, WordOrder.LITTLE)
            <Layout.DCBA: 'DCBA'>
        """
        for layout in cls:
            if layout.byte_order == byte_order and layout.word_order == word_order:
                return layout
        raise CodecError(f"unknown byte order {byte_order!r} or word order {word_order!r}")


Value: TypeAlias = int | float | str | bytes
"""A Python value of some data type: ``int``, ``float``, ``str`` (string) or ``bytes`` (hexa).

Examples:
    >>> isinstance(unpack(bytes([0, 42]), 0, DataType.UINT16), int)
    True
"""

Buffer: TypeAlias = bytes | bytearray | memoryview
"""A buffer [`unpack`][iotws.unpack] reads from (any bytes-like object works at run time).

Examples:
    >>> unpack(memoryview(bytes([42])), 0, DataType.BYTE)
    42
"""

WritableBuffer: TypeAlias = bytearray | memoryview
"""A buffer [`pack`][iotws.pack] writes into.

Examples:
    >>> buf = bytearray(1)
    >>> pack(memoryview(buf), 0, DataType.BYTE, 42)
    >>> buf
    bytearray(b'*')
"""

IntType: TypeAlias = Literal[DataType.BYTE, DataType.UINT16, DataType.INT16, DataType.UINT32, DataType.INT32]
"""The integer data types, for precise type hints (``unpack`` with one of them returns ``int``).

Examples:
    >>> DataType.INT16.min is not None
    True
"""

FLOAT32_MAX: Final[float] = struct.unpack(">f", b"\x7f\x7f\xff\xff")[0]
"""The largest finite float32.

Examples:
    >>> FLOAT32_MAX, to_text(DataType.FLOAT, FLOAT32_MAX)
    (3.4028234663852886e+38, '3.4028235e+38')
"""

_SIZE: Final[dict[DataType, int]] = {
    DataType.BYTE: 1,
    DataType.UINT16: 2,
    DataType.INT16: 2,
    DataType.UINT32: 4,
    DataType.INT32: 4,
    DataType.FLOAT: 4,
}
_INT_RANGE: Final[dict[DataType, tuple[int, int]]] = {
    DataType.BYTE: (0, 0xFF),
    DataType.UINT16: (0, 0xFFFF),
    DataType.INT16: (-0x8000, 0x7FFF),
    DataType.UINT32: (0, 0xFFFF_FFFF),
    DataType.INT32: (-0x8000_0000, 0x7FFF_FFFF),
}
_BY_NAME: Final[dict[str, DataType]] = {
    **{member.value: member for member in DataType},
    **{member.short_name: member for member in DataType},
}
_FORMAT: Final[dict[DataType, str]] = {
    DataType.BYTE: "B",
    DataType.UINT16: "H",
    DataType.INT16: "h",
    DataType.UINT32: "I",
    DataType.INT32: "i",
    DataType.FLOAT: "f",
}
# Big-endian (ABCD) struct per fixed type: the canonical form the slow path reorders.
_BIG: Final[dict[DataType, struct.Struct]] = {dtype: struct.Struct(">" + code) for dtype, code in _FORMAT.items()}
_F32: Final = _BIG[DataType.FLOAT]
_FLOAT: Final = DataType.FLOAT
_U32: Final = _BIG[DataType.UINT32]
# Doubles of at least this magnitude round to infinity as float32 (half an ulp above FLOAT32_MAX).
_F32_OVERFLOW: Final = 2.0**128 - 2.0**103
_F32_FAST_MAX: Final = math.nextafter(_F32_OVERFLOW, 0.0)
_FLOAT32_MAX_TEXT: Final = "3.4028235e+38"
_INF: Final = math.inf
# Half a float32 ulp is 2**28 double ulps (24 vs 53 significant bits), for normal float32s;
# below _TWO_ULP_TINY (twice the smallest normal float32) that shortcut does not hold.
_HALF_F32_ULP: Final = 2.0**28
_TWO_ULP_TINY: Final = 2.0**-125


# --- the hot-path tables -------------------------------------------------------------------------
#
# unpack: _UNPACK_FROM[layout][dtype](buf, address) -> 1-tuple, a bound ``unpack_from`` of a
# precompiled struct where struct can express the layout directly, else a small function that
# reads the two words with one precompiled struct and recombines them.
# pack: _PACK_INTO[layout][dtype] = (pack_into, lo, hi, value class); ``lo <= value <= hi`` and the
# exact class are the whole fast-path validation (struct's pack_into zeroes its target when it
# fails, so nothing may reach it unchecked).

_Unpacker: TypeAlias = Callable[[Buffer, int], tuple[Any, ...]]
_Packer: TypeAlias = Callable[[WritableBuffer, int, Any], None]


def _word_swapped_int(signed: bool) -> tuple[_Unpacker, _Packer]:
    """CDAB integers: the low word (big endian) first."""
    unpack_from = struct.Struct(">Hh" if signed else ">HH").unpack_from
    pack_into = struct.Struct(">HH").pack_into

    def unpack_cdab(buf: Buffer, address: int) -> tuple[int]:
        low, high = unpack_from(buf, address)
        return (high << 16 | low,)

    def pack_cdab(buf: WritableBuffer, address: int, value: int) -> None:
        pack_into(buf, address, value & 0xFFFF, value >> 16 & 0xFFFF)

    return unpack_cdab, pack_cdab


def _byte_swapped_int(signed: bool) -> tuple[_Unpacker, _Packer]:
    """BADC integers: the high word first, each word little endian."""
    unpack_from = struct.Struct("<hH" if signed else "<HH").unpack_from
    pack_into = struct.Struct("<HH").pack_into

    def unpack_badc(buf: Buffer, address: int) -> tuple[int]:
        high, low = unpack_from(buf, address)
        return (high << 16 | low,)

    def pack_badc(buf: WritableBuffer, address: int, value: int) -> None:
        pack_into(buf, address, value >> 16 & 0xFFFF, value & 0xFFFF)

    return unpack_badc, pack_badc


def _swapped_float(float_format: str) -> tuple[_Unpacker, _Packer]:
    """CDAB (``>f``) and BADC (``<f``) floats: swap the two 2-byte halves around struct."""
    halves = struct.Struct("2s2s")
    unpack_halves, pack_halves = halves.unpack_from, halves.pack_into
    codec = struct.Struct(float_format)
    unpack_float, pack_float = codec.unpack, codec.pack

    def unpack_swapped(buf: Buffer, address: int) -> tuple[float]:
        first, second = unpack_halves(buf, address)
        return unpack_float(second + first)

    def pack_swapped(buf: WritableBuffer, address: int, value: float) -> None:
        data = pack_float(value)
        pack_halves(buf, address, data[2:], data[:2])

    return unpack_swapped, pack_swapped


def _build_tables() -> tuple[
    dict[Layout, dict[DataType, _Unpacker]],
    dict[Layout, dict[DataType, tuple[_Packer, float, float, type]]],
]:
    unpackers: dict[Layout, dict[DataType, _Unpacker]] = {layout: {} for layout in Layout}
    packers: dict[Layout, dict[DataType, tuple[_Packer, float, float, type]]] = {layout: {} for layout in Layout}
    swapped = {
        (Layout.CDAB, False): _word_swapped_int(False),
        (Layout.CDAB, True): _word_swapped_int(True),
        (Layout.BADC, False): _byte_swapped_int(False),
        (Layout.BADC, True): _byte_swapped_int(True),
    }
    swapped_float = {Layout.CDAB: _swapped_float(">f"), Layout.BADC: _swapped_float("<f")}
    for layout in Layout:
        for dtype, code in _FORMAT.items():
            unpack_from: _Unpacker
            pack_into: _Packer
            if _SIZE[dtype] < 4 or layout in (Layout.ABCD, Layout.DCBA):
                compiled = struct.Struct(("<" if layout.byte_order is ByteOrder.LITTLE else ">") + code)
                unpack_from, pack_into = compiled.unpack_from, compiled.pack_into
            elif dtype is DataType.FLOAT:
                unpack_from, pack_into = swapped_float[layout]
            else:
                unpack_from, pack_into = swapped[layout, dtype is DataType.INT32]
            if dtype is DataType.FLOAT:
                bounds: tuple[float, float, type] = (-_F32_FAST_MAX, _F32_FAST_MAX, float)
            else:
                bounds = (*_INT_RANGE[dtype], int)
            unpackers[layout][dtype] = unpack_from
            packers[layout][dtype] = (pack_into, *bounds)
    return unpackers, packers


_UNPACK_FROM, _PACK_INTO = _build_tables()
# What the fast paths may raise before touching the buffer: the checked path then explains it.
_FAST_PATH_MISSES: Final = (KeyError, IndexError, TypeError, ValueError, OverflowError, BufferError, struct.error)


# --- pre-bound packers and unpackers -------------------------------------------------------------
#
# One function per (type, layout[, length]) doing the least work a checked write or read needs:
# the value's exact class and range, ``address >= 0`` (struct counts a negative offset from the
# end), then one precompiled struct call. Anything else (a bool, or an int for a float, NaN, a
# short or read-only buffer, a bad address...) goes to the checked path of pack/unpack, which
# does what they would do or raises their CodecError before anything is written. struct's
# pack_into checks the buffer and the offset before it writes, and zeroes its target only for
# values it cannot pack, which the checks keep from it.
#
# The functions are made from the templates below with their struct calls and limits bound as
# globals and constants of their own: in CPython 3.11 that is 8-10 % faster per call than a
# closure (no cells to copy in, no LOAD_DEREF), which is the margin between the budgets and not.
# They are made on first use (and cached), so importing the codec compiles nothing.

_V = TypeVar("_V")

Packer: TypeAlias = Callable[[WritableBuffer, int, _V], None]
"""What [`packer`][iotws.packer] gives: a function ``(buf, address, value) -> None`` for values of one type.

Examples:
    >>> pack_int16: Packer[int] = packer(DataType.INT16)
    >>> buf = bytearray(2)
    >>> pack_int16(buf, 0, -2)
    >>> buf.hex(" ")
    'ff fe'
"""

Unpacker: TypeAlias = Callable[[Buffer, int], _V]
"""What [`unpacker`][iotws.unpacker] gives: a function ``(buf, address) -> value`` for values of one type.

Examples:
    >>> unpack_uint16: Unpacker[int] = unpacker(DataType.UINT16)
    >>> unpack_uint16(b"\\x01\\x02", 0)
    258
"""

# (the fast path of each template is the body of its ``if``; ``{...}`` fields are filled in)
_UNPACK_TEMPLATE: Final = """\
def {name}(buf, address):
    try:
        if {address_ok}:
            {read}
    except MISSES:
        pass
    return unpack_checked(buf, address, dtype, layout, length)
"""
_PACK_TEMPLATE: Final = """\
def {name}(buf, address, value):
    try:
        if {value_ok} and {address_ok}:
            {write}
    except MISSES:
        pass
    return pack_checked(buf, address, dtype, value, layout, length)
"""
_INT_ADDRESS: Final = "address.__class__ is int and address >= 0"  # (string and hexa: no bool either)
_ONE_DIGIT: Final = 2**30 - 1
_LONGEST_FAST: Final = 2**24  # bytes of string or hexa


def _fixed_parts(dtype: DataType, layout: Layout) -> tuple[dict[str, str], dict[str, str], dict[str, object]]:
    """The template fields of the unpacker and the packer of a fixed-size type, and their names."""
    size = _SIZE[dtype]
    names: dict[str, object] = {}
    if dtype is _FLOAT:
        value_ok = f"value.__class__ is float and value >= {-_F32_FAST_MAX!r} and value <= {_F32_FAST_MAX!r}"
    elif size < 4:
        lo, hi = _INT_RANGE[dtype]
        value_ok = f"value.__class__ is int and value >= {lo} and value <= {hi}"
    else:
        # CPython 3.11 compares ints fast only below 2**30 (one digit): try those bounds first
        lo, hi = _INT_RANGE[dtype]
        small_lo, small_hi = max(lo, -_ONE_DIGIT), min(hi, _ONE_DIGIT)
        value_ok = (
            f"value.__class__ is int and (value >= {small_lo} and value <= {small_hi}"
            f" or value >= {lo} and value <= {hi})"
        )
    if size < 4 or layout in (Layout.ABCD, Layout.DCBA):
        compiled = struct.Struct(("<" if layout.byte_order is ByteOrder.LITTLE else ">") + _FORMAT[dtype])
        names.update(unpack_from=compiled.unpack_from, pack_into=compiled.pack_into)
        read = "return unpack_from(buf, address)[0]"
        write = "return pack_into(buf, address, value)"
    elif dtype is _FLOAT:  # CDAB (">f") and BADC ("<f"): swap the two 2-byte halves around struct
        halves, codec = struct.Struct("2s2s"), struct.Struct(">f" if layout is Layout.CDAB else "<f")
        names.update(unpack_from=halves.unpack_from, pack_into=halves.pack_into)
        names.update(unpack_float=codec.unpack, pack_float=codec.pack)
        read = "first, second = unpack_from(buf, address); return unpack_float(second + first)[0]"
        write = "data = pack_float(value); return pack_into(buf, address, data[2:], data[:2])"
    elif layout is Layout.CDAB:  # the low word first, both big endian
        signed = dtype is DataType.INT32
        names.update(unpack_from=struct.Struct(">Hh" if signed else ">HH").unpack_from)
        names.update(pack_into=struct.Struct(">HH").pack_into)
        read = "low, high = unpack_from(buf, address); return high << 16 | low"
        write = "return pack_into(buf, address, value & 0xFFFF, value >> 16 & 0xFFFF)"
    else:  # BADC: the high word first, both little endian
        signed = dtype is DataType.INT32
        names.update(unpack_from=struct.Struct("<hH" if signed else "<HH").unpack_from)
        names.update(pack_into=struct.Struct("<HH").pack_into)
        read = "high, low = unpack_from(buf, address); return high << 16 | low"
        write = "return pack_into(buf, address, value >> 16 & 0xFFFF, value & 0xFFFF)"
    unpack_fields = {"address_ok": "address >= 0", "read": read}
    pack_fields = {"value_ok": value_ok, "address_ok": "address >= 0", "write": write}
    return unpack_fields, pack_fields, names


def _variable_parts(dtype: DataType, size: int) -> tuple[dict[str, str], dict[str, str], dict[str, object]]:
    """The template fields of the unpacker and the packer of ``string`` or ``hexa`` of ``size`` bytes."""
    if size > _LONGEST_FAST:  # no struct for that (nor a buffer, likely): the checked path
        return (
            {"address_ok": "False", "read": "pass"},
            {"value_ok": "False", "address_ok": "False", "write": "pass"},
            {},
        )
    compiled = struct.Struct(f"{size}s")  # packing pads with NUL bytes
    names: dict[str, object] = {"unpack_from": compiled.unpack_from, "pack_into": compiled.pack_into}
    if dtype is _STRING:
        read = "return unpack_from(buf, address)[0].rstrip(b'\\x00').decode()"
        value_ok = "value.__class__ is str"
        write = (
            "data = value.encode()\n"
            f"            if len(data) <= {size} and data[-1:] != b'\\x00':\n"
            "                return pack_into(buf, address, data)"
        )
    else:  # bytes, or hex text of exactly 2 digits a byte (so no spaces, which fromhex skips)
        read = "return unpack_from(buf, address)[0]"
        value_ok = "True"
        names["fromhex"] = bytes.fromhex
        write = (
            f"if value.__class__ is bytes and len(value) == {size}:\n"
            "                return pack_into(buf, address, value)\n"
            f"            if value.__class__ is str and len(value) == {2 * size}:\n"
            "                data = fromhex(value)\n"
            f"                if len(data) == {size}:\n"
            "                    return pack_into(buf, address, data)"
        )
    unpack_fields = {"address_ok": _INT_ADDRESS, "read": read}
    pack_fields = {"value_ok": value_ok, "address_ok": _INT_ADDRESS, "write": write}
    return unpack_fields, pack_fields, names


def _make(verb: str, dtype: DataType, layout: Layout, length: int | None) -> Any:
    """Compile the pre-bound packer (``verb == "pack"``) or unpacker of checked arguments."""
    if length is None:
        unpack_fields, pack_fields, names = _fixed_parts(dtype, layout)
    else:
        unpack_fields, pack_fields, names = _variable_parts(dtype, length)
    name = f"{verb}_{dtype.short_name}_{layout.value.lower()}" + ("" if length is None else f"_{length}")
    template, fields = (_PACK_TEMPLATE, pack_fields) if verb == "pack" else (_UNPACK_TEMPLATE, unpack_fields)
    namespace: dict[str, object] = {
        "__name__": __name__,
        "MISSES": _FAST_PATH_MISSES,
        "pack_checked": _pack_checked,
        "unpack_checked": _unpack_checked,
        "dtype": dtype,
        "layout": layout,
        "length": length,
        **names,
    }
    exec(compile(template.format(name=name, **fields), f"<iotws.codec {name}>", "exec"), namespace)
    function = namespace[name]
    what = f"{dtype.short_name} {layout.value}" if length is None else f"{dtype.short_name} of {length} bytes"
    origin = "packer" if verb == "pack" else "unpacker"
    function.__doc__ = f"{verb.capitalize()} one {what} at ``address`` of ``buf`` (from ``iotws.codec.{origin}``)."
    return function


# Made on first use: fixed types by (verb, type, layout), string and hexa by (verb, type, layout,
# length) in a small cache of their own (lengths come from callers), emptied when full.
_BOUND_FIXED: dict[tuple[str, DataType, Layout], Any] = {}
_VARIABLE_PACKERS: dict[tuple[Any, Any, Any], Any] = {}
_VARIABLE_UNPACKERS: dict[tuple[Any, Any, Any], Any] = {}
_VARIABLE_CACHE_SIZE: Final = 256
_STRING: Final = DataType.STRING
_HEXA: Final = DataType.HEXA


def _bind(verb: str, dtype: DataType, layout: Layout, length: int | None) -> Any:
    """The pre-bound function of checked arguments (``length`` only for string and hexa)."""
    if length is None:
        key = (verb, dtype, layout)
        found = _BOUND_FIXED.get(key)
        if found is None:
            found = _BOUND_FIXED[key] = _make(verb, dtype, layout, None)
        return found
    cache = _VARIABLE_PACKERS if verb == "pack" else _VARIABLE_UNPACKERS
    found = cache.get((dtype, layout, length))
    if found is None:
        found = _make(verb, dtype, layout, length)
        if len(cache) >= _VARIABLE_CACHE_SIZE:
            cache.clear()
        cache[dtype, layout, length] = found
    return found


# --- the public functions ------------------------------------------------------------------------


@overload
def unpack(
    buf: Buffer,
    address: int,
    dtype: Literal[DataType.FLOAT],
    layout: Layout = ...,
    length: int | None = ...,
) -> float: ...
@overload
def unpack(buf: Buffer, address: int, dtype: IntType, layout: Layout = ..., length: int | None = ...) -> int: ...
@overload
def unpack(
    buf: Buffer,
    address: int,
    dtype: Literal[DataType.STRING],
    layout: Layout = ...,
    length: int | None = ...,
) -> str: ...
@overload
def unpack(
    buf: Buffer,
    address: int,
    dtype: Literal[DataType.HEXA],
    layout: Layout = ...,
    length: int | None = ...,
) -> bytes: ...
@overload
def unpack(buf: Buffer, address: int, dtype: DataType, layout: Layout = ..., length: int | None = ...) -> Value: ...
def unpack(
    buf: Buffer,
    address: int,
    dtype: DataType,
    layout: Layout = Layout.ABCD,
    length: int | None = None,
) -> Value:
    """Read one value of ``dtype`` at byte ``address`` of ``buf``.

    ``length`` is required for ``string`` and ``hexa`` and, if given, must match the size of
    the fixed types. ``string`` values lose their trailing NUL padding; ``hexa`` gives bytes.
    ``layout`` and ``length`` may also be passed by position, which is the fastest call.

    Examples:
        >>> data = bytes.fromhex("33441122 41424300")
        >>> hex(unpack(data, 0, DataType.UINT32, layout=Layout.CDAB))
        '0x11223344'
        >>> unpack(data, 4, DataType.STRING, length=4)
        'ABC'
        >>> unpack(data, 7, DataType.INT16)
        Traceback (most recent call last):
        iotws.errors.CodecError: int16 at address 0x0007 needs 2 bytes but the buffer ends at 0x0008
    """
    # The fast path: one table lookup and struct. ``layout`` and ``length`` are not keyword-only
    # because CPython 3.11 only specialises calls to functions without keyword-only parameters.
    if length is None or (length.__class__ is int and length == _SIZE.get(dtype)):
        try:
            if address >= 0:
                return _UNPACK_FROM[layout][dtype](buf, address)[0]  # type: ignore[no-any-return]
        except _FAST_PATH_MISSES:
            pass
    elif (dtype is _STRING or dtype is _HEXA) and length.__class__ is int and length > 0 and layout.__class__ is Layout:
        bound = _VARIABLE_UNPACKERS.get((dtype, layout, length)) or _bind("unpack", dtype, layout, length)
        return bound(buf, address)  # type: ignore[no-any-return]
    return _unpack_checked(buf, address, dtype, layout, length)


def pack(
    buf: WritableBuffer,
    address: int,
    dtype: DataType,
    value: Value,
    layout: Layout = Layout.ABCD,
    length: int | None = None,
) -> None:
    """Write ``value`` as ``dtype`` at byte ``address`` of ``buf``, or raise and write nothing.

    Integers must be ``int`` (not ``bool``) within range; floats are rounded to float32 (NaN and
    infinities allowed); strings are UTF-8, NUL-padded to ``length``; hexa takes bytes or hex text
    of exactly ``length`` bytes. ``layout`` and ``length`` may also be passed by position.

    Examples:
        >>> buf = bytearray(4)
        >>> pack(buf, 0, DataType.UINT32, 0x11223344, layout=Layout.BADC)
        >>> buf.hex(" ")
        '22 11 44 33'
        >>> pack(buf, 0, DataType.HEXA, "0a0B", length=2)
        >>> buf.hex(" ")
        '0a 0b 44 33'
        >>> pack(buf, 0, DataType.INT16, 40000)
        Traceback (most recent call last):
        iotws.errors.CodecError: int16: value 40000 is out of range, allowed -32768..32767
    """
    if length is None or (length.__class__ is int and length == _SIZE.get(dtype)):
        try:
            pack_into, lo, hi, kind = _PACK_INTO[layout][dtype]
            if value.__class__ is kind and lo <= value <= hi and address >= 0:  # type: ignore[operator]
                pack_into(buf, address, value)
                return
        except _FAST_PATH_MISSES:
            pass
    elif (dtype is _STRING or dtype is _HEXA) and length.__class__ is int and length > 0 and layout.__class__ is Layout:
        bound = _VARIABLE_PACKERS.get((dtype, layout, length)) or _bind("pack", dtype, layout, length)
        bound(buf, address, value)
        return
    _pack_checked(buf, address, dtype, value, layout, length)


@overload
def packer(dtype: Literal[DataType.FLOAT], layout: Layout = ..., length: int | None = ...) -> Packer[float]: ...
@overload
def packer(dtype: IntType, layout: Layout = ..., length: int | None = ...) -> Packer[int]: ...
@overload
def packer(dtype: Literal[DataType.STRING], layout: Layout = ..., length: int | None = ...) -> Packer[str]: ...
@overload
def packer(dtype: Literal[DataType.HEXA], layout: Layout = ..., length: int | None = ...) -> Packer[bytes | str]: ...
@overload
def packer(dtype: DataType, layout: Layout = ..., length: int | None = ...) -> Packer[Any]: ...
def packer(dtype: DataType, layout: Layout = Layout.ABCD, length: int | None = None) -> Packer[Any]:
    """[`pack`][iotws.pack] with the type, layout and length bound: ``packer(...)(buf, address, value)``.

    For hot loops: the arguments are checked once, here, and each call does only the checks
    of the value and the address before one precompiled ``struct`` call. A call writes what
    [`pack`][iotws.pack] writes and raises what it raises, before anything is written; the same type,
    layout and length give the same function.

    Examples:
        >>> pack_flow = packer(DataType.FLOAT, Layout.CDAB)
        >>> buf = bytearray(8)
        >>> for address, flow in ((0, 1.5), (4, -2.0)):
        ...     pack_flow(buf, address, flow)
        >>> buf.hex(" ")
        '00 00 3f c0 00 00 c0 00'
        >>> pack_label = packer(DataType.STRING, length=4)
        >>> pack_label(buf, 0, "tank")
        >>> pack_label(buf, 4, "pump 2")
        Traceback (most recent call last):
        iotws.errors.CodecError: string: value 'pump 2' needs 6 bytes in UTF-8, allowed at most 4 (length)
        >>> buf  # untouched by the failed call
        bytearray(b'tank\\x00\\x00\\xc0\\x00')
        >>> packer(DataType.HEXA)
        Traceback (most recent call last):
        iotws.errors.CodecError: hexa: length is required (the size in bytes)
    """
    dtype, layout = _as_dtype(dtype), _as_layout(layout)
    size = _check_length(dtype, length)
    return _bind("pack", dtype, layout, None if dtype.size is not None else size)  # type: ignore[no-any-return]


@overload
def unpacker(dtype: Literal[DataType.FLOAT], layout: Layout = ..., length: int | None = ...) -> Unpacker[float]: ...
@overload
def unpacker(dtype: IntType, layout: Layout = ..., length: int | None = ...) -> Unpacker[int]: ...
@overload
def unpacker(dtype: Literal[DataType.STRING], layout: Layout = ..., length: int | None = ...) -> Unpacker[str]: ...
@overload
def unpacker(dtype: Literal[DataType.HEXA], layout: Layout = ..., length: int | None = ...) -> Unpacker[bytes]: ...
@overload
def unpacker(dtype: DataType, layout: Layout = ..., length: int | None = ...) -> Unpacker[Value]: ...
def unpacker(dtype: DataType, layout: Layout = Layout.ABCD, length: int | None = None) -> Unpacker[Any]:
    """[`unpack`][iotws.unpack] with the type, layout and length bound: ``unpacker(...)(buf, address)``.

    The arguments are checked once, here; a call reads what [`unpack`][iotws.unpack] reads and raises
    what it raises. The same type, layout and length give the same function.

    Examples:
        >>> read_flow = unpacker(DataType.FLOAT, Layout.CDAB)
        >>> data = bytes.fromhex("00003fc0 0000c000")
        >>> [read_flow(data, address) for address in (0, 4)]
        [1.5, -2.0]
        >>> unpacker(DataType.STRING, length=4)(b"ab\\x00\\x00", 0)
        'ab'
        >>> read_flow(data, 6)
        Traceback (most recent call last):
        iotws.errors.CodecError: float at address 0x0006 needs 4 bytes but the buffer ends at 0x0008
    """
    dtype, layout = _as_dtype(dtype), _as_layout(layout)
    size = _check_length(dtype, length)
    return _bind("unpack", dtype, layout, None if dtype.size is not None else size)  # type: ignore[no-any-return]


def size_of(dtype: DataType, length: int | None = None) -> int:
    """How many bytes a value of ``dtype`` takes: its size, or ``length`` for string and hexa.

    ``length`` is checked exactly as [`pack`][iotws.pack] checks it.

    Examples:
        >>> size_of(DataType.FLOAT), size_of(DataType.HEXA, 6)
        (4, 6)
        >>> size_of(DataType.FLOAT, 2)
        Traceback (most recent call last):
        iotws.errors.CodecError: float: length 2 does not match the type, allowed 4
    """
    return _check_length(_as_dtype(dtype), length)


@overload
def coerce(dtype: Literal[DataType.FLOAT], value: object, *, length: int | None = ...) -> float: ...
@overload
def coerce(dtype: IntType, value: object, *, length: int | None = ...) -> int: ...
@overload
def coerce(dtype: Literal[DataType.STRING], value: object, *, length: int | None = ...) -> str: ...
@overload
def coerce(dtype: Literal[DataType.HEXA], value: object, *, length: int | None = ...) -> bytes: ...
@overload
def coerce(dtype: DataType, value: object, *, length: int | None = ...) -> Value: ...
def coerce(dtype: DataType, value: object, *, length: int | None = None) -> Value:
    """Check ``value`` against ``dtype`` and return its normal form, or raise ``CodecError``.

    Integers come back as ``int``, floats rounded to float32, hexa as ``bytes`` (hex text is
    accepted), strings unchanged. With ``length``, strings and hexa are checked against it.

    Examples:
        >>> coerce(DataType.FLOAT, 0.1)
        0.10000000149011612
        >>> coerce(DataType.HEXA, "0aff")
        b'\\n\\xff'
        >>> coerce(DataType.BYTE, True)
        Traceback (most recent call last):
        iotws.errors.CodecError: byte: value True is a bool, expected an int
    """
    dtype = _as_dtype(dtype)
    if length is not None:
        _check_length(dtype, length)
    return _coerce(dtype, value, length)


def to_text(dtype: DataType, value: Value, *, length: int | None = None) -> str:
    """The wire text of a value: decimal for numbers, upper-case hex digits for hexa.

    A float is rounded to float32 and printed with the fewest significant digits that read
    back to the same float32, in the style of Python's ``repr`` (``25.0``, ``1e+16``, ``nan``).

    Examples:
        >>> to_text(DataType.FLOAT, 3.3), to_text(DataType.FLOAT, 25)
        ('3.3', '25.0')
        >>> to_text(DataType.INT16, -3), to_text(DataType.HEXA, b"\\x0a\\xff")
        ('-3', '0AFF')
    """
    dtype = _as_dtype(dtype)
    if length is not None:
        _check_length(dtype, length)
    if dtype is DataType.FLOAT:
        return _float32_text(_round_float32(dtype, value))
    if dtype is DataType.HEXA:
        return _hexa_bytes(value, length).hex().upper()
    if dtype is DataType.STRING:
        _encode_text(value, length)
        return str(value)
    return str(_check_int(dtype, value))


@overload
def from_text(dtype: Literal[DataType.FLOAT], text: str, *, length: int | None = ...) -> float: ...
@overload
def from_text(dtype: IntType, text: str, *, length: int | None = ...) -> int: ...
@overload
def from_text(dtype: Literal[DataType.STRING], text: str, *, length: int | None = ...) -> str: ...
@overload
def from_text(dtype: Literal[DataType.HEXA], text: str, *, length: int | None = ...) -> bytes: ...
@overload
def from_text(dtype: DataType, text: str, *, length: int | None = ...) -> Value: ...
def from_text(dtype: DataType, text: str, *, length: int | None = None) -> Value:
    """Parse wire text into a value of ``dtype``, exactly and with range checks.

    Integers take optionally signed decimal digits; floats take decimal or exponent notation
    (``"3.3"``, ``"-3"``, ``"1e3"``, ``"nan"``, ``"inf"``) rounded correctly to float32; hexa
    takes hex digits. Surrounding whitespace is ignored for numbers.

    Examples:
        >>> from_text(DataType.FLOAT, "3.3") == coerce(DataType.FLOAT, 3.3)
        True
        >>> from_text(DataType.UINT16, "25"), from_text(DataType.HEXA, "0aff")
        (25, b'\\n\\xff')
        >>> from_text(DataType.INT16, "2.5")
        Traceback (most recent call last):
        iotws.errors.CodecError: int16: '2.5' is not a decimal integer
    """
    if dtype is _FLOAT and length is None and text.__class__ is str:  # the common case, fast
        return _parse_float32(text)
    dtype = _as_dtype(dtype)
    if length is not None:
        _check_length(dtype, length)
    if not isinstance(text, str):
        raise CodecError(f"{dtype.short_name}: text {excerpt(text)} is {_kind(text)}, expected a str")
    if dtype is DataType.FLOAT:
        return _parse_float32(text)
    if dtype in _INT_RANGE:
        return _check_int(dtype, _parse_int(dtype, text))
    return _coerce(dtype, text, length)


def to_registers(
    dtype: DataType, value: Value, *, layout: Layout = Layout.ABCD, length: int | None = None
) -> list[int]:
    """The 16-bit registers holding ``value``: its bytes in ``layout``, two per register.

    The first byte of each pair is the high byte of the register, as on Modbus. A ``byte``
    takes one register holding the value; an odd ``length`` is padded with a NUL byte.

    Examples:
        >>> to_registers(DataType.FLOAT, 1.0, layout=Layout.CDAB)  # float32 low word first
        [0, 16256]
        >>> [hex(r) for r in to_registers(DataType.INT32, -2)]
        ['0xffff', '0xfffe']
    """
    dtype, layout = _as_dtype(dtype), _as_layout(layout)
    size = _check_length(dtype, length)
    if dtype is DataType.BYTE:
        return [_check_int(dtype, value)]
    data = _encode(dtype, value, layout, size)
    if size % 2:
        data += b"\x00"
    return list(struct.unpack(f">{len(data) // 2}H", data))


@overload
def from_registers(
    dtype: Literal[DataType.FLOAT],
    registers: Sequence[int],
    *,
    layout: Layout = ...,
    length: int | None = ...,
) -> float: ...
@overload
def from_registers(
    dtype: IntType, registers: Sequence[int], *, layout: Layout = ..., length: int | None = ...
) -> int: ...
@overload
def from_registers(
    dtype: Literal[DataType.STRING],
    registers: Sequence[int],
    *,
    layout: Layout = ...,
    length: int | None = ...,
) -> str: ...
@overload
def from_registers(
    dtype: Literal[DataType.HEXA],
    registers: Sequence[int],
    *,
    layout: Layout = ...,
    length: int | None = ...,
) -> bytes: ...
@overload
def from_registers(
    dtype: DataType, registers: Sequence[int], *, layout: Layout = ..., length: int | None = ...
) -> Value: ...
def from_registers(
    dtype: DataType,
    registers: Sequence[int],
    *,
    layout: Layout = Layout.ABCD,
    length: int | None = None,
) -> Value:
    """The value held by 16-bit ``registers``; the inverse of [`to_registers`][iotws.to_registers].

    ``length`` defaults to two bytes per register for ``string`` and ``hexa``.

    Examples:
        >>> from_registers(DataType.FLOAT, [0x0000, 0x3F80], layout=Layout.CDAB)
        1.0
        >>> from_registers(DataType.UINT16, [70000])
        Traceback (most recent call last):
        iotws.errors.CodecError: register 0: value 70000 is out of range, allowed 0..65535
    """
    dtype, layout = _as_dtype(dtype), _as_layout(layout)
    if isinstance(registers, (str, bytes, bytearray)) or not isinstance(registers, Sequence):
        raise CodecError(f"{dtype.short_name}: registers must be a sequence of ints, got {_kind(registers)}")
    words = [_check_register(index, word) for index, word in enumerate(registers)]
    if length is None and dtype.size is None:
        length = 2 * len(words)
    size = _check_length(dtype, length)
    needed = 1 if dtype is DataType.BYTE else (size + 1) // 2
    if len(words) != needed:
        raise CodecError(f"{dtype.short_name}: needs {needed} register{'s' * (needed != 1)}, got {len(words)}")
    if dtype is DataType.BYTE:
        return _check_int(dtype, words[0])
    data = struct.pack(f">{needed}H", *words)[:size]
    return _decode(dtype, data, layout, 0)


# --- the checked (slow) path ---------------------------------------------------------------------

_HEX_TEXT: Final = re.compile(r"[0-9A-Fa-f]*")


def _kind(value: object) -> str:
    """``an int``, ``a str``: the type of a rejected value, for messages."""
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiouAEIOU' else 'a'} {name}"


def _as_dtype(dtype: object) -> DataType:
    if isinstance(dtype, DataType):
        return dtype
    if isinstance(dtype, str):
        return DataType.from_wire(dtype)
    raise CodecError(f"data type must be a DataType or a wire name, got {excerpt(dtype)}")


def _as_layout(layout: object) -> Layout:
    if isinstance(layout, Layout):
        return layout
    if isinstance(layout, str) and layout.upper() in Layout.__members__:
        return Layout[layout.upper()]
    allowed = ", ".join(Layout)
    raise CodecError(f"unknown layout {excerpt(layout)}, allowed: {allowed}")


def _check_length(dtype: DataType, length: object) -> int:
    """The byte count of a value of ``dtype`` with this ``length`` argument."""
    size = dtype.size
    if length is None:
        if size is None:
            raise CodecError(f"{dtype.short_name}: length is required (the size in bytes)")
        return size
    if not isinstance(length, int) or isinstance(length, bool):
        raise CodecError(f"{dtype.short_name}: length {excerpt(length)} is {_kind(length)}, expected an int")
    if size is not None and length != size:
        raise CodecError(f"{dtype.short_name}: length {length} does not match the type, allowed {size}")
    if length < 1:
        raise CodecError(f"{dtype.short_name}: length {length} is out of range, allowed 1 or more")
    return length


def _check_int(dtype: DataType, value: object) -> int:
    if value.__class__ is int:
        number: int = value
    elif isinstance(value, numbers.Integral) and not isinstance(value, bool):
        number = operator.index(value)
    else:
        raise CodecError(f"{dtype.short_name}: value {excerpt(value)} is {_kind(value)}, expected an int")
    lo, hi = _INT_RANGE[dtype]
    if not lo <= number <= hi:
        raise CodecError(f"{dtype.short_name}: value {number} is out of range, allowed {lo}..{hi}")
    return number


def _check_register(index: int, word: object) -> int:
    if isinstance(word, bool) or not isinstance(word, numbers.Integral):
        raise CodecError(f"register {index}: value {excerpt(word)} is {_kind(word)}, expected an int")
    number = operator.index(word)
    if not 0 <= number <= 0xFFFF:
        raise CodecError(f"register {index}: value {number} is out of range, allowed 0..65535")
    return number


def _float32_out_of_range(value: object) -> CodecError:
    limit = _FLOAT32_MAX_TEXT
    return CodecError(f"float: value {value} is out of range, allowed -{limit}..{limit}, inf, -inf or nan")


def _round_float32(dtype: DataType, value: object) -> float:
    if value.__class__ is not float and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
        raise CodecError(f"{dtype.short_name}: value {excerpt(value)} is {_kind(value)}, expected a float or an int")
    try:
        return _F32.unpack(_F32.pack(float(value)))[0]  # type: ignore[no-any-return]
    except OverflowError:
        raise _float32_out_of_range(value) from None


def _coerce(dtype: DataType, value: object, length: int | None) -> Value:
    if dtype is DataType.FLOAT:
        return _round_float32(dtype, value)
    if dtype is DataType.STRING:
        _encode_text(value, length)
        return value  # type: ignore[return-value]
    if dtype is DataType.HEXA:
        return _hexa_bytes(value, length)
    return _check_int(dtype, value)


def _encode_text(value: object, length: int | None) -> bytes:
    if not isinstance(value, str):
        raise CodecError(f"string: value {excerpt(value)} is {_kind(value)}, expected a str")
    try:
        data = value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CodecError(f"string: value {excerpt(value)} is not encodable as UTF-8: {exc.reason}") from None
    if value.endswith("\x00"):
        raise CodecError(f"string: value {excerpt(value)} ends with NUL, which is padding")
    if length is not None and len(data) > length:
        raise CodecError(
            f"string: value {excerpt(value)} needs {len(data)} bytes in UTF-8, allowed at most {length} (length)"
        )
    return data


def _hexa_bytes(value: object, length: int | None) -> bytes:
    if isinstance(value, str):
        if not _HEX_TEXT.fullmatch(value):
            raise CodecError(f"hexa: {excerpt(value)} is not hex digits")
        if len(value) % 2:
            raise CodecError(f"hexa: {excerpt(value)} has an odd number of hex digits ({len(value)})")
        data = bytes.fromhex(value)
    elif isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
    else:
        raise CodecError(f"hexa: value {excerpt(value)} is {_kind(value)}, expected bytes or hex text")
    if length is not None and len(data) != length:
        unit = "byte" if len(data) == 1 else "bytes"
        raise CodecError(f"hexa: value {excerpt(value)} has {len(data)} {unit}, allowed exactly {length} (length)")
    return data


def _reorder(data: bytes, layout: Layout) -> bytes:
    """Big-endian (ABCD) bytes <-> bytes in ``layout``; every reordering is its own inverse."""
    if len(data) == 1 or layout is Layout.ABCD or (len(data) == 2 and layout is Layout.CDAB):
        return data
    if layout is Layout.DCBA or len(data) == 2:
        return data[::-1]
    if layout is Layout.BADC:
        return bytes((data[1], data[0], data[3], data[2]))
    return data[2:] + data[:2]


def _encode(dtype: DataType, value: object, layout: Layout, size: int) -> bytes:
    """Validate ``value`` and return its ``size`` bytes in ``layout``."""
    if dtype is DataType.STRING:
        return _encode_text(value, size).ljust(size, b"\x00")
    if dtype is DataType.HEXA:
        return _hexa_bytes(value, size)
    normal = _round_float32(dtype, value) if dtype is DataType.FLOAT else _check_int(dtype, value)
    return _reorder(_BIG[dtype].pack(normal), layout)


def _decode(dtype: DataType, data: bytes, layout: Layout, address: int) -> Value:
    if dtype is DataType.HEXA:
        return data
    if dtype is DataType.STRING:
        try:
            return data.rstrip(b"\x00").decode("utf-8")
        except UnicodeDecodeError:
            raise CodecError(f"string at address 0x{address:04X}: {excerpt(data)} is not valid UTF-8") from None
    return _BIG[dtype].unpack(_reorder(data, layout))[0]  # type: ignore[no-any-return]


def _view(dtype: DataType, buf: object, *, writable: bool) -> memoryview:
    try:
        view = memoryview(buf)  # type: ignore[arg-type]
    except TypeError:
        raise CodecError(f"{dtype.short_name}: buffer must be bytes-like, got {_kind(buf)}") from None
    if writable and view.readonly:
        raise CodecError(f"{dtype.short_name}: cannot write into a read-only {type(buf).__name__}, use a bytearray")
    if not view.c_contiguous:
        raise CodecError(f"{dtype.short_name}: buffer must be contiguous")
    return view.cast("B") if view.format != "B" or view.ndim != 1 else view


def _check_span(dtype: DataType, address: object, size: int, end: int) -> int:
    if isinstance(address, bool) or not isinstance(address, int):
        raise CodecError(f"{dtype.short_name}: address {excerpt(address)} is {_kind(address)}, expected an int")
    if address < 0:
        raise CodecError(f"{dtype.short_name}: address {address} is negative")
    if address + size > end:
        raise CodecError(
            f"{dtype.short_name} at address 0x{address:04X} needs {size} byte{'s' * (size != 1)} "
            f"but the buffer ends at 0x{end:04X}"
        )
    return address


def _unpack_checked(buf: object, address: object, dtype: object, layout: object, length: object) -> Value:
    dtype, layout = _as_dtype(dtype), _as_layout(layout)
    size = _check_length(dtype, length)
    view = _view(dtype, buf, writable=False)
    start = _check_span(dtype, address, size, len(view))
    return _decode(dtype, bytes(view[start : start + size]), layout, start)


def _pack_checked(buf: object, address: object, dtype: object, value: object, layout: object, length: object) -> None:
    dtype, layout = _as_dtype(dtype), _as_layout(layout)
    size = _check_length(dtype, length)
    # (a string is padded once it fits: a huge length is an address error, not a memory one)
    data = _encode_text(value, size) if dtype is DataType.STRING else _encode(dtype, value, layout, size)
    view = _view(dtype, buf, writable=True)
    start = _check_span(dtype, address, size, len(view))
    view[start : start + size] = data.ljust(size, b"\x00")


# --- float32 text --------------------------------------------------------------------------------


# On ASCII text without underscores, int() and float() take exactly the wire forms: optionally
# signed decimal digits (and for float() a fraction, an exponent, inf, infinity or nan), with
# surrounding whitespace. Underscores and non-ASCII digits they would also take are refused.


def _parse_int(dtype: DataType, text: str) -> int:
    try:
        if text.isascii() and "_" not in text:
            return int(text)
    except ValueError:
        pass
    raise CodecError(f"{dtype.short_name}: {excerpt(text)} is not a decimal integer")


def _parse_float32(text: str) -> float:
    """Check wire text and read it as the nearest float32."""
    try:
        if text.isascii() and "_" not in text:
            return _nearest_float32(text)
    except ValueError:
        pass
    except OverflowError:
        raise _float32_out_of_range(text.strip()) from None
    raise CodecError(f"float: {excerpt(text)} is not a decimal number")


def _nearest_float32(text: str) -> float:
    """Decimal text -> the nearest float32 (ties to even), exactly; OverflowError if too big.

    ``float()`` rounds to a double first, which can only go wrong when that double lands exactly
    on the midpoint between two float32s; then the exact decimal decides. A cheap test on the
    gap to the float32 (half its ulp, or a quarter just below a power of two; anything tiny)
    rules out the common case before the exact one runs.
    """
    double = float(text)
    magnitude = abs(double)
    if magnitude == _INF and "inf" not in text.lower():
        raise OverflowError(text)
    try:
        nearest: float = _F32.unpack(_F32.pack(magnitude))[0]
    except OverflowError:  # at or above the midpoint between FLOAT32_MAX and 2**128
        if magnitude != _F32_OVERFLOW or Decimal(text).copy_abs() >= Decimal(_F32_OVERFLOW):
            raise
        nearest = FLOAT32_MAX
    if nearest != magnitude:  # (NaN too; the tests below are then false)
        gap, half_ulp = abs(magnitude - nearest), math.ulp(nearest) * _HALF_F32_ULP
        if gap == half_ulp or gap * 2 == half_ulp or magnitude < _TWO_ULP_TINY:
            bits = _U32.unpack(_F32.pack(nearest))[0]
            other: float = _F32.unpack(_U32.pack(bits + (1 if magnitude > nearest else -1)))[0]
            if nearest + other == 2 * magnitude:  # a tie: decide with the exact decimal
                exact = Decimal(text).copy_abs()
                if exact != Decimal(magnitude):
                    nearest = max(nearest, other) if exact > Decimal(magnitude) else min(nearest, other)
    return math.copysign(nearest, double)


def _float32_text(value: float) -> str:
    """The shortest decimal text that reads back as the float32 ``value``, repr style."""
    if not math.isfinite(value) or value == 0:
        return repr(value)
    digits, exponent = _shortest_digits(abs(value))
    sign = "-" if value < 0 else ""
    if not -4 <= exponent < 16:
        fraction = f".{digits[1:]}" if len(digits) > 1 else ""
        return f"{sign}{digits[0]}{fraction}e{exponent:+03d}"
    if exponent < 0:
        return f"{sign}0.{'0' * (-exponent - 1)}{digits}"
    whole, fraction = digits[: exponent + 1], digits[exponent + 1 :]
    return f"{sign}{whole.ljust(exponent + 1, '0')}.{fraction or '0'}"


def _shortest_digits(magnitude: float) -> tuple[str, int]:
    """The fewest significant digits that read back as the float32 ``magnitude`` (> 0).

    Returns the digits and the decimal exponent of the first one. Reading back only gets
    easier with more digits, so the precision is found by bisection over 1..9 (9 always
    suffice for a float32). At each precision the correctly rounded decimal is tried; at a power
    of two, whose rounding interval is lopsided, also its two neighbours.
    """
    packed = _F32.pack(magnitude)
    lopsided = _U32.unpack(packed)[0] & 0x7FFFFF == 0
    low, high, found = 1, 9, None
    while low < high:
        precision = (low + high) // 2
        attempt = _digits_that_read_back(magnitude, precision, packed, lopsided)
        if attempt is None:
            low = precision + 1
        else:
            found, high = attempt, precision
    return found or _digits_that_read_back(magnitude, 9, packed, lopsided) or ("", 0)


def _digits_that_read_back(magnitude: float, precision: int, packed: bytes, lopsided: bool) -> tuple[str, int] | None:
    mantissa, _, exp_text = f"{magnitude:.{precision - 1}e}".partition("e")
    nearest, scale = int(mantissa.replace(".", "")), int(exp_text) - precision + 1
    for candidate in (nearest, nearest - 1, nearest + 1) if lopsided else (nearest,):
        try:
            if _F32.pack(_nearest_float32(f"{candidate}e{scale}")) != packed:
                continue
        except OverflowError:  # rounded up past FLOAT32_MAX
            continue
        text = str(candidate)
        return text.rstrip("0"), scale + len(text) - 1
    return None
