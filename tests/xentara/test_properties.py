"""Hypothesis: round trips of time stamps, packets and events; decoder fuzzing yields only ProtocolError."""

from __future__ import annotations

import uuid
from typing import Any

import cbor2
from cbor2 import CBORTag
from hypothesis import example, given, settings
from hypothesis import strategies as st

from iotws.errors import ProtocolError
from iotws.events import ProtocolViolation
from iotws.sansio import Reply
from iotws.xentara.cbor import dumps, loads
from iotws.xentara.models import Attribute, DataChange, Stage, Timestamp
from iotws.xentara.protocol import (
    GetStageCommand,
    Request,
    WriteCommand,
    XentaraCommand,
    XentaraCore,
    decode_message,
)
from iotws.xentara.simulator import XentaraSimulator, _ConnState
from iotws.xentara.testing import XENTARA_TAGS, cbor_items, commands, data_changes, timestamps

FEW = settings(max_examples=60, deadline=None)


def ready_core() -> XentaraCore:
    core = XentaraCore()
    core.on_connect()
    core.receive(dumps([[1, 1, {0: 1}]]))
    assert core.handshake_complete()
    return core


def still_works(core: XentaraCore) -> None:
    submission = core.submit(GetStageCommand())
    [[_, message_id, _]] = loads(submission.frames[0])
    assert core.receive(dumps([[1, message_id, 2]])) == [Reply(submission.token or 0, value=Stage.OPERATIONAL)]


@given(timestamps())
def test_timestamp_round_trip(ts: Timestamp) -> None:
    assert loads(dumps(ts)) == ts
    assert loads(dumps(ts.to_wire())) == ts


@given(st.integers(-(2**62), 2**62), st.sampled_from([-9, -6, -3]))
def test_timestamp_every_exponent(mantissa: int, exponent: int) -> None:
    wire = cbor2.dumps(CBORTag(1001, {4: CBORTag(4, [exponent, mantissa])}))
    assert loads(wire) == Timestamp(mantissa * 10 ** (9 + exponent))


@given(st.integers(-(2**40), 2**40))
def test_timestamp_tag_1_seconds(seconds: int) -> None:
    assert loads(cbor2.dumps(CBORTag(1, seconds))) == Timestamp(seconds * 10**9)


@FEW
@given(commands(), st.integers(1, 2**30))
@example(WriteCommand(uuid.UUID(int=0), Attribute.VALUE, 0.5, None), 1)  # a float goes out as a half
def test_request_packets_round_trip(command: XentaraCommand[Any], message_id: int) -> None:
    (packet,) = decode_message(command.encode(message_id)[0])
    request = Request.from_wire(packet)
    assert request.message_id == message_id and request.opcode == command.opcode
    # the values survive (a float goes out in its shortest width, EncodedFloat, and comes back a
    # plain float, which dumps() writes as a double: compare what both decode to)
    assert loads(dumps(request.params)) == loads(dumps(command.params()))


@FEW
@given(st.lists(data_changes(), min_size=1, max_size=8))
def test_event_messages_round_trip(events: list[DataChange]) -> None:
    core = ready_core()
    message = dumps([[8, 0, event.to_wire()] for event in events])
    assert core.receive(message) == events


@FEW
@given(st.lists(st.integers(0, 3), min_size=1, max_size=8), st.randoms())
def test_replies_in_any_order_reach_their_caller(stages: list[int], rnd: Any) -> None:
    core = ready_core()
    sent = []
    for stage in stages:
        submission = core.submit(GetStageCommand())
        [[_, message_id, _]] = loads(submission.frames[0])
        sent.append((submission.token, message_id, stage))
    rnd.shuffle(sent)
    replies = core.receive(dumps([[1, message_id, stage] for _, message_id, stage in sent]))
    assert replies == [Reply(token or 0, value=Stage(stage)) for token, _, stage in sent]


@given(st.binary(max_size=200))
def test_random_bytes_only_protocol_errors(data: bytes) -> None:
    core = ready_core()
    try:
        items = core.receive(data)
    except ProtocolError:
        items = []
    assert isinstance(items, list)
    still_works(core)


@FEW
@given(cbor_items())
def test_random_cbor_only_protocol_errors(item: Any) -> None:
    core = ready_core()
    pending = core.submit(GetStageCommand())
    [[_, message_id, _]] = loads(pending.frames[0])
    for message in (item, [item], [[8, 0, item]], [[8, 1, item]], [[2, 99, item]], [[1, message_id, item]]):
        try:
            data = cbor2.dumps(message)
        except Exception:
            continue
        try:
            items = core.receive(data)
        except ProtocolError:
            continue
        for out in items:
            if isinstance(out, Reply):
                assert out.error is None or isinstance(out.error, ProtocolError)
            assert not isinstance(out, Exception)
    still_works(core)


@FEW
@given(cbor_items())
def test_simulator_answers_anything_with_packets(item: Any) -> None:
    sim = XentaraSimulator()
    state = _ConnState(user=None, hello=True)
    for message in (item, [item], [[0, 5, 4, item]], [[0, 6, 5, item]], [[0, 7, 6, item]], [[0, 8, 12, item]]):
        try:
            data = cbor2.dumps(message)
        except Exception:
            continue
        reply = sim.answer(state, data)
        if reply is None:
            continue
        for packet in loads(reply):
            assert packet[0] in (1, 2) and isinstance(packet[1], int)


@FEW
@given(st.lists(data_changes(), min_size=1, max_size=4), cbor_items(tags=XENTARA_TAGS))
def test_one_bad_event_does_not_spoil_the_message(events: list[DataChange], junk: Any) -> None:
    core = ready_core()
    packets: list[Any] = [[8, 0, e.to_wire()] for e in events]
    packets.insert(1, [8, 0, {"bad": junk}])
    items = core.receive(dumps(packets))
    assert isinstance(items[1], ProtocolViolation)
    assert [i for i in items if isinstance(i, DataChange)] == events
