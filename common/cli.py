"""The ``iotws`` command line: one shape for every protocol.

Each protocol package's ``__main__`` module provides ``register(subparsers)``,
which adds ``iotws <pkg> ...`` verbs whose handlers return an exit status, and
``demo(seconds, report)``, which runs its simulator and a client and calls
``report(protocol, name, value)`` for live values. ``iotws demo`` runs every
registered protocol's demo side by side and prints a table.

Examples:
    >>> main(["--version"])  # doctest: +ELLIPSIS
    iotws ...
    0
"""

from __future__ import annotations

import argparse
import enum
import importlib
import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import ModuleType
from typing import Any

import attrs

from iotws import PROTOCOLS
from iotws._version import __version__
from iotws.errors import IotwsError, UsageError
from iotws.events import Connected, LifecycleEvent

__all__ = ["cli_errors", "main", "print_event", "print_stream", "protocol_main", "to_jsonable"]

#: ``report(protocol, name, value_text)``, the callback a protocol demo feeds.
Report = Callable[[str, str, str], None]


def to_jsonable(obj: Any) -> Any:
    """Turn a typed event or model into plain JSON data (for ``--json`` output).

    An attrs model becomes an object with its class name under ``"type"`` (or under
    ``"_type"`` when the model has a field called ``type``) and its fields.

    Examples:
        >>> import datetime as dt
        >>> to_jsonable({"at": dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc), "raw": b"\\x01"})
        {'at': '2026-01-02T00:00:00+00:00', 'raw': '01'}
    """
    if hasattr(obj, "isoformat") and not isinstance(obj, type):
        return obj.isoformat()
    if attrs.has(type(obj)):
        fields = attrs.fields(type(obj))
        key = "_type" if any(f.name == "type" for f in fields) else "type"
        data = {key: type(obj).__name__}
        for field in fields:
            data[field.name] = to_jsonable(getattr(obj, field.name))
        return data
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, enum.Enum):
        return to_jsonable(obj.value)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return bytes(obj).hex().upper()
    if isinstance(obj, BaseException):
        return f"{type(obj).__name__}: {obj}"
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    return str(obj)


def print_event(event: object, as_json: bool) -> None:
    """Print one event: a JSON object per line with ``as_json``, else its repr.

    Examples:
        >>> from iotws.events import Reconnected
        >>> print_event(Reconnected(attempts=2), as_json=True)
        {"type": "Reconnected", "attempts": 2}
    """
    if as_json:
        print(json.dumps(to_jsonable(event), ensure_ascii=False), flush=True)
    else:
        print(event, flush=True)


def print_stream(
    events: Iterable[object],
    *,
    count: int | None,
    label: str,
    show: Callable[[object], None],
) -> int:
    """The ``watch``/``listen`` loop: show events, lifecycle changes to stderr, stop after ``count``.

    Returns the exit status: 0, or 1 when the stream ended before ``count`` events.

    Examples:
        >>> from iotws.events import Connected
        >>> print_stream([Connected(url="ws://127.0.0.1/"), "a", "b"], count=1, label="demo", show=print)
        a
        0
    """
    seen = 0
    if count is not None and count <= 0:
        raise UsageError("--count must be positive")
    for event in events:
        if isinstance(event, LifecycleEvent):
            if not isinstance(event, Connected):
                print(f"{label}: {event}", file=sys.stderr, flush=True)
            continue
        show(event)
        seen += 1
        if count is not None and seen >= count:
            return 0
    if count is not None:
        print(f"error: got {seen} of {count} events", file=sys.stderr)
        return 1
    return 0


