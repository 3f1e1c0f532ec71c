"""The CBOR layer: Xentara's tags on top of cbor2.

* tag 37 (UUID) <-> ``uuid.UUID`` (a malformed one stays a tag);
* tags 121/122/123 (alternatives) stay ``cbor2.CBORTag`` (their meaning is per command);
* tag 1001 (extended time) and tag 1 (epoch seconds, int, float or +-inf) decode to
  [`Timestamp`][iotws.xentara.Timestamp]; forms that are not time stamps stay tags;
* tag 4 (decimal fraction) is kept as ``CBORTag(4, [exponent, mantissa])``
  (no lossy or slow ``Decimal``).

[`loads`][iotws.xentara.cbor.loads] turns every decoding failure into [`ProtocolError`][iotws.ProtocolError].

Floats go out the way the vendor's client sends them: in CBOR's preferred serialization,
the shortest of half, single and double precision that holds the value exactly
([`encode_float`][iotws.xentara.cbor.encode_float]). cbor2 writes every finite float as a double, and its own
shortest-float switch (``canonical=True``) also sorts map keys, so the values that can be
floats (write values, and the simulator's read results and events) are wrapped in
[`EncodedFloat`][iotws.xentara.cbor.EncodedFloat], whose bytes [`dumps`][iotws.xentara.cbor.dumps] writes as they are.

Examples:
    >>> data = dumps([[1, 7, Timestamp(1704107471111587983)]])
    >>> loads(data)
    [[1, 7, Timestamp(ns=1704107471111587983)]]
"""

from __future__ import annotations

import struct
from typing import Any
from uuid import UUID, SafeUUID

import cbor2
from cbor2 import CBORTag

from iotws.errors import ProtocolError
from iotws.xentara.models import Timestamp, decode_time_tag

__all__ = ["EncodedFloat", "dumps", "encode_float", "loads"]


def _tag1(value: Any, immutable: bool) -> Any:
    return decode_time_tag(1, value)


def _tag4(value: Any, immutable: bool) -> Any:
    return CBORTag(4, value)


def _tag1001(value: Any, immutable: bool) -> Any:
    # fast path for the canonical 1001({4: 4([exponent, mantissa])}); the rest is decode_time_tag's
    try:
        frac = value[4]
        if type(frac) is CBORTag and frac.tag == 4:
            exponent, mantissa = frac.value
            if type(mantissa) is int and type(exponent) is int:
                stamp = _new(Timestamp)
                _set(stamp, "ns", mantissa * _SCALE[exponent])
                return stamp
    except (KeyError, TypeError, ValueError, IndexError):
        pass
    return decode_time_tag(1001, value)


def _uuid_from_bytes(data: bytes) -> UUID:
    # what UUID(bytes=...) builds, without its argument checks (the hot path of every event)
    value = _new(UUID)
    _set(value, "int", _from_bytes(data, "big"))
    _set(value, "is_safe", SafeUUID.unknown)
    return value


def _uuid_checked(data: bytes) -> UUID:
    return UUID(bytes=data)


def _tag37(value: Any, immutable: bool) -> Any:
    if type(value) is bytes and len(value) == 16:
        return _make_uuid(value)
    return CBORTag(37, value)  # a broken UUID spoils only the packet holding it


_new = object.__new__
_set = object.__setattr__
_SCALE = {-9: 1, -6: 1000, -3: 1_000_000}
_from_bytes = int.from_bytes
_SAMPLE = bytes(range(16))
try:
    _make_uuid = _uuid_from_bytes if _uuid_from_bytes(_SAMPLE) == UUID(bytes=_SAMPLE) else _uuid_checked
except (AttributeError, TypeError):  # another Python's UUID layout: take the slow, safe way
    _make_uuid = _uuid_checked
_SEMANTIC = {1: _tag1, 4: _tag4, 37: _tag37, 1001: _tag1001}
_loads = cbor2.loads
_dumps = cbor2.dumps


def loads(data: bytes | bytearray | memoryview) -> Any:
    """Decode one CBOR data item with Xentara's tags; any failure is a ProtocolError.

    Examples:
        >>> loads(b"\\xff")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        iotws.errors.ProtocolError: not a valid CBOR message: ... (frame: b'\\xff')
    """
    try:
        return _loads(data, semantic_decoders=_SEMANTIC, max_depth=64)
    except Exception as exc:  # cbor2 raises many kinds on hostile input
        raise ProtocolError(f"not a valid CBOR message: {exc}", frame=bytes(data)) from None


