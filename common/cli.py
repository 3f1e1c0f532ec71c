# PYTHON_ARGCOMPLETE_OK
"""The ``iotws`` command line: one shape for every protocol.

Each protocol package's ``__main__`` module provides ``register(subparsers)``,
which adds ``iotws <pkg> VERB`` parsers built with [`add_verb`][iotws.cli.add_verb] (so every verb
has the common flags) whose handlers take ``(args, out)`` and return an exit status,
and ``demo(seconds, report, stop)``, which runs its simulator and a client and calls
``report(protocol, name, value)`` for live values. ``iotws demo`` runs every
protocol's demo side by side and shows a table.

The common flags, the same name and meaning on every verb (docs/cli.md):

* every verb: ``-v/--verbose`` (log lines on stderr; ``-vv`` frames too),
  ``-q/--quiet`` (no status lines, only errors), both at any position, and
  ``--json`` (one JSON object per line on stdout, see [`CONCEPTS`][iotws.cli.CONCEPTS]);
* every verb that connects to a server ([`CLIENT_FLAGS`][iotws.cli.CLIENT_FLAGS]): ``--connect-timeout``,
  ``--timeout`` (each request's reply), ``--ca-file``, ``--insecure``, ``--header``;
* every verb that streams ([`STREAM_FLAGS`][iotws.cli.STREAM_FLAGS]): ``--idle``, ``--count``,
  ``--no-reconnect``.

Expected failures print one ``error:`` line on stderr and exit 1; a usage error
exits 2; Ctrl-C exits 130 with no traceback (``simulate``: 0).

Examples:
    >>> main(["--version"])  # doctest: +ELLIPSIS
    iotws ...
    0
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import enum
import importlib
import json
import logging
import math
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from types import ModuleType
from typing import IO, TYPE_CHECKING, Any, Final, Protocol, TypeVar

import attrs

from iotws import PROTOCOLS
from iotws._version import __version__
from iotws.errors import IotwsError, UsageError
from iotws.options import ConnectOptions, ConnectOptionsDict

if TYPE_CHECKING:
    import asyncio

    from iotws.simulator import SimulatorBase

__all__ = [
    "CLIENT_FLAGS",
    "COMMON_FLAGS",
    "CONCEPTS",
    "HEAD",
    "STREAM_FLAGS",
    "LiveTable",
    "Output",
    "Record",
    "add_client_flags",
    "add_group",
    "add_stream_flags",
    "add_verb",
    "build_parser",
    "connect_options",
    "connected",
    "link_record",
    "local_text",
    "main",
    "protocol_main",
    "read_secret",
    "record",
    "serve",
    "stop_on_sigterm",
    "stream",
    "to_jsonable",
    "utc_text",
    "value_text",
]

#: ``report(protocol, name, value_text)``, the callback a protocol demo feeds.
Report = Callable[[str, str, str], None]

#: One line of ``--json`` output: ``{"protocol", "type", "time", ...}`` (see [`CONCEPTS`][iotws.cli.CONCEPTS]).
Record = dict[str, Any]

#: Every verb's flags (``-h`` too).
COMMON_FLAGS: Final = ("-v", "--verbose", "-q", "--quiet", "--json")
#: The flags of every verb that connects to a server.
CLIENT_FLAGS: Final = ("--connect-timeout", "--timeout", "--ca-file", "--insecure", "--header")
#: The flags of every verb that prints a stream of events.
STREAM_FLAGS: Final = ("--idle", "--count", "--no-reconnect")

#: The keys of each record type after ``protocol``, ``type`` and ``time``: one schema per
#: concept, whatever the protocol. ``detail`` holds the protocol's own fields.
CONCEPTS: Final[Mapping[str, tuple[str, ...]]] = {
    "value": ("point", "name", "value", "unit", "quality", "error", "detail"),
    "removed": ("point", "name", "detail"),
    "event": ("point", "name", "detail"),
    "command": ("point", "name", "params", "detail"),
    "result": ("point", "ok", "value", "error", "detail"),
    "element": ("point", "name", "kind", "detail"),
    "pong": ("url", "rtt_ms", "detail"),
    "link": ("url", "state", "error", "detail"),
    "simulator": ("url", "detail"),
}

#: The keys every record starts with.
HEAD: Final = ("protocol", "type", "time")

C = TypeVar("C", bound="_Closable")


class _Closable(Protocol):
    @property
    def options(self) -> ConnectOptions: ...

    def connect(self) -> Any: ...

    def close(self) -> None: ...


# -- JSON ----------------------------------------------------------------------------------------


def _field_names(cls: type) -> tuple[str, ...] | None:
    """The fields of a model class (attrs or msgspec), or ``None`` for anything else."""
    if attrs.has(cls):
        return tuple(field.name for field in attrs.fields(cls))
    fields = getattr(cls, "__struct_fields__", None)  # a msgspec.Struct
    return tuple(fields) if isinstance(fields, tuple) else None


def to_jsonable(obj: Any) -> Any:
    """Turn a typed event or model into plain JSON data.

    A model (attrs or msgspec) becomes an object with its class name under ``"type"`` (or under
    ``"_type"`` when the model has a field called ``type``) and its fields. A float
    that is not finite becomes ``null`` (JSON has no NaN).

    Examples:
        >>> to_jsonable({"at": dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc), "raw": b"\\x01"})
        {'at': '2026-01-02T00:00:00+00:00', 'raw': '01'}
        >>> to_jsonable([float("nan"), 1.5])
        [None, 1.5]
    """
    if obj is None or isinstance(obj, (str, bool, int)):
        return obj.value if isinstance(obj, enum.Enum) else obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if hasattr(obj, "isoformat") and not isinstance(obj, type):
        return obj.isoformat()
    names = _field_names(type(obj))
    if names is not None:
        key = "_type" if "type" in names else "type"
        data = {key: type(obj).__name__}
        for name in names:
            data[name] = to_jsonable(getattr(obj, name))
        return data
    if isinstance(obj, Mapping):
        return {_key(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set, frozenset)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, enum.Enum):
        return to_jsonable(obj.value)
    if isinstance(obj, (bytes, bytearray, memoryview)):
        return bytes(obj).hex().upper()
    if isinstance(obj, BaseException):
        return f"{type(obj).__name__}: {obj}"
    return str(obj)


def _key(key: object) -> str:
    if isinstance(key, enum.Enum):
        return key.name
    return str(key)


def utc_text(when: dt.datetime) -> str:
    """The ``time`` of a record: RFC 3339 in UTC, microseconds, ``Z``.

    Examples:
        >>> utc_text(dt.datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=dt.timezone.utc))
        '2026-01-02T03:04:05.120000Z'
    """
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def local_text(when: dt.datetime, today: dt.date | None = None) -> str:
    """A time for people: local time with milliseconds, the date too unless it is today.

    Examples:
        >>> at = dt.datetime(2026, 1, 2, 3, 4, 5, 120000).astimezone()
        >>> local_text(at, today=at.date())
        '03:04:05.120'
        >>> local_text(at, today=dt.date(2030, 1, 1))
        '2026-01-02 03:04:05.120'
    """
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    local = when.astimezone()
    clock = local.strftime("%H:%M:%S.") + f"{local.microsecond // 1000:03d}"
    if local.date() == (today or dt.date.today()):
        return clock
    return f"{local.strftime('%Y-%m-%d')} {clock}"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def record(protocol: str, kind: str, when: dt.datetime | None = None, /, **fields: Any) -> Record:
    """One ``--json`` record of concept ``kind``: every key of [`CONCEPTS`][iotws.cli.CONCEPTS] ``[kind]``, in order.

    Keys not given are ``null`` (``detail``: ``{}``); ``when`` defaults to now.

    Examples:
        >>> rec = record("evok", "value", dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc), point="ro 2_01", value=1)
        >>> rec  # doctest: +NORMALIZE_WHITESPACE
        {'protocol': 'evok', 'type': 'value', 'time': '2026-01-02T00:00:00.000000Z', 'point': 'ro 2_01',
         'name': None, 'value': 1, 'unit': None, 'quality': None, 'error': None, 'detail': {}}
        >>> record("evok", "value", None, colour="red")
        Traceback (most recent call last):
        ValueError: a 'value' record has no key 'colour' (keys: point, name, value, unit, quality, error, detail)
    """
    keys = CONCEPTS[kind]
    for name in fields:
        if name not in keys:
            raise ValueError(f"a {kind!r} record has no key {name!r} (keys: {', '.join(keys)})")
    data: Record = {"protocol": protocol, "type": kind, "time": utc_text(when or _now())}
    for name in keys:
        value = fields.get(name)
        data[name] = to_jsonable({} if value is None and name == "detail" else value)
    return data


def value_text(value: Any) -> str:
    """A value for people: text as is, numbers plainly, bytes in hex, nothing as ``-``.

    Examples:
        >>> value_text(None), value_text(True), value_text(21.5), value_text(b"\\x0a\\xff"), value_text("on")
        ('-', 'true', '21.5', '0AFF', 'on')
    """
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex().upper()
    if isinstance(value, dt.datetime):
        return local_text(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(to_jsonable(value), ensure_ascii=False)
    return str(value)


def render(rec: Record) -> str:
    """The default human line of a record (protocols pass their own when they know better).

    Examples:
        >>> at = dt.datetime.now(dt.timezone.utc)
        >>> render(record("evok", "value", at, point="ai 1_01", value=8.5, unit="V")).split("  ")[1:]
        ['ai 1_01', '8.5 V']
        >>> render(record("oisp", "pong", at, url="ws://127.0.0.1:9/", rtt_ms=1.25))
        'PONG from ws://127.0.0.1:9/ in 1.2 ms'
    """
    kind = rec["type"]
    when = local_text(dt.datetime.fromisoformat(rec["time"]))
    if kind == "value":
        parts = [when, _point(rec), value_text(rec["value"]) + (f" {rec['unit']}" if rec["unit"] else "")]
        if rec["quality"] is not None:
            parts.append(f"quality {rec['quality']}")
        if rec["error"]:
            parts.append(f"error: {rec['error']}")
        return "  ".join(parts)
    if kind == "removed":
        return f"{when}  {_point(rec)}  (removed)"
    if kind == "event":
        detail = rec["detail"]
        return "  ".join(p for p in (when, rec["name"], rec["point"] or "", value_text(detail) if detail else "") if p)
    if kind == "command":
        params = " ".join(f"{k}={value_text(v)}" for k, v in (rec["params"] or {}).items())
        return f"{when}  {rec['name']}  {params}  ({rec['point']})"
    if kind == "result":
        state = "ok" if rec["ok"] else f"failed: {rec['error']}"
        return f"{rec['point']}: {value_text(rec['value'])} {state}"
    if kind == "element":
        return f"{rec['point']}  [{rec['kind']}]"
    if kind == "pong":
        return f"PONG from {rec['url']} in {rec['rtt_ms']:.1f} ms"
    if kind == "link":
        return f"{when}  {rec['state']}  {rec['url']}" + (f"  ({rec['error']})" if rec["error"] else "")
    return rec.get("url") or json.dumps(rec)


def _point(rec: Record) -> str:
    return f"{rec['point']} ({rec['name']})" if rec.get("name") else str(rec["point"])


# -- output ------------------------------------------------------------------------------------


def _rich() -> ModuleType | None:
    """``rich`` when it is installed (the ``cli`` extra), else ``None``: plain text then."""
    try:
        return importlib.import_module("rich")
    except ImportError:
        return None


def _rich_module(name: str) -> Any:
    """A rich module, imported when first used (untyped here: rich is an optional extra)."""
    return importlib.import_module(f"rich.{name}")


def _colour_console(stream: IO[str]) -> Any:
    """A rich console for ``stream`` when it is a terminal and rich is there, else ``None``.

    rich turns colour off by itself when ``NO_COLOR`` is set.
    """
    if _rich() is None or not _isatty(stream):
        return None
    return _rich_module("console").Console(file=stream, highlight=False, soft_wrap=True)


def _isatty(stream: IO[str]) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class LiveTable:
    """The latest value per ``(protocol, point)``: a live table on a terminal, text otherwise.

    Examples:
        >>> table = LiveTable()
        >>> at = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
        >>> table.update(record("evok", "value", at, point="ro 2_01", name="lamp", value=1))
        >>> table.update(record("evok", "value", at, point="ro 2_01", name="lamp", value=0))
        >>> print(table.text())  # doctest: +ELLIPSIS +NORMALIZE_WHITESPACE
        point    name  value  updates  at
        ro 2_01  lamp  0            2  ...
    """

    def __init__(self, *, with_protocol: bool = False) -> None:
        self.with_protocol = with_protocol
        self._lock = threading.Lock()
        self.rows: dict[tuple[str, str], tuple[str, str, str, int, str]] = {}

    def update(self, rec: Record, shown: str | None = None) -> None:
        """Show a ``value`` record (``shown``: the value as text), or drop the row of a ``removed`` one."""
        key = (rec["protocol"], str(rec["point"]))
        with self._lock:
            if rec["type"] == "removed":
                self.rows.pop(key, None)
                return
            text = shown if shown is not None else value_text(rec["value"])
            if rec.get("unit"):
                text += f" {rec['unit']}"
            if rec.get("error"):
                text += f" (error: {rec['error']})"
            count = self.rows[key][3] + 1 if key in self.rows else 1
            when = local_text(dt.datetime.fromisoformat(rec["time"]))
            self.rows[key] = (rec["protocol"], rec.get("name") or "", text, count, when)

    def _lines(self) -> tuple[list[str], list[list[str]]]:
        with self._lock:
            rows = sorted(self.rows.items())
        head = ["protocol", "point", "name", "value", "updates", "at"]
        body = [
            [protocol, point, name, text, str(count), when]
            for (protocol, point), (_, name, text, count, when) in rows
        ]

        def wanted(i: int, column: str) -> bool:
            if column == "protocol":
                return self.with_protocol
            return column != "name" or any(row[i] for row in body)  # no names: no name column

        keep = [i for i, column in enumerate(head) if wanted(i, column)]
        return [head[i] for i in keep], [[row[i] for i in keep] for row in body]

    def text(self) -> str:
        """The table as plain text (no colour, no escapes)."""
        head, body = self._lines()
        widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
        right = {head.index("updates")}
        lines = [
            "  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
            for r in [head, *body]
        ]
        return "\n".join(line.rstrip() for line in lines)

    def renderable(self) -> Any:
        """A ``rich.table.Table`` of the rows (rich must be installed)."""
        head, body = self._lines()
        table = _rich_module("table").Table(box=None, header_style="bold", pad_edge=False)
        for name in head:
            table.add_column(name, justify="right" if name == "updates" else "left", no_wrap=name != "value")
        for row in body:
            table.add_row(*row)
        return table


class Output:
    """Where a verb's output goes: records on stdout (JSON or human lines), status lines on stderr.

    ``verbosity``: ``-1`` (``-q``) errors only, ``0`` status lines, ``1``/``2`` log lines
    (``-v``/``-vv``) instead of status lines.

    Examples:
        >>> out = Output("evok", as_json=True)
        >>> out.emit(record("evok", "removed", dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc), point="led 1_02"))
        ... # doctest: +NORMALIZE_WHITESPACE
        {"protocol": "evok", "type": "removed", "time": "2026-01-02T00:00:00.000000Z", "point": "led 1_02",
         "name": null, "detail": {}}
        >>> out.emitted
        1
    """

    def __init__(self, protocol: str, *, as_json: bool = False, verbosity: int = 0) -> None:
        self.protocol = protocol
        self.json = as_json
        self.verbosity = verbosity
        #: How many records were printed (what ``--count`` counts).
        self.emitted = 0
        self._lock = threading.RLock()
        self._table: LiveTable | None = None

    def emit(self, rec: Record, human: str | None = None, shown: str | None = None) -> None:
        """Print one record: a JSON line, else ``human`` (or [`render`][iotws.cli.render]), or a row of the live table.

        ``shown`` is the value as text for the table (default: [`value_text`][iotws.cli.value_text] of ``value``).
        """
        with self._lock:
            self.emitted += 1
            if self.json:
                print(json.dumps(rec, ensure_ascii=False), flush=True)
            elif self._table is not None and rec["type"] in ("value", "removed"):
                self._table.update(rec, shown)
            else:
                print(render(rec) if human is None else human, flush=True)

    def status(self, text: str) -> None:
        """A status line on stderr (``connecting...``, ``reconnecting in 2.4 s``), unless ``-q``."""
        if self.verbosity >= 0:
            self._stderr(f"{self.protocol}: {text}", "dim")

    def warning(self, text: str) -> None:
        """A warning line on stderr, unless ``-q``."""
        if self.verbosity >= 0:
            self._stderr(f"{self.protocol}: warning: {text}", "yellow")

    def error(self, text: str) -> None:
        """The one ``error:`` line of a failed verb (always shown)."""
        self._stderr(f"error: {text}", "bold red")

    def _stderr(self, text: str, style: str) -> None:
        with self._lock:
            console = _colour_console(sys.stderr)
            if console is None:
                print(text, file=sys.stderr, flush=True)
            else:
                console.print(text, style=style, markup=False, highlight=False)

    @contextlib.contextmanager
    def live(self, table: LiveTable | None = None) -> Iterator[bool]:
        """Show value records as a live table while the block runs (a terminal, rich, no ``--json``).

        Yields whether the table is live; if not, records print as lines.
        """
        if self.json or _rich() is None or not _isatty(sys.stdout):
            yield False
            return
        shown = table or LiveTable()
        with _rich_module("live").Live(
            get_renderable=shown.renderable,
            console=_rich_module("console").Console(file=sys.stdout),
            refresh_per_second=4,
            transient=False,
            redirect_stderr=_isatty(sys.stderr),  # status lines above the table on the same terminal only
        ):
            self._table = shown
            try:
                yield True
            finally:
                self._table = None


class _StatusLog(logging.Handler):
    """Turns the client drivers' INFO/WARNING log records into status lines (``-v`` shows them raw)."""

    def __init__(self, out: Output) -> None:
        super().__init__(logging.INFO)
        self.out = out
        self.reconnecting = False

    def emit(self, rec: logging.LogRecord) -> None:
        try:
            text = self._status(rec)
        except Exception:  # a status line is never worth a crash
            return
        if text is None:
            return
        if rec.levelno >= logging.WARNING and text.startswith("warning: "):
            self.out.warning(text.removeprefix("warning: "))
        else:
            self.out.status(text)

    def _status(self, rec: logging.LogRecord) -> str | None:
        args = rec.args if isinstance(rec.args, tuple) else ()
        template = rec.msg if isinstance(rec.msg, str) else ""
        if template == "reconnecting to %s in %.2f s (attempt %d)" and len(args) == 3:
            self.reconnecting = True
            delay = args[1]
            shown = f"{delay:.1f}" if isinstance(delay, (int, float)) else str(delay)
            return f"reconnecting in {shown} s (attempt {args[2]})"
        if template == "connected to %s" and self.reconnecting:
            self.reconnecting = False
            return f"reconnected to {args[0]}"
        if template == "lost connection to %s: %s" and len(args) == 2:
            return f"connection lost: {args[1]}"
        if template == "reconnect attempt %d failed: %s" and len(args) == 2:
            return f"attempt {args[0]} failed: {args[1]}"
        if template == "giving up on %s: %s" and len(args) == 2:
            return f"giving up: {args[1]}"
        if template.startswith("TLS certificate verification is OFF"):
            return "warning: TLS certificate verification is off (--insecure)"
        if rec.levelno >= logging.WARNING and template not in ("stopped: %s (%s)",):
            return f"warning: {rec.getMessage()}"
        return None


