"""The measuring harness: clocks, interleaved rounds, results, the one table.

Every row compares a *subject* (iotws) with a *baseline* measured in the same run, in the
same process, on the same server: the two alternate within every round (which one goes
first alternates too), the row's figure is computed per round, and the table shows the
min / median / max of the per-round figures. Budgets are checked on the median. Beside the
wall-clock figure, the same figure from CPU time (``resource.getrusage`` of this process:
every thread of the client, never the server) is shown, because a shared machine can stall
one side's wall clock but rarely its CPU time.

Figures, by the kind of row:

* ``rate``: subject events/s over baseline events/s (higher is better, budget ``>=``);
* ``cost``: subject time over baseline time for the same work (lower is better, ``<=``);
* ``overhead``: subject time per call minus baseline time per call, in microseconds (``<=``);
* ``memory``: KiB per connection of the subject (``<=``); the baseline's is shown beside it;
* ``import``: like ``cost``, for import times.
"""

from __future__ import annotations

import json
import os
import resource
import select
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far (all its threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Sample:
    """One side of one round: wall and CPU seconds spent on ``work`` units (events, calls...)."""

    wall: float
    cpu: float
    work: int


class Clock:
    """``start()`` ... ``stop(work)``: wall and CPU time of the code between."""

    def __init__(self) -> None:
        self._wall = 0.0
        self._cpu = 0.0

    def start(self) -> None:
        self._cpu = cpu_seconds()
        self._wall = time.perf_counter()

    def stop(self, work: int) -> Sample:
        wall = time.perf_counter() - self._wall
        return Sample(wall, cpu_seconds() - self._cpu, work)


def raw_sync_connection(url: str, deadline: float, **options: Any) -> Any:
    """A blocking websocket-client connection, as its users make one (no socket timeout: a timeout
    adds a ``poll()`` before every ``recv()``), shut down by a watchdog after ``deadline`` seconds so a
    stalled server cannot hang the run. ``close_raw_sync()`` closes both."""
    import socket

    import websocket

    ws = websocket.create_connection(url, skip_utf8_validation=True, **options)
    ws.sock.settimeout(None)

    def stop() -> None:
        try:
            ws.sock.shutdown(socket.SHUT_RDWR)
        except (AttributeError, OSError):
            pass

    ws.bench_watchdog = threading.Timer(deadline, stop)
    ws.bench_watchdog.daemon = True
    ws.bench_watchdog.start()
    return ws


def close_raw_sync(ws: Any) -> None:
    """Close a connection made by :func:`raw_sync_connection` and cancel its watchdog."""
    ws.bench_watchdog.cancel()
    ws.close()


def timed(fn: Callable[[], Any], work: int) -> Sample:
    """Run ``fn()`` once between the clocks."""
    clock = Clock()
    clock.start()
    fn()
    return clock.stop(work)


def interleave(
    baseline: Callable[[], Sample], subject: Callable[[], Sample], rounds: int, warmup: int = 1
) -> list[tuple[Sample, Sample]]:
    """``rounds`` (baseline, subject) pairs, alternating which goes first; ``warmup`` pairs first, unmeasured."""
    for _ in range(warmup):
        baseline()
        subject()
    pairs = []
    for number in range(rounds):
        if number % 2:
            s = subject()
            b = baseline()
        else:
            b = baseline()
            s = subject()
        pairs.append((b, s))
    return pairs


def _total(samples: list[Sample]) -> Sample:
    return Sample(sum(x.wall for x in samples), sum(x.cpu for x in samples), sum(x.work for x in samples))


def blocked(
    baseline: Callable[[], Sample], subject: Callable[[], Sample], rounds: int, blocks: int, warmup: int = 1
) -> list[tuple[Sample, Sample]]:
    """Like :func:`interleave`, but each round is ``blocks`` short alternations, summed per side.

    For rows whose figure is a small difference of two large times (request overhead): load
    that comes and goes within a round then hits both sides alike.
    """
    for _ in range(warmup):
        baseline()
        subject()
    pairs = []
    for number in range(rounds):
        b: list[Sample] = []
        s: list[Sample] = []
        for block in range(blocks):
            if (number + block) % 2:
                s.append(subject())
                b.append(baseline())
            else:
                b.append(baseline())
                s.append(subject())
        pairs.append((_total(b), _total(s)))
    return pairs


async def ablocked(
    baseline: Callable[[], Awaitable[Sample]],
    subject: Callable[[], Awaitable[Sample]],
    rounds: int,
    blocks: int,
    warmup: int = 1,
) -> list[tuple[Sample, Sample]]:
    """:func:`blocked` for coroutines run in one event loop (both sides on links kept open)."""
    for _ in range(warmup):
        await baseline()
        await subject()
    pairs = []
    for number in range(rounds):
        b: list[Sample] = []
        s: list[Sample] = []
        for block in range(blocks):
            if (number + block) % 2:
                s.append(await subject())
                b.append(await baseline())
            else:
                b.append(await baseline())
                s.append(await subject())
        pairs.append((_total(b), _total(s)))
    return pairs


@dataclass
class Result:
    """One row of the table."""

    row: str
    kind: str  # rate | cost | overhead | memory | import
    budget: float | None
    figures: list[float] = field(default_factory=list)
    cpu_figures: list[float] = field(default_factory=list)
    baseline: str = ""
    subject: str = ""
    status: str = ""  # PASS | FAIL | n/a | ERROR (set by verdict())
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.figures)

    def verdict(self) -> str:
        if self.status in ("n/a", "ERROR"):
            return self.status
        if not self.figures:
            self.status = "ERROR"
            self.note = self.note or "no figures"
            return self.status
        if self.budget is None:
            self.status = "info"
        elif self.kind == "rate":
            self.status = "PASS" if self.median >= self.budget else "FAIL"
        else:
            self.status = "PASS" if self.median <= self.budget else "FAIL"
        return self.status


