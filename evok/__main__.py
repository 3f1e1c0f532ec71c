"""``iotws evok ...`` (and ``python -m iotws.evok ...``): simulate, watch, set.

* ``iotws evok simulate [--host H] [--port N] [--v2] [--scan-rate HZ]``: run the
  simulator; the first stdout line is its URL.
* ``iotws evok watch URL [--filter ro,do,...] [--count N] [--json]``: a live table of
  the state (one line per change when stdout is not a terminal); ``--json`` prints
  one JSON object per device state (and per device EVOK no longer lists). With
  ``--filter`` only those types are shown, in every form.
* ``iotws evok set URL DEV CIRCUIT [VALUE] [--param k=v ...] [--confirm]``; a
  ``--confirm`` EVOK cannot honour is refused before connecting.

Examples:
    >>> parse_value("1"), parse_value("2.5"), parse_value("on"), parse_value("Current")
    (1, 2.5, 1, 'Current')
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

from iotws.cli import cli_errors, protocol_main
from iotws.errors import UsageError
from iotws.events import Disconnected, ProtocolViolation, Reconnected
from iotws.evok.client import Client
from iotws.evok.models import Device
from iotws.evok.protocol import DeviceChanged, DeviceRemoved, SetCommand, filter_passes, normalize_filter
from iotws.evok.simulator import EvokSimulator
from iotws.simulator import serve_cli

__all__ = ["demo", "describe", "parse_value", "register"]

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


def _json(event: DeviceChanged | DeviceRemoved) -> str:
    if isinstance(event, DeviceRemoved):
        return json.dumps({"type": "DeviceRemoved", "device": event.device.to_wire()}, ensure_ascii=False)
    return json.dumps(
        {"type": "DeviceChanged", "resync": event.resync, "device": event.device.to_wire()}, ensure_ascii=False
    )


def _table(client: Client, devices: list[str] | None) -> str:
    shown = (d for d in client.state.snapshot().values() if filter_passes(devices, d))
    rows = sorted(shown, key=lambda d: (d.dev, d.circuit))
    lines = [f"{'dev':<13} {'circuit':<18} state", "-" * 60]
    lines += [f"{d.dev:<13} {d.circuit:<18} {describe(d)}" for d in rows]
    return "\n".join(lines)


@cli_errors
def _watch(args: argparse.Namespace) -> int:
    devices = normalize_filter(d for d in args.filter.split(",") if d) if args.filter is not None else None
    live = sys.stdout.isatty() and not args.json
    shown = 0
    with Client(args.url, filter=devices, connect_timeout=args.timeout) as client:
        last_draw = 0.0
        while args.count == 0 or shown < args.count:
            for event in client.events(timeout=0.5):
                # the client streams only the filtered types; the check keeps the output to them whatever arrives
                if isinstance(event, DeviceChanged | DeviceRemoved) and filter_passes(devices, event.device):
                    shown += 1
                    if args.json:
                        print(_json(event), flush=True)
                    elif not live:
                        d = event.device
                        state = describe(d) if isinstance(event, DeviceChanged) else "(removed)"
                        print(f"{d.dev:<13} {d.circuit:<18} {state}", flush=True)
                elif isinstance(event, Disconnected | Reconnected | ProtocolViolation):
                    print(f"{type(event).__name__}: {event}", file=sys.stderr, flush=True)
                break
            if live and time.monotonic() - last_draw > 0.2:
                last_draw = time.monotonic()
                print("\x1b[2J\x1b[H" + _table(client, devices), flush=True)
    return 0


@cli_errors
def _set(args: argparse.Namespace) -> int:
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
    with Client(args.url, connect_timeout=args.timeout, request_timeout=args.timeout, reconnect=None) as client:
        if not args.confirm:
            client.send(args.dev, args.circuit, **params)
            print(f"sent {args.dev} {args.circuit} {params} (EVOK does not reply)")
            return 0
        result = client.set(args.dev, args.circuit, **params)
    print(f"confirmed {result.dev} {result.circuit}: {describe(result)}")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    sim = EvokSimulator(host=args.host, port=args.port, v2=args.v2, scan_rate=args.scan_rate)
    return serve_cli(sim)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], prog: str | None = None) -> None:
    """Add ``iotws evok`` and its verbs to the ``iotws`` parser."""
    parser = subparsers.add_parser("evok", help="Unipi EVOK WebSocket API", prog=prog)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    simulate = verbs.add_parser("simulate", help="run the EVOK simulator (prints its URL first)")
    simulate.add_argument("--host", default="127.0.0.1")
    simulate.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    simulate.add_argument("--v2", action="store_true", help="behave as EVOK 2.x (v2 names, full answered)")
    simulate.add_argument("--scan-rate", type=float, default=50.0, help="scans per second (default 50)")
    simulate.set_defaults(func=_simulate)

    watch = verbs.add_parser("watch", help="show the live device state")
    watch.add_argument("url", help="e.g. ws://plc/ws or ws://127.0.0.1:8080/ws")
    watch.add_argument("--filter", help="device types, e.g. ro,di,ai (friendly names accepted)")
    watch.add_argument(
        "--count", type=int, default=0, help="exit after N device states or removals (0: run until Ctrl-C)"
    )
    watch.add_argument("--json", action="store_true", help="one JSON object per device state or removal")
    watch.add_argument("--timeout", type=float, default=10.0, help="connect timeout in seconds")
    watch.set_defaults(func=_watch)

    setter = verbs.add_parser("set", help="write to a device (value-dict form)")
    setter.add_argument("url")
    setter.add_argument("dev", help="device type: ro/relay, do/output, led, ao, ai, di, wd...")
    setter.add_argument("circuit", help="circuit, e.g. 2_01, or an alias")
    setter.add_argument("value", nargs="?", help="the value (1/0, on/off, a number, a mode name)")
    setter.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="more parameters")
    setter.add_argument("--confirm", action="store_true", help="wait until EVOK reports the new value")
    setter.add_argument("--timeout", type=float, default=10.0, help="connect and confirm timeout in seconds")
    setter.set_defaults(func=_set)


def demo(seconds: float, report: Callable[[str, str, str], None]) -> None:
    """Run the simulator and a client for ``seconds``, reporting live values; toggles a relay.

    Examples:
        >>> rows = {}
        >>> demo(0.5, lambda p, name, value: rows.__setitem__(name, value))
        >>> "ro 2_01" in rows
        True
    """
    sim = EvokSimulator(di_toggle_period=0.5, temp_interval=0.5, scan_rate=20)
    with sim.run(), Client(sim.url(), request_timeout=2.0) as client:
        shown = ("ro", "di", "ai", "ao", "temp", "do", "led")
        for device in client.state.snapshot().values():
            if device.dev in shown:
                report("evok", f"{device.dev} {device.circuit}", describe(device))
        deadline = time.monotonic() + seconds
        next_toggle = time.monotonic() + 1.0
        on = False
        while (remaining := deadline - time.monotonic()) > 0:
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
