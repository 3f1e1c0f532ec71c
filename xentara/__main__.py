"""``iotws xentara ...`` (also ``python -m iotws.xentara ...``): simulate, browse, lookup, read, write, watch.

* ``simulate [--host H] [--port N] [--plain | --cert PEM --key PEM] [--user U:P] [--token T]``:
  the simulator; TLS with a fresh self-signed certificate (needs ``cryptography``: the
  ``simulators`` extra) unless ``--plain`` or ``--cert``/``--key``; the first stdout line is its URL.
* ``browse URL [PATH] [--depth N]``: the model tree (``element`` records).
* ``lookup URL PATH...``: the UUIDs (``element`` records).
* ``read URL PATH... [--attribute ID]``: ``value`` records; ``write URL PATH VALUE``: a ``result``.
* ``watch URL PATH... [--min-rate MS] [--max-rate MS]``: a ``value`` record per data change.

Client verbs authenticate with ``--user`` and a password (``--password``,
``--password-file`` or ``$IOTWS_XENTARA_PASSWORD``), or a bearer token (``--token``,
``--token-file`` or ``$IOTWS_XENTARA_TOKEN``); the file and environment forms keep the
secret out of ``ps`` and the shell history. Every verb takes the common flags of
``iotws`` (``-v/-q``, ``--json``; client verbs ``--connect-timeout``, ``--timeout``,
``--ca-file``, ``--insecure``, ``--header``; ``watch`` also ``--idle``, ``--count``,
``--no-reconnect``).

Examples:
    >>> from iotws.cli import protocol_main
    >>> protocol_main("xentara", ["read", "ws://127.0.0.1:9/api/ws", "Group 1.Setpoint", "-q"])
    1
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
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
    read_secret,
    record,
    serve,
    stream,
    value_text,
)
from iotws.errors import UsageError
from iotws.xentara.client import Client
from iotws.xentara.models import (
    Attribute,
    AttributeId,
    DataChange,
    ElementCategory,
    Failure,
    Quality,
    SubscriptionLost,
    Timestamp,
    UnknownEvent,
    UnknownPacket,
    UnmatchedError,
    enum_or_int,
)
from iotws.xentara.simulator import XentaraSimulator, self_signed_context

__all__ = ["PASSWORD_ENV", "TOKEN_ENV", "change_record", "demo", "register"]

#: The data points ``iotws demo`` shows.
DEMO_POINTS = ("Group 1.Data Point 1", "Group 1.Data Point 2", "Plant.Temperature", "Plant.Pressure")

#: The environment variable client verbs read the Basic auth password from (with ``--user``).
PASSWORD_ENV = "IOTWS_XENTARA_PASSWORD"
#: The environment variable client verbs read the bearer token from.
TOKEN_ENV = "IOTWS_XENTARA_TOKEN"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], prog: str | None = None) -> None:
    """Add the ``xentara`` sub-command and its verbs to the ``iotws`` parser."""
    verbs = add_group(subparsers, "xentara", help="Xentara WebSocket API v2.0.3 (CBOR over wss)", prog=prog)

    sim = add_verb(verbs, "simulate", _simulate, help="run the simulator (prints its URL first)", interrupted=0)
    sim.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    sim.add_argument("--port", type=int, default=0, help="port (default 0: a free one)")
    sim.add_argument("--plain", action="store_true", help="ws:// without TLS")
    sim.add_argument("--cert", help="server certificate (PEM) instead of a self-signed one")
    sim.add_argument("--key", help="private key (PEM) of --cert")
    sim.add_argument("--user", action="append", default=[], metavar="USER:PASSWORD", help="require Basic auth")
    sim.add_argument("--token", action="append", default=[], metavar="TOKEN", help="accept this Bearer token")
    sim.add_argument("--update-interval", type=float, default=0.1, help="seconds between value changes")

    def client_verb(
        name: str, help_text: str, func: Callable[[argparse.Namespace, Output], int], streams: bool = False
    ) -> argparse.ArgumentParser:
        verb = add_verb(verbs, name, func, help=help_text, client=True, streams=streams)
        verb.add_argument("url", metavar="URL")
        verb.add_argument("--cafile", dest="ca_file", help=argparse.SUPPRESS)  # the old spelling of --ca-file
        auth = verb.add_argument_group("authentication")
        auth.add_argument("--user", help="Basic auth user")
        auth.add_argument("--password", help=f"Basic auth password (visible in ps: prefer --password-file or "
                                             f"${PASSWORD_ENV})")
        auth.add_argument("--password-file", metavar="PATH", help="read the password from this file")
        auth.add_argument("--token", help=f"Bearer token (visible in ps: prefer --token-file or ${TOKEN_ENV})")
        auth.add_argument("--token-file", metavar="PATH", help="read the Bearer token from this file")
        return verb

    browse = client_verb("browse", "print the model tree", _browse)
    browse.add_argument("path", nargs="?", metavar="PATH", help="start at this element (default: the root)")
    browse.add_argument("--depth", type=int, default=None, help="levels to show (default: all)")

    lookup = client_verb("lookup", "print the UUID of elements", _lookup)
    lookup.add_argument("paths", nargs="+", metavar="PATH")

    read = client_verb("read", "read attributes of elements", _read)
    read.add_argument("paths", nargs="+", metavar="PATH")
    read.add_argument("--attribute", action="append", default=None, help="attribute id or name (default VALUE)")

    write = client_verb("write", "write a value", _write)
    write.add_argument("path", metavar="PATH")
    write.add_argument("value", metavar="VALUE", help="int, float, true/false, or text")
    write.add_argument("--attribute", default="VALUE", help="attribute id or name (default VALUE)")
    write.add_argument("--type", choices=("auto", "int", "float", "bool", "str"), default="auto")

    watch = client_verb("watch", "print data changes", _watch, streams=True)
    watch.add_argument("paths", nargs="+", metavar="PATH")
    watch.add_argument("--attribute", action="append", default=None, help="attribute id or name (default VALUE)")
    watch.add_argument("--min-rate", type=int, default=None, help="send at least every MS milliseconds")
    watch.add_argument("--max-rate", type=int, default=None, help="send at most every MS milliseconds")


def _simulate(args: argparse.Namespace, out: Output) -> int:
    users = {}
    for entry in args.user:
        name, sep, password = entry.partition(":")
        if not sep:
            raise UsageError(f"--user wants USER:PASSWORD, got {name!r} without a password")
        users[name] = password
    tokens = {token: "token" for token in args.token}
    if args.plain:
        ctx = None
    elif args.cert:
        import ssl

        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            ctx.load_cert_chain(args.cert, args.key)
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(f"cannot load --cert/--key: {exc}") from None
    else:
        try:
            ctx = self_signed_context(args.host)
        except UsageError as exc:  # no cryptography: say what to install, or how to do without
            raise UsageError(f"{exc} (or serve with --plain, or give --cert/--key)") from None
    sim = XentaraSimulator(
        args.host, args.port, ssl_context=ctx, users=users, tokens=tokens, update_interval=args.update_interval
    )
    hint = "" if args.plain or args.cert else " --insecure"
    return serve(sim, out, banner=lambda: {"watch": f"iotws xentara watch {sim.url()} 'Plant.Temperature'{hint}"})


def _client(args: argparse.Namespace, *, reconnect: bool = False) -> Client:
    explicit_token = args.token is not None or args.token_file is not None
    token = read_secret(args.token, args.token_file, TOKEN_ENV, flag="--token") if explicit_token or not args.user \
        else None
    password = None
    if args.user:
        password = read_secret(args.password, args.password_file, PASSWORD_ENV, flag="--password") or ""
    elif args.password is not None or args.password_file is not None:
        raise UsageError("a password needs --user")
    also: dict[str, Any] = {} if reconnect else {"reconnect": None}
    return Client(args.url, user=args.user, password=password, token=token, **connect_options(args, **also))


def _attribute(text: str) -> AttributeId:
    if text.isdigit():
        return int(text)
    try:
        return Attribute[text.upper().replace("-", "_")]
    except KeyError:
        pass
    try:
        return uuid.UUID(text)
    except ValueError:
        raise UsageError(f"unknown attribute {text!r}: use a number, a name (VALUE, QUALITY...) or a UUID") from None


def _name(attr: AttributeId) -> str:
    return attr.name if isinstance(attr, Attribute) else str(attr)


def _plain(attr: AttributeId, value: Any) -> Any:
    """An attribute value as JSON data: quality and category by name, time stamps as RFC 3339."""
    if isinstance(value, Failure):
        return {"error": value.code, "message": value.message}
    if isinstance(value, Timestamp):
        return str(value)
    if type(value) is int and attr == Attribute.QUALITY:
        return _enum_name(Quality, value)
    if type(value) is int and attr == Attribute.CATEGORY:
        return _enum_name(ElementCategory, value)
    return value


def _enum_name(cls: type[Quality] | type[ElementCategory], value: int) -> str | int:
    known = enum_or_int(cls, value)
    return known.name if isinstance(known, cls) else known


def _text(attr: AttributeId, value: Any) -> str:
    """An attribute value for people: local times, names of qualities and categories."""
    if isinstance(value, Failure):
        return f"<error {value.code}: {value.message}>" if value.message else f"<error {value.code}>"
    if isinstance(value, Timestamp):
        if value in (Timestamp.MIN, Timestamp.MAX):
            return str(value)
        return local_text(value.to_datetime())
    return value_text(_plain(attr, value))


def change_record(
    path: str, values: Mapping[AttributeId, Any], when: dt.datetime | None = None, detail: Mapping[str, Any] = {}
) -> Record:
    """The ``value`` record of an element's attributes (a data change or a read).

    ``value`` is the Value attribute, ``quality`` the Quality's name; the other
    attributes go into ``detail["attributes"]`` by name; a failed Value is ``error``.

    Examples:
        >>> rec = change_record("Plant.Temperature", {Attribute.VALUE: 21.5, Attribute.QUALITY: 0})
        >>> rec["point"], rec["value"], rec["quality"], rec["detail"]
        ('Plant.Temperature', 21.5, 'GOOD', {'attributes': {}})
    """
    value = values.get(Attribute.VALUE)
    error = None
    if isinstance(value, Failure):
        error, value = _text(Attribute.VALUE, value), None
    quality = values.get(Attribute.QUALITY)
    others = {_name(a): _plain(a, v) for a, v in values.items() if a not in (Attribute.VALUE, Attribute.QUALITY)}
    return record(
        "xentara", "value", when, point=path, name=path.rpartition(".")[2], value=_plain(Attribute.VALUE, value),
        quality=None if quality is None else _plain(Attribute.QUALITY, quality), error=error,
        detail={**detail, "attributes": others},
    )


def _values_text(values: Mapping[AttributeId, Any]) -> str:
    parts = [_text(a, v) if a == Attribute.VALUE else f"{_name(a)}={_text(a, v)}" for a, v in values.items()]
    return " ".join(parts) or "-"


def _browse(args: argparse.Namespace, out: Output) -> int:
    with connected(_client(args), out) as client:
        entries = client.browse(args.path, depth=args.depth)
    base = args.path.count(".") + 1 if args.path else 0
    for entry in entries:
        indent = "  " * (entry.primary_key.count(".") - base)
        name = entry.primary_key.rpartition(".")[2]
        kind = _enum_name(ElementCategory, int(entry.category))
        rec = record(
            "xentara", "element", None, point=entry.primary_key, name=name, kind=str(kind).lower(),
            detail={"uuid": str(entry.uuid)},
        )
        out.emit(rec, f"{indent}{name}  [{rec['kind']}]  {entry.uuid}")
    return 0


def _lookup(args: argparse.Namespace, out: Output) -> int:
    from iotws.xentara.protocol import LookupCommand

    with connected(_client(args), out) as client:
        found = client.batch([LookupCommand(p) for p in args.paths])
    for path, element in zip(args.paths, found, strict=True):
        if isinstance(element, Exception):
            raise element
        rec = record("xentara", "element", None, point=path, name=path.rpartition(".")[2],
                     detail={"uuid": str(element)})
        out.emit(rec, f"{path}  {element}")
    return 0


def _read(args: argparse.Namespace, out: Output) -> int:
    attributes = [_attribute(a) for a in args.attribute or ["VALUE"]]
    with connected(_client(args), out) as client:
        results = client.read_many(args.paths, attributes)
    status = 0
    for path, result in zip(args.paths, results, strict=True):
        if isinstance(result, Exception):
            out.error(f"{path}: {result}")
            status = 1
            continue
        rec = change_record(path, result.results, detail={"element": str(result.element)})
        out.emit(rec, f"{path}  {_values_text(result.results)}")
    return status


def _parse_value(text: str, kind: str) -> Any:
    try:
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
    except ValueError:
        raise UsageError(f"{text!r} is not a valid {kind}") from None
    if kind == "bool" or (kind == "auto" and text.lower() in ("true", "false")):
        if text.lower() not in ("true", "false", "1", "0"):
            raise UsageError(f"{text!r} is not true/false")
        return text.lower() in ("true", "1")
    if kind == "auto":
        for convert in (int, float):
            try:
                return convert(text)
            except ValueError:
                continue
    return text


def _write(args: argparse.Namespace, out: Output) -> int:
    value = _parse_value(args.value, args.type)
    attribute = _attribute(args.attribute)
    with connected(_client(args), out) as client:
        client.write(args.path, attribute, value)
    rec = record("xentara", "result", None, point=args.path, ok=True, value=value,
                 detail={"attribute": _name(attribute)})
    out.emit(rec, f"{args.path}  {_name(attribute)}={_text(attribute, value)}  written")
    return 0


def _event_records(event: object) -> Iterator[tuple[Record, str | None]]:
    if isinstance(event, DataChange):
        stamp = event.timestamp
        when = stamp.to_datetime() if isinstance(stamp, Timestamp) and stamp not in (Timestamp.MIN, Timestamp.MAX) \
            else None
        path = event.path or str(event.element)
        rec = change_record(path, event.values, when, {"element": str(event.element), "timestamp": str(stamp)})
        human_time = local_text(dt.datetime.fromisoformat(rec["time"]))
        yield rec, f"{human_time}  {path}  {_values_text(event.values)}"
    elif isinstance(event, SubscriptionLost):
        detail = {"subscription": str(event.subscription), "error": str(event.error)}
        yield record("xentara", "event", None, name="subscription_lost", detail=detail), None
    elif isinstance(event, UnmatchedError):
        failure = {"message_id": event.message_id, "code": event.failure.code, "message": event.failure.message}
        yield record("xentara", "event", None, name="unmatched_error", detail=failure), None
    elif isinstance(event, UnknownEvent | UnknownPacket):
        yield record("xentara", "event", None, name="unknown", detail={"repr": repr(event)}), None


def _watch(args: argparse.Namespace, out: Output) -> int:
    attributes = [_attribute(a) for a in args.attribute or ["VALUE"]]
    with connected(_client(args, reconnect=True), out) as client, out.live():
        client.subscribe(args.paths, attributes, min_rate=args.min_rate, max_rate=args.max_rate)
        return stream(out, client.events(timeout=args.idle), _event_records, count=args.count, idle=args.idle)


def demo(seconds: float, report: Callable[[str, str, str], None], stop: threading.Event | None = None) -> None:
    """Run the simulator and a client for ``seconds`` (or until ``stop``), reporting live values.

    Examples:
        >>> demo(0.3, lambda protocol, name, value: None)
    """
    stop = stop or threading.Event()
    deadline = time.monotonic() + seconds
    with XentaraSimulator().run() as sim, Client(sim.url(), reconnect=None) as client:
        client.watch(*DEMO_POINTS, min_rate=500)  # the events carry the paths looked up here
        while (remaining := deadline - time.monotonic()) > 0 and not stop.is_set():
            for event in client.events(timeout=min(remaining, 0.5)):
                if isinstance(event, DataChange) and event.path is not None:
                    report("xentara", event.path, _text(Attribute.VALUE, event.values.get(Attribute.VALUE)))
                if time.monotonic() >= deadline or stop.is_set():
                    break


if __name__ == "__main__":
    sys.exit(protocol_main("xentara"))
