"""Typed models of every Globiots Data Engine message, with ``from_wire``/``to_wire``.

Values travel as text on the wire; each model keeps that text and the typed value decoded
through [`iotws.codec`][]. Unknown fields are kept in ``extra`` and written back by
``to_wire``; the server's quirks (``length`` as text, the ``UNCHNAGED`` spelling, hex response
codes, placeholder values) are absorbed here.

What the server sends ([`RealtimeUpdate`][iotws.globiots.RealtimeUpdate], [`PointValue`][iotws.globiots.PointValue],
[`SetResponse`][iotws.globiots.SetResponse]...) are frozen ``msgspec.Struct`` classes; what a client builds
([`Point`][iotws.globiots.Point], [`RealtimeRequest`][iotws.globiots.RealtimeRequest],
[`SetRequest`][iotws.globiots.SetRequest]...) are frozen attrs classes, whose converters normalise addresses and
types. Frames of the regular shape are decoded by msgspec straight into typed structs, others by the general decoder
(``from_wire``), which keeps everything; see the typed wire decoding section at the end.

Examples:
    >>> from iotws.codec import DataType
    >>> point = Point("0.0.0.1", "2000", DataType.FLOAT)
    >>> point.length, point.to_wire()
    (4, {'address': '2000', 'dataType': 'float', 'length': 4})
"""

from __future__ import annotations

import datetime as dt
import enum
import re
import struct
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs
import msgspec
from msgspec import UNSET, UnsetType

from iotws.codec import DataType, Value, from_text, to_text
from iotws.errors import CodecError, ProtocolError, RemoteError, UsageError, excerpt
from iotws.jsonwire import WIRE_ERRORS, WireStruct, typed_decoder

__all__ = [
    "AreaNotWritableError",
    "ChangeOfValue",
    "DeviceDetachedError",
    "DeviceLockedError",
    "DeviceNotFoundError",
    "DeviceTimeoutError",
    "Point",
    "PointValue",
    "PointWrite",
    "RealtimeRequest",
    "RealtimeUpdate",
    "ResponseCode",
    "SetDataError",
    "SetRequest",
    "SetResponse",
    "SetResult",
    "decode_float32",
    "decode_value",
    "lookup_key",
    "parse_length",
]

_ADDRESS: Final = re.compile(r"[0-9A-Fa-f]{1,8}")
_UTC: Final = dt.UTC
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=_UTC)
_EXACT_MS: Final = 2**42
_from_timestamp: Final = dt.datetime.fromtimestamp


def _wire_type(data_type: DataType | str) -> str:
    return data_type.value if isinstance(data_type, DataType) else data_type


def _lookup_type(name: object) -> DataType | str:
    """A wire type name -> ``DataType``; unknown names (``""``, ``integer_64``) stay text."""
    if not isinstance(name, str):
        raise ProtocolError(f"dataType must be a string, got {excerpt(name)}")
    found = _TYPES.get(name)
    if found is not None:
        return found
    try:
        return DataType.from_wire(name)
    except CodecError:
        return name


_TYPES: Final[dict[str, DataType]] = {member.value: member for member in DataType}


def parse_length(raw: object) -> int | None:
    """Parse a wire ``length``: an int, or decimal text such as ``"2"``; ``""``/``None`` -> None.

    Examples:
        >>> parse_length("2"), parse_length(4), parse_length("")
        (2, 4, None)
    """
    if raw is None or raw == "":
        return None
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().isdigit() and len(raw) < 12:
        return int(raw)
    raise ProtocolError(f"length must be an int or decimal text, got {excerpt(raw)}")


def _timestamp(raw: object) -> dt.datetime | None:
    if raw is None:
        return None
    if raw.__class__ is int and 0 <= raw < _EXACT_MS:
        # the double nearest raw / 1000 is within half a microsecond of it below 2**42 ms (year
        # 2109), so the microsecond it rounds to is exact: twice as fast as adding a timedelta
        return _from_timestamp(raw / 1000, _UTC)
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ProtocolError(f"timestamp must be epoch milliseconds, got {excerpt(raw)}")
    try:
        return _EPOCH + dt.timedelta(milliseconds=raw)
    except (OverflowError, ValueError):
        raise ProtocolError(f"timestamp {excerpt(raw)} is out of range") from None


def _epoch_ms(when: dt.datetime) -> int:
    return (when - _EPOCH) // dt.timedelta(milliseconds=1)


def _text(raw: object, name: str) -> str:
    if not isinstance(raw, str):
        raise ProtocolError(f"{name} must be a string, got {excerpt(raw)}")
    return raw


def _optional_text(raw: object, name: str) -> str | None:
    return None if raw is None else _text(raw, name)


def _objects(raw: object, name: str) -> list[Any]:
    if not isinstance(raw, list):
        raise ProtocolError(f"{name} must be a list, got {excerpt(raw)}")
    return raw


def _mapping(raw: object, name: str) -> Mapping[str, Any]:
    if not isinstance(raw, dict):
        raise ProtocolError(f"{name} must be an object, got {excerpt(raw)}")
    return raw


def decode_value(data_type: DataType | str, text: str, length: int | None = None) -> Value | None:
    """The typed value of wire ``text``; ``None`` when it is not a value of the type.

    A ``float`` comes back as the double of the decimal text the server sent, as people
    read it (``"24.59"`` is ``24.59``), when that text is a value of the type (within the
    float32 range); [`decode_float32`][iotws.globiots.models.decode_float32] gives the float32 the device holds.
    Placeholder
    texts of the vendor templates (``"float"``, ``""``) and unknown types give ``None``
    rather than an error: the raw text is always kept beside it.

    Examples:
        >>> decode_value(DataType.FLOAT, "24.59"), decode_value(DataType.HEXA, "0aff")
        (24.59, b'\\n\\xff')
        >>> decode_value(DataType.FLOAT, "float") is None, decode_value(DataType.FLOAT, "1e39") is None
        (True, True)
    """
    if text.__class__ is not str:
        raise UsageError(f"text must be a str, got {excerpt(text)}")
    if not text:
        return None
    if data_type is _FLOAT:
        # float(text) when the text is a finite number within the float32 range; the codec
        # decides the rest (inf and nan spellings, the range's edge, texts float() reads but
        # the codec does not: ``1_0``, non-ASCII digits)
        if text.isascii() and "_" not in text:
            try:
                double = float(text)
                if double - double == 0.0:
                    _f32_pack(double)
                    return double
            except ValueError:
                return None
            except OverflowError:
                pass
        try:
            from_text(DataType.FLOAT, text)
        except CodecError:
            return None
        return float(text)
    if data_type.__class__ is not DataType:
        return None
    bounds = _INT_BOUNDS.get(data_type)
    if bounds is not None:
        if text.isascii() and (text.isdigit() or (text[0] == "-" and text[1:].isdigit())):
            number = int(text)
            return number if bounds[0] <= number <= bounds[1] else None
    elif data_type is DataType.STRING:
        return text
    elif data_type is DataType.HEXA and text.isascii() and text.isalnum():
        try:
            return bytes.fromhex(text)
        except ValueError:
            return None
    try:
        return from_text(data_type, text)
    except CodecError:
        return None


