"""The asyncio driver: aiohttp, frames dispatched where they are read, ``asyncio.Future`` results.

Behaves like [`iotws.sync_driver.SyncDriver`][]: the same options, the same
exceptions, the same lifecycle events, the same ping and idle timers
([`iotws.liveness.Liveness`][]; aiohttp's own heartbeat is not used).

The data path: once a connection's opening exchange is done, a ``_Tap`` stands in
for aiohttp's frame parser on that connection, so every data frame is handed to the core
in the event-loop callback that read it from the socket, and a reply completes its
caller's future there (the caller runs in the next loop iteration, as a raw aiohttp loop
would). A receive task runs only for pings, the close handshake, errors and reconnecting. If
aiohttp's internals are not as expected, the driver reads with ``ws.receive()`` in the
receive task instead (same behaviour, one loop iteration more per frame). Commands share
one deadline timer per client; a single-frame command is sent without a lock.

Examples:
    >>> from iotws.sansio import ProtocolCore
    >>> from iotws.options import ConnectOptions
    >>> AsyncDriver(ProtocolCore(), ConnectOptions("ws://127.0.0.1:9/")).connected
    False
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import re
import ssl
import time
from collections import deque
from collections.abc import Awaitable, Iterable
from typing import Any

import aiohttp

from iotws.commands import Command
from iotws.dispatch import Dispatcher
from iotws.errors import (
    AuthenticationError,
    ConnectError,
    ConnectionClosed,
    HandshakeError,
    IotwsError,
    ProtocolError,
    RequestTimeout,
    TLSError,
)
from iotws.events import Connected, Disconnected, Reconnected
from iotws.liveness import Liveness
from iotws.logs import package_logger
from iotws.options import ConnectOptions, redact_headers
from iotws.sansio import Frame, ProtocolCore, Reply

__all__ = ["AsyncDriver", "AsyncEventQueue", "translate_aiohttp_error"]

LINK_ERRORS: tuple[type[BaseException], ...] = (IotwsError, OSError, aiohttp.ClientError)
"""What a broken or closed link raises in the receiver: the driver reconnects after these.
Anything else escaping the receiver is a bug; it stops the client with that error.
"""

#: Text frames arrive as bytes and are decoded here (``decode_text=False``, aiohttp >= 3.14), so
#: that bad UTF-8 is a ``ProtocolViolation`` on a link that stays up, as in the sync driver.
_WS_CONNECT_OPTIONS: dict[str, Any] = {"decode_text": False}

_MESSAGE_SIZE = re.compile(r"[Mm]essage size (\d+)")

TAP_FRAMES = True
"""Whether the driver may tap aiohttp's parser (tests switch it off to run the ``ws.receive()`` path)."""

_TEXT = aiohttp.WSMsgType.TEXT
_BINARY = aiohttp.WSMsgType.BINARY
_PONG = aiohttp.WSMsgType.PONG
_INF = math.inf


class AsyncEventQueue:
    """The event queue of an async client: the part of ``asyncio.Queue`` the clients use, leaner.

    A list and the index of its oldest item (no deque: an idle connection holding its one
    ``Connected`` event costs a hundred bytes, not ``asyncio.Queue``'s four deques), and no
    waiter list until a consumer waits. ``put_nowait`` raises ``asyncio.QueueFull`` at
    ``maxsize`` (> 0) events, ``get_nowait`` raises ``asyncio.QueueEmpty``; ``get()`` waits
    (several consumers are woken in turn).

    Examples:
        >>> q = AsyncEventQueue(maxsize=2)
        >>> q.put_nowait("a"); q.put_nowait("b")
        >>> q.full(), q.qsize(), q.get_nowait()
        (True, 2, 'a')
        >>> asyncio.run(q.get())
        'b'
        >>> q.empty()
        True
    """

    __slots__ = ("_getters", "_head", "_items", "maxsize")

    def __init__(self, maxsize: int = 0) -> None:
        self.maxsize: int = maxsize
        self._items: list[Any] = []
        self._head = 0
        self._getters: list[asyncio.Future[None]] | None = None

    def qsize(self) -> int:
        """How many events wait."""
        return len(self._items) - self._head

    def empty(self) -> bool:
        """Whether no event waits."""
        return len(self._items) == self._head

    def full(self) -> bool:
        """Whether ``put_nowait`` would raise ``asyncio.QueueFull``."""
        return 0 < self.maxsize <= self.qsize()

    def put_nowait(self, item: Any) -> None:
        """Queue ``item``, or raise ``asyncio.QueueFull``; wakes one waiting consumer."""
        items = self._items
        if 0 < self.maxsize <= len(items) - self._head:
            raise asyncio.QueueFull
        items.append(item)
        if self._getters:
            self._wake_next()

    def get_nowait(self) -> Any:
        """Take the oldest event, or raise ``asyncio.QueueEmpty``."""
        items = self._items
        head = self._head
        if head == len(items):
            raise asyncio.QueueEmpty
        item = items[head]
        head += 1
        if head == len(items):  # drained: start over
            items.clear()
            head = 0
        elif head >= 1024 and head * 2 >= len(items):  # the taken half goes
            del items[:head]
            head = 0
        else:
            items[head - 1] = None
        self._head = head
        return item

    async def get(self) -> Any:
        """Take the oldest event, waiting for one if there is none."""
        while len(self._items) == self._head:
            getter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            if self._getters is None:
                self._getters = []
            self._getters.append(getter)
            try:
                await getter
            except BaseException:
                getter.cancel()
                with contextlib.suppress(ValueError):
                    self._getters.remove(getter)
                if not self.empty() and not getter.cancelled():
                    self._wake_next()  # woken, then cancelled: the wake-up goes to the next consumer
                raise
        return self.get_nowait()

    def _wake_next(self) -> None:
        getters = self._getters
        while getters:
            getter = getters.pop(0)
            if not getter.done():
                getter.set_result(None)
                return


