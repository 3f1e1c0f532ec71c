"""The CBOR layer: Xentara's tags on top of cbor2.

* tag 37 (UUID) <-> :class:`uuid.UUID` (a malformed one stays a tag);
* tags 121/122/123 (alternatives) stay :class:`cbor2.CBORTag` (their meaning is per command);
* tag 1001 (extended time) and tag 1 (epoch seconds, int, float or +-inf) decode to
  :class:`~iotws.xentara.models.Timestamp`; forms that are not time stamps stay tags;
* tag 4 (decimal fraction) is kept as ``CBORTag(4, [exponent, mantissa])``
  (no lossy or slow ``Decimal``).

:func:`loads` turns every decoding failure into :class:`~iotws.errors.ProtocolError`.

Examples:
    >>> data = dumps([[1, 7, Timestamp(1704107471111587983)]])
    >>> loads(data)
    [[1, 7, Timestamp(ns=1704107471111587983)]]
"""

from __future__ import annotations

from typing import Any
from uuid import UUID, SafeUUID

import cbor2
from cbor2 import CBORTag

from iotws.errors import ProtocolError
from iotws.xentara.models import Timestamp, decode_time_tag

__all__ = ["dumps", "loads"]


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


def _default(encoder: Any, value: Any) -> None:
    if isinstance(value, Timestamp):
        encoder.encode(value.to_wire())
        return
    to_wire = getattr(value, "to_wire", None)
    if to_wire is None:
        raise cbor2.CBOREncodeTypeError(f"cannot encode {type(value).__name__} {value!r}")
    encoder.encode(to_wire())


def dumps(item: Any) -> bytes:
    """Encode ``item``; :class:`Timestamp` and other models with ``to_wire`` are converted.

    Examples:
        >>> dumps([[0, 66, 8]]).hex()
        '818300184208'
    """
    return _dumps(item, default=_default)
