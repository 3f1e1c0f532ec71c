"""``Client`` and ``AsyncClient`` for the Globiots Data Engine: the same methods, both flavours.

A client takes the Data Engine's base URL (default :data:`DEFAULT_BASE_URL`) and talks to two
endpoints through the common drivers, one driver per endpoint:

* the realtime link (``<base>/realtime``, or ``<base>/mobile/realtime`` with ``mobile=True``)
  is the client's own connection: :meth:`~GlobiotsCommands.subscribe` sends the request, every
  push arrives as a :class:`~iotws.globiots.models.RealtimeUpdate` event, ``latest`` keeps the newest
  value per point, and the request is re-sent after each reconnect;
* the set-data link (``<base>/set-data``) is opened on the first
  :meth:`~GlobiotsCommands.set` and reused; it shares every connect option.

Connect options are those of :class:`iotws.options.ConnectOptions` (``ca_file`` for the
vendor's PEM certificate, ``connect_timeout``, ``request_timeout``, ``headers``,
``reconnect``...); ``query`` adds query parameters to both endpoint URLs.

Examples:
    >>> from iotws.globiots import DataType, GlobiotsSimulator
    >>> with GlobiotsSimulator(time_scale=20).run() as sim:
    ...     with Client(sim.base_url) as client:
    ...         client.set(Point("0.0.0.1", "3000", DataType.FLOAT), 3.3).code
    <ResponseCode.SUCCESS: '00'>
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlencode, urlsplit, urlunsplit

import attrs

from iotws.client import AsyncClientBase, SyncClientBase
from iotws.codec import Value
from iotws.commands import Command, command
from iotws.errors import UsageError, excerpt
from iotws.globiots.models import Point, PointValue, PointWrite, RealtimeRequest, SetRequest
from iotws.globiots.protocol import (
    DEFAULT_BASE_URL,
    MOBILE_REALTIME_PATH,
    REALTIME_PATH,
    SET_DATA_PATH,
    RealtimeCore,
    SetData,
    SetDataCommand,
    SetDataCore,
    SetOne,
    Subscribe,
)

if TYPE_CHECKING:
    import asyncio

__all__ = ["AsyncClient", "Client", "GlobiotsCommands", "endpoint_url"]

R = TypeVar("R")

_ENDPOINT_SUFFIXES = (MOBILE_REALTIME_PATH, REALTIME_PATH, SET_DATA_PATH)


def endpoint_url(base_url: str, path: str, query: Mapping[str, str] | None = None) -> str:
    """The URL of endpoint ``path`` under ``base_url``, with extra query parameters.

    A base URL that already names an endpoint (``.../realtime``) is reduced to its base.

    Examples:
        >>> endpoint_url("wss://dataengine.globiots.com:443/data-engine", "/set-data", {"site": "a"})
        'wss://dataengine.globiots.com:443/data-engine/set-data?site=a'
        >>> endpoint_url("ws://127.0.0.1:8080/data-engine/realtime", "/set-data")
        'ws://127.0.0.1:8080/data-engine/set-data'
    """
    if not isinstance(base_url, str):
        raise UsageError(f"base_url must be a string, got {type(base_url).__name__}")
    if not isinstance(path, str):
        raise UsageError(f"path must be a string such as '/set-data', got {excerpt(path)}")
    if query is not None and (
        not isinstance(query, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in query.items())
    ):
        raise UsageError(f"query must be a mapping of strings to strings, got {excerpt(query)}")
    parts = urlsplit(base_url)
    base = parts.path.rstrip("/")
    for suffix in _ENDPOINT_SUFFIXES:
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    params = [p for p in (parts.query, urlencode(dict(query)) if query else "") if p]
    return urlunsplit((parts.scheme, parts.netloc, base + path, "&".join(params), ""))


def _writes(writes: Mapping[Point, Value] | Iterable[tuple[Point, Value]]) -> list[PointWrite]:
    if isinstance(writes, Mapping):
        return [PointWrite.of(point, value) for point, value in writes.items()]
    if isinstance(writes, str | bytes) or not isinstance(writes, Iterable):
        raise UsageError(f"writes must be a mapping or an iterable of (point, value) pairs, got {excerpt(writes)}")
    found: list[PointWrite] = []
    for pair in writes:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise UsageError(f"writes must hold (point, value) pairs, got {excerpt(pair)}")
        found.append(PointWrite.of(*pair))
    return found


class GlobiotsCommands:
    """The command surface of both clients, written once.

    Each method builds one command: :class:`Client` returns its result,
    :class:`AsyncClient` an awaitable of it. Set-data commands travel on the
    set-data link (opened on first use), the rest on the realtime link.

    Examples:
        >>> "subscribe" in dir(GlobiotsCommands) and "set_many" in dir(GlobiotsCommands)
        True
    """

    @command
    def subscribe(
        self,
        points: Iterable[Point],
        *,
        update_time: int = 5,
        timezone: str = "",
        timeout: float | None = None,
    ) -> Subscribe:
        """Subscribe to ``points`` (one or many hostnames); returns the first push.

        Every later push arrives in ``events()`` as a :class:`~iotws.globiots.models.RealtimeUpdate`. Calling it
        again adds points to the subscription (``update_time``/``timezone`` of the last call
        win). The request is re-sent after every reconnect. While subscribed, a link that
        stays silent for :meth:`~iotws.globiots.protocol.RealtimeCore.idle_timeout` seconds
        (3 times ``update_time``, at least 5 s) is dropped and reconnected.

        Arguments are checked before anything changes: anything but ``Point`` objects in
        ``points``, a bad ``update_time``, ``timezone`` or ``timeout`` raises ``UsageError``
        and leaves the client as it was.

        Examples:
            >>> from iotws.globiots import DataType, GlobiotsSimulator
            >>> with GlobiotsSimulator(time_scale=20).run() as sim, Client(sim.base_url) as client:
            ...     update = client.subscribe([Point("0.0.0.1", "2000", DataType.FLOAT)], update_time=1)
            >>> [value.address for value in update.values]
            ['2000']
        """
        request = RealtimeRequest(points, update_time=update_time, timezone=timezone)
        return Subscribe(request, timeout)

    @command
    def set(self, point: Point, value: Value, *, check: bool = True, timeout: float | None = None) -> SetOne:
        """Set one value; returns its :class:`~iotws.globiots.models.SetResult`.

        ``value`` is checked against the point's type before anything is sent
        (``CodecError``). A failed code raises the matching ``SetDataError`` unless
        ``check=False``, which returns the result for inspection.

        Examples:
            >>> from iotws.globiots import DataType, GlobiotsSimulator
            >>> with GlobiotsSimulator(time_scale=20).run() as sim, Client(sim.base_url) as client:
            ...     result = client.set(Point("0.0.0.1", "3000", DataType.FLOAT), 3.3)
            >>> result.ok
            True
        """
        return SetOne(SetRequest([PointWrite.of(point, value)]), check=check, timeout=timeout)

    @command
    def set_many(
        self,
        writes: Mapping[Point, Value] | Iterable[tuple[Point, Value]],
        *,
        check: bool = True,
        timeout: float | None = None,
    ) -> SetData:
        """Set many values (any hostnames) in one request; returns the :class:`~iotws.globiots.models.SetResponse`.

        With ``check`` the first failed address raises its ``SetDataError`` (the whole
        answer is on ``error.response``); ``check=False`` returns it for inspection.

        Examples:
            >>> from iotws.globiots import DataType, GlobiotsSimulator
            >>> a, b = Point("0.0.0.1", "3000", DataType.FLOAT), Point("0.0.0.1", "3004", DataType.FLOAT)
            >>> with GlobiotsSimulator(time_scale=20).run() as sim, Client(sim.base_url) as client:
            ...     response = client.set_many({a: 1.5, b: 2.5})
            >>> response.ok, len(response.results)
            (True, 2)
        """
        return SetData(SetRequest(_writes(writes)), check=check, timeout=timeout)


class _SetDataLink(SyncClientBase[SetDataCore]):
    logger_name = "iotws.globiots"


class _AsyncSetDataLink(AsyncClientBase[SetDataCore]):
    logger_name = "iotws.globiots"


def _realtime_url(base_url: str, mobile: bool, query: Mapping[str, str] | None) -> str:
    return endpoint_url(base_url, MOBILE_REALTIME_PATH if mobile else REALTIME_PATH, query)


class Client(SyncClientBase[RealtimeCore], GlobiotsCommands):
    """The synchronous client (websocket-client and a reader thread per link; no asyncio).

    Examples:
        >>> client = Client("ws://127.0.0.1:9/data-engine", query={"site": "north"})
        >>> client.options.url
        'ws://127.0.0.1:9/data-engine/realtime?site=north'
    """

    logger_name = "iotws.globiots"

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        mobile: bool = False,
        query: Mapping[str, str] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(RealtimeCore(), _realtime_url(base_url, mobile, query), **options)
        self.base_url = base_url
        self._set_url = endpoint_url(base_url, SET_DATA_PATH, query)
        self._set_link: _SetDataLink | None = None
        self._set_lock = threading.Lock()

    @property
    def latest(self) -> dict[tuple[str, str], PointValue]:
        """The newest value of every point seen, by ``(hostname, ADDRESS)`` (a copy)."""
        return dict(self.core.latest)

    def value(self, hostname: str, address: str | int) -> PointValue | None:
        """The newest value of one point, if a push carried it (``UsageError`` for a malformed key)."""
        return self.core.value(hostname, address)

    def close(self) -> None:
        """Close both links."""
        try:
            super().close()
        finally:
            with self._set_lock:
                link, self._set_link = self._set_link, None
            if link is not None:
                link.close()

    def _execute(self, command: Command[R]) -> R:
        result: R
        if isinstance(command, SetDataCommand):
            result = self._set_data_link()._execute(command)
        elif isinstance(command, Subscribe):
            try:
                result = super()._execute(command)
            finally:
                self._driver.refresh_idle_timeout()  # the idle timeout follows the subscription
        else:
            result = super()._execute(command)
        return result


    def _set_data_link(self) -> _SetDataLink:
        """The open set-data link, opened (again) if needed."""
        with self._set_lock:
            link = self._set_link
            if link is None or not link.connected:
                if link is not None:
                    link.close()
                link = _SetDataLink(SetDataCore(), self._set_url, options=attrs.evolve(self.options, url=self._set_url))
                link.connect()
                self._set_link = link
        return link


class AsyncClient(AsyncClientBase[RealtimeCore], GlobiotsCommands):
    """The asyncio client (aiohttp); the same methods as :class:`Client`, awaited.

    Examples:
        >>> AsyncClient("ws://127.0.0.1:9/data-engine", mobile=True).options.url
        'ws://127.0.0.1:9/data-engine/mobile/realtime'
    """

    logger_name = "iotws.globiots"

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        mobile: bool = False,
        query: Mapping[str, str] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(RealtimeCore(), _realtime_url(base_url, mobile, query), **options)
        self.base_url = base_url
        self._set_url = endpoint_url(base_url, SET_DATA_PATH, query)
        self._set_link: _AsyncSetDataLink | None = None
        self._set_lock: asyncio.Lock | None = None

    @property
    def latest(self) -> dict[tuple[str, str], PointValue]:
        """The newest value of every point seen, by ``(hostname, ADDRESS)`` (a copy)."""
        return dict(self.core.latest)

    def value(self, hostname: str, address: str | int) -> PointValue | None:
        """The newest value of one point, if a push carried it (``UsageError`` for a malformed key)."""
        return self.core.value(hostname, address)

    async def close(self) -> None:
        """Close both links."""
        try:
            await super().close()
        finally:
            link, self._set_link = self._set_link, None
            if link is not None:
                await link.close()

    async def _execute(self, command: Command[R]) -> R:
        result: R
        if isinstance(command, SetDataCommand):
            link = await self._set_data_link()
            result = await link._execute(command)
        elif isinstance(command, Subscribe):
            try:
                result = await super()._execute(command)
            finally:
                self._driver.refresh_idle_timeout()  # the idle timeout follows the subscription
        else:
            result = await super()._execute(command)
        return result


    async def _set_data_link(self) -> _AsyncSetDataLink:
        """The open set-data link, opened (again) if needed."""
        if self._set_lock is None:
            import asyncio  # loaded by the async driver already; not at the top, for sync-only programs

            self._set_lock = asyncio.Lock()
        async with self._set_lock:
            link = self._set_link
            if link is None or not link.connected:
                if link is not None:
                    await link.close()
                link = _AsyncSetDataLink(
                    SetDataCore(), self._set_url, options=attrs.evolve(self.options, url=self._set_url)
                )
                await link.connect()
                self._set_link = link
        return link