def cli_errors(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Wrap a verb handler: expected failures become one stderr line and exit status 1.

    Examples:
        >>> @cli_errors
        ... def verb(args):
        ...     raise IotwsError("cannot connect to ws://127.0.0.1:9/")
        >>> verb(argparse.Namespace())
        1
    """

    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except IotwsError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        except KeyboardInterrupt:
            return 130

    run.__name__ = getattr(func, "__name__", "verb")
    run.__doc__ = func.__doc__
    return run


def _protocol_modules(names: Iterable[str] = PROTOCOLS) -> dict[str, ModuleType]:
    modules: dict[str, ModuleType] = {}
    for name in names:
        try:
            module = importlib.import_module(f"iotws.{name}.__main__")
        except ModuleNotFoundError as exc:
            if exc.name in (f"iotws.{name}.__main__", f"iotws.{name}"):
                continue
            print(f"warning: iotws {name} is unavailable: {exc}", file=sys.stderr)
            continue
        except ImportError as exc:  # one broken package must not take the others down
            print(f"warning: iotws {name} is unavailable: {exc}", file=sys.stderr)
            continue
        if hasattr(module, "register"):
            modules[name] = module
    return modules


def build_parser(
    modules: dict[str, ModuleType], *, prog: str = "iotws", protocol_progs: Mapping[str, str] | None = None
) -> argparse.ArgumentParser:
    """The full ``iotws`` argument parser with every registered protocol.

    ``protocol_progs`` names the program in a protocol's usage line (``python -m iotws.evok``
    when that module is what runs); by default it is ``iotws <protocol>``.
    """
    progs = protocol_progs or {}
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Clients and simulators for industrial IoT WebSocket APIs.",
    )
    parser.add_argument("--version", action="version", version=f"iotws {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="log to stderr (-vv: frames too)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser("demo", help="run every simulator with a client and show live values")
    demo.add_argument("--seconds", type=float, default=10.0, help="how long to run (default 10)")
    demo.add_argument(
        "--only", action="append", choices=sorted(modules) or None, help="limit to these protocols"
    )
    demo.set_defaults(func=_demo, modules=modules)
    for name, module in modules.items():
        module.register(sub, prog=progs.get(name))
    return parser


def main(argv: Sequence[str] | None = None, *, prog: str = "iotws") -> int:
    """Entry point of the ``iotws`` console script (and ``python -m iotws``); returns the exit status."""
    modules = _protocol_modules()
    return _run(build_parser(modules, prog=prog), argv)


def protocol_main(protocol: str, argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m iotws.<protocol>``: ``iotws <protocol> ...`` under the module's own name.

    Examples:
        >>> protocol_main("evok", ["--help"])  # doctest: +ELLIPSIS
        usage: python -m iotws.evok [-h] VERB ...
        ...
        0
    """
    modules = _protocol_modules([protocol])
    if not modules:
        print(f"error: iotws {protocol} is unavailable", file=sys.stderr)
        return 2
    parser = build_parser(modules, protocol_progs={protocol: f"python -m iotws.{protocol}"})
    rest = list(sys.argv[1:] if argv is None else argv)
    return _run(parser, [protocol, *rest])


def _run(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if args.verbose:
        logging.basicConfig(
            level=logging.DEBUG if args.verbose > 1 else logging.INFO,
            format="%(asctime)s %(name)s %(levelname)s %(message)s",
            stream=sys.stderr,
        )
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0
    return int(func(args))


class DemoTable:
    """The live table of ``iotws demo``: the latest value per (protocol, name)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rows: dict[tuple[str, str], tuple[str, int]] = {}

    def report(self, protocol: str, name: str, value: str) -> None:
        """Record a value (thread-safe)."""
        with self._lock:
            _, count = self.rows.get((protocol, name), ("", 0))
            self.rows[(protocol, name)] = (value, count + 1)

    def render(self) -> str:
        """The table as text."""
        with self._lock:
            rows = sorted(self.rows.items())
        lines = [f"{'protocol':<10} {'point':<36} {'updates':>7}  value", "-" * 78]
        lines += [f"{p:<10} {n[:36]:<36} {c:>7}  {v[:40]}" for (p, n), (v, c) in rows]
        return "\n".join(lines)


def _demo(args: argparse.Namespace) -> int:
    modules: dict[str, ModuleType] = args.modules
    chosen = [m for name, m in modules.items() if not args.only or name in args.only]
    if not chosen:
        print("error: no protocol package provides a demo", file=sys.stderr)
        return 1
    table = DemoTable()
    failures: dict[str, BaseException] = {}

    def run(name: str, module: ModuleType) -> None:
        try:
            module.demo(args.seconds, table.report)
        except BaseException as exc:
            failures[name] = exc

    threads = [
        threading.Thread(target=run, args=(name, m), name=f"demo-{name}", daemon=True)
        for name, m in modules.items()
        if m in chosen
    ]
    for thread in threads:
        thread.start()
    live = sys.stdout.isatty()
    deadline = time.monotonic() + args.seconds + 30
    while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
        time.sleep(0.5)
        if live:
            print("\x1b[2J\x1b[H" + table.render(), flush=True)
    print(table.render(), flush=True)
    for name, exc in failures.items():
        print(f"error: {name} demo failed: {exc}", file=sys.stderr)
    stuck = [t.name for t in threads if t.is_alive()]
    if stuck:
        print(f"error: demo did not finish: {', '.join(stuck)}", file=sys.stderr)
    return 1 if failures or stuck else 0



if __name__ == "__main__":
    sys.exit(main())
