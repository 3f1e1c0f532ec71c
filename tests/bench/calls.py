"""Rows 5 and 10: request/response round trips against the push server (its own process).

The push server (:mod:`tests.bench.servers`) answers a Xentara ``read`` with the Value 50.0 and
an OISP ``ping`` with ``PONG``, reading its socket in large chunks, so its share of a round trip
is small and the same for the raw and the typed client.

Row 5, request overhead: a lock-step loop of calls on iotws's client (Xentara ``read()`` of one
element's Value, OISP ``ping()``) and the same loop on a raw connection to the same server
(the same request bytes, ``cbor2.loads`` / ``json.loads`` of each reply), both links open for
the whole row. Each round is 20 alternating blocks of 100 calls per side; the figure is the
typed time per call minus the raw time per call, in microseconds.

Row 10, pipelining: Xentara reads with many in flight, ``asyncio.gather()`` of 500 ``read()``
calls against the raw loop that writes the same 500 requests and then reads the replies, 4
alternating batches per side and round. The figure is typed reads/s over raw reads/s.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import cbor2

from tests.bench import frames
from tests.bench.harness import (
    Clock,
    Context,
    Result,
    Sample,
    ablocked,
    blocked,
    close_raw_sync,
    error,
    overhead_result,
    rate_result,
    raw_sync_connection,
)

ASYNC_OVERHEAD_BUDGET = 20.0
SYNC_OVERHEAD_BUDGET = 25.0
PIPELINE_BUDGET = 0.8
ELEMENT = frames.XENTARA_ELEMENTS[0]
READ, VALUE = 4, 11
TOKEN = "eyJ.bench.sig"
#: The longest a row's connections stay open before a watchdog ends them (a stalled server).
DEADLINE = 600.0


def xentara_url(port: int) -> str:
    return f"ws://127.0.0.1:{port}/xentara/events/0/api/ws"


def oisp_url(port: int) -> str:
    return f"ws://127.0.0.1:{port}/oisp/actuations/0/"


class _Ids:
    def __init__(self) -> None:
        self.next = 100

    def take(self, n: int = 1) -> int:
        first = self.next
        self.next += n
        return first


def _read_request(message_id: int, element: uuid.UUID) -> bytes:
    return cbor2.dumps([[0, message_id, READ, {0: element, 1: [VALUE]}]])


# -- Xentara read --------------------------------------------------------------------------------


async def xentara_async(url: str, calls: int, rounds: int, blocks: int, warmup: int) -> list[tuple[Sample, Sample]]:
    import aiohttp

    from iotws.xentara import AsyncClient

    ids = _Ids()
    element = ELEMENT
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.send_bytes(frames.XENTARA_HELLO)
        cbor2.loads((await ws.receive()).data)
        async with AsyncClient(url, reconnect=None) as client:

            async def raw() -> Sample:
                clock = Clock()
                clock.start()
                for _ in range(calls):
                    message_id = ids.take()
                    await ws.send_bytes(_read_request(message_id, element))
                    reply = cbor2.loads((await ws.receive()).data)
                    if reply[0][1] != message_id:
                        raise RuntimeError(f"raw read: reply {reply!r} to request {message_id}")
                return clock.stop(calls)

            async def typed() -> Sample:
                clock = Clock()
                clock.start()
                for _ in range(calls):
                    await client.read(element)
                return clock.stop(calls)

            return await ablocked(raw, typed, rounds, blocks, warmup)


def xentara_sync(url: str, calls: int, rounds: int, blocks: int, warmup: int) -> list[tuple[Sample, Sample]]:
    from iotws.xentara import Client

    ids = _Ids()
    element = ELEMENT
    ws = raw_sync_connection(url, DEADLINE)
    try:
        ws.send_binary(frames.XENTARA_HELLO)
        cbor2.loads(ws.recv())
        with Client(url, reconnect=None) as client:

            def raw() -> Sample:
                clock = Clock()
                clock.start()
                for _ in range(calls):
                    message_id = ids.take()
                    ws.send_binary(_read_request(message_id, element))
                    reply = cbor2.loads(ws.recv())
                    if reply[0][1] != message_id:
                        raise RuntimeError(f"raw read: reply {reply!r} to request {message_id}")
                return clock.stop(calls)

            def typed() -> Sample:
                clock = Clock()
                clock.start()
                for _ in range(calls):
                    client.read(element)
                return clock.stop(calls)

            return blocked(raw, typed, rounds, blocks, warmup)
    finally:
        close_raw_sync(ws)


# -- OISP ping -----------------------------------------------------------------------------------


async def oisp_async(url: str, calls: int, rounds: int, blocks: int, warmup: int) -> list[Any]:
    import aiohttp

    from iotws.oisp import AsyncClient

    async with aiohttp.ClientSession() as session, session.ws_connect(url, protocols=("echo-protocol",)) as ws:
        await ws.send_str(frames.oisp_registration("bench-raw", TOKEN))
        async with AsyncClient(url, "bench-typed", TOKEN, grace=0.05, reconnect=None) as client:

            async def raw() -> Sample:
                clock = Clock()
                clock.start()
                for _ in range(calls):
                    await ws.send_str(frames.OISP_PING)
                    reply = json.loads((await ws.receive()).data)
                    if reply["code"] != 202:
                        raise RuntimeError(f"raw ping: {reply!r}")
                return clock.stop(calls)

            async def typed() -> Sample:
                clock = Clock()
                clock.start()
                for _ in range(calls):
                    await client.ping()
                return clock.stop(calls)

            return await ablocked(raw, typed, rounds, blocks, warmup)


def oisp_sync(url: str, calls: int, rounds: int, blocks: int, warmup: int) -> list[Any]:
    from iotws.oisp import Client

    ws = raw_sync_connection(url, DEADLINE, subprotocols=["echo-protocol"])
    try:
        ws.send(frames.oisp_registration("bench-raw", TOKEN))
        with Client(url, "bench-typed", TOKEN, grace=0.05, reconnect=None) as client:

            def raw() -> Sample:
                clock = Clock()
                clock.start()
                for _ in range(calls):
                    ws.send(frames.OISP_PING)
                    reply = json.loads(ws.recv())
                    if reply["code"] != 202:
                        raise RuntimeError(f"raw ping: {reply!r}")
                return clock.stop(calls)

            def typed() -> Sample:
                clock = Clock()
                clock.start()
                for _ in range(calls):
                    client.ping()
                return clock.stop(calls)

            return blocked(raw, typed, rounds, blocks, warmup)
    finally:
        close_raw_sync(ws)


def rows_overhead(ctx: Context) -> list[Result]:
    """Row 5: per-call overhead over a raw lock-step round trip, async and sync, Xentara and OISP."""
    calls, blocks = ctx.count(100, 10), ctx.count(20, 1)
    out = []
    plan = [
        ("5 request overhead async: Xentara read()", ASYNC_OVERHEAD_BUDGET, "xentara", True),
        ("5 request overhead async: OISP ping()", ASYNC_OVERHEAD_BUDGET, "oisp", True),
        ("5 request overhead sync: Xentara read()", SYNC_OVERHEAD_BUDGET, "xentara", False),
        ("5 request overhead sync: OISP ping()", SYNC_OVERHEAD_BUDGET, "oisp", False),
    ]
    for name, budget, protocol, is_async in plan:
        try:
            port = ctx.servers.get("push").port
            args = (calls, ctx.rounds, blocks, ctx.warmup)
            if protocol == "xentara":
                url = xentara_url(port)
                pairs = asyncio.run(xentara_async(url, *args)) if is_async else xentara_sync(url, *args)
            else:
                url = oisp_url(port)
                pairs = asyncio.run(oisp_async(url, *args)) if is_async else oisp_sync(url, *args)
            out.append(overhead_result(name, pairs, budget))
        except Exception as exc:
            out.append(error(name, "overhead", budget, exc))
    return out


# -- pipelining ----------------------------------------------------------------------------------


async def pipelined(url: str, batch: int, batches: int, rounds: int, warmup: int) -> list[tuple[Sample, Sample]]:
    import aiohttp

    from iotws.xentara import AsyncClient

    ids = _Ids()
    element = ELEMENT
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.send_bytes(frames.XENTARA_HELLO)
        cbor2.loads((await ws.receive()).data)
        async with AsyncClient(url, reconnect=None) as client:

            async def raw() -> Sample:
                clock = Clock()
                clock.start()
                first = ids.take(batch)
                for message_id in range(first, first + batch):
                    await ws.send_bytes(_read_request(message_id, element))
                answered = 0
                while answered < batch:
                    answered += len(cbor2.loads((await ws.receive()).data))
                return clock.stop(batch)

            async def typed() -> Sample:
                clock = Clock()
                clock.start()
                results = await asyncio.gather(*(client.read(element) for _ in range(batch)))
                if len(results) != batch:
                    raise RuntimeError("gather lost reads")
                return clock.stop(batch)

            return await ablocked(raw, typed, rounds, batches, warmup)


def rows_pipelined(ctx: Context) -> list[Result]:
    """Row 10: pipelined Xentara reads, AsyncClient with asyncio.gather / the raw pipelined loop."""
    name = "10 pipelined Xentara reads: gather(read()) / raw"
    try:
        url = xentara_url(ctx.servers.get("push").port)
        batch, batches = ctx.count(500, 20), ctx.count(4, 1)
        pairs = asyncio.run(pipelined(url, batch, batches, ctx.rounds, ctx.warmup))
        return [rate_result(name, pairs, PIPELINE_BUDGET, unit="reads/s")]
    except Exception as exc:
        return [error(name, "rate", PIPELINE_BUDGET, exc)]
