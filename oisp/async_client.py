"""The asyncio client for one OISP device (aiohttp).

This module is the source of both clients: ``scripts/unasync.py`` writes
``client.py`` from it.

A client registers its device on every (re)connection, treats silence for ``grace``
seconds as success (or a legacy 200), raises [`InvalidTokenError`][iotws.oisp.InvalidTokenError]
(an ``AuthenticationError``) for a rejected token without retrying, and reconnects with
jittered backoff (2.5 s doubling to 600 s) after a dropped link, registering again. A
close with code 1000 (another connection registered the same device) stops the client
for good with [`SupersededError`][iotws.oisp.SupersededError] unless
``reconnect_on_superseded=True``. Actuations arrive as [`Actuation`][iotws.oisp.Actuation]
events ([`AsyncClient.actuations`][iotws.oisp.AsyncClient.actuations],
[`AsyncClient.on_actuation`][iotws.oisp.AsyncClient.on_actuation], or ``events()``
with every other [`Event`][iotws.oisp.Event]).

Examples:
    >>> import asyncio
    >>> from iotws.oisp import OispSimulator
    >>> async def main(sim):
    ...     token = sim.issue_token("dev-1", "acc-1")
    ...     async with AsyncClient(sim.url(), "dev-1", token, grace=0.2) as dev:
    ...         sent = sim.actuate_sync("acc-1", "dev-1", "LED.v1.0", {"LED": "1"})
    ...         async for act in dev.actuations(timeout=5):
    ...             return act.command, act.params_dict()
    >>> with OispSimulator(blind_window=0).run() as sim:  # no 3 s blind window
    ...     asyncio.run(main(sim))
    ('LED.v1.0', {'LED': '1'})
"""

# unasync: ("^from collections.abc import AsyncIterator, Callable$", "from collections.abc import Callable, Iterator")
# unasync: ("runs in the event loop as", "runs in the reader thread as")
# unasync: ("; a coroutine it returns is scheduled\\.", ".")
from collections.abc import AsyncIterator, Callable
from typing import Self, Unpack

from iotws.client import AsyncClientBase
from iotws.commands import checked
from iotws.errors import IotwsError, RequestTimeout
from iotws.logs import package_logger
from iotws.oisp._periodic import AsyncPeriodic
from iotws.oisp.models import Actuation, InvalidTokenError, Pong
from iotws.oisp.protocol import (
    DEFAULT_GRACE,
    Event,
    OispCore,
    PingCommand,
    TokenRefresh,
    apply_device_defaults,
    check_app_ping_interval,
    install_log_redaction,
)
from iotws.options import AsyncConnectOptionsDict

__all__ = ["AsyncClient"]


