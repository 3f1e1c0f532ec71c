"""``iotws globiots ...`` (and ``python -m iotws.globiots ...``): simulate, watch, set.

* ``simulate [--host H] [--port N] [--time-scale X] [--device HOSTNAME ...]``: the
  simulator; the first stdout line is its Data Engine base URL.
* ``watch [URL] --host HOSTNAME... --point ADDRESS:TYPE[:LENGTH]...``: subscribe and
  print a ``value`` record per address of each push (a live table on a terminal).
* ``set [URL] --host ... --point ... --value TEXT``: a ``result`` record per address.

Every verb takes the common flags of ``iotws`` (``-v/-q``, ``--json``; the client
verbs ``--connect-timeout``, ``--timeout``, ``--ca-file``, ``--insecure``,
``--header``; ``watch`` also ``--idle``, ``--count``, ``--no-reconnect``), and the
client verbs ``--query NAME=VALUE``.

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
import datetime as dt
import sys
import threading
import time
from collections.abc import Callable, Iterator

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
from iotws.codec import DataType
from iotws.errors import CodecError, UsageError
from iotws.globiots.client import Client
from iotws.globiots.models import Point, PointValue, RealtimeUpdate, SetDataError, SetResult
from iotws.globiots.protocol import DEFAULT_BASE_URL, SET_DATA_PATH, endpoint_url
from iotws.globiots.simulator import SIGNALS, GlobiotsSimulator
from iotws.options import safe_url

__all__ = ["demo", "parse_point", "points_of", "register", "result_record", "value_record"]


def parse_point(hostname: str, spec: str) -> Point:
    """``ADDRESS:TYPE[:LENGTH]`` on ``hostname`` -> a [`Point`][iotws.globiots.Point] (``UsageError`` if bad).

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


def _pair(text: str, sep: str) -> tuple[str, str]:
    key, found, value = text.partition(sep)
    if not found or not key.strip():
        raise UsageError(f"expected NAME{sep}VALUE, got {text!r}")
    return key.strip(), value.strip()


def _query(args: argparse.Namespace) -> dict[str, str] | None:
    return dict(_pair(q, "=") for q in args.query) if args.query else None


def _type_name(data_type: DataType | str | None) -> str | None:
    return data_type.value if isinstance(data_type, DataType) else data_type


def value_record(value: PointValue, update: RealtimeUpdate | None = None) -> Record:
    """The ``value`` record of one address of a push: ``point`` is ``HOSTNAME/ADDRESS``.

    ``time`` is the address's time stamp, else the push's, else now; ``detail`` keeps
    the wire text (``raw``), the data type, the change word and the response code.

    Examples:
        >>> pv = PointValue.from_wire("0.0.0.1", {"address": "2004", "dataType": "unsigned_integer_16",
        ...     "length": 2, "value": "25", "changeOfValue": "INCREASE"})
        >>> rec = value_record(pv)
        >>> rec["point"], rec["value"], rec["detail"]["raw"], rec["detail"]["change"]
        ('0.0.0.1/2004', 25, '25', 'INCREASE')
    """
    when = value.timestamp or (update.timestamp if update is not None else None)
    error = None
    if not value.ok:
        error = " ".join(str(p) for p in (value.status or "no value", value.raw_code, value.response_message) if p)
    detail = {
        "hostname": value.hostname,
        "address": value.address,
        "data_type": _type_name(value.data_type),
        "raw": value.raw,
        "change": value.change.value if value.change is not None else None,
        "response_code": value.raw_code,
    }
    return record(
        "globiots", "value", when, point=f"{value.hostname}/{value.address}", value=value.value, error=error,
        detail=detail,
    )


def result_record(result: SetResult, text: str | None = None) -> Record:
    """The ``result`` record of setting one address (``value``: the text written).

    Examples:
        >>> r = SetResult.from_wire("0.0.0.1", {"address": "3000", "responseCode": "08",
        ...     "responseMessage": "not allowed writing"})
        >>> rec = result_record(r, "1")
        >>> rec["point"], rec["ok"], rec["error"]
        ('0.0.0.1/3000', False, '08 not allowed writing')
    """
    error = None if result.ok else f"{result.raw_code} {result.message or result.meaning}"
    detail = {"response_code": result.raw_code, "meaning": result.meaning, "message": result.message}
    return record(
        "globiots", "result", None, point=f"{result.hostname}/{result.address}", ok=result.ok,
        value=text if text is not None else result.value, error=error, detail=detail,
    )


def _human(rec: Record, value: PointValue) -> str:
    when = local_text(dt.datetime.fromisoformat(rec["time"]))
    shown = value.raw if value.ok else f"<{rec['error']}>"
    about = ", ".join(p for p in (_type_name(value.data_type), rec["detail"]["change"]) if p and p != "UNCHANGED")
    return f"{when}  {rec['point']:<14} {shown}  ({about.lower()})"