class _Tap:
    """Stands in for aiohttp's frame parser on one connection (``protocol._payload_parser``).

    The parser parses as before and queues the messages; then the driver takes the data
    frames (and pongs) off the queue and dispatches them, in the same callback. Anything
    else (a ping, a close frame, an error, the end of the stream) wakes the receive task,
    which reads it with ``ws.receive()`` as usual. ``active`` is off while the receive task
    or ``ws.close()`` reads the queue themselves, and for good once the link is failing or
    closing (``closing``).
    """

    __slots__ = ("active", "buffer", "closing", "driver", "parser", "reader", "ws")

    def __init__(self, driver: AsyncDriver, ws: aiohttp.ClientWebSocketResponse, parser: Any, reader: Any) -> None:
        self.driver = driver
        self.ws = ws
        self.parser = parser
        self.reader = reader
        self.buffer: deque[Any] = reader._buffer
        self.active = True
        self.closing = False

    def feed_data(self, data: bytes) -> Any:
        result = self.parser.feed_data(data)
        if self.active:
            self.driver._drain(self)
        return result

    def feed_eof(self) -> None:
        self.parser.feed_eof()
        if self.active:
            self.driver._wake_receiver()


def _install_tap(driver: AsyncDriver, ws: aiohttp.ClientWebSocketResponse) -> _Tap | None:
    """Put a ``_Tap`` in front of ``ws``'s parser; ``None`` when aiohttp's internals differ."""
    if not TAP_FRAMES:
        return None
    try:
        reader: Any = ws._reader
        buffer = reader._buffer
        connection = ws._response.connection
        protocol: Any = connection.protocol if connection is not None else None
        parser = protocol._payload_parser if protocol is not None else None
    except AttributeError:
        return None
    if parser is None or parser is not ws._parser or not isinstance(buffer, deque):
        return None
    if not (callable(getattr(reader, "read", None)) and callable(getattr(reader, "is_eof", None))):
        return None
    tap = _Tap(driver, ws, parser, reader)
    protocol._payload_parser = tap
    return tap


def translate_aiohttp_error(exc: BaseException, url: str) -> IotwsError:
    """Map an aiohttp / ssl / OS exception raised while connecting to iotws.

    Examples:
        >>> translate_aiohttp_error(TimeoutError(), "ws://127.0.0.1:9/")
        ConnectError('ws://127.0.0.1:9/: timed out while connecting')
    """
    if isinstance(exc, IotwsError):
        return exc
    if isinstance(exc, aiohttp.WSServerHandshakeError):
        if exc.status == 401:
            return AuthenticationError(f"{url}: credentials rejected (HTTP 401)", status=401)
        if exc.status == 101 or exc.status == 200:
            return HandshakeError(f"{url}: WebSocket upgrade failed: {exc.message}", status=exc.status)
        return HandshakeError(f"{url}: upgrade rejected with HTTP {exc.status}", status=exc.status)
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return TLSError(f"{url}: TLS certificate verification failed: {exc.certificate_error}")
    if isinstance(exc, (aiohttp.ClientSSLError, ssl.SSLError)):
        return TLSError(f"{url}: TLS error: {exc}")
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return ConnectError(f"{url}: timed out while connecting")
    if isinstance(exc, aiohttp.ClientResponseError):
        return HandshakeError(f"{url}: upgrade rejected with HTTP {exc.status}", status=exc.status)
    return ConnectError(f"cannot connect to {url}: {exc}")


