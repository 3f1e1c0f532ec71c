"""``iotws farmws ...`` (also ``python -m iotws.farmws ...``): simulate, watch, emit, controller.

* ``simulate [--host H] [--port N] [--no-emulator] [--time-scale X]``: the
  reference server; the first stdout line is its base URL.
* ``watch URL [--client-id ID] [--count N] [--json] [--timeout S]``: print
  dashboard events (Dialect D ``/clients/<id>``; a ``/client/live_hardware_infor``
  URL or ``--live`` prints Dialect I snapshots).
* ``emit URL EVENT --data JSON``: send one event as a controller.
* ``controller URL [--device NAME] [--interval S] [--count N] [--json]``: run the
  emulated controller against any server (``--device`` or a
  ``/controller/<name>`` URL: as a Dialect I device answering commands).

Examples:
    >>> from iotws.cli import main
    >>> main(["farmws", "emit", "ws://127.0.0.1:9/", "temperature", "--data", "{oops"])
    1
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from iotws.cli import cli_errors, print_event, print_stream, protocol_main
from iotws.errors import ConnectionClosed, ProtocolError, UsageError
from iotws.farmws.client import ControllerClient, DashboardClient, DeviceClient, LiveClient
from iotws.farmws.emulator import FarmEmulator
from iotws.farmws.models import (
    DeviceCommand,
    IrrigationEvent,
    Reading,
    SensorDisconnected,
    Snapshot,
    event_from_wire,
)
from iotws.farmws.protocol import device_url
from iotws.farmws.simulator import LIVE_PATH, FarmSimulator
from iotws.simulator import serve_cli

__all__ = ["demo", "register"]

#: The client id ``watch`` uses when the URL names none.
DEFAULT_CLIENT_ID = "iotws"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], prog: str | None = None) -> None:
    """Add the ``farmws`` sub-command and its verbs to the ``iotws`` parser."""
    parser = subparsers.add_parser("farmws", help="farm irrigation controller WebSocket (both dialects)", prog=prog)
    parser.set_defaults(func=lambda args: _usage(parser))
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")

    sim = verbs.add_parser("simulate", help="run the reference server (prints its URL first)")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=0, help="0 picks a free port")
    sim.add_argument("--no-emulator", action="store_true", help="no built-in emulated controller")
    sim.add_argument("--time-scale", type=float, default=1.0, help="multiply every interval (0.1 = 10x faster)")
    sim.add_argument("--seed", type=int, default=None, help="seed of the emulated controller")
    sim.set_defaults(func=cli_errors(_simulate))

    watch = verbs.add_parser("watch", help="print dashboard events")
    watch.add_argument("url", metavar="URL")
    watch.add_argument("--client-id", default=None, help=f"dashboard id (default {DEFAULT_CLIENT_ID!r})")
    watch.add_argument("--live", action="store_true", help="Dialect I: snapshots from /client/live_hardware_infor")
    watch.add_argument("--count", type=int, default=None, help="exit after N events")
    watch.add_argument("--json", action="store_true", help="one JSON object per line")
    watch.add_argument("--timeout", type=float, default=None, help="give up after S seconds without an event")
    watch.set_defaults(func=cli_errors(_watch))

    emit = verbs.add_parser("emit", help="send one event as a controller")
    emit.add_argument("url", metavar="URL")
    emit.add_argument("event", metavar="EVENT", help="event name, e.g. temperature")
    emit.add_argument("--data", required=True, help='JSON data, e.g. \'{"time": 1, "record": 223}\'')
    emit.set_defaults(func=cli_errors(_emit))

    ctl = verbs.add_parser("controller", help="run the emulated controller against a server")
    ctl.add_argument("url", metavar="URL")
    ctl.add_argument("--device", default=None, help="Dialect I: connect as /controller/DEVICE")
    ctl.add_argument("--interval", type=float, default=1.0, help="seconds between readings (default 1)")
    ctl.add_argument("--count", type=int, default=None, help="exit after N steps")
    ctl.add_argument("--json", action="store_true", help="print what is sent/received as JSON lines")
    ctl.add_argument("--seed", type=int, default=None)
    ctl.set_defaults(func=cli_errors(_controller))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def _simulate(args: argparse.Namespace) -> int:
    if args.time_scale <= 0:
        raise UsageError("--time-scale must be positive")
    sim = FarmSimulator(
        args.host, args.port, emulate=not args.no_emulator, time_scale=args.time_scale, seed=args.seed
    )
    return serve_cli(sim, "/")


def _is_live(url: str) -> bool:
    return urlsplit(url).path.rstrip("/") == LIVE_PATH


def _watch(args: argparse.Namespace) -> int:
    path = urlsplit(args.url).path
    client: LiveClient | DashboardClient
    if args.live or _is_live(args.url):
        client = LiveClient(args.url)
    elif args.client_id is not None or path in ("", "/"):
        client = DashboardClient(args.url, client_id=args.client_id or DEFAULT_CLIENT_ID)
    else:
        client = DashboardClient(args.url)
    with client:
        return print_stream(
            client.events(timeout=args.timeout),
            count=args.count,
            label="farmws",
            show=lambda event: print_event(event, args.json),
        )


def _emit(args: argparse.Namespace) -> int:
    try:
        data = json.loads(args.data)
    except ValueError as exc:
        raise UsageError(f"--data is not JSON: {exc}") from None
    try:
        event = event_from_wire({"event": args.event, "data": data})
    except ProtocolError as exc:
        raise UsageError(f"not a valid {args.event!r} event: {exc}") from None
    with ControllerClient(args.url, reconnect=None) as client:
        client.emit(event)
    return 0


def _controller(args: argparse.Namespace) -> int:
    if args.interval <= 0:
        raise UsageError("--interval must be positive")
    emulator = FarmEmulator(seed=args.seed)
    if args.device is not None or urlsplit(args.url).path.startswith("/controller/"):
        return _run_device(args, emulator)
    with ControllerClient(args.url) as client:
        for _ in _steps(args):
            for event in emulator.step(args.interval):
                try:
                    client.emit(event)
                except ConnectionClosed as exc:
                    print(f"farmws: not sent: {exc}", file=sys.stderr, flush=True)
                    break
                print_event(event, args.json)
    return 0


def _run_device(args: argparse.Namespace, emulator: FarmEmulator) -> int:
    url = device_url(args.url, args.device) if args.device is not None else args.url
    client = DeviceClient(url, handlers=emulator.handlers())
    client.on(DeviceCommand, lambda command: print_event(command, args.json))
    with client:
        for _ in _steps(args):
            emulator.step(args.interval)
            try:
                client.sensor_update(emulator.sensor_values())
                client.sensor_status(emulator.sensor_status())
            except ConnectionClosed as exc:
                print(f"farmws: not sent: {exc}", file=sys.stderr, flush=True)
                continue
            print_event({"sensor_update": emulator.sensor_values()}, args.json)
    return 0


def _steps(args: argparse.Namespace) -> Any:
    step = 0
    next_at = time.monotonic()
    while args.count is None or step < args.count:
        if step:
            next_at += args.interval
            time.sleep(max(0.0, next_at - time.monotonic()))
        step += 1
        yield step


def demo(seconds: float, report: Callable[[str, str, str], None]) -> None:
    """Run the reference server with its emulated controller and a dashboard for ``seconds``.

    Examples:
        >>> rows = []
        >>> demo(1.0, lambda p, n, v: rows.append(n))
        >>> "temperature" in rows
        True
    """
    deadline = time.monotonic() + seconds
    with (
        FarmSimulator(time_scale=0.25).run() as sim,
        DashboardClient(sim.url("/"), client_id="demo", reconnect=None) as dash,
        LiveClient(sim.url("/"), reconnect=None) as live,
    ):
        live.on(Snapshot, lambda snap: _report_snapshot(snap, report))
        while (remaining := deadline - time.monotonic()) > 0:
            for event in dash.events(timeout=remaining):
                if isinstance(event, Reading):
                    report("farmws", event.event, f"{event.record} @ t={event.time}")
                elif isinstance(event, IrrigationEvent):
                    report("farmws", "irrigation", f"{event.event} {','.join(event.zones or ())}")
                elif isinstance(event, SensorDisconnected):
                    report("farmws", "sensor_disconnected", str(event.sensor))
                if time.monotonic() >= deadline:
                    break


def _report_snapshot(snapshot: Snapshot, report: Callable[[str, str, str], None]) -> None:
    for device in snapshot.devices.values():
        for sid, sensor in device.sensors.items():
            if sensor.last_value is not None:
                report("farmws", f"{device.name}/{sid}", str(sensor.last_value))


if __name__ == "__main__":
    sys.exit(protocol_main("farmws"))