def _watch(args: argparse.Namespace, out: Output) -> int:
    points = points_of(args)
    client = Client(args.url, mobile=args.mobile, query=_query(args), **connect_options(args))
    with connected(client, out), out.live():
        first = client.subscribe(points, update_time=args.update_time, timezone=args.timezone)

        def records(event: object) -> Iterator[tuple[Record, str | None]]:
            if isinstance(event, RealtimeUpdate):
                for value in event.values:
                    rec = value_record(value, event)
                    yield rec, _human(rec, value)

        def pushes() -> Iterator[object]:
            yield first
            for event in client.events(timeout=args.idle):
                if event is not first:  # the first push is in the stream too: shown already
                    yield event

        return stream(out, pushes(), records, count=args.count, idle=args.idle, waiting="waiting for pushes")


def _set(args: argparse.Namespace, out: Output) -> int:
    points = points_of(args)
    try:
        writes = [(p, p.parse(args.value)) for p in points]
    except CodecError as exc:
        raise UsageError(f"--value {args.value!r}: {exc}") from None
    client = Client(args.url, query=_query(args), **connect_options(args, reconnect=None))
    url = safe_url(endpoint_url(args.url, SET_DATA_PATH, _query(args)))
    out.status(f"connecting to {url} (timeout {client.options.connect_timeout:g} s)...")
    try:  # the set-data link only: no realtime subscription
        response = client.set_many(writes, check=False)
    finally:
        client.close()
    for result in response.results:
        rec = result_record(result, args.value)
        out.emit(rec, f"{rec['point']}: {result.raw_code} {result.meaning} ({result.message})")
    failed = response.failures
    if failed:
        out.error(str(SetDataError.from_result(failed[0], response)))
        return 1
    return 0


def _simulate(args: argparse.Namespace, out: Output) -> int:
    hosts = args.device or ("0.0.0.1", "0.0.0.2")
    sim = GlobiotsSimulator(hosts, time_scale=args.time_scale, host=args.host, port=args.port)

    def banner() -> dict[str, str]:
        flags = " ".join(f"--host {h}" for h in hosts)
        points = "--point 2000:float --point 2006:uint32"
        return {"watch": f"iotws globiots watch {sim.url('/data-engine')} {flags} {points}"}

    return serve(sim, out, "/data-engine", banner)


def _client_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("url", metavar="URL", nargs="?", default=DEFAULT_BASE_URL,
                        help=f"Data Engine base URL (default {DEFAULT_BASE_URL})")
    parser.add_argument("--host", action="append", required=True, metavar="HOSTNAME",
                        help="iConnector hostname such as 0.0.0.1 (repeatable)")
    parser.add_argument("--point", action="append", required=True, metavar="ADDRESS:TYPE[:LENGTH]",
                        help="hex byte address and data type, e.g. 2000:float, 200B:hexa:3 (repeatable)")
    parser.add_argument("--query", action="append", metavar="NAME=VALUE", help="extra query parameter (repeatable)")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], prog: str | None = None) -> None:
    """Add ``globiots`` with the verbs ``simulate``, ``watch`` and ``set``."""
    verbs = add_group(subparsers, "globiots", help="Globiots Data Engine (Daviteq iConnector)", prog=prog)

    simulate = add_verb(verbs, "simulate", _simulate, help="run the simulator; prints its base URL first",
                        interrupted=0)
    simulate.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    simulate.add_argument("--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)")
    simulate.add_argument("--time-scale", type=float, default=1.0, help="simulated seconds per second")
    simulate.add_argument("--device", action="append", metavar="HOSTNAME", help="device hostname (repeatable)")

    watch = add_verb(verbs, "watch", _watch, help="subscribe to points and print live values", client=True,
                     streams=True)
    _client_arguments(watch)
    watch.add_argument("--update-time", type=int, default=1, help="seconds between pushes (default 1)")
    watch.add_argument("--timezone", default="", help='time zone sent with the request, e.g. "GMT+07:00"')
    watch.add_argument("--mobile", action="store_true", help="use the /mobile/realtime endpoint")

    setter = add_verb(verbs, "set", _set, help="set a value at one address (on every --host and --point)",
                      client=True)
    _client_arguments(setter)
    setter.add_argument("--value", required=True, help="the value as text: 3.3, 25, 0AFF, a string")


def demo(seconds: float, report: Callable[[str, str, str], None], stop: threading.Event | None = None) -> None:
    """Run the simulator and a client for ``seconds`` (or until ``stop``), reporting live values."""
    stop = stop or threading.Event()
    names = {s.address: s.name for s in SIGNALS}
    with GlobiotsSimulator(time_scale=5).run() as sim, Client(sim.base_url, request_timeout=5) as client:
        written = Point("0.0.0.1", "3000", DataType.FLOAT)
        client.set(written, 42.5)
        names[0x3000] = "written"
        points = [s.point(h) for h in ("0.0.0.1", "0.0.0.2") for s in SIGNALS[:4]] + [written]
        client.subscribe(points, update_time=1)
        deadline = time.monotonic() + seconds
        while (remaining := deadline - time.monotonic()) > 0 and not stop.is_set():
            for event in client.events(timeout=min(remaining, 0.5)):
                if isinstance(event, RealtimeUpdate):
                    for v in event.values:
                        report("globiots", f"{v.hostname}/{v.address} {names.get(int(v.address, 16), '')}", v.raw)
                break


if __name__ == "__main__":
    sys.exit(protocol_main("globiots"))