def decode_float32(text: str) -> float | None:
    """The float32 nearest the decimal ``text`` (what the device holds), as a Python float.

    ``None`` when the text is not a ``float`` value. This is the exact value of the
    device's memory; [`decode_value`][iotws.globiots.models.decode_value] gives the value as people read it.

    Examples:
        >>> decode_float32("24.59"), decode_value(DataType.FLOAT, "24.59")
        (24.59000015258789, 24.59)
        >>> decode_float32("float") is None
        True
    """
    if text.__class__ is not str:
        raise UsageError(f"text must be a str, got {excerpt(text)}")
    try:
        return float(from_text(DataType.FLOAT, text))
    except CodecError:
        return None


_FLOAT: Final = DataType.FLOAT
_INT_BOUNDS: Final[dict[DataType, tuple[int, int]]] = {
    t: (t.min, t.max) for t in DataType if t.min is not None and t.max is not None
}
_f32_pack = struct.Struct("<f").pack  # raises OverflowError beyond the float32 range


# --- enums --------------------------------------------------------------------------------------


class ChangeOfValue(enum.Enum):
    """How a value moved since the previous push (``changeOfValue``).

    The real server spells the unchanged case ``UNCHNAGED``; both spellings parse, unknown
    words give [`UNKNOWN`][iotws.globiots.ChangeOfValue.UNKNOWN], and
    [`to_wire`][iotws.globiots.ChangeOfValue.to_wire] writes the server's spelling.

    Examples:
        >>> ChangeOfValue.from_wire("UNCHNAGED") is ChangeOfValue.from_wire("unchanged")
        True
        >>> ChangeOfValue.UNCHANGED.to_wire(), ChangeOfValue.from_wire("SIDEWAYS")
        ('UNCHNAGED', <ChangeOfValue.UNKNOWN: 'UNKNOWN'>)
    """

    INCREASE = "INCREASE"
    DECREASE = "DECREASE"
    UNCHANGED = "UNCHANGED"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def from_wire(cls, raw: object) -> ChangeOfValue:
        """Parse the wire word (any case, either spelling of unchanged)."""
        if not isinstance(raw, str):
            return cls.UNKNOWN
        return _CHANGES.get(raw) or _CHANGES.get(raw.upper(), cls.UNKNOWN)

    def to_wire(self) -> str:
        """The word the real server sends."""
        return "UNCHNAGED" if self is ChangeOfValue.UNCHANGED else self.value

    @classmethod
    def between(cls, previous: Value | None, current: Value | None) -> ChangeOfValue:
        """Compare two successive values of one point (numbers by size, others by equality).

        Examples:
            >>> ChangeOfValue.between(1, 2), ChangeOfValue.between(b"a", b"a")
            (<ChangeOfValue.INCREASE: 'INCREASE'>, <ChangeOfValue.UNCHANGED: 'UNCHANGED'>)
        """
        if previous is None or current is None or previous == current:
            return cls.UNCHANGED
        if isinstance(previous, int | float) and isinstance(current, int | float):
            return cls.INCREASE if current > previous else cls.DECREASE
        return cls.INCREASE


_CHANGES: Final[dict[str, ChangeOfValue]] = {
    "INCREASE": ChangeOfValue.INCREASE,
    "DECREASE": ChangeOfValue.DECREASE,
    "UNCHANGED": ChangeOfValue.UNCHANGED,
    "UNCHNAGED": ChangeOfValue.UNCHANGED,
}


class ResponseCode(enum.Enum):
    """The 17 response codes ``00``-``10`` (two hex digits) and [`UNKNOWN`][iotws.globiots.ResponseCode.UNKNOWN].

    Codes compare case-insensitively as hex text (``0a`` is ``0A``), never as decimals.
    ``01`` means "device identify / serial number not found" (the two sources disagree).

    Examples:
        >>> ResponseCode.from_wire("0a"), ResponseCode.from_wire("10").meaning
        (<ResponseCode.DEVICE_LOCKED: '0A'>, 'timeout')
        >>> ResponseCode.from_wire("7F")
        <ResponseCode.UNKNOWN: '??'>
    """

    SUCCESS = "00"
    DEVICE_NOT_FOUND = "01"
    FCC_NCC_INCORRECT = "02"
    FUNCTION_NOT_SUPPORTED = "03"
    DEVICE_IDENTIFY_NOT_FOUND = "04"
    DATABASE_WRITE_FAILED = "05"
    UNKNOWN_ERROR = "06"
    CYCLE_CODE_INVALID = "07"
    AREA_NOT_WRITABLE = "08"
    AREA_NOT_READABLE = "09"
    DEVICE_LOCKED = "0A"
    DEVICE_DETACHED = "0B"
    REALTIME_TIME_INVALID = "0C"
    REALTIME_TRANSACTIONS_INVALID = "0D"
    DEVICE_UNATTACHED = "0E"
    FCC_INVALID = "0F"
    TIMEOUT = "10"
    UNKNOWN = "??"

    @classmethod
    def from_wire(cls, raw: object) -> ResponseCode:
        """Parse a code (hex text, any case); anything else is [`UNKNOWN`][iotws.globiots.ResponseCode.UNKNOWN]."""
        if not isinstance(raw, str):
            return cls.UNKNOWN
        return _CODES.get(raw.strip().upper().zfill(2), cls.UNKNOWN)

    @property
    def meaning(self) -> str:
        """What the code means, in words.

        Examples:
            >>> ResponseCode.AREA_NOT_WRITABLE.meaning
            'memory area is not allowed writing'
        """
        return _MEANINGS[self]

    @property
    def ok(self) -> bool:
        """Whether this is the success code ``00``."""
        return self is ResponseCode.SUCCESS


