"""Many OISP devices in one asyncio process: a gateway holding hundreds of device connections.

Every device is an [`AsyncClient`][iotws.oisp.AsyncClient] sharing one ``aiohttp.ClientSession``;
their events flow into ONE bounded queue (no per-device queue or task), tagged with the
device id, so the memory cost per connection stays small (row 13 of ``nox -s bench``).

The gateway is asyncio only: its point is many connections in one event loop (a
thread per device, as the sync client has, would cost far more per connection).

Examples:
    >>> import asyncio
    >>> from iotws.oisp import OispSimulator
    >>> async def main():
    ...     async with OispSimulator(blind_window=0) as sim:
    ...         devices = [(f"dev-{i}", sim.issue_token(f"dev-{i}", "acc")) for i in range(3)]
    ...         async with Gateway(sim.url(), grace=0.2) as gw:
    ...             failures = await gw.add_many(devices)
    ...             await sim.actuate("acc", "dev-2", "LED.v1.0", {"LED": "1"})
    ...             async for act in gw.actuations(timeout=5):
    ...                 return len(gw), failures, act.device_id
    >>> asyncio.run(main())
    (3, {}, 'dev-2')
"""

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from types import TracebackType
from typing import Any, Self, Unpack

import aiohttp
import attrs

from iotws.dispatch import EndOfStream
from iotws.errors import UsageError
from iotws.logs import package_logger
from iotws.oisp.async_client import AsyncClient
from iotws.oisp.models import Actuation
from iotws.oisp.protocol import DeviceOptionsDict, Event
from iotws.options import check_timeout

__all__ = ["DeviceEvent", "Gateway"]

log: logging.Logger = package_logger("iotws.oisp")


@attrs.frozen(slots=True)
class DeviceEvent:
    """An event of one gateway device: ``device_id`` and the [`Event`][iotws.oisp.Event].

    Examples:
        >>> from iotws.events import Connected
        >>> DeviceEvent("dev-1", Connected("ws://127.0.0.1:9/"))
        DeviceEvent(device_id='dev-1', event=Connected(url='ws://127.0.0.1:9/'))
    """

    device_id: str
    event: Event


class _Sink:
    """Stands in for a device's event queue: forwards into the gateway's shared queue.

    While the device is being added its events are held back: they reach the gateway
    only if the device joins (``release``); a device that fails to join leaves no
    event behind (``mute``). A device the gateway removes or closes is muted first,
    so its closing events do not flood the stream.
    """

    __slots__ = ("device_id", "gateway", "held", "muted")

    def __init__(self, gateway: "Gateway", device_id: str) -> None:
        self.gateway = gateway
        self.device_id = device_id
        self.held: list[DeviceEvent] | None = []
        self.muted = False

    def put_nowait(self, item: Any) -> None:
        if self.muted or isinstance(item, EndOfStream):  # the Stopped event before it says why
            return
        event = DeviceEvent(self.device_id, item)
        if self.held is not None:
            self.held.append(event)
        else:
            self.gateway._put(event)

    def get_nowait(self) -> Any:
        raise asyncio.QueueEmpty

    def release(self) -> None:
        """The device joined: pass on what it said while joining, then everything live."""
        held, self.held = self.held, None
        for event in held or ():
            self.gateway._put(event)

    def mute(self) -> None:
        """Forward nothing from now on."""
        self.muted = True
        self.held = None


