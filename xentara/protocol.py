"""The sans-I/O Xentara core: packets, commands, correlation by message id, subscriptions.

Every WebSocket message is a CBOR array of packets. Requests
``[0, message_id, opcode, {params}]`` go out; success ``[1, id, item]`` and error
``[2, id, {0: code, 1: text}]`` responses are matched to their request **by
message id**, never by order; events ``[8, type, payload]`` become typed events.

A command may carry several requests ([`BatchCommand`][iotws.xentara.BatchCommand]): they go out in one
message and the command completes when every answer is in. On every connection
the core sends the Client Hello first, waits for its answer, then re-subscribes
every live subscription with its own id, before user commands are released.

The core remembers the primary key of every element a lookup answered (and those
the client gives it, [`XentaraCore.learn_path`][iotws.xentara.XentaraCore.learn_path]), and puts it on the data-change
events of that element ([`path`][iotws.xentara.DataChange.path]).

Examples:
    >>> core = XentaraCore()
    >>> hello = core.on_connect()[0]
    >>> loads(hello)
    [[0, 1, 14, {0: 1, 1: 1}]]
    >>> core.receive(dumps([[1, 1, {0: 1}]])), core.handshake_complete()
    ([], True)
    >>> sub = core.submit(GetStageCommand())
    >>> loads(sub.frames[0])
    [[0, 2, 8]]
    >>> core.receive(dumps([[1, 2, 2]]))
    [Reply(token=1, value=<Stage.OPERATIONAL: 2>, error=None)]
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Final, TypeAlias, TypeVar

import attrs

from iotws.commands import Command
from iotws.errors import HandshakeError, IotwsError, ProtocolError, UsageError, excerpt
from iotws.events import LinkEvent, ProtocolViolation
from iotws.options import BasicAuth, BearerAuth
from iotws.sansio import Frame, ProtocolCore, Reply, Submission
from iotws.xentara.cbor import EncodedFloat, _make_uuid, _uuid_from_bytes, dumps, loads
from iotws.xentara.models import (
    _ATTRIBUTE_BY_INT,
    _NO_SUBSCRIPTIONS,
    NIL_UUID,
    AccessRights,
    Attribute,
    AttributeId,
    BrowseEntry,
    DataChange,
    Element,
    ElementCategory,
    Failure,
    MetaData,
    MetaDataId,
    Opcode,
    ReadResult,
    ServerInfoId,
    ServerInformation,
    Stage,
    SubscriptionInfo,
    SubscriptionLost,
    SubSessionAuth,
    Timestamp,
    UnknownEvent,
    UnknownPacket,
    UnmatchedError,
    attribute_to_wire,
    element_uuid,
    enum_or_int,
    value_to_wire,
)

__all__ = [
    "BatchCommand",
    "BrowseCommand",
    "CheckAccessCommand",
    "ClientHelloCommand",
    "CloseSubSessionCommand",
    "CreateSubSessionCommand",
    "Event",
    "GetStageCommand",
    "LookupCommand",
    "MetaDataCommand",
    "ReadCommand",
    "Request",
    "ServerInformationCommand",
    "ShutdownCommand",
    "SubscribeCommand",
    "SuspendCommand",
    "UnsubscribeCommand",
    "WriteCommand",
    "XentaraCommand",
    "XentaraCore",
    "auth_option",
    "decode_message",
    "element_list",
    "encode_message",
    "error_packet",
    "event_packet",
    "request_packet",
    "subscribe_targets",
    "success_packet",
]

R = TypeVar("R")

PROTOCOL_VERSION = 1
"""The protocol version this client speaks."""
MAX_MESSAGE_ID = 2**31 - 1
"""Message ids stay below this (the reference: non-negative, below 2**31)."""

Event: TypeAlias = DataChange | SubscriptionLost | UnknownEvent | UnknownPacket | UnmatchedError | LinkEvent
"""Everything a Xentara client's ``events()`` yields: data changes, the packets and
errors no request waits for, lost subscriptions, and the shared link events
(``match`` over it is checked for exhaustiveness).
"""


def auth_option(
    user: str | None = None, password: str | None = None, token: str | None = None
) -> BasicAuth | BearerAuth | None:
    """The ``auth`` option of a client's ``user``/``password`` (Basic) or ``token`` (Bearer).

    Examples:
        >>> auth_option(user="op", password="pw"), auth_option(token="abc"), auth_option()
        (BasicAuth(username='op', password='***'), BearerAuth(token='***'), None)
        >>> auth_option(user="op", token="abc")
        Traceback (most recent call last):
        iotws.errors.UsageError: give either user/password or token, not both
    """
    if token is not None and user is not None:
        raise UsageError("give either user/password or token, not both")
    if user is not None:
        return BasicAuth(user, password or "")
    if password is not None:
        raise UsageError("a password needs a user (user=...)")
    return None if token is None else BearerAuth(token)


def element_list(refs: object, what: str) -> list[Any]:
    """A caller's elements as a list: a single element (a primary key included) is one element.

    ``what`` names the method in the [`UsageError`][iotws.UsageError] for no element
    or something that is not a collection.

    Examples:
        >>> element_list("Group 1.Setpoint", "read_many")
        ['Group 1.Setpoint']
        >>> element_list([NIL_UUID, "Plant"], "read_many")
        [UUID('00000000-0000-0000-0000-000000000000'), 'Plant']
        >>> element_list([], "subscribe")
        Traceback (most recent call last):
        iotws.errors.UsageError: subscribe: give at least one element
    """
    if isinstance(refs, (str, uuid.UUID, Element, BrowseEntry)):
        return [refs]
    if not isinstance(refs, Iterable):
        raise UsageError(f"{what}: expected elements, got {excerpt(refs)}")
    found = list(refs)
    if not found:
        raise UsageError(f"{what}: give at least one element")
    return found


def subscribe_targets(
    targets: object, attributes: Iterable[AttributeId], what: str = "subscribe"
) -> list[tuple[Any, tuple[AttributeId, ...]]]:
    """A caller's subscribe targets as ``(element, attributes)`` pairs.

    An element alone takes ``attributes``; a pair keeps its own. The elements are
    not checked here (primary keys are looked up later); the shape is: anything but
    an element or a two-item ``(element, attributes)`` tuple is a
    [`UsageError`][iotws.UsageError] naming ``what``.

    Examples:
        >>> subscribe_targets(["Plant", (NIL_UUID, [Attribute.QUALITY])], [Attribute.VALUE])
        [('Plant', (<Attribute.VALUE: 11>,)), (UUID('00000000-0000-0000-0000-000000000000'), (<Attribute.QUALITY: 9>,))]
        >>> subscribe_targets([("Plant",)], [Attribute.VALUE])
        Traceback (most recent call last):
        iotws.errors.UsageError: subscribe: a target is an element or an (element, attributes) pair, got ('Plant',)
    """
    default = tuple(attributes)
    pairs: list[tuple[Any, tuple[AttributeId, ...]]] = []
    for target in element_list(targets, what):
        if not isinstance(target, tuple):
            pairs.append((target, default))
            continue
        if len(target) != 2 or isinstance(target[1], (str, bytes)) or not isinstance(target[1], Iterable):
            raise UsageError(f"{what}: a target is an element or an (element, attributes) pair, got {excerpt(target)}")
        pairs.append((target[0], tuple(target[1])))
    return pairs


# -- packets --------------------------------------------------------------------


def request_packet(message_id: int, opcode: int, params: Any = None) -> list[Any]:
    """``[0, id, opcode]`` or ``[0, id, opcode, params]``.

    Examples:
        >>> request_packet(66, Opcode.GET_STAGE)
        [0, 66, 8]
    """
    if params is None:
        return [0, message_id, int(opcode)]
    return [0, message_id, int(opcode), params]


def success_packet(message_id: int, item: Any = None, *, has_item: bool = True) -> list[Any]:
    """``[1, id, item]`` (or ``[1, id]`` when there is no item).

    Examples:
        >>> success_packet(66, 2), success_packet(5, has_item=False)
        ([1, 66, 2], [1, 5])
    """
    return [1, message_id, item] if has_item else [1, message_id]


def error_packet(message_id: int, code: int, message: str | None = None) -> list[Any]:
    """``[2, id, {0: code, 1: text}]``.

    Examples:
        >>> error_packet(67, -32602, "invalid meta data identifier")
        [2, 67, {0: -32602, 1: 'invalid meta data identifier'}]
    """
    body: dict[int, Any] = {0: code}
    if message is not None:
        body[1] = message
    return [2, message_id, body]


def event_packet(payload: Any, event_type: int = 0) -> list[Any]:
    """``[8, event_type, payload]``.

    Examples:
        >>> event_packet({0: 1}, 1)
        [8, 1, {0: 1}]
    """
    return [8, event_type, payload]


def encode_message(packets: Sequence[Any]) -> bytes:
    """One WebSocket message: the CBOR outer array of ``packets``.

    Examples:
        >>> encode_message([request_packet(66, 8)]).hex()
        '818300184208'
    """
    return dumps(list(packets))


def decode_message(data: Frame) -> list[Any]:
    """The packets of one message (ProtocolError for text frames or a non-array).

    Examples:
        >>> decode_message(bytes.fromhex("818300184208"))
        [[0, 66, 8]]
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ProtocolError("Xentara messages are binary CBOR, got a text frame", frame=data)
    packets = loads(data)
    if type(packets) is not list:
        raise ProtocolError("a message must be an array of packets", frame=data)
    return packets


