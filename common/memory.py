"""Declarative memory maps: named, typed fields of a device's byte block, built on construct.

A [`MemoryMap`][iotws.memory.MemoryMap] names the values of one block of a controller's memory (address, type,
length) and turns it into a compiled ``construct`` ``Struct`` of ``Pointer`` fields, so a whole
block is parsed into typed values in one call. Writing checks every value with the codec first
and changes nothing unless all are valid. Single values on a hot path go through
[`iotws.codec`][] (``struct``) instead: per value, construct is many times slower.

Examples:
    >>> from iotws.codec import DataType, Layout
    >>> block_map = MemoryMap(
    ...     {
    ...         "temperature": Field(0x2000, DataType.FLOAT),
    ...         "state": Field(0x2004, DataType.UINT16),
    ...         "status": Field(0x2010, DataType.HEXA, length=4),
    ...     },
    ...     base=0x2000,
    ...     size=0x20,
    ...     layout=Layout.CDAB,
    ... )
    >>> block = bytearray(block_map.size)
    >>> block_map.write(block, {"temperature": 21.5, "state": 3, "status": "00FF00FF"})
    >>> block_map.read(block)
    {'temperature': 21.5, 'state': 3, 'status': b'\\x00\\xff\\x00\\xff'}
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import construct as cs

from iotws.codec import Buffer, DataType, Layout, Value, WritableBuffer, coerce, size_of, unpack
from iotws.errors import CodecError, UsageError, excerpt

__all__ = ["Field", "MemoryMap", "to_construct"]


@dataclasses.dataclass(frozen=True, slots=True)
class Field:
    """One value of a memory map: its byte address, data type and, for string/hexa, length.

    ``layout`` overrides the map's layout for this field. ``dtype`` may be a wire name.

    Examples:
        >>> Field(0x2000, DataType.FLOAT).size
        4
        >>> Field(0x2010, "hexa", length=4)
        Field(address=8208, dtype=<DataType.HEXA: 'hexa'>, length=4, layout=None)
        >>> Field(0x2010, DataType.STRING)
        Traceback (most recent call last):
        iotws.errors.CodecError: string: length is required (the size in bytes)
    """

    address: int
    dtype: DataType
    length: int | None = None
    layout: Layout | None = None

    def __post_init__(self) -> None:
        if isinstance(self.address, bool) or not isinstance(self.address, int):
            raise UsageError(f"field address {excerpt(self.address)} is not an int")
        if self.address < 0:
            raise UsageError(f"field address {self.address} is negative")
        if not isinstance(self.dtype, DataType):
            object.__setattr__(self, "dtype", DataType.from_wire(self.dtype))
        if self.layout is not None and not isinstance(self.layout, Layout):
            allowed = ", ".join(Layout)
            raise UsageError(f"unknown layout {excerpt(self.layout)}, allowed: {allowed}")
        size_of(self.dtype, self.length)

    @property
    def size(self) -> int:
        """Bytes the field occupies.

        Examples:
            >>> Field(0, DataType.STRING, length=16).size
            16
        """
        return size_of(self.dtype, self.length)


def _swap_words(data: bytes) -> bytes:
    """``CDAB`` <-> ``ABCD``."""
    return data[2:] + data[:2]


def _swap_bytes_in_words(data: bytes) -> bytes:
    """``BADC`` <-> ``ABCD``."""
    return bytes((data[1], data[0], data[3], data[2]))


_BIG: dict[DataType, Any] = {
    DataType.BYTE: cs.Int8ub,
    DataType.UINT16: cs.Int16ub,
    DataType.INT16: cs.Int16sb,
    DataType.UINT32: cs.Int32ub,
    DataType.INT32: cs.Int32sb,
    DataType.FLOAT: cs.Float32b,
}
_LITTLE: dict[DataType, Any] = {
    DataType.BYTE: cs.Int8ul,
    DataType.UINT16: cs.Int16ul,
    DataType.INT16: cs.Int16sl,
    DataType.UINT32: cs.Int32ul,
    DataType.INT32: cs.Int32sl,
    DataType.FLOAT: cs.Float32l,
}
_SWAPS = {Layout.CDAB: _swap_words, Layout.BADC: _swap_bytes_in_words}


def to_construct(dtype: DataType, layout: Layout = Layout.ABCD, length: int | None = None) -> Any:
    """The ``construct`` of one value: what a [`MemoryMap`][iotws.memory.MemoryMap] puts behind each ``Pointer``.

    16-bit types follow the layout's byte order; BADC and CDAB 32-bit values are a
    ``Transformed`` (byte-swapping) big-endian field; strings are UTF-8 ``PaddedString``.

    Examples:
        >>> hex(to_construct(DataType.UINT32, Layout.CDAB).parse(bytes.fromhex("33441122")))
        '0x11223344'
        >>> to_construct(DataType.STRING, length=4).build("ok")
        b'ok\\x00\\x00'
    """
    size = size_of(dtype, length)
    if dtype is DataType.STRING:
        return cs.PaddedString(size, "utf8")
    if dtype is DataType.HEXA:
        return cs.Bytes(size)
    if size == 4 and layout in _SWAPS:
        swap = _SWAPS[layout]
        return cs.Transformed(_BIG[dtype], swap, 4, swap, 4)
    return (_LITTLE if layout in (Layout.DCBA, Layout.BADC) else _BIG)[dtype]


class MemoryMap:
    """Named fields of a block of ``size`` bytes starting at device address ``base``.

    Fields may not overlap or leave the block unless ``allow_overlap=True`` (Globiots clients do
    request overlapping floats). ``layout`` applies to every field that sets none itself.

    Examples:
        >>> a, b = Field(0, DataType.INT32), Field(2, DataType.INT16)
        >>> MemoryMap({"a": a, "b": b})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        iotws.errors.UsageError: fields 'a' (int32 at 0x0000..0x0003) and 'b' (...) overlap; ...
        >>> MemoryMap({"a": a, "b": b}, allow_overlap=True).size
        4
        >>> MemoryMap({"a": a}, size=2)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        iotws.errors.UsageError: field 'a' (int32 at 0x0000..0x0003) lies outside the block ...
    """

    def __init__(
        self,
        fields: Mapping[str, Field],
        *,
        base: int = 0,
        size: int | None = None,
        layout: Layout = Layout.ABCD,
        allow_overlap: bool = False,
    ) -> None:
        if not isinstance(layout, Layout):
            allowed = ", ".join(Layout)
            raise UsageError(f"unknown layout {excerpt(layout)}, allowed: {allowed}")
        if not fields:
            raise UsageError("a memory map needs at least one field")
        for name, field in fields.items():
            if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
                raise UsageError(f"field name {excerpt(name)} must be an identifier not starting with '_'")
            if not isinstance(field, Field):
                raise UsageError(f"field {name!r} is a {type(field).__name__}, expected a Field")
        if isinstance(base, bool) or not isinstance(base, int) or base < 0:
            raise UsageError(f"base {excerpt(base)} must be an int >= 0")
        if size is None:
            size = max(field.address + field.size for field in fields.values()) - base
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise UsageError(f"size {excerpt(size)} must be an int >= 1")
        self._fields: Mapping[str, Field] = MappingProxyType(dict(fields))
        self._base, self._size, self._layout = base, size, layout
        self._check_placement(allow_overlap)
        self._constructs = {
            name: to_construct(field.dtype, field.layout or layout, field.length)
            for name, field in self._fields.items()
        }
        self._parser = cs.Struct(
            *(name / cs.Pointer(field.address - base, self._constructs[name]) for name, field in self._fields.items())
        ).compile()

    @property
    def fields(self) -> Mapping[str, Field]:
        """The fields by name, read-only, in definition order.

        Examples:
            >>> MemoryMap({"x": Field(0, DataType.BYTE)}).fields["x"].dtype
            <DataType.BYTE: 'byte'>
        """
        return self._fields

    @property
    def base(self) -> int:
        """Device address of the first byte of the block.

        Examples:
            >>> MemoryMap({"x": Field(0x3000, DataType.BYTE)}, base=0x3000).base == 0x3000
            True
        """
        return self._base

    @property
    def size(self) -> int:
        """Length of the block in bytes (by default up to the end of the last field).

        Examples:
            >>> MemoryMap({"x": Field(0x3002, DataType.FLOAT)}, base=0x3000).size
            6
        """
        return self._size

    @property
    def layout(self) -> Layout:
        """Default layout of the fields.

        Examples:
            >>> MemoryMap({"x": Field(0, DataType.BYTE)}).layout
            <Layout.ABCD: 'ABCD'>
        """
        return self._layout

    def __repr__(self) -> str:
        return (
            f"MemoryMap({len(self._fields)} fields, base=0x{self._base:04X}, "
            f"size={self._size}, layout={self._layout.value})"
        )

    def read(self, block: Buffer) -> dict[str, Value]:
        """Parse a whole block (exactly ``size`` bytes) into typed values, in one construct call.

        Examples:
            >>> word_map = MemoryMap({"hi": Field(0, DataType.BYTE), "lo": Field(1, DataType.BYTE)})
            >>> word_map.read(b"\\x12\\x34")
            {'hi': 18, 'lo': 52}
        """
        data = bytes(self._view(block))
        try:
            parsed = self._parser.parse(data)
        except (cs.ConstructError, UnicodeError) as exc:
            self._explain_failed_read(data)
            raise CodecError(f"block could not be parsed: {exc}") from exc
        return {name: parsed[name] for name in self._fields}

    def write(self, block: WritableBuffer, values: Mapping[str, object]) -> None:
        """Write some fields into ``block``; every value is checked first, all-or-nothing.

        Overlapping fields (``allow_overlap``) are written in the order of ``values``.

        Examples:
            >>> pair = MemoryMap({"a": Field(0, DataType.BYTE), "b": Field(1, DataType.BYTE)})
            >>> block = bytearray(2)
            >>> pair.write(block, {"a": 1, "b": 256})
            Traceback (most recent call last):
            iotws.errors.CodecError: field 'b': byte: value 256 is out of range, allowed 0..255
            >>> block
            bytearray(b'\\x00\\x00')
        """
        view = self._view(block, writable=True)
        pieces: list[tuple[int, bytes]] = []
        for name, value in values.items():
            field = self._fields.get(name)
            if field is None:
                known = ", ".join(self._fields)
                raise UsageError(f"unknown field {excerpt(name)}, known: {known}")
            try:
                normal = coerce(field.dtype, value, length=field.length)
            except CodecError as exc:
                raise CodecError(f"field {name!r}: {exc}") from None
            pieces.append((field.address - self._base, self._constructs[name].build(normal)))
        for offset, data in pieces:
            view[offset : offset + len(data)] = data

    def _view(self, block: object, *, writable: bool = False) -> memoryview:
        try:
            view = memoryview(block)  # type: ignore[arg-type]
        except TypeError:
            raise CodecError(f"block must be bytes-like, got {type(block).__name__}") from None
        if writable and view.readonly:
            raise CodecError(f"cannot write into a read-only {type(block).__name__}")
        if view.nbytes != self._size:
            raise CodecError(f"block has {view.nbytes} bytes, the map needs {self._size}")
        return view.cast("B") if view.format != "B" or view.ndim != 1 else view

    def _describe(self, name: str) -> str:
        field = self._fields[name]
        end = field.address + field.size - 1
        return f"{name!r} ({field.dtype.short_name} at 0x{field.address:04X}..0x{end:04X})"

    def _check_placement(self, allow_overlap: bool) -> None:
        last = self._base + self._size - 1
        for name, field in self._fields.items():
            if field.address < self._base or field.address + field.size - 1 > last:
                raise UsageError(
                    f"field {self._describe(name)} lies outside the block 0x{self._base:04X}..0x{last:04X}"
                )
        if allow_overlap:
            return
        ordered = sorted((field.address, name) for name, field in self._fields.items())
        for (_, before), (address, after) in itertools.pairwise(ordered):
            if address < self._fields[before].address + self._fields[before].size:
                raise UsageError(
                    f"fields {self._describe(before)} and {self._describe(after)} overlap; "
                    "pass allow_overlap=True if that is intended"
                )

    def _explain_failed_read(self, data: bytes) -> None:
        """Raise the codec's precise error for the field construct could not parse."""
        for name, field in self._fields.items():
            layout = field.layout or self._layout
            try:
                unpack(data, field.address - self._base, field.dtype, layout, field.length)
            except CodecError as exc:
                raise CodecError(f"field {name!r} at 0x{field.address:04X}: {exc}") from None
