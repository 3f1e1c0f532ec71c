"""The client bases every protocol's ``Client`` and ``AsyncClient`` build on.

They own a driver, expose the shared lifecycle (``connect``/``close``, context
managers, ``events()``, ``on()``), and implement ``_execute`` for the command
surface written once in each protocol (its ``async_client.py``: methods that build a
[`Command`][iotws.commands.Command] and await ``self._execute(command)``).

Examples:
    >>> from iotws.sansio import ProtocolCore
    >>> client = SyncClientBase(ProtocolCore(), "ws://127.0.0.1:9/", reconnect=None)
    >>> client.connected
    False
"""

from __future__ import annotations

import inspect
import math
import queue
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar, Unpack

from iotws.commands import Command
from iotws.dispatch import EndOfStream
from iotws.errors import ConnectionClosed, UsageError
from iotws.logs import package_logger
from iotws.options import (
    AsyncConnectOptionsDict,
    ConnectOptions,
    ConnectOptionsDict,
    check_option_names,
    check_timeout,
)
from iotws.sansio import ProtocolCore
from iotws.sync_driver import SyncDriver

if TYPE_CHECKING:  # aiohttp loads with the first AsyncClient connection, not with this module
    import aiohttp

    from iotws.async_driver import AsyncDriver

__all__ = ["AsyncClientBase", "SyncClientBase"]

CoreT = TypeVar("CoreT", bound=ProtocolCore)
EventT = TypeVar("EventT")
"""The union of the events a client's ``events()`` yields (its protocol's ``Event``)."""
E = TypeVar("E")
T = TypeVar("T")


def _options(client: type[Any], url: str | ConnectOptions, options: dict[str, Any]) -> ConnectOptions:
    """Build and check the client's options: an unknown name or a wrong value is a ``UsageError``."""
    if isinstance(url, ConnectOptions):  # options built already (a second link of the same client)
        if options:
            raise UsageError(f"options given twice: a ConnectOptions and {', '.join(sorted(options))}")
        return url
    if not options.keys() <= _KNOWN:
        check_option_names(options, also=_own_keywords(client))
    return ConnectOptions(url, **options)


def _own_keywords(client: type[Any]) -> list[str]:
    """The keyword arguments a client's constructor takes besides the options (for suggestions)."""
    try:
        parameters = inspect.signature(client.__init__).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in parameters if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "self"]


_KNOWN = frozenset(attr.name for attr in ConnectOptions.__attrs_attrs__) - {"url"}
_INF = math.inf


def check_command(command: Command[Any]) -> None:
    """Refuse a command whose per-call ``timeout`` is not a finite number of seconds > 0.

    Every client runs this before a command is sent, so every protocol's per-call
    ``timeout=`` argument is covered (a negative one would otherwise wait forever on
    the sync client and expire at once on the async one).

    Examples:
        >>> from iotws.commands import Command
        >>> class Ask(Command[str]):
        ...     def encode(self, token):
        ...         return ["?"]
        >>> ask = Ask()
        >>> ask.timeout = -1
        >>> check_command(ask)
        Traceback (most recent call last):
        iotws.errors.UsageError: Ask: timeout must be positive (a finite number of seconds > 0), got -1
    """
    timeout = command.timeout
    if timeout is None or (timeout.__class__ is float and 0.0 < timeout < _INF):
        return
    check_timeout(timeout, f"{type(command).__name__}: timeout")


def _timeout(delay: float) -> AbstractAsyncContextManager[object]:
    import asyncio  # here, not at the top: a sync-only program never loads asyncio

    return asyncio.timeout(delay)


def _check_wait(value: object, name: str) -> float:
    """A wait of ``events()``: a finite number of seconds >= 0 (0 = only what is already there)."""
    if value == 0 and not isinstance(value, bool) and isinstance(value, (int, float)):
        return 0.0
    checked = check_timeout(value, name, optional=False)
    assert checked is not None
    return checked


def _check_event_type(event_type: object) -> None:
    if not isinstance(event_type, type):
        raise UsageError(f"next_event: event_type must be an event class, not {type(event_type).__name__}")


