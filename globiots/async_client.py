"""The asyncio client for the Globiots Data Engine (aiohttp).

This module is the source of both clients: ``scripts/unasync.py`` writes
``client.py`` from it.

A client takes the Data Engine's base URL (default [`DEFAULT_BASE_URL`][iotws.globiots.DEFAULT_BASE_URL])
and talks to two endpoints, one connection each:

* the realtime link (``<base>/realtime``, or ``<base>/mobile/realtime`` with ``mobile=True``) is the client's own
  connection: [`AsyncClient.subscribe`][iotws.globiots.AsyncClient.subscribe] sends the request, every push arrives
  as a [`RealtimeUpdate`][iotws.globiots.RealtimeUpdate] event, ``latest`` keeps the newest value per point, and the
  request is re-sent after each reconnect;
* the set-data link (``<base>/set-data``) is opened on the first [`AsyncClient.set`][iotws.globiots.AsyncClient.set]
  and reused; it shares every connect option.

Examples:
    >>> import asyncio
    >>> from iotws.globiots import DataType, GlobiotsSimulator
    >>> async def main(url):
    ...     async with AsyncClient(url) as client:
    ...         result = await client.set(Point("0.0.0.1", "3000", DataType.FLOAT), 3.3)
    ...     return result.code
    >>> with GlobiotsSimulator(time_scale=20).run() as sim:
    ...     asyncio.run(main(sim.base_url))
    <ResponseCode.SUCCESS: '00'>
"""

# unasync: ("one asyncio task per link", "a reader thread per link")

import asyncio
from collections.abc import Iterable, Mapping
from typing import TypeVar, Unpack

import attrs

from iotws.client import AsyncClientBase
from iotws.codec import Value
from iotws.commands import checked
from iotws.globiots.models import (
    Point,
    PointValue,
    PointWrite,
    RealtimeRequest,
    RealtimeUpdate,
    SetRequest,
    SetResponse,
    SetResult,
)
from iotws.globiots.protocol import (
    DEFAULT_BASE_URL,
    SET_DATA_PATH,
    Event,
    RealtimeCore,
    SetData,
    SetDataCommand,
    SetDataCore,
    SetOne,
    Subscribe,
    endpoint_url,
    realtime_url,
    writes_of,
)
from iotws.options import AsyncConnectOptionsDict

__all__ = ["AsyncClient"]

R = TypeVar("R")


class _AsyncSetDataLink(AsyncClientBase[SetDataCore, Event]):
    """The set-data connection of a client (opened on its first ``set``)."""

    logger_name = "iotws.globiots"


