"""Both drivers, one scenario table: the echo protocol against its simulator on loopback."""

from __future__ import annotations

import asyncio
import base64
import ssl
import time
from collections.abc import Iterator
from typing import Any

import pytest
import trustme

from iotws.backoff import ReconnectPolicy
from iotws.client import AsyncClientBase, SyncClientBase
from iotws.errors import (
    AuthenticationError,
    ConnectError,
    ConnectionClosed,
    HandshakeError,
    RemoteError,
    RequestTimeout,
    TLSError,
)
from iotws.events import Connected, Disconnected, ProtocolViolation, Reconnected, Stopped
from iotws.options import BasicAuth
from iotws.testing import open_client, resolve, take_events, wait_until

from .echo import AsyncEchoClient, EchoClient, EchoCore, EchoSimulator, Pushed

FAST = ReconnectPolicy(initial_delay=0.05, max_delay=0.2, jitter=0.1)


@pytest.fixture
def sim() -> Iterator[EchoSimulator]:
    simulator = EchoSimulator()
    with simulator.run():
        yield simulator


def client(flavour: str, url: str, **kwargs: Any) -> Any:
    kwargs.setdefault("reconnect", FAST)
    return open_client(flavour, EchoClient, AsyncEchoClient, url, **kwargs)


async def test_connect_and_exchange(flavour: str, sim: EchoSimulator) -> None:
    async with client(flavour, sim.url()) as c:
        assert c.connected
        assert await resolve(c.echo({"n": 1})) == {"n": 1}
        assert await resolve(c.push(["a", "b"])) == 2
        connected, *pushed = await take_events(c, 3, timeout=5)
        assert isinstance(connected, Connected)
        assert pushed == [Pushed("a"), Pushed("b")]
    assert not c.connected
    assert sim.hellos == [1]


async def test_concurrent_requests_are_matched(flavour: str, sim: EchoSimulator) -> None:
    async with client(flavour, sim.url()) as c:
        if flavour == "async":
            results = await asyncio.gather(*(c.echo(i) for i in range(200)))
        else:
            loop = asyncio.get_running_loop()
            results = await asyncio.gather(*(loop.run_in_executor(None, c.echo, i) for i in range(50)))
        assert results == list(range(len(results)))


async def test_remote_error_raises_and_client_keeps_working(flavour: str, sim: EchoSimulator) -> None:
    async with client(flavour, sim.url()) as c:
        with pytest.raises(RemoteError, match="boom"):
            await resolve(c.fail("boom"))
        assert await resolve(c.echo(7)) == 7


async def test_request_timeout(flavour: str, sim: EchoSimulator) -> None:
    async with client(flavour, sim.url(), request_timeout=0.2) as c:
        with pytest.raises(RequestTimeout, match=r"no reply within 0\.2 s"):
            await resolve(c.sleep(0.6))
        # the late reply is ignored and never completes a newer request
        await asyncio.sleep(0.6)
        assert await resolve(c.echo("after")) == "after"


async def test_server_restart_reconnects_and_replays_on_connect(flavour: str, sim: EchoSimulator) -> None:
    async with client(flavour, sim.url()) as c:
        await take_events(c, 1, of_type=Connected)
        sim.call(sim.stop())
        disconnected = (await take_events(c, 1, of_type=Disconnected))[0]
        assert disconnected.will_reconnect
        with pytest.raises(ConnectionClosed, match="reconnecting"):
            await resolve(c.echo(1))
        await asyncio.sleep(0.3)  # a few refused attempts with backoff
        sim.call(sim.start())
        reconnected = (await take_events(c, 1, of_type=Reconnected))[0]
        assert reconnected.attempts >= 1
        assert await resolve(c.echo("back")) == "back"
        assert sim.hellos == [1, 2]  # on_connect() frames were sent again


async def test_close_during_backoff_returns_promptly(flavour: str, sim: EchoSimulator) -> None:
    slow = ReconnectPolicy(initial_delay=30, max_delay=30, jitter=0)
    async with client(flavour, sim.url(), reconnect=slow) as c:
        sim.call(sim.stop())
        await take_events(c, 1, of_type=Disconnected)
        await asyncio.sleep(0.1)  # now sleeping 30 s before the next attempt
        started = time.monotonic()
        await resolve(c.close())
        assert time.monotonic() - started < 1.0
        assert not c.connected


