"""Pure tests of the Xentara core: golden frames from the vendor document and the reference."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

import cbor2
import pytest
from cbor2 import CBORTag

from iotws.errors import HandshakeError, ProtocolError, UsageError
from iotws.events import ProtocolViolation
from iotws.sansio import Reply
from iotws.xentara import errors
from iotws.xentara.cbor import dumps, loads
from iotws.xentara.models import (
    NIL_UUID,
    AccessKind,
    Attribute,
    DataChange,
    ElementCategory,
    Failure,
    MetaData,
    Quality,
    ReadResult,
    Stage,
    SubscriptionInfo,
    SubscriptionLost,
    SubSessionCertificate,
    SubSessionPassword,
    SubSessionToken,
    Timestamp,
    UnknownEvent,
    UnknownPacket,
    UnmatchedError,
    ValueType,
)
from iotws.xentara.protocol import (
    BatchCommand,
    BrowseCommand,
    CheckAccessCommand,
    ClientHelloCommand,
    CloseSubSessionCommand,
    CreateSubSessionCommand,
    GetStageCommand,
    LookupCommand,
    MetaDataCommand,
    ReadCommand,
    Request,
    ServerInformationCommand,
    ShutdownCommand,
    SubscribeCommand,
    UnsubscribeCommand,
    WriteCommand,
    XentaraCore,
    decode_message,
)

ELEMENT = uuid.UUID("E3EE10714D884BA18E5D0F1E4CE25EE8")
ELEMENT_TAG = CBORTag(37, bytes.fromhex("E3EE10714D884BA18E5D0F1E4CE25EE8"))

# The vendor document's example, built independently of xentara's encoder.
VENDOR_REQUEST = cbor2.dumps(
    [
        [0, 65, 3, {0: "Group 1.Data Point 1"}],
        [0, 66, 8],
        [0, 67, 2, {0: ELEMENT_TAG, 1: [0, 83]}],
    ]
)
VENDOR_RESPONSE = cbor2.dumps(
    [
        [1, 65, ELEMENT_TAG],
        [1, 66, 2],
        [2, 67, {0: -32602, 1: "invalid meta data identifier"}],
    ]
)


def ready_core(next_id: int = 0) -> XentaraCore:
    core = XentaraCore()
    (hello,) = core.on_connect()
    [[_, hello_id, _, _]] = loads(hello)
    assert core.receive(dumps([[1, hello_id, {0: 1}]])) == []
    assert core.handshake_complete()
    core._next_id = next_id
    return core


def reply_of(items: list[object]) -> Reply:
    (reply,) = items
    assert isinstance(reply, Reply)
    return reply


# -- golden frames ----------------------------------------------------------------


def test_vendor_request_encodes_exactly() -> None:
    core = ready_core(next_id=64)
    batch = BatchCommand(
        [LookupCommand("Group 1.Data Point 1"), GetStageCommand(), MetaDataCommand(ELEMENT, [0, 83])]
    )
    submission = core.submit(batch)
    assert submission.frames == [VENDOR_REQUEST]
    assert batch.encode(65) == [VENDOR_REQUEST]


def test_vendor_response_decodes_exactly() -> None:
    core = ready_core(next_id=64)
    token = core.submit(
        BatchCommand([LookupCommand("Group 1.Data Point 1"), GetStageCommand(), MetaDataCommand(ELEMENT, [0, 83])])
    ).token
    reply = reply_of(core.receive(VENDOR_RESPONSE))
    assert reply.token == token and reply.error is None
    found, stage, error = reply.value  # type: ignore[misc]
    assert found == ELEMENT
    assert stage is Stage.OPERATIONAL
    assert isinstance(error, errors.InvalidParameter)
    assert (error.code, error.message) == (-32602, "invalid meta data identifier")
    assert len(core.pending) == 0


def test_vendor_request_parses_on_the_server_side() -> None:
    packets = decode_message(VENDOR_REQUEST)
    requests = [Request.from_wire(p) for p in packets]
    assert [r.message_id for r in requests] == [65, 66, 67]
    assert requests[2].params == {0: ELEMENT, 1: [0, 83]}
    assert dumps([r.to_wire() for r in requests]) == VENDOR_REQUEST


def test_get_stage_golden_bytes() -> None:
    assert GetStageCommand().encode(66) == [bytes.fromhex("818300184208")]


def test_uuid_is_tag_37() -> None:
    assert dumps(ELEMENT) == bytes.fromhex("d82550e3ee10714d884ba18e5d0f1e4ce25ee8")
    assert loads(dumps(ELEMENT)) == ELEMENT


# -- timestamps -------------------------------------------------------------------

NS = 1704107471111587983


@pytest.mark.parametrize(
    ("exponent", "mantissa", "expected"),
    [(-9, NS, NS), (-6, NS // 1000, NS // 1000 * 1000), (-3, NS // 10**6, NS // 10**6 * 10**6)],
)
def test_timestamp_1001_decimal_fraction(exponent: int, mantissa: int, expected: int) -> None:
    data = cbor2.dumps(CBORTag(1001, {4: CBORTag(4, [exponent, mantissa])}))
    assert loads(data) == Timestamp(expected)


def test_timestamp_vendor_example_bytes() -> None:
    wire = dumps(Timestamp(NS))
    assert wire == cbor2.dumps(CBORTag(1001, {4: CBORTag(4, [-9, NS])}))
    assert wire.hex().startswith("d903e9a104c482281b")  # 1001({4: 4([-9, uint64 ...])})


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1704107471, Timestamp(1704107471 * 10**9)),
        (1.5, Timestamp(1_500_000_000)),
        (float("inf"), Timestamp.MAX),
        (float("-inf"), Timestamp.MIN),
    ],
)
def test_timestamp_tag_1(value: float, expected: Timestamp) -> None:
    assert loads(cbor2.dumps(CBORTag(1, value))) == expected


def test_timestamp_1001_seconds_and_nanoseconds() -> None:
    assert loads(cbor2.dumps(CBORTag(1001, {1: 2, -9: 5}))) == Timestamp(2_000_000_005)


def test_odd_time_forms_stay_tags() -> None:
    odd = loads(cbor2.dumps(CBORTag(1001, {4: CBORTag(4, [-2, 5])})))
    assert isinstance(odd, CBORTag) and odd.tag == 1001
    nan = loads(cbor2.dumps(CBORTag(1, float("nan"))))
    assert isinstance(nan, CBORTag) and nan.tag == 1
    with pytest.raises(ProtocolError):
        Timestamp.from_wire(odd)


def test_timestamp_datetime_conversions() -> None:
    ts = Timestamp(NS)
    assert ts.to_datetime() == dt.datetime(2024, 1, 1, 11, 11, 11, 111587, tzinfo=dt.UTC)
    assert str(ts) == "2024-01-01T11:11:11.111587983Z"
    assert Timestamp.from_datetime(ts.to_datetime()) == Timestamp(NS - 983)
    assert Timestamp.MAX.to_datetime().year == 2262
    assert Timestamp(10**30).to_datetime().year == 9999
    with pytest.raises(UsageError):
        Timestamp.from_datetime(dt.datetime(2024, 1, 1))


# -- hello and correlation -----------------------------------------------------------


def test_hello_is_first_and_alone() -> None:
    core = XentaraCore()
    (hello,) = core.on_connect()
    assert loads(hello) == [[0, 1, 14, {0: 1, 1: 1}]]
    assert not core.handshake_complete()
    core.receive(dumps([[1, 1, {0: 1}]]))
    assert core.handshake_complete() and core.protocol_version == 1


def test_refused_hello_fails_the_handshake() -> None:
    core = XentaraCore()
    core.on_connect()
    core.receive(dumps([[2, 1, {0: -32001, 1: "duplicate client hello request"}]]))
    with pytest.raises(HandshakeError, match="duplicate"):
        core.handshake_complete()


def test_replies_matched_by_id_not_order() -> None:
    core = ready_core()
    first = core.submit(LookupCommand("a")).token
    second = core.submit(LookupCommand("b")).token
    other = uuid.UUID(int=2)
    items = core.receive(dumps([[1, 2, other], [1, 1, ELEMENT]]))
    assert items == [Reply(second, value=other), Reply(first, value=ELEMENT)]


def test_error_without_text_uses_client_text() -> None:
    core = ready_core()
    token = core.submit(WriteCommand(ELEMENT, Attribute.VALUE, 1.0)).token
    reply = reply_of(core.receive(dumps([[2, 1, {0: -32103}]])))
    assert reply.token == token
    assert isinstance(reply.error, errors.ReadOnly)
    assert reply.error.message == "value is read only"


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (-32700, errors.ParseError), (-32600, errors.InvalidRequest), (-32601, errors.MethodNotFound),
        (-32602, errors.InvalidParameter), (-32603, errors.InternalError),
        (-32000, errors.MissingClientHello), (-32001, errors.DuplicateClientHello),
        (-32100, errors.UnknownElement), (-32101, errors.MissingAttribute), (-32102, errors.AccessDenied),
        (-32103, errors.ReadOnly), (-32104, errors.WriteOnly), (-32105, errors.ValueOutOfRange),
        (-32106, errors.TypeMismatch), (-32107, errors.IllegalValue), (-32108, errors.ReadError),
        (-32109, errors.WriteError), (-32110, errors.UnknownSubscription), (-32111, errors.UnknownSession),
        (-32112, errors.InvalidStageChange), (-32050, errors.XentaraError),
    ],
)
def test_error_codes_map_to_classes(code: int, cls: type[errors.XentaraError]) -> None:
    error = errors.error_for(code, "server text")
    assert type(error) is cls and error.message == "server text" and error.code == code


def test_ambiguous_codes_keep_the_server_text() -> None:
    # the read page of the docs calls -32109 "Read Error": the text survives
    error = errors.error_for(-32109, "Read Error")
    assert isinstance(error, errors.WriteError) and "Read Error" in str(error)


def test_unknown_reply_ids_and_unmatched_errors() -> None:
    core = ready_core()
    assert core.receive(dumps([[1, 99, 5]])) == []
    items = core.receive(dumps([[2, 0, {0: -32700, 1: "payload not well formed"}]]))
    assert items == [UnmatchedError(0, Failure(-32700, "payload not well formed"))]


def test_cancelled_request_ignores_late_reply() -> None:
    core = ready_core()
    token = core.submit(GetStageCommand()).token
    assert token is not None
    core.cancel(token)
    assert core.receive(dumps([[1, 1, 2]])) == []


def test_malformed_reply_fails_only_its_command() -> None:
    core = ready_core()
    token = core.submit(LookupCommand("a")).token
    reply = reply_of(core.receive(dumps([[1, 1, "not a uuid"]])))
    assert reply.token == token and isinstance(reply.error, ProtocolError)


# -- results and events ------------------------------------------------------------


def test_read_with_one_bad_attribute() -> None:
    core = ready_core()
    core.submit(ReadCommand(ELEMENT, [Attribute.VALUE, Attribute.ERROR]))
    item = {11: CBORTag(121, 42.5), 12: CBORTag(122, {0: -32101, 1: "missing attribute"})}
    result = reply_of(core.receive(dumps([[1, 1, item]]))).value
    assert isinstance(result, ReadResult)
    assert result[Attribute.VALUE] == 42.5
    assert not result.ok and result.failures == {Attribute.ERROR: Failure(-32101, "missing attribute")}
    with pytest.raises(errors.MissingAttribute):
        result[Attribute.ERROR]


def test_data_change_events_in_one_message() -> None:
    core = ready_core()
    stamp = CBORTag(1001, {4: CBORTag(4, [-9, NS])})
    event = {0: stamp, 1: ELEMENT_TAG, 2: {9: CBORTag(121, 0), 11: CBORTag(121, 21.5), 7: CBORTag(121, stamp)}}
    failing = {0: stamp, 1: ELEMENT_TAG, 2: {11: CBORTag(122, {0: -32108, 1: "read error"})}, 5: "extra"}
    first, second = core.receive(cbor2.dumps([[8, 0, event], [8, 0, failing]]))
    assert isinstance(first, DataChange) and isinstance(second, DataChange)
    assert first.timestamp == Timestamp(NS) and first.element == ELEMENT
    assert first.value == 21.5 and first.quality is Quality.GOOD
    assert first.values[Attribute.CHANGE_TIME] == Timestamp(NS)
    assert second.values[Attribute.VALUE] == Failure(-32108, "read error") and second.extra == {5: "extra"}


def test_unknown_event_and_packet_types_surface() -> None:
    core = ready_core()
    items = core.receive(dumps([[8, 1, {0: 3}], [9, 1, 2]]))
    assert items == [UnknownEvent(1, {0: 3}), UnknownPacket([9, 1, 2])]


def test_malformed_packets_become_violations_and_core_keeps_working() -> None:
    core = ready_core()
    items = core.receive(dumps([5, [8, 0, {1: 2}], []]))
    assert all(isinstance(i, ProtocolViolation) for i in items) and len(items) == 3
    with pytest.raises(ProtocolError):
        core.receive(dumps({0: 1}))
    with pytest.raises(ProtocolError):
        core.receive("[]")
    with pytest.raises(ProtocolError):
        core.receive(b"\x9f")
    core.submit(GetStageCommand())
    assert reply_of(core.receive(dumps([[1, 1, 7]]))).value is Stage.UNKNOWN  # a stage the reference does not list
    core.submit(GetStageCommand())
    error = reply_of(core.receive(dumps([[1, 2, "2"]]))).error  # not a stage number at all
    assert isinstance(error, ProtocolError) and "get stage" in str(error)


# -- subscriptions -------------------------------------------------------------------


def subscription(sub_id: int = 1) -> SubscriptionInfo:
    return SubscriptionInfo(uuid.UUID(int=sub_id), ((ELEMENT, (Attribute.VALUE,)),), min_rate=100)


def test_subscribe_always_sends_desired_id_and_routes_events() -> None:
    core = ready_core()
    info = subscription()
    frames = core.submit(SubscribeCommand(info)).frames
    assert loads(frames[0]) == [[0, 1, 6, {0: [{0: ELEMENT, 1: [11]}], 3: info.id, 2: 100}]]
    assert reply_of(core.receive(dumps([[1, 1]]))).value == info  # the item is optional
    (event,) = core.receive(dumps([[8, 0, {0: Timestamp(1), 1: ELEMENT, 2: {11: CBORTag(121, 1)}}]]))
    assert isinstance(event, DataChange) and event.subscriptions == {info.id}
    core.submit(UnsubscribeCommand(info.id))
    assert core.subscriptions == {}


def test_reconnect_sends_hello_then_restores_subscriptions() -> None:
    core = ready_core()
    info, lost = subscription(1), subscription(2)
    core.submit(BatchCommand([SubscribeCommand(info), SubscribeCommand(lost)]))
    core.receive(dumps([[1, 1, info.id], [1, 2, lost.id]]))
    core.connection_lost()
    (hello,) = core.on_connect()
    [[_, hello_id, opcode, _]] = loads(hello)
    assert opcode == 14
    assert core.data_to_send() == []
    core.receive(dumps([[1, hello_id, {0: 1}]]))
    assert not core.handshake_complete()
    (replay,) = core.data_to_send()
    packets = loads(replay)
    assert [p[2] for p in packets] == [6, 6]
    assert [p[3][3] for p in packets] == [info.id, lost.id]
    items = core.receive(dumps([[1, packets[0][1], info.id], [2, packets[1][1], {0: -32100}]]))
    (gone,) = items
    assert isinstance(gone, SubscriptionLost) and gone.subscription == lost.id
    assert isinstance(gone.error, errors.UnknownElement)
    assert core.handshake_complete() and list(core.subscriptions) == [info.id]


# -- commands and models -------------------------------------------------------------


def test_sub_session_auth_forms() -> None:
    assert CreateSubSessionCommand(SubSessionToken("t")).params() == {0: CBORTag(121, {0: "t"})}
    assert CreateSubSessionCommand(SubSessionCertificate(b"\x30")).params() == {0: CBORTag(122, {0: b"\x30"})}
    desired = uuid.UUID(int=9)
    params = CreateSubSessionCommand(SubSessionPassword("u", "p"), desired).params()
    assert params == {0: CBORTag(123, {0: "u", 1: "p"}), 1: desired}
    assert "p'" not in repr(SubSessionPassword("u", "p"))
    with pytest.raises(UsageError):
        CheckAccessCommand(NIL_UUID)


def test_meta_data_and_browse_models() -> None:
    meta = MetaData.from_wire(
        {0: "Group 1.Data Point 1", 1: 2, 3: False, 2: [{0: "Value", 1: 11, 2: 2, 3: 10, 9: "x"}], 7: "new"}
    )
    assert meta.category is ElementCategory.DATA_POINT and meta.extra == {7: "new"}
    (attr,) = meta.attributes or ()
    assert (attr.id, attr.access, attr.data_type, attr.extra) == (
        Attribute.VALUE, AccessKind.READ_WRITE, ValueType.FLOAT64, {9: "x"},
    )
    assert MetaData.from_wire(meta.to_wire()) == meta
    entries = BrowseCommand().decode([{0: "Group 1", 1: ELEMENT, 2: 99}])
    assert entries[0].category == 99 and entries[0].element.uuid == ELEMENT


def test_caller_errors_raise_before_sending() -> None:
    with pytest.raises(UsageError):
        ReadCommand("Group 1", [Attribute.VALUE])
    with pytest.raises(UsageError):
        ReadCommand(ELEMENT, [])
    with pytest.raises(UsageError):
        WriteCommand(ELEMENT, Attribute.VALUE, [1, 2])
    with pytest.raises(UsageError):
        WriteCommand(ELEMENT, -1, 1)
    with pytest.raises(UsageError):
        BatchCommand([])
    with pytest.raises(UsageError):
        ShutdownCommand("x")  # type: ignore[arg-type]


def test_empty_and_missing_arguments_raise_before_sending() -> None:
    """R11: the other commands had the gap ``watch(u, attributes=[])`` and ``unsubscribe(None)`` had."""
    bad: list[Callable[[], object]] = [
        lambda: UnsubscribeCommand(None),  # type: ignore[arg-type]
        lambda: UnsubscribeCommand("x"),  # type: ignore[arg-type]
        lambda: CloseSubSessionCommand(None),  # type: ignore[arg-type]
        lambda: CloseSubSessionCommand(NIL_UUID),
        lambda: SubscribeCommand(SubscriptionInfo(uuid.uuid4(), ((ELEMENT, ()),))),
        lambda: SubscribeCommand(SubscriptionInfo(uuid.uuid4(), ((ELEMENT, (Attribute.VALUE,)), (ELEMENT, ())))),
        lambda: SubscribeCommand(SubscriptionInfo(uuid.uuid4(), ((ELEMENT, (Attribute.VALUE,)),), max_rate=True)),
        lambda: SubscribeCommand(SubscriptionInfo(None, ((ELEMENT, (Attribute.VALUE,)),))),  # type: ignore[arg-type]
        lambda: ServerInformationCommand([]),
        lambda: ServerInformationCommand(["0"]),  # type: ignore[list-item]
        lambda: MetaDataCommand(ELEMENT, []),
        lambda: MetaDataCommand(ELEMENT, [-1]),
        lambda: BrowseCommand(depth=True),
        lambda: BrowseCommand(categories=[]),
        lambda: BrowseCommand(categories=[None]),  # type: ignore[list-item]
        lambda: ClientHelloCommand("1", 1),  # type: ignore[arg-type]
    ]
    for make in bad:
        with pytest.raises(UsageError):
            make()
    assert UnsubscribeCommand(NIL_UUID).params() == {0: NIL_UUID}  # a UUID, even nil, is the server's to judge


@pytest.mark.parametrize("depth", [65, 1000, 100_000])
@pytest.mark.parametrize("opener", [b"\x81", b"\xa1\x01", b"\xd8\x25", b"\xc1"])
def test_deep_cbor_nesting_is_a_protocol_error(opener: bytes, depth: int) -> None:
    """R10: any nesting past 64 levels is refused by the decoder with a bounded excerpt."""
    core = XentaraCore()
    with pytest.raises(ProtocolError) as caught:
        core.receive(opener * depth + b"\x01")
    assert "nesting depth" in str(caught.value) and len(str(caught.value)) < 1000


def test_a_deep_but_decodable_packet_is_a_bounded_violation() -> None:
    core = XentaraCore()
    [violation] = core.receive(b"\x81" * 60 + b"\x01")
    assert isinstance(violation, ProtocolViolation) and len(str(violation.error)) < 1000


# -- paths ---------------------------------------------------------------------------


def data_change(*elements: uuid.UUID) -> bytes:
    return dumps([[8, 0, {0: Timestamp(1), 1: element, 2: {11: CBORTag(121, 1.5)}}] for element in elements])


def test_lookups_teach_the_core_the_paths_its_events_carry() -> None:
    core = ready_core()
    other = uuid.UUID(int=9)
    (event,) = core.receive(data_change(ELEMENT))
    assert isinstance(event, DataChange) and event.path is None  # nothing known yet: the UUID alone
    core.submit(LookupCommand("Group 1.Data Point 1"))
    core.receive(dumps([[1, 1, ELEMENT]]))
    core.submit(BatchCommand([LookupCommand("Plant"), LookupCommand("No.Such"), GetStageCommand()]))
    core.receive(dumps([[1, 2, other], [2, 3, {0: -32100}], [1, 4, 2]]))
    assert core.paths == {ELEMENT: "Group 1.Data Point 1", other: "Plant"}  # a failed lookup teaches nothing
    core.submit(SubscribeCommand(subscription()))
    core.receive(dumps([[1, 5]]))
    routed, plain = core.receive(data_change(ELEMENT, other))
    assert isinstance(routed, DataChange) and routed.path == "Group 1.Data Point 1"
    assert routed.subscriptions == {uuid.UUID(int=1)}
    assert isinstance(plain, DataChange) and plain.path == "Plant" and plain.subscriptions == frozenset()
    assert routed == DataChange(routed.timestamp, routed.element, routed.values)  # the path is a note, not content
    core.learn_path(other, "Plant.Renamed")
    (renamed,) = core.receive(data_change(other))
    assert isinstance(renamed, DataChange) and renamed.path == "Plant.Renamed"
    assert str(renamed) == "1970-01-01T00:00:00.000000001Z Plant.Renamed: VALUE=1.5"
