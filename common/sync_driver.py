"""The synchronous driver: websocket-client for the upgrade, then frames read and written here.

It never touches asyncio, so it works inside Jupyter's running event loop.

Who reads the socket (leader/follower): one thread at a time holds the *read role*.
Usually it is the driver's reader thread, which also sends pings, runs callbacks and
reconnects. A thread that sends a command and waits for its reply takes the role
when the reader thread is only waiting for data, and reads its own reply: no thread
hand-off on the way back. When its reply is in, it passes the role to another
waiting caller, or leaves it free: the next call takes it without waking anybody, and
the reader thread takes it back once calls stop ([`HANDBACK`][iotws.sync_driver.HANDBACK],
[`HANDBACK_MAX`][iotws.sync_driver.HANDBACK_MAX]).
Callbacks always run on the reader thread: events a calling thread reads while
callbacks are registered are handed to the reader thread, in order.

Reads are buffered: one ``recv()`` takes whatever the socket holds and every whole
frame in it is parsed; a frame is still refused by its header (too big: 1009, malformed:
1002) before its payload is read. Events go into a lock-free queue whose waiting consumer
is woken once per batch of frames, not once per event.

Examples:
    >>> from iotws.sansio import ProtocolCore
    >>> from iotws.options import ConnectOptions
    >>> drv = SyncDriver(ProtocolCore(), ConnectOptions("ws://127.0.0.1:9/"))
    >>> drv.connected
    False
"""

from __future__ import annotations

import collections
import logging
import os
import queue
import select
import socket
import ssl
import struct
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import websocket

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

__all__ = ["SyncDriver", "translate_connect_error"]

LINK_ERRORS: tuple[type[BaseException], ...] = (IotwsError, OSError, websocket.WebSocketException)
"""What a broken or closed link raises in the reader: the driver reconnects after these.
Anything else escaping the reader is a bug; it stops the client with that error.
"""

_OP_CONT, _OP_TEXT, _OP_BINARY = 0x0, 0x1, 0x2
_OP_CLOSE, _OP_PING, _OP_PONG = 0x8, 0x9, 0xA
#: Close codes a peer may send (RFC 6455 section 7.4), besides 3000-4999.
_VALID_CLOSE = frozenset({1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014})
HANDBACK = 0.001
"""How long the reader thread leaves the read role free after a calling thread read its reply,
for the next call to take it without waking anybody.
"""
HANDBACK_MAX = 0.008
"""While calls keep following each other, the reader thread looks less and less often whether
they stopped (every 1, 2, 4, 8 ms): data arriving just after the last call waits this long (plus
``HANDBACK``) at most.
"""
RECV_SIZE = 65536
"""How much one ``recv()`` takes (below the allocator's mmap threshold: no system call per buffer)."""
_WOULD_BLOCK = (BlockingIOError, InterruptedError, ssl.SSLWantReadError, ssl.SSLWantWriteError)
_pack_short, _pack_medium, _pack_long = (
    struct.Struct("!BB").pack,
    struct.Struct("!BBH").pack,
    struct.Struct("!BBQ").pack,
)


class _Seat:
    """Where a thread waits: woken when given the read role, or (a waiter) when its reply is in.

    ``asleep``, ``lead`` and the lock's state change only under the driver's ``_mutex``.
    The lock is made on the first sleep (a caller reading its own reply never sleeps).
    """

    __slots__ = ("_lock", "asleep", "lead")

    def __init__(self) -> None:
        self._lock: Any = None
        self.asleep = False
        self.lead = False

    def arm(self) -> None:
        """About to sleep (``_mutex`` held): a signal from now on wakes it."""
        if self._lock is None:
            self._lock = threading.Lock()
            self._lock.acquire()
        self.asleep = True


