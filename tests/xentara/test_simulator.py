"""The simulator on its own: raw CBOR over aiohttp, error codes, framing, update rates."""

from __future__ import annotations

import base64
import uuid
from typing import Any

import aiohttp
import cbor2
import pytest
from cbor2 import CBORTag

from iotws.xentara.cbor import dumps, loads
from iotws.xentara.models import Timestamp
from iotws.xentara.simulator import SimModel, XentaraSimulator, _ConnState, _Subscription

HELLO = [0, 1, 14, {0: 1, 1: 1}]


async def exchange(ws: aiohttp.ClientWebSocketResponse, message: Any) -> Any:
    await ws.send_bytes(message if isinstance(message, bytes) else dumps(message))
    reply = await ws.receive()
    assert reply.type is aiohttp.WSMsgType.BINARY
    return loads(reply.data)


async def test_hello_rules_and_error_codes() -> None:
    async with XentaraSimulator() as sim, aiohttp.ClientSession() as session, session.ws_connect(sim.url()) as ws:
        assert await exchange(ws, [[0, 5, 8]]) == [[2, 5, {0: -32000, 1: "missing client hello request"}]]
        assert await exchange(ws, [HELLO]) == [[1, 1, {0: 1}]]
        assert (await exchange(ws, [HELLO]))[0][2][0] == -32001
        assert (await exchange(ws, b"\xff\xff"))[0][2][0] == -32700
        assert (await exchange(ws, [[0, "x", 8]]))[0][2][0] == -32700
        # a bare packet: every field is treated as a packet, each fails
        assert [p[2][0] for p in await exchange(ws, [0, 7, 8])] == [-32700] * 3
        assert (await exchange(ws, [[0, 9, 9]]))[0][2][0] == -32601
        await ws.send_str("[]")
        assert loads((await ws.receive()).data)[0][2][0] == -32700
        point = (await exchange(ws, [[0, 2, 3, {0: "Group 1.Setpoint"}]]))[0][2]
        answers = await exchange(
            ws,
            [
                [0, 10, 4, {0: point, 1: [11, 99]}],
                [0, 11, 5, {0: point, 1: 11, 2: 7}],  # an int into a float64: accepted
                [0, 12, 5, {0: point, 1: 11, 2: True}],
                [0, 13, 5, {0: uuid.uuid4(), 1: 11, 2: 1.0}],
                [0, 14, 5, {0: point, 1: 99, 2: 1.0}],
                [0, 15, 7, {0: uuid.uuid4()}],
                [0, 16, 13, {0: uuid.uuid4()}],
                [0, 17, 2, {0: point, 1: [0, 83]}],
            ],
        )
        assert answers[0] == [
            1, 10, {11: CBORTag(121, 50.0), 99: CBORTag(122, {0: -32101, 1: "missing attribute"})}
        ]
        assert answers[1] == [1, 11]
        assert [a[2][0] for a in answers[2:]] == [-32106, -32100, -32101, -32110, -32111, -32602]
        assert [a[1] for a in answers] == list(range(10, 18))


async def test_every_float_width_is_accepted() -> None:
    async with XentaraSimulator() as sim, aiohttp.ClientSession() as session, session.ws_connect(sim.url()) as ws:
        await exchange(ws, [HELLO])
        point = (await exchange(ws, [[0, 2, 3, {0: "Group 1.Setpoint"}]]))[0][2]
        head = cbor2.dumps([[0, 3, 5, {0: point, 1: 11, 2: 0}]])[:-1]
        for width in ("f93e00", "fa3fc00000", "fb3ff8000000000000"):  # 1.5 as half, single, double
            reply = await exchange(ws, head + bytes.fromhex(width))
            assert reply == [[1, 3]]
        assert sim.model.find("Group 1.Setpoint").attributes[11].value == 1.5


@pytest.mark.parametrize(
    ("header", "status"),
    [
        (None, 401),
        ("Basic " + base64.b64encode(b"op:wrong").decode(), 401),
        ("Bearer nope", 401),
        ("Basic " + base64.b64encode(b"op:pw").decode(), 101),
        ("Bearer tok", 101),
    ],
)
async def test_upgrade_authentication(header: str | None, status: int) -> None:
    async with XentaraSimulator(users={"op": "pw"}, tokens={"tok": "op"}) as sim, aiohttp.ClientSession() as session:
        headers = {"Authorization": header} if header else {}
        try:
            async with session.ws_connect(sim.url(), headers=headers):
                got = 101
        except aiohttp.WSServerHandshakeError as exc:
            got = exc.status
        assert got == status


def test_update_rates() -> None:
    model = SimModel.default()
    sim = XentaraSimulator(model=model)
    point = model.find("Group 1.Setpoint")
    state = _ConnState(user=None)
    sub = _Subscription(uuid.uuid4(), [(point, [11, 9])], max_rate=100, min_rate=1000)
    sub.last = {(point.uuid, 11): 50.0, (point.uuid, 9): 0}
    state.subscriptions[sub.id] = sub
    assert sim.due_events(state, 0.05) is None  # nothing changed, min rate not due
    point.attributes[11].value = 1.0
    assert sim.due_events(state, 0.05) is None  # inside the max-rate window: coalesced
    point.attributes[11].value = 2.0
    (event,) = loads(sim.due_events(state, 0.1) or b"")
    assert event[:2] == [8, 0] and event[2][2] == {11: CBORTag(121, 2.0)}  # latest value of the window
    assert isinstance(event[2][0], Timestamp)
    assert sim.due_events(state, 0.5) is None
    (event,) = loads(sim.due_events(state, 1.2) or b"")  # min rate: everything, even unchanged
    assert set(event[2][2]) == {11, 9}


def test_events_merge_per_element_in_one_message() -> None:
    model = SimModel.default()
    sim = XentaraSimulator(model=model)
    a, b = model.find("Group 1.Setpoint"), model.find("Group 1.Label")
    state = _ConnState(user=None)
    for items in ([(a, [11])], [(a, [9]), (b, [11])]):
        sub = _Subscription(uuid.uuid4(), items, None, 10)
        state.subscriptions[sub.id] = sub
    events = loads(sim.due_events(state, 1.0) or b"")
    assert [e[0] for e in events] == [8, 8]
    assert {e[2][1]: set(e[2][2]) for e in events} == {a.uuid: {11, 9}, b.uuid: {11}}