#: The most messages dispatched per event-loop turn: the consumers woken by a batch take it while
#: its events are still in the CPU's caches (a 64 KiB read can carry hundreds of messages).
_BATCH = 64


class AsyncDriver:
    """Owns one logical connection (reconnecting as its policy says) for an async client."""

    __slots__ = (
        "_attempts",
        "_clock",
        "_closed",
        "_connected_at",
        "_dead",
        "_deadline_timer",
        "_deadlines",
        "_failure",
        "_final",
        "_futures",
        "_handshaking",
        "_last_error",
        "_live",
        "_loop",
        "_own_session",
        "_ready",
        "_send_lock",
        "_session",
        "_tap",
        "_task",
        "_tasks",
        "_timer",
        "_ws",
        "core",
        "dispatcher",
        "events",
        "log",
        "options",
    )

    def __init__(
        self,
        core: ProtocolCore,
        options: ConnectOptions,
        logger: logging.Logger | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.core = core
        self.options: ConnectOptions = options
        self.log: logging.Logger = logger or package_logger("iotws")
        self.events: AsyncEventQueue = AsyncEventQueue(maxsize=options.event_queue_size)
        self.dispatcher: Dispatcher = Dispatcher(core, self.events, self.log, self._complete)
        self.dispatcher.schedule = self._spawn
        self._futures: dict[int, asyncio.Future[Any]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        #: token -> (loop time by which its reply is due, the wait in seconds), for the one deadline timer.
        self._deadlines: dict[int, tuple[float, float]] = {}
        self._deadline_timer: asyncio.TimerHandle | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._tap: _Tap | None = None
        self._session = session
        self._own_session = session is None
        #: Made with the first send of several frames (a single frame goes out without it).
        self._send_lock: asyncio.Lock | None = None
        self._ready = False
        self._closed = False
        #: The receive task; while a tap delivers the data frames it runs only when there is
        #: something else to do (a ping, a close frame, an error, reconnecting), then ends.
        self._task: asyncio.Task[None] | None = None
        self._connected_at = 0.0
        #: Reconnect attempts since the link was last up for ``reset_after`` seconds (the backoff's count).
        self._attempts = 0
        #: What the tap caught while dispatching (the core refused the link, or a bug); the receive task raises it.
        self._failure: Exception | None = None
        self._last_error: BaseException | None = None
        #: Set when the server's close frame meant "do not come back" (``core.close_error``).
        self._final: IotwsError | None = None
        #: True while a (re)connection's socket is open but its opening exchange is not done.
        self._handshaking = False
        self._tasks: set[asyncio.Task[Any]] | None = None
        self._live = Liveness(options.ping_interval, options.ping_timeout, core.idle_timeout())
        self._timer: asyncio.TimerHandle | None = None
        self._dead: ConnectionClosed | None = None
        self._clock = time.monotonic

    @property
    def connected(self) -> bool:
        """Whether the link is up and commands can be sent."""
        return self._ready

    async def connect(self) -> None:
        """Open the connection and finish the protocol's opening exchange, or raise."""
        if self._ready or self._task is not None:
            return
        self._closed = False
        self._final = None
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._own_session = True
        try:
            await self._establish()
        except BaseException:
            await self._close_session()
            raise
        self.dispatcher.emit(Connected(url=self.options.safe_url))
        self._connected_at = time.monotonic()
        self._attempts = 0
        if not self._begin():
            self._start_receiver()

    async def close(self) -> None:
        """Close the link, stop reconnecting, fail pending commands.

        The server has ``close_timeout`` seconds to answer the close frame before
        the connection is cut, so this returns promptly whatever the server does.
        """
        self._closed = True
        ws, self._ws = self._ws, None
        was_up = self._ready or ws is not None
        self._ready = False
        if ws is not None:
            await self._close_ws(ws)
        task, self._task = self._task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for pending in list(self._tasks or ()):
            pending.cancel()
        self._unwatch()
        self._fail_all(ConnectionClosed("client closed"))
        await self._close_session()
        if was_up:
            self.log.info("closed %s", self.options.safe_url)
        self.dispatcher.end()

    async def execute(self, command: Command[Any], timeout: float | None = None) -> Any:
        """Send ``command``; return its result, or raise its error / a timeout."""
        ws = self._ws
        if not self._ready or ws is None:
            raise self._not_connected()
        submission = self.core.submit(command)
        token = submission.token
        frames = submission.frames
        if token is None:
            try:
                await self._send_frames(ws, frames)
            except Exception as exc:
                raise ConnectionClosed(f"cannot send: the link dropped ({exc})") from exc
            return command.sent_result()
        loop = self._loop or asyncio.get_running_loop()  # kept when the link opened: asking costs a system call
        future: asyncio.Future[Any] = loop.create_future()
        futures = self._futures
        futures[token] = future
        try:
            lock = self._send_lock
            if len(frames) == 1 and (lock is None or not lock.locked()):  # one frame is written whole: no lock
                frame = frames[0]
                if self.log.isEnabledFor(logging.DEBUG):
                    self.log.debug(">> %s", self.core.describe(frame))
                if isinstance(frame, str):
                    await ws.send_str(frame)
                else:
                    await ws.send_bytes(frame)
            else:
                await self._send_frames(ws, frames)
        except Exception as exc:
            futures.pop(token, None)
            self.core.cancel(token)
            raise ConnectionClosed(f"cannot send: the link dropped ({exc})") from exc
        if not future.done():  # the reply may have come during the send
            wait = timeout if timeout is not None else command.timeout or self.options.request_timeout
            when = loop.time() + wait
            self._deadlines[token] = (when, wait)
            timer = self._deadline_timer
            if timer is None or when < timer.when():
                self._arm_deadline(loop, when)
        try:
            return await future
        except asyncio.CancelledError:
            futures.pop(token, None)
            self._deadlines.pop(token, None)
            self.core.cancel(token)
            raise

    # -- deadlines: one timer per client, at the soonest deadline of the commands waiting --
    def _arm_deadline(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
        self._deadline_timer = loop.call_at(when, self._expire_due)

    def _expire_due(self) -> None:
        """The deadline timer: fail the commands whose time is up; re-arm for the next one."""
        self._deadline_timer = None
        deadlines = self._deadlines
        if not deadlines:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        soonest = _INF
        for token, (when, wait) in list(deadlines.items()):
            if when <= now:
                del deadlines[token]
                self._expire(token, wait)
            elif when < soonest:
                soonest = when
        if soonest < _INF and self._deadline_timer is None:
            self._arm_deadline(loop, soonest)

    def _expire(self, token: int, wait: float) -> None:
        future = self._futures.pop(token, None)
        if future is not None and not future.done():
            self.core.cancel(token)
            future.set_exception(RequestTimeout(f"{self.core.name}: no reply within {wait:g} s"))

    def refresh_idle_timeout(self) -> None:
        """Re-read the core's [`idle_timeout`][iotws.sansio.ProtocolCore.idle_timeout] for the open link.

        A new connection reads it by itself; a protocol whose idle timeout follows what
        the application asked for (Globiots: its subscription's update time) calls this
        after such a change, and the liveness timer is re-armed for the new deadline.
        """
        self._live.idle_timeout = self.core.idle_timeout()
        ws = self._ws
        if ws is not None and self._timer is not None:
            self._unwatch()
            self._arm(ws, self._clock())

    def drop(self, reason: str = "dropped by the client") -> None:
        """Cut the current link (e.g. a liveness check failed); the reconnect policy applies."""
        ws = self._ws
        if ws is not None and self._ready:
            self.log.warning("dropping the link to %s: %s", self.options.safe_url, reason)
            self._abort(ws, ConnectionClosed(reason))

    def _abort(self, ws: aiohttp.ClientWebSocketResponse, reason: ConnectionClosed) -> None:
        """Cut ``ws`` at once; its reader then fails with ``reason``."""
        self._dead = reason
        if not self._cut(ws):
            self._spawn(self._close_ws(ws, code=1001))

    @staticmethod
    def _cut(ws: aiohttp.ClientWebSocketResponse) -> bool:
        """Abort the TCP connection under ``ws``; ``False`` if there is none any more."""
        connection = ws._response.connection
        if connection is not None and connection.transport is not None:
            connection.transport.abort()
            return True
        return False

    async def _close_ws(self, ws: aiohttp.ClientWebSocketResponse, code: int = 1000) -> None:
        """Close handshake bounded by ``close_timeout``; then the connection is cut."""
        tap = self._tap
        if tap is not None and tap.ws is ws:
            tap.active = False  # ws.close() reads the queue itself from now on
            tap.closing = True
        try:
            await asyncio.wait_for(ws.close(code=code), timeout=self.options.close_timeout)
        except asyncio.CancelledError:
            self._cut(ws)
            raise
        except Exception:  # no answer in time, or the link is gone: closing must not fail
            self.log.debug("close handshake cut short", exc_info=True)
        self._cut(ws)

    # -- liveness: a timer per connection, so the per-frame path only stamps the time --
    def _watch(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._unwatch()
        self._dead = None
        self._live = Liveness(self.options.ping_interval, self.options.ping_timeout, self.core.idle_timeout())
        now = self._clock()
        self._live.reset(now)
        self._arm(ws, now)

    def _arm(self, ws: aiohttp.ClientWebSocketResponse, now: float) -> None:
        delay = self._live.deadline(now) - now
        self._timer = asyncio.get_running_loop().call_later(max(0.0, delay), self._tick, ws)

    async def _ping(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.ping()  # a link too broken to ping is caught by the pong timeout

    def _unwatch(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _tick(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        if ws.closed:
            return
        now = self._clock()
        if self._live.deadline(now) > now:
            self._arm(ws, now)  # traffic moved the deadline: look again then
            return
        try:
            ping_due = self._live.quiet(now)
        except ConnectionClosed as exc:
            self.log.warning("%s: %s", self.options.safe_url, exc)
            self._abort(ws, exc)
            return
        if ping_due:
            self._spawn(self._ping(ws))
        self._arm(ws, now)

    async def send_frames(self, frames: list[Frame]) -> None:
        """Send raw frames on the current connection."""
        ws = self._ws
        if not self._ready or ws is None:
            raise self._not_connected()
        await self._send_frames(ws, frames)

    # -- connection -----------------------------------------------------------
    def _not_connected(self) -> ConnectionClosed:
        if self._closed:
            return ConnectionClosed("client is closed")
        if self.dispatcher.stopped:
            return ConnectionClosed(f"the client stopped: {self._last_error}")
        if self._task is not None:
            if self._handshaking:
                return ConnectionClosed("not connected yet: the link is open; waiting for the opening exchange")
            return ConnectionClosed(f"not connected (reconnecting; last error: {self._last_error})")
        return ConnectionClosed("not connected: call connect() first")

    async def _open(self) -> aiohttp.ClientWebSocketResponse:
        opts = self.options
        headers = opts.request_headers()
        self.log.info("connecting to %s", opts.safe_url)
        self.log.debug("upgrade headers: %s", redact_headers(headers))
        ctx = opts.tls_context()
        assert self._session is not None
        try:
            ws: aiohttp.ClientWebSocketResponse = await self._session.ws_connect(
                opts.url,
                protocols=tuple(opts.subprotocols),
                headers=headers,
                ssl=ctx if ctx is not None else True,
                # aiohttp refuses a message of max_msg_size bytes or more, by its frame header;
                # the sync driver refuses more than max_message_size: +1 makes them agree
                max_msg_size=opts.max_message_size + 1,
                autoping=False,  # pings and pongs go through Liveness, as in the sync driver
                **_WS_CONNECT_OPTIONS,
            )
        except Exception as exc:
            error = translate_aiohttp_error(exc, opts.safe_url)
            if not isinstance(exc, aiohttp.ClientResponseError):
                error.__cause__ = exc
            # an HTTP refusal (401, 403...) carries the request's headers, credentials included:
            # it is neither chained nor kept as the context (raised below, outside this block)
        else:
            return ws
        raise error

    async def _establish(self) -> None:
        """Connect and finish the opening exchange, all of it within ``connect_timeout``."""
        ws: aiohttp.ClientWebSocketResponse | None = None
        try:
            async with asyncio.timeout(self.options.connect_timeout) as budget:
                ws = await self._open()
                self._handshaking = True
                self._watch(ws)
                self.core.connection_lost()
                await self._send_frames(ws, self.core.on_connect())
                grace = self.core.handshake_wait()
                if grace is not None:
                    when = asyncio.get_running_loop().time() + grace
                    current = budget.when()
                    budget.reschedule(when if current is None else min(current, when))
                while not self.core.handshake_complete():
                    received = await self._recv(ws)
                    if received is not None:
                        self.dispatcher.feed(received)
                        await self._flush(ws)
        except TimeoutError as exc:
            if ws is None:
                raise translate_aiohttp_error(exc, self.options.safe_url) from exc
            try:
                self.core.handshake_timed_out()
            except BaseException:
                self._unwatch()
                await self._close_ws(ws)
                raise
        except BaseException as exc:
            self._unwatch()
            if ws is not None:
                await self._close_ws(ws)
            if isinstance(exc, (IotwsError, asyncio.CancelledError)):
                raise
            if isinstance(exc, LINK_ERRORS):
                raise translate_aiohttp_error(exc, self.options.safe_url) from exc
            raise  # a bug (in a core, say): not a connection problem to retry
        finally:
            self._handshaking = False
        assert ws is not None
        self._ws = ws
        self._loop = asyncio.get_running_loop()
        self._ready = True
        self.log.info("connected to %s", self.options.safe_url)

    async def _run(self) -> None:
        """Receive task. Whatever escapes it (a bug) stops the client with that error."""
        try:
            await self._serve()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:
            await self._crash(exc)
            if not isinstance(exc, Exception):
                raise

    async def _serve(self) -> None:
        """Receive until the link drops, then reconnect per policy.

        On a tapped link this returns (and the task ends) as soon as nothing but data frames
        is left to handle; the tap starts a new receive task when there is again.
        """
        while not self._closed:
            ws = self._ws
            error: BaseException | None = None
            try:
                assert ws is not None
                tap = self._tap
                if tap is not None and tap.ws is ws:
                    if await self._follow(ws, tap):
                        return
                else:
                    await self._read_loop(ws)
            except LINK_ERRORS as exc:
                error = exc
            if self._closed:
                return
            await self._lost(ws, error)
            policy = self.options.reconnect
            if self._final is not None or policy is None or not policy.retry_on(self._last_error or ConnectionClosed()):
                self._give_up(self._last_error)
                return
            if time.monotonic() - self._connected_at >= policy.reset_after:
                self._attempts = 0
            while not self._closed:
                self._attempts += 1
                attempts = self._attempts
                delay = policy.delay(attempts)
                self.log.info("reconnecting to %s in %.2f s (attempt %d)", self.options.safe_url, delay, attempts)
                await asyncio.sleep(delay)  # close() cancels this task, so the sleep ends with it
                if self._closed:
                    return
                try:
                    await self._establish()
                except IotwsError as exc:
                    if self._closed:
                        return
                    self._last_error = exc
                    self.log.warning("reconnect attempt %d failed: %s", attempts, exc)
                    if self._final is not None or policy.gives_up(attempts) or not policy.retry_on(exc):
                        self._give_up(exc)
                        return
                    continue
                self._connected_at = time.monotonic()
                self.dispatcher.emit(Reconnected(attempts=attempts))
                self._begin()
                break

    def _start_receiver(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"iotws-{self.core.name}-receiver")

    def _begin(self) -> bool:
        """The link is up and announced: tap its parser; what is queued already goes out next loop turn.

        (Next turn, as the receive task's first read did: an application that adds a callback
        right after ``connect()`` returns still sees the frames that came with the handshake.)
        Returns whether the link is tapped (else the receive task reads it with ``ws.receive()``).
        """
        ws = self._ws
        assert ws is not None
        self._failure = None
        tap = self._tap = _install_tap(self, ws)
        if tap is None:
            return False
        if tap.buffer or tap.reader.is_eof():
            asyncio.get_running_loop().call_soon(self._drain_queued, tap)
        return True

    def _drain_queued(self, tap: _Tap) -> None:
        if tap.active and self._tap is tap:
            self._drain(tap)

    async def _follow(self, ws: aiohttp.ClientWebSocketResponse, tap: _Tap) -> bool:
        """The receive task on a tapped link: pings, the close frame, errors; ``True`` when none is left.

        It then ends (``self._task`` is cleared in the same step as the last look at the queue,
        so a tap that finds something new after that starts a new task).
        """
        reader = tap.reader
        buffer = tap.buffer
        while not self._closed:
            failure = self._failure
            if failure is not None:
                self._failure = None
                raise failure
            if not buffer and not reader.is_eof():
                if self._task is asyncio.current_task():
                    self._task = None
                return True
            tap.active = False  # ws.receive() reads the queue now
            received = await self._recv(ws)  # raises when the link is closed or failed
            if tap.closing:  # being closed meanwhile: read on until the link says so
                await self._read_loop(ws)
                return False
            tap.active = True
            if received is not None:
                self.dispatcher.feed(received)
                await self._flush(ws)
            self._drain(tap)  # data frames queued behind it
        return False

    def _wake_receiver(self) -> None:
        """The tap found something for the receive task: start one unless it runs (it looks again)."""
        if self._task is None and self._ready and not self._closed:
            self._start_receiver()

    def _drain(self, tap: _Tap) -> None:
        """Dispatch the data frames queued on ``tap``'s connection, oldest first (in aiohttp's callback).

        At most ``_BATCH`` messages a turn: the rest goes on in the next loop turn, after the
        consumers this batch woke. Stops at the first message that is not data (or a pong) and
        wakes the receive task for it; a core that refuses the link (or a bug) stops the tap and
        the receive task raises what it raised.
        """
        buffer = tap.buffer
        if buffer:
            live = self._live
            now = self._clock()
            live.last_rx = now
            read = tap.reader.read
            dispatcher = self.dispatcher
            feed = dispatcher.feed
            budget = _BATCH
            try:
                while buffer:
                    if not budget:
                        break
                    budget -= 1
                    message = buffer[0][0]
                    kind = message[0]
                    if kind is not _TEXT and kind is not _BINARY and kind is not _PONG:
                        break  # a ping, a close frame, an error: the receive task's
                    step = read()  # returns at once (the message is queued): driven here, no task
                    try:
                        step.send(None)
                    except StopIteration:
                        pass
                    else:
                        step.close()
                        raise RuntimeError("aiohttp's WebSocket queue did not hand over a queued message")
                    data = message[1]
                    if kind is _TEXT:
                        if isinstance(data, str):
                            feed(data)
                            continue
                        try:
                            text = bytes(data).decode("utf-8")
                        except UnicodeDecodeError as exc:
                            dispatcher.violation(
                                ProtocolError(f"text frame is not valid UTF-8: {exc}", frame=bytes(data))
                            )
                            continue
                        feed(text)
                    elif kind is _BINARY:
                        feed(bytes(data))
                    else:
                        live.ponged(now)
                frames = self.core.data_to_send()
            except Exception as exc:
                tap.active = False
                tap.closing = True
                self._failure = exc
                self._wake_receiver()
                return
            if frames:
                self._spawn(self._send_quietly(tap.ws, frames))
            if not budget and buffer:
                # the rest next turn, after the consumers woken by this batch have taken it
                asyncio.get_running_loop().call_soon(self._drain_queued, tap)
                return
        if buffer or tap.reader.is_eof():
            self._wake_receiver()

    async def _send_quietly(self, ws: aiohttp.ClientWebSocketResponse, frames: list[Frame]) -> None:
        """Send the core's own frames; a link that dropped meanwhile is the receive task's news."""
        try:
            await self._send_frames(ws, frames)
        except LINK_ERRORS as exc:
            self.log.debug("could not send the core's frames: %r", exc)

    async def _read_loop(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        while not self._closed:
            received = await self._recv(ws)
            if received is not None:
                self.dispatcher.feed(received)
                await self._flush(ws)

    async def _recv(self, ws: aiohttp.ClientWebSocketResponse) -> Frame | None:
        msg = await ws.receive()
        live = self._live
        if msg.type is aiohttp.WSMsgType.PONG:
            live.ponged(self._clock())
            return None
        live.last_rx = self._clock()
        if msg.type is aiohttp.WSMsgType.PING:
            await ws.pong(msg.data)
            return None
        if msg.type is aiohttp.WSMsgType.TEXT:
            data = msg.data
            if isinstance(data, str):
                return data
            try:
                return bytes(data).decode("utf-8")
            except UnicodeDecodeError as exc:
                self.dispatcher.violation(ProtocolError(f"text frame is not valid UTF-8: {exc}", frame=bytes(data)))
                return None
        if msg.type is aiohttp.WSMsgType.BINARY:
            return bytes(msg.data)
        if self._dead is not None:
            raise self._dead
        if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
            code = ws.close_code
            reason = str(msg.extra) if msg.type is aiohttp.WSMsgType.CLOSE and msg.extra else ""
            extra = f", {msg.extra}" if msg.extra else ""
            if msg.type is aiohttp.WSMsgType.CLOSE:
                self._final = self.core.close_error(code, reason)
            raise ConnectionClosed(f"server closed the connection (code {code}{extra})", code=code, reason=reason)
        if msg.type is aiohttp.WSMsgType.ERROR:
            raise self._frame_error(msg.data if isinstance(msg.data, BaseException) else ws.exception(), ws)
        return None

    def _frame_error(self, exc: BaseException | None, ws: aiohttp.ClientWebSocketResponse) -> ConnectionClosed:
        """The error for an ERROR message (aiohttp has already closed the link with its code)."""
        code = exc.code if isinstance(exc, aiohttp.WebSocketError) else None
        if code == 1009:
            limit = self.options.max_message_size
            size = _MESSAGE_SIZE.search(str(exc))
            what = f"message of {size.group(1)} bytes" if size else "message"
            error = ConnectionClosed(f"{what} exceeds max_message_size={limit}", code=1009)
        elif code == 1007:  # an aiohttp too old to hand text frames over undecoded
            self.dispatcher.violation(ProtocolError(f"text frame is not valid UTF-8: {exc}"))
            error = ConnectionClosed(f"text frame is not valid UTF-8: {exc}", code=1007)
        elif code is not None:
            error = ConnectionClosed(f"protocol error: {exc}", code=code)
        else:
            error = ConnectionClosed(f"link error: {exc!r}", code=ws.close_code)
        error.__cause__ = exc
        return error

    async def _send(self, ws: aiohttp.ClientWebSocketResponse, frame: Frame) -> None:
        if self.log.isEnabledFor(logging.DEBUG):
            self.log.debug(">> %s", self.core.describe(frame))
        if isinstance(frame, str):
            await ws.send_str(frame)
        else:
            await ws.send_bytes(frame)

    async def _send_frames(self, ws: aiohttp.ClientWebSocketResponse, frames: Iterable[Frame]) -> None:
        """Send ``frames`` back to back: one frame goes straight out, several hold the send lock."""
        if not isinstance(frames, list):
            frames = list(frames)
        if not frames:
            return
        lock = self._send_lock
        if len(frames) == 1 and (lock is None or not lock.locked()):
            await self._send(ws, frames[0])
            return
        if lock is None:
            lock = self._send_lock = asyncio.Lock()
        async with lock:
            for frame in frames:
                await self._send(ws, frame)

    async def _flush(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        frames = self.core.data_to_send()
        if frames:
            await self._send_frames(ws, frames)

    # -- failure handling -----------------------------------------------------
    def _complete(self, reply: Reply) -> None:
        token = reply.token
        future = self._futures.pop(token, None)
        if future is None:
            return
        self._deadlines.pop(token, None)
        if future.done():
            return
        if reply.error is not None:
            future.set_exception(reply.error)
        else:
            future.set_result(reply.value)

    def _fail_all(self, error: BaseException) -> None:
        futures, self._futures = self._futures, {}
        self._deadlines = {}
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
            self._deadline_timer = None
        self.core.connection_lost()
        for future in futures.values():
            if not future.done():
                future.set_exception(error)

    async def _lost(self, ws: aiohttp.ClientWebSocketResponse | None, error: BaseException | None) -> None:
        self._unwatch()
        self._ready = False
        self._ws = None
        if ws is not None:
            await self._close_ws(ws)
        self._tap = None
        if isinstance(error, ConnectionClosed):
            reason = error
        else:
            reason = ConnectionClosed(f"link lost: {error}")
            reason.__cause__ = error
        self._last_error = reason
        self.log.warning("lost connection to %s: %s", self.options.safe_url, error)
        self._fail_all(ConnectionClosed(f"the link dropped while the command was in flight: {error}"))
        policy = self.options.reconnect
        will = self._final is None and policy is not None and policy.retry_on(reason)
        self.dispatcher.emit(Disconnected(error=reason, will_reconnect=will))

    def _give_up(self, error: BaseException | None) -> None:
        final = self._final
        if final is not None:  # the server said "do not come back"
            self.log.warning("stopped: %s (%s)", final, self.options.safe_url)
            self.dispatcher.end(final, reason=str(final))
            return
        self.log.error("giving up on %s: %s", self.options.safe_url, error)
        why = "gave up reconnecting" if self.options.reconnect is not None else "link lost and reconnecting is off"
        self.dispatcher.end(ConnectionClosed(f"connection lost for good: {error}"), reason=f"{why}: {error}")

    async def _crash(self, error: BaseException) -> None:
        """The receiver failed with ``error`` (a bug): cut the link, fail commands, end the stream with it."""
        if self._closed:
            self.log.debug("receiver stopped while closing: %r", error)
            return
        self.log.error("the receiver of %s failed; the client stops", self.options.safe_url, exc_info=error)
        try:
            self._unwatch()
            ws, self._ws = self._ws, None
            self._ready = False
            self._last_error = error
            failure = ConnectionClosed(f"the client stopped: its reader failed with {error!r}")
            failure.__cause__ = error
            self._fail_all(failure)
            if ws is not None:
                await self._close_ws(ws, code=1011)
        finally:
            self.dispatcher.end(error, reason=f"the reader failed: {error!r}")

    def _spawn(self, awaitable: Awaitable[Any]) -> None:
        async def run() -> None:
            try:
                await awaitable
            except Exception:
                self.log.exception("async callback failed")

        task = asyncio.get_running_loop().create_task(run())
        tasks = self._tasks
        if tasks is None:
            tasks = self._tasks = set()
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    async def _close_session(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None
