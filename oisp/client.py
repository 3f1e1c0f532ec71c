"""``Client`` (sync) and ``AsyncClient`` (asyncio) for one OISP device.

Both register the device on every (re)connection, treat silence for ``grace`` seconds as
success (or a legacy 200), raise :class:`~iotws.oisp.models.InvalidTokenError` (an
``AuthenticationError``) for a rejected token without retrying, and reconnect with jittered
backoff (2.5 s doubling to 600 s) after a dropped link, registering again. A close with
code 1000 (another connection registered the same device) stops the client for good with
:class:`~iotws.oisp.models.SupersededError` unless ``reconnect_on_superseded=True``.

Example (sync)::

    from iotws.oisp import Client

    with Client("ws://127.0.0.1:5000/", "my-device", token) as dev:
        for act in dev.actuations():
            print(act.command, act.params_dict())

Example (async)::

    async with AsyncClient("ws://127.0.0.1:5000/", "my-device", token) as dev:
        async for act in dev.actuations():
            print(act.command, act.params_dict())
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any, Self

import attrs

from iotws.client import AsyncClientBase, SyncClientBase
from iotws.commands import command
from iotws.errors import IotwsError, RequestTimeout, UsageError
from iotws.logs import package_logger
from iotws.oisp.models import Actuation, InvalidTokenError
from iotws.oisp.protocol import (
    DEFAULT_GRACE,
    SUBPROTOCOL,
    OispCore,
    PingCommand,
    TokenRefresh,
    default_reconnect_policy,
    install_log_redaction,
)
from iotws.options import ConnectOptions

if TYPE_CHECKING:  # asyncio and aiohttp load with the first AsyncClient connection
    import asyncio

    import aiohttp

__all__ = ["AsyncClient", "Client", "OispCommands"]

log = package_logger("iotws.oisp")

_UNSET: Any = object()


class OispCommands:
    """The OISP command surface, written once for both clients.

    :class:`Client` returns each command's result, :class:`AsyncClient` an awaitable of it.

    Examples:
        >>> hasattr(OispCommands, "ping")
        True
    """

    @command
    def ping(self, timeout: float | None = None) -> PingCommand:
        """Send the application ping ``{"type":"ping"}``; returns the 202 :class:`~iotws.oisp.models.Pong`.

        Raises :class:`~iotws.errors.RequestTimeout` when no PONG comes in ``timeout``
        seconds (default: the client's ``request_timeout``).

        Examples:
            >>> from iotws.oisp import OispSimulator
            >>> with OispSimulator().run() as sim:
            ...     token = sim.issue_token("dev-1", "acc-1")
            ...     with Client(sim.url(), "dev-1", token, grace=0.2) as dev:
            ...         pong = dev.ping(timeout=5)
            >>> pong
            Pong(content='PONG')
        """
        return PingCommand(timeout=timeout)


def _check_interval(value: float | None) -> float | None:
    if value is not None and not value > 0:
        raise UsageError(f"app_ping_interval must be positive, got {value!r}")
    return value


def _prepare(core: OispCore, url: str, options: dict[str, Any]) -> ConnectOptions:
    """Build the connect options: echo-protocol, OISP reconnect policy, a budget above the grace."""
    given = options.pop("options", None)
    if given is not None and not isinstance(given, ConnectOptions):
        raise UsageError("options= must be a ConnectOptions")
    if given is not None:
        if options:
            raise UsageError("pass either options= or keyword options, not both")
        opts: ConnectOptions = given
    else:
        reconnect = options.pop("reconnect", _UNSET)
        if reconnect is _UNSET:
            reconnect = default_reconnect_policy()
        options.setdefault("subprotocols", (SUBPROTOCOL,))
        options.setdefault("connect_timeout", max(10.0, core.grace + 10.0))
        opts = ConnectOptions.build(url, reconnect=reconnect, **options)
    if opts.connect_timeout <= core.grace:
        raise UsageError(
            f"connect_timeout ({opts.connect_timeout:g} s) must be longer than the grace period ({core.grace:g} s)"
        )
    if SUBPROTOCOL not in opts.subprotocols:
        protocols: tuple[str, ...] = (*opts.subprotocols, SUBPROTOCOL)
        opts = attrs.evolve(opts, subprotocols=protocols)  # type: ignore[arg-type, unused-ignore]  # converter=tuple
    policy = opts.reconnect
    if policy is not None:
        user_retry = policy.retry_on
        opts = attrs.evolve(opts, reconnect=attrs.evolve(policy, retry_on=lambda e: core.should_retry(e, user_retry)))
    return opts


class Client(SyncClientBase[OispCore], OispCommands):
    """A synchronous OISP device: registers, then receives actuations.

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
      :class:`~iotws.oisp.models.SupersededError`, and the stream ends). ``True`` reconnects
      as after any dropped link (two such clients take turns kicking each other out).
    * other keyword options: :class:`iotws.options.ConnectOptions` (``headers``,
      ``reconnect``, ``request_timeout``, ``ca_file``...).

    Examples:
        >>> from iotws.oisp import OispSimulator
        >>> with OispSimulator(blind_window=0).run() as sim:
        ...     token = sim.issue_token("dev-1", "acc-1")
        ...     with Client(sim.url(), "dev-1", token, grace=0.2) as dev:
        ...         sent = sim.actuate_sync("acc-1", "dev-1", "LED.v1.0", {"LED": "1"})
        ...         act = next(dev.actuations(timeout=5))
        >>> act.command, act.param("LED")
        ('LED.v1.0', '1')
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
        **options: Any,
    ) -> None:
        core = OispCore(
            device_id, token, token_refresh=token_refresh, dedup_window=dedup_window, grace=grace,
            reconnect_on_superseded=reconnect_on_superseded,
        )
        super().__init__(core, url, options=_prepare(core, url, options))
        install_log_redaction(package_logger(self.logger_name))
        self.app_ping_interval = _check_interval(app_ping_interval)
        self._pinger: threading.Thread | None = None
        self._stop_pinger = threading.Event()

    def __repr__(self) -> str:
        state = "connected" if self.connected else "not connected"
        return f"<Client {self.options.safe_url} device_id={self.core.device_id!r} {state}>"

    @property
    def device_id(self) -> str:
        """The device id this client registers."""
        return self.core.device_id

    def connect(self) -> Self:
        """Connect and register; after a refreshed token, one more attempt is made."""
        try:
            super().connect()
        except InvalidTokenError as exc:
            if not exc.refreshed:
                raise
            super().connect()
        if self.app_ping_interval is not None and self._pinger is None:
            self._stop_pinger.clear()
            self._pinger = threading.Thread(target=self._ping_loop, name="iotws-oisp-app-ping", daemon=True)
            self._pinger.start()
        return self

    def close(self) -> None:
        """Close the connection, stop reconnecting and stop the application pings."""
        self._stop_pinger.set()
        pinger, self._pinger = self._pinger, None
        super().close()
        if pinger is not None and pinger is not threading.current_thread():
            pinger.join(timeout=5)

    def _ping_loop(self) -> None:
        interval = self.app_ping_interval
        assert interval is not None
        while not self._stop_pinger.wait(interval):
            if not self.connected:
                continue
            try:
                self.ping(timeout=interval)
            except RequestTimeout:
                self._driver.drop(f"no PONG within {interval:g} s")
            except IotwsError:
                continue

    def actuations(self, timeout: float | None = None) -> Iterator[Actuation]:
        """Yield actuations as they arrive (other events are skipped).

        Ends after ``timeout`` seconds without any event, or when the client closes.
        """
        for event in self.events(timeout=timeout):
            if isinstance(event, Actuation):
                yield event

    def on_actuation(self, callback: Callable[[Actuation], Any]) -> None:
        """Call ``callback(actuation)`` from the reader thread for every actuation."""
        self.on(Actuation, callback)


