"""Rows 1-4: event streams from the push server, typed clients against raw clients and the peer.

Each protocol's stream is read by:

* the raw async client: ``aiohttp`` ``ws.receive()`` + ``json.loads`` (``cbor2.loads`` for Xentara)
  of every message, after the same opening exchange sent by hand;
* the raw sync client: ``websocket-client`` ``ws.recv()`` + the same decoding;
* iotws's ``AsyncClient`` / ``Client``, counting the protocol's stream events from ``events()``
  (``events(timeout=10)`` for row 3);
* for EVOK, the PyPI peer ``evok-ws-client`` 0.0.4 (``evok_receive()`` per message, which
  ``json.loads`` it and updates its relay-state table).

The clock starts just before the message that makes the server stream (the *go*: EVOK's
``all``, which the typed client sends inside ``connect()``, so EVOK's clock starts before the
connection for all three readers; Globiots' subscription; Xentara's subscribe; OISP's ``ping``;
the farmws dashboard's first message) and stops when the last event of the stream is in the
reader's hands. Rates are events per second: an 8-event Xentara message counts 8.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cbor2

from tests.bench import frames
from tests.bench.harness import (
    Clock,
    Context,
    Result,
    Sample,
    close_raw_sync,
    error,
    interleave,
    na,
    rate_result,
    raw_sync_connection,
)

PROTOCOLS = ("evok", "globiots", "xentara", "oisp", "farmws")
#: Budgets: row 2 (async typed / raw), row 3 (events(timeout) / events()), row 4 (sync typed / raw).
ASYNC_BUDGET = {"evok": 0.8, "globiots": 0.7, "xentara": 0.7, "oisp": 0.7, "farmws": 0.7}
TIMEOUT_BUDGET = 0.9
SYNC_BUDGET = 0.6
PEER_BUDGET = 1.5
#: The longest a stream may take before the row is reported as an error.
DEADLINE = 120.0


@dataclass
class Spec:
    """How each reader opens a protocol's stream."""

    protocol: str
    kind: str
    path: str  # what the client adds to the base URL
    per_message: int  # events per streamed message
    binary: bool
    opening: list[Any]  # raw: (frame, replies to read) sent before the clock starts
    go: list[Any]  # raw: (frame, replies to read) sent after it
    subprotocols: tuple[str, ...] = ()
    clock_before_connect: bool = False

    def url(self, port: int, count: int) -> str:
        return f"ws://127.0.0.1:{port}/{self.protocol}/{self.kind}/{count}{self.path}"

    def base(self, port: int, count: int) -> str:
        return f"ws://127.0.0.1:{port}/{self.protocol}/{self.kind}/{count}"


def spec(protocol: str, kind: str = "") -> Spec:
    if protocol == "evok":
        go = [(frames.EVOK_ALL_REQUEST, 1)]
        return Spec("evok", kind or "ai", "/ws", 1, False, [], go, clock_before_connect=True)
    if protocol == "globiots":
        return Spec("globiots", "push8", "/realtime", 1, False, [], [(frames.globiots_request(8), 0)])
    if protocol == "xentara":
        opening, go = [(frames.XENTARA_HELLO, 1)], [(frames.xentara_subscribe(2), 1)]
        return Spec("xentara", "events", "/api/ws", 8, True, opening, go)
    if protocol == "oisp":
        return Spec(
            "oisp",
            "actuations",
            "/",
            1,
            False,
            [(frames.oisp_registration(), 0)],
            [(frames.OISP_PING, 1)],
            subprotocols=("echo-protocol",),
        )
    if protocol == "farmws":
        return Spec("farmws", "events", "/clients/1", 1, False, [], [(frames.FARMWS_GO, 0)])
    raise KeyError(protocol)


# -- raw readers ---------------------------------------------------------------------------------


async def raw_async(s: Spec, port: int, count: int) -> Sample:
    import aiohttp

    loads: Callable[[Any], Any] = cbor2.loads if s.binary else json.loads
    clock = Clock()
    async with aiohttp.ClientSession() as session:
        if s.clock_before_connect:
            clock.start()
        ws = await session.ws_connect(s.url(port, count), protocols=s.subprotocols)
        for step, (frame, replies) in enumerate([*s.opening, *s.go]):
            if step == len(s.opening) and not s.clock_before_connect:
                clock.start()
            await (ws.send_bytes(frame) if isinstance(frame, bytes) else ws.send_str(frame))
            for _ in range(replies):
                loads((await ws.receive()).data)
        receive = ws.receive
        for _ in range(count):
            loads((await receive()).data)
        sample = clock.stop(count * s.per_message)
        await ws.close()
    return sample


