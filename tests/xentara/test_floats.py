"""Floats go out in the shortest exact width (CBOR preferred serialization), as the vendor's client sends them.

cbor2 alone writes every finite float as a 64-bit double; the vendor's client writes 3.25 as
half precision ``f94280``. Client writes and the simulator's answers and events must do the same,
and nothing else about the encoding may change.
"""

from __future__ import annotations

import math
import ssl
import struct
import uuid
from pathlib import Path
from typing import Any

import cbor2
import pytest
from cbor2 import CBORTag
from hypothesis import given
from hypothesis import strategies as st

from iotws.testing import open_client, resolve
from iotws.xentara import AsyncClient, Attribute, Client, XentaraSimulator
from iotws.xentara.cbor import EncodedFloat, dumps, encode_float, loads
from iotws.xentara.protocol import WriteCommand
from iotws.xentara.simulator import _ConnState, _Subscription

ELEMENT = uuid.UUID("E3EE10714D884BA18E5D0F1E4CE25EE8")
HALF, SINGLE, DOUBLE = 0xF9, 0xFA, 0xFB

#: Floats of every width, so that half and single precision values are drawn often.
any_float = st.one_of(st.floats(width=16), st.floats(width=32), st.floats())


def same_float(a: float, b: float) -> bool:
    """Equal including the sign of zero (and NaN equals NaN)."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def exact_in(fmt: str, value: float) -> bool:
    try:
        return struct.unpack(fmt, struct.pack(fmt, value))[0] == value
    except OverflowError:
        return False


# -- golden bytes --------------------------------------------------------------------

GOLDEN = [
    (3.25, "f94280"),  # the example: half precision
    (1.1, "fb3ff199999999999a"),  # needs a double
    (100000.0, "fa47c35000"),  # beyond half's range, exact in single
    (0.0, "f90000"),
    (-0.0, "f98000"),  # the sign of zero is kept
    (math.nan, "f97e00"),
    (math.inf, "f97c00"),
    (-math.inf, "f9fc00"),
    (65504.0, "f97bff"),  # the largest half
    (65520.0, "fa477ff000"),  # rounds to infinity in half: single
    (5.960464477539063e-08, "f90001"),  # the smallest half subnormal
    (1e-10, "fb3ddb7cdfd9d7bdbb"),  # underflows half and single
    (3.4028234663852886e38, "fa7f7fffff"),  # the largest single
    (1e39, "fb48078287f49c4a1d"),  # beyond single's range
]


@pytest.mark.parametrize(("value", "wire"), GOLDEN)
def test_golden_float_bytes(value: float, wire: str) -> None:
    assert encode_float(value).hex() == wire
    assert dumps(EncodedFloat(value)).hex() == wire
    assert dumps(CBORTag(121, EncodedFloat(value))).hex() == "d879" + wire
    # cbor2's own shortest-float mode (canonical=True) agrees on a lone float
    assert cbor2.dumps(value, canonical=True).hex() == wire
    assert same_float(loads(bytes.fromhex(wire)), value)


@pytest.mark.parametrize(("value", "wire"), GOLDEN)
def test_write_request_golden_bytes(value: float, wire: str) -> None:
    head = "818400182a05a300d82550e3ee10714d884ba18e5d0f1e4ce25ee8010b02"  # [[0, 42, 5, {0: 37(..), 1: 11, 2:
    assert WriteCommand(ELEMENT, Attribute.VALUE, value).encode(42) == [bytes.fromhex(head + wire)]


def test_nothing_else_changes() -> None:
    # map keys keep their order (canonical=True would sort them), ints and tags are as before
    item = {3: ELEMENT, 2: EncodedFloat(100.0), 0: [-1, 2**64 - 1, CBORTag(121, "x")], 1: 7}
    plain = {3: ELEMENT, 2: 100.0, 0: [-1, 2**64 - 1, CBORTag(121, "x")], 1: 7}
    assert dumps(item) == cbor2.dumps(plain).replace(bytes.fromhex("fb4059000000000000"), bytes.fromhex("f95640"))
    assert dumps(item).hex().startswith("a403d82550")
    # a subscription's key order (0, 3, 2) and the write's sub-session key stay where they were
    session = uuid.UUID(int=7)
    frame = WriteCommand(ELEMENT, Attribute.VALUE, 2.5, sub_session=session).encode(1)[0]
    assert frame == cbor2.dumps([[0, 1, 5, {0: ELEMENT, 1: 11, 2: 2.5, 3: session}]]).replace(
        bytes.fromhex("fb4004000000000000"), bytes.fromhex("f94100")
    )
    # ints, bools and float subclasses in writes
    assert WriteCommand(ELEMENT, 11, 7).encode(1)[0].endswith(b"\x02\x07")
    assert WriteCommand(ELEMENT, 11, True).encode(1)[0].endswith(b"\x02\xf5")

    class Celsius(float):
        pass

    assert WriteCommand(ELEMENT, 11, Celsius(21.5)).encode(1)[0].endswith(bytes.fromhex("02f94d60"))


# -- properties ----------------------------------------------------------------------


@given(any_float)
def test_any_float_round_trips_at_its_shortest_exact_width(value: float) -> None:
    wire = dumps(EncodedFloat(value))
    assert same_float(loads(wire), value)
    if math.isnan(value) or exact_in(">e", value):  # NaN and the infinities are half precision
        expected = HALF
    elif exact_in(">f", value):
        expected = SINGLE
    else:
        expected = DOUBLE
    assert wire[0] == expected
    assert len(wire) == {HALF: 3, SINGLE: 5, DOUBLE: 9}[expected]
    assert wire == cbor2.dumps(value, canonical=True)  # an independent implementation agrees


@given(any_float, st.integers(1, 2**31 - 1))
def test_write_requests_carry_the_shortest_width(value: float, message_id: int) -> None:
    (frame,) = WriteCommand(ELEMENT, Attribute.VALUE, value).encode(message_id)
    # only the float differs from cbor2's plain encoding (the map keys 0, 1, 2 are already sorted)
    assert frame == cbor2.dumps([[0, message_id, 5, {0: ELEMENT, 1: 11, 2: value}]], canonical=True)
    [[_, _, _, params]] = loads(frame)
    assert same_float(params[2], value)


# -- the simulator -------------------------------------------------------------------


def test_simulator_reads_and_events_use_the_shortest_width() -> None:
    sim = XentaraSimulator()
    point = sim.model.find("Group 1.Setpoint")
    state = _ConnState(user=None, hello=True)
    reply = sim.answer(state, dumps([[0, 5, 4, {0: point.uuid, 1: [11]}]]))
    assert reply == cbor2.dumps([[1, 5, {11: CBORTag(121, 50.0)}]], canonical=True)
    assert bytes.fromhex("0bd879f95240") in (reply or b"")  # {11: 121(50.0 as half)}
    point.attributes[11].value = 1.1
    sub = _Subscription(uuid.uuid4(), [(point, [11])], None, 10)
    state.subscriptions[sub.id] = sub
    events = sim.due_events(state, 1.0) or b""
    assert bytes.fromhex("0bd879fb3ff199999999999a") in events
    assert loads(events)[0][2][2] == {11: CBORTag(121, 1.1)}


class RecordingSimulator(XentaraSimulator):
    """Keeps every message exactly as it came off the socket, and every answer as it went out."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.received: list[bytes] = []
        self.sent: list[bytes] = []

    def answer(self, state: _ConnState, frame: Any) -> bytes | None:
        if isinstance(frame, bytes):
            self.received.append(frame)
        reply = super().answer(state, frame)
        if reply is not None:
            self.sent.append(reply)
        return reply


