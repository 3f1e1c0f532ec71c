"""Row 9: memory per async connection, 10,000 connections from one client process to one server.

Each measurement runs in a fresh client process (``python -m tests.bench.memory ...``) against
the push server (its own process, answering each protocol's opening exchange and streaming
nothing). Both processes raise their open-file limit with ``resource.setrlimit``. The client
process:

1. opens 100 connections first (imports, code paths, allocator pools warm) and keeps them;
2. takes its resident set size (``VmRSS`` of ``/proc/self/status``) after ``gc.collect()``;
3. opens ``N`` more connections (200 connecting at a time), every one completing its protocol's
   opening exchange (EVOK: ``all`` answered with a one-object reply, so the device cache stays
   small; Xentara: the hello; OISP: registration and a 0.05 s grace; Globiots and the farmws
   dashboard: none), and keeps them all open, each with its receive task;
4. takes ``VmRSS`` again: the figure is (after - before) / N, in KiB.

The baseline is raw aiohttp in the same conditions (one shared ``ClientSession``, ``ws_connect``,
EVOK's ``all`` sent and its reply read, a task per connection reading it). Clients get one shared
session (``session=``, an ``aiohttp.TCPConnector(limit=0)``: the default pool would hold 100
connections), except the row that says "own session" (each client makes and closes its own,
the default).

A second, smaller run with ``tracemalloc`` (1,000 connections; tracing inflates RSS, so it is
never the RSS run) gives the Python heap per connection and where it goes; it is printed under
the table.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
import time
from typing import Any

from tests.bench import frames
from tests.bench.harness import ROOT, Context, Result, error
from tests.bench.servers import raise_fd_limit

BUDGET = 24.0  # KiB per connection
GATEWAY_BUDGET = 64.0  # KiB per device (the OISP gateway's documented budget)
GATEWAY_GRACE = 1.5
WARM = 100
CONCURRENCY = 200
ROWS = [
    ("evok", True),
    ("globiots", True),
    ("xentara", True),
    ("oisp", True),
    ("farmws", True),
    ("oisp", False),
]


def rss() -> int:
    """This process's resident set size in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _url(port: int, protocol: str) -> str:
    paths = {
        "evok": "evok/min/0/ws",
        "globiots": "globiots/push8/0",
        "xentara": "xentara/events/0/api/ws",
        "oisp": "oisp/actuations/0/",
        "farmws": "farmws/events/0",
    }
    return f"ws://127.0.0.1:{port}/{paths[protocol]}"


class _Raw:
    """A raw aiohttp connection with EVOK's opening exchange and a reader task."""

    def __init__(self, session: Any, url: str) -> None:
        self.session, self.url = session, url
        self.task: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        ws = await self.session.ws_connect(self.url)
        await ws.send_str(frames.EVOK_ALL_REQUEST)
        json.loads((await ws.receive()).data)

        async def read() -> None:
            async for message in ws:
                json.loads(message.data)

        self.task = asyncio.create_task(read())


def _client(protocol: str, url: str, index: int, session: Any) -> Any:
    options: dict[str, Any] = {"reconnect": None}
    if session is not None:
        options["session"] = session
    if protocol == "evok":
        from iotws.evok import AsyncClient

        return AsyncClient(url, **options)
    if protocol == "globiots":
        from iotws.globiots import AsyncClient as GlobiotsClient

        return GlobiotsClient(url, **options)
    if protocol == "xentara":
        from iotws.xentara import AsyncClient as XentaraClient

        return XentaraClient(url, **options)
    if protocol == "oisp":
        from iotws.oisp import AsyncClient as OispClient

        return OispClient(url, f"device-{index}", "eyJ.bench.sig", grace=0.05, **options)
    if protocol == "farmws":
        from iotws.farmws import AsyncDashboardClient

        return AsyncDashboardClient(url, client_id=str(index), **options)
    raise KeyError(protocol)


async def _measure(port: int, protocol: str, count: int, shared: bool, trace: bool) -> dict[str, Any]:
    import aiohttp

    url = _url(port, "evok" if protocol == "raw" else protocol)
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) if shared or protocol == "raw" else None
    semaphore = asyncio.Semaphore(CONCURRENCY)
    held: list[Any] = []

    async def open_one(index: int) -> None:
        async with semaphore:
            client = _Raw(session, url) if protocol == "raw" else _client(protocol, url, index, session)
            await client.connect()
            held.append(client)

    await asyncio.gather(*(open_one(i) for i in range(WARM)))
    gc.collect()
    await asyncio.sleep(0.3)
    if trace:
        import tracemalloc

        tracemalloc.start(8)
        before_snapshot = tracemalloc.take_snapshot()
    before = rss()
    started = time.perf_counter()
    await asyncio.gather(*(open_one(WARM + i) for i in range(count)))
    elapsed = time.perf_counter() - started
    gc.collect()
    await asyncio.sleep(0.5)
    after = rss()
    out: dict[str, Any] = {
        "connected": len(held) - WARM,
        "kib_per_connection": (after - before) / count / 1024,
        "seconds": elapsed,
    }
    if trace:
        snapshot = tracemalloc.take_snapshot()
        stats = snapshot.compare_to(before_snapshot, "filename")
        out["traced_kib_per_connection"] = sum(s.size_diff for s in stats) / count / 1024
        top = sorted(stats, key=lambda s: -s.size_diff)[:4]
        out["top"] = [
            ("/".join(s.traceback[0].filename.split(os.sep)[-2:]) if s.traceback else "?", s.size_diff / count / 1024)
            for s in top
        ]
    return out


