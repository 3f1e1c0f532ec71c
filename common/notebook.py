"""Values into tables: a client's events as rows, or as a pandas ``DataFrame``, for notebooks.

[`rows`][iotws.notebook.rows] turns the events of any iotws client into one plain ``dict`` per value, with the
same keys whatever the protocol ([`COLUMNS`][iotws.notebook.COLUMNS], the keys of the command line's ``value``
records). [`to_dataframe`][iotws.notebook.to_dataframe] makes a ``pandas.DataFrame`` of them, and
[`record`][iotws.notebook.record]
(sync) / [`arecord`][iotws.notebook.arecord] (asyncio) collect a client's stream for some seconds into one;
[`live`][iotws.notebook.live] / [`alive`][iotws.notebook.alive] do the same while a table of the latest
value of each point updates in place in the notebook cell.

pandas is not an iotws dependency: it is imported the first time a ``DataFrame`` is made
(``pip install 'iotws[notebook]'``); without it those functions raise [`UsageError`][iotws.UsageError]
saying so. [`rows`][iotws.notebook.rows] needs nothing.

Per protocol, a row is:

* Globiots: one per address of a ``RealtimeUpdate`` (``point`` is ``HOSTNAME/ADDRESS``,
  ``time`` the server's time stamp, ``error`` the failed read's status);
* EVOK: one per ``DeviceChanged`` with a value (``point`` is ``DEV CIRCUIT``, ``name`` the
  alias, ``unit`` the unit);
* Xentara: one per ``DataChange`` (``point`` is the element's path, or its UUID when the
  client does not know the path; ``time`` the server's; ``quality`` by name);
* OISP: one per parameter of an ``Actuation`` (``point`` is ``DEVICE_ID PARAM``, ``name``
  the command, ``value`` the parameter's text);
* farmws: one per reading (``point`` is the event name, ``value`` the record) and one per
  sensor of a ``Snapshot`` (``point`` is ``DEVICE/SENSOR``).

Link events (``Connected``, ``Disconnected``...) and events that carry no value give no row.
``time`` is the server's time when the protocol sends a wall-clock one, else the time
[`record`][iotws.notebook.record] received the event (``None`` from [`rows`][iotws.notebook.rows] of a plain list).

Examples:
    >>> from iotws.evok import DeviceChanged, Relay
    >>> rows([DeviceChanged(Relay("ro", "2_01", value=1), None)])  # doctest: +NORMALIZE_WHITESPACE
    [{'time': None, 'protocol': 'evok', 'point': 'ro 2_01', 'name': None, 'value': 1, 'unit': None,
      'quality': None, 'error': None}]
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import importlib
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, Final

from iotws.client import AsyncClientBase, SyncClientBase
from iotws.errors import UsageError

__all__ = ["COLUMNS", "alive", "arecord", "live", "record", "rows", "to_dataframe"]

COLUMNS: Final = ("time", "protocol", "point", "name", "value", "unit", "quality", "error")
"""The columns of every row and ``DataFrame``, in order."""

Row = dict[str, Any]


def _row(protocol: str, point: str, value: Any, when: dt.datetime | None, **more: Any) -> Row:
    row: Row = dict.fromkeys(COLUMNS)
    row.update(time=when, protocol=protocol, point=point, value=value, **more)
    return row


def _loaded(module: str) -> Any:
    """A module of iotws when the program already imported it, else ``None`` (nothing new is loaded)."""
    return sys.modules.get(module)


def _event_rows(event: object, received: dt.datetime | None) -> Iterator[Row]:
    globiots = _loaded("iotws.globiots.models")
    if globiots is not None and isinstance(event, globiots.RealtimeUpdate):
        for item in event.values:
            error = item.status or (None if item.value is not None else f"not a value: {item.raw!r}")
            yield _row("globiots", f"{item.hostname}/{item.address}", item.value,
                       item.timestamp or event.timestamp or received, error=error)
        return
    evok = _loaded("iotws.evok.protocol")
    if evok is not None and isinstance(event, evok.DeviceChanged):
        device = event.device
        if hasattr(device, "value"):
            yield _row("evok", f"{device.dev} {device.circuit}", device.value, received,
                       name=device.alias, unit=getattr(device, "unit", None))
        return
    xentara = _loaded("iotws.xentara.models")
    if xentara is not None and isinstance(event, xentara.DataChange):
        stamp = event.timestamp
        when = stamp.to_datetime() if isinstance(stamp, xentara.Timestamp) else received
        failure = event.values.get(xentara.Attribute.VALUE)
        quality = event.quality
        yield _row("xentara", event.path or str(event.element), event.value, when,
                   quality=getattr(quality, "name", quality),
                   error=str(failure) if isinstance(failure, xentara.Failure) else None)
        return
    oisp = _loaded("iotws.oisp.models")
    if oisp is not None and isinstance(event, oisp.Actuation):
        for param in event.params:
            yield _row("oisp", f"{event.device_id} {param.name}", param.value, received, name=event.command)
        return
    farmws = _loaded("iotws.farmws.models")
    if farmws is not None:
        if isinstance(event, farmws.Reading):
            yield _row("farmws", event.event, event.record, received)
        elif isinstance(event, farmws.Snapshot):
            for device in event.devices.values():
                for sid, sensor in device.sensors.items():
                    yield _row("farmws", f"{device.name}/{sid}", sensor.last_value, received, name=sensor.name)


def rows(events: Iterable[object]) -> list[Row]:
    """One ``dict`` per value in ``events`` (any protocol's), with the keys of [`COLUMNS`][iotws.notebook.COLUMNS].

    Examples:
        >>> from iotws.events import Connected
        >>> rows([Connected("ws://127.0.0.1:9/ws")])
        []
    """
    return [row for event in events for row in _event_rows(event, None)]


def _pandas() -> Any:
    try:
        return importlib.import_module("pandas")
    except ImportError:
        raise UsageError(
            "a DataFrame needs pandas, which iotws does not install by itself: pip install 'iotws[notebook]'"
        ) from None


def _frame(found: list[Row]) -> Any:
    pandas = _pandas()
    frame = pandas.DataFrame(found, columns=list(COLUMNS))
    frame["time"] = pandas.to_datetime(frame["time"], utc=True)
    return frame


def to_dataframe(events: Iterable[object]) -> Any:
    """A ``pandas.DataFrame`` of the values in ``events``: one row per value, the columns of
    [`COLUMNS`][iotws.notebook.COLUMNS].

    ``time`` is a UTC ``datetime64`` column (``NaT`` where the protocol sends no wall-clock
    time; [`record`][iotws.notebook.record] fills in when each event was received). Needs pandas.

    Examples:
        >>> from iotws.evok import DeviceChanged, Relay
        >>> frame = to_dataframe([DeviceChanged(Relay("ro", "2_01", value=1), None)])
        >>> frame[["point", "value"]].to_dict("records")
        [{'point': 'ro 2_01', 'value': 1}]
    """
    return _frame(rows(events))


def _seconds(seconds: float, name: str = "record: seconds") -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 < seconds < float("inf"):
        raise UsageError(f"{name} must be a finite number > 0, got {seconds!r}")
    return float(seconds)


def record(client: SyncClientBase[Any, Any], seconds: float = 10.0) -> Any:
    """Read ``client``'s events for ``seconds`` and return their values as a ``DataFrame``.

    ``client`` is a connected sync client of any protocol (the one to use in a notebook).
    Events without a wall-clock time of their own are stamped when they arrive. Needs pandas
    (checked before it waits).

    Examples:
        >>> from iotws.evok import Client, EvokSimulator
        >>> with EvokSimulator().run() as sim, Client(sim.url()) as evok:
        ...     frame = record(evok, seconds=0.5)
        >>> "ro 2_01" in set(frame["point"]), str(frame["time"].dt.tz)
        (True, 'UTC')
    """
    if not isinstance(client, SyncClientBase):
        raise UsageError(f"record() takes a sync Client (for an AsyncClient: await arecord(...)), got {client!r}")
    wait = _seconds(seconds)
    _pandas()
    found: list[Row] = []
    deadline = time.monotonic() + wait
    while (remaining := deadline - time.monotonic()) > 0:
        for event in client.events(timeout=remaining):
            found.extend(_event_rows(event, dt.datetime.now(dt.UTC)))
            if time.monotonic() >= deadline:
                break
    return _frame(found)


async def arecord(client: AsyncClientBase[Any, Any], seconds: float = 10.0) -> Any:
    """[`record`][iotws.notebook.record] for an ``AsyncClient``: ``frame = await arecord(client, seconds=10)``.

    Examples:
        >>> import inspect
        >>> inspect.iscoroutinefunction(arecord)
        True
    """
    if not isinstance(client, AsyncClientBase):
        raise UsageError(f"arecord() takes an AsyncClient (for a sync Client: record(...)), got {client!r}")
    wait = _seconds(seconds)
    _pandas()
    found: list[Row] = []
    try:
        async with asyncio.timeout(wait):
            async for event in client.events():
                found.extend(_event_rows(event, dt.datetime.now(dt.UTC)))
    except TimeoutError:
        pass
    return _frame(found)


# -- a live table in a notebook cell ---------------------------------------------------------------


def _kernel_display(first: Any) -> Any:
    """``display(first)`` with a display id when running in a Jupyter kernel (its handle), else ``None``."""
    ipython = sys.modules.get("IPython")  # a kernel has imported it; nothing new is loaded elsewhere
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or getattr(shell, "kernel", None) is None:
        return None
    return importlib.import_module("IPython.display").display(first, display_id=True)


class _LiveTable:
    """The rows collected so far, the newest row of each point, and the cell's display of those."""

    def __init__(self) -> None:
        self.found: list[Row] = []
        self._newest: dict[tuple[str, str], Row] = {}
        self._shown = 0  # len(found) when the display was last updated
        self.handle = _kernel_display(self.table())

    def add(self, event: object) -> None:
        for row in _event_rows(event, dt.datetime.now(dt.UTC)):
            self.found.append(row)
            self._newest[(row["protocol"], row["point"])] = row

    def table(self) -> Any:
        return _frame([self._newest[key] for key in sorted(self._newest)])

    def show(self) -> None:
        if self.handle is not None and self._shown != len(self.found):
            self._shown = len(self.found)
            self.handle.update(self.table())

    def finish(self) -> Any:
        if self.handle is None:
            print(self.table().to_string(index=False))
        else:
            self.show()
        return _frame(self.found)


def _checked(name: str, seconds: float, every: float) -> tuple[float, float]:
    wait, period = _seconds(seconds, f"{name}: seconds"), _seconds(every, f"{name}: every")
    _pandas()
    return wait, period


def _take(client: SyncClientBase[Any, Any], table: _LiveTable, until: float) -> bool:
    """Add the events that come before ``until`` (monotonic); ``True`` when the stream ended first."""
    while (remaining := until - time.monotonic()) > 0:
        for event in client.events(timeout=remaining):
            table.add(event)
            if time.monotonic() >= until:
                return False
        if time.monotonic() < until:  # events() waits its full timeout, so it ended: the client is closed
            return True
    return False


def live(client: SyncClientBase[Any, Any], seconds: float = 10.0, every: float = 1.0) -> Any:
    """[`record`][iotws.notebook.record] with a table of the latest value of each point that updates in place.

    In a Jupyter cell, a ``DataFrame`` with one row per point (its newest row, the columns of
    [`COLUMNS`][iotws.notebook.COLUMNS], sorted by protocol and point) is displayed at once
    and redrawn every ``every`` seconds while values come in. Outside a Jupyter kernel (a
    script, a terminal) nothing is drawn while it waits; the last table is printed as
    plain text at the end.

    Returns the ``DataFrame`` of *all* the values collected, as [`record`][iotws.notebook.record]
    does (the cell already shows the latest ones; ``frame.groupby("point").last()`` gives them
    again). Interrupting the cell (or Ctrl-C) stops early and returns what was collected.
    Returns early too if the client is closed meanwhile. Needs pandas (checked before it waits).

    Examples:
        >>> from iotws.globiots import Client, DataType, GlobiotsSimulator, Point
        >>> with GlobiotsSimulator(time_scale=20).run() as sim, Client(sim.base_url) as client:
        ...     _ = client.subscribe([Point("0.0.0.1", "2006", DataType.UINT32)], update_time=1)
        ...     frame = live(client, seconds=0.5, every=0.1)  # doctest: +NORMALIZE_WHITESPACE
        time protocol point name value unit quality error
        ...+00:00 globiots 0.0.0.1/2006 None ... None None None
        >>> set(frame["point"])  # outside a notebook, the last table is printed at the end
        {'0.0.0.1/2006'}
    """
    if not isinstance(client, SyncClientBase):
        raise UsageError(f"live() takes a sync Client (for an AsyncClient: await alive(...)), got {client!r}")
    wait, period = _checked("live", seconds, every)
    table = _LiveTable()
    deadline = time.monotonic() + wait
    try:
        while (now := time.monotonic()) < deadline:
            ended = _take(client, table, min(deadline, now + period))
            table.show()
            if ended:
                break
    except KeyboardInterrupt:
        pass
    return table.finish()


async def alive(client: AsyncClientBase[Any, Any], seconds: float = 10.0, every: float = 1.0) -> Any:
    """[`live`][iotws.notebook.live] for an ``AsyncClient``: ``frame = await alive(client, seconds=10)``.

    The same table, drawn on the kernel's own loop. Interrupting the cell (the kernel cancels
    the cell's task) stops early and returns what was collected; outside a Jupyter kernel a
    cancellation goes on as usual (nothing is returned).

    Examples:
        >>> import asyncio
        >>> from iotws.globiots import AsyncClient, DataType, GlobiotsSimulator, Point
        >>> async def main(url):
        ...     async with AsyncClient(url) as client:
        ...         await client.subscribe([Point("0.0.0.1", "2006", DataType.UINT32)], update_time=1)
        ...         return await alive(client, seconds=0.5, every=0.1)
        >>> with GlobiotsSimulator(time_scale=20).run() as sim:
        ...     frame = asyncio.run(main(sim.base_url))  # doctest: +NORMALIZE_WHITESPACE
        time protocol point name value unit quality error
        ...+00:00 globiots 0.0.0.1/2006 None ... None None None
        >>> set(frame["point"])
        {'0.0.0.1/2006'}
    """
    if not isinstance(client, AsyncClientBase):
        raise UsageError(f"alive() takes an AsyncClient (for a sync Client: live(...)), got {client!r}")
    wait, period = _checked("alive", seconds, every)
    table = _LiveTable()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    try:
        while (now := loop.time()) < deadline:
            ended = False
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(min(deadline, now + period)):
                    async for event in client.events():
                        table.add(event)
                    ended = True  # the stream ended: the client is closed
            table.show()
            if ended:
                break
    except KeyboardInterrupt:
        pass
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if table.handle is None or task is None:
            raise
        task.uncancel()  # a kernel interrupt cancels the cell's task: stop here and return what came
    return table.finish()
