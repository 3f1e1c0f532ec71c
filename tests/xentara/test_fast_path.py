"""The fast path of data-change messages gives what the general path gives, or steps aside.

``XentaraCore.receive`` reads messages of data-change events in the servers' form straight
from the bytes (``_data_changes``) and leaves every other message to the general path
(cbor2, then packet by packet, ``XentaraCore._receive_packets``). These tests build messages
with hypothesis, in the servers' form and around it (other packets, attribute errors, odd
time forms, big numbers, non-shortest encodings, truncated and damaged bytes), and check
that the fast path either declines or gives the very same events: same types, same values,
same subscriptions and paths.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Callable
from typing import Any

import cbor2
from cbor2 import CBORTag
from hypothesis import example, given, settings
from hypothesis import strategies as st

from iotws.errors import ProtocolError
from iotws.xentara.cbor import EncodedFloat, dumps
from iotws.xentara.models import Attribute, DataChange, SubscriptionInfo, Timestamp
from iotws.xentara.protocol import SubscribeCommand, XentaraCore, _data_changes
from iotws.xentara.simulator import XentaraSimulator, _ConnState, _Subscription

SOME = settings(max_examples=300, deadline=None)
ELEMENTS = [uuid.UUID(int=n) for n in (1, 2, 0xDEADBEEF << 64)]


def ready_core() -> XentaraCore:
    core = XentaraCore()
    core.on_connect()
    core.receive(dumps([[1, 1, {0: 1}]]))
    assert core.handshake_complete()
    return core


def routed_core() -> XentaraCore:
    """A core with subscriptions and known paths, so events get both."""
    core = ready_core()
    infos = [
        SubscriptionInfo(uuid.UUID(int=100), ((ELEMENTS[0], (Attribute.VALUE, Attribute.QUALITY)),)),
        SubscriptionInfo(uuid.UUID(int=101), ((ELEMENTS[0], (Attribute.VALUE,)), (ELEMENTS[1], (12, ELEMENTS[2])))),
    ]
    for info in infos:
        core.submit(SubscribeCommand(info))
    core.receive(dumps([[1, 2, infos[0].id], [1, 3, infos[1].id]]))
    assert set(core.subscriptions) == {info.id for info in infos}
    core.learn_path(ELEMENTS[0], "Group 1.Data Point 1")
    return core


def describe(item: object) -> object:
    """Everything about an item, types included (``DataChange.__eq__`` skips routes, NaN != NaN)."""
    if type(item) is DataChange:
        return (
            "DataChange",
            repr(item.timestamp),
            repr(item.element),
            [(type(k), repr(k), type(v), repr(v)) for k, v in item.values.items()],
            sorted(item.subscriptions),
            repr(item.extra),
            item.path,
        )
    return (type(item), repr(item))


def outcome(receive: Callable[[bytes], list[object]], frame: bytes) -> object:
    try:
        return [describe(item) for item in receive(frame)]
    except ProtocolError as exc:
        return ("ProtocolError", str(exc))


def check_agrees(frame: bytes, *, routed: bool = False, fast: bool | None = None) -> None:
    """The fast path declines or agrees with the general path, and receive() gives the general result."""
    core, reference = (routed_core(), routed_core()) if routed else (ready_core(), ready_core())
    general = outcome(reference._receive_packets, frame)
    events = _data_changes(frame, core._routes, core.paths)
    if fast is not None:
        assert (events is not None) is fast, (frame.hex(), general)
    if events is not None:
        assert [describe(e) for e in events] == general
    assert outcome(core.receive, frame) == general


# -- messages in the servers' form ----------------------------------------------------

mantissas = st.integers(-(2**64), 2**64 - 1)
exponents = st.sampled_from([-9, -6, -3])
stamps = st.one_of(
    st.builds(Timestamp, st.integers(-(2**63), 2**63 - 1)),  # written as 1001({4: 4([-9, ns])})
    st.builds(lambda e, m: CBORTag(1001, {4: CBORTag(4, [e, m])}), exponents, mantissas),
)
floats = st.floats() | st.floats(width=32) | st.floats(width=16)
fast_values = st.one_of(
    st.integers(-(2**64), 2**64 - 1),
    floats,
    floats.map(EncodedFloat),  # half, single or double, as servers send them
    st.booleans(),
    st.none(),
    st.text(max_size=30),
    st.binary(max_size=30),
    st.builds(uuid.UUID, int=st.integers(0, 2**128 - 1)),
    stamps,
)
fast_keys = st.one_of(
    st.sampled_from(list(Attribute)),
    st.integers(0, 255),
    st.sampled_from(ELEMENTS),
    st.builds(uuid.UUID, int=st.integers(0, 2**128 - 1)),
)


def fast_event(element: uuid.UUID, stamp: Any, values: dict[Any, Any]) -> list[Any]:
    return [8, 0, {0: stamp, 1: element, 2: {k: CBORTag(121, v) for k, v in values.items()}}]


fast_events = st.builds(
    fast_event,
    st.sampled_from(ELEMENTS) | st.builds(uuid.UUID, int=st.integers(0, 2**128 - 1)),
    stamps,
    st.dictionaries(fast_keys, fast_values, max_size=6),
)
fast_messages = st.lists(fast_events, min_size=1, max_size=30).map(dumps)


@SOME
@given(fast_messages, st.booleans())
def test_server_form_messages_take_the_fast_path_and_agree(frame: bytes, routed: bool) -> None:
    check_agrees(frame, routed=routed, fast=True)


def test_the_benchmark_message_and_the_simulators_events_take_the_fast_path() -> None:
    events = []
    for i in range(8):
        stamp = CBORTag(1001, {4: CBORTag(4, [-9, 1704107471111587983 + i])})
        values = {9: CBORTag(121, 0), 11: CBORTag(121, 21.5 + i), 7: CBORTag(121, stamp)}
        events.append([8, 0, {0: stamp, 1: ELEMENTS[i % 3], 2: values}])
    check_agrees(cbor2.dumps(events), fast=True)
    check_agrees(cbor2.dumps(events), routed=True, fast=True)
    simulator = XentaraSimulator()
    points = [simulator.model.by_key[key] for key in ("Group 1.Data Point 1", "Group 1.Setpoint")]
    state = _ConnState(user=None)
    items = [(point, [Attribute.VALUE, Attribute.QUALITY, Attribute.CHANGE_TIME]) for point in points]
    state.subscriptions[uuid.UUID(int=7)] = _Subscription(uuid.UUID(int=7), items, None, 1)
    message = simulator.due_events(state, 10.0)
    assert message is not None
    check_agrees(message, fast=True)


def test_non_shortest_encodings_take_the_fast_path_and_agree() -> None:
    stamp = b"\xd9\x03\xe9\xa1\x04\xc4\x82\x28"
    element = b"\x01\xd8\x25\x50" + bytes(range(16))
    bodies = [
        b"\x18\x0b\xd8\x79\x19\x00\x05",  # key 11 in one byte, value 5 in two
        b"\x0b\xd8\x79\x1a\x00\x00\x00\x05",  # value 5 in four bytes
        b"\x0b\xd8\x79\x1b\x00\x00\x00\x00\x00\x00\x00\x05",  # and in eight
        b"\x0b\xd8\x79\x38\x00",  # -1 in one byte
        b"\x0b\xd8\x79\x3b\xff\xff\xff\xff\xff\xff\xff\xff",  # -2**64
        b"\x0b\xd8\x79\xf9\x7e\x01",  # a NaN with a payload
        b"\x0b\xd8\x79\x78\x03abc",  # text with a one-byte length
        b"\x0b\xd8\x79\x58\x00",  # empty bytes with a one-byte length
    ]
    for body in bodies:
        for mantissa in (b"\x1b" + struct.pack(">Q", 2**63), b"\x18\x01", b"\x05", b"\x3a\x00\x00\x00\x01"):
            frame = b"\x81\x83\x08\x00\xa3\x00" + stamp + mantissa + element + b"\x02\xa1" + body
            check_agrees(frame, fast=True)
            check_agrees(b"\x98\x01" + frame[1:] + b"trailing bytes, ignored by both", fast=True)


# -- messages around it ---------------------------------------------------------------

other_values = st.one_of(
    fast_values,
    st.integers(2**64, 2**80) | st.integers(-(2**80), -(2**64) - 1),  # bignums
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.integers(0, 3), st.text(max_size=3), max_size=2),
    st.builds(CBORTag, st.sampled_from([4, 37, 1001, 123, 1]), st.integers(0, 3) | st.text(max_size=3)),
    st.builds(lambda e, m: CBORTag(1001, {4: CBORTag(4, [e, m])}), st.integers(-20, 5), st.integers(0, 9)),
)
other_keys = st.one_of(fast_keys, st.integers(256, 2**32), st.integers(-5, -1), st.text(max_size=3))


def other_event(element: Any, stamp: Any, values: dict[Any, Any], failed: dict[Any, Any], extra: dict[Any, Any]) -> Any:
    changes: dict[Any, Any] = {k: CBORTag(121, v) for k, v in values.items()}
    changes.update({k: CBORTag(122, v) for k, v in failed.items()})
    return [8, 0, {**extra, 0: stamp, 1: element, 2: changes}]


other_packets = st.one_of(
    fast_events,
    st.builds(
        other_event,
        st.sampled_from(ELEMENTS) | st.binary(max_size=17),
        stamps | st.integers() | st.builds(CBORTag, st.just(1), st.integers(0, 2**40)),
        st.dictionaries(other_keys, other_values, max_size=4),
        st.dictionaries(fast_keys, st.just({0: -32108, 1: "read error"}) | st.integers(), max_size=2),
        st.dictionaries(st.integers(3, 6), st.integers(), max_size=1),
    ),
    st.builds(lambda t, p: [8, t, p], st.integers(0, 2), st.integers() | st.none()),
    st.builds(lambda i, v: [1, i, v], st.integers(0, 9), st.integers()),
    st.builds(lambda i: [2, i, {0: -32700, 1: "payload not well formed"}], st.integers(0, 9)),
    st.lists(st.integers(0, 8), max_size=4),
)
other_messages = st.lists(other_packets, min_size=0, max_size=8).map(dumps)


@SOME
@given(other_messages, st.booleans())
@example(dumps([[8, 0, {0: Timestamp(1), 1: ELEMENTS[0], 2: {11: CBORTag(122, {0: -32108})}}]]), False)
@example(dumps([[8, 0, {0: Timestamp(1), 1: ELEMENTS[0], 2: {}, 3: "extra"}]]), False)
@example(dumps([[8, 0, {0: Timestamp(1), 1: ELEMENTS[0], 2: {11: CBORTag(121, 2**64)}}]]), True)
def test_other_messages_agree_whichever_path_they_take(frame: bytes, routed: bool) -> None:
    check_agrees(frame, routed=routed)


@SOME
@given(fast_messages, st.data())
def test_damaged_messages_agree_or_fail_alike(frame: bytes, data: st.DataObject) -> None:
    """Truncated, overwritten or padded bytes: the fast path never accepts what the general one refuses."""
    damage = data.draw(st.sampled_from(["truncate", "overwrite", "insert"]))
    at = data.draw(st.integers(0, len(frame) - 1))
    if damage == "truncate":
        damaged = frame[:at]
    elif damage == "overwrite":
        damaged = frame[:at] + bytes([data.draw(st.integers(0, 255))]) + frame[at + 1 :]
    else:
        damaged = frame[:at] + data.draw(st.binary(min_size=1, max_size=3)) + frame[at:]
    check_agrees(damaged, routed=data.draw(st.booleans()))


def test_frames_that_are_not_bytes_take_the_general_path() -> None:
    frame = dumps([fast_event(ELEMENTS[0], Timestamp(5), {11: 1.5})])
    core = ready_core()
    for other in (bytearray(frame), memoryview(frame)):
        assert core.receive(other) == core.receive(frame)  # type: ignore[arg-type]


def test_every_truncation_and_every_changed_byte_agrees() -> None:
    """Exhaustively, for a message ending in each kind of value: no prefix, no changed byte slips through."""
    last_values: list[Any] = [
        7,
        300,
        -(2**64),
        2**64 - 1,
        1.5,
        EncodedFloat(1.5),
        EncodedFloat(100000.0),
        True,
        None,
        "text",
        "x" * 30,
        b"\x00\x01",
        ELEMENTS[2],
        Timestamp(1704107471111587983),
        CBORTag(1001, {4: CBORTag(4, [-3, -5])}),
    ]
    for value in last_values:
        frame = dumps([fast_event(ELEMENTS[0], Timestamp(2), {Attribute.QUALITY: 0, ELEMENTS[1]: value})])
        check_agrees(frame, fast=True)
        for at in range(len(frame)):
            check_agrees(frame[:at], fast=False)
            for byte in {frame[at] ^ 1, frame[at] ^ 0x20, 0x00, 0x18, 0xF7, 0xFF}:
                check_agrees(frame[:at] + bytes([byte]) + frame[at + 1 :])
            check_agrees(frame[:at] + frame[at + 1 :])