_CODES: Final[dict[str, ResponseCode]] = {c.value: c for c in ResponseCode if c.value != "??"}
_MEANINGS: Final[dict[ResponseCode, str]] = {
    ResponseCode.SUCCESS: "set value successful",
    ResponseCode.DEVICE_NOT_FOUND: "device identify / serial number is not found",
    ResponseCode.FCC_NCC_INCORRECT: "FCC/NCC is not correct",
    ResponseCode.FUNCTION_NOT_SUPPORTED: "function code is not supported",
    ResponseCode.DEVICE_IDENTIFY_NOT_FOUND: "device identify is not found",
    ResponseCode.DATABASE_WRITE_FAILED: "writing data to database failed",
    ResponseCode.UNKNOWN_ERROR: "unknown error",
    ResponseCode.CYCLE_CODE_INVALID: "cycle code is invalid",
    ResponseCode.AREA_NOT_WRITABLE: "memory area is not allowed writing",
    ResponseCode.AREA_NOT_READABLE: "memory area is not allowed reading",
    ResponseCode.DEVICE_LOCKED: "device has been locked",
    ResponseCode.DEVICE_DETACHED: "device has been detached",
    ResponseCode.REALTIME_TIME_INVALID: "realtime time is invalid",
    ResponseCode.REALTIME_TRANSACTIONS_INVALID: "the number of realtime transactions is invalid",
    ResponseCode.DEVICE_UNATTACHED: "device is unattached",
    ResponseCode.FCC_INVALID: "FCC is invalid",
    ResponseCode.TIMEOUT: "timeout",
    ResponseCode.UNKNOWN: "unknown response code",
}


# --- points ---------------------------------------------------------------------------------------


def _normal_address(value: object) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= 0xFFFF_FFFF:
            raise UsageError(f"address {value} is out of range")
        return f"{value:04X}"
    if not isinstance(value, str) or not _ADDRESS.fullmatch(value):
        raise UsageError(f"address must be hex digits such as '2000' (no 0x), got {excerpt(value)}")
    return value.upper()


def _normal_type(value: object) -> DataType:
    if isinstance(value, DataType):
        return value
    if isinstance(value, str):
        return DataType.from_wire(value)
    raise CodecError(f"data type must be a DataType or a wire name, got {excerpt(value)}")


@attrs.frozen(slots=True)
class Point:
    """One parameter of one iConnector: hostname, hex byte address, data type and length.

    ``length`` (bytes) defaults from the type and is required for ``string`` and ``hexa``;
    addresses are normalised to upper-case hex (an ``int`` is accepted too).

    Examples:
        >>> Point("0.0.0.1", 0x3000, "unsigned_integer_16")
        Point(hostname='0.0.0.1', address='3000', data_type=<DataType.UINT16: 'unsigned_integer_16'>, length=2)
        >>> Point("0.0.0.1", "2100", DataType.STRING)
        Traceback (most recent call last):
        iotws.errors.CodecError: string: length is required (the size in bytes)
    """

    hostname: str = attrs.field()
    address: str = attrs.field(converter=_normal_address)
    data_type: DataType = attrs.field(converter=_normal_type)
    length: int = attrs.field(default=None)  # filled from the type

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.hostname, str) or not self.hostname:
            raise UsageError(f"hostname must be a non-empty string, got {excerpt(self.hostname)}")
        size = self.data_type.size
        if self.length is None:
            if size is None:
                raise CodecError(f"{self.data_type.short_name}: length is required (the size in bytes)")
            object.__setattr__(self, "length", size)
        elif isinstance(self.length, bool) or not isinstance(self.length, int):
            raise CodecError(f"{self.data_type.short_name}: length must be an int, got {excerpt(self.length)}")
        elif size is not None and self.length != size:
            raise CodecError(
                f"{self.data_type.short_name}: length {self.length} does not match the type, allowed {size}"
            )
        elif not 1 <= self.length <= 128:
            raise CodecError(f"{self.data_type.short_name}: length {self.length} is out of range, allowed 1..128")

    @property
    def key(self) -> tuple[str, str]:
        """``(hostname, ADDRESS)``: how values of this point are looked up.

        Examples:
            >>> Point("0.0.0.1", "201a", DataType.BYTE).key
            ('0.0.0.1', '201A')
        """
        return (self.hostname, self.address)

    def to_wire(self) -> dict[str, Any]:
        """The request form ``{"address", "dataType", "length"}`` (length as an int)."""
        return {"address": self.address, "dataType": self.data_type.value, "length": self.length}

    def text(self, value: Value) -> str:
        """The wire text of ``value`` for this point, or ``CodecError`` if it does not fit.

        Examples:
            >>> Point("h", "3000", DataType.FLOAT).text(3.3)
            '3.3'
            >>> Point("h", "3000", DataType.BYTE).text(256)
            Traceback (most recent call last):
            iotws.errors.CodecError: byte: value 256 is out of range, allowed 0..255
        """
        return to_text(self.data_type, value, length=None if self.data_type.size else self.length)

    def parse(self, text: str) -> Value:
        """The typed value of wire ``text`` for this point, or ``CodecError``.

        Examples:
            >>> Point("h", "3000", DataType.INT16).parse("-5")
            -5
        """
        return from_text(self.data_type, text, length=None if self.data_type.size else self.length)