class Gateway:
    """Run many OISP devices from async code with a bounded memory cost per connection.

    * ``url``: the server; ``options`` apply to every device
      ([`DeviceOptionsDict`][iotws.oisp.DeviceOptionsDict]: ``grace``, ``reconnect``,
      ``request_timeout``... as for [`AsyncClient`][iotws.oisp.AsyncClient]).
    * ``session``: an aiohttp session to use (default: one is made and closed by the gateway).
    * ``queue_size``: events kept for a slow consumer (then the oldest are dropped and counted
      in [`dropped_events`][iotws.oisp.Gateway.dropped_events]).
    * ``connect_concurrency``: how many devices [`add_many`][iotws.oisp.Gateway.add_many] registers at a time.

    Device events are read through the gateway ([`events`][iotws.oisp.Gateway.events],
    [`actuations`][iotws.oisp.Gateway.actuations], [`on_actuation`][iotws.oisp.Gateway.on_actuation]), not through
    each device's own ``events()``. Only devices the gateway holds appear there: a device that fails to join leaves
    no event behind (its error is what [`add`][iotws.oisp.Gateway.add] raises or
    [`add_many`][iotws.oisp.Gateway.add_many] returns), and a device removed or closed by the gateway goes quietly.
    A device that stops on its own (e.g. superseded by another connection) ends with ``DeviceEvent(id,
    Stopped(...))``.

    Examples:
        >>> gw = Gateway("ws://127.0.0.1:9/", grace=0.5, request_timeout=5.0)
        >>> gw, gw.options, "dev-1" in gw
        (<Gateway ws://127.0.0.1:9/ devices=0>, {'grace': 0.5, 'request_timeout': 5.0}, False)
    """

    def __init__(
        self,
        url: str,
        *,
        session: aiohttp.ClientSession | None = None,
        queue_size: int = 10_000,
        connect_concurrency: int = 256,
        **options: Unpack[DeviceOptionsDict],
    ) -> None:
        for name, count in (("queue_size", queue_size), ("connect_concurrency", connect_concurrency)):
            if isinstance(count, bool) or not isinstance(count, int) or count <= 0:
                raise UsageError(f"{name} must be an int > 0, not {count!r}")
        AsyncClient(url, "any-device", "any-token", **options)  # a bad URL or option fails now, not at the first add()
        self.url: str = url
        """The server's URL."""
        self.options: DeviceOptionsDict = options
        """The options every device gets (those given to [`add`][iotws.oisp.Gateway.add] win)."""
        self.connect_concurrency: int = connect_concurrency
        """How many devices [`add_many`][iotws.oisp.Gateway.add_many] registers at a time."""
        self.queue_size: int = queue_size
        """Events kept for a slow consumer."""
        self.dropped_events: int = 0
        """Events dropped because the shared queue was full."""
        self._session = session
        self._own_session = session is None
        self._devices: dict[str, AsyncClient] = {}
        self._sinks: dict[str, _Sink] = {}
        self._queue: asyncio.Queue[DeviceEvent | None] | None = None
        self._callbacks: list[Callable[[str, Actuation], object]] = []

    def __repr__(self) -> str:
        return f"<Gateway {self.url} devices={len(self._devices)}>"

    def __len__(self) -> int:
        return len(self._devices)

    def __contains__(self, device_id: object) -> bool:
        return device_id in self._devices

    def __getitem__(self, device_id: str) -> AsyncClient:
        return self._devices[device_id]

    @property
    def devices(self) -> list[str]:
        """The device ids held by the gateway.

        Examples:
            >>> Gateway("ws://127.0.0.1:9/").devices
            []
        """
        return list(self._devices)

    def _queue_obj(self) -> asyncio.Queue[DeviceEvent | None]:
        if self._queue is None:
            self._queue = asyncio.Queue(maxsize=self.queue_size)
        return self._queue

    def _put(self, event: DeviceEvent) -> None:
        if isinstance(event.event, Actuation):
            for callback in list(self._callbacks):
                try:
                    callback(event.device_id, event.event)
                except Exception:
                    log.exception("gateway callback failed")
        queue = self._queue_obj()
        while True:
            try:
                queue.put_nowait(event)
                return
            except asyncio.QueueFull:
                try:
                    queue.get_nowait()
                except asyncio.QueueEmpty:
                    continue
                self.dropped_events += 1
                if self.dropped_events & (self.dropped_events - 1) == 0:
                    log.warning("gateway event queue full: %d events dropped so far", self.dropped_events)

    # -- lifecycle ------------------------------------------------------------------------------
    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            import aiohttp

            connector = aiohttp.TCPConnector(limit=0)  # websockets hold their connection for good
            self._session = aiohttp.ClientSession(connector=connector)
            self._own_session = True
        return self._session

    async def add(self, device_id: str, token: str, **options: Unpack[DeviceOptionsDict]) -> AsyncClient:
        """Connect and register one device; returns its client. Raises like ``AsyncClient.connect()``.

        ``options`` ([`DeviceOptionsDict`][iotws.oisp.DeviceOptionsDict]) replace the
        gateway's own for this device. Read its events through the gateway.

        Examples:
            >>> import asyncio
            >>> from iotws.oisp import OispSimulator
            >>> async def main():
            ...     async with OispSimulator() as sim, Gateway(sim.url(), grace=0.2) as gw:
            ...         dev = await gw.add("dev-1", sim.issue_token("dev-1", "acc"), request_timeout=5.0)
            ...         return dev.device_id, dev.options.request_timeout, gw.devices
            >>> asyncio.run(main())
            ('dev-1', 5.0, ['dev-1'])
        """
        if device_id in self._devices:
            raise UsageError(f"device {device_id!r} is already in the gateway")
        merged: DeviceOptionsDict = {**self.options, **options}
        client = AsyncClient(self.url, device_id, token, session=self._get_session(), **merged)
        sink = _Sink(self, device_id)
        client._driver.dispatcher.queue = sink
        self._queue_obj()
        self._devices[device_id] = client
        self._sinks[device_id] = sink
        try:
            await client.connect()
        except BaseException:
            sink.mute()
            if self._devices.get(device_id) is client:
                del self._devices[device_id]
                del self._sinks[device_id]
            await client.close()
            raise
        sink.release()
        return client

    async def add_many(self, devices: Iterable[tuple[str, str]]) -> dict[str, BaseException]:
        """Add ``(device_id, token)`` pairs concurrently; returns the failures by device id.

        At most ``connect_concurrency`` registrations are under way at a time.

        Examples:
            >>> import asyncio
            >>> from iotws.oisp import OispSimulator
            >>> async def main():
            ...     async with OispSimulator() as sim, Gateway(sim.url(), grace=0.2) as gw:
            ...         failures = await gw.add_many([("good", sim.issue_token("good", "acc")), ("bad", "eyJ.x.y")])
            ...         return gw.devices, {device: type(error).__name__ for device, error in failures.items()}
            >>> asyncio.run(main())
            (['good'], {'bad': 'InvalidTokenError'})
        """
        limit = asyncio.Semaphore(self.connect_concurrency)
        failures: dict[str, BaseException] = {}

        async def one(device_id: str, token: str) -> None:
            async with limit:
                try:
                    await self.add(device_id, token)
                except Exception as exc:
                    failures[device_id] = exc

        await asyncio.gather(*(one(d, t) for d, t in devices))
        return failures

    async def remove(self, device_id: str) -> None:
        """Close one device and forget it (quietly: its closing events are not queued).

        Examples:
            >>> import asyncio
            >>> asyncio.run(Gateway("ws://127.0.0.1:9/").remove("unknown"))
        """
        client = self._devices.pop(device_id, None)
        sink = self._sinks.pop(device_id, None)
        if sink is not None:
            sink.mute()
        if client is not None:
            await client.close()

    async def close(self) -> None:
        """Close every device (and the session the gateway made); ends the event streams.

        Examples:
            >>> import asyncio
            >>> asyncio.run(Gateway("ws://127.0.0.1:9/").close())
        """
        clients, self._devices = list(self._devices.values()), {}
        sinks, self._sinks = list(self._sinks.values()), {}
        for sink in sinks:
            sink.mute()
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None
        if self._queue is not None:
            if self._queue.full():
                self._queue.get_nowait()
                self.dropped_events += 1
            self._queue.put_nowait(None)

    # -- consuming ------------------------------------------------------------------------------
    def on_actuation(self, callback: Callable[[str, Actuation], object]) -> None:
        """Call ``callback(device_id, actuation)`` for every actuation of every device.

        It runs in the event loop as the actuation arrives, so it should be quick.

        Examples:
            >>> Gateway("ws://127.0.0.1:9/").on_actuation(lambda device_id, act: print(device_id, act.command))
        """
        self._callbacks.append(callback)

    def events(self, timeout: float | None = None) -> AsyncIterator[DeviceEvent]:
        """Yield every device's events as [`DeviceEvent`][iotws.oisp.DeviceEvent]; ends after ``timeout`` s of
        silence or on close.

        ``timeout=0`` takes only the events already waiting.

        Examples:
            >>> import asyncio
            >>> async def main():
            ...     gw = Gateway("ws://127.0.0.1:9/")
            ...     await gw.close()
            ...     return [event async for event in gw.events(timeout=1)]
            >>> asyncio.run(main())
            []
        """
        if timeout is not None and timeout != 0:
            timeout = check_timeout(timeout, "events: timeout")
        return self._events(timeout)

    async def _events(self, timeout: float | None) -> AsyncIterator[DeviceEvent]:
        queue = self._queue_obj()
        while True:
            try:
                if timeout is None:
                    item = await queue.get()
                elif timeout == 0:  # only the events already waiting
                    item = queue.get_nowait()
                else:
                    item = await asyncio.wait_for(queue.get(), timeout)
            except (TimeoutError, asyncio.QueueEmpty):
                return
            if item is None:
                queue.put_nowait(None)
                return
            yield item

    def actuations(self, timeout: float | None = None) -> AsyncIterator[Actuation]:
        """Yield every device's actuations (other events are skipped); ends like [`events`][iotws.oisp.Gateway.events].

        ``act.device_id`` says which device it is for.

        Examples:
            >>> import asyncio
            >>> from iotws.oisp import OispSimulator
            >>> async def main():
            ...     async with OispSimulator(blind_window=0) as sim, Gateway(sim.url(), grace=0.2) as gw:
            ...         await gw.add("dev-1", sim.issue_token("dev-1", "acc"))
            ...         await sim.actuate("acc", "dev-1", "LED.v1.0", {"LED": "1"})
            ...         async for act in gw.actuations(timeout=5):
            ...             return act.device_id, act.params_dict()
            >>> asyncio.run(main())
            ('dev-1', {'LED': '1'})
        """
        return self._actuations(self.events(timeout))

    async def _actuations(self, events: AsyncIterator[DeviceEvent]) -> AsyncIterator[Actuation]:
        async for item in events:
            if isinstance(item.event, Actuation):
                yield item.event