class AsyncClient(AsyncClientBase[RealtimeCore, Event]):
    """The asyncio Globiots client: one asyncio task per link.

    ``base_url`` is the Data Engine's base URL; ``mobile=True`` uses the mobile
    realtime endpoint; ``query`` adds query parameters to both endpoint URLs;
    ``options`` are the connection options ([`ConnectOptionsDict`][iotws.options.ConnectOptionsDict]:
    ``ca_file`` for the vendor's PEM certificate, ``connect_timeout``,
    ``request_timeout``, ``headers``, ``reconnect``...), shared by both links.

    Examples:
        >>> AsyncClient("ws://127.0.0.1:9/data-engine", query={"site": "north"}).options.url
        'ws://127.0.0.1:9/data-engine/realtime?site=north'
    """

    logger_name = "iotws.globiots"

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        mobile: bool = False,
        query: Mapping[str, str] | None = None,
        **options: Unpack[AsyncConnectOptionsDict],
    ) -> None:
        super().__init__(RealtimeCore(), realtime_url(base_url, mobile, query), **options)
        self.base_url = base_url
        self._set_url = endpoint_url(base_url, SET_DATA_PATH, query)
        self._set_link: _AsyncSetDataLink | None = None
        self._set_lock = asyncio.Lock()

    @property
    def latest(self) -> dict[tuple[str, str], PointValue]:
        """The newest value of every point seen, by ``(hostname, ADDRESS)`` (a copy).

        Examples:
            >>> AsyncClient("ws://127.0.0.1:9/data-engine").latest
            {}
        """
        return dict(self.core.latest)

    def value(self, hostname: str, address: str | int) -> PointValue | None:
        """The newest value of one point, if a push carried it (``UsageError`` for a malformed key).

        Examples:
            >>> AsyncClient("ws://127.0.0.1:9/data-engine").value("0.0.0.1", 2000) is None
            True
        """
        return self.core.value(hostname, address)

    @checked
    async def subscribe(
        self,
        points: Iterable[Point],
        *,
        update_time: int = 5,
        timezone: str = "",
        timeout: float | None = None,
    ) -> RealtimeUpdate:
        """Subscribe to ``points`` (one or many hostnames); returns the first push.

        That push, and every later one, also arrives in ``events()`` as a
        [`RealtimeUpdate`][iotws.globiots.RealtimeUpdate]. Calling it again adds points
        to the subscription (``update_time``/``timezone`` of the last call win). The
        request is re-sent after every reconnect. While subscribed, a link that stays
        silent for [`idle_timeout`][iotws.globiots.protocol.RealtimeCore.idle_timeout] seconds
        (3 times ``update_time``, at least 5 s) is dropped and reconnected.

        Arguments are checked before anything changes: anything but ``Point`` objects in
        ``points``, a bad ``update_time``, ``timezone`` or ``timeout`` raises ``UsageError``
        and leaves the client as it was.

        Examples:
            >>> import asyncio
            >>> from iotws.globiots import DataType, GlobiotsSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as client:
            ...         update = await client.subscribe([Point("0.0.0.1", "2000", DataType.FLOAT)], update_time=1)
            ...     return [value.address for value in update.values]
            >>> with GlobiotsSimulator(time_scale=20).run() as sim:
            ...     asyncio.run(main(sim.base_url))
            ['2000']
        """
        request = RealtimeRequest(points, update_time=update_time, timezone=timezone)
        try:
            return await self._execute(Subscribe(request, timeout))
        finally:
            self._driver.refresh_idle_timeout()  # the idle timeout follows the subscription

    @checked
    async def set(self, point: Point, value: Value, *, check: bool = True, timeout: float | None = None) -> SetResult:
        """Set one value; returns its [`SetResult`][iotws.globiots.SetResult].

        ``value`` is checked against the point's type before anything is sent
        (``CodecError``). A failed code raises the matching ``SetDataError`` unless
        ``check=False``, which returns the result for inspection.

        Examples:
            >>> import asyncio
            >>> from iotws.globiots import DataType, GlobiotsSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as client:
            ...         return await client.set(Point("0.0.0.1", "3000", DataType.FLOAT), 3.3)
            >>> with GlobiotsSimulator(time_scale=20).run() as sim:
            ...     asyncio.run(main(sim.base_url)).ok
            True
        """
        return await self._set_data(SetOne(SetRequest([PointWrite.of(point, value)]), check=check, timeout=timeout))

    @checked
    async def set_many(
        self,
        writes: Mapping[Point, Value] | Iterable[tuple[Point, Value]],
        *,
        check: bool = True,
        timeout: float | None = None,
    ) -> SetResponse:
        """Set many values (any hostnames) in one request; returns the [`SetResponse`][iotws.globiots.SetResponse].

        With ``check`` the first failed address raises its ``SetDataError`` (the whole
        answer is on ``error.response``); ``check=False`` returns it for inspection.

        Examples:
            >>> import asyncio
            >>> from iotws.globiots import DataType, GlobiotsSimulator
            >>> a, b = Point("0.0.0.1", "3000", DataType.FLOAT), Point("0.0.0.1", "3004", DataType.FLOAT)
            >>> async def main(url):
            ...     async with AsyncClient(url) as client:
            ...         response = await client.set_many({a: 1.5, b: 2.5})
            ...     return response.ok, len(response.results)
            >>> with GlobiotsSimulator(time_scale=20).run() as sim:
            ...     asyncio.run(main(sim.base_url))
            (True, 2)
        """
        return await self._set_data(SetData(SetRequest(writes_of(writes)), check=check, timeout=timeout))

    async def close(self) -> None:
        """Close both links; pending commands fail.

        Examples:
            >>> import asyncio
            >>> asyncio.run(AsyncClient("ws://127.0.0.1:9/data-engine").close())
        """
        try:
            await super().close()
        finally:
            link, self._set_link = self._set_link, None
            if link is not None:
                await link.close()

    async def _set_data(self, command: SetDataCommand[R]) -> R:
        """Send ``command`` on the set-data link, opened (again) if needed."""
        async with self._set_lock:
            link = self._set_link
            if link is None or not link.connected:
                if link is not None:
                    await link.close()
                link = _AsyncSetDataLink(SetDataCore(), attrs.evolve(self.options, url=self._set_url))
                await link.connect()
                self._set_link = link
        return await link._execute(command)