def _group(
    points: Iterable[tuple[str, dict[str, Any]]], extra: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    objects: dict[str, dict[str, Any]] = {}
    for hostname, address in points:
        entry = objects.get(hostname)
        if entry is None:
            entry = objects[hostname] = {**(extra or {}), "hostname": hostname, "addresses": []}
        entry["addresses"].append(address)
    return list(objects.values())


def _items(items: object, what: str, kind: type[Any]) -> tuple[Any, ...]:
    """``items`` as a tuple of ``kind``, or ``UsageError`` (a single item, text, a non-iterable)."""
    if isinstance(items, (str, bytes, Mapping, kind)) or not isinstance(items, Iterable):
        raise UsageError(f"{what} must be an iterable of {kind.__name__}, got {excerpt(items)}")
    found = tuple(items)
    for item in found:
        if not isinstance(item, kind):
            raise UsageError(f"{what} must hold {kind.__name__} objects, got {excerpt(item)}")
    return found


def _point_tuple(points: Iterable[Point]) -> tuple[Point, ...]:
    return _items(points, "points", Point)


def _write_tuple(writes: Iterable[PointWrite]) -> tuple[PointWrite, ...]:
    found: tuple[PointWrite, ...] = _items(writes, "writes", PointWrite)
    seen: set[tuple[str, str]] = set()
    for write in found:
        if write.point.key in seen:
            raise UsageError(f"point {'/'.join(write.point.key)} is set twice in one request")
        seen.add(write.point.key)
    return found


def lookup_key(hostname: str, address: str | int) -> tuple[str, str]:
    """The ``(hostname, ADDRESS)`` key of a point, for looking values up; ``UsageError`` if malformed.

    ``address`` is hex text (any case) or an ``int``, as for [`Point`][iotws.globiots.Point].

    Examples:
        >>> lookup_key("0.0.0.1", "201a"), lookup_key("0.0.0.1", 0x3000)
        (('0.0.0.1', '201A'), ('0.0.0.1', '3000'))
    """
    if not isinstance(hostname, str):
        raise UsageError(f"hostname must be a string, got {excerpt(hostname)}")
    if isinstance(address, str):
        return (hostname, address.upper())
    return (hostname, _normal_address(address))


def _point_from_wire(hostname: str, raw: object) -> Point:
    item = _mapping(raw, "address entry")
    try:
        return Point(
            hostname,
            _text(item.get("address"), "address"),
            _text(item.get("dataType"), "dataType"),
            parse_length(item.get("length")),  # type: ignore[arg-type]
        )
    except UsageError as exc:
        raise ProtocolError(f"bad point: {exc}", frame=raw) from None


# --- realtime -----------------------------------------------------------------------------------

_REQUEST_KEYS: Final = frozenset({"updateTime", "timezone", "objects", "sessionId", "keepAliveTime"})


@attrs.frozen(slots=True)
class RealtimeRequest:
    """The subscription sent on ``/data-engine/realtime``: points, period and time zone.

    ``update_time`` is in seconds; ``session_id`` and ``keep_alive_time`` are only sent when
    given (the Android demos send them, the vendor document does not).

    Examples:
        >>> req = RealtimeRequest((Point("0.0.0.0", "6000", DataType.INT16),), update_time=5,
        ...                       timezone="GMT+07:00")
        >>> wire = req.to_wire()
        >>> wire["updateTime"], wire["timezone"], len(wire["objects"])
        (5, 'GMT+07:00', 1)
    """

    points: tuple[Point, ...] = attrs.field(converter=_point_tuple)
    update_time: int = 5
    timezone: str = ""
    session_id: str | None = None
    keep_alive_time: int | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)

    def __attrs_post_init__(self) -> None:
        if isinstance(self.update_time, bool) or not isinstance(self.update_time, int) or self.update_time < 1:
            raise UsageError(f"update_time must be a whole number of seconds >= 1, got {self.update_time!r}")
        if not self.points:
            raise UsageError("a subscription needs at least one point")
        if not isinstance(self.timezone, str):
            raise UsageError(f"timezone must be a string such as 'GMT+07:00', got {excerpt(self.timezone)}")
        if self.session_id is not None and not isinstance(self.session_id, str):
            raise UsageError(f"session_id must be a string, got {excerpt(self.session_id)}")
        keep = self.keep_alive_time
        if keep is not None and (isinstance(keep, bool) or not isinstance(keep, int) or keep < 0):
            raise UsageError(f"keep_alive_time must be a whole number of seconds, got {keep!r}")

    def merged(self, points: Iterable[Point]) -> RealtimeRequest:
        """This request with ``points`` added (duplicates by key are replaced).

        Examples:
            >>> a = RealtimeRequest([Point("h", "2000", DataType.FLOAT)])
            >>> len(a.merged([Point("h", "2004", DataType.BYTE)]).points)
            2
        """
        by_key = {p.key: p for p in self.points}
        by_key.update((p.key, p) for p in points)
        return attrs.evolve(self, points=tuple(by_key.values()))

    def to_wire(self) -> dict[str, Any]:
        """The JSON object of the request."""
        data: dict[str, Any] = {**self.extra, "updateTime": self.update_time, "timezone": self.timezone}
        if self.session_id is not None:
            data["sessionId"] = self.session_id
        if self.keep_alive_time is not None:
            data["keepAliveTime"] = self.keep_alive_time
        data["objects"] = _group((p.hostname, p.to_wire()) for p in self.points)
        return data

    @classmethod
    def from_wire(cls, data: object) -> RealtimeRequest:
        """Parse a request (the simulator's side); ``length`` may be text.

        Examples:
            >>> RealtimeRequest.from_wire({"updateTime": 3, "objects": [{"hostname": "h",
            ...     "addresses": [{"address": "2000", "dataType": "float", "length": "4"}]}]}).points[0].length
            4
        """
        msg = _mapping(data, "realtime request")
        points: list[Point] = []
        for obj in _objects(msg.get("objects"), "objects"):
            obj = _mapping(obj, "object")
            hostname = _text(obj.get("hostname"), "hostname")
            points.extend(_point_from_wire(hostname, a) for a in _objects(obj.get("addresses"), "addresses"))
        update_time = msg.get("updateTime", 5)
        if isinstance(update_time, str) and update_time.isdigit():
            update_time = int(update_time)
        keep = msg.get("keepAliveTime")
        try:
            return cls(
                points,
                update_time=update_time,
                timezone=_text(msg.get("timezone", ""), "timezone"),
                session_id=_optional_text(msg.get("sessionId"), "sessionId"),
                keep_alive_time=keep if isinstance(keep, int) else None,
                extra={k: v for k, v in msg.items() if k not in _REQUEST_KEYS},
            )
        except UsageError as exc:
            raise ProtocolError(f"bad realtime request: {exc}", frame=str(data)) from None


_VALUE_KEYS: Final = frozenset(
    {"address", "dataType", "length", "value", "changeOfValue", "timestamp", "status",
     "responseCode", "responseMessage"}
)


class ReadDetails(msgspec.Struct, frozen=True, gc=False):
    """The optional per-address fields only some deployments send with a realtime value.

    Examples:
        >>> ReadDetails(status="message-request-fail").status
        'message-request-fail'
    """

    timestamp: dt.datetime | None = None
    status: str | None = None
    response_code: ResponseCode | None = None
    response_message: str | None = None
    raw_code: str | None = None
    extra: Mapping[str, Any] = msgspec.field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.timestamp, self.status, self.response_code, self.response_message, self.raw_code))


_NO_EXTRA: Final[Mapping[str, Any]] = MappingProxyType({})
_COMMON_KEYS: Final = frozenset({"address", "dataType", "length", "value", "changeOfValue"})


