"""``iotws globiots ...`` (and ``python -m iotws.globiots ...``): simulate, watch, set.

Examples:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="iotws")
    >>> register(parser.add_subparsers())
    >>> args = parser.parse_args(["globiots", "watch", "ws://127.0.0.1:1/data-engine", "--host", "0.0.0.1",
    ...                           "--point", "2000:float", "--point", "200B:hexa:3"])
    >>> [p.address for p in points_of(args)]
    ['2000', '200B']
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

from iotws.cli import cli_errors, print_event, protocol_main, to_jsonable
from iotws.codec import DataType
from iotws.errors import CodecError, RequestTimeout, UsageError
from iotws.events import Disconnected, ProtocolViolation, Reconnected
from iotws.globiots.client import Client
from iotws.globiots.models import Point, RealtimeUpdate, SetDataError
from iotws.globiots.protocol import DEFAULT_BASE_URL
from iotws.globiots.simulator import SIGNALS, GlobiotsSimulator
from iotws.simulator import serve_cli

__all__ = ["demo", "parse_point", "points_of", "register"]


def parse_point(hostname: str, spec: str) -> Point:
    """``ADDRESS:TYPE[:LENGTH]`` on ``hostname`` -> a :class:`Point` (``UsageError`` if bad).

    Examples:
        >>> parse_point("0.0.0.1", "2308:string:16")
        Point(hostname='0.0.0.1', address='2308', data_type=<DataType.STRING: 'string'>, length=16)
        >>> parse_point("0.0.0.1", "2000:uint16").data_type
        <DataType.UINT16: 'unsigned_integer_16'>
    """
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not parts[1]:
        raise UsageError(f"--point {spec!r}: expected ADDRESS:TYPE[:LENGTH], e.g. 2000:float or 200B:hexa:3")
    length: int | None = None
    if len(parts) == 3:
        if not parts[2].isdigit():
            raise UsageError(f"--point {spec!r}: LENGTH must be a number of bytes")
        length = int(parts[2])
    data_type = DataType.from_wire(parts[1])
    if length is None:
        return Point(hostname, parts[0], data_type)
    return Point(hostname, parts[0], data_type, length)


def points_of(args: argparse.Namespace) -> list[Point]:
    """Every ``--point`` on every ``--host`` of parsed arguments."""
    return [parse_point(host, spec) for host in args.host for spec in args.point]


def _connect_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {"connect_timeout": args.timeout, "request_timeout": args.timeout}
    if args.ca_file:
        options["ca_file"] = args.ca_file
    if args.insecure:
        options["verify"] = False
    if args.header:
        options["headers"] = dict(_pair(h, ":") for h in args.header)
    if args.query:
        options["query"] = dict(_pair(q, "=") for q in args.query)
    return options


def _pair(text: str, sep: str) -> tuple[str, str]:
    key, found, value = text.partition(sep)
    if not found or not key.strip():
        raise UsageError(f"expected NAME{sep}VALUE, got {text!r}")
    return key.strip(), value.strip()


def _table(update: RealtimeUpdate) -> str:
    when = update.timestamp.isoformat(timespec="milliseconds") if update.timestamp else "-"
    lines = [f"update at {when}", f"{'hostname':<12} {'address':<7} {'type':<20} {'change':<9} value"]
    for v in update.values:
        data_type = v.data_type.value if isinstance(v.data_type, DataType) else v.data_type
        change = v.change.value if v.change else "-"
        shown = v.raw if v.ok else f"<{v.status or 'no value'} {v.raw_code or ''}>".replace(" >", ">")
        lines.append(f"{v.hostname:<12} {v.address:<7} {data_type:<20} {change:<9} {shown}")
    return "\n".join(lines)


@cli_errors
def _watch(args: argparse.Namespace) -> int:
    points = points_of(args)
    silence = args.timeout + 3 * args.update_time
    live = sys.stdout.isatty() and not args.json
    seen = 0

    def show(update: RealtimeUpdate) -> None:
        if args.json:
            print_event(update, as_json=True)
        else:
            print(("\x1b[2J\x1b[H" if live else "") + _table(update), flush=True)

    with Client(args.url, mobile=args.mobile, **_connect_options(args)) as client:
        first = client.subscribe(points, update_time=args.update_time, timezone=args.timezone)
        show(first)
        seen = 1
        while args.count == 0 or seen < args.count:
            got = False
            for event in client.events(timeout=silence):
                got = True
                if isinstance(event, RealtimeUpdate):
                    if event is first:
                        break  # the first push is also in the stream: already shown
                    show(event)
                    seen += 1
                elif isinstance(event, Disconnected | Reconnected | ProtocolViolation):
                    print(f"{type(event).__name__}: {to_jsonable(event)}", file=sys.stderr, flush=True)
                break
            if not got:
                raise RequestTimeout(f"no update from {args.url} within {silence:g} s")
    return 0


@cli_errors
def _set(args: argparse.Namespace) -> int:
    points = points_of(args)
    try:
        writes = [(p, p.parse(args.value)) for p in points]
    except CodecError as exc:
        raise UsageError(f"--value {args.value!r}: {exc}") from None
    with Client(args.url, **_connect_options(args)) as client:
        response = client.set_many(writes, check=False)
    for result in response.results:
        if args.json:
            print_event(result, as_json=True)
        else:
            print(f"{result.hostname}/{result.address}: {result.raw_code} {result.meaning} ({result.message})")
    failed = response.failures
    if failed:
        print(f"error: {SetDataError.from_result(failed[0], response)}", file=sys.stderr)
        return 1
    return 0


def _simulate(args: argparse.Namespace) -> int:
    sim = GlobiotsSimulator(args.device or ("0.0.0.1", "0.0.0.2"), time_scale=args.time_scale,
                            host=args.host, port=args.port)
    def banner(running: object) -> str:
        hosts = " ".join(f"--host {h}" for h in (args.device or ("0.0.0.1", "0.0.0.2")))
        return f"watch: iotws globiots watch {sim.url('/data-engine')} {hosts} --point 2000:float --point 2006:uint32"

    return serve_cli(sim, "/data-engine", banner)


def _client_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", nargs="?", default=DEFAULT_BASE_URL,
                        help=f"Data Engine base URL (default {DEFAULT_BASE_URL})")
    parser.add_argument("--host", action="append", required=True, metavar="HOSTNAME",
                        help="iConnector hostname such as 0.0.0.1 (repeatable)")
    parser.add_argument("--point", action="append", required=True, metavar="ADDRESS:TYPE[:LENGTH]",
                        help="hex byte address and data type, e.g. 2000:float, 200B:hexa:3 (repeatable)")
    parser.add_argument("--json", action="store_true", help="one JSON object per line")
    parser.add_argument("--timeout", type=float, default=10.0, help="connect/request timeout in s (default 10)")
    parser.add_argument("--ca-file", help="PEM file of the CA to trust (the vendor's certificate)")
    parser.add_argument("--insecure", action="store_true", help="do not verify the TLS certificate")
    parser.add_argument("--header", action="append", metavar="NAME:VALUE", help="extra upgrade header")
    parser.add_argument("--query", action="append", metavar="NAME=VALUE", help="extra query parameter")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], prog: str | None = None) -> None:
    """Add ``globiots`` with the verbs ``simulate``, ``watch`` and ``set``."""
    parser = subparsers.add_parser("globiots", help="Globiots Data Engine (Daviteq iConnector)", prog=prog)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)

    simulate = verbs.add_parser("simulate", help="run the simulator; prints its base URL first")
    simulate.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    simulate.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    simulate.add_argument("--time-scale", type=float, default=1.0, help="simulated seconds per second")
    simulate.add_argument("--device", action="append", metavar="HOSTNAME", help="device hostname (repeatable)")
    simulate.set_defaults(func=_simulate)

    watch = verbs.add_parser("watch", help="subscribe to points and print live values")
    _client_arguments(watch)
    watch.add_argument("--update-time", type=int, default=1, help="seconds between pushes (default 1)")
    watch.add_argument("--timezone", default="", help='time zone sent with the request, e.g. "GMT+07:00"')
    watch.add_argument("--count", type=int, default=0, help="exit after N updates (default: run until Ctrl-C)")
    watch.add_argument("--mobile", action="store_true", help="use the /mobile/realtime endpoint")
    watch.set_defaults(func=_watch)

    setter = verbs.add_parser("set", help="set a value at one address (on every --host and --point)")
    _client_arguments(setter)
    setter.add_argument("--value", required=True, help="the value as text: 3.3, 25, 0AFF, a string")
    setter.set_defaults(func=_set)


def demo(seconds: float, report: Callable[[str, str, str], None]) -> None:
    """Run the simulator and a client for ``seconds``, reporting live values."""
    names = {s.address: s.name for s in SIGNALS}
    with GlobiotsSimulator(time_scale=5).run() as sim, Client(sim.base_url, request_timeout=5) as client:
        written = Point("0.0.0.1", "3000", DataType.FLOAT)
        client.set(written, 42.5)
        names[0x3000] = "written"
        points = [s.point(h) for h in ("0.0.0.1", "0.0.0.2") for s in SIGNALS[:4]] + [written]
        client.subscribe(points, update_time=1)
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0:
            for event in client.events(timeout=min(remaining, 1.0)):
                if isinstance(event, RealtimeUpdate):
                    for v in event.values:
                        report("globiots", f"{v.hostname}/{v.address} {names.get(int(v.address, 16), '')}", v.raw)
                break


if __name__ == "__main__":
    sys.exit(protocol_main("globiots"))
