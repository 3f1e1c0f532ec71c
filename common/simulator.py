"""The simulator base: an aiohttp WebSocket server on loopback, with fault switches.

A protocol simulator subclasses [`SimulatorBase`][iotws.simulator.SimulatorBase], lists its ``paths`` and
implements [`SimulatorBase.handle`][iotws.simulator.SimulatorBase.handle] for one connection. The base runs it
from async code (``async with sim:``), from sync code (``with sim.run():``, its
own loop in a background thread) and from the CLI ([`serve_cli`][iotws.simulator.serve_cli]).

Fault switches, settable at any time: ``faults.silent`` (swallow every outgoing
frame), ``faults.delay`` (seconds before each outgoing frame),
``faults.refuse_upgrade`` (answer upgrades with this HTTP status),
``faults.no_pongs`` (new connections never answer WebSocket pings),
[`SimulatorBase.drop_connections`][iotws.simulator.SimulatorBase.drop_connections] and
[`SimulatorBase.send_garbage`][iotws.simulator.SimulatorBase.send_garbage].

Examples:
    >>> class Echo(SimulatorBase):
    ...     paths = ("/echo",)
    ...     async def handle(self, conn):
    ...         async for frame in conn:
    ...             await conn.send(frame)
    >>> with Echo().run() as sim:
    ...     sim.url("/echo").startswith("ws://127.0.0.1:")
    True
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import ssl
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from types import TracebackType
from typing import Any, ClassVar, Self, TypeVar

import aiohttp
import attrs
from aiohttp import web

from iotws.errors import UsageError
from iotws.logs import describe_frame, package_logger
from iotws.sansio import Frame

__all__ = ["Faults", "SimConnection", "SimulatorBase", "serve_cli"]

R = TypeVar("R")

GARBAGE = "\x00}{ not a valid message ]"
"""What [`SimulatorBase.send_garbage`][iotws.simulator.SimulatorBase.send_garbage] sends by default: not JSON, not
CBOR."""


@attrs.define
class Faults:
    """Switches that make a simulator misbehave on purpose.

    Examples:
        >>> f = Faults()
        >>> f.silent = True
        >>> f
        Faults(silent=True, delay=0.0, refuse_upgrade=None, no_pongs=False)
    """

    silent: bool = False
    delay: float = 0.0
    refuse_upgrade: int | None = None
    no_pongs: bool = False


class SimConnection:
    """One client connection as a simulator sees it. Iterate it for incoming frames.

    ``state`` is a free dict for the protocol simulator's per-connection data.
    """

    def __init__(self, sim: SimulatorBase, request: web.Request, ws: web.WebSocketResponse) -> None:
        self.sim: SimulatorBase = sim
        self.request = request
        self.ws = ws
        self.state: dict[str, Any] = {}

    @property
    def path(self) -> str:
        """The request path, e.g. ``/ws``."""
        return self.request.path

    def __repr__(self) -> str:
        return f"<SimConnection {self.path} from {self.request.remote}>"

    async def send(self, frame: Frame) -> None:
        """Send one frame, honouring the ``silent`` and ``delay`` faults."""
        faults = self.sim.faults
        if faults.silent or self.ws.closed:
            return
        if faults.delay > 0:
            await asyncio.sleep(faults.delay)
        if self.sim.log.isEnabledFor(logging.DEBUG):
            self.sim.log.debug("sim >> %s", describe_frame(frame))
        try:
            if isinstance(frame, str):
                await self.ws.send_str(frame)
            else:
                await self.ws.send_bytes(frame)
        except (ConnectionError, RuntimeError):
            self.sim.log.debug("sim: peer gone while sending")

    async def close(self, code: int = 1000, message: str = "") -> None:
        """Close with a WebSocket close code."""
        await self.ws.close(code=code, message=message.encode())

    def __aiter__(self) -> AsyncIterator[Frame]:
        return self._frames()

    async def _frames(self) -> AsyncIterator[Frame]:
        async for msg in self.ws:
            if msg.type is aiohttp.WSMsgType.TEXT:
                yield str(msg.data)
            elif msg.type is aiohttp.WSMsgType.BINARY:
                yield bytes(msg.data)
            elif msg.type is aiohttp.WSMsgType.ERROR:
                return


class SimulatorBase:
    """Base of every protocol simulator: serving, lifecycle, faults, sync bridge."""

    paths: ClassVar[tuple[str, ...]] = ("/",)
    """Paths served; each may hold aiohttp route patterns such as ``/clients/{id}``."""
    subprotocols: tuple[str, ...] = ()
    """Subprotocols the server accepts (``None``: whatever the client offers is ignored)."""
    logger_name: ClassVar[str] = "iotws"
    """The package logger name."""
    heartbeat: float | None = None
    """Seconds between server-side WebSocket pings (``None``: none)."""
    max_message_size: int = 4 * 1024 * 1024
    """The largest incoming message, in bytes."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, ssl_context: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.port: int = port
        self.ssl_context: ssl.SSLContext | None = ssl_context
        self.faults: Faults = Faults()
        self.log: logging.Logger = package_logger(self.logger_name)
        self.connections: set[SimConnection] = set()
        self._runner: web.AppRunner | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._background: set[asyncio.Task[Any]] = set()

    # -- what subclasses provide ------------------------------------------------
    async def handle(self, conn: SimConnection) -> None:
        """Serve one connection until it closes. Subclasses implement this."""
        raise NotImplementedError(f"{type(self).__name__} must implement handle()")

    async def check_upgrade(self, request: web.Request) -> web.StreamResponse | None:
        """Return an HTTP response to refuse an upgrade (auth, subprotocol), else ``None``."""
        return None

    def add_routes(self, app: web.Application) -> None:
        """Add plain HTTP routes (control endpoints) before the WebSocket paths."""

    async def on_start(self) -> None:
        """Called in the server loop after the server starts (start background tasks here)."""

    async def on_stop(self) -> None:
        """Called in the server loop before the server stops."""

    # -- URLs -----------------------------------------------------------------
    @property
    def scheme(self) -> str:
        """``ws`` or ``wss``."""
        return "wss" if self.ssl_context is not None else "ws"

    def url(self, path: str | None = None) -> str:
        """The URL of ``path`` (default: the first served path) on the running server."""
        if self._runner is None:
            raise UsageError("the simulator is not running: start it first")
        return f"{self.scheme}://{self.host}:{self.port}{path if path is not None else self.paths[0]}"

    # -- async lifecycle ----------------------------------------------------------
    async def start(self) -> Self:
        """Start serving; with ``port=0`` the first start picks a free port, kept for restarts."""
        if self._runner is not None:
            return self
        app = web.Application()
        self.add_routes(app)
        for path in self.paths:
            app.router.add_get(path, self._serve)
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, ssl_context=self.ssl_context, reuse_address=True)
        await site.start()
        server = site._server
        if self.port == 0 and server is not None:
            sockets = getattr(server, "sockets", None) or []
            self.port = sockets[0].getsockname()[1]
        self._runner = runner
        self._loop = asyncio.get_running_loop()
        await self.on_start()
        self.log.info("simulator %s listening on %s", type(self).__name__, self.url())
        return self

    async def stop(self) -> None:
        """Stop serving and close every connection (the port is kept for a restart)."""
        if self._runner is None:
            return
        await self.on_stop()
        for task in list(self._background):
            task.cancel()
        for conn in list(self.connections):
            with contextlib.suppress(Exception):
                await conn.ws.close(code=1001, message=b"server shutting down")
        await self._runner.cleanup()
        self._runner = None

    async def restart(self) -> None:
        """Stop and start again on the same port."""
        await self.stop()
        await self.start()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        """Run ``coro`` as a background task of the server, cancelled on stop."""
        task = asyncio.get_running_loop().create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    # -- sync bridge ------------------------------------------------------------
    def start_background(self) -> Self:
        """Start serving from sync code: the simulator gets its own loop in a background thread.

        For a notebook cell or a script without a ``with`` block;
        [`stop_background`][iotws.simulator.SimulatorBase.stop_background]
        ends it. Returns the simulator, running (a no-op if it runs in the background already).

        Examples:
            >>> class Quiet(SimulatorBase):
            ...     async def handle(self, conn):
            ...         await conn.close()
            >>> sim = Quiet().start_background()
            >>> sim.url().startswith("ws://127.0.0.1:")
            True
            >>> sim.stop_background()
        """
        if self._thread is not None:
            return self
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        loop = asyncio.new_event_loop()

        def main() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
                ready.set_result(None)
            except BaseException as exc:
                ready.set_exception(exc)
                return
            loop.run_forever()

        thread = threading.Thread(target=main, name=f"iotws-sim-{type(self).__name__}", daemon=True)
        thread.start()
        try:
            ready.result(timeout=30)
        except BaseException:
            thread.join(timeout=10)
            loop.close()
            raise
        self._thread = thread
        return self

    def stop_background(self) -> None:
        """Stop a simulator started with [`start_background`][iotws.simulator.SimulatorBase.start_background]
        (closing every connection)."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
        self._thread = None

    @contextlib.contextmanager
    def run(self) -> Iterator[Self]:
        """Run the simulator in a background thread with its own loop (for sync code)."""
        self.start_background()
        try:
            yield self
        finally:
            self.stop_background()

    def call(self, awaitable: Awaitable[R], timeout: float = 10.0) -> R:
        """From another thread, run ``awaitable`` in the simulator's loop and return its result."""
        if self._loop is not None and self._thread is None:
            raise UsageError("call() is for sync code: from async code, await directly")
        return self.soon(awaitable).result(timeout)

    def soon(self, awaitable: Awaitable[R]) -> concurrent.futures.Future[R]:
        """From another thread, start ``awaitable`` in the simulator's loop without waiting.

        Use it where the caller must stay free to answer the simulator (a blocking
        [`call`][iotws.simulator.SimulatorBase.call] would deadlock); the returned future gives the result later.
        """
        loop = self._loop
        if loop is None:
            raise UsageError("the simulator is not running")

        async def wrap() -> R:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wrap(), loop)

    # -- faults ----------------------------------------------------------------
    async def drop_connections(self) -> int:
        """Cut every live connection abruptly (no close frame); returns how many."""
        count = 0
        for conn in list(self.connections):
            transport = conn.request.transport
            if transport is not None:
                transport.abort()
                count += 1
        return count

    async def send_garbage(self, frame: Frame = GARBAGE) -> int:
        """Send a malformed frame to every connection; returns how many got it."""
        conns = list(self.connections)
        for conn in conns:
            await conn.send(frame)
        return len(conns)

    async def broadcast(self, frame: Frame, path: str | None = None) -> None:
        """Send ``frame`` to every connection (on ``path`` only, if given)."""
        for conn in list(self.connections):
            if path is None or conn.path == path:
                await conn.send(frame)

    # -- serving ----------------------------------------------------------------
    async def _serve(self, request: web.Request) -> web.StreamResponse:
        if self.faults.refuse_upgrade is not None:
            status = self.faults.refuse_upgrade
            return web.Response(status=status, text=f"refused by fault switch ({status})\n")
        refusal = await self.check_upgrade(request)
        if refusal is not None:
            return refusal
        ws = web.WebSocketResponse(
            protocols=self.subprotocols,
            heartbeat=self.heartbeat,
            max_msg_size=self.max_message_size,
            autoping=not self.faults.no_pongs,
        )
        await ws.prepare(request)
        conn = SimConnection(self, request, ws)
        self.connections.add(conn)
        self.log.info("sim: client connected on %s", request.path)
        try:
            await self.handle(conn)
        except (ConnectionError, asyncio.CancelledError):
            pass
        except Exception:
            self.log.exception("sim: handler failed")
            with contextlib.suppress(Exception):
                await ws.close(code=1011, message=b"simulator error")
        finally:
            self.connections.discard(conn)
        if not ws.closed:
            await ws.close()
        return ws


def serve_cli(
    sim: SimulatorBase, path: str | None = None, banner: Callable[[SimulatorBase], str] | None = None
) -> int:
    """Run ``sim`` in the foreground for the CLI: first stdout line is its URL; until Ctrl-C.

    ``banner(sim)`` may add lines after the URL (ready-to-run client commands).

    Examples:
        >>> callable(serve_cli)
        True
    """

    async def main() -> None:
        async with sim:
            print(sim.url(path), flush=True)
            if banner is not None:
                print(banner(sim), flush=True)
            await asyncio.Event().wait()

    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
    except OSError as exc:
        print(f"error: cannot start the simulator on {sim.host}:{sim.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0