class PointValue(msgspec.Struct, frozen=True, gc=False):
    """One address of one realtime push: the raw text, its typed value and the metadata.

    ``value`` is ``None`` when the text is not a value of the type (a failed read carries
    ``status="message-request-fail"``; placeholders such as ``""`` also give ``None``).
    A ``float`` value is the double of the decimal text the server sent (``"24.59"`` is
    ``24.59``, as people read it); [`float32`][iotws.globiots.PointValue.float32] is the float32 the device holds
    (``24.59000015258789``), and ``raw`` the text itself.
    ``data_type`` is a plain string when the server names a type this library does not know.
    The optional fields (``timestamp``, ``status``, ``response_code``, ``response_message``,
    unknown fields in ``extra``) live in ``details`` and read as attributes too.

    A frozen ``msgspec.Struct``: a push builds one per address, in C.

    Examples:
        >>> pv = PointValue.from_wire("x.x.x.1", {"address": "2000", "dataType": "float",
        ...     "length": 4, "value": "21.5", "changeOfValue": "UNCHNAGED"})
        >>> pv.value, pv.change, pv.ok, pv.status
        (21.5, <ChangeOfValue.UNCHANGED: 'UNCHANGED'>, True, None)
        >>> pv = PointValue.from_wire("x.x.x.1", {"address": "2000", "dataType": "float", "value": "24.59"})
        >>> pv.raw, pv.value, pv.float32
        ('24.59', 24.59, 24.59000015258789)
    """

    hostname: str
    address: str
    data_type: DataType | str
    length: int | None
    raw: str
    value: Value | None
    change: ChangeOfValue | None = None
    details: ReadDetails | None = None

    @property
    def key(self) -> tuple[str, str]:
        """``(hostname, ADDRESS)``, matching [`Point.key`][iotws.globiots.Point.key]."""
        return (self.hostname, self.address.upper())

    @property
    def float32(self) -> float | None:
        """For a ``float`` point, the float32 the device holds (nearest the text); else ``None``."""
        if self.data_type is not DataType.FLOAT or self.value is None:
            return None
        return decode_float32(self.raw)

    @property
    def timestamp(self) -> dt.datetime | None:
        """The per-address time, when the server sends one."""
        return None if self.details is None else self.details.timestamp

    @property
    def status(self) -> str | None:
        """``"message-request-fail"`` when the read failed (some deployments only)."""
        return None if self.details is None else self.details.status

    @property
    def response_code(self) -> ResponseCode | None:
        """The per-address response code, when the server sends one."""
        return None if self.details is None else self.details.response_code

    @property
    def response_message(self) -> str | None:
        """The per-address response message, when the server sends one."""
        return None if self.details is None else self.details.response_message

    @property
    def raw_code(self) -> str | None:
        """The response code text as sent."""
        return None if self.details is None else self.details.raw_code

    @property
    def extra(self) -> Mapping[str, Any]:
        """Unknown fields of this entry."""
        return _NO_EXTRA if self.details is None else self.details.extra

    @property
    def ok(self) -> bool:
        """Whether the read worked: a typed value, no failure status or code."""
        if self.value is None:
            return False
        details = self.details
        return details is None or (
            details.status is None and details.response_code in (None, ResponseCode.SUCCESS)
        )

    @classmethod
    def from_wire(cls, hostname: str, raw: object) -> PointValue:
        """Parse one entry of ``objects[].addresses[]`` of a realtime response."""
        if raw.__class__ is not dict:
            raise ProtocolError(f"address entry must be an object, got {excerpt(raw)}")
        item: dict[str, Any] = raw
        address = item.get("address")
        if address.__class__ is not str:
            raise ProtocolError(f"address must be a string, got {excerpt(address)}")
        data_type = _lookup_type(item.get("dataType"))
        length = item.get("length")
        if length.__class__ is not int:
            length = parse_length(length)
        text = item.get("value", "")
        if text.__class__ is not str:
            if text is not None:
                raise ProtocolError(f"value must be a string, got {excerpt(text)}")
            text = ""
        change = item.get("changeOfValue")
        if change is not None:
            change = ChangeOfValue.from_wire(change) if change.__class__ is str else ChangeOfValue.UNKNOWN
        details = None
        if not item.keys() <= _COMMON_KEYS:
            code = item.get("responseCode")
            extra = {k: v for k, v in item.items() if k not in _VALUE_KEYS}
            if code is not None and not isinstance(code, str):
                raise ProtocolError(f"responseCode must be a string, got {excerpt(code)}")
            details = ReadDetails(
                _timestamp(item.get("timestamp")),
                _optional_text(item.get("status"), "status"),
                None if code is None else ResponseCode.from_wire(code),
                _optional_text(item.get("responseMessage"), "responseMessage"),
                code,
                extra,
            )
        return cls(hostname, address, data_type, length, text, decode_value(data_type, text, length), change, details)

    def to_wire(self) -> dict[str, Any]:
        """The JSON object of this entry, as the server sends it (length as an int)."""
        data: dict[str, Any] = {
            **self.extra,
            "address": self.address,
            "dataType": _wire_type(self.data_type),
            "length": self.length if self.length is not None else 0,
            "value": self.raw,
        }
        if self.change is not None:
            data["changeOfValue"] = self.change.to_wire()
        details = self.details
        if details is not None:
            if details.timestamp is not None:
                data["timestamp"] = _epoch_ms(details.timestamp)
            if details.status is not None:
                data["status"] = details.status
            if details.response_code is not None:
                data["responseCode"] = details.raw_code or details.response_code.value
            if details.response_message is not None:
                data["responseMessage"] = details.response_message
        return data


_UPDATE_KEYS: Final = frozenset(
    {"updateTime", "timezone", "timestamp", "sessionId", "objects", "responseMessage"}
)


