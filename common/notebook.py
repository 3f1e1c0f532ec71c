"""Values into tables: a client's events as rows, or as a pandas ``DataFrame``, for notebooks.

[`rows`][iotws.notebook.rows] turns the events of any iotws client into one plain ``dict`` per value, with the
same keys whatever the protocol ([`COLUMNS`][iotws.notebook.COLUMNS], the keys of the command line's ``value``
records). [`to_dataframe`][iotws.notebook.to_dataframe] makes a ``pandas.DataFrame`` of them, and
[`record`][iotws.notebook.record]
(sync) / [`arecord`][iotws.notebook.arecord] (asyncio) collect a client's stream for some seconds into one.

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
import datetime as dt
import importlib
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, Final

from iotws.client import AsyncClientBase, SyncClientBase
from iotws.errors import UsageError

__all__ = ["COLUMNS", "arecord", "record", "rows", "to_dataframe"]

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


def _seconds(seconds: float) -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 < seconds < float("inf"):
        raise UsageError(f"record: seconds must be a finite number > 0, got {seconds!r}")
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