def raw_sync(s: Spec, port: int, count: int) -> Sample:
    loads: Callable[[Any], Any] = cbor2.loads if s.binary else json.loads
    clock = Clock()
    if s.clock_before_connect:
        clock.start()
    ws = raw_sync_connection(s.url(port, count), DEADLINE, subprotocols=list(s.subprotocols) or None)
    try:
        for step, (frame, replies) in enumerate([*s.opening, *s.go]):
            if step == len(s.opening) and not s.clock_before_connect:
                clock.start()
            if isinstance(frame, bytes):
                ws.send_binary(frame)
            else:
                ws.send(frame)
            for _ in range(replies):
                loads(ws.recv())
        recv = ws.recv
        for _ in range(count):
            loads(recv())
        return clock.stop(count * s.per_message)
    finally:
        close_raw_sync(ws)


# -- typed readers ------------------------------------------------------------------------------


def _typed_parts(s: Spec) -> tuple[Callable[..., Any], Callable[..., Any], Callable[[Any], Any], Any, type]:
    """(async client factory, sync client factory, go(client), base-or-url kind, stream event type)."""
    if s.protocol == "evok":
        from iotws.evok import AsyncClient, Client, DeviceChanged

        return AsyncClient, Client, lambda c: None, "url", DeviceChanged
    if s.protocol == "globiots":
        from iotws.globiots import AsyncClient, Client, Point, RealtimeUpdate

        points = [Point(h, a, t, n) for h, a, t, n in frames.globiots_points(8)]
        return AsyncClient, Client, lambda c: c.subscribe(points, update_time=1), "base", RealtimeUpdate
    if s.protocol == "xentara":
        from iotws.xentara import AsyncClient, Client, DataChange

        def go(c: Any) -> Any:
            return c.subscribe(frames.XENTARA_ELEMENTS, subscription_id=frames.XENTARA_SUBSCRIPTION)

        return AsyncClient, Client, go, "url", DataChange
    if s.protocol == "oisp":
        from iotws.oisp import Actuation, AsyncClient, Client

        def oisp_async(url: str, **options: Any) -> Any:
            return AsyncClient(url, frames.OISP_DEVICE, "eyJ.bench.sig", grace=0.05, **options)

        def oisp_sync(url: str, **options: Any) -> Any:
            return Client(url, frames.OISP_DEVICE, "eyJ.bench.sig", grace=0.05, **options)

        return oisp_async, oisp_sync, lambda c: c.ping(), "url", Actuation
    if s.protocol == "farmws":
        from iotws.farmws import AsyncDashboardClient, DashboardClient, FarmEvent

        def farm_async(base: str, **options: Any) -> Any:
            return AsyncDashboardClient(base, client_id="1", **options)

        def farm_sync(base: str, **options: Any) -> Any:
            return DashboardClient(base, client_id="1", **options)

        return farm_async, farm_sync, lambda c: c.send("bench_start", {}), "base", FarmEvent
    raise KeyError(s.protocol)


def _counts(s: Spec, event_type: type) -> Callable[[object], bool]:
    if s.protocol == "evok":
        return lambda event: isinstance(event, event_type) and not event.resync  # type: ignore[attr-defined]
    return lambda event: isinstance(event, event_type)


async def typed_async(s: Spec, port: int, count: int, timeout: float | None = None) -> Sample:
    make, _, go, address, event_type = _typed_parts(s)
    counts = _counts(s, event_type)
    target = count * s.per_message
    where = s.url(port, count) if address == "url" else s.base(port, count)
    client = make(where, event_queue_size=target + 1000, reconnect=None)
    clock = Clock()
    seen = 0
    try:
        async with asyncio.timeout(DEADLINE):
            if s.clock_before_connect:
                clock.start()
            await client.connect()
            if not s.clock_before_connect:
                clock.start()
                await go(client)
            events = client.events() if timeout is None else client.events(timeout=timeout)
            async for event in events:
                if counts(event):
                    seen += 1
                    if seen == target:
                        break
            sample = clock.stop(target)
        dropped = client.dropped_events
    finally:
        await client.close()
    if seen != target or dropped:
        raise RuntimeError(f"{s.protocol}: {seen} of {target} events, {dropped} dropped")
    return sample


def typed_sync(s: Spec, port: int, count: int) -> Sample:
    _, make, go, address, event_type = _typed_parts(s)
    counts = _counts(s, event_type)
    target = count * s.per_message
    where = s.url(port, count) if address == "url" else s.base(port, count)
    client = make(where, event_queue_size=target + 1000, reconnect=None)
    watchdog = threading.Timer(DEADLINE, client.close)  # a stalled stream ends events() instead of hanging
    watchdog.start()
    clock = Clock()
    seen = 0
    try:
        if s.clock_before_connect:
            clock.start()
        client.connect()
        if not s.clock_before_connect:
            clock.start()
            go(client)
        for event in client.events():
            if counts(event):
                seen += 1
                if seen == target:
                    break
        sample = clock.stop(target)
        dropped = client.dropped_events
    finally:
        watchdog.cancel()
        client.close()
    if seen != target or dropped:
        raise RuntimeError(f"{s.protocol}: {seen} of {target} events, {dropped} dropped")
    return sample