def rate_result(row: str, pairs: list[tuple[Sample, Sample]], budget: float | None, unit: str = "ev/s") -> Result:
    """Subject rate over baseline rate, per round (wall and CPU)."""
    result = Result(row, "rate", budget)
    for b, s in pairs:
        result.figures.append((s.work / s.wall) / (b.work / b.wall))
        result.cpu_figures.append((s.work / s.cpu) / (b.work / b.cpu) if s.cpu > 0 and b.cpu > 0 else float("nan"))
    result.baseline = f"{statistics.median(b.work / b.wall for b, _ in pairs):,.0f} {unit}"
    result.subject = f"{statistics.median(s.work / s.wall for _, s in pairs):,.0f} {unit}"
    return result


def cost_result(row: str, pairs: list[tuple[Sample, Sample]], budget: float | None, kind: str = "cost") -> Result:
    """Subject time per unit over baseline time per unit, per round."""
    result = Result(row, kind, budget)
    for b, s in pairs:
        result.figures.append((s.wall / s.work) / (b.wall / b.work))
        result.cpu_figures.append((s.cpu / s.work) / (b.cpu / b.work) if b.cpu > 0 else float("nan"))
    result.baseline = _per_unit(statistics.median(b.wall / b.work for b, _ in pairs))
    result.subject = _per_unit(statistics.median(s.wall / s.work for _, s in pairs))
    return result


def overhead_result(row: str, pairs: list[tuple[Sample, Sample]], budget: float | None) -> Result:
    """Subject time per call minus baseline time per call, in microseconds, per round."""
    result = Result(row, "overhead", budget)
    for b, s in pairs:
        result.figures.append((s.wall / s.work - b.wall / b.work) * 1e6)
        result.cpu_figures.append((s.cpu / s.work - b.cpu / b.work) * 1e6)
    result.baseline = _per_unit(statistics.median(b.wall / b.work for b, _ in pairs)) + "/call"
    result.subject = _per_unit(statistics.median(s.wall / s.work for _, s in pairs)) + "/call"
    return result


