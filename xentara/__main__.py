"""``iotws xentara ...`` (also ``python -m iotws.xentara ...``): simulate, browse, lookup, read, write, watch.

* ``simulate [--host H] [--port N] [--plain | --cert PEM --key PEM] [--user U:P] [--token T]``:
  the simulator; TLS with a fresh self-signed certificate unless ``--plain`` or
  ``--cert``/``--key``; the first stdout line is its URL.
* ``browse URL [PATH] [--depth N]``: the model tree.
* ``lookup URL PATH...``, ``read URL PATH... [--attribute ID]``, ``write URL PATH VALUE``.
* ``watch URL PATH... [--count N] [--json] [--min-rate MS] [--max-rate MS]``: print events.

Client verbs take ``--user/--password`` or ``--token``, and ``--cafile`` or ``--insecure``.

Examples:
    >>> from iotws.cli import protocol_main
    >>> protocol_main("xentara", ["read", "ws://127.0.0.1:9/api/ws", "Group 1.Setpoint"])
    1
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from iotws.cli import cli_errors, print_event, print_stream, protocol_main, to_jsonable
from iotws.errors import UsageError
from iotws.simulator import serve_cli
from iotws.xentara.client import Client
from iotws.xentara.models import Attribute, AttributeId, DataChange, Failure, Timestamp
from iotws.xentara.simulator import XentaraSimulator, self_signed_context

__all__ = ["demo", "register"]

#: The data points ``iotws demo`` shows.
DEMO_POINTS = ("Group 1.Data Point 1", "Group 1.Data Point 2", "Plant.Temperature", "Plant.Pressure")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], prog: str | None = None) -> None:
    """Add the ``xentara`` sub-command and its verbs to the ``iotws`` parser."""
    parser = subparsers.add_parser("xentara", help="Xentara WebSocket API v2.0.3 (CBOR over wss)", prog=prog)
    parser.set_defaults(func=lambda args: _usage(parser))
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")

    sim = verbs.add_parser("simulate", help="run the simulator (prints its URL first)")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=0, help="0 picks a free port")
    sim.add_argument("--plain", action="store_true", help="ws:// without TLS")
    sim.add_argument("--cert", help="server certificate (PEM) instead of a self-signed one")
    sim.add_argument("--key", help="private key (PEM) of --cert")
    sim.add_argument("--user", action="append", default=[], metavar="USER:PASSWORD", help="require Basic auth")
    sim.add_argument("--token", action="append", default=[], metavar="TOKEN", help="accept this Bearer token")
    sim.add_argument("--update-interval", type=float, default=0.1, help="seconds between value changes")
    sim.set_defaults(func=cli_errors(_simulate))

    def client_verb(name: str, help_text: str, func: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        verb = verbs.add_parser(name, help=help_text)
        verb.add_argument("url", metavar="URL")
        verb.add_argument("--user", help="Basic auth user")
        verb.add_argument("--password", default="", help="Basic auth password")
        verb.add_argument("--token", help="Bearer token")
        verb.add_argument("--cafile", help="trust this CA (PEM) for the server certificate")
        verb.add_argument("--insecure", action="store_true", help="do not verify the server certificate")
        verb.add_argument("--timeout", type=float, default=10.0, help="request timeout in seconds")
        verb.set_defaults(func=cli_errors(func))
        return verb

    browse = client_verb("browse", "print the model tree", _browse)
    browse.add_argument("path", nargs="?", metavar="PATH", help="start at this element (default: the root)")
    browse.add_argument("--depth", type=int, default=None)

    lookup = client_verb("lookup", "print the UUID of elements", _lookup)
    lookup.add_argument("paths", nargs="+", metavar="PATH")

    read = client_verb("read", "read attributes of elements", _read)
    read.add_argument("paths", nargs="+", metavar="PATH")
    read.add_argument("--attribute", action="append", default=None, help="attribute id or name (default VALUE)")
    read.add_argument("--json", action="store_true")

    write = client_verb("write", "write a value", _write)
    write.add_argument("path", metavar="PATH")
    write.add_argument("value", metavar="VALUE", help="int, float, true/false, or text")
    write.add_argument("--attribute", default="VALUE")
    write.add_argument("--type", choices=("auto", "int", "float", "bool", "str"), default="auto")

    watch = client_verb("watch", "print data-change events", _watch)
    watch.add_argument("paths", nargs="+", metavar="PATH")
    watch.add_argument("--attribute", action="append", default=None, help="attribute id or name (default VALUE)")
    watch.add_argument("--count", type=int, default=None, help="exit after N events")
    watch.add_argument("--json", action="store_true", help="one JSON object per line")
    watch.add_argument("--min-rate", type=int, default=None, help="send at least every MS milliseconds")
    watch.add_argument("--max-rate", type=int, default=None, help="send at most every MS milliseconds")
    watch.add_argument("--idle", type=float, default=None, help="give up after S seconds without an event")


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def _simulate(args: argparse.Namespace) -> int:
    users = {}
    for entry in args.user:
        name, sep, password = entry.partition(":")
        if not sep:
            raise UsageError(f"--user wants USER:PASSWORD, got {entry!r}")
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
    return serve_cli(sim)


def _client(args: argparse.Namespace, **extra: Any) -> Client:
    extra.setdefault("reconnect", None)
    return Client(
        args.url,
        user=args.user,
        password=args.password if args.user else None,
        token=args.token,
        ca_file=args.cafile,
        verify=not args.insecure,
        request_timeout=args.timeout,
        **extra,
    )


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


def _text(value: Any) -> str:
    if isinstance(value, Failure):
        return f"error {value.code}: {value.message}"
    if isinstance(value, Timestamp):
        return str(value)
    return repr(value) if isinstance(value, str) else str(value)


def _browse(args: argparse.Namespace) -> int:
    with _client(args) as client:
        entries = client.browse(args.path, depth=args.depth)
    base = args.path.count(".") + 1 if args.path else 0
    for entry in entries:
        indent = "  " * (entry.primary_key.count(".") - base)
        name = entry.primary_key.rpartition(".")[2]
        print(f"{indent}{name}  [{str(entry.category).lower()}]  {entry.uuid}")
    return 0


def _lookup(args: argparse.Namespace) -> int:
    with _client(args) as client:
        for path, found in zip(args.paths, client.batch(_lookups(args.paths)), strict=True):
            if isinstance(found, Exception):
                raise found
            print(f"{path}\t{found}")
    return 0


def _lookups(paths: list[str]) -> list[Any]:
    from iotws.xentara.protocol import LookupCommand

    return [LookupCommand(p) for p in paths]


def _read(args: argparse.Namespace) -> int:
    attributes = [_attribute(a) for a in args.attribute or ["VALUE"]]
    with _client(args) as client:
        results = client.read_many(args.paths, attributes)
    status = 0
    for path, result in zip(args.paths, results, strict=True):
        if isinstance(result, Exception):
            print(f"error: {path}: {result}", file=sys.stderr)
            status = 1
            continue
        if args.json:
            data = {"path": path, "element": str(result.element)}
            data["values"] = {str(k): to_jsonable(_plain(v)) for k, v in result.results.items()}
            print(json.dumps(data), flush=True)
            continue
        for attr, value in result.results.items():
            print(f"{path}\t{attr}\t{_text(value)}")
    return status


def _plain(value: Any) -> Any:
    if isinstance(value, Timestamp):
        return str(value)
    if isinstance(value, Failure):
        return {"error": value.code, "message": value.message}
    return value


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


def _write(args: argparse.Namespace) -> int:
    value = _parse_value(args.value, args.type)
    attribute = _attribute(args.attribute)
    with _client(args) as client:
        client.write(args.path, attribute, value)
    print(f"{args.path}\t{attribute}\t{_text(value)}\twritten")
    return 0


def _watch(args: argparse.Namespace) -> int:
    attributes = [_attribute(a) for a in args.attribute or ["VALUE"]]
    with _client(args, reconnect=None if args.count else _default_policy()) as client:
        client.subscribe(args.paths, attributes, min_rate=args.min_rate, max_rate=args.max_rate)
        return print_stream(
            client.events(timeout=args.idle),
            count=args.count,
            label="xentara",
            show=lambda event: print_event(event, args.json),
        )


def _default_policy() -> Any:
    from iotws.backoff import ReconnectPolicy

    return ReconnectPolicy()


def demo(seconds: float, report: Callable[[str, str, str], None]) -> None:
    """Run the simulator and a client for ``seconds``, reporting live values.

    Examples:
        >>> demo(0.3, lambda protocol, name, value: None)
    """
    deadline = time.monotonic() + seconds
    with XentaraSimulator().run() as sim, Client(sim.url(), reconnect=None) as client:
        client.watch(*DEMO_POINTS, min_rate=500)  # the events carry the paths looked up here
        while (remaining := deadline - time.monotonic()) > 0:
            for event in client.events(timeout=remaining):
                if isinstance(event, DataChange) and event.path is not None:
                    report("xentara", event.path, _text(event.value))
                if time.monotonic() >= deadline:
                    break


if __name__ == "__main__":
    sys.exit(protocol_main("xentara"))