@pytest.mark.parametrize(
    ("value", "wire"),
    [(3.25, "f94280"), (1 + 2**-20, "fa3f800008"), (99.9, "fb4058f9999999999a")],
    ids=["half", "single", "double"],
)
async def test_written_float_reaches_the_simulator_at_its_shortest_width(
    flavour: str, server_ssl: ssl.SSLContext, ca_file: Path, value: float, wire: str
) -> None:
    sim = RecordingSimulator(ssl_context=server_ssl, users={"operator": "secret"})
    options: dict[str, Any] = {"user": "operator", "password": "secret", "reconnect": None, "request_timeout": 5.0}
    with sim.run():
        async with open_client(flavour, Client, AsyncClient, sim.url(), ca_file=ca_file, **options) as client:
            await resolve(client.write_value("Group 1.Setpoint", value))
            assert sim.model.find("Group 1.Setpoint").attributes[Attribute.VALUE].value == value
            (write,) = [frame for frame in sim.received if loads(frame)[0][2] == 5]
            assert write.endswith(bytes.fromhex("02" + wire))  # ... 2: <value>}]] as the socket delivered it
            assert await resolve(client.read_value("Group 1.Setpoint")) == value
            assert bytes.fromhex("0bd879" + wire) in sim.sent[-1]  # the read answer: {11: 121(<value>)}