async def test_in_flight_request_fails_when_link_drops(flavour: str, sim: EchoSimulator) -> None:
    async with client(flavour, sim.url(), request_timeout=5) as c:
        if flavour == "async":
            pending = asyncio.ensure_future(c.sleep(3))
        else:
            pending = asyncio.get_running_loop().run_in_executor(None, c.sleep, 3)
        await wait_until(lambda: sim.sleeping == 1)  # the request reached the server
        assert sim.call(sim.drop_connections()) == 1
        with pytest.raises(ConnectionClosed, match="in flight"):
            await pending
        await take_events(c, 1, of_type=Reconnected)
        assert await resolve(c.echo("next")) == "next"  # nothing replayed, new work goes through


async def test_garbage_frame_is_surfaced_and_connection_keeps_working(flavour: str, sim: EchoSimulator) -> None:
    async with client(flavour, sim.url()) as c:
        await take_events(c, 1, of_type=Connected)
        assert sim.call(sim.send_garbage()) == 1
        violation = (await take_events(c, 1, of_type=ProtocolViolation))[0]
        assert "not JSON" in str(violation.error)
        assert violation.error.frame is not None
        assert await resolve(c.echo("still here")) == "still here"
        assert c.connected


async def test_invalid_utf8_text_is_a_protocol_violation(flavour: str, sim: EchoSimulator) -> None:
    async with client(flavour, sim.url()) as c:
        await take_events(c, 1, of_type=Connected)

        async def send_bad() -> None:
            for conn in sim.connections:
                # a text frame whose payload is not UTF-8
                # (aiohttp's public API refuses to send it, so use its frame writer)
                await conn.ws._writer.send_frame(b"\xff\xfe", 0x1)  # type: ignore[union-attr]

        sim.call(send_bad())
        event = (await take_events(c, 1, of_type=(ProtocolViolation, Disconnected)))[0]
        # both drivers decode text themselves: a violation, and the link stays up
        assert isinstance(event, ProtocolViolation)
        assert c.connected
        assert await resolve(c.echo("ok")) == "ok"
        assert sim.hellos == [1]


async def test_slow_consumer_bounded_queue_counts_drops(flavour: str, sim: EchoSimulator) -> None:
    async with client(flavour, sim.url(), event_queue_size=5) as c:
        assert await resolve(c.push(list(range(50)))) == 50
        assert c.dropped_events == 46  # Connected + 50 pushes into 5 slots
        events = await take_events(c, 5, timeout=2)
        assert events == [Pushed(i) for i in range(45, 50)]


async def test_upgrade_refused_with_401_is_authentication_error(flavour: str, sim: EchoSimulator) -> None:
    sim.faults.refuse_upgrade = 401
    with pytest.raises(AuthenticationError) as info:
        async with client(flavour, sim.url()):
            pass
    assert info.value.status == 401


async def test_a_refused_upgrade_does_not_carry_the_credentials(flavour: str, sim: EchoSimulator) -> None:
    sim.faults.refuse_upgrade = 401
    with pytest.raises(AuthenticationError) as info:
        async with client(flavour, sim.url(), auth=BasicAuth("operator", "s3cret-pw"), headers={"X-Api-Key": "k3y"}):
            pass
    chain = [info.value, info.value.__cause__, info.value.__context__]
    texts = " ".join(repr(e) + str(e) for e in chain if e is not None)
    for secret in ("s3cret-pw", "k3y", base64.b64encode(b"operator:s3cret-pw").decode()):
        assert secret not in texts


async def test_upgrade_refused_with_503_is_handshake_error(flavour: str, sim: EchoSimulator) -> None:
    sim.faults.refuse_upgrade = 503
    with pytest.raises(HandshakeError) as info:
        async with client(flavour, sim.url()):
            pass
    assert info.value.status == 503
    assert not isinstance(info.value, AuthenticationError)