def _per_unit(seconds: float) -> str:
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    if seconds >= 1e-6:
        return f"{seconds * 1e6:.2f} us"
    return f"{seconds * 1e9:.0f} ns"


def na(row: str, kind: str, budget: float | None, why: str) -> Result:
    """A row that could not be measured (the reason is printed under the table)."""
    return Result(row, kind, budget, status="n/a", note=why)


def error(row: str, kind: str, budget: float | None, exc: BaseException) -> Result:
    """A row whose measurement failed."""
    return Result(row, kind, budget, status="ERROR", note=f"{type(exc).__name__}: {exc}")


# -- the table -------------------------------------------------------------------------------------


def _figure(kind: str, value: float) -> str:
    if value != value:  # NaN
        return "-"
    if kind == "overhead":
        return f"{value:.1f}"
    if kind == "memory":
        return f"{value:.1f}"
    return f"{value:.2f}"


def _budget(result: Result) -> str:
    if result.budget is None:
        return "-"
    sign = ">=" if result.kind == "rate" else "<="
    unit = {"overhead": " us", "memory": " KiB"}.get(result.kind, "x")
    return f"{sign} {result.budget:g}{unit}"


HEADER = ("row", "baseline", "subject", "min / median / max", "CPU", "budget", "verdict")


def table(results: Iterable[Result]) -> str:
    """The one table: a line per row, then the notes of rows that carry one."""
    results = list(results)
    lines = []
    for r in results:
        r.verdict()
        if r.figures:
            spread = " / ".join(_figure(r.kind, v) for v in (min(r.figures), r.median, max(r.figures)))
            cpu = _figure(r.kind, statistics.median(r.cpu_figures)) if r.cpu_figures else "-"
        else:
            spread, cpu = "-", "-"
        lines.append((r.row, r.baseline or "-", r.subject or "-", spread, cpu, _budget(r), r.status))
    widths = [max(len(str(line[i])) for line in [HEADER, *lines]) for i in range(len(HEADER))]
    out = []
    for line in [HEADER, tuple("-" * w for w in widths), *lines]:
        cells = [
            str(cell).ljust(w) if i in (0, 6) else str(cell).rjust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        ]
        out.append("  ".join(cells).rstrip())
    notes = [f"  {r.row}: {r.note}" for r in results if r.note]
    if notes:
        out.append("")
        out.append("notes:")
        out.extend(notes)
    return "\n".join(out)


# -- server processes ----------------------------------------------------------------------------


class ServerProcess:
    """A server of :mod:`tests.bench.servers` in a process of its own; ``info`` is its ready line."""

    def __init__(self, *args: str, timeout: float = 60.0) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.bench.servers", *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if ready else ""
        if not line:
            self.stop()
            raise RuntimeError(f"the server {' '.join(args)} did not start")
        self.info: dict[str, Any] = json.loads(line)

    @property
    def port(self) -> int:
        return int(self.info["port"])

    def stop(self) -> None:
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class Servers:
    """The server processes of a run, started on first use and stopped at the end."""

    def __init__(self) -> None:
        self._running: dict[tuple[str, ...], ServerProcess] = {}

    def get(self, *args: str) -> ServerProcess:
        server = self._running.get(args)
        if server is None or server.proc.poll() is not None:
            server = self._running[args] = ServerProcess(*args)
        return server

    def stop(self, *args: str) -> None:
        server = self._running.pop(args, None)
        if server is not None:
            server.stop()

    def stop_all(self) -> None:
        for args in list(self._running):
            self.stop(*args)


@dataclass
class Context:
    """What every row function gets: the mode, the counts, the servers."""

    quick: bool
    rounds: int
    warmup: int
    servers: Servers

    def count(self, full: int, quick: int) -> int:
        return quick if self.quick else full