@attrs.frozen(slots=True)
class Request:
    """A parsed request packet (what a server sees).

    Examples:
        >>> Request.from_wire([0, 65, 3, {0: "Group 1.Data Point 1"}]).opcode
        <Opcode.LOOKUP: 3>
    """

    message_id: int
    opcode: Opcode | int
    params: Any = None

    @classmethod
    def from_wire(cls, packet: Any) -> Request:
        """Parse; a malformed header is a ProtocolError (the server answers -32700)."""
        if (
            type(packet) is not list
            or not 3 <= len(packet) <= 4
            or packet[0] != 0
            or type(packet[1]) is not int
            or type(packet[2]) is not int
        ):
            raise ProtocolError(f"not a request packet: {excerpt(packet)}")
        return cls(packet[1], enum_or_int(Opcode, packet[2]), packet[3] if len(packet) == 4 else None)

    def to_wire(self) -> list[Any]:
        return request_packet(self.message_id, self.opcode, self.params)


# -- commands -------------------------------------------------------------------


class XentaraCommand(Command[R]):
    """A Xentara command: one or more requests, and how to read their answers.

    Subclasses set [`opcode`][iotws.xentara.XentaraCommand.opcode], and implement
    [`params`][iotws.xentara.XentaraCommand.params] and [`decode`][iotws.xentara.XentaraCommand.decode].
    Arguments are checked when the command is built, before anything is sent.

    Examples:
        >>> LookupCommand("Group 1.Data Point 1").requests()
        [(<Opcode.LOOKUP: 3>, {0: 'Group 1.Data Point 1'})]
    """

    opcode: ClassVar[Opcode]
    touches_subscriptions: bool = False
    """Whether the core must update its subscription registry for this command."""

    def params(self) -> Any:
        """The request's parameter map (``None``: no parameter element)."""
        return None

    def requests(self) -> list[tuple[int, Any]]:
        """``(opcode, params)`` of each request this command sends, in order."""
        return [(self.opcode, self.params())]

    def decode(self, payload: Any) -> R:
        """The result from the success item (``None`` when the response has none)."""
        return payload  # type: ignore[no-any-return]

    def complete(self, outcomes: list[Any]) -> R:
        """The result from every request's outcome (an item, or an exception to raise)."""
        outcome = outcomes[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return self.decode(outcome)

    def encode(self, token: int | None) -> list[Frame]:
        """The message, using ``token``, ``token + 1``... as message ids (the core picks its own)."""
        first = token or 0
        return [encode_message([request_packet(first + i, op, p) for i, (op, p) in enumerate(self.requests())])]

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params()!r})"


