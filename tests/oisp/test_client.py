"""Every client scenario, on both Client and AsyncClient, against the simulator over loopback."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import websocket

from iotws.backoff import ReconnectPolicy
from iotws.errors import ConnectionClosed, HandshakeError, UsageError
from iotws.events import Disconnected, ProtocolViolation, Reconnected, Stopped
from iotws.oisp import (
    Actuation,
    AsyncClient,
    Client,
    InvalidTokenError,
    OispSimulator,
    Pong,
    Registered,
    ServerError,
    SupersededError,
    TokenKeys,
    WrongMessageFormat,
)
from iotws.testing import resolve, take_events, wait_until

ACCOUNT = "c4715841-bb1e-4c87-ad78-2376fe596a11"
DEVICE = "example001"
FAST = ReconnectPolicy(initial_delay=0.05, factor=2.0, max_delay=0.2, jitter=0.0, reset_after=60.0)
GRACE = 0.25


def client_class(flavour: str) -> type[Client] | type[AsyncClient]:
    return Client if flavour == "sync" else AsyncClient


@asynccontextmanager
async def device(flavour: str, url: str, device_id: str, token: str, **kwargs: Any) -> AsyncIterator[Any]:
    kwargs.setdefault("grace", GRACE)
    kwargs.setdefault("reconnect", FAST)
    client = client_class(flavour)(url, device_id, token, **kwargs)
    await resolve(client.connect())
    try:
        yield client
    finally:
        await resolve(client.close())


async def connect_fails(flavour: str, url: str, device_id: str, token: str, **kwargs: Any) -> Any:
    kwargs.setdefault("grace", GRACE)
    kwargs.setdefault("reconnect", FAST)
    client = client_class(flavour)(url, device_id, token, **kwargs)
    try:
        await resolve(client.connect())
    finally:
        await resolve(client.close())


async def test_register_and_receive_actuations(flavour: str, oisp_simulator: OispSimulator) -> None:
    sim = oisp_simulator
    token = sim.issue_token(DEVICE, ACCOUNT)
    seen: list[Actuation] = []
    async with device(flavour, sim.url("/any/path?x=1"), DEVICE, token) as dev:
        dev.on_actuation(seen.append)
        await wait_until(lambda: sim.registrations[DEVICE] == 1)
        assert dev.connected and dev.core.registered and not dev.core.confirmed
        assert sim.actuate_sync(ACCOUNT, DEVICE, "LED.v1.0", {"LED": "1"}) == 1
        assert sim.actuate_sync(ACCOUNT, DEVICE, "LED.v1.0", [("LED", "0"), ("blink", "2")]) == 1
        first, second = await take_events(dev, 2, of_type=Actuation)
    assert first.command == "LED.v1.0" and first.param("LED") == "1"
    assert first.account_id == ACCOUNT and first.device_id == DEVICE and first.transport == "ws"
    assert second.params_dict() == {"LED": "0", "blink": "2"}
    assert seen == [first, second]


async def test_actuations_iterator(flavour: str, oisp_simulator: OispSimulator) -> None:
    sim = oisp_simulator
    token = sim.issue_token(DEVICE, ACCOUNT)
    async with device(flavour, sim.url(), DEVICE, token) as dev:
        sim.actuate_sync(ACCOUNT, DEVICE, "SET", {"speed": "3"})
        if flavour == "sync":
            got = next(dev.actuations(timeout=5))
        else:
            got = await anext(dev.actuations(timeout=5))
    assert got.params[0].as_int() == 3


async def test_actuation_for_another_device_is_not_delivered(flavour: str, oisp_simulator: OispSimulator) -> None:
    sim = oisp_simulator
    token = sim.issue_token(DEVICE, ACCOUNT)
    async with device(flavour, sim.url(), DEVICE, token) as dev:
        assert sim.actuate_sync(ACCOUNT, "someone-else", "LED.v1.0", {"LED": "1"}) == 0
        assert sim.actuate_sync("other-account", DEVICE, "LED.v1.0", {"LED": "1"}) == 0
        sim.actuate_sync(ACCOUNT, DEVICE, "MINE", {})
        (got,) = await take_events(dev, 1, of_type=Actuation)
    assert got.command == "MINE"


@pytest.mark.parametrize("kind", ["foreign-key", "expired", "wrong-subject", "not-yet-valid", "garbage"])
async def test_bad_tokens_raise_authentication_error_without_retry(
    flavour: str, oisp_simulator: OispSimulator, kind: str
) -> None:
    sim = oisp_simulator
    tokens = {
        "foreign-key": TokenKeys.generate().issue(DEVICE, ACCOUNT),
        "expired": sim.issue_token(DEVICE, ACCOUNT, ttl=-60, exp_in_ms=False),
        "wrong-subject": sim.issue_token("another-device", ACCOUNT),
        "not-yet-valid": sim.issue_token(DEVICE, ACCOUNT, not_before=4_000_000_000),
        "garbage": "eyJ-not-a-token",
    }
    with pytest.raises(InvalidTokenError, match="Invalid device token") as info:
        await connect_fails(flavour, sim.url(), DEVICE, tokens[kind])
    assert info.value.status == 401
    await asyncio.sleep(0.3)  # several backoff periods of FAST: no retry may happen
    assert sim.rejections == 1
    assert sim.registrations[DEVICE] == 0


async def test_token_without_accounts_is_wrong_message_format(flavour: str, oisp_simulator: OispSimulator) -> None:
    sim = oisp_simulator
    token = sim.keys.sign({"sub": DEVICE, "type": "device"})
    with pytest.raises(WrongMessageFormat, match="Wrong message format"):
        await connect_fails(flavour, sim.url(), DEVICE, token)
    assert sim.rejections == 1


async def test_refresh_callback_recovers(flavour: str, oisp_simulator: OispSimulator) -> None:
    sim = oisp_simulator
    calls: list[str] = []

    def refresh(device_id: str) -> str:
        calls.append(device_id)
        return sim.issue_token(device_id, ACCOUNT)

    expired = sim.issue_token(DEVICE, ACCOUNT, ttl=-60, exp_in_ms=False)
    async with device(flavour, sim.url(), DEVICE, expired, token_refresh=refresh) as dev:
        assert dev.connected
        assert calls == [DEVICE]
        assert sim.registrations[DEVICE] == 1
        sim.actuate_sync(ACCOUNT, DEVICE, "AFTER_REFRESH", {})
        (got,) = await take_events(dev, 1, of_type=Actuation)
    assert got.command == "AFTER_REFRESH"


async def test_refresh_with_another_bad_token_is_final(flavour: str, oisp_simulator: OispSimulator) -> None:
    sim = oisp_simulator
    calls: list[str] = []

    def refresh(device_id: str) -> str:
        calls.append(device_id)
        return sim.issue_token("wrong", ACCOUNT)

    with pytest.raises(InvalidTokenError):
        await connect_fails(flavour, sim.url(), DEVICE, "eyJ.bad.token", token_refresh=refresh)
    assert calls == [DEVICE]
    assert sim.rejections == 2


async def test_legacy_server_200(flavour: str, oisp_token_keys: TokenKeys) -> None:
    with OispSimulator(keys=oisp_token_keys, legacy_200=True, blind_window=0).run() as sim:
        token = sim.issue_token(DEVICE, ACCOUNT)
        # a long grace: the 200 ends the registration at once
        async with device(flavour, sim.url(), DEVICE, token, grace=30) as dev:
            assert dev.core.confirmed
            (registered,) = await take_events(dev, 1, of_type=Registered)
            sim.actuate_sync(ACCOUNT, DEVICE, "LED.v1.0", {"LED": "1"})
            (got,) = await take_events(dev, 1, of_type=Actuation)
    assert registered.code == 200
    assert got.param("LED") == "1"


async def test_ping_pong(flavour: str, oisp_simulator: OispSimulator) -> None:
    sim = oisp_simulator
    token = sim.issue_token(DEVICE, ACCOUNT)
    async with device(flavour, sim.url(), DEVICE, token) as dev:
        pong = await resolve(dev.ping(timeout=5))
        second = await resolve(dev.ping())
    assert pong == Pong("PONG") == second
    assert sim.pings == 2


async def test_duplicate_actuations_and_suppression(flavour: str, oisp_token_keys: TokenKeys) -> None:
    with OispSimulator(keys=oisp_token_keys, duplicates=True, blind_window=0).run() as sim:
        others = [
            Client(sim.url(), f"other-{i}", sim.issue_token(f"other-{i}", ACCOUNT), grace=0.1, reconnect=None)
            for i in range(2)
        ]
        for other in others:
            other.connect()
        try:
            token = sim.issue_token(DEVICE, ACCOUNT)
            async with device(flavour, sim.url(), DEVICE, token, dedup_window=30) as dev:
                assert sim.actuate_sync(ACCOUNT, DEVICE, "LED.v1.0", {"LED": "1"}) == 3
                sim.actuate_sync(ACCOUNT, DEVICE, "LED.v1.0", {"LED": "0"})
                got = await take_events(dev, 2, of_type=Actuation)
                await wait_until(lambda: dev.core.duplicates_suppressed == 4)
            async with device(flavour, sim.url(), "plain", sim.issue_token("plain", ACCOUNT)) as plain:
                copies = sim.actuate_sync(ACCOUNT, "plain", "LED.v1.0", {"LED": "1"})
                kept = await take_events(plain, copies, of_type=Actuation)
        finally:
            for other in others:
                other.close()
    assert [a.param("LED") for a in got] == ["1", "0"]
    assert copies == 4 and len(kept) == 4 and len(set(kept)) == 1


async def test_server_restart_reconnects_and_registers_again(flavour: str, oisp_simulator: OispSimulator) -> None:
    sim = oisp_simulator
    token = sim.issue_token(DEVICE, ACCOUNT)
    async with device(flavour, sim.url(), DEVICE, token) as dev:
        await wait_until(lambda: sim.registrations[DEVICE] == 1)
        sim.call(sim.restart())
        assert sim.registrations[DEVICE] == 0
        (gone,) = await take_events(dev, 1, of_type=Disconnected)
        assert gone.will_reconnect
        await take_events(dev, 1, of_type=Reconnected)
        await wait_until(lambda: sim.registrations[DEVICE] == 1)
        sim.actuate_sync(ACCOUNT, DEVICE, "AGAIN", {})
        (got,) = await take_events(dev, 1, of_type=Actuation)
    assert got.command == "AGAIN"


async def test_dropped_link_reconnects(flavour: str, oisp_simulator: OispSimulator) -> None:
    sim = oisp_simulator
    token = sim.issue_token(DEVICE, ACCOUNT)
    async with device(flavour, sim.url(), DEVICE, token) as dev:
        await wait_until(lambda: sim.registrations[DEVICE] == 1)
        sim.call(sim.drop_connections())
        await take_events(dev, 1, of_type=Reconnected)
        await wait_until(lambda: sim.registrations[DEVICE] == 2)
        assert await resolve(dev.ping()) == Pong("PONG")


async def test_grace_period_is_the_registration_wait(flavour: str, oisp_simulator: OispSimulator) -> None:
    sim = oisp_simulator
    token = sim.issue_token(DEVICE, ACCOUNT)
    registered_during_connect: list[bool] = []
    client = client_class(flavour)(sim.url(), DEVICE, token, grace=0.3, reconnect=None)
    assert client.core.handshake_wait() == 0.3 < client.options.connect_timeout

    def watch() -> None:
        registered_during_connect.append(client.core.registered)

    timer = threading.Timer(0.1, watch)
    timer.start()
    await resolve(client.connect())
    try:
        timer.join()
        assert registered_during_connect == [False]  # still in the grace period at 0.1 s
        assert client.core.registered and client.connected
    finally:
        await resolve(client.close())


async def test_rejection_after_the_grace_period_ends_the_stream_without_retry(
    flavour: str, oisp_simulator: OispSimulator
) -> None:
    sim = oisp_simulator
    sim.faults.delay = 0.4  # the server's 401 comes after the 0.1 s grace period
    token = sim.issue_token("wrong-subject", ACCOUNT)
    async with device(flavour, sim.url(), DEVICE, token, grace=0.1) as dev:
        assert dev.connected
        (error,) = await take_events(dev, 1, of_type=ServerError)
        assert error.is_invalid_token
        (gone,) = await take_events(dev, 1, of_type=Disconnected)
        assert not gone.will_reconnect
        with pytest.raises(ConnectionClosed):
            await take_events(dev, 1, of_type=Reconnected, timeout=1)
    assert sim.rejections == 1


async def test_binary_frame_from_server_is_a_violation_and_client_keeps_working(
    flavour: str, oisp_simulator: OispSimulator
) -> None:
    sim = oisp_simulator
    token = sim.issue_token(DEVICE, ACCOUNT)
    async with device(flavour, sim.url(), DEVICE, token) as dev:
        sim.call(sim.send_garbage(b"\x00\x01binary"))
        sim.call(sim.send_garbage())
        violations = await take_events(dev, 2, of_type=ProtocolViolation)
        assert "binary" in str(violations[0].error)
        assert await resolve(dev.ping()) == Pong("PONG")


async def test_binary_frame_to_server_is_rejected_with_1003(flavour: str, oisp_simulator: OispSimulator) -> None:
    sim = oisp_simulator
    token = sim.issue_token(DEVICE, ACCOUNT)
    async with device(flavour, sim.url(), DEVICE, token) as dev:
        await resolve(dev._driver.send_frames([b"\x01\x02"]))
        (error,) = await take_events(dev, 1, of_type=ServerError)
        assert error.content == "Wrong message format"
        (gone,) = await take_events(dev, 1, of_type=Disconnected)
        assert isinstance(gone.error, ConnectionClosed) and gone.error.code == 1003
        assert not gone.will_reconnect


async def test_upgrade_without_echo_protocol_is_refused(flavour: str, oisp_simulator: OispSimulator) -> None:
    # the client always offers echo-protocol, even when other subprotocols are given
    sim = oisp_simulator
    token = sim.issue_token(DEVICE, ACCOUNT)
    async with device(flavour, sim.url(), DEVICE, token, subprotocols=["foo"]) as dev:
        assert "echo-protocol" in dev.options.subprotocols
    sim.faults.refuse_upgrade = 403
    with pytest.raises(HandshakeError) as info:
        await connect_fails(flavour, sim.url(), DEVICE, token)
    assert info.value.status == 403


async def test_kicked_by_a_second_instance(flavour: str, oisp_simulator: OispSimulator) -> None:
    sim = oisp_simulator
    token = sim.issue_token(DEVICE, ACCOUNT)
    async with device(flavour, sim.url(), DEVICE, token, reconnect=None) as first:
        second = Client(sim.url(), DEVICE, token, grace=0.1, reconnect=None)
        with second:
            (gone,) = await take_events(first, 1, of_type=Disconnected)
            assert isinstance(gone.error, ConnectionClosed) and gone.error.code == 1000
            sim.actuate_sync(ACCOUNT, DEVICE, "TO_SECOND", {})
            assert next(second.actuations(timeout=5)).command == "TO_SECOND"


async def test_token_not_in_repr(flavour: str, oisp_simulator: OispSimulator) -> None:
    sim = oisp_simulator
    token = sim.issue_token(DEVICE, ACCOUNT)
    async with device(flavour, sim.url(), DEVICE, token) as dev:
        assert token not in repr(dev) and token not in repr(dev.core) and token not in repr(dev.options)
        assert DEVICE in repr(dev)


async def test_app_ping_liveness_reconnects_when_pong_stops(flavour: str, oisp_simulator: OispSimulator) -> None:
    sim = oisp_simulator
    token = sim.issue_token(DEVICE, ACCOUNT)
    async with device(flavour, sim.url(), DEVICE, token, app_ping_interval=0.2) as dev:
        await wait_until(lambda: sim.pings >= 2)  # PONGs flow: nothing happens
        assert dev.connected
        sim.faults.silent = True  # the server swallows its PONGs (a dead proxy path)
        (gone,) = await take_events(dev, 1, of_type=Disconnected)
        assert gone.will_reconnect
        sim.faults.silent = False
        await take_events(dev, 1, of_type=Reconnected)
        await wait_until(lambda: sim.registrations[DEVICE] >= 2)


async def test_token_never_logged_even_at_debug(
    flavour: str, oisp_simulator: OispSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    sim = oisp_simulator
    token = sim.issue_token(DEVICE, ACCOUNT)
    with caplog.at_level(logging.DEBUG):
        async with device(flavour, sim.url(), DEVICE, token) as dev:
            await resolve(dev.ping())
        with pytest.raises(InvalidTokenError):
            await connect_fails(flavour, sim.url(), "other-device", token)
    assert "deviceToken" in caplog.text  # the registration frame was logged...
    assert token not in caplog.text  # ...without the token
    assert token.split(".")[2] not in caplog.text


def test_grace_must_fit_in_connect_timeout() -> None:
    with pytest.raises(UsageError, match="longer than the grace"):
        Client("ws://127.0.0.1:9/", DEVICE, "t", grace=5, connect_timeout=2)
    with pytest.raises(UsageError, match="app_ping_interval"):
        AsyncClient("ws://127.0.0.1:9/", DEVICE, "t", app_ping_interval=0)
    assert Client("ws://127.0.0.1:9/", DEVICE, "t", grace=30).options.connect_timeout == 40


# -- issue 11, item 8: a second live client for the same device ---------------------------------
async def test_superseded_by_a_second_connection_stops_for_good(flavour: str, oisp_simulator: OispSimulator) -> None:
    sim = oisp_simulator
    token = sim.issue_token(DEVICE, ACCOUNT)
    async with device(flavour, sim.url(), DEVICE, token) as first:  # reconnecting is on (FAST)
        with Client(sim.url(), DEVICE, token, grace=0.1, reconnect=FAST) as second:
            (gone,) = await take_events(first, 1, of_type=Disconnected)
            assert not gone.will_reconnect
            assert isinstance(gone.error, ConnectionClosed) and gone.error.code == 1000
            (stopped,) = await take_events(first, 1, of_type=Stopped)
            assert isinstance(stopped.error, SupersededError)
            assert "superseded by another connection for this device" in stopped.reason
            with pytest.raises(SupersededError):  # the stream ends with the typed reason
                await take_events(first, 1, timeout=5)
            assert not first.connected and second.connected
            assert sim.registrations[DEVICE] == 2  # the first never came back to kick the second
            assert sim.actuate_sync(ACCOUNT, DEVICE, "TO_SECOND", {}) == 1
            assert next(second.actuations(timeout=5)).command == "TO_SECOND"


async def test_reconnect_on_superseded_keeps_reconnecting(flavour: str, oisp_simulator: OispSimulator) -> None:
    sim = oisp_simulator
    token = sim.issue_token(DEVICE, ACCOUNT)
    async with device(flavour, sim.url(), DEVICE, token, reconnect_on_superseded=True) as first:
        # a bare second connection (no grace period, so no race with the first's reconnect)
        second = websocket.create_connection(sim.url(), timeout=10, subprotocols=["echo-protocol"])
        try:
            second.send(json.dumps({"type": "device", "deviceId": DEVICE, "deviceToken": token}))
            (gone,) = await take_events(first, 1, of_type=Disconnected)
            assert gone.will_reconnect and isinstance(gone.error, ConnectionClosed) and gone.error.code == 1000
            await take_events(first, 1, of_type=Reconnected)
            # ...and the first, registering again, kicked the second out
            opcode, data = second.recv_data(control_frame=True)
            assert opcode == websocket.ABNF.OPCODE_CLOSE and int.from_bytes(data[:2], "big") == 1000
        finally:
            second.close()
        await wait_until(lambda: sim.registrations[DEVICE] == 3)
        sim.actuate_sync(ACCOUNT, DEVICE, "TO_FIRST", {})
        (got,) = await take_events(first, 1, of_type=Actuation)
    assert got.command == "TO_FIRST"


# -- issue 11, item 10: odd actuations reach the application, flagged ---------------------------
ODD_BODIES = [
    {"type": "command", "transport": "ws", "content": {"deviceId": 12345, "command": "A", "params": None}},
    {"type": "command", "content": {"command": "B", "params": [{"name": "rgb", "value": {"r": 255}}]}},
    {"type": "command", "content": {"command": "C", "params": [{"value": "1"}], "deviceId": True}},
    {"type": "command", "transport": "ws", "content": None},
    {"type": "command", "transport": "ws"},
]


async def test_odd_actuations_are_delivered_flagged_and_round_trip(
    flavour: str, oisp_simulator: OispSimulator
) -> None:
    sim = oisp_simulator
    token = sim.issue_token(DEVICE, ACCOUNT)
    async with device(flavour, sim.url(), DEVICE, token) as dev:
        for body in ODD_BODIES:
            assert sim.call(sim.publish(ACCOUNT, DEVICE, body)) == 1
        got = await take_events(dev, len(ODD_BODIES), of_type=(Actuation, ProtocolViolation))
    assert all(isinstance(act, Actuation) for act in got)
    assert [act.to_wire() for act in got] == ODD_BODIES
    assert [bool(act.problems) for act in got] == [False, True, True, True, False]
    assert got[0].device_id == "12345" and got[1].param("rgb") == '{"r":255}'


# -- issue 11, item 12: the DEBUG registration line is whole ------------------------------------
async def test_debug_registration_line_keeps_the_rest_of_the_excerpt(
    flavour: str, oisp_simulator: OispSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    sim = oisp_simulator
    token = sim.issue_token(DEVICE, ACCOUNT)
    with caplog.at_level(logging.DEBUG, logger="iotws.oisp"):
        async with device(flavour, sim.url(), DEVICE, token):
            pass
    (line,) = [r.getMessage() for r in caplog.records if r.getMessage().startswith(">>") and "device" in r.getMessage()]
    assert line.endswith('\'{"type":"device","deviceId":"example001","deviceToken":"***"}\'')
    assert token not in caplog.text


# -- issue 11, item 13: the fixtures switch off the quirks that get in a test's way --------------
def test_fixture_simulator_has_no_duplicates_nor_blind_window(oisp_simulator: OispSimulator) -> None:
    assert oisp_simulator.duplicates is False and oisp_simulator.blind_window == 0
    assert oisp_simulator.keep_open_for_other_device is True  # harmless, so faithful


@pytest.mark.iotws_simulator(duplicates=True)
def test_fixture_marker_turns_duplicates_back_on(oisp_simulator: OispSimulator, oisp_client: Client) -> None:
    oisp_simulator.actuate_sync("acc-1", "dev-1", "LED.v1.0", {"LED": "1"})
    assert next(oisp_client.actuations(timeout=5)).param("LED") == "1"
    assert oisp_simulator.duplicates and oisp_simulator.registrations.total() == 1


async def test_deeply_nested_frames_are_violations_not_core_failures(
    flavour: str, oisp_simulator: OispSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """R10: a frame nested ~990 deep raised RecursionError in the core ("core failed on a frame")."""
    sim = oisp_simulator
    caplog.set_level(logging.WARNING, logger="iotws.oisp")
    shapes = [
        '{"code":1024,"content":{"type":"command","content":{"command":"X","params":[{"name":"a","value":%s}]}}}',
        '{"code":1024,"content":{"type":"command","content":{"command":"X"},"x":%s}}',
    ]
    frames = [shape % ("[" * d + "]" * d) for d in range(600, 1000, 8) for shape in shapes]
    frames.append("[" * 100_000 + "]" * 100_000)
    last = '{"code":1024,"content":{"type":"command","content":{"command":"LAST"}}}'
    async with device(flavour, sim.url(), DEVICE, sim.issue_token(DEVICE, ACCOUNT), dedup_window=None) as dev:
        await wait_until(lambda: sim.registrations[DEVICE] == 1)
        for frame in [*frames, last]:
            await asyncio.wrap_future(sim.soon(sim.broadcast(frame)))
        seen: list[object] = []
        while not (seen and isinstance(seen[-1], Actuation) and seen[-1].command == "LAST"):
            seen += await take_events(dev, 1, of_type=(Actuation, ProtocolViolation, Disconnected), timeout=10)
        assert len(seen) == len(frames) + 1 and not any(isinstance(e, Disconnected) for e in seen)
        for event in seen:
            if isinstance(event, ProtocolViolation):
                assert "cannot process frame" not in str(event.error) and len(str(event.error)) < 1000
        assert any(isinstance(e, ProtocolViolation) for e in seen)
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "a core failed on a frame"
        assert dev.connected
