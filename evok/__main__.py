"""``iotws evok ...`` (and ``python -m iotws.evok ...``): simulate, watch, set.

* ``iotws evok simulate [--host H] [--port N] [--v2] [--scan-rate HZ]``: run the
  simulator; the first stdout line is its URL.
* ``iotws evok watch URL [--filter ro,do,...]``: the live device state: a table on a
  terminal, else one line per change; ``--json`` prints a ``value`` record per device
  state and a ``removed`` record per device EVOK no longer lists. With ``--filter``
  only those types are shown, in every form.
* ``iotws evok set URL DEV CIRCUIT [VALUE] [--param k=v ...] [--confirm]``; a
  ``--confirm`` EVOK cannot honour is refused before connecting.

Every verb takes the common flags of ``iotws`` (``-v/-q``, ``--json``; the client
verbs ``--connect-timeout``, ``--timeout``, ``--ca-file``, ``--insecure``,
``--header``; ``watch`` also ``--idle``, ``--count``, ``--no-reconnect``).

Examples:
    >>> parse_value("1"), parse_value("2.5"), parse_value("on"), parse_value("Current")
    (1, 2.5, 1, 'Current')
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from iotws.cli import (
    Output,
    Record,
    add_group,
    add_verb,
    connect_options,
    connected,
    local_text,
    protocol_main,
    record,
    serve,
    stream,
)
from iotws.errors import UsageError
from iotws.evok.client import Client
from iotws.evok.models import Device
from iotws.evok.protocol import DeviceChanged, DeviceRemoved, SetCommand, filter_passes, normalize_filter
from iotws.evok.simulator import EvokSimulator

__all__ = ["demo", "describe", "device_record", "parse_value", "register"]

_TRUE = {"on": 1, "true": 1, "off": 0, "false": 0}


def parse_value(text: str) -> int | float | str:
    """A command-line value: an int, a float, ``on``/``off``/``true``/``false`` (1/0), else text.

    Examples:
        >>> parse_value("-3"), parse_value("OFF")
        (-3, 0)
    """
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return _TRUE[lowered]
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def describe(device: Device) -> str:
    """A short text of a device's state for tables: its value (with unit) and notable fields.

    Examples:
        >>> from iotws.evok.models import AnalogInput, Relay
        >>> describe(AnalogInput(dev="ai", circuit="1_01", value=8.7, unit="V"))
        '8.7 V'
        >>> describe(Relay(dev="ro", circuit="2_01", value=1, alias="lamp"))
        '1 (lamp)'
    """
    parts: list[str] = []
    value = getattr(device, "value", None)
    if value is not None:
        unit = getattr(device, "unit", None)
        parts.append(f"{value} {unit}" if unit else str(value))
    for name in ("counter", "mode", "pwm_duty", "timeout", "model"):
        extra = getattr(device, name, None)
        if extra is not None and not (name == "mode" and extra == "Simple"):
            parts.append(f"{name}={extra}")
    if device.alias:
        parts.append(f"({device.alias})")
    return " ".join(parts) or "-"


def device_record(event: DeviceChanged | DeviceRemoved, when: dt.datetime | None = None) -> Record:
    """The ``value`` record of a device state (``removed`` for a device EVOK no longer lists).

    ``point`` is ``"DEV CIRCUIT"``, ``name`` the alias; ``detail`` holds the full state as EVOK sends it.

    Examples:
        >>> from iotws.evok.models import AnalogInput
        >>> rec = device_record(DeviceChanged(AnalogInput(dev="ai", circuit="1_01", value=8.7, unit="V"), None))
        >>> rec["point"], rec["value"], rec["unit"], rec["detail"]["resync"]
        ('ai 1_01', 8.7, 'V', False)
    """
    d = event.device
    point = f"{d.dev} {d.circuit}"
    detail: dict[str, Any] = {"dev": d.dev, "circuit": d.circuit, "state": d.to_wire()}
    if isinstance(event, DeviceRemoved):
        return record("evok", "removed", when, point=point, name=d.alias, detail=detail)
    detail["resync"] = event.resync
    return record(
        "evok", "value", when, point=point, name=d.alias, value=getattr(d, "value", None),
        unit=getattr(d, "unit", None), detail=detail,
    )


def _watch(args: argparse.Namespace, out: Output) -> int:
    devices = normalize_filter(d for d in args.filter.split(",") if d) if args.filter is not None else None

    def records(event: object) -> Iterator[tuple[Record, str | None]]:
        # the client streams only the filtered types; the check keeps the output to them whatever arrives
        if isinstance(event, DeviceChanged | DeviceRemoved) and filter_passes(devices, event.device):
            rec = device_record(event)
            d = event.device
            state = describe(d) if isinstance(event, DeviceChanged) else "(removed)"
            when = local_text(dt.datetime.fromisoformat(rec["time"]))
            yield rec, f"{when}  {d.dev:<5} {d.circuit:<18} {state}"

    client = Client(args.url, filter=devices, **connect_options(args))
    with connected(client, out), out.live():
        return stream(out, client.events(timeout=args.idle), records, count=args.count, idle=args.idle)


def _set(args: argparse.Namespace, out: Output) -> int:
    params: dict[str, Any] = {}  # parse_value() gives int, float or str
    if args.value is not None:
        params["value"] = parse_value(args.value)
    for item in args.param:
        key, found, text = item.partition("=")
        if not found or not key.strip():
            raise UsageError(f"--param {item!r}: expected NAME=VALUE, e.g. timeout=2")
        params[key.strip()] = parse_value(text)
    if not params:
        raise UsageError("give a VALUE or at least one --param NAME=VALUE")
    SetCommand(args.dev, args.circuit, params, confirm=args.confirm)  # bad arguments fail before connecting
    if args.confirm and "timeout" in params:
        raise UsageError("--param timeout (EVOK's own) cannot go with --confirm: send it without --confirm")
    point = f"{args.dev} {args.circuit}"
    client = Client(args.url, **connect_options(args, reconnect=None))
    with connected(client, out):
        if not args.confirm:
            client.send(args.dev, args.circuit, **params)
            detail = {"confirmed": False, "params": params}
            rec = record("evok", "result", None, point=point, ok=True, value=params.get("value"), detail=detail)
            out.emit(rec, f"sent {point} {params} (EVOK does not reply)")
            return 0
        result = client.set(args.dev, args.circuit, **params)
    detail = {"confirmed": True, "params": params, "state": result.to_wire()}
    rec = record(
        "evok", "result", None, point=f"{result.dev} {result.circuit}", ok=True, value=getattr(result, "value", None),
        detail=detail,
    )
    out.emit(rec, f"confirmed {result.dev} {result.circuit}: {describe(result)}")
    return 0


def _simulate(args: argparse.Namespace, out: Output) -> int:
    sim = EvokSimulator(host=args.host, port=args.port, v2=args.v2, scan_rate=args.scan_rate)
    return serve(sim, out, banner=lambda: {"watch": f"iotws evok watch {sim.url()}"})


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], prog: str | None = None) -> None:
    """Add ``iotws evok`` and its verbs to the ``iotws`` parser."""
    verbs = add_group(subparsers, "evok", help="Unipi EVOK WebSocket API", prog=prog)

    simulate = add_verb(verbs, "simulate", _simulate, help="run the EVOK simulator (prints its URL first)",
                        interrupted=0)
    simulate.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    simulate.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    simulate.add_argument("--v2", action="store_true", help="behave as EVOK 2.x (v2 names, full answered)")
    simulate.add_argument("--scan-rate", type=float, default=50.0, help="scans per second (default 50)")

    watch = add_verb(verbs, "watch", _watch, help="show the live device state", client=True, streams=True)
    watch.add_argument("url", metavar="URL", help="e.g. ws://plc/ws or ws://127.0.0.1:8080/ws")
    watch.add_argument("--filter", help="device types, e.g. ro,di,ai (friendly names accepted)")

    setter = add_verb(verbs, "set", _set, help="write to a device (value-dict form)", client=True)
    setter.add_argument("url", metavar="URL")
    setter.add_argument("dev", metavar="DEV", help="device type: ro/relay, do/output, led, ao, ai, di, wd...")
    setter.add_argument("circuit", metavar="CIRCUIT", help="circuit, e.g. 2_01, or an alias")
    setter.add_argument("value", metavar="VALUE", nargs="?", help="the value (1/0, on/off, a number, a mode name)")
    setter.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="more parameters")
    setter.add_argument("--confirm", action="store_true", help="wait (up to --timeout) until EVOK reports the value")


def demo(seconds: float, report: Callable[[str, str, str], None], stop: threading.Event | None = None) -> None:
    """Run the simulator and a client for ``seconds`` (or until ``stop``), reporting live values; toggles a relay.

    Examples:
        >>> rows = {}
        >>> demo(0.5, lambda p, name, value: rows.__setitem__(name, value))
        >>> "ro 2_01" in rows
        True
    """
    stop = stop or threading.Event()
    sim = EvokSimulator(di_toggle_period=0.5, temp_interval=0.5, scan_rate=20)
    with sim.run(), Client(sim.url(), request_timeout=2.0) as client:
        shown = ("ro", "di", "ai", "ao", "temp", "do", "led")
        for device in client.state.snapshot().values():
            if device.dev in shown:
                report("evok", f"{device.dev} {device.circuit}", describe(device))
        deadline = time.monotonic() + seconds
        next_toggle = time.monotonic() + 1.0
        on = False
        while (remaining := deadline - time.monotonic()) > 0 and not stop.is_set():
            for event in client.events(timeout=min(remaining, 0.2)):
                if isinstance(event, DeviceChanged) and not event.resync and event.device.dev in shown:
                    d = event.device
                    report("evok", f"{d.dev} {d.circuit}", describe(d))
                break
            if time.monotonic() >= next_toggle:
                on = not on
                client.set_relay("2_01", on)
                next_toggle += 1.0


if __name__ == "__main__":
    sys.exit(protocol_main("evok"))
