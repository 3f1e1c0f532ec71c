"""OISP many-devices benchmark: 1,000 concurrent async device connections in one process.

Measured in one run: the process's resident memory (RSS) before and after registering
N devices through :class:`iotws.oisp.gateway.Gateway` (one shared aiohttp session, one bounded
event queue), i.e. the memory per connection above the process baseline (budget: <= 64 KiB),
and the wall time to register all of them (registration success is silence for the grace
period, so the time includes one grace period). The simulator runs in a child process so
that only client-side memory is counted.

Run: ``python tests/bench/bench_oisp.py [N]`` (exit status 1 when the budget is missed).
"""

from __future__ import annotations

import asyncio
import gc
import json
import multiprocessing
import os
import sys
import time
from multiprocessing.connection import Connection

N = 1000
BUDGET = 64 * 1024
GRACE = 1.5
ACCOUNT = "bench-account"


def rss_bytes() -> int:
    """Current resident set size of this process (Linux ``/proc``; peak RSS elsewhere)."""
    try:
        with open(f"/proc/{os.getpid()}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_simulator(n: int, e: int, pipe: Connection) -> None:
    """Child process: the OISP simulator verifying tokens with the public key (n, e)."""
    from iotws.oisp import OispSimulator, TokenKeys

    async def main() -> None:
        async with OispSimulator(keys=TokenKeys(n, e, None)) as sim:
            pipe.send(sim.url())
            await asyncio.Event().wait()

    asyncio.run(main())


def control(url: str, message: dict[str, object]) -> dict[str, object]:
    import websocket

    from iotws.oisp.simulator import CONTROL_PATH

    ws = websocket.create_connection(url.rstrip("/") + CONTROL_PATH, subprotocols=["echo-protocol"], timeout=10)
    try:
        ws.send(json.dumps(message))
        reply: dict[str, object] = json.loads(ws.recv())
    finally:
        ws.close()
    return reply


async def measure(
    url: str, tokens: list[tuple[str, str]], warm_tokens: list[tuple[str, str]]
) -> tuple[float, float, dict[str, object], int, int]:
    from iotws.oisp.gateway import Gateway

    # warm up code paths and allocator pools with a few devices, then take the baseline
    async with Gateway(url, grace=0.2) as warm:
        warm_failures = await warm.add_many(warm_tokens)
        assert not warm_failures, warm_failures
    gc.collect()
    await asyncio.sleep(0.2)
    baseline = rss_bytes()

    gateway = Gateway(url, grace=GRACE, connect_concurrency=len(tokens))
    started = time.perf_counter()
    failures = await gateway.add_many(tokens)
    elapsed = time.perf_counter() - started
    gc.collect()
    await asyncio.sleep(0.5)
    after = rss_bytes()
    connected = sum(1 for d in gateway.devices if gateway[d].connected)

    # sanity: actuations still reach devices at the far ends of the list
    targets = [tokens[0][0], tokens[len(tokens) // 2][0], tokens[-1][0]]
    body = {"type": "command", "transport": "ws", "content": {"command": "LED.v1.0", "params": []}}
    for device_id in targets:
        control(url, {"type": "actuation", "accountId": ACCOUNT, "deviceId": device_id, "body": body})
    received = 0
    async for _ in gateway.actuations(timeout=10):
        received += 1
        if received == len(targets):
            break
    stats = control(url, {"type": "stats"})
    await gateway.close()
    if failures:
        first = next(iter(failures.items()))
        print(f"  {len(failures)} devices failed to register, e.g. {first[0]}: {first[1]}")
    per_connection = (after - baseline) / max(1, connected)
    return per_connection, elapsed, stats, connected, received


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else N
    from iotws.oisp import TokenKeys

    keys = TokenKeys.generate()
    tokens = [(f"bench-{i:05d}", keys.issue(f"bench-{i:05d}", ACCOUNT)) for i in range(count)]
    warm_tokens = [(f"warm-{i}", keys.issue(f"warm-{i}", ACCOUNT)) for i in range(5)]
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe()
    sim = ctx.Process(target=run_simulator, args=(keys.n, keys.e, child), daemon=True)
    sim.start()
    try:
        if not parent.poll(60):
            print("FAIL: the simulator did not start")
            return 1
        url = parent.recv()
        per_connection, elapsed, stats, connected, received = asyncio.run(measure(url, tokens, warm_tokens))
    finally:
        sim.terminate()
        sim.join(10)
    ok_memory = per_connection <= BUDGET and connected == count
    ok_delivery = received == 3
    print(f"oisp many devices: {connected}/{count} async device connections in one process")
    print(f"  simulator: {stats.get('content')}")
    print(
        f"  RSS per connection above baseline: {per_connection / 1024:6.1f} KiB "
        f"(budget <= {BUDGET // 1024} KiB, ratio {per_connection / BUDGET:4.2f}) {'PASS' if ok_memory else 'FAIL'}"
    )
    print(
        f"  time to register all: {elapsed:6.2f} s (includes the {GRACE:g} s grace period; "
        f"{(elapsed - GRACE) * 1000 / max(1, count):.2f} ms per device beyond it)"
    )
    print(f"  actuations delivered after registration: {received}/3 {'PASS' if ok_delivery else 'FAIL'}")
    return 0 if ok_memory and ok_delivery else 1


if __name__ == "__main__":
    sys.exit(main())