def _uuid(value: Any, what: str) -> uuid.UUID:
    if not isinstance(value, uuid.UUID):
        raise ProtocolError(f"{what}: expected a UUID, got {excerpt(value)}")
    return value


def _attributes(attributes: Iterable[AttributeId]) -> list[int | uuid.UUID]:
    found = [attribute_to_wire(a) for a in attributes]
    if not found:
        raise UsageError("give at least one attribute")
    return found


def _optional_uuid(value: Any, what: str) -> uuid.UUID | None:
    if value is None:
        return None
    if not isinstance(value, uuid.UUID):
        raise UsageError(f"{what} must be a UUID, got {excerpt(value)}")
    return value


def _required_uuid(value: Any, what: str, *, nil: bool = True) -> uuid.UUID:
    """A caller's id that must be given: a UUID (not ``None``; not the nil UUID unless ``nil``)."""
    if not isinstance(value, uuid.UUID) or (not nil and value == NIL_UUID):
        raise UsageError(f"{what} must be a UUID{'' if nil else ' (not nil)'}, got {excerpt(value)}")
    return value


def _ids(values: Iterable[Any], what: str) -> list[int]:
    """A caller's list of numeric ids (enum members or ints >= 0), at least one."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise UsageError(f"{what} must be a list of ids, got {excerpt(values)}")
    found: list[int] = []
    for value in values:
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise UsageError(f"{what}: not an id: {excerpt(value)} (use the enum, or an int >= 0)")
        found.append(int(value))
    if not found:
        raise UsageError(f"give at least one of {what}")
    return found


def _rate(rate: Any) -> int | None:
    if rate is not None and (not isinstance(rate, int) or isinstance(rate, bool) or rate <= 0):
        raise UsageError(f"update rates are positive ints (ms), got {excerpt(rate)}")
    return rate


class ServerInformationCommand(XentaraCommand[ServerInformation]):
    """Opcode 0: server version, user name, model file path.

    Examples:
        >>> ServerInformationCommand().params()
        {0: [0, 1, 2]}
    """

    opcode: ClassVar[Opcode] = Opcode.SERVER_INFORMATION

    def __init__(self, ids: Iterable[ServerInfoId | int] = tuple(ServerInfoId)) -> None:
        self.ids: list[int] = _ids(ids, "server information ids")

    def params(self) -> Any:
        return {0: self.ids}

    def decode(self, payload: Any) -> ServerInformation:
        return ServerInformation.from_wire(payload)


class BrowseCommand(XentaraCommand[list[BrowseEntry]]):
    """Opcode 1: the descendants of an element (``None``: the whole model).

    Examples:
        >>> BrowseCommand(depth=1).params()
        {0: UUID('00000000-0000-0000-0000-000000000000'), 1: 1}
    """

    opcode: ClassVar[Opcode] = Opcode.BROWSE

    def __init__(
        self,
        element: Any = None,
        depth: int | None = None,
        categories: Iterable[ElementCategory | int] | None = None,
    ) -> None:
        self.element: uuid.UUID = NIL_UUID if element is None else element_uuid(element)
        if depth is not None and (not isinstance(depth, int) or isinstance(depth, bool) or depth < 0):
            raise UsageError(f"depth must be an int >= 0, got {excerpt(depth)}")
        self.depth: int | None = depth
        self.categories: list[int] | None = (
            None if categories is None else _ids(categories, "categories (None: every category)")
        )

    def params(self) -> Any:
        params: dict[int, Any] = {0: self.element}
        if self.depth is not None:
            params[1] = self.depth
        if self.categories is not None:
            params[2] = self.categories
        return params

    def decode(self, payload: Any) -> list[BrowseEntry]:
        if type(payload) is not list:
            raise ProtocolError(f"browse: expected an array, got {excerpt(payload)}")
        return [BrowseEntry.from_wire(entry) for entry in payload]


class MetaDataCommand(XentaraCommand[MetaData]):
    """Opcode 2: an element's meta data.

    Examples:
        >>> MetaDataCommand(NIL_UUID, [MetaDataId.PRIMARY_KEY]).ids
        [0]
    """

    opcode: ClassVar[Opcode] = Opcode.META_DATA

    def __init__(self, element: Any, ids: Iterable[MetaDataId | int] = tuple(MetaDataId)) -> None:
        self.element: uuid.UUID = element_uuid(element)
        self.ids: list[int] = _ids(ids, "meta data ids")

    def params(self) -> Any:
        return {0: self.element, 1: self.ids}

    def decode(self, payload: Any) -> MetaData:
        return MetaData.from_wire(payload)


class LookupCommand(XentaraCommand[uuid.UUID]):
    """Opcode 3: the UUID of the element with a primary key (dotted model path).

    Examples:
        >>> LookupCommand("").params()
        Traceback (most recent call last):
        iotws.errors.UsageError: lookup needs a non-empty primary key, got ''
    """

    opcode: ClassVar[Opcode] = Opcode.LOOKUP

    def __init__(self, primary_key: str) -> None:
        if not isinstance(primary_key, str) or not primary_key:
            raise UsageError(f"lookup needs a non-empty primary key, got {primary_key!r}")
        self.primary_key: str = primary_key

    def params(self) -> Any:
        return {0: self.primary_key}

    def decode(self, payload: Any) -> uuid.UUID:
        return _uuid(payload, "lookup")


class ReadCommand(XentaraCommand[ReadResult]):
    """Opcode 4: read attributes of an element; each attribute is a value or a Failure.

    Examples:
        >>> ReadCommand(NIL_UUID, [Attribute.VALUE, Attribute.QUALITY]).attributes
        [11, 9]
    """

    opcode: ClassVar[Opcode] = Opcode.READ

    def __init__(self, element: Any, attributes: Iterable[AttributeId] = (Attribute.VALUE,)) -> None:
        self.element: uuid.UUID = element_uuid(element)
        self.attributes: list[int | uuid.UUID] = _attributes(attributes)

    def params(self) -> Any:
        return {0: self.element, 1: self.attributes}

    def decode(self, payload: Any) -> ReadResult:
        return ReadResult.from_wire(self.element, payload)


class WriteCommand(XentaraCommand[None]):
    """Opcode 5: write one attribute (optionally checked against a sub-session).

    A float value goes out in the shortest width that holds it exactly, as the vendor's client
    sends it (21.5 as half precision ``f94d60``, 0.1 as a double).

    Examples:
        >>> WriteCommand(NIL_UUID, Attribute.VALUE, 21.5).params()
        {0: UUID('00000000-0000-0000-0000-000000000000'), 1: 11, 2: EncodedFloat(21.5)}
        >>> WriteCommand(NIL_UUID, Attribute.VALUE, 21.5).encode(7)[0].hex()[-8:]
        '02f94d60'
    """

    opcode: ClassVar[Opcode] = Opcode.WRITE

    def __init__(self, element: Any, attribute: AttributeId, value: Any, sub_session: uuid.UUID | None = None) -> None:
        self.element: uuid.UUID = element_uuid(element)
        self.attribute: int | uuid.UUID = attribute_to_wire(attribute)
        self.value: Any = value_to_wire(value)
        self.sub_session: uuid.UUID | None = _optional_uuid(sub_session, "sub_session")
        self._wire_value = EncodedFloat(self.value) if isinstance(self.value, float) else self.value

    def params(self) -> Any:
        params: dict[int, Any] = {0: self.element, 1: self.attribute, 2: self._wire_value}
        if self.sub_session is not None:
            params[3] = self.sub_session
        return params

    def decode(self, payload: Any) -> None:
        return None


class SubscribeCommand(XentaraCommand[SubscriptionInfo]):
    """Opcode 6: subscribe; the id is chosen by the client and always sent (key 3).

    Examples:
        >>> info = SubscriptionInfo(NIL_UUID, ((NIL_UUID, (Attribute.VALUE,)),), min_rate=100)
        >>> SubscribeCommand(info).params() == {0: [{0: NIL_UUID, 1: [11]}], 3: NIL_UUID, 2: 100}
        True
    """

    opcode: ClassVar[Opcode] = Opcode.SUBSCRIBE
    touches_subscriptions: bool = True

    def __init__(self, info: SubscriptionInfo) -> None:
        if not info.items:
            raise UsageError("subscribe to at least one element")
        for element, attributes in info.items:
            element_uuid(element)
            _attributes(attributes)
        _rate(info.max_rate)
        _rate(info.min_rate)
        _required_uuid(info.id, "the subscription id")
        self.info: SubscriptionInfo = info

    def params(self) -> Any:
        return self.info.to_wire()

    def decode(self, payload: Any) -> SubscriptionInfo:
        if payload is None or payload == self.info.id:
            return self.info
        return attrs.evolve(self.info, id=_uuid(payload, "subscribe"))


class UnsubscribeCommand(XentaraCommand[None]):
    """Opcode 7: end a subscription.

    Examples:
        >>> UnsubscribeCommand(NIL_UUID).params()
        {0: UUID('00000000-0000-0000-0000-000000000000')}
        >>> UnsubscribeCommand(None)
        Traceback (most recent call last):
        iotws.errors.UsageError: unsubscribe: the subscription id must be a UUID, got None
    """

    opcode: ClassVar[Opcode] = Opcode.UNSUBSCRIBE
    touches_subscriptions: bool = True

    def __init__(self, subscription: uuid.UUID) -> None:
        self.subscription: uuid.UUID = _required_uuid(subscription, "unsubscribe: the subscription id")

    def params(self) -> Any:
        return {0: self.subscription}

    def decode(self, payload: Any) -> None:
        return None


class GetStageCommand(XentaraCommand[Stage]):
    """Opcode 8: the operational stage (no parameter element); ``Stage.UNKNOWN`` for an unlisted number.

    Examples:
        >>> GetStageCommand().requests()
        [(<Opcode.GET_STAGE: 8>, None)]
        >>> GetStageCommand().decode(2), GetStageCommand().decode(7)
        (<Stage.OPERATIONAL: 2>, <Stage.UNKNOWN: -1>)
    """

    opcode: ClassVar[Opcode] = Opcode.GET_STAGE

    def decode(self, payload: Any) -> Stage:
        return Stage.from_wire(payload)


class _StageChange(XentaraCommand[None]):
    """A stage change (suspend, shutdown), with the rights of a sub-session if given."""

    def __init__(self, sub_session: uuid.UUID | None = None) -> None:
        self.sub_session: uuid.UUID | None = _optional_uuid(sub_session, "sub_session")

    def params(self) -> Any:
        return None if self.sub_session is None else {0: self.sub_session}

    def decode(self, payload: Any) -> None:
        return None


class SuspendCommand(_StageChange):
    """Opcode 10: suspend the runtime.

    Examples:
        >>> SuspendCommand().requests()
        [(<Opcode.SUSPEND: 10>, None)]
    """

    opcode: ClassVar[Opcode] = Opcode.SUSPEND


class ShutdownCommand(_StageChange):
    """Opcode 11: shut the runtime down.

    Examples:
        >>> ShutdownCommand(NIL_UUID).params()
        {0: UUID('00000000-0000-0000-0000-000000000000')}
    """

    opcode: ClassVar[Opcode] = Opcode.SHUTDOWN


class CreateSubSessionCommand(XentaraCommand[uuid.UUID]):
    """Opcode 12: create a sub-session by token, certificate or user/password.

    Examples:
        >>> from iotws.xentara.models import SubSessionPassword
        >>> CreateSubSessionCommand(SubSessionPassword("op", "pw")).params()[0].tag
        123
    """

    opcode: ClassVar[Opcode] = Opcode.CREATE_SUB_SESSION

    def __init__(self, auth: SubSessionAuth, desired_id: uuid.UUID | None = None) -> None:
        if not hasattr(auth, "to_wire"):
            raise UsageError(f"not a sub-session authentication: {auth!r}")
        self.auth: SubSessionAuth = auth
        self.desired_id: uuid.UUID | None = _optional_uuid(desired_id, "desired_id")
        if self.desired_id == NIL_UUID:
            raise UsageError("the desired sub-session id must not be the nil UUID")

    def params(self) -> Any:
        params: dict[int, Any] = {0: self.auth.to_wire()}
        if self.desired_id is not None:
            params[1] = self.desired_id
        return params

    def decode(self, payload: Any) -> uuid.UUID:
        return _uuid(payload, "create sub-session")

    def __repr__(self) -> str:
        return f"CreateSubSessionCommand({self.auth!r})"


class CloseSubSessionCommand(XentaraCommand[None]):
    """Opcode 13: close a sub-session.

    Examples:
        >>> CloseSubSessionCommand(uuid.UUID(int=1)).opcode
        <Opcode.CLOSE_SUB_SESSION: 13>
        >>> CloseSubSessionCommand(None)
        Traceback (most recent call last):
        iotws.errors.UsageError: close_sub_session: the sub-session id must be a UUID (not nil), got None
    """

    opcode: ClassVar[Opcode] = Opcode.CLOSE_SUB_SESSION

    def __init__(self, sub_session: uuid.UUID) -> None:
        self.sub_session: uuid.UUID = _required_uuid(sub_session, "close_sub_session: the sub-session id", nil=False)

    def params(self) -> Any:
        return {0: self.sub_session}

    def decode(self, payload: Any) -> None:
        return None


class ClientHelloCommand(XentaraCommand[int]):
    """Opcode 14: the Client Hello (the core sends it itself; a second one fails with -32001).

    Examples:
        >>> ClientHelloCommand(0, 1).params()
        {0: 0, 1: 1}
    """

    opcode: ClassVar[Opcode] = Opcode.CLIENT_HELLO

    def __init__(self, min_version: int = PROTOCOL_VERSION, max_version: int = PROTOCOL_VERSION) -> None:
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (min_version, max_version)):
            raise UsageError(f"protocol versions are ints, got {excerpt(min_version)}, {excerpt(max_version)}")
        if not 0 <= min_version <= max_version:
            raise UsageError(f"need 0 <= min_version <= max_version, got {min_version}, {max_version}")
        self.min_version: int = min_version
        self.max_version: int = max_version

    def params(self) -> Any:
        return {0: self.min_version, 1: self.max_version}

    def decode(self, payload: Any) -> int:
        version = payload.get(0) if isinstance(payload, dict) else None
        if type(version) is not int:
            raise ProtocolError(f"client hello: expected {{0: version}}, got {excerpt(payload)}")
        return version


class CheckAccessCommand(XentaraCommand[AccessRights]):
    """Opcode 15: a sub-session's read and write access.

    Examples:
        >>> CheckAccessCommand(uuid.UUID(int=1)).params()
        {0: UUID('00000000-0000-0000-0000-000000000001')}
    """

    opcode: ClassVar[Opcode] = Opcode.CHECK_ACCESS

    def __init__(self, sub_session: uuid.UUID) -> None:
        checked = _optional_uuid(sub_session, "sub_session")
        if checked is None or checked == NIL_UUID:
            raise UsageError("check_access needs a sub-session id (not nil)")
        self.sub_session: uuid.UUID = checked

    def params(self) -> Any:
        return {0: self.sub_session}

    def decode(self, payload: Any) -> AccessRights:
        return AccessRights.from_wire(payload)


class BatchCommand(XentaraCommand[list[object]]):
    """Several commands in one message; the result lists each one's result or exception.

    Examples:
        >>> batch = BatchCommand([LookupCommand("Group 1.Data Point 1"), GetStageCommand()])
        >>> loads(batch.encode(65)[0])
        [[0, 65, 3, {0: 'Group 1.Data Point 1'}], [0, 66, 8]]
    """

    def __init__(self, commands: Iterable[XentaraCommand[Any]]) -> None:
        self.commands: list[XentaraCommand[Any]] = list(commands)
        if not self.commands:
            raise UsageError("a batch needs at least one command")
        for command in self.commands:
            if not isinstance(command, XentaraCommand):
                raise UsageError(f"not a Xentara command: {command!r}")
        self.touches_subscriptions: bool = any(c.touches_subscriptions for c in self.commands)
        self._sizes = [len(c.requests()) for c in self.commands]

    def requests(self) -> list[tuple[int, Any]]:
        return [request for command in self.commands for request in command.requests()]

    def complete(self, outcomes: list[Any]) -> list[object]:
        results: list[object] = []
        start = 0
        for command, size in zip(self.commands, self._sizes, strict=True):
            try:
                results.append(command.complete(outcomes[start : start + size]))
            except IotwsError as exc:
                results.append(exc)
            start += size
        return results

    def __repr__(self) -> str:
        return f"BatchCommand({self.commands!r})"


# -- the core -------------------------------------------------------------------


class XentaraCore(ProtocolCore):
    """The Xentara sans-I/O core (how it works: [`iotws.xentara.protocol`][]).

    ``subscriptions`` holds every live subscription (replayed after a reconnect);
    ``protocol_version`` is the version the server's hello answer named; ``paths``
    the primary key of each element this client has looked up or been told of
    ([`learn_path`][iotws.xentara.XentaraCore.learn_path]), which the data-change events of that element carry.

    Examples:
        >>> XentaraCore().subscriptions
        {}
    """

    name = "xentara"

    def __init__(self, min_version: int = PROTOCOL_VERSION, max_version: int = PROTOCOL_VERSION) -> None:
        super().__init__()
        self.hello: ClientHelloCommand = ClientHelloCommand(min_version, max_version)
        self.protocol_version: int | None = None
        self.subscriptions: dict[uuid.UUID, SubscriptionInfo] = {}
        self.paths: dict[uuid.UUID, str] = {}
        # element (its UUID's int: a cheap hash) -> attribute -> ids of the subscriptions covering it
        self._routes: dict[int, dict[Any, set[uuid.UUID]]] = {}
        self._next_id = 0
        # message id -> (token, index); token -> [outcomes, remaining, message ids]
        self._ids: dict[int, tuple[int, int]] = {}
        self._waiting: dict[int, list[Any]] = {}
        self._hello_id: int | None = None
        self._hello_done = False
        self._hello_error: Exception | None = None
        self._restoring: dict[int, SubscriptionInfo] = {}

    # -- paths -----------------------------------------------------------------
    def learn_path(self, element: uuid.UUID, primary_key: str) -> None:
        """Remember ``element``'s primary key: its data-change events carry it as ``path``.

        The core learns the answer of every lookup itself; the client adds the keys
        of the [`Element`][iotws.xentara.Element] and
        [`BrowseEntry`][iotws.xentara.BrowseEntry] arguments it is given.

        Examples:
            >>> core = XentaraCore()
            >>> core.learn_path(NIL_UUID, "Group 1")
            >>> core.paths
            {UUID('00000000-0000-0000-0000-000000000000'): 'Group 1'}
        """
        self.paths[element] = primary_key

    def _learn_lookups(self, command: XentaraCommand[Any], value: Any) -> None:
        if isinstance(command, LookupCommand):
            if isinstance(value, uuid.UUID):
                self.paths[value] = command.primary_key
        elif isinstance(command, BatchCommand):
            for child, result in zip(command.commands, value, strict=True):
                if isinstance(child, (LookupCommand, BatchCommand)):
                    self._learn_lookups(child, result)

    # -- ids -------------------------------------------------------------------
    def _message_id(self) -> int:
        self._next_id = self._next_id + 1 if self._next_id < MAX_MESSAGE_ID else 1
        return self._next_id

    # -- lifecycle -------------------------------------------------------------
    def on_connect(self) -> list[Frame]:
        """The Client Hello, alone in the first message of every connection."""
        self._hello_id = self._message_id()
        self._hello_done = False
        self._hello_error = None
        self._restoring.clear()
        return [encode_message([request_packet(self._hello_id, Opcode.CLIENT_HELLO, self.hello.params())])]

    def handshake_complete(self) -> bool:
        """True once the hello is answered and every subscription is restored."""
        if self._hello_error is not None:
            error, self._hello_error = self._hello_error, None
            raise HandshakeError(f"xentara: the Client Hello was refused: {error}") from error
        return self._hello_done and not self._restoring

    def connection_lost(self) -> None:
        super().connection_lost()
        self._ids.clear()
        self._waiting.clear()
        self._restoring.clear()
        self._hello_done = False
        self._hello_id = None

    # -- commands --------------------------------------------------------------
    def submit(self, command: Command[Any]) -> Submission:
        """Give every request its message id; all of a command's requests share one message."""
        make_requests = getattr(command, "requests", None)
        if make_requests is None:
            raise UsageError(f"not a Xentara command: {command!r}")
        requests = make_requests()
        token = self.pending.add(command)
        if len(requests) == 1:  # most commands: one request
            ((opcode, params),) = requests
            message_id = self._message_id()
            self._ids[message_id] = (token, 0)
            packets = [request_packet(message_id, opcode, params)]
            self._waiting[token] = [[None], 1, [message_id]]
        else:
            ids = []
            packets = []
            for index, (opcode, params) in enumerate(requests):
                message_id = self._message_id()
                self._ids[message_id] = (token, index)
                ids.append(message_id)
                packets.append(request_packet(message_id, opcode, params))
            self._waiting[token] = [[None] * len(requests), len(requests), ids]
        if command.touches_subscriptions:  # type: ignore[attr-defined]
            self._forget_unsubscribed(command)  # type: ignore[arg-type]
        return Submission(frames=[encode_message(packets)], token=token)

    def cancel(self, token: int) -> None:
        super().cancel(token)
        waiting = self._waiting.pop(token, None)
        if waiting is not None:
            for message_id in waiting[2]:
                self._ids.pop(message_id, None)

    # -- receiving -------------------------------------------------------------
    def receive(self, frame: Frame) -> list[object]:
        """Parse one message into events and replies (see [`iotws.xentara.protocol`][]).

        A message of data-change events alone, in the form servers write them, is read straight
        from its bytes (no cbor2 objects in between); it gives the same events as the general path.
        """
        if frame.__class__ is bytes and frame[1:3] not in _ONE_RESPONSE:
            events = _data_changes(frame, self._routes, self.paths)
            if events is not None:
                return events
        return self._receive_packets(frame)

    def _receive_packets(self, frame: Frame) -> list[object]:
        """The general path of [`receive`][iotws.xentara.XentaraCore.receive]: cbor2, then packet by packet."""
        packets = decode_message(frame)
        out: list[object] = []
        routes = self._routes
        paths = self.paths
        for packet in packets:
            if type(packet) is not list or len(packet) < 2 or type(packet[0]) is not int:
                out.append(ProtocolViolation(ProtocolError(f"not a packet: {excerpt(packet)}")))
                continue
            kind = packet[0]
            if kind == 8:
                event = self._event(packet)
                if (routes or paths) and type(event) is DataChange:
                    event = self._route(event)
                out.append(event)
            elif kind == 1 or kind == 2:
                self._response(packet, out)
            else:
                out.append(UnknownPacket(packet))
        return out

    def _event(self, packet: list[Any]) -> object:
        if len(packet) != 3:
            return ProtocolViolation(ProtocolError(f"event packet needs 3 fields: {excerpt(packet)}"))
        if packet[1] == 0 and type(packet[1]) is int:
            try:
                return DataChange.from_wire(packet[2])
            except ProtocolError as exc:
                return ProtocolViolation(exc)
        return UnknownEvent(packet[1], packet[2])

    def _route(self, event: DataChange) -> DataChange:
        """The event (fresh from the wire) with the subscriptions that cover it and its element's path."""
        _route_into(event, event.element, event.values, self._routes, self.paths)
        return event

    def _response(self, packet: list[Any], out: list[object]) -> None:
        message_id = packet[1]
        if type(message_id) is not int:
            out.append(ProtocolViolation(ProtocolError(f"response without a message id: {excerpt(packet)}")))
            return
        outcome: Any
        failure: Failure | None = None
        if packet[0] == 1:
            if len(packet) > 3:
                outcome = ProtocolError(f"success packet with extra fields: {excerpt(packet)}")
            else:
                outcome = packet[2] if len(packet) == 3 else None
        else:
            try:
                if len(packet) != 3:
                    raise ProtocolError(f"error packet needs 3 fields: {excerpt(packet)}")
                failure = Failure.from_wire(packet[2])
                outcome = failure.error
            except ProtocolError as exc:
                outcome = exc
        entry = self._ids.pop(message_id, None)
        if entry is None:
            if message_id == self._hello_id:
                self._hello_answer(outcome)
            elif message_id in self._restoring:
                self._restored(self._restoring.pop(message_id), outcome, out)
            elif failure is not None:
                out.append(UnmatchedError(message_id, failure))
            elif isinstance(outcome, ProtocolError):
                out.append(ProtocolViolation(outcome))
            return
        token, index = entry
        waiting = self._waiting.get(token)
        if waiting is None:
            return
        waiting[0][index] = outcome
        waiting[1] -= 1
        if waiting[1]:
            return
        del self._waiting[token]
        command = self.pending.get(token)
        self.pending.discard(token)
        try:
            value = command.complete(waiting[0])
        except IotwsError as exc:
            out.append(Reply(token, error=exc))
            return
        except Exception as exc:  # a reply shaped so oddly that decoding tripped
            out.append(Reply(token, error=ProtocolError(f"cannot decode the reply: {excerpt(exc)}", frame=packet)))
            return
        if command.touches_subscriptions:
            self._remember_subscriptions(command, value)
        if isinstance(command, (LookupCommand, BatchCommand)):
            self._learn_lookups(command, value)
        out.append(Reply(token, value=value))

    # -- hello and subscriptions -------------------------------------------------
    def _hello_answer(self, outcome: Any) -> None:
        self._hello_id = None
        try:
            self.protocol_version = self.hello.complete([outcome])
        except IotwsError as exc:
            self._hello_error = exc
            return
        self._hello_done = True
        if self.subscriptions:
            packets = []
            for info in self.subscriptions.values():
                message_id = self._message_id()
                self._restoring[message_id] = info
                packets.append(request_packet(message_id, Opcode.SUBSCRIBE, info.to_wire()))
            self.send_later(encode_message(packets))

    def _restored(self, info: SubscriptionInfo, outcome: Any, out: list[object]) -> None:
        if isinstance(outcome, Exception):
            self.subscriptions.pop(info.id, None)
            self._rebuild_routes()
            out.append(SubscriptionLost(info.id, outcome))

    def _remember_subscriptions(self, command: XentaraCommand[Any], value: Any) -> None:
        if isinstance(command, SubscribeCommand) and isinstance(value, SubscriptionInfo):
            self.subscriptions[value.id] = value
            self._rebuild_routes()
        elif isinstance(command, BatchCommand):
            for child, result in zip(command.commands, value, strict=True):
                self._remember_subscriptions(child, result)

    def _forget_unsubscribed(self, command: XentaraCommand[Any]) -> None:
        if isinstance(command, UnsubscribeCommand):
            if self.subscriptions.pop(command.subscription, None) is not None:
                self._rebuild_routes()
        elif isinstance(command, BatchCommand):
            for child in command.commands:
                self._forget_unsubscribed(child)

    def _rebuild_routes(self) -> None:
        routes: dict[int, dict[Any, set[uuid.UUID]]] = {}
        for info in self.subscriptions.values():
            for element, attributes in info.items:
                by_attribute = routes.setdefault(element.int, {})
                for attr in attributes:
                    by_attribute.setdefault(attr, set()).add(info.id)
        self._routes = routes