# -- the peer ------------------------------------------------------------------------------------


def peer_available() -> str | None:
    """Why the peer cannot run here (``None``: it can)."""
    try:
        from importlib.metadata import version

        found = version("evok-ws-client")
    except Exception:
        return "evok-ws-client is not installed (nox -s bench installs evok-ws-client==0.0.4)"
    if found != "0.0.4":
        return f"evok-ws-client {found} is installed, the row is defined against 0.0.4"
    return None


async def peer_async(s: Spec, port: int, count: int) -> Sample:
    """evok-ws-client 0.0.4 as its README uses it: connect, full state sync, then evok_receive() per message."""
    from evok_ws_client import UnipiEvokWsClient

    changes = []
    neuron = UnipiEvokWsClient(f"127.0.0.1:{port}/evok/{s.kind}/{count}", "M203", "bench")
    clock = Clock()
    async with asyncio.timeout(DEADLINE):
        clock.start()
        if not await neuron.evok_connect():
            raise RuntimeError("evok-ws-client did not connect")
        await neuron.evok_full_state_sync()
        await neuron.evok_receive(True, lambda *change: changes.append(change))  # the `all` reply
        receive = neuron.evok_receive
        for _ in range(count):
            if await receive(True, lambda *change: changes.append(change)) is False:
                raise RuntimeError("evok-ws-client lost the connection")
        sample = clock.stop(count)
    await neuron._ws.close()  # its evok_close() calls websockets.close(), which websockets does not have
    return sample


# -- the rows ------------------------------------------------------------------------------------


def _async(fn: Callable[..., Any], *args: Any) -> Callable[[], Sample]:
    return lambda: asyncio.run(fn(*args))


def rows_peer(ctx: Context) -> list[Result]:
    """Row 1: the EVOK AsyncClient against evok-ws-client on the same frames (ai, then ro)."""
    out = []
    for kind in ("ai", "ro"):
        name = f"1 EVOK {kind} stream: AsyncClient / evok-ws-client"
        missing = peer_available()
        if missing:
            out.append(na(name, "rate", PEER_BUDGET, missing))
            continue
        try:
            s = spec("evok", kind)
            port = ctx.servers.get("push").port
            n = ctx.count(20_000, 200)
            pairs = interleave(_async(peer_async, s, port, n), _async(typed_async, s, port, n), ctx.rounds, ctx.warmup)
            out.append(rate_result(name, pairs, PEER_BUDGET))
        except Exception as exc:
            out.append(error(name, "rate", PEER_BUDGET, exc))
    return out


def _rate_rows(
    ctx: Context,
    label: str,
    budget_of: Callable[[str], float],
    sides: Callable[[Spec, int, int], tuple[Callable[[], Sample], Callable[[], Sample]]],
) -> list[Result]:
    """One rate row per protocol: ``sides(spec, port, messages)`` gives (baseline, subject)."""
    out = []
    for protocol in PROTOCOLS:
        name = label.format(protocol=protocol)
        budget = budget_of(protocol)
        try:
            s = spec(protocol)
            baseline, subject = sides(s, ctx.servers.get("push").port, _messages(ctx, s))
            out.append(rate_result(name, interleave(baseline, subject, ctx.rounds, ctx.warmup), budget))
        except Exception as exc:
            out.append(error(name, "rate", budget, exc))
    return out


def rows_async(ctx: Context) -> list[Result]:
    """Row 2: async typed stream / raw aiohttp + json.loads (cbor2.loads), every protocol."""
    return _rate_rows(
        ctx,
        "2 async stream {protocol}: events() / aiohttp",
        ASYNC_BUDGET.__getitem__,
        lambda s, port, n: (_async(raw_async, s, port, n), _async(typed_async, s, port, n)),
    )


def rows_timeout(ctx: Context) -> list[Result]:
    """Row 3: events(timeout=10) / events(), every protocol."""
    return _rate_rows(
        ctx,
        "3 events(timeout=10) {protocol}: / events()",
        lambda protocol: TIMEOUT_BUDGET,
        lambda s, port, n: (_async(typed_async, s, port, n), _async(typed_async, s, port, n, 10.0)),
    )


def rows_sync(ctx: Context) -> list[Result]:
    """Row 4: sync typed stream / raw websocket-client + json.loads (cbor2.loads), every protocol."""
    return _rate_rows(
        ctx,
        "4 sync stream {protocol}: events() / websocket-client",
        lambda protocol: SYNC_BUDGET,
        lambda s, port, n: (lambda: raw_sync(s, port, n), lambda: typed_sync(s, port, n)),
    )


def _messages(ctx: Context, s: Spec) -> int:
    """Messages per stream: about 20,000 events (8-event Xentara messages: 2,500)."""
    return ctx.count(20_000 // s.per_message, max(1, 200 // s.per_message))