async def test_connection_refused_is_connect_error(flavour: str, free_port: int) -> None:
    with pytest.raises(ConnectError, match="cannot connect"):
        async with client(flavour, f"ws://127.0.0.1:{free_port}/echo", connect_timeout=2):
            pass


async def test_handshake_timeout_when_server_is_silent(flavour: str, sim: EchoSimulator) -> None:
    sim.faults.silent = True  # the welcome never comes
    with pytest.raises(HandshakeError, match="opening exchange"):
        async with client(flavour, sim.url(), connect_timeout=0.5):
            pass


async def test_gives_up_after_max_attempts(flavour: str, sim: EchoSimulator) -> None:
    policy = ReconnectPolicy(initial_delay=0.02, max_delay=0.05, max_attempts=3)
    async with client(flavour, sim.url(), reconnect=policy) as c:
        await take_events(c, 1, of_type=Connected)
        sim.call(sim.stop())
        with pytest.raises(ConnectionClosed, match="for good"):
            await take_events(c, 10, timeout=10)


async def test_no_reconnect_policy_ends_stream(flavour: str, sim: EchoSimulator) -> None:
    async with client(flavour, sim.url(), reconnect=None) as c:
        await take_events(c, 1, of_type=Connected)
        sim.call(sim.drop_connections())
        disconnected = (await take_events(c, 1, of_type=Disconnected))[0]
        assert not disconnected.will_reconnect
        assert isinstance((await take_events(c, 1, timeout=5))[0], Stopped)  # says so, then ends
        with pytest.raises(ConnectionClosed):
            await take_events(c, 1, timeout=5)
        with pytest.raises(ConnectionClosed):
            await resolve(c.echo(1))


async def test_oversized_message_closes_and_reconnects(flavour: str, sim: EchoSimulator) -> None:
    async with client(flavour, sim.url(), max_message_size=1024) as c:
        await take_events(c, 1, of_type=Connected)
        sim.call(sim.broadcast("x" * 4096))
        disconnected = (await take_events(c, 1, of_type=Disconnected))[0]
        assert isinstance(disconnected.error, ConnectionClosed)
        assert disconnected.error.code == 1009
        await take_events(c, 1, of_type=Reconnected)
        assert await resolve(c.echo("small")) == "small"


async def test_headers_and_basic_auth_reach_the_server(flavour: str, sim: EchoSimulator) -> None:
    seen: list[dict[str, str]] = []

    async def record(request: Any) -> None:
        seen.append(dict(request.headers))
        return None

    sim.check_upgrade = record  # type: ignore[method-assign]
    async with client(flavour, sim.url(), headers={"X-Site": "north"}, auth=BasicAuth("op", "pw")) as c:
        assert await resolve(c.echo(1)) == 1
    assert seen[0]["X-Site"] == "north"
    assert seen[0]["Authorization"] == "Basic " + base64.b64encode(b"op:pw").decode()
    assert "pw" not in repr(c.options)


async def test_callbacks_see_events(flavour: str, sim: EchoSimulator) -> None:
    got: list[Pushed] = []
    c = EchoClient(sim.url()) if flavour == "sync" else AsyncEchoClient(sim.url())
    c.on(Pushed, got.append)
    await resolve(c.connect())
    try:
        await resolve(c.push([1, 2, 3]))
        await wait_until(lambda: len(got) == 3)
        assert [p.item for p in got] == [1, 2, 3]
    finally:
        await resolve(c.close())


# -- TLS ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_sim(ca: trustme.CA) -> Iterator[EchoSimulator]:
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    simulator = EchoSimulator(ssl_context=server_ctx)
    with simulator.run():
        yield simulator


async def test_tls_with_custom_ca_file(flavour: str, tls_sim: EchoSimulator, ca: trustme.CA, tmp_path: Any) -> None:
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    assert tls_sim.url().startswith("wss://")
    async with client(flavour, tls_sim.url(), ca_file=ca_file) as c:
        assert await resolve(c.echo("secure")) == "secure"


async def test_tls_with_ssl_context(flavour: str, tls_sim: EchoSimulator, ca: trustme.CA) -> None:
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    async with client(flavour, tls_sim.url(), ssl_context=ctx) as c:
        assert await resolve(c.echo("ctx")) == "ctx"


