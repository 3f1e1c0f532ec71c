"""The asyncio driver: aiohttp, one receive task, ``asyncio.Future`` results.

Behaves like :class:`iotws.sync_driver.SyncDriver`: the same options, the same
exceptions, the same lifecycle events, the same ping and idle timers
(:class:`iotws.liveness.Liveness`; aiohttp's own heartbeat is not used).

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
import re
import ssl
import time
from collections.abc import Awaitable
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

__all__ = ["AsyncDriver", "translate_aiohttp_error"]

#: What a broken or closed link raises in the receiver: the driver reconnects after these.
#: Anything else escaping the receiver is a bug; it stops the client with that error.
LINK_ERRORS: tuple[type[BaseException], ...] = (IotwsError, OSError, aiohttp.ClientError)

#: Text frames arrive as bytes and are decoded here (``decode_text=False``, aiohttp >= 3.14), so
#: that bad UTF-8 is a ``ProtocolViolation`` on a link that stays up, as in the sync driver.
_WS_CONNECT_OPTIONS: dict[str, Any] = {"decode_text": False}

_MESSAGE_SIZE = re.compile(r"[Mm]essage size (\d+)")


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


class AsyncDriver:
    """Owns one logical connection (reconnecting as its policy says) for an async client."""

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
        self.events: asyncio.Queue[object] = asyncio.Queue(maxsize=options.event_queue_size)
        self.dispatcher: Dispatcher = Dispatcher(core, self.events, self.log, self._complete)
        self.dispatcher.schedule = self._spawn
        self._futures: dict[int, asyncio.Future[Any]] = {}
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._session = session
        self._own_session = session is None
        self._send_lock: asyncio.Lock | None = None
        self._ready = False
        self._closing: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._last_error: BaseException | None = None
        #: Set when the server's close frame meant "do not come back" (``core.close_error``).
        self._final: IotwsError | None = None
        #: True while a (re)connection's socket is open but its opening exchange is not done.
        self._handshaking = False
        self._tasks: set[asyncio.Task[Any]] = set()
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
        if self._task is not None:
            return
        self._closing = asyncio.Event()
        self._final = None
        self._send_lock = asyncio.Lock()
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._own_session = True
        try:
            await self._establish()
        except BaseException:
            await self._close_session()
            raise
        self.dispatcher.emit(Connected(url=self.options.safe_url))
        self._task = asyncio.create_task(self._run(), name=f"iotws-{self.core.name}-receiver")

    async def close(self) -> None:
        """Close the link, stop reconnecting, fail pending commands.

        The server has ``close_timeout`` seconds to answer the close frame before
        the connection is cut, so this returns promptly whatever the server does.
        """
        if self._closing is not None:
            self._closing.set()
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
        for pending in list(self._tasks):
            pending.cancel()
        self._unwatch()
        self._fail_all(ConnectionClosed("client closed"))
        await self._close_session()
        if was_up:
            self.log.info("closed %s", self.options.safe_url)
        self.dispatcher.end()

    async def execute(self, command: Command[Any], timeout: float | None = None) -> Any:
        """Send ``command``; return its result, or raise its error / a timeout."""
        wait = timeout if timeout is not None else command.timeout or self.options.request_timeout
        ws = self._ws
        if not self._ready or ws is None or self._send_lock is None:
            raise self._not_connected()
        submission = self.core.submit(command)
        token = submission.token
        future: asyncio.Future[Any] | None = None
        if token is not None:
            future = asyncio.get_running_loop().create_future()
            self._futures[token] = future
        try:
            async with self._send_lock:
                for frame in submission.frames:
                    await self._send(ws, frame)
        except Exception as exc:
            if token is not None:
                self._futures.pop(token, None)
                self.core.cancel(token)
            raise ConnectionClosed(f"cannot send: the link dropped ({exc})") from exc
        if future is None or token is None:
            return command.sent_result()
        # a timer that fails the future is much cheaper than wait_for(shield(...)) per call
        timer = asyncio.get_running_loop().call_later(wait, self._expire, token, wait)
        try:
            return await future
        except asyncio.CancelledError:
            self._futures.pop(token, None)
            self.core.cancel(token)
            raise
        finally:
            timer.cancel()

    def _expire(self, token: int, wait: float) -> None:
        future = self._futures.pop(token, None)
        if future is not None and not future.done():
            self.core.cancel(token)
            future.set_exception(RequestTimeout(f"{self.core.name}: no reply within {wait:g} s"))

    def refresh_idle_timeout(self) -> None:
        """Re-read the core's :meth:`~iotws.sansio.ProtocolCore.idle_timeout` for the open link.

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
        if ws is not None and self._task is not None:
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
        if not self._ready or ws is None or self._send_lock is None:
            raise self._not_connected()
        async with self._send_lock:
            for frame in frames:
                await self._send(ws, frame)

    # -- connection -----------------------------------------------------------
    def _not_connected(self) -> ConnectionClosed:
        if self._closing is not None and self._closing.is_set():
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
                assert self._send_lock is not None
                async with self._send_lock:
                    for frame in self.core.on_connect():
                        await self._send(ws, frame)
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
        """Receive until the link drops, then reconnect per policy."""
        assert self._closing is not None
        connected_at = time.monotonic()
        attempts = 0
        while not self._closing.is_set():
            ws = self._ws
            error: BaseException | None = None
            try:
                assert ws is not None
                await self._read_loop(ws)
            except LINK_ERRORS as exc:
                error = exc
            if self._closing.is_set():
                return
            await self._lost(ws, error)
            policy = self.options.reconnect
            if self._final is not None or policy is None or not policy.retry_on(self._last_error or ConnectionClosed()):
                self._give_up(self._last_error)
                return
            if time.monotonic() - connected_at >= policy.reset_after:
                attempts = 0
            while not self._closing.is_set():
                attempts += 1
                delay = policy.delay(attempts)
                self.log.info("reconnecting to %s in %.2f s (attempt %d)", self.options.safe_url, delay, attempts)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._closing.wait(), timeout=delay)
                if self._closing.is_set():
                    return
                try:
                    await self._establish()
                except IotwsError as exc:
                    if self._closing.is_set():
                        return
                    self._last_error = exc
                    self.log.warning("reconnect attempt %d failed: %s", attempts, exc)
                    if self._final is not None or policy.gives_up(attempts) or not policy.retry_on(exc):
                        self._give_up(exc)
                        return
                    continue
                connected_at = time.monotonic()
                self.dispatcher.emit(Reconnected(attempts=attempts))
                break

    async def _read_loop(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        assert self._closing is not None
        while not self._closing.is_set():
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

    async def _flush(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        frames = self.core.data_to_send()
        if frames:
            assert self._send_lock is not None
            async with self._send_lock:
                for frame in frames:
                    await self._send(ws, frame)

    # -- failure handling -----------------------------------------------------
    def _complete(self, reply: Reply) -> None:
        future = self._futures.pop(reply.token, None)
        if future is None or future.done():
            return
        if reply.error is not None:
            future.set_exception(reply.error)
        else:
            future.set_result(reply.value)

    def _fail_all(self, error: BaseException) -> None:
        futures, self._futures = self._futures, {}
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
        if self._closing is not None and self._closing.is_set():
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
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _close_session(self) -> None:
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None