class SyncClientBase(Generic[CoreT, EventT]):
    """Shared lifecycle of the synchronous clients.

    ``options`` are the keyword arguments of [`ConnectOptionsDict`][iotws.options.ConnectOptionsDict]
    (``headers``, ``auth``, ``ca_file``, ``request_timeout``, ``reconnect``...); ``url``
    may instead be a [`ConnectOptions`][iotws.ConnectOptions] built already. ``EventT``
    is the union of the events ``events()`` yields.

    Examples:
        >>> from iotws.sansio import ProtocolCore
        >>> SyncClientBase(ProtocolCore(), "ws://127.0.0.1:9/").options.request_timeout
        10.0
    """

    logger_name = "iotws"
    """The logger name used by this client (the protocol package's name)."""

    def __init__(self, core: CoreT, url: str | ConnectOptions, **options: Unpack[ConnectOptionsDict]) -> None:
        self.core = core
        self.options: ConnectOptions = _options(type(self), url, dict(options))
        self._driver = SyncDriver(core, self.options, package_logger(self.logger_name))

    def __repr__(self) -> str:
        state = "connected" if self.connected else "not connected"
        return f"<{type(self).__name__} {self.options.safe_url} {state}>"

    @property
    def connected(self) -> bool:
        """Whether the link is up right now."""
        return self._driver.connected

    @property
    def dropped_events(self) -> int:
        """How many events were dropped because the event queue was full."""
        return self._driver.dispatcher.dropped_events

    def connect(self) -> Self:
        """Connect (and finish the protocol's opening exchange); returns ``self``."""
        self._driver.connect()
        return self

    def close(self) -> None:
        """Close the connection and stop reconnecting; pending commands fail."""
        self._driver.close()

    def __enter__(self) -> Self:
        """``with Client(...) as client:`` connects, and closes at the end of the block."""
        return self.connect()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Close the client (see [`close`][iotws.client.SyncClientBase.close])."""
        self.close()

    def on(self, event_type: type[E], callback: Callable[[E], object]) -> None:
        """Call ``callback(event)`` from the reader thread for each event of ``event_type``.

        ``event_type`` is one of the protocol's events (any class of its ``Event``
        union, or a base class of some of them). The callbacks run before the event is
        queued for [`events`][iotws.client.SyncClientBase.events]; keep them short.

        Examples:
            >>> from iotws import Connected
            >>> from iotws.globiots import Client, GlobiotsSimulator
            >>> seen = []
            >>> with GlobiotsSimulator().run() as sim:
            ...     client = Client(sim.base_url)
            ...     client.on(Connected, seen.append)
            ...     with client:
            ...         pass
            >>> [type(event).__name__ for event in seen]
            ['Connected']
        """
        self._driver.dispatcher.on(event_type, callback)

    def off(self, event_type: type[E], callback: Callable[[E], object]) -> None:
        """Remove a callback added with [`on`][iotws.client.SyncClientBase.on]."""
        self._driver.dispatcher.off(event_type, callback)

    def events(self, timeout: float | None = None) -> Iterator[EventT]:
        """Yield events as they arrive: the protocol's ``Event`` union (``EventT``).

        Ends when the client is closed, or when ``timeout`` seconds pass without an
        event; raises [`ConnectionClosed`][iotws.ConnectionClosed] when the link is lost
        for good. ``timeout=0`` takes only the events already waiting. Each protocol's
        union (such as [`iotws.globiots.Event`][]) holds its own events and the shared
        [link events][iotws.events.LinkEvent].

        Examples:
            >>> from iotws.globiots import Client, DataType, GlobiotsSimulator, Point
            >>> with GlobiotsSimulator().run() as sim, Client(sim.base_url) as client:
            ...     _ = client.subscribe([Point("0.0.0.1", "2000", DataType.FLOAT)])
            ...     [type(event).__name__ for event in client.events(timeout=0)]
            ['Connected', 'RealtimeUpdate']
        """
        if timeout is not None:
            timeout = _check_wait(timeout, "events: timeout")
        return self._events(timeout)

    def _events(self, timeout: float | None) -> Iterator[EventT]:
        while True:
            try:
                item = self._driver.events.get(timeout=timeout)
            except queue.Empty:
                return
            if isinstance(item, EndOfStream):
                self._driver.events.put_nowait(item)  # keep the stream ended for later readers
                if item.error is not None:
                    raise item.error
                return
            yield item  # type: ignore[misc]  # the queue holds the core's events: the protocol's Event union

    def next_event(self, event_type: type[E], timeout: float | None = None) -> E:
        """Wait for the next event of ``event_type``, skipping others; ``RequestTimeout`` if none.

        Events skipped on the way are consumed. ``timeout`` defaults to the client's
        ``request_timeout``.

        Examples:
            >>> from iotws import Reconnected
            >>> from iotws.globiots import Client, DataType, GlobiotsSimulator, Point, RealtimeUpdate
            >>> with GlobiotsSimulator(time_scale=20).run() as sim, Client(sim.base_url) as client:
            ...     _ = client.subscribe([Point("0.0.0.1", "2000", DataType.FLOAT)], update_time=1)
            ...     update = client.next_event(RealtimeUpdate, timeout=5)
            ...     client.next_event(Reconnected, timeout=0.1)
            Traceback (most recent call last):
            iotws.errors.RequestTimeout: no Reconnected event within 0.1 s
            >>> update.values[0].address
            '2000'
        """
        from iotws.errors import RequestTimeout

        _check_event_type(event_type)
        wait = check_timeout(timeout, "next_event: timeout") or self.options.request_timeout
        deadline = time.monotonic() + wait
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RequestTimeout(f"no {event_type.__name__} event within {wait:g} s")
            for event in self._events(remaining):
                if isinstance(event, event_type):
                    return event
                break
            else:
                if not self.connected and self._driver._closing.is_set():
                    raise ConnectionClosed("client is closed")

    def _execute(self, command: Command[T]) -> T:
        """Send ``command`` and return its result (the one way every method talks to the server)."""
        check_command(command)
        result: T = self._driver.execute(command)
        return result


class AsyncClientBase(Generic[CoreT, EventT]):
    """Shared lifecycle of the asyncio clients; the same methods as [`SyncClientBase`][iotws.client.SyncClientBase].

    Examples:
        >>> from iotws.sansio import ProtocolCore
        >>> AsyncClientBase(ProtocolCore(), "ws://127.0.0.1:9/").connected
        False
    """

    logger_name = "iotws"

    def __init__(self, core: CoreT, url: str | ConnectOptions, **options: Unpack[AsyncConnectOptionsDict]) -> None:
        self.core = core
        self._session: aiohttp.ClientSession | None = options.pop("session", None)
        self.options: ConnectOptions = _options(type(self), url, dict(options))
        self._driver_obj: AsyncDriver | None = None

    @property
    def _driver(self) -> AsyncDriver:
        # the driver owns asyncio objects, so it is made inside the running loop
        if self._driver_obj is None:
            from iotws.async_driver import AsyncDriver

            self._driver_obj = AsyncDriver(
                self.core, self.options, package_logger(self.logger_name), session=self._session
            )
        return self._driver_obj

    def __repr__(self) -> str:
        state = "connected" if self.connected else "not connected"
        return f"<{type(self).__name__} {self.options.safe_url} {state}>"

    @property
    def connected(self) -> bool:
        """Whether the link is up right now."""
        return self._driver_obj is not None and self._driver_obj.connected

    @property
    def dropped_events(self) -> int:
        """How many events were dropped because the event queue was full."""
        return 0 if self._driver_obj is None else self._driver_obj.dispatcher.dropped_events

    async def connect(self) -> Self:
        """Connect (and finish the protocol's opening exchange); returns ``self``."""
        await self._driver.connect()
        return self

    async def close(self) -> None:
        """Close the connection and stop reconnecting; pending commands fail."""
        if self._driver_obj is not None:
            await self._driver_obj.close()

    async def __aenter__(self) -> Self:
        """``async with AsyncClient(...) as client:`` connects, and closes at the end of the block."""
        return await self.connect()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Close the client (see [`close`][iotws.client.AsyncClientBase.close])."""
        await self.close()

    def on(self, event_type: type[E], callback: Callable[[E], object]) -> None:
        """Call ``callback(event)`` for each event of ``event_type``; coroutines are scheduled.

        ``event_type`` is one of the protocol's events (any class of its ``Event``
        union, or a base class of some of them). A plain function runs in the event
        loop, in the callback that read the frame: keep it short (a coroutine function
        runs as a task of its own).

        Examples:
            >>> import asyncio
            >>> from iotws import Connected
            >>> from iotws.globiots import AsyncClient, GlobiotsSimulator
            >>> async def main(url):
            ...     seen = []
            ...     client = AsyncClient(url)
            ...     client.on(Connected, seen.append)
            ...     async with client:
            ...         pass
            ...     return [type(event).__name__ for event in seen]
            >>> with GlobiotsSimulator().run() as sim:
            ...     asyncio.run(main(sim.base_url))
            ['Connected']
        """
        self._driver.dispatcher.on(event_type, callback)

    def off(self, event_type: type[E], callback: Callable[[E], object]) -> None:
        """Remove a callback added with [`on`][iotws.client.AsyncClientBase.on]."""
        self._driver.dispatcher.off(event_type, callback)

    def events(self, timeout: float | None = None) -> AsyncIterator[EventT]:
        """Yield events as they arrive: the protocol's ``Event`` union (``EventT``).

        Ends when the client is closed, or when ``timeout`` seconds pass without an
        event; raises [`ConnectionClosed`][iotws.ConnectionClosed] when the link is lost
        for good. ``timeout=0`` takes only the events already waiting. Each protocol's
        union (such as [`iotws.globiots.Event`][]) holds its own events and the shared
        [link events][iotws.events.LinkEvent].

        Examples:
            >>> import asyncio
            >>> from iotws.globiots import AsyncClient, DataType, GlobiotsSimulator, Point
            >>> async def main(url):
            ...     async with AsyncClient(url) as client:
            ...         await client.subscribe([Point("0.0.0.1", "2000", DataType.FLOAT)])
            ...         return [type(event).__name__ async for event in client.events(timeout=0)]
            >>> with GlobiotsSimulator().run() as sim:
            ...     asyncio.run(main(sim.base_url))
            ['Connected', 'RealtimeUpdate']
        """
        if timeout is not None:
            timeout = _check_wait(timeout, "events: timeout")
        return self._events(timeout)

    async def _events(self, timeout: float | None) -> AsyncIterator[EventT]:
        events = self._driver.events
        while True:
            if not events.empty():  # what is queued first, with no timer and no task
                item = events.get_nowait()
            elif timeout is None:
                item = await events.get()
            elif timeout == 0:
                return
            else:
                try:
                    async with _timeout(timeout):
                        item = await events.get()
                except TimeoutError:
                    return
            if isinstance(item, EndOfStream):
                events.put_nowait(item)
                if item.error is not None:
                    raise item.error
                return
            yield item  # the queue holds the core's events: the protocol's Event union

    async def next_event(self, event_type: type[E], timeout: float | None = None) -> E:
        """Wait for the next event of ``event_type``, skipping others; ``RequestTimeout`` if none.

        Events skipped on the way are consumed. ``timeout`` defaults to the client's
        ``request_timeout``.

        Examples:
            >>> import asyncio
            >>> from iotws.globiots import AsyncClient, DataType, GlobiotsSimulator, Point, RealtimeUpdate
            >>> async def main(url):
            ...     async with AsyncClient(url) as client:
            ...         await client.subscribe([Point("0.0.0.1", "2000", DataType.FLOAT)], update_time=1)
            ...         update = await client.next_event(RealtimeUpdate, timeout=5)
            ...     return update.values[0].address
            >>> with GlobiotsSimulator(time_scale=20).run() as sim:
            ...     asyncio.run(main(sim.base_url))
            '2000'
        """
        from iotws.errors import RequestTimeout

        _check_event_type(event_type)
        wait = check_timeout(timeout, "next_event: timeout") or self.options.request_timeout
        try:
            async with _timeout(wait):
                async for event in self.events():
                    if isinstance(event, event_type):
                        return event
        except TimeoutError:
            raise RequestTimeout(f"no {event_type.__name__} event within {wait:g} s") from None
        raise ConnectionClosed("client is closed")

    def _execute(self, command: Command[T]) -> Awaitable[T]:
        """Send ``command``; awaiting the result gives its result (see ``SyncClientBase._execute``)."""
        check_command(command)  # now, so a bad command fails at the call, before any await
        result: Awaitable[T] = self._driver.execute(command)
        return result