class AsyncClient(AsyncClientBase[OispCore], OispCommands):
    """An asyncio OISP device; the same options as :class:`Client`, plus ``session``.

    ``session``: an :class:`aiohttp.ClientSession` to share between many devices (the
    client then does not close it).

    Examples:
        >>> import asyncio
        >>> from iotws.oisp import OispSimulator
        >>> async def main():
        ...     async with OispSimulator(blind_window=0) as sim:
        ...         token = sim.issue_token("dev-1", "acc-1")
        ...         async with AsyncClient(sim.url(), "dev-1", token, grace=0.2) as dev:
        ...             await sim.actuate("acc-1", "dev-1", "LED.v1.0", {"LED": "0"})
        ...             async for act in dev.actuations(timeout=5):
        ...                 return act.param("LED")
        >>> asyncio.run(main())
        '0'
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
        session: aiohttp.ClientSession | None = None,
        app_ping_interval: float | None = None,
        reconnect_on_superseded: bool = False,
        **options: Any,
    ) -> None:
        core = OispCore(
            device_id, token, token_refresh=token_refresh, dedup_window=dedup_window, grace=grace,
            reconnect_on_superseded=reconnect_on_superseded,
        )
        super().__init__(core, url, session=session, options=_prepare(core, url, options))
        install_log_redaction(package_logger(self.logger_name))
        self.app_ping_interval = _check_interval(app_ping_interval)
        self._pinger: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        state = "connected" if self.connected else "not connected"
        return f"<AsyncClient {self.options.safe_url} device_id={self.core.device_id!r} {state}>"

    @property
    def device_id(self) -> str:
        """The device id this client registers."""
        return self.core.device_id

    async def connect(self) -> Self:
        """Connect and register; after a refreshed token, one more attempt is made."""
        try:
            await super().connect()
        except InvalidTokenError as exc:
            if not exc.refreshed:
                raise
            await super().connect()
        if self.app_ping_interval is not None and self._pinger is None:
            import asyncio  # loaded by the async driver already; not at the top, for sync-only programs

            self._pinger = asyncio.create_task(self._ping_loop(self.app_ping_interval), name="iotws-oisp-app-ping")
        return self

    async def close(self) -> None:
        """Close the connection, stop reconnecting and stop the application pings."""
        import asyncio

        pinger, self._pinger = self._pinger, None
        if pinger is not None and pinger is not asyncio.current_task():
            pinger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pinger
        await super().close()

    async def _ping_loop(self, interval: float) -> None:
        import asyncio

        while True:
            await asyncio.sleep(interval)
            if not self.connected:
                continue
            try:
                await self.ping(timeout=interval)
            except RequestTimeout:
                self._driver.drop(f"no PONG within {interval:g} s")
            except IotwsError:
                continue

    async def actuations(self, timeout: float | None = None) -> AsyncIterator[Actuation]:
        """Yield actuations as they arrive; ends after ``timeout`` s of silence or on close."""
        async for event in self.events(timeout=timeout):
            if isinstance(event, Actuation):
                yield event

    def on_actuation(self, callback: Callable[[Actuation], Any]) -> None:
        """Call ``callback(actuation)`` for every actuation; coroutine results are scheduled."""
        self.on(Actuation, callback)
