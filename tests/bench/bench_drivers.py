"""Driver benchmarks: typed event streams and request overhead vs raw clients, same run.

Budgets (DESIGN.md): typed event stream >= 50% of raw receive + json.loads (sync and async);
request/response overhead <= 20 us per call over a raw lock-step round trip.
Run: ``python tests/bench/bench_drivers.py`` (exit status 1 when a budget is missed).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

import aiohttp
import websocket

from tests.common.echo import AsyncEchoClient, EchoClient, EchoSimulator

EVENTS = 20_000
CALLS = 2_000
ROUNDS = 5


def raw_sync_stream(url: str) -> float:
    ws = websocket.create_connection(url, skip_utf8_validation=True)
    ws.send(json.dumps({"hello": 1}))
    json.loads(ws.recv())
    started = time.perf_counter()
    ws.send(json.dumps({"id": 1, "push": list(range(EVENTS))}))
    while True:
        data = json.loads(ws.recv())
        if "id" in data:
            break
    elapsed = time.perf_counter() - started
    ws.close()
    return elapsed


def typed_sync_stream(url: str) -> float:
    with EchoClient(url, event_queue_size=EVENTS + 10) as c:
        started = time.perf_counter()
        c.push(list(range(EVENTS)))
        elapsed = time.perf_counter() - started
        assert c.dropped_events == 0
    return elapsed


async def raw_async_stream(url: str) -> float:
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.send_str(json.dumps({"hello": 1}))
        json.loads((await ws.receive()).data)
        started = time.perf_counter()
        await ws.send_str(json.dumps({"id": 1, "push": list(range(EVENTS))}))
        while True:
            data = json.loads((await ws.receive()).data)
            if "id" in data:
                break
        return time.perf_counter() - started


async def typed_async_stream(url: str) -> float:
    async with AsyncEchoClient(url, event_queue_size=EVENTS + 10) as c:
        started = time.perf_counter()
        await c.push(list(range(EVENTS)))
        elapsed = time.perf_counter() - started
        assert c.dropped_events == 0
    return elapsed


def raw_sync_calls(url: str) -> float:
    ws = websocket.create_connection(url, skip_utf8_validation=True)
    ws.send(json.dumps({"hello": 1}))
    ws.recv()
    started = time.perf_counter()
    for i in range(CALLS):
        ws.send(json.dumps({"id": i, "echo": i}))
        json.loads(ws.recv())
    elapsed = time.perf_counter() - started
    ws.close()
    return elapsed


def typed_sync_calls(url: str) -> float:
    with EchoClient(url) as c:
        started = time.perf_counter()
        for i in range(CALLS):
            c.echo(i)
        return time.perf_counter() - started


async def raw_async_calls(url: str) -> float:
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.send_str(json.dumps({"hello": 1}))
        await ws.receive()
        started = time.perf_counter()
        for i in range(CALLS):
            await ws.send_str(json.dumps({"id": i, "echo": i}))
            json.loads((await ws.receive()).data)
        return time.perf_counter() - started


async def typed_async_calls(url: str) -> float:
    async with AsyncEchoClient(url) as c:
        started = time.perf_counter()
        for i in range(CALLS):
            await c.echo(i)
        return time.perf_counter() - started


def once(fn: Any, url: str) -> float:
    out = fn(url)
    return float(asyncio.run(out) if asyncio.iscoroutine(out) else out)


def best_pair(raw: Any, typed: Any, url: str) -> tuple[float, float]:
    """Best of ROUNDS for each, raw and typed interleaved so machine noise hits both alike."""
    raws, typeds = [], []
    for _ in range(ROUNDS):
        raws.append(once(raw, url))
        typeds.append(once(typed, url))
    return min(raws), min(typeds)


def main() -> int:
    failures = 0
    with EchoSimulator().run() as sim:
        url = sim.url()
        print(f"driver benchmarks ({EVENTS} events per stream, {CALLS} lock-step calls, best of {ROUNDS})")
        for flavour, raw, typed in (
            ("sync", raw_sync_stream, typed_sync_stream),
            ("async", raw_async_stream, typed_async_stream),
        ):
            r, t = best_pair(raw, typed, url)
            ratio = r / t
            ok = ratio >= 0.5
            failures += not ok
            print(
                f"  {flavour:5} event stream: raw {EVENTS / r:9.0f} ev/s, typed {EVENTS / t:9.0f} ev/s, "
                f"typed/raw {ratio:5.2f} (budget >= 0.50) {'PASS' if ok else 'FAIL'}"
            )
        for flavour, raw, typed in (
            ("sync", raw_sync_calls, typed_sync_calls),
            ("async", raw_async_calls, typed_async_calls),
        ):
            r, t = best_pair(raw, typed, url)
            overhead_us = (t - r) / CALLS * 1e6
            ok = overhead_us <= 20
            failures += not ok
            print(
                f"  {flavour:5} request/response: raw {r / CALLS * 1e6:7.1f} us/call, typed "
                f"{t / CALLS * 1e6:7.1f} us/call, overhead {overhead_us:6.1f} us (budget <= 20) "
                f"{'PASS' if ok else 'FAIL'}"
            )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