async def _measure_gateway(url: str, tokens: list[tuple[str, str]], count: int) -> dict[str, Any]:
    """Row 13: the OISP Gateway registering ``count`` devices (shared session) on the real simulator."""
    from iotws.oisp.gateway import Gateway

    gateway = Gateway(url, grace=GATEWAY_GRACE, connect_concurrency=CONCURRENCY, reconnect=None)
    warm, devices = tokens[:WARM], tokens[WARM : WARM + count]
    failures = await gateway.add_many(warm)
    gc.collect()
    await asyncio.sleep(0.3)
    before = rss()
    started = time.perf_counter()
    failures.update(await gateway.add_many(devices))
    elapsed = time.perf_counter() - started
    gc.collect()
    await asyncio.sleep(0.5)
    after = rss()
    connected = sum(1 for device in gateway.devices if gateway[device].connected) - WARM
    first = next(iter(failures.items()), None)
    return {
        "connected": connected,
        "kib_per_connection": (after - before) / count / 1024,
        "seconds": elapsed,
        "failures": len(failures),
        "first_failure": None if first is None else f"{first[0]}: {first[1]}",
    }


def child(argv: list[str]) -> None:
    """``python -m tests.bench.memory PORT PROTOCOL COUNT shared|own [trace]``: print one JSON line.

    ``gateway URL COUNT`` (tokens as JSON on standard input) measures the OISP gateway instead.
    """
    raise_fd_limit()
    if argv[0] == "gateway":
        tokens = [tuple(pair) for pair in json.load(sys.stdin)]
        result = asyncio.run(_measure_gateway(argv[1], tokens, int(argv[2])))  # type: ignore[arg-type]
        print(json.dumps(result), flush=True)
        os._exit(0)
    port, protocol, count, sharing = int(argv[0]), argv[1], int(argv[2]), argv[3]
    result = asyncio.run(_measure(port, protocol, count, sharing == "shared", "trace" in argv[4:]))
    print(json.dumps(result), flush=True)
    os._exit(0)  # thousands of open links: no graceful close needed, the server drops them


def _run(
    port: int, protocol: str, count: int, shared: bool, trace: bool = False, *, gateway: Any = None
) -> dict[str, Any]:
    if gateway is None:
        args = [str(port), protocol, str(count), "shared" if shared else "own", *(["trace"] if trace else [])]
    else:
        args = ["gateway", gateway[0], str(count)]
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.memory", *args],
        cwd=ROOT,
        input=None if gateway is None else json.dumps(gateway[1]),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        raise RuntimeError(f"memory child failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    data: dict[str, Any] = json.loads(lines[-1])
    if data["connected"] != count:
        why = f" ({data['failures']} failed, e.g. {data['first_failure']})" if data.get("failures") else ""
        raise RuntimeError(f"only {data['connected']} of {count} connections opened{why}")
    return data


def rows_memory(ctx: Context) -> list[Result]:
    """Row 9: KiB per async connection at 10,000 connections (RSS growth of the client process)."""
    count = ctx.count(10_000, 20)
    traced = ctx.count(1_000, 20)
    out: list[Result] = []
    server = ctx.servers.get("push", "memory")
    try:
        raw = _run(server.port, "raw", count, True)
        baseline = f"{raw['kib_per_connection']:.1f} KiB/conn"
    except Exception as exc:
        baseline = "-"
        out.append(error("9 memory baseline: raw aiohttp (shared session)", "memory", None, exc))
    for protocol, shared in ROWS:
        name = f"9 memory per connection {protocol} ({'shared' if shared else 'own'} session), {count:,}"
        try:
            data = _run(server.port, protocol, count, shared)
            result = Result(name, "memory", BUDGET, figures=[data["kib_per_connection"]])
            result.baseline = baseline
            result.subject = f"{data['kib_per_connection']:.1f} KiB/conn"
            trace = _run(server.port, protocol, traced, shared, trace=True)
            top = ", ".join(f"{where} {kib:.1f}" for where, kib in trace["top"])
            result.note = (
                f"connected {count:,} in {data['seconds']:.1f} s; tracemalloc at {traced:,}: "
                f"{trace['traced_kib_per_connection']:.1f} KiB/conn of Python heap (top: {top})"
            )
            out.append(result)
        except Exception as exc:
            out.append(error(name, "memory", BUDGET, exc))
    ctx.servers.stop("push", "memory")
    return out


def rows_gateway(ctx: Context) -> list[Result]:
    """Row 13: the OISP Gateway, 1,000 devices registered on the simulator: KiB per device."""
    count = ctx.count(1_000, 5)
    name = f"13 OISP Gateway, {count:,} devices on the simulator: memory/device"
    try:
        info = ctx.servers.get("simulator", "oisp", str(WARM + count)).info
        tokens = sorted((d, t) for d, t in info["tokens"].items() if d.startswith("gw-"))
        data = _run(0, "oisp", count, True, gateway=(info["url"], tokens))
        result = Result(name, "memory", GATEWAY_BUDGET, figures=[data["kib_per_connection"]])
        result.subject = f"{data['kib_per_connection']:.1f} KiB/dev"
        result.note = (
            f"registered {count:,} devices in {data['seconds']:.1f} s (one {GATEWAY_GRACE:g} s grace included)"
        )
        return [result]
    except Exception as exc:
        return [error(name, "memory", GATEWAY_BUDGET, exc)]
    finally:
        ctx.servers.stop("simulator", "oisp", str(WARM + count))


if __name__ == "__main__":
    child(sys.argv[1:])
