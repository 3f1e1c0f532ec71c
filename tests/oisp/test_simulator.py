"""The simulator behaves like the real server (raw aiohttp clients, no iotws client)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from iotws.errors import UsageError
from iotws.oisp import OispSimulator, TokenKeys
from iotws.oisp.simulator import CONTROL_PATH, CONTROL_SUBPROTOCOL
from iotws.oisp.tokens import InvalidToken

ACC, DEV = "acc-1", "dev-1"


@pytest.fixture
async def sim(oisp_token_keys: TokenKeys) -> AsyncIterator[OispSimulator]:
    # the quirks that get in the way of other checks are off here; they have their own tests
    async with OispSimulator(keys=oisp_token_keys, duplicates=False, blind_window=0) as server:
        yield server


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def open_ws(
    session: aiohttp.ClientSession, sim: OispSimulator, path: str = "/", protocols: tuple[str, ...] = ("echo-protocol",)
) -> aiohttp.ClientWebSocketResponse:
    return await session.ws_connect(sim.url(path), protocols=protocols, autoping=True)


async def next_json(ws: aiohttp.ClientWebSocketResponse) -> object:
    msg = await asyncio.wait_for(ws.receive(), 5)
    assert msg.type is aiohttp.WSMsgType.TEXT, msg
    return json.loads(msg.data)


async def expect_close(ws: aiohttp.ClientWebSocketResponse, code: int) -> None:
    msg = await asyncio.wait_for(ws.receive(), 5)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING), msg
    assert ws.close_code == code


async def test_plain_get_is_404_and_missing_subprotocol_is_403(
    sim: OispSimulator, session: aiohttp.ClientSession
) -> None:
    async with session.get(sim.url().replace("ws://", "http://")) as response:
        assert response.status == 404
    with pytest.raises(aiohttp.WSServerHandshakeError) as info:
        await open_ws(session, sim, protocols=())
    assert info.value.status == 403
    with pytest.raises(aiohttp.WSServerHandshakeError):
        await open_ws(session, sim, protocols=("other",))
    ws = await open_ws(session, sim, "/some/path?x=1", protocols=("foo", "echo-protocol"))
    assert ws.protocol == "echo-protocol"
    await ws.close()


async def test_ping_before_and_after_registration_and_ignored_messages(
    sim: OispSimulator, session: aiohttp.ClientSession
) -> None:
    ws = await open_ws(session, sim)
    await ws.send_str('{"type":"ping","extra":1}')
    assert await next_json(ws) == {"code": 202, "content": "PONG"}
    for ignored in ("[1,2]", '{"no":"type"}', '{"type":"unknown"}', "42"):
        await ws.send_str(ignored)
    await ws.send_str(json.dumps({"type": "device", "deviceId": DEV, "deviceToken": sim.issue_token(DEV, ACC)}))
    await ws.send_str('{"type":"ping"}')
    await ws.send_str('{"type":"ping"}')
    # silence on success: the next frames are the two PONGs
    assert await next_json(ws) == {"code": 202, "content": "PONG"}
    assert await next_json(ws) == {"code": 202, "content": "PONG"}
    assert sim.registrations[DEV] == 1
    await ws.close()


@pytest.mark.parametrize(
    "send",
    [
        lambda ws: ws.send_bytes(b"\x00binary"),
        lambda ws: ws.send_str("not json"),
        lambda ws: ws.send_str("null"),
    ],
    ids=["binary", "not-json", "null"],
)
async def test_malformed_input_gets_401_and_close_1003(
    sim: OispSimulator, session: aiohttp.ClientSession, send: object
) -> None:
    ws = await open_ws(session, sim)
    await send(ws)  # type: ignore[operator]
    assert await next_json(ws) == {"code": 401, "content": "Wrong message format"}
    await expect_close(ws, 1003)


@pytest.mark.parametrize("case", ["expired", "wrong-sub", "numeric-sub", "missing", "nbf", "alg-none", "hs256"])
async def test_bad_token_gets_401_and_close_1008(sim: OispSimulator, session: aiohttp.ClientSession, case: str) -> None:
    def unsigned(alg: str) -> str:
        head = base64.urlsafe_b64encode(json.dumps({"alg": alg, "typ": "JWT"}).encode()).rstrip(b"=").decode()
        body = base64.urlsafe_b64encode(json.dumps({"sub": DEV, "accounts": [{"id": ACC}]}).encode())
        return f"{head}.{body.rstrip(b'=').decode()}."

    message: dict[str, object] = {"type": "device", "deviceId": DEV}
    if case == "expired":
        message["deviceToken"] = sim.issue_token(DEV, ACC, ttl=-1, exp_in_ms=False)
    elif case == "wrong-sub":
        message["deviceToken"] = sim.issue_token("other", ACC)
    elif case == "numeric-sub":
        message["deviceId"] = 5
        message["deviceToken"] = sim.issue_token("5", ACC)
    elif case == "nbf":
        message["deviceToken"] = sim.issue_token(DEV, ACC, not_before=4_000_000_000)
    elif case == "alg-none":
        message["deviceToken"] = unsigned("none")
    elif case == "hs256":
        message["deviceToken"] = jwt.encode({"sub": DEV, "accounts": [{"id": ACC}]}, "k" * 32, algorithm="HS256")
    ws = await open_ws(session, sim)
    await ws.send_str(json.dumps(message))
    assert await next_json(ws) == {"code": 401, "content": "Invalid device token for device"}
    await expect_close(ws, 1008)
    assert sim.rejections == 1


@pytest.mark.parametrize("accounts", [None, []])
async def test_token_without_accounts_is_wrong_format(
    sim: OispSimulator, session: aiohttp.ClientSession, accounts: object
) -> None:
    claims: dict[str, object] = {"sub": DEV}
    if accounts is not None:
        claims["accounts"] = accounts
    ws = await open_ws(session, sim)
    await ws.send_str(json.dumps({"type": "device", "deviceId": DEV, "deviceToken": sim.keys.sign(claims)}))
    assert await next_json(ws) == {"code": 401, "content": "Wrong message format"}
    await expect_close(ws, 1003)


async def test_second_registration_on_one_socket_closes_it(sim: OispSimulator, session: aiohttp.ClientSession) -> None:
    register = json.dumps({"type": "device", "deviceId": DEV, "deviceToken": sim.issue_token(DEV, ACC)})
    ws = await open_ws(session, sim)
    await ws.send_str(register)
    await ws.send_str(register)
    await expect_close(ws, 1000)


async def test_second_socket_kicks_the_first_and_gets_actuations(
    sim: OispSimulator, session: aiohttp.ClientSession
) -> None:
    register = json.dumps({"type": "device", "deviceId": DEV, "deviceToken": sim.issue_token(DEV, ACC)})
    first = await open_ws(session, sim)
    await first.send_str(register)
    await first.send_str('{"type":"ping"}')
    await next_json(first)
    second = await open_ws(session, sim)
    await second.send_str(register)
    await expect_close(first, 1000)
    await second.send_str('{"type":"ping"}')
    await next_json(second)
    assert await sim.actuate(ACC, DEV, "LED.v1.0", {"LED": "1"}) == 1
    message = await next_json(second)
    assert isinstance(message, dict) and message["code"] == 1024
    assert message["content"]["content"]["params"] == [{"name": "LED", "value": "1"}]
    await second.close()


async def test_frame_over_64_kib_closes_with_1009(sim: OispSimulator, session: aiohttp.ClientSession) -> None:
    ws = await open_ws(session, sim)
    await ws.send_str(json.dumps({"type": "ping", "pad": "x" * (64 * 1024)}))
    await expect_close(ws, 1009)


async def test_duplicates_and_blind_window_switches(oisp_token_keys: TokenKeys, session: aiohttp.ClientSession) -> None:
    async with OispSimulator(keys=oisp_token_keys, duplicates=True, blind_window=0.3) as sim:
        sockets = []
        for i in range(3):
            ws = await open_ws(session, sim)
            token = sim.issue_token(f"d{i}", ACC)
            await ws.send_str(json.dumps({"type": "device", "deviceId": f"d{i}", "deviceToken": token}))
            await ws.send_str('{"type":"ping"}')
            await next_json(ws)
            sockets.append(ws)
        assert await sim.actuate(ACC, "d0", "X", {}) == 0  # inside the blind window: lost
        await asyncio.sleep(0.35)
        assert await sim.actuate(ACC, "d0", "X", {}) == 3
        frames = [await next_json(sockets[0]) for _ in range(3)]
        assert len({json.dumps(f) for f in frames}) == 1
        for ws in sockets:
            await ws.close()


async def test_legacy_200(oisp_token_keys: TokenKeys, session: aiohttp.ClientSession) -> None:
    async with OispSimulator(keys=oisp_token_keys, legacy_200=True, blind_window=0) as sim:
        ws = await open_ws(session, sim)
        await ws.send_str(json.dumps({"type": "device", "deviceId": DEV, "deviceToken": sim.issue_token(DEV, ACC)}))
        assert await next_json(ws) == {"code": 200, "content": "Record in database update for device"}
        await ws.close()


async def test_control_path_publishes_actuations(sim: OispSimulator, session: aiohttp.ClientSession) -> None:
    device = await open_ws(session, sim)
    await device.send_str(json.dumps({"type": "device", "deviceId": DEV, "deviceToken": sim.issue_token(DEV, ACC)}))
    await device.send_str('{"type":"ping"}')
    await next_json(device)
    control = await open_ws(session, sim, CONTROL_PATH)
    body = {"type": "command", "transport": "ws", "content": {"deviceId": DEV, "command": "C", "params": []}}
    await control.send_str(json.dumps({"type": "actuation", "accountId": ACC, "deviceId": DEV, "body": body}))
    assert await next_json(control) == {"code": 200, "content": {"delivered": 1}}
    assert await next_json(device) == {"code": 1024, "content": body}
    await control.send_str("{}")
    reply = await next_json(control)
    assert isinstance(reply, dict) and reply["code"] == 400
    await control.close()
    await device.close()


def test_tokens_are_standard_rs256_jwts(oisp_token_keys: TokenKeys, tmp_path: Path) -> None:
    keys = oisp_token_keys
    token = keys.issue(DEV, ACC)
    public_pem = keys.public_pem()
    claims = jwt.decode(token, public_pem, algorithms=["RS256"], options={"verify_exp": False})
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert claims["sub"] == DEV and claims["accounts"] == [{"id": ACC, "role": "device"}]
    assert claims["exp"] > 10**12  # milliseconds, as the platform writes it
    verifier = TokenKeys(keys.n, keys.e)  # a public key alone verifies, and cannot issue
    assert verifier.verify(token)["sub"] == DEV
    with pytest.raises(UsageError, match="cannot issue"):
        verifier.issue(DEV, ACC)
    with pytest.raises(InvalidToken):
        verifier.verify(TokenKeys.generate().issue(DEV, ACC))  # signed by another key
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(InvalidToken):
        verifier.verify(tampered)
    with pytest.raises(InvalidToken):
        # HMAC is refused
        verifier.verify(jwt.encode({"sub": DEV}, "a shared secret of 32 bytes or more", algorithm="HS256"))
    # a directory holding only public.pem verifies, like the real server's keys/public.pem
    (tmp_path / "public.pem").write_bytes(public_pem)
    assert TokenKeys.load(tmp_path).verify(token)["sub"] == DEV
    # the numbers form builds the same pair
    private = serialization.load_pem_private_key(keys.private_pem(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    assert keys.verify(TokenKeys(keys.n, keys.e, private.private_numbers().d).issue(DEV, ACC))["sub"] == DEV


async def test_a_key_directory_keeps_tokens_valid_across_simulators(tmp_path: Path) -> None:
    async with OispSimulator(key_dir=tmp_path, legacy_200=True) as first:
        token = first.issue_token(DEV, ACC)
    async with aiohttp.ClientSession() as session, OispSimulator(key_dir=tmp_path, legacy_200=True) as second:
        ws = await open_ws(session, second)
        await ws.send_str(json.dumps({"type": "device", "deviceId": DEV, "deviceToken": token}))
        assert await next_json(ws) == {"code": 200, "content": "Record in database update for device"}
        await ws.close()
    kept = await asyncio.to_thread(lambda: sorted(p.name for p in tmp_path.iterdir()))
    assert kept == [".gitignore", "private.pem", "public.pem"]


# -- issue 11, item 13: the real server's quirks are the defaults, each with a switch ----------
async def register_raw(
    session: aiohttp.ClientSession, sim: OispSimulator, *devices: str
) -> aiohttp.ClientWebSocketResponse:
    """One socket registering ``devices`` in turn; a PONG confirms each registration was handled."""
    ws = await open_ws(session, sim)
    for device_id in devices:
        await ws.send_str(json.dumps({"type": "device", "deviceId": device_id,
                                      "deviceToken": sim.issue_token(device_id, ACC)}))
        await ws.send_str('{"type":"ping"}')
        assert await next_json(ws) == {"code": 202, "content": "PONG"}
    return ws


def test_defaults_are_the_real_servers() -> None:
    sim = OispSimulator()
    assert sim.duplicates is True
    assert sim.blind_window == 3.0
    assert sim.keep_open_for_other_device is True
    assert sim.close_on_reregister is True and sim.kick_previous is True


async def test_duplicates_by_default(oisp_token_keys: TokenKeys, session: aiohttp.ClientSession) -> None:
    async with OispSimulator(keys=oisp_token_keys, blind_window=0) as sim:
        first = await register_raw(session, sim, "d0")
        second = await register_raw(session, sim, "d1")
        assert await sim.actuate(ACC, "d0", "X", {}) == 2  # one copy per registration since start
        frames = [await next_json(first) for _ in range(2)]
        assert frames[0] == frames[1]
        await first.close()
        await second.close()


async def test_blind_window_by_default(oisp_token_keys: TokenKeys, session: aiohttp.ClientSession) -> None:
    async with OispSimulator(keys=oisp_token_keys, duplicates=False) as sim:
        assert await sim.actuate(ACC, "d0", "X", {}) == 0  # nobody bound yet
        ws = await register_raw(session, sim, "d0")
        assert await sim.actuate(ACC, "d0", "X", {}) == 0  # right after the first registration: lost
        await ws.close()


async def test_second_device_on_one_socket_keeps_it_open_by_default(
    oisp_token_keys: TokenKeys, session: aiohttp.ClientSession
) -> None:
    async with OispSimulator(keys=oisp_token_keys, duplicates=False, blind_window=0) as sim:
        ws = await register_raw(session, sim, "d0", "d1")  # still open: the PONG after d1 came
        assert await sim.actuate(ACC, "d1", "FOR_D1", {}) == 1
        assert await sim.actuate(ACC, "d0", "FOR_D0", {}) == 1
        commands = [(await next_json(ws))["content"]["content"]["command"] for _ in range(2)]  # type: ignore[index]
        assert commands == ["FOR_D1", "FOR_D0"]
        await ws.close()
        await asyncio.sleep(0.05)
        assert "acc-1/d0" not in sim.bindings  # only the first binding is cleaned up on close...
        assert await sim.actuate(ACC, "d1", "LOST", {}) == 0  # ...the other points at a closed socket


async def test_switches_turn_the_quirks_off(oisp_token_keys: TokenKeys, session: aiohttp.ClientSession) -> None:
    async with OispSimulator(
        keys=oisp_token_keys, duplicates=False, blind_window=0, keep_open_for_other_device=False
    ) as sim:
        other = await register_raw(session, sim, "d9")
        ws = await register_raw(session, sim, "d0")
        assert await sim.actuate(ACC, "d0", "X", {}) == 1  # at once, one copy
        assert (await next_json(ws))["content"]["content"]["command"] == "X"  # type: ignore[index]
        await ws.send_str(json.dumps({"type": "device", "deviceId": "d1", "deviceToken": sim.issue_token("d1", ACC)}))
        await expect_close(ws, 1000)
        await other.close()


async def test_platform_side_can_be_off_like_a_real_server(
    oisp_token_keys: TokenKeys, session: aiohttp.ClientSession
) -> None:
    async with OispSimulator(keys=oisp_token_keys, platform_side=False) as sim:
        with pytest.raises(aiohttp.WSServerHandshakeError) as info:
            await open_ws(session, sim, CONTROL_PATH, protocols=(CONTROL_SUBPROTOCOL,))
        assert info.value.status == 403
        ws = await open_ws(session, sim, CONTROL_PATH)  # a device path like any other
        await ws.send_str('{"type":"stats"}')  # unknown type: ignored, as the real server does
        await ws.send_str('{"type":"ping"}')
        assert await next_json(ws) == {"code": 202, "content": "PONG"}
        await ws.close()
