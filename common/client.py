"""The client bases every protocol's ``Client`` and ``AsyncClient`` build on.

They own a driver, expose the shared lifecycle (``connect``/``close``, context
managers, ``events()``, ``on()``), and implement ``_execute`` for the command
surface written once in each protocol (:class:`iotws.commands.Commands`).

Examples:
    >>> from iotws.sansio import ProtocolCore
    >>> client = SyncClientBase(ProtocolCore(), "ws://127.0.0.1:9/", reconnect=None)
    >>> client.connected
    False
"""

from __future__ import annotations

import queue
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from iotws.commands import AsyncSurface, Command, SyncSurface
from iotws.dispatch import EndOfStream
from iotws.errors import ConnectionClosed
from iotws.logs import package_logger
from iotws.options import ConnectOptions
from iotws.sansio import ProtocolCore
from iotws.sync_driver import SyncDriver

if TYPE_CHECKING:  # aiohttp loads with the first AsyncClient connection, not with this module
    import aiohttp

    from iotws.async_driver import AsyncDriver

__all__ = ["AsyncClientBase", "SyncClientBase"]

CoreT = TypeVar("CoreT", bound=ProtocolCore)
E = TypeVar("E")
T = TypeVar("T")


def _options(url: str, options: dict[str, Any]) -> ConnectOptions:
    given = options.pop("options", None)
    if isinstance(given, ConnectOptions):
        return given
    return ConnectOptions(url, **options)


async def _wait_for(awaitable: Awaitable[T], timeout: float) -> T:
    import asyncio  # here, not at the top: a sync-only program never loads asyncio

    return await asyncio.wait_for(awaitable, timeout)


def _timeout(delay: float) -> AbstractAsyncContextManager[object]:
    import asyncio

    return asyncio.timeout(delay)


class SyncClientBase(SyncSurface, Generic[CoreT]):
    """Shared lifecycle of the synchronous clients.

    ``options`` are the keyword arguments of :class:`~iotws.options.ConnectOptions`
    (``headers``, ``auth``, ``ca_file``, ``request_timeout``, ``reconnect``...).

    Examples:
        >>> from iotws.sansio import ProtocolCore
        >>> SyncClientBase(ProtocolCore(), "ws://127.0.0.1:9/").options.request_timeout
        10.0
    """

    #: The logger name used by this client (the protocol package's name).
    logger_name = "iotws"

    def __init__(self, core: CoreT, url: str, **options: Any) -> None:
        self.core = core
        self.options = _options(url, options)
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
        return self.connect()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def on(self, event_type: type[E], callback: Callable[[E], Any]) -> None:
        """Call ``callback(event)`` from the reader thread for each event of ``event_type``."""
        self._driver.dispatcher.on(event_type, callback)

    def off(self, event_type: type[E], callback: Callable[[E], Any]) -> None:
        """Remove a callback added with :meth:`on`."""
        self._driver.dispatcher.off(event_type, callback)

    def events(self, timeout: float | None = None) -> Iterator[object]:
        """Yield events as they arrive.

        Ends when the client is closed, or when ``timeout`` seconds pass without an
        event; raises :class:`~iotws.errors.ConnectionClosed` when the link is lost
        for good.
        """
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
            yield item

    def next_event(self, event_type: type[E], timeout: float | None = None) -> E:
        """Wait for the next event of ``event_type``, skipping others; ``RequestTimeout`` if none.

        Events skipped on the way are consumed.
        """
        from iotws.errors import RequestTimeout

        wait = timeout if timeout is not None else self.options.request_timeout
        deadline = time.monotonic() + wait
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RequestTimeout(f"no {event_type.__name__} event within {wait:g} s")
            for event in self.events(timeout=remaining):
                if isinstance(event, event_type):
                    return event
                break
            else:
                if not self.connected and self._driver._closing.is_set():
                    raise ConnectionClosed("client is closed")

    def _execute(self, command: Command[Any]) -> Any:
        return self._driver.execute(command)


class AsyncClientBase(AsyncSurface, Generic[CoreT]):
    """Shared lifecycle of the asyncio clients; the same methods as :class:`SyncClientBase`.

    Examples:
        >>> from iotws.sansio import ProtocolCore
        >>> AsyncClientBase(ProtocolCore(), "ws://127.0.0.1:9/").connected
        False
    """

    logger_name = "iotws"

    def __init__(self, core: CoreT, url: str, *, session: aiohttp.ClientSession | None = None, **options: Any) -> None:
        self.core = core
        self.options = _options(url, options)
        self._session = session
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
        return await self.connect()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def on(self, event_type: type[E], callback: Callable[[E], Any]) -> None:
        """Call ``callback(event)`` for each event of ``event_type``; coroutines are scheduled."""
        self._driver.dispatcher.on(event_type, callback)

    def off(self, event_type: type[E], callback: Callable[[E], Any]) -> None:
        """Remove a callback added with :meth:`on`."""
        self._driver.dispatcher.off(event_type, callback)

    async def events(self, timeout: float | None = None) -> AsyncIterator[object]:
        """Yield events as they arrive; ends on close or after ``timeout`` s of silence."""
        events = self._driver.events
        while True:
            try:
                if timeout is None:
                    item = await events.get()
                else:
                    item = await _wait_for(events.get(), timeout)
            except TimeoutError:
                return
            if isinstance(item, EndOfStream):
                events.put_nowait(item)
                if item.error is not None:
                    raise item.error
                return
            yield item

    async def next_event(self, event_type: type[E], timeout: float | None = None) -> E:
        """Wait for the next event of ``event_type``, skipping others; ``RequestTimeout`` if none."""
        from iotws.errors import RequestTimeout

        wait = timeout if timeout is not None else self.options.request_timeout
        try:
            async with _timeout(wait):
                async for event in self.events():
                    if isinstance(event, event_type):
                        return event
        except TimeoutError:
            raise RequestTimeout(f"no {event_type.__name__} event within {wait:g} s") from None
        raise ConnectionClosed("client is closed")

    async def _execute(self, command: Command[Any]) -> Any:
        return await self._driver.execute(command)