@contextlib.contextmanager
def _logging(out: Output, bridge: bool) -> Iterator[None]:
    """``-v``: log lines to stderr; else (unless ``-q``) the drivers' records as status lines."""
    if out.verbosity > 0:
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        level = logging.DEBUG if out.verbosity > 1 else logging.INFO
    elif out.verbosity == 0 and bridge:
        handler = _StatusLog(out)
        level = logging.INFO
    else:
        yield
        return
    logger = logging.getLogger("iotws")
    before = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(before)


# -- arguments ---------------------------------------------------------------------------------


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive, got {text!r}")
    return value


class _Tally:
    """The ``-v``/``-q`` count of one parse, shared by every parser level (so any position adds up)."""

    def __init__(self) -> None:
        self.value = 0


class _Verbosity(argparse.Action):
    def __init__(self, option_strings: Sequence[str], dest: str, *, tally: _Tally, step: int, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)
        self.tally = tally
        self.step = step

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        self.tally.value += self.step
        setattr(namespace, self.dest, self.tally.value)


def _add_verbosity(parser: argparse.ArgumentParser, tally: _Tally) -> None:
    parser.add_argument(
        "-v", "--verbose", action=_Verbosity, tally=tally, step=1, dest="verbosity",
        help="log lines on stderr instead of status lines (-vv: frames too); any position",
    )
    parser.add_argument(
        "-q", "--quiet", action=_Verbosity, tally=tally, step=-1, dest="verbosity",
        help="no status lines on stderr, only errors; any position",
    )