class _Waiter(_Seat):
    """A command waiting for its reply: a one-shot result slot (lighter than a ``Future``)."""

    __slots__ = ("done", "error", "value")

    def __init__(self) -> None:
        self._lock = None
        self.asleep = self.lead = self.done = False
        self.value: Any = None
        self.error: BaseException | None = None

    def result(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


#: Who holds the read role besides a calling thread's ``_Waiter``.
_READER = _Seat()  # the reader thread (also the connecting thread during connect())
_CLOSER = _Seat()  # close(), for the close handshake


class _EventQueue(queue.Queue):  # type: ignore[type-arg]
    """A bounded event queue for one reader and any consumers, without a lock per event.

    ``put_nowait`` appends to a deque and wakes a consumer only if one is waiting, and
    only once per batch while ``batching`` is set (the reader sets it around the
    frames of one ``recv()``). ``get`` takes from the deque; it locks only to wait.

    Examples:
        >>> q = _EventQueue(maxsize=2)
        >>> q.put_nowait("a"); q.put_nowait("b")
        >>> q.put_nowait("c")
        Traceback (most recent call last):
        queue.Full
        >>> q.get(timeout=0), q.qsize()
        ('a', 1)
    """

    def __init__(self, maxsize: int = 0) -> None:
        super().__init__(maxsize)
        self.batching = False
        self._sleepers = 0

    def qsize(self) -> int:
        return len(self.queue)

    def empty(self) -> bool:
        return not self.queue

    def full(self) -> bool:
        return 0 < self.maxsize <= len(self.queue)

    def put_nowait(self, item: object) -> None:
        items = self.queue
        if 0 < self.maxsize <= len(items):
            raise queue.Full
        items.append(item)
        if self._sleepers and not self.batching:
            self.wake()

    def put(self, item: object, block: bool = True, timeout: float | None = None) -> None:
        self.put_nowait(item)  # never blocks: the dispatcher drops the oldest event instead

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        items = self.queue
        try:
            return items.popleft()
        except IndexError:
            if not block:
                raise queue.Empty from None
        if timeout is not None and timeout < 0:
            raise ValueError("'timeout' must be a non-negative number")
        end = None if timeout is None else time.monotonic() + timeout
        with self.not_empty:
            self._sleepers += 1
            try:
                while True:
                    try:
                        return items.popleft()
                    except IndexError:
                        pass
                    if end is None:
                        self.not_empty.wait()
                        continue
                    remaining = end - time.monotonic()
                    if remaining <= 0:
                        raise queue.Empty
                    self.not_empty.wait(remaining)
            finally:
                self._sleepers -= 1

    def get_nowait(self) -> Any:
        return self.get(False)

    def end_batch(self) -> None:
        """The batch is queued: wake a waiting consumer (once) if there is anything to take."""
        self.batching = False
        self.flush()

    def flush(self) -> None:
        """Wake a waiting consumer now if there is anything to take."""
        if self._sleepers and self.queue:
            self.wake()

    def wake(self) -> None:
        with self.not_empty:
            self.not_empty.notify()


class _Never:
    """No event is one of these: a callback entry that never runs (see ``_SyncDispatcher.off``)."""


def _never(event: object) -> None:  # pragma: no cover - never called
    """The callback of the entry that holds events back while deferred ones wait."""


_HOLD = (_Never, _never)


class _SyncDispatcher(Dispatcher):
    """The dispatcher, with callbacks kept on the reader thread when a calling thread read the frame.

    While ``caller_led`` is set (a calling thread processes frames it read), events
    go to ``deferred`` as soon as a callback is registered (or events wait there
    already); the reader thread runs their callbacks and queues them, in order
    (``run_deferred``). Otherwise events are queued at once.
    """

    __slots__ = ("_defer_lock", "_draining", "_wake_reader", "caller_led", "deferred")

    def __init__(self, *args: Any, wake_reader: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.caller_led = False
        self.deferred: collections.deque[object] = collections.deque()
        self._draining = False
        self._defer_lock = threading.Lock()
        self._wake_reader = wake_reader

    def emit(self, event: object) -> None:
        if self.caller_led:
            if self.callbacks or self.deferred or self._draining:
                with self._defer_lock:
                    self.deferred.append(event)
                self._wake_reader()
            else:
                self.put(event)
            return
        if self.callbacks and isinstance(self.queue, _EventQueue):
            self.queue.flush()  # what came before is visible while the callbacks run
        super().emit(event)

    def off(self, event_type: type, callback: Any) -> None:
        super().off(event_type, callback)
        with self._defer_lock:
            if not self.callbacks and (self.deferred or self._draining):
                # feed() queues events itself when no callback is registered: while deferred
                # events wait, an entry that never runs keeps later ones behind them
                self.callbacks.append(_HOLD)

    def run_deferred(self) -> None:
        """Run the callbacks of the deferred events and queue them (on the reader thread)."""
        while True:
            with self._defer_lock:
                if not self.deferred:
                    self._draining = False
                    if _HOLD in self.callbacks:
                        self.callbacks.remove(_HOLD)
                    return
                self._draining = True  # before taking the event: a concurrent emit() then defers too
                event = self.deferred.popleft()
            super().emit(event)


def translate_connect_error(exc: BaseException, url: str) -> IotwsError:
    """Map a websocket-client / socket / ssl exception raised while connecting to iotws.

    Examples:
        >>> translate_connect_error(ConnectionRefusedError(111, "refused"), "ws://127.0.0.1:9/")
        ConnectError('cannot connect to ws://127.0.0.1:9/: [Errno 111] refused')
    """
    if isinstance(exc, IotwsError):
        return exc
    if isinstance(exc, websocket.WebSocketBadStatusException):
        status = exc.status_code
        if status == 401:
            return AuthenticationError(f"{url}: credentials rejected (HTTP 401)", status=401)
        return HandshakeError(f"{url}: upgrade rejected with HTTP {status}", status=status)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return TLSError(f"{url}: TLS certificate verification failed: {exc.verify_message}")
    if isinstance(exc, ssl.SSLError):
        return TLSError(f"{url}: TLS error: {exc}")
    if isinstance(exc, (websocket.WebSocketTimeoutException, socket.timeout, TimeoutError)):
        return ConnectError(f"{url}: timed out while connecting")
    if isinstance(exc, websocket.WebSocketException):
        return HandshakeError(f"{url}: WebSocket upgrade failed: {exc}")
    return ConnectError(f"cannot connect to {url}: {exc}")


class _Deadline:
    """The end of one connection attempt: ``connect_timeout`` from TCP to the protocol's hello.

    The reader's own waits honour ``when``; a watchdog thread also cuts the socket a
    moment after it, because websocket-client's upgrade (and a frame that trickles in)
    blocks in ``recv()`` with a per-call timeout that a slow server can renew for ever.
    """

    #: How long after the deadline the watchdog cuts the socket (the reader's own timers go first).
    GRACE = 0.2

    def __init__(self, seconds: float) -> None:
        self.when = time.monotonic() + seconds
        self.expired = False
        self._ws: websocket.WebSocket | None = None
        self._sock: socket.socket | None = None
        self._fire = threading.Event()
        self._done = threading.Event()
        threading.Thread(target=self._watch, name="iotws-connect-deadline", daemon=True).start()

    def watch(self, ws: websocket.WebSocket) -> None:
        """Cut ``ws`` when the deadline passes."""
        self._ws = ws

    def watch_socket(self, sock: socket.socket) -> None:
        """Cut the TCP socket ``sock`` when the deadline passes (also during the TLS handshake)."""
        self._sock = sock

    @property
    def remaining(self) -> float:
        """Seconds left (a little more than zero once it has passed, for socket timeouts)."""
        return max(0.001, self.when - time.monotonic())

    def cut(self) -> None:
        """Give up now (the client is closing)."""
        self._fire.set()

    def cancel(self) -> None:
        """The attempt is over: stop watching."""
        self._done.set()
        self._fire.set()

    def _watch(self) -> None:
        self._fire.wait(self.when + self.GRACE - time.monotonic())
        while not self._done.is_set():
            self.expired = True
            ws = self._ws
            sock = self._sock or (ws.sock if ws is not None else None)
            if sock is not None:  # still making the TCP connection when None: look again soon
                try:
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)  # the plain socket, even under TLS
                except OSError:
                    pass
                return
            self._done.wait(0.05)


def _open_socket(url: str, ctx: ssl.SSLContext | None, deadline: _Deadline) -> socket.socket:
    """A TCP connection to ``url``'s host (and its TLS handshake with ``ctx``), within ``deadline``."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "wss" else 80)
    raw = socket.create_connection((host, port), timeout=deadline.remaining)
    deadline.watch_socket(raw)
    try:
        raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        if ctx is None:
            return raw
        raw.settimeout(deadline.remaining)
        return ctx.wrap_socket(raw, server_hostname=host)
    except BaseException:
        raw.close()
        raise


class SyncDriver:
    """Owns one logical connection (reconnecting as its policy says) for a sync client."""

    def __init__(
        self,
        core: ProtocolCore,
        options: ConnectOptions,
        logger: logging.Logger | None = None,
    ) -> None:
        self.core = core
        self.options: ConnectOptions = options
        self.log: logging.Logger = logger or package_logger("iotws")
        self.events: queue.Queue[object] = _EventQueue(maxsize=options.event_queue_size)
        self.dispatcher: _SyncDispatcher = _SyncDispatcher(
            core, self.events, self.log, self._complete, wake_reader=self._wake_reader
        )
        #: Guards the core, the waiters by token and sending a command's frames.
        self._lock = threading.RLock()
        #: Guards the read role and the seats (never held while reading, sending or running callbacks).
        self._mutex = threading.Lock()
        #: Serialises writes to the socket (commands, pongs, pings, close frames).
        self._wlock = threading.Lock()
        self._futures: dict[int, _Waiter] = {}
        self._ws: websocket.WebSocket | None = None
        self._ready = False
        self._closing = threading.Event()
        self._stop = False  # the same as _closing.is_set(), cheaper to read on the hot path
        self._thread: threading.Thread | None = None
        self._reader_ident: int | None = None
        self._last_error: BaseException | None = None
        #: Set when the server's close frame meant "do not come back" (``core.close_error``).
        self._final: IotwsError | None = None
        #: True while a (re)connection's socket is open but its opening exchange is not done.
        self._handshaking = False
        self._live = Liveness(options.ping_interval, options.ping_timeout, core.idle_timeout())
        #: Nudges for the reader thread (only it drains them), and the stop signal for all
        #: (written by close(), never drained: every select() on it returns from then on).
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._stop_r: socket.socket | None = None
        self._stop_w: socket.socket | None = None
        #: The connection attempt under way, if any (``close()`` cuts it short).
        self._attempt: _Deadline | None = None
        # -- the read role (leader/follower) --
        #: Who reads the socket: ``_READER``, ``_CLOSER``, a calling thread's waiter, or ``None``: free
        #: (the next call takes it; the reader thread takes it back within ``HANDBACK`` seconds).
        self._leader: _Seat | None = _READER
        #: The calling thread the reader thread last saw reading, and whether it sleeps until it is done.
        self._seen_leader: _Seat | None = None
        self._parked_long = False
        #: When the role was last left free (``time.monotonic()``).
        self._freed_at = 0.0
        #: How long the reader thread sleeps before it looks again whether calls stopped.
        self._park = HANDBACK
        self._park_max = HANDBACK_MAX
        #: Callers asleep while another thread reads, in arrival order.
        self._followers: list[_Waiter] = []
        #: Whether the reader thread is blocked in ``select()`` holding the role (a caller may take it).
        self._selecting = False
        self._reader_seat = _Seat()
        #: ``close()`` waiting for a calling thread to hand the role over.
        self._closer: _Seat | None = None
        #: A link failure (or a bug) met by a calling thread while reading: the reader thread raises it.
        self._link_error: BaseException | None = None
        # -- received bytes --
        self._rbuf = bytearray()  # the start of a frame not complete yet (or frames not parsed yet)
        self._parsed: list[Frame | ProtocolError] = []  # messages parsed but not processed yet
        self._more = False  # the last recv() filled its buffer: more is probably waiting
        # a fragmented message being received: its opcode, parts and size so far
        self._message_opcode: int | None = None
        self._message: list[bytes] = []
        self._message_size = 0
        self._masks = b""
        self._mask_at = 4096

    # -- public ---------------------------------------------------------------
    @property
    def connected(self) -> bool:
        """Whether the link is up and commands can be sent."""
        return self._ready

    def connect(self) -> None:
        """Open the connection and finish the protocol's opening exchange, or raise."""
        if self._thread is not None:
            return
        self._closing.clear()
        self._stop = False
        self._final = None
        with self._mutex:
            self._leader = _READER  # this thread reads until the reader thread takes over
            self._followers.clear()
            self._closer = None
            self._link_error = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._stop_r, self._stop_w = socket.socketpair()
        for end in (self._wake_r, self._wake_w, self._stop_r, self._stop_w):
            end.setblocking(False)
        try:
            self._establish()
        except BaseException:
            self._close_wake()
            raise
        self.dispatcher.emit(Connected(url=self.options.safe_url))
        self._thread = threading.Thread(target=self._run, name=f"iotws-{self.core.name}-reader", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Close the link, stop reconnecting, fail pending commands.

        The server has ``close_timeout`` seconds to answer the close frame before
        the connection is cut, so this returns promptly whatever the server does.
        """
        self._closing.set()
        self._stop = True
        self._wake(stop=True)  # never drained: every select() returns at once from now on
        attempt = self._attempt
        if attempt is not None:
            attempt.cut()  # a reconnection under way stops now
        self._wake_reader()  # a parked reader thread stops now
        thread = self._thread
        own = thread is threading.current_thread()
        if thread is not None and not own:
            thread.join(timeout=self.options.close_timeout)  # woken: it stops at once, unless in a callback
        ws = self._ws
        alone = self._claim_role(self.options.close_timeout)  # a calling thread reading hands over
        if ws is not None:
            if alone and (thread is None or own or not thread.is_alive()):
                self._close_handshake(ws)  # nobody else reads this socket now
            else:
                self._close_socket(ws, graceful=True)
        if thread is not None and not own:
            thread.join(timeout=5)
        self._thread = None
        self._fail_all(ConnectionClosed("client closed"))
        if self._ready or ws is not None:
            self.log.info("closed %s", self.options.safe_url)
        self._ready = False
        self._ws = None
        self._close_wake()
        if thread is None or own or not thread.is_alive():
            self.dispatcher.run_deferred()  # events a calling thread read just before: not lost
        self.dispatcher.end()

    def execute(self, command: Command[Any], timeout: float | None = None) -> Any:
        """Send ``command``; return its result, or raise its error / a timeout."""
        wait = timeout if timeout is not None else command.timeout or self.options.request_timeout
        with self._lock:
            ws = self._ws
            if not self._ready or ws is None or self._stop:
                raise self._not_connected()
            submission = self.core.submit(command)
            token = submission.token
            waiter: _Waiter | None = None
            if token is not None:
                waiter = _Waiter()
                self._futures[token] = waiter
            try:
                for frame in submission.frames:
                    self._send(ws, frame)
            except Exception as exc:
                if token is not None:
                    self._futures.pop(token, None)
                    self.core.cancel(token)
                raise ConnectionClosed(f"cannot send: the link dropped ({exc})") from exc
        if waiter is None:
            return command.sent_result()
        if not waiter.done:
            self._await(waiter, time.monotonic() + wait)
        if waiter.done:
            return waiter.result()
        with self._lock:
            if self._futures.pop(token, None) is None and waiter.done:  # type: ignore[arg-type]
                return waiter.result()  # completed while the wait was timing out
            self.core.cancel(token)  # type: ignore[arg-type]
        raise RequestTimeout(f"{self.core.name}: no reply within {wait:g} s")

    def refresh_idle_timeout(self) -> None:
        """Re-read the core's [`idle_timeout`][iotws.sansio.ProtocolCore.idle_timeout] for the open link.

        A new connection reads it by itself; a protocol whose idle timeout follows what
        the application asked for (Globiots: its subscription's update time) calls this
        after such a change, and the reader recomputes how long it may wait.
        """
        self._live.idle_timeout = self.core.idle_timeout()
        self._wake()

    def drop(self, reason: str = "dropped by the client") -> None:
        """Cut the current link (e.g. a liveness check failed); the reconnect policy applies."""
        ws = self._ws
        if ws is not None:
            self.log.warning("dropping the link to %s: %s", self.options.safe_url, reason)
            self._close_socket(ws, graceful=False)

    def send_frames(self, frames: list[Frame]) -> None:
        """Send raw frames on the current connection (for cores' automatic answers)."""
        with self._lock:
            ws = self._ws
            if not self._ready or ws is None:
                raise self._not_connected()
            for frame in frames:
                self._send(ws, frame)

    # -- the read role ----------------------------------------------------------
    def _await(self, waiter: _Waiter, deadline: float) -> None:
        """Return once ``waiter`` is done or ``deadline`` passed, reading the socket meanwhile if free."""
        mutex = self._mutex
        if threading.get_ident() == self._reader_ident:  # a callback on the reader thread: only wait
            with mutex:
                if waiter.done:
                    return
                waiter.arm()
            self._sleep(waiter, deadline - time.monotonic())
            return
        while True:
            mutex.acquire()
            if waiter.done:
                mutex.release()
                return
            if waiter.lead:  # handed the role by the thread that read before
                waiter.lead = False
                lead = True
            elif (remaining := deadline - time.monotonic()) <= 0:
                mutex.release()
                return
            elif (
                (self._leader is None or (self._leader is _READER and self._selecting))
                and self._link_error is None
                and not self._stop
            ):
                if self._leader is _READER:
                    self._wake()  # the reader thread only waits for data: it steps aside
                self._leader = waiter  # and this thread reads its own reply
                lead = True
            else:
                lead = False
                waiter.arm()
                self._followers.append(waiter)
            mutex.release()
            if lead:
                self._lead(waiter, deadline)
                continue
            self._sleep(waiter, remaining)
            with mutex:
                if waiter in self._followers:
                    self._followers.remove(waiter)

    def _lead(self, waiter: _Waiter, deadline: float) -> None:
        """Read (holding the role) until ``waiter`` is done or ``deadline`` passes; then pass the role on."""
        ws = self._ws
        try:
            while not waiter.done and ws is not None and not self._stop:
                frames = self._take(ws, deadline, reader=False)
                if frames:
                    self._process(ws, frames, caller_led=True)
                if not waiter.done and time.monotonic() >= deadline:
                    break  # (checked even while frames keep coming)
        except Exception as exc:  # the link dropped, or a bug: the reader thread deals with it
            self._link_error = exc
        finally:
            with self._mutex:
                self._pass_role()

    def _pass_role(self) -> None:
        """The thread reading stops: hand the role to close(), a waiting caller, or the reader thread.

        Called with ``_mutex`` held.
        """
        closer = self._closer
        if closer is not None:
            self._closer = None
            self._leader = _CLOSER
            self._signal(closer)
            return
        if self._link_error is None and not self._stop:
            followers = self._followers
            while followers:
                follower = followers.pop(0)
                if follower.asleep and not follower.done:
                    follower.lead = True
                    self._leader = follower
                    self._signal(follower)
                    return
            self._leader = None  # free: the next call takes it, or the reader thread within HANDBACK
            self._freed_at = time.monotonic()
            if self._parked_long:
                self._signal(self._reader_seat)
            return
        self._leader = _READER  # it has an error to raise, or it stops
        self._signal(self._reader_seat)
        if self._selecting:
            self._wake()  # it may never have left select()

    def _claim_role(self, timeout: float) -> bool:
        """Take the role for close(): ``False`` if a calling thread did not hand it over in time."""
        with self._mutex:
            if not isinstance(self._leader, _Waiter):
                self._leader = _CLOSER
                return True
            seat = self._closer = _Seat()
            seat.arm()
        self._sleep(seat, timeout)
        with self._mutex:
            if self._closer is seat:
                self._closer = None
                return False
            return True

    @staticmethod
    def _signal(seat: _Seat) -> None:
        """Wake ``seat`` if it sleeps (``_mutex`` held)."""
        if seat.asleep:
            seat.asleep = False
            seat._lock.release()

    def _sleep(self, seat: _Seat, timeout: float | None) -> None:
        """Sleep until signalled or ``timeout`` (``seat.asleep`` was set under ``_mutex``)."""
        if seat._lock.acquire(timeout=-1 if timeout is None else max(0.0, timeout)):
            return
        with self._mutex:
            if seat.asleep:
                seat.asleep = False  # a real timeout
            else:
                seat._lock.acquire()  # signalled just as the wait timed out: re-arm (never blocks)

    def _wake_reader(self) -> None:
        """Have the reader thread look at its work (deferred events, closing), whether parked or in select()."""
        with self._mutex:
            if self._reader_seat.asleep:
                self._signal(self._reader_seat)
            elif self._selecting:
                self._wake()

    # -- connection -----------------------------------------------------------
    def _not_connected(self) -> ConnectionClosed:
        if self._closing.is_set():
            return ConnectionClosed("client is closed")
        if self.dispatcher.stopped:
            return ConnectionClosed(f"the client stopped: {self._last_error}")
        if self._thread is not None:
            if self._handshaking:
                return ConnectionClosed("not connected yet: the link is open; waiting for the opening exchange")
            return ConnectionClosed(f"not connected (reconnecting; last error: {self._last_error})")
        return ConnectionClosed("not connected: call connect() first")

    def _open(self, deadline: _Deadline) -> websocket.WebSocket:
        opts = self.options
        headers = opts.request_headers()
        self.log.info("connecting to %s", opts.safe_url)
        self.log.debug("upgrade headers: %s", redact_headers(headers))
        kwargs: dict[str, Any] = {"header": headers, "timeout": opts.connect_timeout}
        if opts.subprotocols:
            kwargs["subprotocols"] = list(opts.subprotocols)
        ctx = opts.tls_context()  # the TLS handshake is ours (_open_socket), not websocket-client's
        ws = websocket.WebSocket(skip_utf8_validation=True, enable_multithread=True)
        deadline.watch(ws)
        try:
            # the TCP connection and the TLS handshake are made here, on a socket the deadline's
            # watchdog can cut: websocket-client's own would be out of its reach until connected
            kwargs["socket"] = _open_socket(opts.url, ctx, deadline)
            ws.connect(opts.url, **kwargs)  # type: ignore[no-untyped-call]
        except Exception as exc:
            raise translate_connect_error(exc, opts.safe_url) from exc
        return ws

    def _establish(self) -> None:
        """Open a socket, send the core's opening frames, wait for its handshake.

        All of it, from the TCP connection to the protocol's hello, within ``connect_timeout``.
        """
        opts = self.options
        deadline = _Deadline(opts.connect_timeout)
        self._attempt = deadline
        ws: websocket.WebSocket | None = None
        try:
            ws = self._open(deadline)
            ws.sock.settimeout(0.0)  # type: ignore[union-attr]  # from now on: select() where a wait is wanted, then non-blocking I/O
            self._handshaking = True
            self._reset_message()
            self._rbuf = bytearray()
            self._parsed = []
            self._more = False
            self._live = Liveness(opts.ping_interval, opts.ping_timeout, self.core.idle_timeout())
            self._live.reset(time.monotonic())
            with self._lock:
                self.core.connection_lost()
                for frame in self.core.on_connect():
                    self._send(ws, frame)
                grace = self.core.handshake_wait()
            until = deadline.when if grace is None else min(deadline.when, time.monotonic() + grace)
            while not self.core.handshake_complete():
                if time.monotonic() >= until:
                    with self._lock:
                        self.core.handshake_timed_out()
                    continue
                frames = self._take(ws, until, reader=True)
                for i, message in enumerate(frames):  # one by one: what follows the hello waits for the reader
                    self._process(ws, [message], caller_led=False)
                    if i + 1 < len(frames) and self.core.handshake_complete():
                        self._parsed = frames[i + 1 :]
                        break
        except BaseException as exc:
            if ws is not None:
                self._close_socket(ws, graceful=False)
            if deadline.expired and isinstance(exc, LINK_ERRORS):
                raise ConnectError(f"{opts.safe_url}: timed out while connecting") from exc
            if isinstance(exc, IotwsError):
                raise
            if isinstance(exc, LINK_ERRORS):
                raise translate_connect_error(exc, opts.safe_url) from exc
            raise  # a bug (in a core, say): not a connection problem to retry
        finally:
            deadline.cancel()
            self._attempt = None
            self._handshaking = False
        with self._lock:
            self._ws = ws
            self._ready = True
        self.log.info("connected to %s", opts.safe_url)

    def _run(self) -> None:
        """Reader thread. Whatever escapes it (a bug) stops the client with that error."""
        self._reader_ident = threading.get_ident()
        try:
            self._serve()
        except BaseException as exc:
            self._crash(exc)

    def _serve(self) -> None:
        """Receive until the link drops, then reconnect per policy."""
        connected_at = time.monotonic()
        attempts = 0
        while not self._closing.is_set():
            ws = self._ws
            error: BaseException | None = None
            try:
                assert ws is not None
                self._read_loop(ws)
            except LINK_ERRORS as exc:
                error = exc
            if self._closing.is_set():
                return
            self._lost(ws, error)
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
                if self._closing.wait(delay):
                    return
                try:
                    self._establish()
                except IotwsError as exc:
                    if self._closing.is_set():
                        return
                    self._last_error = exc
                    self.log.warning("reconnect attempt %d failed: %s", attempts, exc)
                    if self._final is not None or policy.gives_up(attempts) or not policy.retry_on(exc):
                        self._give_up(exc)
                        return
                    continue
                if self._closing.is_set():
                    return
                connected_at = time.monotonic()
                self.dispatcher.emit(Reconnected(attempts=attempts))
                attempts = 0 if policy.reset_after == 0 else attempts
                break

    def _read_loop(self, ws: websocket.WebSocket) -> None:
        """The reader thread's part: read while it holds the role, park while a calling thread reads."""
        mutex = self._mutex
        seat = self._reader_seat
        dispatcher = self.dispatcher
        while True:
            mutex.acquire()
            if dispatcher.deferred:  # seen under the mutex: an event deferred later nudges this thread
                mutex.release()
                dispatcher.run_deferred()  # callbacks of events a calling thread read
                continue
            if self._closing.is_set():
                mutex.release()
                raise ConnectionClosed("client closed")
            leader = self._leader
            if leader is None:
                idle = time.monotonic() - self._freed_at
                if idle < HANDBACK:  # calls follow each other: leave it to them a little longer
                    seat.arm()
                    mutex.release()
                    self._sleep(seat, HANDBACK - idle)
                    continue
                self._leader = _READER  # nobody took it after the last call: read again
                self._park = HANDBACK
            elif leader is not _READER:  # a calling thread reads
                # the same call still reading since the last look: sleep until it hands back;
                # otherwise calls follow each other: look again later (they hand back without waking us)
                self._parked_long = long = leader is self._seen_leader
                self._seen_leader = leader
                seat.arm()
                mutex.release()
                self._sleep(seat, None if long else self._park)
                with mutex:
                    self._parked_long = False
                    if not long:
                        self._park = min(2 * self._park, self._park_max)
                continue
            error = self._link_error
            if error is not None:  # met by a calling thread while it read
                self._link_error = None
                mutex.release()
                raise error
            followers = self._followers
            while followers:  # callers wait (they came while this thread was busy): one of them reads
                follower = followers.pop(0)
                if follower.asleep and not follower.done:
                    follower.lead = True
                    self._leader = follower
                    self._signal(follower)
                    break
            if self._leader is not _READER:
                mutex.release()
                continue
            if self._parsed or self._more or self._pending(ws):
                mutex.release()  # no waiting: what is there is read at once
            else:
                self._selecting = True  # from here a calling thread may take the role
                mutex.release()
                state = self._wait(ws, None, reader=True)
                with mutex:
                    self._selecting = False
                    if self._leader is not _READER:
                        continue  # taken: the calling thread reads what came
                if state == 0:
                    if not self._stop and self._live.quiet(time.monotonic()):
                        self._ping(ws)
                    continue
                if state < 0:
                    raise ConnectionClosed("socket closed")
            frames = self._take(ws, None, reader=True, wait=False)
            if frames:
                self._process(ws, frames, caller_led=False)

    # -- reading ----------------------------------------------------------------
    def _pending(self, ws: websocket.WebSocket) -> bool:
        sock = ws.sock
        return isinstance(sock, ssl.SSLSocket) and sock.pending() > 0

    def _wait(self, ws: websocket.WebSocket, until: float | None, reader: bool) -> int:
        """Wait for data up to ``until`` and the liveness deadline: 1 readable, 0 not (yet), -1 socket closed.

        The reader thread (``reader``) also wakes up for its nudges; a calling thread only for close().
        """
        sock = ws.sock
        if sock is None:
            return -1
        now = time.monotonic()
        wait = self._live.deadline(now) - now
        if until is not None:
            wait = min(wait, until - now)
        wake = self._wake_r if reader else self._stop_r
        try:
            readable, _, _ = select.select([sock] if wake is None else [sock, wake], [], [], max(0.0, wait))
        except (OSError, ValueError):  # closed under our feet (close() or drop())
            return -1
        if not readable or self._stop:
            return 0
        if wake is not None and wake in readable:
            if reader:
                self._drain_wake()  # a nudge (work to do, the idle timeout changed): look again
            return 0
        return 1

    def _take(
        self, ws: websocket.WebSocket, until: float | None, reader: bool, wait: bool = True
    ) -> list[Frame | ProtocolError]:
        """The next messages: those parsed already, else what one ``recv()`` brings (waiting up to ``until``).

        ``[]`` when nothing came in time (a ping is sent when due). Raises on a link failure.
        ``wait=False``: the reader thread waited already (it must not block here, where a
        calling thread could not take the role).
        """
        if self._parsed:
            frames, self._parsed = self._parsed, []
            return frames
        if self._rbuf:
            frames = self._parse(ws, self._rbuf)  # a whole frame left behind (the buffer kept an error)
            if frames:
                return frames
        sock = ws.sock
        if sock is None:
            raise ConnectionClosed("socket closed")
        if wait and not self._more and not self._pending(ws):
            state = self._wait(ws, until, reader)
            if state < 0:
                raise ConnectionClosed("socket closed")
            if state == 0:
                if not self._stop and self._live.quiet(time.monotonic()):
                    self._ping(ws)
                return []
        try:
            data = sock.recv(RECV_SIZE)
        except _WOULD_BLOCK:
            self._more = False
            return []
        if not data:
            raise websocket.WebSocketConnectionClosedException("Connection to remote host was lost.")
        self._more = len(data) == RECV_SIZE
        self._live.received(time.monotonic())
        buf = self._rbuf
        if buf:
            buf += data
            return self._parse(ws, buf)
        return self._parse(ws, data)

    def _parse(self, ws: websocket.WebSocket, buf: bytes | bytearray) -> list[Frame | ProtocolError]:
        """Every whole message in ``buf`` (fresh bytes, or ``_rbuf`` itself); the rest is kept in ``_rbuf``.

        Frames are checked by their header, before their payload is awaited. A frame that
        ends the link (close, refused) after messages is left for the next call, so that
        those messages are processed first.
        """
        out: list[Frame | ProtocolError] = []
        pos = 0
        size = len(buf)
        limit = self.options.max_message_size
        try:
            while size - pos >= 2:
                first = buf[pos]
                length = buf[pos + 1]
                start = pos + 2
                masked = length & 0x80
                length &= 0x7F
                if length == 126:
                    if size - pos < 4:
                        break
                    length = (buf[pos + 2] << 8) | buf[pos + 3]
                    start += 2
                elif length == 127:
                    if size - pos < 10:
                        break
                    length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                    start += 8
                opcode = first & 0x0F
                fin = first & 0x80
                if first & 0x70 or opcode > _OP_PONG or 2 < opcode < _OP_CLOSE:
                    if out:
                        self._more = True  # this frame ends the link: after the messages before it
                        break
                    what = "reserved bits set" if first & 0x70 else f"the unknown opcode {opcode:#x}"
                    self._refuse(ws, f"a frame with {what}")
                if opcode < _OP_CLOSE:
                    if (opcode == _OP_CONT) != (self._message_opcode is not None):
                        if out:
                            self._more = True  # this frame ends the link: after the messages before it
                            break
                        self._refuse(
                            ws,
                            "a continuation frame" if opcode == _OP_CONT else "a new message inside a fragmented one",
                        )
                    if self._message_size + length > limit:
                        if out:
                            self._more = True  # this frame ends the link: after the messages before it
                            break
                        total = self._message_size + length
                        self._close_socket(ws, graceful=True, status=1009)  # before a byte of it
                        raise ConnectionClosed(f"message of {total} bytes exceeds max_message_size={limit}", code=1009)
                elif length > 125 or not fin:
                    if out:
                        self._more = True  # this frame ends the link: after the messages before it
                        break
                    self._refuse(ws, f"a control frame of {length} bytes{'' if fin else ', fragmented'}")
                if masked:
                    start += 4
                stop = start + length
                if stop > size:
                    break  # the payload is not all here yet
                if masked:
                    payload = _mask(bytes(buf[start - 4 : start]), bytes(buf[start:stop]))
                elif opcode == _OP_TEXT and fin:
                    try:  # the common case: a whole text message
                        out.append(buf[start:stop].decode("utf-8"))
                    except UnicodeDecodeError as exc:
                        out.append(_not_utf8(exc, bytes(buf[start:stop])))
                    pos = stop
                    continue
                else:
                    payload = bytes(buf[start:stop])
                if opcode >= _OP_CLOSE:
                    if opcode == _OP_CLOSE:
                        if out:
                            self._more = True  # this frame ends the link: after the messages before it
                            break
                        self._closed_by_server(ws, payload)
                    pos = stop
                    if opcode == _OP_PONG:
                        self._live.ponged(time.monotonic())
                    else:
                        self._write_frame(ws, _OP_PONG, payload)
                    continue
                pos = stop
                if not fin:
                    if opcode != _OP_CONT:
                        self._message_opcode = opcode
                    self._message.append(payload)
                    self._message_size += length
                    continue
                if opcode == _OP_CONT:
                    assert self._message_opcode is not None
                    opcode = self._message_opcode
                    self._message.append(payload)
                    payload = b"".join(self._message)
                    self._reset_message()
                if opcode == _OP_TEXT:
                    try:
                        out.append(payload.decode("utf-8"))
                    except UnicodeDecodeError as exc:
                        out.append(_not_utf8(exc, payload))
                else:
                    out.append(payload)
        finally:
            if isinstance(buf, bytearray):  # the buffer is _rbuf
                del buf[:pos]
            elif pos < size:
                self._rbuf += memoryview(buf)[pos:]
        return out

    def _refuse(self, ws: websocket.WebSocket, what: str) -> None:
        """Close with 1002 over a malformed frame, before reading its payload."""
        self._close_socket(ws, graceful=True, status=1002)
        raise ConnectionClosed(f"protocol error: the server sent {what}", code=1002)

    def _closed_by_server(self, ws: websocket.WebSocket, data: bytes) -> None:
        """The server's close frame: answer it and end the link (``core.close_error`` may make it final)."""
        if len(data) == 1:
            self._refuse(ws, "an invalid close frame")
        code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
        if code is not None and code not in _VALID_CLOSE and not 3000 <= code < 5000:
            self._refuse(ws, f"a close frame with the invalid code {code}")
        reason = data[2:].decode("utf-8", "replace") if len(data) > 2 else ""
        detail = f", {reason}" if reason else ""
        with self._lock:
            self._final = self.core.close_error(code, reason)
        try:
            self._write_frame(ws, _OP_CLOSE, data[:2])  # answer the close handshake
        except Exception:
            self.log.debug("close frame not answered", exc_info=True)
        raise ConnectionClosed(f"server closed the connection (code {code}{detail})", code=code, reason=reason)

    def _reset_message(self) -> None:
        self._message_opcode = None
        self._message = []
        self._message_size = 0

    def _process(self, ws: websocket.WebSocket, frames: list[Frame | ProtocolError], caller_led: bool) -> None:
        """Feed ``frames`` to the core; the queue's consumer is woken once, after all of them."""
        dispatcher = self.dispatcher
        events = self.events
        batch = isinstance(events, _EventQueue)
        dispatcher.caller_led = caller_led
        if batch:
            events.batching = True  # type: ignore[attr-defined]
        try:
            with self._lock:
                feed = dispatcher.feed
                for message in frames:
                    if isinstance(message, ProtocolError):
                        dispatcher.violation(message)
                    else:
                        feed(message)
                for frame in self.core.data_to_send():
                    self._send(ws, frame)
        finally:
            dispatcher.caller_led = False
            if batch:
                events.end_batch()  # type: ignore[attr-defined]

    # -- writing ----------------------------------------------------------------
    def _send(self, ws: websocket.WebSocket, frame: Frame) -> None:
        if self.log.isEnabledFor(logging.DEBUG):
            self.log.debug(">> %s", self.core.describe(frame))
        if isinstance(frame, str):
            self._write_frame(ws, _OP_TEXT, frame.encode("utf-8"))
        else:
            self._write_frame(ws, _OP_BINARY, bytes(frame))

    def _ping(self, ws: websocket.WebSocket) -> None:
        self._write_frame(ws, _OP_PING, b"")

    def _write_frame(self, ws: websocket.WebSocket, opcode: int, payload: bytes) -> None:
        """Write one masked frame (RFC 6455: a client masks every frame with a fresh random key)."""
        length = len(payload)
        if length < 126:
            header = _pack_short(0x80 | opcode, 0x80 | length)
        elif length < 65536:
            header = _pack_medium(0x80 | opcode, 0xFE, length)
        else:
            header = _pack_long(0x80 | opcode, 0xFF, length)
        with self._wlock:
            at = self._mask_at
            if at >= 4096:
                self._masks, at = os.urandom(4096), 0  # fresh random keys, 4 bytes per frame
            key = self._masks[at : at + 4]
            self._mask_at = at + 4
            if length:
                repeated = key * (length >> 2) + key[: length & 3]
                masked = (int.from_bytes(payload, "little") ^ int.from_bytes(repeated, "little")).to_bytes(
                    length, "little"
                )
                data = header + key + masked
            else:
                data = header + key
            sock = ws.sock
            if sock is None:
                raise websocket.WebSocketConnectionClosedException("socket is already closed.")
            try:
                sent = sock.send(data)
            except _WOULD_BLOCK:
                sent = 0
            if sent < len(data):  # the usual case is that the socket took it all at once
                self._write(ws, memoryview(data)[sent:])

    def _write(self, ws: websocket.WebSocket, view: memoryview) -> None:
        """Write the rest of a frame (``_wlock`` held); a write stalled for ``connect_timeout`` raises."""
        while view:
            sock = ws.sock
            if sock is None:
                raise websocket.WebSocketConnectionClosedException("socket is already closed.")
            try:
                view = view[sock.send(view) :]
                continue
            except _WOULD_BLOCK:
                pass
            _, writable, _ = select.select([], [sock], [], self.options.connect_timeout)
            if not writable:
                raise websocket.WebSocketTimeoutException("timed out sending a frame")

    # -- failure handling -----------------------------------------------------
    def _complete(self, reply: Reply) -> None:
        waiter = self._futures.pop(reply.token, None)
        if waiter is None:
            return
        with self._mutex:
            if waiter.done:
                return
            waiter.value, waiter.error = reply.value, reply.error
            waiter.done = True
            self._signal(waiter)

    def _fail_all(self, error: BaseException) -> None:
        with self._lock:
            waiters, self._futures = self._futures, {}
            self.core.connection_lost()
            with self._mutex:
                for waiter in waiters.values():
                    if not waiter.done:
                        waiter.error = error
                        waiter.done = True
                        self._signal(waiter)

    def _lost(self, ws: websocket.WebSocket | None, error: BaseException | None) -> None:
        self.dispatcher.run_deferred()  # what a calling thread read before the loss comes first
        with self._lock:
            self._ready = False
            self._ws = None
        if ws is not None:
            self._close_socket(ws, graceful=False)
        reason = error if isinstance(error, ConnectionClosed) else ConnectionClosed(f"link lost: {error}")
        if isinstance(error, ConnectionClosed):
            self._last_error = error
        else:
            self._last_error = reason
            reason.__cause__ = error
        self.log.warning("lost connection to %s: %s", self.options.safe_url, error)
        self._fail_all(ConnectionClosed(f"the link dropped while the command was in flight: {error}"))
        policy = self.options.reconnect
        will = self._final is None and policy is not None and policy.retry_on(self._last_error)
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

    def _crash(self, error: BaseException) -> None:
        """The reader failed with ``error`` (a bug): cut the link, fail commands, end the stream with it."""
        if self._closing.is_set():
            self.log.debug("reader stopped while closing: %r", error)
            return
        self.log.error("the reader of %s failed; the client stops", self.options.safe_url, exc_info=error)
        try:
            try:
                self.dispatcher.run_deferred()  # what a calling thread read before the failure
            except Exception:
                self.log.exception("events read before the failure could not be delivered")
            with self._lock:
                ws, self._ws = self._ws, None
                self._ready = False
            if ws is not None:
                self._close_socket(ws, graceful=True, status=1011)
            self._last_error = error
            failure = ConnectionClosed(f"the client stopped: its reader failed with {error!r}")
            failure.__cause__ = error
            self._fail_all(failure)
        finally:
            self.dispatcher.end(error, reason=f"the reader failed: {error!r}")

    def _close_handshake(self, ws: websocket.WebSocket) -> None:
        """Send a close frame, give the server ``close_timeout`` seconds to answer it, then cut."""
        deadline = time.monotonic() + self.options.close_timeout
        try:
            self._write_frame(ws, _OP_CLOSE, struct.pack("!H", 1000))
            buf = self._rbuf
            while (sock := ws.sock) is not None and not _answered(buf, self.options.max_message_size):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                if not self._pending(ws):
                    readable, _, _ = select.select([sock], [], [], remaining)
                    if not readable:
                        break
                try:
                    data = sock.recv(RECV_SIZE)
                except _WOULD_BLOCK:
                    continue
                if not data:
                    break
                buf += data  # late messages are dropped: the client is closing
        except Exception:  # the link may be gone already; closing must not fail
            self.log.debug("close handshake cut short", exc_info=True)
        self._close_socket(ws, graceful=False)

    def _close_socket(self, ws: websocket.WebSocket, graceful: bool, status: int = 1000) -> None:
        try:
            if graceful:
                self._write_frame(ws, _OP_CLOSE, struct.pack("!H", status))
        except Exception:  # the link may already be gone; closing must not fail
            self.log.debug("close frame not sent", exc_info=True)
        sock = ws.sock
        if sock is not None:
            try:
                socket.socket.shutdown(sock, socket.SHUT_RDWR)  # wakes a reader blocked in select()
            except OSError:
                pass
        try:
            ws.shutdown()  # type: ignore[no-untyped-call]
        except Exception:
            self.log.debug("socket shutdown failed", exc_info=True)

    def _wake(self, stop: bool = False) -> None:
        for end in (self._wake_w, self._stop_w) if stop else (self._wake_w,):
            if end is not None:
                try:
                    end.send(b"x")
                except OSError:
                    pass

    def _drain_wake(self) -> None:
        if self._wake_r is not None:
            try:
                self._wake_r.recv(64)
            except OSError:
                pass

    def _close_wake(self) -> None:
        for sock in (self._wake_r, self._wake_w, self._stop_r, self._stop_w):
            if sock is not None:
                sock.close()
        self._wake_r = self._wake_w = self._stop_r = self._stop_w = None


def _mask(key: bytes, data: bytes) -> bytes:
    """``data`` XOR the 4-byte ``key`` repeated (masking and unmasking are the same).

    Examples:
        >>> _mask(b"\\x01\\x02\\x03\\x04", b"abcde")
        b'````d'
    """
    n = len(data)
    repeated = key * (n >> 2) + key[: n & 3]
    return (int.from_bytes(data, "little") ^ int.from_bytes(repeated, "little")).to_bytes(n, "little")


def _not_utf8(exc: UnicodeDecodeError, data: bytes) -> ProtocolError:
    return ProtocolError(f"text frame is not valid UTF-8: {exc}", frame=data)


def _answered(buf: bytearray, limit: int) -> bool:
    """Whether ``buf`` holds the server's close frame (or a frame too big to wait for): skips the others."""
    pos = 0
    size = len(buf)
    while size - pos >= 2:
        opcode, length = buf[pos] & 0x0F, buf[pos + 1] & 0x7F
        start = pos + 2
        if length == 126:
            if size - pos < 4:
                break
            length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
            start += 2
        elif length == 127:
            if size - pos < 10:
                break
            length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
            start += 8
        if buf[pos + 1] & 0x80:
            start += 4
        if opcode == _OP_CLOSE or length > limit:
            return True
        if start + length > size:
            break
        pos = start + length
    del buf[:pos]
    return False
