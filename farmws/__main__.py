"""``iotws farmws ...`` (also ``python -m iotws.farmws ...``): simulate, watch, emit, controller.

* ``simulate [--host H] [--port N] [--no-emulator] [--time-scale X]``: the
  reference server; the first stdout line is its base URL.
* ``watch URL [--client-id ID]``: dashboard events (Dialect D ``/clients/<id>``):
  a ``value`` record per reading, an ``event`` record per irrigation change or
  disconnected sensor; a ``/client/live_hardware_infor`` URL or ``--live`` gives a
  ``value`` record per sensor of each Dialect I snapshot.
* ``emit URL EVENT --data JSON``: send one event as a controller (a ``result`` record).
* ``controller URL [--device NAME] [--interval S] [--steps N]``: run the emulated
  controller against any server (``--device`` or a ``/controller/<name>`` URL: as a
  Dialect I device answering commands), printing what it sends and receives.

Every verb takes the common flags of ``iotws`` (``-v/-q``, ``--json``; the client
verbs ``--connect-timeout``, ``--timeout``, ``--ca-file``, ``--insecure``,
``--header``; ``watch`` also ``--idle``, ``--count``, ``--no-reconnect``).

Examples:
    >>> from iotws.cli import main
    >>> main(["farmws", "emit", "ws://127.0.0.1:9/", "temperature", "--data", "{oops"])
    1
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

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
    value_text,
)
from iotws.errors import ConnectionClosed, ProtocolError, UsageError
from iotws.farmws.client import ControllerClient, DashboardClient, DeviceClient, LiveClient
from iotws.farmws.emulator import FarmEmulator
from iotws.farmws.models import (
    DeviceCommand,
    FarmEvent,
    GenericEvent,
    IrrigationEvent,
    Reading,
    SensorDisconnected,
    ServerError,
    Snapshot,
    event_from_wire,
)
from iotws.farmws.protocol import device_url
from iotws.farmws.simulator import LIVE_PATH, FarmSimulator

__all__ = ["demo", "event_records", "register"]

#: The client id ``watch`` uses when the URL names none.
DEFAULT_CLIENT_ID = "iotws"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], prog: str | None = None) -> None:
    """Add the ``farmws`` sub-command and its verbs to the ``iotws`` parser."""
    verbs = add_group(subparsers, "farmws", help="farm irrigation controller WebSocket (both dialects)", prog=prog)

    sim = add_verb(verbs, "simulate", _simulate, help="run the reference server (prints its URL first)",
                   interrupted=0)
    sim.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    sim.add_argument("--port", type=int, default=0, help="port (default 0: a free one)")
    sim.add_argument("--no-emulator", action="store_true", help="no built-in emulated controller")
    sim.add_argument("--time-scale", type=float, default=1.0, help="multiply every interval (0.1 = 10x faster)")
    sim.add_argument("--seed", type=int, default=None, help="seed of the emulated controller")

    watch = add_verb(verbs, "watch", _watch, help="print dashboard events", client=True, streams=True)
    watch.add_argument("url", metavar="URL")
    watch.add_argument("--client-id", default=None, help=f"dashboard id (default {DEFAULT_CLIENT_ID!r})")
    watch.add_argument("--live", action="store_true", help="Dialect I: snapshots from /client/live_hardware_infor")

    emit = add_verb(verbs, "emit", _emit, help="send one event as a controller", client=True)
    emit.add_argument("url", metavar="URL")
    emit.add_argument("event", metavar="EVENT", help="event name, e.g. temperature")
    emit.add_argument("--data", required=True, help='JSON data, e.g. \'{"time": 1, "record": 223}\'')

    ctl = add_verb(verbs, "controller", _controller, help="run the emulated controller against a server", client=True)
    ctl.add_argument("url", metavar="URL")
    ctl.add_argument("--device", default=None, help="Dialect I: connect as /controller/DEVICE")
    ctl.add_argument("--interval", type=float, default=1.0, help="seconds between readings (default 1)")
    ctl.add_argument("--steps", type=int, default=None, metavar="N", help="exit after N steps (default: until Ctrl-C)")
    ctl.add_argument("--seed", type=int, default=None, help="seed of the emulated controller")


def _simulate(args: argparse.Namespace, out: Output) -> int:
    if args.time_scale <= 0:
        raise UsageError("--time-scale must be positive")
    sim = FarmSimulator(
        args.host, args.port, emulate=not args.no_emulator, time_scale=args.time_scale, seed=args.seed
    )

    def banner() -> dict[str, str]:
        return {
            "watch": f"iotws farmws watch {sim.url('/')} --client-id 42",
            "live": f"iotws farmws watch {sim.url(LIVE_PATH)}",
        }

    return serve(sim, out, "/", banner)


def _is_live(url: str) -> bool:
    return urlsplit(url).path.rstrip("/") == LIVE_PATH


def event_records(event: object, direction: str = "received") -> Iterator[tuple[Record, str | None]]:
    """The records of one farmws event (``direction``: ``"received"`` or ``"sent"``, in ``detail``).

    Readings and snapshot sensors are ``value`` records; irrigation changes, disconnected
    sensors, other events and server errors ``event`` records; device commands ``command``
    records. Device times (not Unix times) are ``detail["device_time"]``.

    Examples:
        >>> from iotws.farmws import Temperature
        >>> [(rec["type"], rec["point"], rec["value"]) for rec, _ in event_records(Temperature(time=7, record=223))]
        [('value', 'temperature', 223)]
    """
    now = dt.datetime.now(dt.UTC)
    when = local_text(now)
    if isinstance(event, Reading):
        unit = event.extra.get("unit")
        detail = {"device_time": event.time, "direction": direction, **event.extra}
        rec = record("farmws", "value", now, point=event.event, value=event.record, unit=unit, detail=detail)
        yield rec, f"{when}  {event.event:<14} {value_text(event.record)}{f' {unit}' if unit else ''}" \
                   f"  (device time {value_text(event.time)})"
    elif isinstance(event, IrrigationEvent):
        zones = ",".join(event.zones or ())
        detail = {"device_time": event.time, "zones": list(event.zones or ()), "direction": direction}
        yield record("farmws", "event", now, point=zones or None, name=event.event, detail=detail), \
            f"{when}  {event.event:<14} zones {zones or '-'}"
    elif isinstance(event, SensorDisconnected):
        detail = {"device_time": event.time, "direction": direction}
        yield record("farmws", "event", now, point=event.sensor, name=event.event, detail=detail), \
            f"{when}  {event.event:<14} {event.sensor}"
    elif isinstance(event, GenericEvent):
        detail = {"data": event.data, "direction": direction}
        yield record("farmws", "event", now, name=event.event, detail=detail), \
            f"{when}  {event.event:<14} {value_text(event.data)}"
    elif isinstance(event, ServerError):
        detail = {"message": event.message, "direction": direction}
        yield record("farmws", "event", now, name="error", detail=detail), f"{when}  server error: {event.message}"
    elif isinstance(event, DeviceCommand):
        detail = {"cmd": event.cmd, "return_id": event.return_id, "direction": direction}
        rec = record("farmws", "command", now, name=" ".join(event.words), params=event.options, detail=detail)
        yield rec, f"{when}  command {event.cmd}"
    elif isinstance(event, Snapshot):
        for device in event.devices.values():
            for sid, sensor in device.sensors.items():
                unit = sensor.extra.get("unit")
                detail = {"device": device.name, "sensor": sid, "connected": sensor.status, "direction": direction}
                rec = record(
                    "farmws", "value", now, point=f"{device.name}/{sid}", name=sensor.name, value=sensor.last_value,
                    unit=unit, error=sensor.problem, detail=detail,
                )
                state = "" if sensor.status is None else ("  (connected)" if sensor.status else "  (disconnected)")
                yield rec, f"{when}  {device.name}/{sid}  {value_text(sensor.last_value)}" \
                           f"{f' {unit}' if unit else ''}{state}"


def _watch(args: argparse.Namespace, out: Output) -> int:
    path = urlsplit(args.url).path
    options = connect_options(args)
    client: LiveClient | DashboardClient
    if args.live or _is_live(args.url):
        client = LiveClient(args.url, **options)
    elif args.client_id is not None or path in ("", "/"):
        client = DashboardClient(args.url, client_id=args.client_id or DEFAULT_CLIENT_ID, **options)
    else:
        client = DashboardClient(args.url, **options)
    with connected(client, out), out.live():
        return stream(out, client.events(timeout=args.idle), event_records, count=args.count, idle=args.idle)


def _emit(args: argparse.Namespace, out: Output) -> int:
    try:
        data = json.loads(args.data)
    except ValueError as exc:
        raise UsageError(f"--data is not JSON: {exc}") from None
    try:
        event = event_from_wire({"event": args.event, "data": data})
    except ProtocolError as exc:
        raise UsageError(f"not a valid {args.event!r} event: {exc}") from None
    with connected(ControllerClient(args.url, **connect_options(args, reconnect=None)), out) as client:
        client.emit(event)
    rec = record("farmws", "result", None, point=args.event, ok=True, value=data, detail={"wire": event.to_wire()})
    out.emit(rec, f"sent {args.event} {json.dumps(data)}")
    return 0


def _controller(args: argparse.Namespace, out: Output) -> int:
    if args.interval <= 0:
        raise UsageError("--interval must be positive")
    emulator = FarmEmulator(seed=args.seed)
    if args.device is not None or urlsplit(args.url).path.startswith("/controller/"):
        return _run_device(args, emulator, out)
    with connected(ControllerClient(args.url, **connect_options(args)), out) as client:
        out.status(f"sending a reading every {args.interval:g} s (Ctrl-C to stop)")
        for _ in _steps(args):
            for event in emulator.step(args.interval):
                try:
                    client.emit(event)
                except ConnectionClosed as exc:
                    out.warning(f"not sent: {exc}")
                    break
                _show(out, event, "sent")
    return 0


def _show(out: Output, event: FarmEvent | DeviceCommand, direction: str) -> None:
    for rec, human in event_records(event, direction):
        out.emit(rec, human)


def _run_device(args: argparse.Namespace, emulator: FarmEmulator, out: Output) -> int:
    url = device_url(args.url, args.device) if args.device is not None else args.url
    client = DeviceClient(url, handlers=emulator.handlers(), **connect_options(args))
    client.on(DeviceCommand, lambda command: _show(out, command, "received"))
    with connected(client, out):
        out.status(f"sending sensor values every {args.interval:g} s (Ctrl-C to stop)")
        for _ in _steps(args):
            emulator.step(args.interval)
            values = emulator.sensor_values()
            try:
                client.sensor_update(values)
                client.sensor_status(emulator.sensor_status())
            except ConnectionClosed as exc:
                out.warning(f"not sent: {exc}")
                continue
            now = dt.datetime.now(dt.UTC)
            for sensor, value in values.items():
                rec = record("farmws", "value", now, point=sensor, value=value, detail={"direction": "sent"})
                out.emit(rec, f"{local_text(now)}  sent {sensor} {value_text(value)}")
    return 0


def _steps(args: argparse.Namespace) -> Any:
    step = 0
    next_at = time.monotonic()
    while args.steps is None or step < args.steps:
        if step:
            next_at += args.interval
            time.sleep(max(0.0, next_at - time.monotonic()))
        step += 1
        yield step


def demo(seconds: float, report: Callable[[str, str, str], None], stop: threading.Event | None = None) -> None:
    """Run the reference server with its emulated controller and a dashboard for ``seconds`` (or until ``stop``).

    Examples:
        >>> rows = []
        >>> demo(1.0, lambda p, n, v: rows.append(n))
        >>> "temperature" in rows
        True
    """
    stop = stop or threading.Event()
    deadline = time.monotonic() + seconds
    with (
        FarmSimulator(time_scale=0.25).run() as sim,
        DashboardClient(sim.url("/"), client_id="demo", reconnect=None) as dash,
        LiveClient(sim.url("/"), reconnect=None) as live,
    ):
        live.on(Snapshot, lambda snap: _report_snapshot(snap, report))
        while (remaining := deadline - time.monotonic()) > 0 and not stop.is_set():
            for event in dash.events(timeout=min(remaining, 0.5)):
                if isinstance(event, Reading):
                    report("farmws", event.event, f"{event.record} @ t={event.time}")
                elif isinstance(event, IrrigationEvent):
                    report("farmws", "irrigation", f"{event.event} {','.join(event.zones or ())}")
                elif isinstance(event, SensorDisconnected):
                    report("farmws", "sensor_disconnected", str(event.sensor))
                if time.monotonic() >= deadline or stop.is_set():
                    break


def _report_snapshot(snapshot: Snapshot, report: Callable[[str, str, str], None]) -> None:
    for device in snapshot.devices.values():
        for sid, sensor in device.sensors.items():
            if sensor.last_value is not None:
                report("farmws", f"{device.name}/{sid}", str(sensor.last_value))


if __name__ == "__main__":
    sys.exit(protocol_main("farmws"))