def _tally_of(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> _Tally:
    tally = getattr(subparsers, "iotws_tally", None)
    if not isinstance(tally, _Tally):
        tally = _Tally()
        subparsers.iotws_tally = tally  # type: ignore[attr-defined]
    return tally


def add_group(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], name: str, *, help: str, prog: str | None = None
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """Add ``iotws <name>`` (a protocol) with ``-v``/``-q``; returns the sub-parsers of its verbs."""
    tally = _tally_of(subparsers)
    parser = subparsers.add_parser(name, help=help, description=help, prog=prog)
    _add_verbosity(parser, tally)
    parser.set_defaults(protocol=name, func=None, usage_of=parser)
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    verbs.iotws_tally = tally  # type: ignore[attr-defined]
    return verbs


def add_verb(
    verbs: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    func: Callable[[argparse.Namespace, Output], int],
    *,
    help: str,
    client: bool = False,
    streams: bool = False,
    interrupted: int = 130,
    description: str | None = None,
) -> argparse.ArgumentParser:
    """Add one verb with the common flags (``client``: [`CLIENT_FLAGS`][iotws.cli.CLIENT_FLAGS]; ``streams``:
    [`STREAM_FLAGS`][iotws.cli.STREAM_FLAGS]).

    ``func(args, out)`` returns the exit status; ``interrupted`` is the status of Ctrl-C.
    """
    parser = verbs.add_parser(name, help=help, description=description or help)
    _add_verbosity(parser, _tally_of(verbs))
    parser.add_argument(
        "--json", action="store_true", help='one JSON object per line on stdout: {"protocol", "type", "time", ...}'
    )
    if client:
        add_client_flags(parser)
    if streams:
        add_stream_flags(parser)
    parser.set_defaults(func=func, interrupted=interrupted)
    return parser


def add_client_flags(parser: argparse.ArgumentParser) -> None:
    """``--connect-timeout``, ``--timeout``, ``--ca-file``, ``--insecure``, ``--header``."""
    group = parser.add_argument_group("connection (the same on every verb that connects)")
    group.add_argument(
        "--connect-timeout", type=_seconds, default=None, metavar="S",
        help="give up connecting after S s: TCP, TLS, the upgrade and the protocol's opening exchange (default 10)",
    )
    group.add_argument(
        "--timeout", type=_seconds, default=None, metavar="S", help="wait S s for each reply to a request (default 10)"
    )
    group.add_argument("--ca-file", metavar="PEM", help="trust the CA certificate(s) in this PEM file (wss://)")
    group.add_argument("--insecure", action="store_true", help="do not verify the server's TLS certificate (wss://)")
    group.add_argument(
        "--header", action="append", default=[], metavar="'NAME: VALUE'", help="extra upgrade header (repeatable)"
    )


def add_stream_flags(parser: argparse.ArgumentParser) -> None:
    """``--idle``, ``--count``, ``--no-reconnect``."""
    group = parser.add_argument_group("stream (the same on every verb that streams)")
    group.add_argument(
        "--idle", type=_seconds, default=None, metavar="S",
        help="stop after S s without a message (exit 0; 1 if --count was not reached); default: wait",
    )
    group.add_argument(
        "--count", type=_positive, default=None, metavar="N",
        help="exit after N records of output (lines, or JSON objects); default: until Ctrl-C",
    )
    group.add_argument(
        "--no-reconnect", dest="reconnect", action="store_false",
        help="exit with an error when the link drops (default: reconnect with backoff)",
    )


def _header(text: str) -> tuple[str, str]:
    name, found, value = text.partition(":")
    if not found or not name.strip():
        raise UsageError(f"--header wants 'NAME: VALUE', got {name.strip() or text!r}")  # never the value: a secret?
    return name.strip(), value.strip()


def connect_options(args: argparse.Namespace, **also: Any) -> ConnectOptionsDict:
    """The client options of the common flags (those given), plus ``also``.

    Examples:
        >>> args = argparse.Namespace(connect_timeout=2.0, timeout=None, ca_file=None, insecure=True,
        ...                           header=["X-Site: north"])
        >>> connect_options(args)
        {'connect_timeout': 2.0, 'verify': False, 'headers': {'X-Site': 'north'}}
    """
    options: ConnectOptionsDict = {}
    if getattr(args, "connect_timeout", None) is not None:
        options["connect_timeout"] = args.connect_timeout
    if getattr(args, "timeout", None) is not None:
        options["request_timeout"] = args.timeout
    if getattr(args, "ca_file", None):
        options["ca_file"] = args.ca_file
    if getattr(args, "insecure", False):
        options["verify"] = False
    if getattr(args, "header", None):
        options["headers"] = dict(_header(h) for h in args.header)
    if getattr(args, "reconnect", True) is False:
        options["reconnect"] = None
    options.update(also)  # type: ignore[typeddict-item]  # the callers pass option names
    return options


def read_secret(
    value: str | None,
    file: str | None,
    env: str,
    *,
    flag: str,
    environ: Mapping[str, str] = os.environ,
) -> str | None:
    """A secret from ``--FLAG``, else ``--FLAG-file``, else ``$ENV``; ``None`` if none is given.

    The file's content (surrounding white space dropped) is never shown in an error.

    Examples:
        >>> read_secret(None, None, "IOTWS_X_TOKEN", flag="--token", environ={"IOTWS_X_TOKEN": "abc\\n"})
        'abc'
        >>> read_secret("a", "f", "IOTWS_X_TOKEN", flag="--token")
        Traceback (most recent call last):
        iotws.errors.UsageError: pass either --token or --token-file, not both
    """
    if value is not None and file is not None:
        raise UsageError(f"pass either {flag} or {flag}-file, not both")
    if file is not None:
        try:
            with open(file, encoding="utf-8") as handle:
                value = handle.read()
        except OSError as exc:
            raise UsageError(f"cannot read {flag}-file {file!r}: {exc.strerror or exc}") from None
        where = f"{flag}-file {file!r}"
    elif value is None:
        value = environ.get(env)
        if value is None:
            return None
        where = f"${env}"
    else:
        where = flag
    value = value.strip()
    if not value:
        raise UsageError(f"the value from {where} is empty")
    return value


# -- running clients ---------------------------------------------------------------------------


@contextlib.contextmanager
def connected(client: C, out: Output) -> Iterator[C]:
    """Connect ``client`` after a status line, and close it however the block ends (Ctrl-C too)."""
    url = client.options.safe_url
    out.status(f"connecting to {url} (timeout {client.options.connect_timeout:g} s)...")
    try:
        client.connect()
        out.status(f"connected to {url}")
        yield client
    finally:
        client.close()


def stream(
    out: Output,
    events: Iterable[object],
    records: Callable[[object], Iterable[tuple[Record, str | None]]],
    *,
    count: int | None,
    idle: float | None,
    waiting: str = "waiting for events",
) -> int:
    """The loop of every streaming verb: print each event's records; stop after ``count`` of them.

    A status line says what it waits for first. Returns 0, or 1 when the stream ended
    (``--idle``) before ``count`` records.

    Examples:
        >>> out = Output("demo", as_json=True)
        >>> def records(event):
        ...     yield record("demo", "event", dt.datetime(2026, 1, 2), name=event), None
        >>> stream(out, ["a", "b", "c"], records, count=2, idle=None)  # doctest: +ELLIPSIS
        {"protocol": "demo", "type": "event", "time": "...", "point": null, "name": "a", "detail": {}}
        {"protocol": "demo", "type": "event", "time": "...", "point": null, "name": "b", "detail": {}}
        0
    """
    start = out.emitted
    out.status(f"{waiting} (Ctrl-C to stop)")
    for event in events:
        for rec, human in records(event):
            out.emit(rec, human)
            if count is not None and out.emitted - start >= count:
                return 0
    shown = out.emitted - start
    if count is not None:
        out.error(f"got {shown} of {count} records" + (f" (nothing for {idle:g} s)" if idle else ""))
        return 1
    if idle is not None:
        out.status(f"nothing for {idle:g} s: stopping")
    return 0


def link_record(protocol: str, event: object, url: str) -> tuple[Record, str | None] | None:
    """The ``link`` record of a shared lifecycle event (``None`` for others).

    Examples:
        >>> from iotws.events import Reconnected
        >>> rec, _ = link_record("oisp", Reconnected(attempts=3), "ws://127.0.0.1:9/")
        >>> rec["state"], rec["detail"]
        ('reconnected', {'attempts': 3})
    """
    from iotws.events import Connected, Disconnected, ProtocolViolation, Reconnected, Stopped

    if isinstance(event, Connected):
        rec = record(protocol, "link", None, url=url, state="connected")
    elif isinstance(event, Disconnected):
        rec = record(
            protocol, "link", None, url=url, state="disconnected", error=_error_text(event.error),
            detail={"will_reconnect": event.will_reconnect},
        )
    elif isinstance(event, Reconnected):
        rec = record(protocol, "link", None, url=url, state="reconnected", detail={"attempts": event.attempts})
    elif isinstance(event, Stopped):
        rec = record(
            protocol, "link", None, url=url, state="stopped", error=_error_text(event.error),
            detail={"reason": event.reason},
        )
    elif isinstance(event, ProtocolViolation):
        rec = record(protocol, "link", None, url=url, state="bad message", error=_error_text(event.error))
    else:
        return None
    return rec, None


def _error_text(error: BaseException | None) -> str | None:
    return None if error is None else str(error) or type(error).__name__


def stop_on_sigterm() -> asyncio.Event:
    """An event the running loop sets on SIGTERM, for a verb that serves until stopped.

    Where the loop cannot take signals (Windows, a thread other than the main one) the
    event is only set by its owner; Ctrl-C still arrives as ``KeyboardInterrupt``.

    Examples:
        >>> import asyncio
        >>> async def main():
        ...     return stop_on_sigterm().is_set()
        >>> asyncio.run(main())
        False
    """
    import asyncio
    import signal

    stop = asyncio.Event()
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    return stop


def serve(
    sim: SimulatorBase,
    out: Output,
    path: str | None = None,
    banner: Callable[[], Mapping[str, str]] | None = None,
) -> int:
    """Run ``sim`` in the foreground until Ctrl-C (or SIGTERM); exit status 0.

    The first stdout line is its URL (with ``--json``: a ``simulator`` record), then
    ``banner()``'s ``name: text`` lines (ready-to-run client commands).
    """
    import asyncio

    async def run() -> None:
        stop = stop_on_sigterm()
        async with sim:
            url = sim.url(path)
            fields = dict(banner()) if banner is not None else {}
            if out.json:
                out.emit(record(out.protocol, "simulator", None, url=url, detail=fields))
            else:
                print(url, flush=True)
                for name, text in fields.items():
                    print(f"{name}: {text}", flush=True)
            out.status(f"simulator serving on {url} (Ctrl-C to stop)")
            await stop.wait()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        raise UsageError(f"cannot start the simulator on {sim.host}:{sim.port}: {exc.strerror or exc}") from None
    out.status("simulator stopped")
    return 0


# -- the parser and main -----------------------------------------------------------------------


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
    tally = _Tally()
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Clients and simulators for industrial IoT WebSocket APIs (docs: the CLI page).",
    )
    parser.add_argument("--version", action="version", version=f"iotws {__version__}")
    _add_verbosity(parser, tally)
    parser.set_defaults(protocol="iotws", func=None, usage_of=parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.iotws_tally = tally  # type: ignore[attr-defined]
    demo = add_verb(sub, "demo", _demo, help="run every simulator with a client and show live values")
    demo.add_argument("--seconds", type=_seconds, default=10.0, help="how long to run (default 10)")
    demo.add_argument(
        "--only", action="append", choices=sorted(modules) or None, help="limit to these protocols (repeatable)"
    )
    demo.set_defaults(modules=modules, protocol="demo")
    for name, module in modules.items():
        module.register(sub, prog=progs.get(name))
    from iotws.bridge.cli import register as register_bridge  # the verb only: MQTT loads when it runs

    register_bridge(sub)
    return parser


def main(argv: Sequence[str] | None = None, *, prog: str = "iotws") -> int:
    """Entry point of the ``iotws`` console script (and ``python -m iotws``); returns the exit status."""
    try:
        return _run(build_parser(_protocol_modules(), prog=prog), argv)
    except KeyboardInterrupt:
        return 130


def protocol_main(protocol: str, argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m iotws.<protocol>``: ``iotws <protocol> ...`` under the module's own name.

    Examples:
        >>> protocol_main("evok", ["--help"])  # doctest: +ELLIPSIS
        usage: python -m iotws.evok [-h] [-v] [-q] VERB ...
        ...
        0
    """
    try:
        modules = _protocol_modules([protocol])
        if not modules:
            print(f"error: iotws {protocol} is unavailable", file=sys.stderr)
            return 2
        parser = build_parser(modules, protocol_progs={protocol: f"python -m iotws.{protocol}"})
        rest = list(sys.argv[1:] if argv is None else argv)
        return _run(parser, [protocol, *rest])
    except KeyboardInterrupt:
        return 130


def _autocomplete(parser: argparse.ArgumentParser) -> None:
    """Shell completion through argcomplete, when it is installed and the shell asks."""
    if "_ARGCOMPLETE" not in os.environ:
        return
    try:
        argcomplete = importlib.import_module("argcomplete")
    except ImportError:
        return
    argcomplete.autocomplete(parser)


def _run(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    _autocomplete(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    func = getattr(args, "func", None)
    if func is None:
        parser_of: argparse.ArgumentParser = getattr(args, "usage_of", parser)
        parser_of.print_help()
        return 0 if parser_of is parser else 2
    out = Output(
        getattr(args, "protocol", "iotws"),
        as_json=bool(getattr(args, "json", False)),
        verbosity=int(getattr(args, "verbosity", 0)),
    )
    bridge = getattr(args, "verb", None) != "simulate" and func is not _demo
    try:
        with _logging(out, bridge):
            return int(func(args, out))
    except IotwsError as exc:
        out.error(str(exc))
        return 1
    except KeyboardInterrupt:
        return int(getattr(args, "interrupted", 130))
    except BrokenPipeError:  # `iotws ... | head`: the reader left
        with contextlib.suppress(OSError, ValueError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        return 141


@contextlib.contextmanager
def _sigint_for_main_thread_only() -> Iterator[None]:
    """Threads started in this block (and the threads they start) never take SIGINT."""
    import signal

    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _join(threads: Sequence[threading.Thread], seconds: float) -> None:
    """Wait up to ``seconds`` in all for ``threads`` to end, in short slices (Ctrl-C is seen at once)."""
    deadline = time.monotonic() + seconds
    for thread in threads:
        while thread.is_alive() and (remaining := deadline - time.monotonic()) > 0:
            thread.join(min(remaining, 0.25))


# -- demo --------------------------------------------------------------------------------------


def _demo(args: argparse.Namespace, out: Output) -> int:
    modules: dict[str, ModuleType] = args.modules
    chosen = {name: m for name, m in modules.items() if not args.only or name in args.only}
    if not chosen:
        raise UsageError("no protocol package provides a demo")
    table = LiveTable(with_protocol=True)
    failures: dict[str, BaseException] = {}
    stop = threading.Event()

    def report(protocol: str, name: str, value: str) -> None:
        rec = record(protocol, "value", None, point=name, value=value)
        if not out.json:
            table.update(rec)
            return
        try:
            out.emit(rec)
        except BrokenPipeError:  # `iotws demo --json | head`: the reader left
            stop.set()
            raise

    def run(name: str, module: ModuleType) -> None:
        try:
            module.demo(args.seconds, report, stop)
        except BaseException as exc:
            failures[name] = exc

    threads = [threading.Thread(target=run, args=(n, m), name=f"demo-{n}", daemon=True) for n, m in chosen.items()]
    try:
        with out.live(table) as live:
            with _sigint_for_main_thread_only():
                for thread in threads:
                    thread.start()
            out.status(f"running {', '.join(chosen)} for {args.seconds:g} s (Ctrl-C to stop)")
            _join(threads, args.seconds + 30)
    except KeyboardInterrupt:
        stop.set()
        _join(threads, 5)
        if not out.json and not _isatty(sys.stdout):
            print(table.text(), flush=True)  # what was seen so far (a terminal had it live)
        raise
    if not out.json and not live:
        print(table.text(), flush=True)
    if any(isinstance(exc, BrokenPipeError) for exc in failures.values()):
        raise BrokenPipeError
    for name, exc in failures.items():
        out.error(f"{name} demo failed: {exc}")
    stuck = [t.name for t in threads if t.is_alive()]
    if stuck:
        out.error(f"demo did not finish: {', '.join(stuck)}")
    return 1 if failures or stuck else 0


if __name__ == "__main__":
    sys.exit(main())