# -- the fast path of data-change messages ------------------------------------------
#
# Servers stream data changes as messages of event packets alone, each in one form:
#   83 08 00 a3                        [8, 0, {  (an event packet, a map of 3 entries)
#   00 d9 03e9 a1 04 c4 82 <e> <m>       0: 1001({4: 4([e, m])}),  e in -9/-6/-3
#   01 d8 25 50 <16 bytes>               1: 37(uuid),
#   02 a<n> (<attr> d8 79 <value>)*      2: {attr: 121(value), ...}}]
# _data_changes reads exactly that form straight from the bytes, and gives up (None) at
# the first byte that is anything else: a reply, another event type, an attribute
# error (122), a value that is not a scalar, an odd time form, a truncated message.
# The general path then decodes the message (with the same result for what the fast
# path reads: tests/xentara/test_fast_path.py checks that on generated messages).

_U16 = struct.Struct(">H").unpack_from
_U32 = struct.Struct(">I").unpack_from
_U64 = struct.Struct(">Q").unpack_from
_F16 = struct.Struct(">e").unpack_from
_F32 = struct.Struct(">f").unpack_from
_F64 = struct.Struct(">d").unpack_from
_EVENT_HEAD = b"\x83\x08\x00\xa3\x00\xd9\x03\xe9\xa1\x04\xc4\x82"  # [8, 0, {0: 1001({4: 4([
_STAMP_HEAD = _EVENT_HEAD[5:]  # 1001({4: 4([
_ELEMENT_HEAD = b"\x01\xd8\x25\x50"  # 1: 37(16 bytes
_UUID_HEAD = b"\x25\x50"  # (after d8) tag 37, 16 bytes
_EXPONENT_SCALE = {0x28: 1, 0x25: 1000, 0x22: 1_000_000}  # -9, -6, -3
_SIMPLE_VALUES: dict[int, bool | None] = {0xF4: False, 0xF5: True, 0xF6: None}
_new = object.__new__
_set = object.__setattr__
_from_bytes = int.from_bytes
_UNSAFE = uuid.SafeUUID.unknown
# the fast path builds UUIDs as cbor.py does, and only where that gives UUID(bytes=...)
_FAST_UUID = _make_uuid is _uuid_from_bytes