_NAN = b"\xf9\x7e\x00"  # the one NaN cbor2 (and preferred serialization) sends
_HALF = struct.Struct(">Be")
_SINGLE = struct.Struct(">Bf")
_DOUBLE = struct.Struct(">Bd")
_pack_half, _unpack_half = _HALF.pack, _HALF.unpack
_pack_single, _unpack_single = _SINGLE.pack, _SINGLE.unpack
_pack_double = _DOUBLE.pack


def encode_float(value: float) -> bytes:
    """``value`` as one CBOR float in the shortest width that holds it exactly.

    Half precision (``f9``) if exact, else single (``fa``), else double (``fb``): CBOR's
    preferred serialization (RFC 8949 section 4.1), as the vendor's client sends numbers.
    The sign of zero is kept; the infinities are half precision; every NaN is ``f97e00``.

    Examples:
        >>> [encode_float(v).hex() for v in (3.25, 100000.0, 1.1)]
        ['f94280', 'fa47c35000', 'fb3ff199999999999a']
        >>> [encode_float(v).hex() for v in (-0.0, float("inf"), float("nan"))]
        ['f98000', 'f97c00', 'f97e00']
    """
    if value != value:
        return _NAN
    try:
        single = _pack_single(0xFA, value)
    except OverflowError:  # beyond single precision's range
        return _pack_double(0xFB, value)
    if _unpack_single(single)[1] != value:
        return _pack_double(0xFB, value)
    try:
        half = _pack_half(0xF9, value)
    except OverflowError:  # beyond half precision's range
        return single
    return half if _unpack_half(half)[1] == value else single


class EncodedFloat:
    """A float to send in its shortest exact width ([`encode_float`][iotws.xentara.cbor.encode_float]);
    [`dumps`][iotws.xentara.cbor.dumps] writes its bytes.

    Wrap floats in it where they are produced (write values do, and the simulator's values):
    a bare ``float`` is written by cbor2 as a 64-bit double.

    Examples:
        >>> dumps([EncodedFloat(3.25), 3.25]).hex()
        '82f94280fb400a000000000000'
        >>> EncodedFloat(3.25), float(EncodedFloat(3.25)), loads(dumps(EncodedFloat(0.1)))
        (EncodedFloat(3.25), 3.25, 0.1)
    """

    __slots__ = ("data", "value")

    def __init__(self, value: float) -> None:
        if type(value) is not float:
            value = float(value)
        self.value: float = value
        self.data: bytes = encode_float(value)

    def __float__(self) -> float:
        return self.value

    def __eq__(self, other: object) -> bool:
        if type(other) is not EncodedFloat:
            return NotImplemented
        return self.data == other.data

    def __hash__(self) -> int:
        return hash(self.data)

    def __repr__(self) -> str:
        return f"EncodedFloat({self.value!r})"


def _default(encoder: Any, value: Any) -> None:
    if type(value) is EncodedFloat:
        encoder.write(value.data)
        return
    if isinstance(value, Timestamp):
        encoder.encode(value.to_wire())
        return
    to_wire = getattr(value, "to_wire", None)
    if to_wire is None:
        raise cbor2.CBOREncodeTypeError(f"cannot encode {type(value).__name__} {value!r}")
    encoder.encode(to_wire())


def dumps(item: Any) -> bytes:
    """Encode ``item``; [`Timestamp`][iotws.xentara.Timestamp] and other models with ``to_wire`` are converted.

    An [`EncodedFloat`][iotws.xentara.cbor.EncodedFloat] is written in its shortest exact width; everything else as
    cbor2 writes it (map keys in their order, integers in their shortest form, bare floats as doubles).

    Examples:
        >>> dumps([[0, 66, 8]]).hex()
        '818300184208'
        >>> dumps({2: EncodedFloat(100000.0), 1: EncodedFloat(float("-inf"))}).hex()
        'a202fa47c3500001f9fc00'
    """
    return _dumps(item, default=_default)
