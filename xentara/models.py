"""Typed models of the Xentara WebSocket API v2.0.3: identifiers, values, results, events.

Every model is an attrs frozen, slotted class. ``from_wire`` builds one from a
decoded CBOR item (raising [`ProtocolError`][iotws.ProtocolError] when the peer
sent nonsense) and ``to_wire`` gives the CBOR item back; keys a model does not
know are kept in ``extra``. Enumerations map unknown wire values to the plain
``int`` (see [`enum_or_int`][iotws.xentara.models.enum_or_int]), and [`Stage`][iotws.xentara.Stage] to
[`Stage.UNKNOWN`][iotws.xentara.Stage.UNKNOWN], so
a newer server never breaks a client. Every enumeration prints as its member's
name (``str(Attribute.VALUE) == "VALUE"``) and compares equal to its wire number.

Examples:
    >>> ts = Timestamp(1704107471111587983)
    >>> str(ts)
    '2024-01-01T11:11:11.111587983Z'
    >>> Timestamp.from_wire(ts.to_wire()) == ts
    True
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any, ClassVar, TypeAlias, TypeVar

import attrs
from cbor2 import CBORTag

from iotws.errors import CodecError, ProtocolError, UsageError, excerpt
from iotws.xentara.errors import XentaraError, error_for

__all__ = [
    "NIL_UUID",
    "AccessKind",
    "AccessRights",
    "Attribute",
    "AttributeId",
    "AttributeInfo",
    "BrowseEntry",
    "DataChange",
    "Element",
    "ElementArg",
    "ElementCategory",
    "ElementRef",
    "EventType",
    "Failure",
    "MetaData",
    "MetaDataId",
    "Opcode",
    "PacketType",
    "Quality",
    "ReadResult",
    "ServerInfoId",
    "ServerInformation",
    "Stage",
    "SubSessionAuth",
    "SubSessionCertificate",
    "SubSessionPassword",
    "SubSessionToken",
    "SubscribeTarget",
    "SubscriptionInfo",
    "SubscriptionLost",
    "Timestamp",
    "UnknownEvent",
    "UnknownPacket",
    "UnmatchedError",
    "ValueType",
    "WireEnum",
    "WriteValue",
    "attribute_from_wire",
    "element_uuid",
    "enum_or_int",
    "value_to_wire",
]

E = TypeVar("E", bound=enum.IntEnum)

NIL_UUID = uuid.UUID(int=0)
"""The nil UUID: the model root in browse."""


def enum_or_int(cls: type[E], value: Any) -> E | int:
    """``cls(value)`` for a known value, the plain ``int`` for an unknown one.

    Examples:
        >>> enum_or_int(Stage, 2), enum_or_int(Stage, 9)
        (<Stage.OPERATIONAL: 2>, 9)
    """
    try:
        return cls(value)
    except ValueError:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ProtocolError(f"{cls.__name__}: expected an int, got {excerpt(value)}") from None


class WireEnum(enum.IntEnum):
    """An enumeration of wire numbers that prints as its member's name.

    A member is the number it stands for (``Quality.GOOD == 0``, it encodes as that
    number), but ``str()`` and f-strings show its name, so printed results, events and
    ``--json`` keys read ``VALUE``, not ``11``. A numeric format (``f"{q:d}"``) gives
    the number.

    Examples:
        >>> str(Attribute.VALUE), f"{ElementCategory.DATA_POINT}", f"{Quality.BAD:d}"
        ('VALUE', 'DATA_POINT', '3')
        >>> Attribute.VALUE == 11, repr(Stage.OPERATIONAL)
        (True, '<Stage.OPERATIONAL: 2>')
    """

    def __str__(self) -> str:
        return self.name

    def __format__(self, format_spec: str) -> str:
        if format_spec and format_spec[-1] in "bcdoxXneEfFgG%":
            return int.__format__(int(self), format_spec)
        return format(self.name, format_spec)


class PacketType(WireEnum):
    """The first field of every packet."""

    REQUEST = 0
    SUCCESS = 1
    ERROR = 2
    EVENT = 8


class Opcode(WireEnum):
    """Request opcodes (9 is not public and not exposed)."""

    SERVER_INFORMATION = 0
    BROWSE = 1
    META_DATA = 2
    LOOKUP = 3
    READ = 4
    WRITE = 5
    SUBSCRIBE = 6
    UNSUBSCRIBE = 7
    GET_STAGE = 8
    SUSPEND = 10
    SHUTDOWN = 11
    CREATE_SUB_SESSION = 12
    CLOSE_SUB_SESSION = 13
    CLIENT_HELLO = 14
    CHECK_ACCESS = 15


class EventType(WireEnum):
    """Event packet types (``[8, event_type, payload]``)."""

    DATA_CHANGE = 0


class ServerInfoId(WireEnum):
    """Server information ids (opcode 0)."""

    VERSION = 0
    USER_NAME = 1
    MODEL_FILE_PATH = 2


class MetaDataId(WireEnum):
    """Meta data ids (opcode 2)."""

    PRIMARY_KEY = 0
    ELEMENT_CATEGORY = 1
    ATTRIBUTE_LIST = 2
    HAS_CHILDREN = 3


class Stage(WireEnum):
    """Operational stages (opcode 8).

    The reference lists stages 0 to 3. Any other number a server answers (a newer
    server's stage, or the one a suspended runtime reports) is [`UNKNOWN`][iotws.xentara.Stage.UNKNOWN], so
    ``get_stage()`` always answers with a member and a ``match`` over the stages
    must say what to do with it. A reply that is not an integer at all is a
    [`ProtocolError`][iotws.ProtocolError].

    Examples:
        >>> Stage.from_wire(2), Stage.from_wire(4)
        (<Stage.OPERATIONAL: 2>, <Stage.UNKNOWN: -1>)
    """

    UNKNOWN = -1
    """A stage number the reference does not list (never sent on the wire)."""
    START_UP = 0
    PRE_OPERATIONAL = 1
    OPERATIONAL = 2
    POST_OPERATIONAL = 3

    @classmethod
    def from_wire(cls, value: Any) -> Stage:
        """The stage a get-stage reply names ([`UNKNOWN`][iotws.xentara.Stage.UNKNOWN] for a number not listed)."""
        if type(value) is not int:
            raise ProtocolError(f"get stage: expected an integer, got {excerpt(value)}")
        if value < 0:
            return cls.UNKNOWN
        try:
            return cls(value)
        except ValueError:
            return cls.UNKNOWN


class Quality(WireEnum):
    """Value quality (attribute 9)."""

    GOOD = 0
    ACCEPTABLE = 1
    UNRELIABLE = 2
    BAD = 3


class ElementCategory(WireEnum):
    """Element categories (attribute 4, browse, meta data)."""

    ROOT = 0
    ELEMENT_GROUP = 1
    DATA_POINT = 2
    TIMER = 3
    EXECUTION_TRACK = 4
    EXECUTION_PIPELINE = 5
    DEVICE = 6
    SUB_DEVICE = 7
    DEVICE_GROUP = 8
    DATA_POINT_GROUP = 9
    TRANSACTION = 10
    MICROSERVICE = 11
    AI = 12
    DATA_STORAGE = 13
    EXTERNAL_INTERFACE = 14
    SPECIAL_PURPOSE = 15


class Attribute(WireEnum):
    """The known attribute ids; other attributes are addressed by UUID.

    Examples:
        >>> Attribute.VALUE, Attribute.VALUE.uuid
        (<Attribute.VALUE: 11>, UUID('4aa0e4e0-521e-4599-a985-e454baa59f89'))
    """

    PRIMARY_KEY = 0
    NAME = 1
    UUID = 2
    TYPE = 3
    CATEGORY = 4
    SOURCE_TIME = 5
    UPDATE_TIME = 6
    CHANGE_TIME = 7
    WRITE_TIME = 8
    QUALITY = 9
    DEVICE_STATE = 10
    VALUE = 11
    ERROR = 12
    WRITE_ERROR = 13

    @property
    def uuid(self) -> uuid.UUID:
        """The UUID the official client maps this id to internally (send the int)."""
        return _ATTRIBUTE_UUIDS[self]


_ATTRIBUTE_UUIDS = {
    Attribute(i): uuid.UUID(u)
    for i, u in enumerate(
        (
            "ed22790e-261b-4a23-bfcc-6175a5571b33", "0f974e57-cb9a-4d46-8811-efe3d619ecb9",
            "b610a3e8-eff1-4a1a-b099-1939586b7aff", "e1d217de-cf51-4852-8b90-d691a00871dc",
            "cc9219e1-74b5-4be4-86c7-0fff12eb5324", "5f67b0fb-d000-4b7c-92e4-78a36cb05b9d",
            "91eed150-f62c-424b-ba59-9269b02e234c", "54f09787-dcbe-4fbf-9a02-524e469eea47",
            "0a62de23-0564-4b91-8225-569dfa1ac04f", "d3c4b709-bccf-4665-9621-abfb5c6addce",
            "d0da9c4b-3240-404d-9f40-e52361b870e6", "4aa0e4e0-521e-4599-a985-e454baa59f89",
            "85a28731-2553-4886-8cd1-8b9d9980fa04", "70435d1d-224f-4c25-a1ac-5191d7514252",
        )
    )
}
_ATTRIBUTE_BY_INT: dict[int, Attribute] = {int(a): a for a in Attribute}

AttributeId: TypeAlias = Attribute | int | uuid.UUID
"""An attribute id: a known [`Attribute`][iotws.xentara.Attribute], another int, or an attribute UUID."""


def attribute_from_wire(key: Any) -> AttributeId:
    """Turn a wire attribute id (int or UUID) into an [`AttributeId`][iotws.xentara.models.AttributeId].

    Examples:
        >>> attribute_from_wire(11), attribute_from_wire(99)
        (<Attribute.VALUE: 11>, 99)
    """
    if type(key) is int:
        return _ATTRIBUTE_BY_INT.get(key, key)
    if isinstance(key, uuid.UUID):
        return key
    raise ProtocolError(f"not an attribute id: {excerpt(key)}")


def attribute_to_wire(attr: Any) -> int | uuid.UUID:
    """Check a caller's attribute id (raises [`UsageError`][iotws.UsageError])."""
    if attr.__class__ is Attribute:
        return attr._value_
    if isinstance(attr, uuid.UUID):
        return attr
    if isinstance(attr, int) and not isinstance(attr, bool) and attr >= 0:
        return int(attr)
    raise UsageError(f"not an attribute id: {attr!r} (use an Attribute, an int >= 0 or a UUID)")


class AccessKind(WireEnum):
    """Attribute access (meta data attribute key 2)."""

    READ_ONLY = 0
    WRITE_ONLY = 1
    READ_WRITE = 2


class ValueType(WireEnum):
    """Attribute data types (meta data attribute key 3); unknown types stay plain ints."""

    BOOLEAN = 0
    INT8 = 1
    INT16 = 2
    INT32 = 3
    INT64 = 4
    UINT8 = 5
    UINT16 = 6
    UINT32 = 7
    UINT64 = 8
    FLOAT32 = 9
    FLOAT64 = 10
    STRING = 11
    WSTRING = 12
    U8STRING = 13
    U16STRING = 14
    U32STRING = 15
    TIME_POINT = 16
    UUID = 17
    QUALITY = 18
    ELEMENT_CATEGORY = 19
    ERROR_CODE = 20
    CUSTOM = 21
    NONE = 22


# -- timestamps ----------------------------------------------------------------

_NS = 1_000_000_000
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


@attrs.frozen(slots=True, order=True)
class Timestamp:
    """A Xentara time stamp: nanoseconds since the Unix epoch (UTC).

    Python datetimes stop at microseconds; this keeps nanoseconds. [`MIN`][iotws.xentara.Timestamp.MIN] and
    [`MAX`][iotws.xentara.Timestamp.MAX] stand for the minimum / maximum time stamp (the wire's -inf / +inf).

    Examples:
        >>> ts = Timestamp.from_datetime(dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))
        >>> ts.ns, ts.to_datetime().isoformat()
        (1704067200000000000, '2024-01-01T00:00:00+00:00')
    """

    ns: int

    MIN: ClassVar[Timestamp]
    MAX: ClassVar[Timestamp]

    @classmethod
    def from_datetime(cls, value: dt.datetime) -> Timestamp:
        """From an aware datetime (a naive one is a [`UsageError`][iotws.UsageError])."""
        if value.tzinfo is None:
            raise UsageError(f"naive datetime {value!r}: give it a timezone (e.g. UTC)")
        delta = value - _EPOCH
        return cls((delta.days * 86400 + delta.seconds) * _NS + delta.microseconds * 1000)

    @classmethod
    def from_seconds(cls, seconds: float) -> Timestamp:
        """From (fractional) epoch seconds; infinities give [`MIN`][iotws.xentara.Timestamp.MIN] /
        [`MAX`][iotws.xentara.Timestamp.MAX].

        Examples:
            >>> Timestamp.from_seconds(1.5).ns, Timestamp.from_seconds(float("inf")) == Timestamp.MAX
            (1500000000, True)
        """
        if isinstance(seconds, int):
            return cls(seconds * _NS)
        if seconds != seconds:
            raise ValueError("NaN is not a time stamp")
        if seconds in (float("inf"), float("-inf")):
            return cls.MAX if seconds > 0 else cls.MIN
        return cls(round(Fraction(seconds) * _NS))

    @property
    def seconds(self) -> float:
        """Epoch seconds as a float (loses sub-microsecond precision)."""
        return self.ns / _NS

    def to_datetime(self) -> dt.datetime:
        """An aware UTC datetime (truncated to microseconds; clamped to datetime's range)."""
        try:
            return _EPOCH + dt.timedelta(microseconds=self.ns // 1000)
        except OverflowError:
            return dt.datetime.max.replace(tzinfo=dt.UTC) if self.ns > 0 else dt.datetime.min.replace(
                tzinfo=dt.UTC
            )

    def to_wire(self) -> CBORTag:
        """The canonical form: ``1001({4: 4([-9, ns])})``."""
        return CBORTag(1001, {4: CBORTag(4, [-9, self.ns])})

    @classmethod
    def from_wire(cls, value: Any) -> Timestamp:
        """From a decoded time stamp (any form the reference lists), else ProtocolError."""
        if isinstance(value, Timestamp):
            return value
        if isinstance(value, CBORTag):
            decoded = decode_time_tag(value.tag, value.value)
            if isinstance(decoded, Timestamp):
                return decoded
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return cls.from_datetime(value)
        raise ProtocolError(f"not a time stamp: {excerpt(value)}")

    def __str__(self) -> str:
        if self == Timestamp.MIN or self == Timestamp.MAX:
            return "-inf" if self.ns < 0 else "+inf"
        seconds, frac = divmod(self.ns, _NS)
        try:
            base = (_EPOCH + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")
        except OverflowError:
            return f"{self.ns}ns"
        return f"{base}.{frac:09d}Z"

    def isoformat(self) -> str:
        """The ISO 8601 text with nanoseconds (used by ``--json`` output)."""
        return str(self)


Timestamp.MIN = Timestamp(_INT64_MIN)
Timestamp.MAX = Timestamp(_INT64_MAX)

_EXPONENT_SCALE = {-9: 1, -6: 1000, -3: 1_000_000}


def decode_time_tag(tag: int, value: Any) -> Timestamp | CBORTag:
    """Decode tag 1 or 1001 content into a [`Timestamp`][iotws.xentara.Timestamp], or give the tag back unchanged.

    Examples:
        >>> decode_time_tag(1001, {4: CBORTag(4, [-3, 1500])}).ns
        1500000000
        >>> decode_time_tag(1, 2).ns
        2000000000
    """
    if tag == 1001 and isinstance(value, Mapping):
        frac = value.get(4)
        if isinstance(frac, CBORTag) and frac.tag == 4:
            frac = frac.value
        if isinstance(frac, Sequence) and len(frac) == 2:
            exponent, mantissa = frac
            scale = _EXPONENT_SCALE.get(exponent) if type(exponent) is int else None
            if scale is not None and type(mantissa) is int:
                return Timestamp(mantissa * scale)
        seconds = value.get(1)
        if type(seconds) is int:
            nanos = value.get(-9, 0)
            return Timestamp(seconds * _NS + (nanos if type(nanos) is int else 0))
        if type(seconds) is float:
            try:
                return Timestamp.from_seconds(seconds)
            except (ValueError, OverflowError):
                pass
    elif tag == 1 and (type(value) is int or type(value) is float):
        try:
            return Timestamp.from_seconds(value)
        except (ValueError, OverflowError):
            pass
    return CBORTag(tag, value)


# -- values --------------------------------------------------------------------


@attrs.frozen(slots=True)
class Failure:
    """A per-attribute error (``122({0: code, 1: text})``) in a read result or an event.

    Examples:
        >>> f = Failure(-32101, "missing attribute")
        >>> f.error
        MissingAttribute(-32101, 'missing attribute')
    """

    code: int
    message: str = ""

    @property
    def error(self) -> XentaraError:
        """The matching exception (not raised)."""
        return error_for(self.code, self.message)

    @classmethod
    def from_wire(cls, value: Any) -> Failure:
        """From the map inside tag 122."""
        if not isinstance(value, Mapping) or type(value.get(0)) is not int:
            raise ProtocolError(f"not an error object: {excerpt(value)}")
        text = value.get(1, "")
        return cls(value[0], text if isinstance(text, str) else str(text))

    def to_wire(self) -> CBORTag:
        """``122({0: code, 1: text})``."""
        return CBORTag(122, {0: self.code, 1: self.message})


def _alternative(item: Any) -> Any:
    """121(value) -> value, 122(error) -> Failure; anything untagged passes as a value."""
    if type(item) is CBORTag:
        if item.tag == 121:
            return item.value
        if item.tag == 122:
            return Failure.from_wire(item.value)
    return item


WriteValue: TypeAlias = bool | int | float | str | uuid.UUID | Timestamp | dt.datetime
"""A value a client writes: what [`value_to_wire`][iotws.xentara.models.value_to_wire] accepts."""


def value_to_wire(value: Any) -> Any:
    """Check and convert an attribute value for sending (raises CodecError before anything is sent).

    Accepted: bool, int, float, str, UUID, [`Timestamp`][iotws.xentara.Timestamp], aware datetime.

    Examples:
        >>> value_to_wire(21.5), value_to_wire(Timestamp(5)).tag
        (21.5, 1001)
    """
    if isinstance(value, (bool, int, float, str, uuid.UUID)):
        if isinstance(value, int) and not -(2**63) <= value < 2**64:
            raise CodecError(f"integer {value} does not fit in 64 bits")
        return value
    if isinstance(value, Timestamp):
        return value.to_wire()
    if isinstance(value, dt.datetime):
        return Timestamp.from_datetime(value).to_wire()
    raise CodecError(f"cannot write {value!r}: use bool, int, float, str, UUID, Timestamp or datetime")


def _mapping(item: Any, what: str) -> Mapping[Any, Any]:
    if item.__class__ is dict:  # what cbor2 decodes maps to: no ABC check on the hot path
        return item
    if not isinstance(item, Mapping):
        raise ProtocolError(f"{what}: expected a map, got {excerpt(item)}")
    return item


def _extra(data: Mapping[Any, Any], known: tuple[int, ...]) -> dict[Any, Any]:
    return {k: v for k, v in data.items() if k not in known}


# -- elements ------------------------------------------------------------------


@attrs.frozen(slots=True)
class Element:
    """A Xentara element: its UUID, and its primary key (dotted path) when known.

    Examples:
        >>> Element(NIL_UUID, "Group 1").primary_key
        'Group 1'
    """

    uuid: uuid.UUID
    primary_key: str | None = None


@attrs.frozen(slots=True)
class BrowseEntry:
    """One element found by browse: ``{0: primary key, 1: UUID, 2: category}``.

    Examples:
        >>> e = BrowseEntry.from_wire({0: "Group 1", 1: NIL_UUID, 2: 1})
        >>> e.category, e.element.primary_key
        (<ElementCategory.ELEMENT_GROUP: 1>, 'Group 1')
    """

    primary_key: str
    uuid: uuid.UUID
    category: ElementCategory | int
    extra: dict[Any, Any] = attrs.field(factory=dict, eq=False)

    @property
    def element(self) -> Element:
        """This entry as an [`Element`][iotws.xentara.Element]."""
        return Element(self.uuid, self.primary_key)

    @classmethod
    def from_wire(cls, item: Any) -> BrowseEntry:
        data = _mapping(item, "browse entry")
        key, ident = data.get(0), data.get(1)
        if not isinstance(key, str) or not isinstance(ident, uuid.UUID):
            raise ProtocolError(f"browse entry: bad primary key or UUID in {excerpt(item)}")
        return cls(key, ident, enum_or_int(ElementCategory, data.get(2)), _extra(data, (0, 1, 2)))

    def to_wire(self) -> dict[Any, Any]:
        return {**self.extra, 0: self.primary_key, 1: self.uuid, 2: int(self.category)}


ElementRef: TypeAlias = uuid.UUID | Element | BrowseEntry
"""What protocol-level commands accept as an element."""

ElementArg: TypeAlias = uuid.UUID | Element | BrowseEntry | str
"""What client methods accept as an element: a UUID, an [`Element`][iotws.xentara.Element], a
[`BrowseEntry`][iotws.xentara.BrowseEntry], or a primary key (dotted path such as ``"Group 1.Setpoint"``), which the
client looks up first.
"""

SubscribeTarget: TypeAlias = ElementArg | tuple[ElementArg, Iterable[AttributeId]]
"""One target of a subscribe call: an element (with the call's attributes), or an
``(element, attributes)`` pair.
"""


def element_uuid(ref: Any) -> uuid.UUID:
    """The UUID of an element reference (UUID, Element or BrowseEntry), else UsageError.

    Examples:
        >>> element_uuid(Element(NIL_UUID)) == NIL_UUID
        True
    """
    if isinstance(ref, uuid.UUID):
        return ref
    if isinstance(ref, (Element, BrowseEntry)):
        return ref.uuid
    raise UsageError(f"not an element: {ref!r} (give a UUID, an Element or a primary key to lookup)")


@attrs.frozen(slots=True)
class AttributeInfo:
    """One attribute in meta data: name, id, access and data type.

    Examples:
        >>> AttributeInfo.from_wire({0: "value", 1: 11, 2: 2, 3: 10}).data_type
        <ValueType.FLOAT64: 10>
    """

    name: str
    id: AttributeId
    access: AccessKind | int
    data_type: ValueType | int
    extra: dict[Any, Any] = attrs.field(factory=dict, eq=False)

    @classmethod
    def from_wire(cls, item: Any) -> AttributeInfo:
        data = _mapping(item, "attribute info")
        name = data.get(0)
        if not isinstance(name, str):
            raise ProtocolError(f"attribute info without a name: {excerpt(item)}")
        return cls(
            name,
            attribute_from_wire(data.get(1)),
            enum_or_int(AccessKind, data.get(2)),
            enum_or_int(ValueType, data.get(3)),
            _extra(data, (0, 1, 2, 3)),
        )

    def to_wire(self) -> dict[Any, Any]:
        ident = self.id if isinstance(self.id, uuid.UUID) else int(self.id)
        return {**self.extra, 0: self.name, 1: ident, 2: int(self.access), 3: int(self.data_type)}


@attrs.frozen(slots=True)
class MetaData:
    """An element's meta data (opcode 2); fields not asked for are ``None``.

    Examples:
        >>> MetaData.from_wire({0: "Group 1", 3: True}).has_children
        True
    """

    primary_key: str | None = None
    category: ElementCategory | int | None = None
    attributes: tuple[AttributeInfo, ...] | None = None
    has_children: bool | None = None
    extra: dict[Any, Any] = attrs.field(factory=dict, eq=False)

    @classmethod
    def from_wire(cls, item: Any) -> MetaData:
        data = _mapping(item, "meta data")
        key = data.get(0)
        category = data.get(1)
        attributes = data.get(2)
        if attributes is not None and not isinstance(attributes, list):
            raise ProtocolError(f"meta data: attribute list is not an array: {excerpt(attributes)}")
        children = data.get(3)
        return cls(
            key if isinstance(key, str) else None,
            None if category is None else enum_or_int(ElementCategory, category),
            None if attributes is None else tuple(AttributeInfo.from_wire(a) for a in attributes),
            children if isinstance(children, bool) else None,
            _extra(data, (0, 1, 2, 3)),
        )

    def to_wire(self) -> dict[Any, Any]:
        out: dict[Any, Any] = dict(self.extra)
        if self.primary_key is not None:
            out[0] = self.primary_key
        if self.category is not None:
            out[1] = int(self.category)
        if self.attributes is not None:
            out[2] = [a.to_wire() for a in self.attributes]
        if self.has_children is not None:
            out[3] = self.has_children
        return out


@attrs.frozen(slots=True)
class ServerInformation:
    """Server information (opcode 0); values are passed through as sent.

    Examples:
        >>> ServerInformation.from_wire({0: "2.0.3"}).version
        '2.0.3'
    """

    version: Any = None
    user_name: Any = None
    model_file_path: Any = None
    extra: dict[Any, Any] = attrs.field(factory=dict, eq=False)

    @classmethod
    def from_wire(cls, item: Any) -> ServerInformation:
        data = _mapping(item, "server information")
        return cls(data.get(0), data.get(1), data.get(2), _extra(data, (0, 1, 2)))


@attrs.frozen(slots=True)
class AccessRights:
    """A sub-session's access (opcode 15).

    Examples:
        >>> AccessRights.from_wire({0: True, 1: False})
        AccessRights(read=True, write=False)
    """

    read: bool
    write: bool

    @classmethod
    def from_wire(cls, item: Any) -> AccessRights:
        data = _mapping(item, "check access")
        read, write = data.get(0), data.get(1)
        if not isinstance(read, bool) or not isinstance(write, bool):
            raise ProtocolError(f"check access: expected two booleans, got {excerpt(item)}")
        return cls(read, write)


@attrs.frozen(slots=True, eq=False)
class ReadResult:
    """The result of a read: per attribute, the value or a [`Failure`][iotws.xentara.Failure].

    One bad attribute does not fail the read: indexing a failed attribute raises its error;
    [`values`][iotws.xentara.ReadResult.values] and [`failures`][iotws.xentara.ReadResult.failures] split them.

    Examples:
        >>> r = ReadResult.from_wire(NIL_UUID, {11: CBORTag(121, 42.5),
        ...                                     12: CBORTag(122, {0: -32101, 1: "missing attribute"})})
        >>> r[Attribute.VALUE], r.ok, list(r.failures)
        (42.5, False, [<Attribute.ERROR: 12>])
    """

    element: uuid.UUID
    results: dict[AttributeId, Any]

    @classmethod
    def from_wire(cls, element: uuid.UUID, item: Any) -> ReadResult:
        data = _mapping(item, "read result")
        return cls(element, {attribute_from_wire(k): _alternative(v) for k, v in data.items()})

    def __getitem__(self, attr: AttributeId) -> Any:
        result = self.results[attr]
        if isinstance(result, Failure):
            raise result.error
        return result

    def get(self, attr: AttributeId, default: Any = None) -> Any:
        """The value of ``attr``, or ``default`` when it is missing or failed."""
        result = self.results.get(attr, default)
        return default if isinstance(result, Failure) else result

    @property
    def values(self) -> dict[AttributeId, Any]:
        """The attributes that were read."""
        return {k: v for k, v in self.results.items() if not isinstance(v, Failure)}

    @property
    def failures(self) -> dict[AttributeId, Failure]:
        """The attributes that failed."""
        return {k: v for k, v in self.results.items() if isinstance(v, Failure)}

    @property
    def ok(self) -> bool:
        """Whether every attribute was read."""
        return not any(isinstance(v, Failure) for v in self.results.values())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ReadResult) and (self.element, self.results) == (other.element, other.results)

    def to_wire(self) -> dict[Any, Any]:
        return {_attr_key(k): _value_item(v) for k, v in self.results.items()}


#: The attributes whose values are codes of an enumeration.
_NAMED_VALUES: dict[AttributeId, type[WireEnum]] = {Attribute.QUALITY: Quality, Attribute.CATEGORY: ElementCategory}


def _attr_key(attr: AttributeId) -> int | uuid.UUID:
    return attr if isinstance(attr, uuid.UUID) else int(attr)


def _value_text(attr: AttributeId, value: Any) -> str:
    """A value as ``str(event)`` shows it: quality and category codes by name."""
    if type(value) is int and attr in _NAMED_VALUES:
        return str(enum_or_int(_NAMED_VALUES[attr], value))
    if isinstance(value, Failure):
        return f"<error {value.code}: {value.message}>" if value.message else f"<error {value.code}>"
    return repr(value) if isinstance(value, str) else str(value)


def _value_item(value: Any) -> CBORTag:
    if isinstance(value, Failure):
        return value.to_wire()
    return CBORTag(121, value.to_wire() if isinstance(value, Timestamp) else value)


# -- events --------------------------------------------------------------------


_new_object = object.__new__
_set_slot = object.__setattr__
_NO_SUBSCRIPTIONS: frozenset[uuid.UUID] = frozenset()


@attrs.frozen(slots=True, eq=False)
class DataChange:
    """A data-change event: at ``timestamp``, ``element``'s attributes changed.

    ``values`` maps each attribute to its new value or a [`Failure`][iotws.xentara.Failure]. ``subscriptions`` holds
    the ids of this client's subscriptions covering one of these attributes (events carry no subscription id; they
    are routed by element and attribute). ``path`` is the element's primary key when the client knows it: it looked
    the element up (a primary key given to ``subscribe``, ``watch``, ``lookup``... or a
    [`LookupCommand`][iotws.xentara.LookupCommand] of a batch), or was given an
    [`Element`][iotws.xentara.Element]/[`BrowseEntry`][iotws.xentara.BrowseEntry] that names it; else ``None`` (the
    wire carries only the UUID). ``str()`` gives one readable line.

    Examples:
        >>> ev = DataChange.from_wire({0: Timestamp(0), 1: NIL_UUID, 2: {11: CBORTag(121, 1.5)}})
        >>> ev.value, ev.quality, ev.path
        (1.5, None, None)
        >>> print(attrs.evolve(ev, path="Group 1.Data Point 1", values={Attribute.VALUE: 1.5, Attribute.QUALITY: 0}))
        1970-01-01T00:00:00.000000000Z Group 1.Data Point 1: VALUE=1.5 QUALITY=GOOD
    """

    timestamp: Timestamp | Any
    element: uuid.UUID
    values: dict[AttributeId, Any]
    subscriptions: frozenset[uuid.UUID] = frozenset()
    extra: dict[Any, Any] = attrs.field(factory=dict)
    path: str | None = None

    @classmethod
    def from_wire(cls, item: Any) -> DataChange:
        """Build from the event object ``{0: time, 1: element, 2: {attr: 121(v) / 122(err)}}``."""
        if type(item) is not dict:
            raise ProtocolError(f"data change: expected a map, got {excerpt(item)}")
        element = item.get(1)
        changes = item.get(2)
        if not isinstance(element, uuid.UUID) or type(changes) is not dict:
            raise ProtocolError(f"data change: bad element or attribute map in {excerpt(item)}")
        values: dict[AttributeId, Any] = {}
        by_int = _ATTRIBUTE_BY_INT
        for key, value in changes.items():
            if type(key) is int:
                key = by_int.get(key, key)
            elif not isinstance(key, uuid.UUID):
                raise ProtocolError(f"data change: not an attribute id: {excerpt(key)}")
            if type(value) is CBORTag:
                if value.tag == 121:
                    value = value.value
                elif value.tag == 122:
                    value = Failure.from_wire(value.value)
            values[key] = value
        extra = {k: v for k, v in item.items() if k not in (0, 1, 2)} if len(item) > 3 else {}
        # the hot path of every event: fill the slots directly (attrs' frozen __init__ is slower)
        event = _new_object(cls)
        _set_slot(event, "timestamp", item.get(0))
        _set_slot(event, "element", element)
        _set_slot(event, "values", values)
        _set_slot(event, "subscriptions", _NO_SUBSCRIPTIONS)
        _set_slot(event, "extra", extra)
        _set_slot(event, "path", None)
        return event

    def to_wire(self) -> dict[Any, Any]:
        stamp = self.timestamp.to_wire() if isinstance(self.timestamp, Timestamp) else self.timestamp
        return {
            **self.extra,
            0: stamp,
            1: self.element,
            2: {_attr_key(k): _value_item(v) for k, v in self.values.items()},
        }

    @property
    def value(self) -> Any:
        """The Value attribute (11), if it is in this event and did not fail."""
        value = self.values.get(Attribute.VALUE)
        return None if isinstance(value, Failure) else value

    @property
    def quality(self) -> Quality | int | None:
        """The Quality attribute (9), if this event carries it (else ``None``).

        An event carries the subscribed attributes that changed: with the default of
        ``watch()`` and ``subscribe()`` (the Value only) there is never a quality here;
        name ``Attribute.QUALITY`` in their ``attributes`` to get its changes, or ``read()`` it.
        """
        quality = self.values.get(Attribute.QUALITY)
        return enum_or_int(Quality, quality) if type(quality) is int else None

    def __str__(self) -> str:
        changes = " ".join(f"{attr}={_value_text(attr, value)}" for attr, value in self.values.items())
        return f"{self.timestamp} {self.path or self.element}: {changes}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DataChange) and (self.timestamp, self.element, self.values, self.extra) == (
            other.timestamp,
            other.element,
            other.values,
            other.extra,
        )

    __hash__: ClassVar[None] = None  # type: ignore[assignment]


@attrs.frozen(slots=True)
class UnknownEvent:
    """An event packet whose type this client does not know (e.g. 1, stage change).

    Examples:
        >>> UnknownEvent(1, {0: 2}).event_type
        1
    """

    event_type: Any
    payload: Any


@attrs.frozen(slots=True)
class UnknownPacket:
    """A packet of a type this client does not know, passed on as received.

    Examples:
        >>> UnknownPacket([9, 1]).packet
        [9, 1]
    """

    packet: Any


@attrs.frozen(slots=True)
class SubscriptionLost:
    """A subscription could not be restored after a reconnect; it is forgotten.

    Examples:
        >>> from iotws.xentara.errors import UnknownElement
        >>> SubscriptionLost(NIL_UUID, UnknownElement(-32100)).error.code
        -32100
    """

    subscription: uuid.UUID
    error: Exception


@attrs.frozen(slots=True)
class UnmatchedError:
    """An error response no request is waiting for (e.g. -32700 for a whole message).

    Examples:
        >>> UnmatchedError(0, Failure(-32700, "payload not well formed")).failure.code
        -32700
    """

    message_id: Any
    failure: Failure


# -- subscriptions and sub-sessions ----------------------------------------------


@attrs.frozen(slots=True)
class SubscriptionInfo:
    """What a subscription covers: its id, (element, attributes) pairs and rates in ms.

    Examples:
        >>> info = SubscriptionInfo(NIL_UUID, ((NIL_UUID, (Attribute.VALUE,)),), min_rate=100)
        >>> info.to_wire()[2], info.covers(NIL_UUID, 11)
        (100, True)
    """

    id: uuid.UUID
    items: tuple[tuple[uuid.UUID, tuple[AttributeId, ...]], ...]
    max_rate: int | None = None
    min_rate: int | None = None

    def covers(self, element: uuid.UUID, attr: AttributeId) -> bool:
        """Whether events for ``(element, attr)`` belong to this subscription."""
        return any(e == element and attr in attrs_ for e, attrs_ in self.items)

    def to_wire(self) -> dict[int, Any]:
        """The subscribe request parameters (always with the desired id, key 3)."""
        params: dict[int, Any] = {
            0: [{0: e, 1: [_attr_key(a) for a in attrs_]} for e, attrs_ in self.items],
            3: self.id,
        }
        if self.max_rate is not None:
            params[1] = self.max_rate
        if self.min_rate is not None:
            params[2] = self.min_rate
        return params


@attrs.frozen(slots=True, repr=False)
class SubSessionToken:
    """Sub-session authentication by OAuth 2.0 token: ``121({0: token})``.

    Examples:
        >>> SubSessionToken("eyJ...")
        SubSessionToken(token='***')
    """

    token: str

    def to_wire(self) -> CBORTag:
        return CBORTag(121, {0: self.token})

    def __repr__(self) -> str:
        return "SubSessionToken(token='***')"


@attrs.frozen(slots=True)
class SubSessionCertificate:
    """Sub-session authentication by DER certificate: ``122({0: der})``.

    Examples:
        >>> SubSessionCertificate(b"0...").to_wire().tag
        122
    """

    der: bytes

    def to_wire(self) -> CBORTag:
        return CBORTag(122, {0: self.der})


@attrs.frozen(slots=True, repr=False)
class SubSessionPassword:
    """Sub-session authentication by user and password: ``123({0: user, 1: password})``.

    Examples:
        >>> SubSessionPassword("op", "secret")
        SubSessionPassword(user='op', password='***')
    """

    user: str
    password: str

    def to_wire(self) -> CBORTag:
        return CBORTag(123, {0: self.user, 1: self.password})

    def __repr__(self) -> str:
        return f"SubSessionPassword(user={self.user!r}, password='***')"


SubSessionAuth = SubSessionToken | SubSessionCertificate | SubSessionPassword
"""The three kinds of sub-session authentication."""