class _GiveUp(Exception):
    """The message is not in the fast path's form: decode it the general way."""


def _argument(data: bytes, i: int, info: int) -> tuple[int, int]:
    """The argument of a CBOR head with additional information ``info``, and the index after it."""
    if info < 24:
        return info, i
    if info == 24:
        return data[i], i + 1
    if info == 25:
        return _U16(data, i)[0], i + 2
    if info == 26:
        return _U32(data, i)[0], i + 4
    if info == 27:
        return _U64(data, i)[0], i + 8
    raise _GiveUp  # indefinite length or reserved


def _stamp(data: bytes, i: int) -> tuple[Timestamp, int]:
    """The time stamp whose exponent is at ``data[i]`` (after ``1001({4: 4([``)."""
    scale = _EXPONENT_SCALE[data[i]]
    head = data[i + 1]
    if head == 0x1B:  # nanoseconds since 1970: 8 bytes
        mantissa = _U64(data, i + 2)[0]
        i += 10
    elif head < 0x20:
        mantissa, i = _argument(data, i + 2, head)
    elif head < 0x40:
        mantissa, i = _argument(data, i + 2, head - 0x20)
        mantissa = -1 - mantissa
    else:
        raise _GiveUp
    stamp = _new(Timestamp)
    _set(stamp, "ns", mantissa * scale)
    return stamp, i


