"""EVOK benchmarks: ratios measured in the same run, against baselines.

Budgets (DESIGN.md and issue 4):
* decoding the vendor document's ``ai`` message into typed models <= 3x ``json.loads`` of the
  same text;
* the async client's typed event throughput against the simulator >= 50% of a raw aiohttp
  client reading the same stream (receive + ``json.loads``). Throughput is judged on the CPU
  time of the client's thread (``time.thread_time``: the client is CPU-bound, and the simulator
  runs in another thread), so that other load on a shared machine does not decide the result;
  the wall-clock ratio is printed too.

Run: ``python tests/bench/bench_evok.py`` (exit status 1 when a budget is missed).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
import timeit

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))

import aiohttp

from iotws.evok import AsyncClient, BoardConfig, DeviceChanged, EvokSimulator, parse_frame
from iotws.evok.protocol import EvokCore

#: The vendor document's first ``ai`` message (v2-flavoured: ``glob_dev_id``), verbatim.
AI_FRAME = (
    '[{"dev": "ai", "circuit": "2_01", "value": 132798232.0, "unit": "Ohm", "glob_dev_id": 3, '
    '"mode": "Resistance2W", "modes": {"Disabled": {"value": 0}, "Voltage10": {"value": 1, "unit": "V", '
    '"range": [0, 10]}, "Voltage2V5": {"value": 2, "unit": "V", "range": [0, 2.5]}, "Current20m": '
    '{"value": 3, "unit": "mA", "range": [0, 20]}, "Resistance3W": {"value": 4, "unit": "Ohm", '
    '"range": [0, 1960]}, "Resistance2W": {"value": 5, "unit": "Ohm", "range": [0, 100000]}}, '
    '"range": [0, 100000]}]'
)
DECODES = 20_000
EVENTS = 20_000
ROUNDS = 5


def bench_decode() -> tuple[float, float, float]:
    """Seconds per decode: json.loads, parse_frame (models), core.receive (models + cache + events)."""
    core = EvokCore()
    best = [float("inf")] * 3
    for _ in range(ROUNDS):
        for i, fn in enumerate(
            (lambda: json.loads(AI_FRAME), lambda: parse_frame(AI_FRAME), lambda: core.receive(AI_FRAME))
        ):
            best[i] = min(best[i], timeit.timeit(fn, number=DECODES) / DECODES)
    return best[0], best[1], best[2]


async def burst(sim: EvokSimulator) -> None:
    for _ in range(EVENTS):
        await sim.broadcast(AI_FRAME)


async def raw_stream(sim: EvokSimulator) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this thread) to receive and json.loads EVENTS frames."""
    loop = asyncio.get_running_loop()
    async with aiohttp.ClientSession() as session, session.ws_connect(sim.url()) as ws:
        started, cpu = time.perf_counter(), time.thread_time()
        trigger = loop.run_in_executor(None, sim.call, burst(sim), 60.0)
        for _ in range(EVENTS):
            json.loads((await ws.receive()).data)
        elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu
        await trigger
    return elapsed, cpu


async def typed_stream(sim: EvokSimulator) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this thread) for the AsyncClient to deliver EVENTS typed events."""
    loop = asyncio.get_running_loop()
    async with AsyncClient(sim.url(), event_queue_size=EVENTS + 1000) as client:
        started, cpu = time.perf_counter(), time.thread_time()
        trigger = loop.run_in_executor(None, sim.call, burst(sim), 60.0)
        seen = 0
        async for event in client.events():
            if isinstance(event, DeviceChanged) and not event.resync:
                seen += 1
                if seen == EVENTS:
                    break
        elapsed, cpu = time.perf_counter() - started, time.thread_time() - cpu
        await trigger
        assert client.dropped_events == 0
    return elapsed, cpu


def main() -> int:
    failures = 0
    loads, models, receive = bench_decode()
    ratio = models / loads
    ok = ratio <= 3.0
    failures += not ok
    print(f"evok benchmarks (best of {ROUNDS})")
    print(
        f"  decode vendor ai message: json.loads {loads * 1e6:6.2f} us, typed models {models * 1e6:6.2f} us, "
        f"models/json.loads {ratio:4.2f} (budget <= 3.00) {'PASS' if ok else 'FAIL'}"
    )
    print(f"    (core.receive with cache upsert and events: {receive * 1e6:6.2f} us, {receive / loads:4.2f}x)")
    sim = EvokSimulator(BoardConfig(temp_sensors=()), di_toggle_period=None, ai_noise=0, scan_rate=10)
    raws: list[tuple[float, float]] = []
    typeds: list[tuple[float, float]] = []
    with sim.run():
        for _ in range(ROUNDS):  # interleaved, so that load changes hit both alike
            raws.append(asyncio.run(raw_stream(sim)))
            typeds.append(asyncio.run(typed_stream(sim)))
    raw_wall, typed_wall = min(r[0] for r in raws), min(t[0] for t in typeds)
    raw_cpu, typed_cpu = min(r[1] for r in raws), min(t[1] for t in typeds)
    ratio = raw_cpu / typed_cpu
    ok = ratio >= 0.5
    failures += not ok
    print(
        f"  async event stream ({EVENTS} ai frames), client CPU: raw aiohttp {EVENTS / raw_cpu:8.0f} ev/s, typed "
        f"{EVENTS / typed_cpu:8.0f} ev/s, typed/raw {ratio:4.2f} (budget >= 0.50) {'PASS' if ok else 'FAIL'}"
    )
    print(
        f"    (wall clock, shared with the simulator thread: raw {EVENTS / raw_wall:8.0f} ev/s, typed "
        f"{EVENTS / typed_wall:8.0f} ev/s, typed/raw {raw_wall / typed_wall:4.2f})"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