async def test_tls_without_the_ca_fails_clearly(flavour: str, tls_sim: EchoSimulator) -> None:
    with pytest.raises(TLSError, match="certificate verif"):
        async with client(flavour, tls_sim.url(), connect_timeout=5):
            pass


async def test_tls_verification_opt_out(
    flavour: str, tls_sim: EchoSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    async with client(flavour, tls_sim.url(), verify=False) as c:
        assert await resolve(c.echo("insecure")) == "insecure"
    assert "verification is OFF" in caplog.text


async def test_bad_ca_file_is_tls_error(flavour: str, tls_sim: EchoSimulator, tmp_path: Any) -> None:
    missing = tmp_path / "nope.pem"
    with pytest.raises(TLSError, match="cannot load CA file"):
        async with client(flavour, tls_sim.url(), ca_file=missing):
            pass


async def test_slow_server_delay_fault_times_out_requests(flavour: str, sim: EchoSimulator) -> None:
    async with client(flavour, sim.url(), request_timeout=0.2) as c:
        sim.faults.delay = 0.5
        with pytest.raises(RequestTimeout):
            await resolve(c.echo("slow"))
        sim.faults.delay = 0.0
        await asyncio.sleep(0.5)  # let the delayed answer arrive and be ignored
        assert await resolve(c.echo("fast")) == "fast"


async def test_handshake_grace_period_silence_means_success(flavour: str, sim: EchoSimulator) -> None:
    from .echo import AsyncSilentEchoClient, SilentEchoClient

    sim.faults.silent = True  # no welcome: the core accepts silence after its grace period
    started = time.monotonic()
    async with open_client(flavour, SilentEchoClient, AsyncSilentEchoClient, sim.url(), connect_timeout=30) as c:
        assert c.connected
        assert time.monotonic() - started < 10  # the grace period, not connect_timeout, ended the wait
        sim.faults.silent = False
        assert await resolve(c.echo("registered")) == "registered"


async def test_core_refusal_during_handshake_fails_connect(flavour: str, sim: EchoSimulator) -> None:
    sim.deny = True
    with pytest.raises(AuthenticationError, match="bad credentials"):
        async with client(flavour, sim.url()):
            pass


async def test_core_refusal_after_reconnect_is_final(flavour: str, sim: EchoSimulator) -> None:
    async with client(flavour, sim.url()) as c:
        await take_events(c, 1, of_type=Connected)
        sim.deny = True
        sim.call(sim.drop_connections())
        with pytest.raises(ConnectionClosed, match="bad credentials"):
            await take_events(c, 10, timeout=5)  # not retried: credentials are not transient
        assert sim.hellos == [1, 2]


async def test_drop_forces_a_reconnect(flavour: str, sim: EchoSimulator) -> None:
    async with client(flavour, sim.url()) as c:
        await take_events(c, 1, of_type=Connected)
        c._driver.drop("liveness check failed")
        await take_events(c, 1, of_type=Reconnected)
        assert await resolve(c.echo("again")) == "again"
        assert sim.hellos == [1, 2]


async def test_idle_timeout_reconnects_a_stale_link(flavour: str, sim: EchoSimulator) -> None:
    from .echo import AsyncIdleEchoClient, IdleEchoClient

    async with open_client(flavour, IdleEchoClient, AsyncIdleEchoClient, sim.url(), reconnect=FAST) as c:
        await take_events(c, 1, of_type=Connected)
        disconnected = (await take_events(c, 1, of_type=Disconnected, timeout=5))[0]
        assert "stale" in str(disconnected.error)
        await take_events(c, 1, of_type=Reconnected, timeout=5)
        assert sim.hellos[:2] == [1, 2]


async def test_pings_keep_a_quiet_link_alive(flavour: str, sim: EchoSimulator) -> None:
    async with client(flavour, sim.url(), ping_interval=0.05, ping_timeout=1) as c:
        await take_events(c, 1, of_type=Connected)
        await asyncio.sleep(0.5)  # ~10 ping/pong rounds with no data
        assert c.connected
        assert await resolve(c.echo("alive")) == "alive"
        assert sim.hellos == [1]


async def test_unanswered_pings_mark_the_link_dead(flavour: str, sim: EchoSimulator) -> None:
    sim.faults.no_pongs = True
    async with client(flavour, sim.url(), ping_interval=0.1, ping_timeout=0.2) as c:
        disconnected = (await take_events(c, 1, of_type=Disconnected, timeout=5))[0]
        assert "no pong within 0.2 s" in str(disconnected.error)
        sim.faults.no_pongs = False
        await take_events(c, 1, of_type=Reconnected, timeout=5)
        assert await resolve(c.echo("alive again")) == "alive again"


# -- stopping for good is said in the stream (Stopped), backoff resets after a real comeback --


async def test_giving_up_ends_the_stream_with_stopped(flavour: str, sim: EchoSimulator) -> None:
    policy = ReconnectPolicy(initial_delay=0.02, max_delay=0.05, max_attempts=2)
    async with client(flavour, sim.url(), reconnect=policy) as c:
        await take_events(c, 1, of_type=Connected)
        sim.call(sim.stop())
        seen: list[object] = []
        with pytest.raises(ConnectionClosed, match="for good"):
            await _collect(c, seen)
        assert isinstance(seen[-1], Stopped)
        assert seen[-1].reason.startswith("gave up reconnecting")
        assert isinstance(seen[-1].error, ConnectionClosed)
        assert [type(e) for e in seen[-2:]] == [Disconnected, Stopped]


async def test_a_refused_reconnect_ends_with_stopped_not_a_hopeful_disconnect(flavour: str, sim: EchoSimulator) -> None:
    async with client(flavour, sim.url()) as c:
        await take_events(c, 1, of_type=Connected)
        sim.deny = True
        sim.call(sim.drop_connections())
        stopped = (await take_events(c, 1, of_type=Stopped))[0]
        assert "bad credentials" in stopped.reason
        with pytest.raises(ConnectionClosed, match="bad credentials"):
            await take_events(c, 1, timeout=5)


async def test_no_reconnect_policy_ends_with_stopped(flavour: str, sim: EchoSimulator) -> None:
    async with client(flavour, sim.url(), reconnect=None) as c:
        sim.call(sim.drop_connections())
        stopped = (await take_events(c, 1, of_type=Stopped))[0]
        assert stopped.reason.startswith("link lost and reconnecting is off")


async def test_closing_the_client_ends_with_stopped(flavour: str, sim: EchoSimulator) -> None:
    async with client(flavour, sim.url()) as c:
        await take_events(c, 1, of_type=Connected)
    seen = [event async for event in _events(c)]
    assert seen[-1] == Stopped("closed by the application", None)
    assert [e for e in seen if isinstance(e, Stopped)] == [seen[-1]]  # once


class _FinalOn4000(EchoCore):
    """A core for which the server's close code 4000 means "do not come back"."""

    def close_error(self, code: int | None, reason: str) -> ConnectionClosed | None:
        if code == 4000:
            return ConnectionClosed(f"taken over by another client ({reason})", code=code, reason=reason)
        return None


class _FinalClient(EchoClient):
    def __init__(self, url: str, **options: Any) -> None:
        SyncClientBase.__init__(self, _FinalOn4000(), url, **options)


class _AsyncFinalClient(AsyncEchoClient):
    def __init__(self, url: str, **options: Any) -> None:
        AsyncClientBase.__init__(self, _FinalOn4000(), url, **options)


async def _close_all(sim: EchoSimulator, code: int, reason: str) -> None:
    for conn in list(sim.connections):
        await conn.ws.close(code=code, message=reason.encode())


async def test_a_final_close_from_the_server_stops_without_reconnecting(flavour: str, sim: EchoSimulator) -> None:
    async with open_client(flavour, _FinalClient, _AsyncFinalClient, sim.url(), reconnect=FAST) as c:
        await take_events(c, 1, of_type=Connected)
        sim.call(_close_all(sim, 4000, "second login"))
        disconnected = (await take_events(c, 1, of_type=Disconnected))[0]
        assert not disconnected.will_reconnect
        assert disconnected.error.code == 4000
        assert disconnected.error.reason == "second login"
        stopped = (await take_events(c, 1, of_type=Stopped))[0]
        assert stopped.reason == "taken over by another client (second login)"
        with pytest.raises(ConnectionClosed, match="taken over"):
            await take_events(c, 1, timeout=2)
        assert sim.hellos == [1]  # never came back


async def test_other_close_codes_still_reconnect(flavour: str, sim: EchoSimulator) -> None:
    async with open_client(flavour, _FinalClient, _AsyncFinalClient, sim.url(), reconnect=FAST) as c:
        await take_events(c, 1, of_type=Connected)
        sim.call(_close_all(sim, 1001, "going away"))
        assert (await take_events(c, 1, of_type=Disconnected))[0].will_reconnect
        await take_events(c, 1, of_type=Reconnected)
        assert await resolve(c.echo("back")) == "back"


GROWING = ReconnectPolicy(initial_delay=0.05, factor=4.0, max_delay=5.0, jitter=0.0)


async def test_a_server_that_comes_back_is_reconnected_at_the_first_delay_each_time(
    flavour: str, sim: EchoSimulator
) -> None:
    async with client(flavour, sim.url(), reconnect=GROWING) as c:
        await take_events(c, 1, of_type=Connected)
        for _ in range(3):  # quick restarts, each after the link had been up a moment
            await asyncio.sleep(GROWING.reset_after + 0.2)
            sim.call(sim.drop_connections())
            assert (await take_events(c, 1, of_type=Reconnected))[0].attempts == 1


async def test_a_crash_looping_server_still_meets_growing_delays(flavour: str, sim: EchoSimulator) -> None:
    async with client(flavour, sim.url(), reconnect=GROWING) as c:
        await take_events(c, 1, of_type=Connected)
        counts = []
        for _ in range(3):  # accepted, then dropped at once, again and again
            sim.call(sim.drop_connections())
            counts.append((await take_events(c, 1, of_type=Reconnected))[0].attempts)
        assert counts == [1, 2, 3]


async def _collect(c: Any, into: list[object]) -> None:
    async for event in _events(c):
        into.append(event)


async def _events(c: Any) -> Any:
    """Every event of either flavour until the stream ends (raising what it raises)."""
    if isinstance(c, SyncClientBase):
        for event in c.events(timeout=10):
            yield event
    else:
        async for event in c.events(timeout=10):
            yield event


async def test_a_command_during_a_stalled_handshake_says_so_not_an_old_error(flavour: str, sim: EchoSimulator) -> None:
    async with client(flavour, sim.url(), connect_timeout=30) as c:
        await take_events(c, 1, of_type=Connected)
        sim.call(sim.stop())
        await take_events(c, 1, of_type=Disconnected)
        await asyncio.sleep(0.3)  # reconnect attempts fail with "connection refused" meanwhile
        sim.faults.silent = True  # back, but it never finishes the opening exchange
        sim.call(sim.start())
        await wait_until(lambda: len(sim.hellos) == 2)
        with pytest.raises(ConnectionClosed) as caught:
            await resolve(c.echo(1))
        assert "waiting for the opening exchange" in str(caught.value)
        assert "refused" not in str(caught.value).lower()
        sim.faults.silent = False


async def test_a_server_that_comes_back_with_an_untrusted_certificate_is_refused(
    flavour: str, tls_sim: EchoSimulator, ca: trustme.CA
) -> None:
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    async with client(flavour, tls_sim.url(), ssl_context=ctx) as c:
        await take_events(c, 1, of_type=Connected)
        sim = tls_sim
        sim.call(sim.stop())
        await take_events(c, 1, of_type=Disconnected)
        impostor = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        trustme.CA().issue_cert("127.0.0.1").configure_cert(impostor)  # a CA the client does not trust
        sim.ssl_context = impostor
        sim.call(sim.start())
        stopped = (await take_events(c, 1, of_type=Stopped, timeout=15))[0]
        assert isinstance(stopped.error, ConnectionClosed)
        assert "certificate verif" in stopped.reason  # a TLS failure is final: not retried
        assert sim.hellos == [1]  # nothing was said to the impostor