def _make_fast_uuid(data: bytes, i: int) -> uuid.UUID:
    raw = data[i : i + 16]
    if len(raw) != 16:
        raise _GiveUp
    value = _new(uuid.UUID)
    _set(value, "int", _from_bytes(raw))
    _set(value, "is_safe", _UNSAFE)
    return value


def _route_into(
    event: DataChange,
    element: uuid.UUID,
    values: dict[AttributeId, Any],
    routes: dict[int, dict[Any, set[uuid.UUID]]],
    paths: dict[uuid.UUID, str],
) -> None:
    """Put the subscriptions covering a fresh event and its element's path on it."""
    by_attribute = routes.get(element.int) if routes else None
    if by_attribute:
        found: set[uuid.UUID] | None = None
        for attr in values:
            subs = by_attribute.get(attr)
            if subs:
                found = set(subs) if found is None else found | subs
        if found:
            _set(event, "subscriptions", frozenset(found))
    if paths:
        path = paths.get(element)
        if path is not None:
            _set(event, "path", path)


#: The second and third bytes of a message holding one response packet (``[1, id, item]``,
#: ``[1, id]`` or ``[2, id, error]``): such a message skips the data-change fast path.
_ONE_RESPONSE: Final = frozenset({b"\x83\x01", b"\x82\x01", b"\x83\x02"})


