"""Rows 6, 7 and 12: decoding frames into typed events through each protocol core's ``receive()``.

The baseline is the untyped decoder of the same bytes (``json.loads``, ``cbor2.loads``), run
over the same frames in the same loop; the subject is the public sans-I/O core's
``receive(frame)``, the path every received frame takes in both clients: the typed models,
the state cache (EVOK's device cache, Globiots' latest values) and the events.

* Row 6: EVOK. The vendor document's ``ai`` message (64 variants of its value) into a
  ``DeviceChanged`` with the cache updated; the simulator board's 30-device ``all`` reply into a
  resync of a cache that already holds it (a periodic refresh: no device changed).
* Row 7: Xentara. A message of 8 data-change events into 8 ``DataChange`` events (a connected
  core, hello answered, no subscription routing).
* Row 12 (kept from the Globiots benchmark of issue 3): a realtime push of 50 addresses into a
  ``RealtimeUpdate`` with every value decoded and the latest-value table refreshed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import cbor2

from tests.bench import frames
from tests.bench.harness import Context, Result, Sample, cost_result, error, interleave, timed

EVOK_AI_BUDGET = 0.6
EVOK_ALL_BUDGET = 1.0
XENTARA_BUDGET = 1.5
GLOBIOTS_BUDGET = 3.0


def _loop(fn: Callable[[Any], Any], items: list[Any], repeat: int) -> Callable[[], Sample]:
    def run() -> None:
        for _ in range(repeat):
            for item in items:
                fn(item)

    return lambda: timed(run, repeat * len(items))


def _rounds(ctx: Context) -> int:
    return ctx.rounds if ctx.quick else max(ctx.rounds, 15)


def _row(ctx: Context, name: str, budget: float, baseline: Any, subject: Any, items: list[Any], total: int) -> Result:
    try:
        repeat = max(1, ctx.count(total, 2) // len(items))
        pairs = interleave(_loop(baseline, items, repeat), _loop(subject, items, repeat), _rounds(ctx), ctx.warmup)
        return cost_result(name, pairs, budget)
    except Exception as exc:
        return error(name, "cost", budget, exc)


def _check(events: list[object], expected: type, count: int, what: str) -> None:
    if len(events) != count or not all(isinstance(e, expected) for e in events):
        raise RuntimeError(f"{what}: expected {count} {expected.__name__}, got {[type(e).__name__ for e in events]}")


def rows_evok(ctx: Context) -> list[Result]:
    """Row 6: EVOK ``ai`` event and 30-device ``all`` reply -> models, over json.loads."""
    from iotws.evok import DeviceChanged, EvokCore, Snapshot

    out = []
    name = "6 EVOK ai event -> models: core.receive / json.loads"
    try:
        core = EvokCore()
        core.on_connect()
        core.receive(frames.evok_all(30))
        ai = frames.evok_ai()
        _check(core.receive(ai[0]), DeviceChanged, 1, "ai frame")
        out.append(_row(ctx, name, EVOK_AI_BUDGET, json.loads, core.receive, ai, 20_000))
    except Exception as exc:
        out.append(error(name, "cost", EVOK_AI_BUDGET, exc))
    name = "6 EVOK 30-device all -> models: core.receive / json.loads"
    try:
        reply = frames.evok_all(30)
        core = EvokCore()
        core.on_connect()
        core.receive(reply)
        _check(core.receive(reply), Snapshot, 1, "all reply")
        out.append(_row(ctx, name, EVOK_ALL_BUDGET, json.loads, core.receive, [reply], 2_000))
    except Exception as exc:
        out.append(error(name, "cost", EVOK_ALL_BUDGET, exc))
    return out


def rows_xentara(ctx: Context) -> list[Result]:
    """Row 7: Xentara 8-event message -> typed events, over cbor2.loads."""
    from iotws.xentara import DataChange, XentaraCore

    name = "7 Xentara 8-event message -> events: core.receive / cbor2.loads"
    try:
        core = XentaraCore()
        core.on_connect()
        core.receive(cbor2.dumps([[1, 1, {0: 1}]]))
        messages = frames.xentara_messages()
        _check(core.receive(messages[0]), DataChange, 8, "8-event message")
        return [_row(ctx, name, XENTARA_BUDGET, cbor2.loads, core.receive, messages, 10_000)]
    except Exception as exc:
        return [error(name, "cost", XENTARA_BUDGET, exc)]


def rows_globiots(ctx: Context) -> list[Result]:
    """Row 12: Globiots 50-address realtime push -> typed values, over json.loads (the issue 3 budget)."""
    from iotws.globiots import RealtimeUpdate
    from iotws.globiots.protocol import RealtimeCore

    name = "12 Globiots 50-address push -> values: core.receive / json.loads"
    try:
        core = RealtimeCore()
        pushes = frames.globiots_pushes(16, addresses=50)
        _check(core.receive(pushes[0]), RealtimeUpdate, 1, "50-address push")
        return [_row(ctx, name, GLOBIOTS_BUDGET, json.loads, core.receive, pushes, 2_000)]
    except Exception as exc:
        return [error(name, "cost", GLOBIOTS_BUDGET, exc)]