class RealtimeUpdate(msgspec.Struct, frozen=True, gc=False):
    """One realtime push: a full snapshot of every subscribed address.

    ``timestamp`` is the server time (epoch ms on the wire) as an aware UTC datetime.

    Examples:
        >>> up = RealtimeUpdate.from_wire({"updateTime": 5, "timezone": "", "timestamp": 1451380750978,
        ...     "sessionId": "", "objects": [{"hostname": "x.x.x.1", "addresses": [{"address": "2000",
        ...     "dataType": "float", "length": 4, "value": "21.5", "changeOfValue": "INCREASE"}]}]})
        >>> up.timestamp.isoformat(), up.get("x.x.x.1", "2000").value
        ('2015-12-29T09:19:10.978000+00:00', 21.5)
    """

    values: tuple[PointValue, ...]
    timestamp: dt.datetime | None = None
    update_time: int | None = None
    timezone: str | None = None
    session_id: str | None = None
    response_message: str | None = None
    extra: Mapping[str, Any] = msgspec.field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.values, self.timestamp, self.update_time, self.timezone, self.session_id,
                     self.response_message))

    def get(self, hostname: str, address: str | int) -> PointValue | None:
        """The entry of ``(hostname, address)`` in this push (address case-insensitive)."""
        key = lookup_key(hostname, address)
        for item in self.values:
            if item.key == key:
                return item
        return None

    @classmethod
    def from_wire(cls, data: object) -> RealtimeUpdate:
        """Parse a realtime response object; raises ``ProtocolError`` on a malformed shape."""
        msg = _mapping(data, "realtime response")
        values: list[PointValue] = []
        for obj in _objects(msg.get("objects", []), "objects"):
            if obj.__class__ is not dict:
                raise ProtocolError(f"object must be an object, got {excerpt(obj)}")
            hostname = obj.get("hostname")
            if hostname.__class__ is not str:
                raise ProtocolError(f"hostname must be a string, got {excerpt(hostname)}")
            entries = _objects(obj.get("addresses", []), "addresses")
            values.extend(PointValue.from_wire(hostname, item) for item in entries)
        update_time = msg.get("updateTime")
        return cls(
            tuple(values),
            _timestamp(msg.get("timestamp")),
            update_time if isinstance(update_time, int) and not isinstance(update_time, bool) else None,
            _optional_text(msg.get("timezone"), "timezone"),
            _optional_text(msg.get("sessionId"), "sessionId"),
            _optional_text(msg.get("responseMessage"), "responseMessage"),
            {k: v for k, v in msg.items() if k not in _UPDATE_KEYS},
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object as the server sends it."""
        data: dict[str, Any] = {**self.extra}
        if self.update_time is not None:
            data["updateTime"] = self.update_time
        if self.timezone is not None:
            data["timezone"] = self.timezone
        if self.timestamp is not None:
            data["timestamp"] = _epoch_ms(self.timestamp)
        if self.session_id is not None:
            data["sessionId"] = self.session_id
        if self.response_message is not None:
            data["responseMessage"] = self.response_message
        data["objects"] = _group((v.hostname, v.to_wire()) for v in self.values)
        return data


# --- set data -----------------------------------------------------------------------------------


@attrs.frozen(slots=True)
class PointWrite:
    """One value to set: the point and the wire text (checked when made with [`of`][iotws.globiots.PointWrite.of]).

    Examples:
        >>> PointWrite.of(Point("0.0.0.0", "2010", DataType.FLOAT), 3.3).to_wire()
        {'address': '2010', 'value': '3.3', 'dataType': 'float', 'length': 4}
    """

    point: Point
    text: str

    def __attrs_post_init__(self) -> None:
        if not isinstance(self.point, Point):
            raise UsageError(f"point must be a Point, got {excerpt(self.point)}")
        if not isinstance(self.text, str):
            raise UsageError(f"text must be the wire text (a str), got {excerpt(self.text)}; use PointWrite.of()")

    @classmethod
    def of(cls, point: Point, value: Value) -> PointWrite:
        """Check ``value`` against the point (``CodecError`` if it does not fit).

        Examples:
            >>> PointWrite.of("3000", 1)
            Traceback (most recent call last):
            iotws.errors.UsageError: point must be a Point, got '3000'
        """
        if not isinstance(point, Point):
            raise UsageError(f"point must be a Point, got {excerpt(point)}")
        return cls(point, point.text(value))

    def to_wire(self) -> dict[str, Any]:
        """``{"address", "value", "dataType", "length"}`` as the vendor example orders them."""
        p = self.point
        return {"address": p.address, "value": self.text, "dataType": p.data_type.value, "length": p.length}


@attrs.frozen(slots=True)
class SetRequest:
    """A set-data request for one or many points (grouped per hostname on the wire).

    Examples:
        >>> req = SetRequest([PointWrite.of(Point("0.0.0.0", "2010", DataType.FLOAT), 3.3)])
        >>> services = req.to_wire()["services"]
        >>> services["serviceName"], len(services["objects"])
        ('set-data', 1)
    """

    writes: tuple[PointWrite, ...] = attrs.field(converter=_write_tuple)
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)

    def __attrs_post_init__(self) -> None:
        if not self.writes:
            raise UsageError("a set-data request needs at least one value")

    def to_wire(self) -> dict[str, Any]:
        """The JSON object of the request."""
        objects = _group(((w.point.hostname, w.to_wire()) for w in self.writes), {"type": "any-data"})
        return {**self.extra, "services": {"serviceName": "set-data", "objects": objects}}

    @classmethod
    def from_wire(cls, data: object) -> SetRequest:
        """Parse a request (the simulator's side); ``length`` may be text.

        Examples:
            >>> SetRequest.from_wire({"services": {"serviceName": "set-data", "objects": [{"type":
            ...     "any-data", "hostname": "h", "addresses": [{"address": "2010", "value": "3.3",
            ...     "dataType": "float", "length": "4"}]}]}}).writes[0].text
            '3.3'
        """
        msg = _mapping(data, "set-data request")
        services = _mapping(msg.get("services"), "services")
        writes: list[PointWrite] = []
        for obj in _objects(services.get("objects"), "objects"):
            obj = _mapping(obj, "object")
            hostname = _text(obj.get("hostname"), "hostname")
            for raw in _objects(obj.get("addresses"), "addresses"):
                item = _mapping(raw, "address entry")
                writes.append(PointWrite(_point_from_wire(hostname, item), _text(item.get("value"), "value")))
        try:
            return cls(writes, {k: v for k, v in msg.items() if k != "services"})
        except UsageError as exc:
            raise ProtocolError(str(exc), frame=str(data)) from None


_RESULT_KEYS: Final = frozenset({"address", "value", "dataType", "length", "responseCode", "responseMessage"})


class SetResult(msgspec.Struct, frozen=True, gc=False):
    """The outcome of setting one address: the code, its meaning, the server's message.

    ``raw_code`` keeps the code text as sent (``code`` is
    [`ResponseCode.UNKNOWN`][iotws.globiots.ResponseCode.UNKNOWN] for
    codes outside 00-10).

    Examples:
        >>> r = SetResult.from_wire("x.x.x.x", {"address": "xxxx", "value": "byte", "dataType": "byte",
        ...     "responseCode": "10", "responseMessage": "Sets value to the device[0A000006] is timeout."})
        >>> r.code, r.ok, r.message
        (<ResponseCode.TIMEOUT: '10'>, False, 'Sets value to the device[0A000006] is timeout.')
    """

    hostname: str
    address: str
    code: ResponseCode
    raw_code: str
    message: str = ""
    value: str | None = None
    data_type: DataType | str | None = None
    length: int | None = None
    extra: Mapping[str, Any] = msgspec.field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.hostname, self.address, self.code, self.raw_code, self.message, self.value,
                     self.data_type, self.length))

    @property
    def ok(self) -> bool:
        """Whether the code is ``00``."""
        return self.code is ResponseCode.SUCCESS

    @property
    def meaning(self) -> str:
        """The meaning of the code in words."""
        return self.code.meaning

    @property
    def key(self) -> tuple[str, str]:
        """``(hostname, ADDRESS)``."""
        return (self.hostname, self.address.upper())

    @classmethod
    def from_wire(cls, hostname: str, raw: object) -> SetResult:
        """Parse one entry of a set-data response."""
        item = _mapping(raw, "address entry")
        code = item.get("responseCode")
        if isinstance(code, int) and not isinstance(code, bool):
            code = f"{code:02d}"
        code_text = _text(code, "responseCode")
        data_type = item.get("dataType")
        return cls(
            hostname,
            _text(item.get("address"), "address"),
            ResponseCode.from_wire(code_text),
            code_text,
            _optional_text(item.get("responseMessage"), "responseMessage") or "",
            _optional_text(item.get("value"), "value"),
            None if data_type is None else _lookup_type(data_type),
            parse_length(item.get("length")),
            {k: v for k, v in item.items() if k not in _RESULT_KEYS},
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object of this entry, as the server sends it."""
        data: dict[str, Any] = {**self.extra, "address": self.address}
        if self.value is not None:
            data["value"] = self.value
        if self.data_type is not None:
            data["dataType"] = _wire_type(self.data_type)
        if self.length is not None:
            data["length"] = self.length
        data["responseCode"] = self.raw_code
        data["responseMessage"] = self.message
        return data


class SetResponse(msgspec.Struct, frozen=True, gc=False):
    """The answer to a set-data request: one [`SetResult`][iotws.globiots.SetResult] per address.

    Examples:
        >>> resp = SetResponse.from_wire({"sessionId": "", "services": {"serviceName": "set-data",
        ...     "objects": [{"type": "any-data", "hostname": "h", "addresses": [{"address": "3000",
        ...     "responseCode": "00", "responseMessage": "ok"}]}]}})
        >>> resp.ok, resp.results[0].code
        (True, <ResponseCode.SUCCESS: '00'>)
    """

    results: tuple[SetResult, ...]
    session_id: str | None = None
    service_name: str = "set-data"
    extra: Mapping[str, Any] = msgspec.field(default_factory=dict)

    def __hash__(self) -> int:
        return hash((self.results, self.session_id, self.service_name))

    @property
    def ok(self) -> bool:
        """Whether every address was set (code ``00``)."""
        return all(r.ok for r in self.results)

    @property
    def failures(self) -> tuple[SetResult, ...]:
        """The results whose code is not ``00``."""
        return tuple(r for r in self.results if not r.ok)

    def get(self, hostname: str, address: str | int) -> SetResult | None:
        """The result of ``(hostname, address)`` (address case-insensitive)."""
        key = lookup_key(hostname, address)
        return next((r for r in self.results if r.key == key), None)

    def raise_for_code(self) -> SetResponse:
        """Raise the [`SetDataError`][iotws.globiots.SetDataError] of the first failed address; else return ``self``."""
        for result in self.results:
            if not result.ok:
                raise SetDataError.from_result(result, self)
        return self

    @classmethod
    def from_wire(cls, data: object) -> SetResponse:
        """Parse a set-data response object; raises ``ProtocolError`` on a malformed shape."""
        msg = _mapping(data, "set-data response")
        services = _mapping(msg.get("services"), "services")
        results: list[SetResult] = []
        for obj in _objects(services.get("objects", []), "objects"):
            obj = _mapping(obj, "object")
            hostname = _text(obj.get("hostname"), "hostname")
            results.extend(SetResult.from_wire(hostname, a) for a in _objects(obj.get("addresses", []), "addresses"))
        return cls(
            tuple(results),
            _optional_text(msg.get("sessionId"), "sessionId"),
            _optional_text(services.get("serviceName"), "serviceName") or "set-data",
            {k: v for k, v in msg.items() if k not in ("sessionId", "services")},
        )

    def to_wire(self) -> dict[str, Any]:
        """The JSON object as the server sends it."""
        objects = _group(((r.hostname, r.to_wire()) for r in self.results), {"type": "any-data"})
        data: dict[str, Any] = {**self.extra}
        if self.session_id is not None:
            data["sessionId"] = self.session_id
        data["services"] = {"serviceName": self.service_name, "objects": objects}
        return data


# --- errors ---------------------------------------------------------------------------------------


class SetDataError(RemoteError):
    """A set-data address failed: ``code`` (a [`ResponseCode`][iotws.globiots.ResponseCode]), ``meaning``, ``message``.

    ``result`` is the failed [`SetResult`][iotws.globiots.SetResult], ``response`` the whole answer (so every
    address can be inspected). Subclasses name the common failures.

    Examples:
        >>> r = SetResult("0.0.0.1", "2000", ResponseCode.AREA_NOT_WRITABLE, "08", "not allowed")
        >>> err = SetDataError.from_result(r)
        >>> type(err).__name__, err.code.value, err.meaning
        ('AreaNotWritableError', '08', 'memory area is not allowed writing')
    """

    code: ResponseCode  # type: ignore[assignment]

    def __init__(self, result: SetResult, response: SetResponse | None = None) -> None:
        super().__init__(result.raw_code, result.message)
        self.code = result.code
        self.meaning: str = result.code.meaning
        self.result = result
        self.response = response
        self.args: tuple[Any, ...] = (
            f"set {result.hostname}/{result.address} failed with code {result.raw_code} "
            f"({self.meaning}): {result.message or 'no message'}",
        )

    def __str__(self) -> str:
        return str(self.args[0])

    @staticmethod
    def from_result(result: SetResult, response: SetResponse | None = None) -> SetDataError:
        """The most specific error class for ``result.code``."""
        return _ERRORS.get(result.code, SetDataError)(result, response)


class DeviceNotFoundError(SetDataError):
    """Codes ``01``/``04``: the hostname is not a known device."""


class AreaNotWritableError(SetDataError):
    """Code ``08``: the address is in a read-only memory area."""


class DeviceLockedError(SetDataError):
    """Code ``0A``: the device has been locked."""


class DeviceDetachedError(SetDataError):
    """Codes ``0B``/``0E``: the device is detached / unattached."""


class DeviceTimeoutError(SetDataError):
    """Code ``10``: the device did not answer the data engine in time."""


_ERRORS: Final[dict[ResponseCode, type[SetDataError]]] = {
    ResponseCode.DEVICE_NOT_FOUND: DeviceNotFoundError,
    ResponseCode.DEVICE_IDENTIFY_NOT_FOUND: DeviceNotFoundError,
    ResponseCode.AREA_NOT_WRITABLE: AreaNotWritableError,
    ResponseCode.DEVICE_LOCKED: DeviceLockedError,
    ResponseCode.DEVICE_DETACHED: DeviceDetachedError,
    ResponseCode.DEVICE_UNATTACHED: DeviceDetachedError,
    ResponseCode.TIMEOUT: DeviceTimeoutError,
}


# --- typed wire decoding --------------------------------------------------------------------------
#
# A frame of the regular shape is decoded by msgspec straight into the structs below and
# turned into the models without a dict in between. Any other frame (a key a model keeps
# in ``extra``, a ``null`` where a value is optional, a value of another type, NaN...)
# makes the typed decoder refuse it, or the conversion below give up, and the general
# decoder (``from_wire`` over [`iotws.jsonwire.loads`][]) parses it, keeping all of it.
# Both give equal models (tests/globiots/test_wire.py checks it). Like the general decoder,
# the typed one ignores unknown keys of the ``objects`` entries (an object has nowhere to
# keep them). The wire's names are the camelCase of the fields.


class _EntryWire(WireStruct, frozen=True, rename="camel"):
    address: str
    data_type: str
    length: int | str
    value: str
    change_of_value: str | UnsetType = UNSET


class _DetailedEntryWire(_EntryWire, frozen=True, rename="camel"):
    timestamp: int | float | UnsetType = UNSET
    status: str | UnsetType = UNSET
    response_code: str | UnsetType = UNSET
    response_message: str | UnsetType = UNSET


class _ObjectWire(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    hostname: str
    addresses: list[_EntryWire] = []


class _DetailedObjectWire(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    hostname: str
    addresses: list[_DetailedEntryWire] = []


class _UpdateFields(WireStruct, frozen=True, rename="camel"):
    update_time: int | UnsetType = UNSET
    timezone: str | UnsetType = UNSET
    timestamp: int | float | UnsetType = UNSET
    session_id: str | UnsetType = UNSET
    response_message: str | UnsetType = UNSET


class _UpdateWire(_UpdateFields, frozen=True, rename="camel"):
    objects: list[_ObjectWire] = []


class _DetailedUpdateWire(_UpdateFields, frozen=True, rename="camel"):
    objects: list[_DetailedObjectWire] = []


# Two shapes: the entries of most pushes have only the five usual keys; a push with failed
# reads (some deployments) has detail keys too and takes the second, wider decoder.
_decode_update: Final = typed_decoder(_UpdateWire)
_decode_detailed_update: Final = typed_decoder(_DetailedUpdateWire)
#: What makes the typed path give a frame up: a refusal of msgspec, or a value the general decoder reports.
_TYPED_ERRORS: Final[tuple[type[BaseException], ...]] = (*WIRE_ERRORS, ProtocolError)


def _details(entry: _DetailedEntryWire) -> ReadDetails | None:
    if (entry.status is UNSET and entry.response_code is UNSET and entry.timestamp is UNSET
            and entry.response_message is UNSET):
        return None
    code = None if entry.response_code is UNSET else entry.response_code
    return ReadDetails(
        None if entry.timestamp is UNSET else _timestamp(entry.timestamp),
        None if entry.status is UNSET else entry.status,
        None if code is None else ResponseCode.from_wire(code),
        None if entry.response_message is UNSET else entry.response_message,
        code,
        {},
    )


def _typed_update(frame: str | bytes) -> RealtimeUpdate | None:
    """The push of a regular realtime frame (msgspec); ``None`` for any other frame.

    ``None`` says nothing about the frame's validity:
    [`RealtimeUpdate.from_wire`][iotws.globiots.RealtimeUpdate.from_wire] decides.
    """
    try:
        try:
            wire: _UpdateWire | _DetailedUpdateWire = _decode_update(frame)
        except msgspec.ValidationError:  # not the five usual keys: maybe the detail keys too
            wire = _decode_detailed_update(frame)
        detailed = wire.__class__ is _DetailedUpdateWire
        values: list[PointValue] = []
        append, types_get, changes_get, bounds_get = values.append, _TYPES.get, _CHANGES.get, _INT_BOUNDS.get
        f32_pack, decode = _f32_pack, decode_value
        for obj in wire.objects:
            hostname = obj.hostname
            for entry in obj.addresses:
                name = entry.data_type
                data_type = types_get(name) or _lookup_type(name)
                raw_length = entry.length
                length = raw_length if type(raw_length) is int else parse_length(raw_length)
                raw_change = entry.change_of_value
                change = None if raw_change is UNSET else changes_get(raw_change) or ChangeOfValue.from_wire(raw_change)
                text = entry.value
                # decode_value() inlined for the two common cases (the same rules, see there)
                value: Value | None
                if data_type is _FLOAT and text.isascii() and "_" not in text:
                    try:
                        value = float(text)
                        if value - value == 0.0:  # finite: within the float32 range?
                            f32_pack(value)
                        else:  # inf or nan: the codec checks the spelling
                            value = decode(data_type, text, length)
                    except ValueError:
                        value = None
                    except OverflowError:
                        value = decode(data_type, text, length)
                else:
                    bounds = bounds_get(data_type)  # type: ignore[call-overload]
                    if bounds is not None and text.isascii() and (
                        text.isdigit() or (text[:1] == "-" and text[1:].isdigit())
                    ):
                        value = int(text)
                        if not bounds[0] <= value <= bounds[1]:
                            value = None
                    else:
                        value = decode(data_type, text, length)
                append(PointValue(
                    hostname,
                    entry.address,
                    data_type,
                    length,
                    text,
                    value,
                    change,
                    _details(entry) if detailed else None,  # type: ignore[arg-type]
                ))
        return RealtimeUpdate(
            tuple(values),
            None if wire.timestamp is UNSET else _timestamp(wire.timestamp),
            None if wire.update_time is UNSET else wire.update_time,
            None if wire.timezone is UNSET else wire.timezone,
            None if wire.session_id is UNSET else wire.session_id,
            None if wire.response_message is UNSET else wire.response_message,
            {},
        )
    except _TYPED_ERRORS:
        return None


class _ResultWire(WireStruct, frozen=True, rename="camel"):
    address: str
    response_code: str | int
    response_message: str | UnsetType = UNSET
    value: str | UnsetType = UNSET
    data_type: str | UnsetType = UNSET
    length: int | str | UnsetType = UNSET


class _SetObjectWire(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    hostname: str
    addresses: list[_ResultWire] = []


class _ServicesWire(msgspec.Struct, frozen=True, gc=False, rename="camel"):
    service_name: str | UnsetType = UNSET
    objects: list[_SetObjectWire] = []


class _SetResponseWire(WireStruct, frozen=True, rename="camel"):
    services: _ServicesWire
    session_id: str | UnsetType = UNSET


_decode_set_response: Final = typed_decoder(_SetResponseWire)


def _typed_set_response(frame: str | bytes) -> SetResponse | None:
    """The answer of a regular set-data frame (msgspec); ``None`` for any other frame."""
    try:
        wire: _SetResponseWire = _decode_set_response(frame)
        results: list[SetResult] = []
        for obj in wire.services.objects:
            for entry in obj.addresses:
                raw_code = entry.response_code
                code = f"{raw_code:02d}" if isinstance(raw_code, int) else raw_code
                data_type = entry.data_type
                results.append(SetResult(
                    obj.hostname,
                    entry.address,
                    ResponseCode.from_wire(code),
                    code,
                    "" if entry.response_message is UNSET else entry.response_message,
                    None if entry.value is UNSET else entry.value,
                    None if data_type is UNSET else _lookup_type(data_type),
                    None if entry.length is UNSET else parse_length(entry.length),
                    {},
                ))
        service = wire.services.service_name
        return SetResponse(
            tuple(results),
            None if wire.session_id is UNSET else wire.session_id,
            "set-data" if service is UNSET or not service else service,
            {},
        )
    except _TYPED_ERRORS:
        return None