def _data_changes(
    data: bytes,
    routes: dict[int, dict[Any, set[uuid.UUID]]],
    paths: dict[uuid.UUID, str],
) -> list[object] | None:
    """The events of a message of data changes in the servers' form, or None (see above)."""
    try:
        return _read_data_changes(data, routes, paths)
    except (_GiveUp, IndexError, KeyError, struct.error, UnicodeDecodeError):
        return None


def _read_data_changes(
    data: bytes,
    routes: dict[int, dict[Any, set[uuid.UUID]]],
    paths: dict[uuid.UUID, str],
) -> list[object] | None:
    head = data[0]
    if not 0x81 <= head <= 0x98 or not _FAST_UUID:
        return None
    count, i = _argument(data, 1, head - 0x80)
    startswith = data.startswith
    end = len(data)
    by_int = _ATTRIBUTE_BY_INT
    out: list[object] = []
    for _ in range(count):
        if not startswith(_EVENT_HEAD, i):
            return None
        stamp, i = _stamp(data, i + 12)
        if not startswith(_ELEMENT_HEAD, i):
            return None
        element = _make_fast_uuid(data, i + 4)
        head = data[i + 21]
        if data[i + 20] != 2 or not 0xA0 <= head <= 0xB7:
            return None
        i += 22
        values: dict[AttributeId, Any] = {}
        for _ in range(head - 0xA0):
            key: Any = data[i]
            if key < 24:
                i += 1
            elif key == 24:
                key = data[i + 1]
                i += 2
            elif key == 0xD8 and startswith(_UUID_HEAD, i + 1):
                key = _make_fast_uuid(data, i + 3)
                i += 19
            else:
                return None
            if data[i] != 0xD8 or data[i + 1] != 0x79:  # 121(value); anything else: general path
                return None
            head = data[i + 2]
            i += 3
            value: Any
            if head < 0x18:
                value = head
            elif head == 0xFB:
                value = _F64(data, i)[0]
                i += 8
            elif head == 0xFA:
                value = _F32(data, i)[0]
                i += 4
            elif head == 0xF9:
                value = _F16(data, i)[0]
                i += 2
            elif head == 0xD9:
                if not startswith(_STAMP_HEAD, i - 1):
                    return None
                value, i = _stamp(data, i + 6)
            elif head < 0x20:
                value, i = _argument(data, i, head)
            elif head < 0x40:
                value, i = _argument(data, i, head - 0x20)
                value = -1 - value
            elif head < 0x80:  # a byte or text string
                size, i = _argument(data, i, head & 0x1F)
                stop = i + size
                if stop > end:
                    return None
                value = data[i:stop] if head < 0x60 else data[i:stop].decode("utf-8")
                i = stop
            elif head == 0xD8 and startswith(_UUID_HEAD, i):
                value = _make_fast_uuid(data, i + 2)
                i += 18
            elif head in _SIMPLE_VALUES:
                value = _SIMPLE_VALUES[head]
            else:
                return None
            values[by_int.get(key, key)] = value
        event = _new(DataChange)
        _set(event, "timestamp", stamp)
        _set(event, "element", element)
        _set(event, "values", values)
        _set(event, "subscriptions", _NO_SUBSCRIPTIONS)
        _set(event, "extra", {})
        _set(event, "path", None)
        if routes or paths:
            _route_into(event, element, values, routes, paths)
        out.append(event)
    return out