class AsyncClient(AsyncClientBase[OispCore, Event]):
    """One OISP device for asyncio code: registers, then receives actuations.

    * ``url``, ``device_id``, ``token``: the server and the device's credentials (the
      token never shows in a repr or a log line).
    * ``grace``: seconds of silence after the registration that count as success
      (default 1.5); ``connect_timeout`` (default: grace + 10 s, at least 10 s) must be
      longer.
    * ``token_refresh(device_id) -> str | None``: gets one chance to supply a new token
      when the server rejects the current one.
    * ``dedup_window``: drop actuations identical to one received within this many
      seconds (real servers send one copy per earlier registration); default off.
    * ``app_ping_interval``: send the application ping every this many seconds and
      reconnect when no PONG came back within the interval (liveness through proxies);
      default off (transport-level WebSocket pings are always on).
    * ``reconnect_on_superseded``: the server closes a socket with code 1000 when another
      connection registers the same device; by default the client then stops for good
      (``Disconnected(will_reconnect=False)``, then ``Stopped`` with
      [`SupersededError`][iotws.oisp.SupersededError], and the stream ends). ``True`` reconnects
      as after any dropped link (two such clients take turns kicking each other out).
    * ``options``: the connection options ([`AsyncConnectOptionsDict`][iotws.options.AsyncConnectOptionsDict]:
      ``headers``, ``request_timeout``, ``ca_file``...). OISP's defaults:
      ``reconnect`` is [`default_reconnect_policy`][iotws.oisp.default_reconnect_policy] (2.5 s doubling
      to 600 s, jittered), ``subprotocols`` always include ``echo-protocol``.

    Examples:
        >>> dev = AsyncClient("ws://127.0.0.1:9/", "dev-1", "eyJ.secret.sig", grace=30)
        >>> dev
        <AsyncClient ws://127.0.0.1:9/ device_id='dev-1' not connected>
        >>> dev.options.connect_timeout, dev.options.subprotocols
        (40.0, ('echo-protocol',))
    """

    logger_name = "iotws.oisp"

    def __init__(
        self,
        url: str,
        device_id: str,
        token: str,
        *,
        grace: float = DEFAULT_GRACE,
        token_refresh: TokenRefresh | None = None,
        dedup_window: float | None = None,
        app_ping_interval: float | None = None,
        reconnect_on_superseded: bool = False,
        **options: Unpack[AsyncConnectOptionsDict],
    ) -> None:
        interval = check_app_ping_interval(app_ping_interval)
        core = OispCore(
            device_id,
            token,
            token_refresh=token_refresh,
            dedup_window=dedup_window,
            grace=grace,
            reconnect_on_superseded=reconnect_on_superseded,
        )
        apply_device_defaults(core, options)
        super().__init__(core, url, **options)
        install_log_redaction(package_logger(self.logger_name))
        self.app_ping_interval: float | None = interval
        """Seconds between application pings (``None``: off)."""
        self._pinger: AsyncPeriodic | None = None

    def __repr__(self) -> str:
        state = "connected" if self.connected else "not connected"
        return f"<{type(self).__name__} {self.options.safe_url} device_id={self.core.device_id!r} {state}>"

    @property
    def device_id(self) -> str:
        """The device id this client registers.

        Examples:
            >>> AsyncClient("ws://127.0.0.1:9/", "dev-1", "t").device_id
            'dev-1'
        """
        return self.core.device_id

    async def connect(self) -> Self:
        """Connect and register (after a refreshed token, one more attempt); returns the client.

        Raises [`InvalidTokenError`][iotws.oisp.InvalidTokenError] for a rejected token and
        [`WrongMessageFormat`][iotws.oisp.WrongMessageFormat] for a token the server cannot use.

        Examples:
            >>> import asyncio
            >>> from iotws.oisp import InvalidTokenError, OispSimulator
            >>> async def main(url):
            ...     dev = AsyncClient(url, "dev-1", "eyJ.not.valid", grace=0.2)
            ...     try:
            ...         await dev.connect()
            ...     except InvalidTokenError as exc:
            ...         return exc.status
            ...     finally:
            ...         await dev.close()
            >>> with OispSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            401
        """
        try:
            await super().connect()
        except InvalidTokenError as exc:
            if not exc.refreshed:
                raise
            await super().connect()
        if self.app_ping_interval is not None and self._pinger is None:
            self._pinger = AsyncPeriodic(self.app_ping_interval, self._app_ping, "iotws-oisp-app-ping")
            self._pinger.start()
        return self

    async def close(self) -> None:
        """Close the connection, stop reconnecting and stop the application pings.

        Examples:
            >>> import asyncio
            >>> asyncio.run(AsyncClient("ws://127.0.0.1:9/", "dev-1", "t").close())
        """
        pinger, self._pinger = self._pinger, None
        if pinger is not None:
            pinger.cancel()
        try:
            await super().close()
        finally:
            if pinger is not None:
                await pinger.wait()

    @checked
    async def ping(self, timeout: float | None = None) -> Pong:
        """Send the application ping ``{"type":"ping"}``; returns the 202 [`Pong`][iotws.oisp.Pong].

        Raises [`RequestTimeout`][iotws.RequestTimeout] when no PONG comes in ``timeout``
        seconds (default: the client's ``request_timeout``).

        Examples:
            >>> import asyncio
            >>> from iotws.oisp import OispSimulator
            >>> async def main(sim):
            ...     token = sim.issue_token("dev-1", "acc-1")
            ...     async with AsyncClient(sim.url(), "dev-1", token, grace=0.2) as dev:
            ...         return await dev.ping(timeout=5)
            >>> with OispSimulator().run() as sim:
            ...     asyncio.run(main(sim))
            Pong(content='PONG')
        """
        return await self._execute(PingCommand(timeout=timeout))

    def actuations(self, timeout: float | None = None) -> AsyncIterator[Actuation]:
        """Yield actuations as they arrive (other events are skipped).

        Ends after ``timeout`` seconds without any event, or when the client closes;
        raises like ``events()`` when the link is lost for good.

        Examples:
            >>> import asyncio
            >>> from iotws.oisp import OispSimulator
            >>> async def main(sim):
            ...     token = sim.issue_token("dev-1", "acc-1")
            ...     async with AsyncClient(sim.url(), "dev-1", token, grace=0.2) as dev:
            ...         sent = sim.actuate_sync("acc-1", "dev-1", "LED.v1.0", {"LED": "0"})
            ...         async for act in dev.actuations(timeout=5):
            ...             return act.param("LED")
            >>> with OispSimulator(blind_window=0).run() as sim:
            ...     asyncio.run(main(sim))
            '0'
        """
        return self._actuations(self.events(timeout))

    def on_actuation(self, callback: Callable[[Actuation], object]) -> None:
        """Call ``callback(actuation)`` for every actuation, as it arrives.

        The callback runs in the event loop as the actuation arrives, so it should be
        quick; a coroutine it returns is scheduled. The same as ``on(Actuation, callback)``.

        Examples:
            >>> import asyncio
            >>> from iotws.oisp import OispSimulator
            >>> async def main(sim):
            ...     seen = []
            ...     token = sim.issue_token("dev-1", "acc-1")
            ...     async with AsyncClient(sim.url(), "dev-1", token, grace=0.2) as dev:
            ...         dev.on_actuation(seen.append)
            ...         sent = sim.actuate_sync("acc-1", "dev-1", "LED.v1.0", {"LED": "1"})
            ...         await dev.next_event(Actuation, timeout=5)
            ...     return [act.command for act in seen]
            >>> with OispSimulator(blind_window=0).run() as sim:
            ...     asyncio.run(main(sim))
            ['LED.v1.0']
        """
        self.on(Actuation, callback)

    async def _actuations(self, events: AsyncIterator[Event]) -> AsyncIterator[Actuation]:
        async for event in events:
            if isinstance(event, Actuation):
                yield event

    async def _app_ping(self) -> None:
        """One application ping: a missing PONG drops the link (the reconnect policy applies)."""
        interval = self.app_ping_interval
        if interval is None or not self.connected:
            return
        try:
            await self.ping(timeout=interval)
        except RequestTimeout:
            self._driver.drop(f"no PONG within {interval:g} s")
        except IotwsError:
            return
