"""The synchronous driver: websocket-client, one reader thread, ``concurrent.futures``.

It never touches asyncio, so it works inside Jupyter's running event loop. The
reader thread receives frames, feeds the core, sends pings, and runs the
reconnect loop; user threads submit commands and wait on futures.

Examples:
    >>> from iotws.sansio import ProtocolCore
    >>> from iotws.options import ConnectOptions
    >>> drv = SyncDriver(ProtocolCore(), ConnectOptions("ws://127.0.0.1:9/"))
    >>> drv.connected
    False
"""

from __future__ import annotations

import logging
import queue
import select
import socket
import ssl
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

#: What a broken or closed link raises in the reader: the driver reconnects after these.
#: Anything else escaping the reader is a bug; it stops the client with that error.
LINK_ERRORS: tuple[type[BaseException], ...] = (IotwsError, OSError, websocket.WebSocketException)

_OP_CONT, _OP_TEXT, _OP_BINARY = websocket.ABNF.OPCODE_CONT, websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY
_OP_CLOSE, _OP_PING, _OP_PONG = websocket.ABNF.OPCODE_CLOSE, websocket.ABNF.OPCODE_PING, websocket.ABNF.OPCODE_PONG
_DATA_OPCODES = frozenset({_OP_CONT, _OP_TEXT, _OP_BINARY})
_CONTROL_OPCODES = frozenset({_OP_CLOSE, _OP_PING, _OP_PONG})


class _Waiter:
    """A one-shot result slot: lighter than ``concurrent.futures.Future`` on the hot path."""

    __slots__ = ("_lock", "error", "value")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lock.acquire()
        self.value: Any = None
        self.error: BaseException | None = None

    def done(self) -> bool:
        return not self._lock.locked()

    def set_result(self, value: Any) -> None:
        self.value = value
        self._lock.release()

    def set_exception(self, error: BaseException) -> None:
        self.error = error
        self._lock.release()

    def wait(self, timeout: float) -> bool:
        """Wait until completed; ``False`` on timeout."""
        return self._lock.acquire(timeout=timeout)

    def result(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.value


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

    The reader's own waits honour :attr:`when`; a watchdog thread also cuts the socket a
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
        self.events: queue.Queue[object] = queue.Queue(maxsize=options.event_queue_size)
        self.dispatcher: Dispatcher = Dispatcher(core, self.events, self.log, self._complete)
        self._lock = threading.RLock()
        # websocket-client's own lock (enable_multithread=True) serialises writes
        self._futures: dict[int, _Waiter] = {}
        self._ws: websocket.WebSocket | None = None
        self._ready = False
        self._closing = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_error: BaseException | None = None
        #: Set when the server's close frame meant "do not come back" (``core.close_error``).
        self._final: IotwsError | None = None
        #: True while a (re)connection's socket is open but its opening exchange is not done.
        self._handshaking = False
        self._live = Liveness(options.ping_interval, options.ping_timeout, core.idle_timeout())
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        #: The connection attempt under way, if any (``close()`` cuts it short).
        self._attempt: _Deadline | None = None
        # a fragmented message being received: its opcode, parts and size so far
        self._message_opcode: int | None = None
        self._message: list[bytes] = []
        self._message_size = 0

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
        self._final = None
        self._wake_r, self._wake_w = socket.socketpair()
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
        self._wake()
        attempt = self._attempt
        if attempt is not None:
            attempt.cut()  # a reconnection under way stops now
        thread = self._thread
        own = thread is threading.current_thread()
        if thread is not None and not own:
            thread.join(timeout=self.options.close_timeout)  # woken: it stops at once, unless in a callback
        ws = self._ws
        if ws is not None:
            if thread is None or own or not thread.is_alive():
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
        self.dispatcher.end()

    def execute(self, command: Command[Any], timeout: float | None = None) -> Any:
        """Send ``command``; return its result, or raise its error / a timeout."""
        wait = timeout if timeout is not None else command.timeout or self.options.request_timeout
        with self._lock:
            ws = self._ws
            if not self._ready or ws is None:
                raise self._not_connected()
            submission = self.core.submit(command)
            token = submission.token
            future: _Waiter | None = None
            if token is not None:
                future = _Waiter()
                self._futures[token] = future
            try:
                for frame in submission.frames:
                    self._send(ws, frame)
            except Exception as exc:
                if token is not None:
                    self._futures.pop(token, None)
                    self.core.cancel(token)
                raise ConnectionClosed(f"cannot send: the link dropped ({exc})") from exc
        if future is None:
            return command.sent_result()
        if future.wait(wait):
            return future.result()
        with self._lock:
            if token is not None and self._futures.pop(token, None) is None and future.done():
                return future.result()  # completed while the wait was timing out
            self.core.cancel(token)  # type: ignore[arg-type]
        raise RequestTimeout(f"{self.core.name}: no reply within {wait:g} s")

    def refresh_idle_timeout(self) -> None:
        """Re-read the core's :meth:`~iotws.sansio.ProtocolCore.idle_timeout` for the open link.

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
            self._handshaking = True
            self._reset_message()
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
                received = self._recv(ws, deadline=until)
                if received is not None:
                    with self._lock:
                        self.dispatcher.feed(received)
                        self._flush(ws)
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
        while not self._closing.is_set():
            received = self._recv(ws, deadline=None)
            if received is None:
                continue
            with self._lock:
                self.dispatcher.feed(received)
                self._flush(ws)

    def _recv(self, ws: websocket.WebSocket, deadline: float | None) -> Frame | None:
        """Receive one frame, sending pings when due. ``None``: no message yet, look again."""
        sock = ws.sock
        if sock is None:
            raise ConnectionClosed("socket closed")
        if not (isinstance(sock, ssl.SSLSocket) and sock.pending() > 0):
            now = time.monotonic()
            wait = self._live.deadline(now) - now
            if deadline is not None:
                wait = min(wait, deadline - now)
            wake = self._wake_r
            try:
                readable, _, _ = select.select([sock] if wake is None else [sock, wake], [], [], max(0.0, wait))
            except (OSError, ValueError) as exc:  # closed under our feet (close() or drop())
                raise ConnectionClosed("socket closed") from exc
            if wake is not None and wake in readable:
                self._drain_wake()
            if self._closing.is_set():
                raise ConnectionClosed("client closed")
            if sock not in readable:
                if self._live.quiet(time.monotonic()):
                    ws.ping()
                return None
        return self._read_frame(ws)

    def _peek(self, ws: websocket.WebSocket) -> tuple[int, bool, int]:
        """Read the next frame's header (opcode, FIN, payload length), but not its payload."""
        buffer = ws.frame_buffer
        with buffer.lock:
            if buffer.needs_header():
                buffer.recv_header()
            if buffer.needs_length():
                buffer.recv_length()
            header, length = buffer.header, buffer.length
        assert header is not None and length is not None
        return int(header[4]), bool(header[0]), int(length)

    def _read_frame(self, ws: websocket.WebSocket) -> Frame | None:
        """Read one frame, refusing it by its header when it is too big or malformed.

        Returns a whole message, or ``None`` after a control frame or a fragment.
        """
        opcode, fin, length = self._peek(ws)
        if opcode in _DATA_OPCODES:
            if (opcode == _OP_CONT) != (self._message_opcode is not None):
                out_of_place = "a continuation frame" if opcode == _OP_CONT else "a new message inside a fragmented one"
                self._refuse(ws, out_of_place)
            size = self._message_size + length
            limit = self.options.max_message_size
            if size > limit:
                self._close_socket(ws, graceful=True, status=1009)  # before reading a byte of it
                raise ConnectionClosed(f"message of {size} bytes exceeds max_message_size={limit}", code=1009)
        elif opcode in _CONTROL_OPCODES:
            if length > 125 or not fin:
                self._refuse(ws, f"a control frame of {length} bytes{'' if fin else ', fragmented'}")
        else:
            self._refuse(ws, f"a frame with the unknown opcode {opcode:#x}")
        payload = ws.frame_buffer.recv_frame().data  # read now that it is known to fit
        data = payload if isinstance(payload, bytes) else payload.encode()
        if opcode == _OP_PONG:
            self._live.ponged(time.monotonic())
            return None
        self._live.received(time.monotonic())
        if opcode == _OP_PING:
            ws.pong(data)
            return None
        if opcode == _OP_CLOSE:
            code = int.from_bytes(data[:2], "big") if len(data) >= 2 else None
            reason = data[2:].decode("utf-8", "replace") if len(data) > 2 else ""
            detail = f", {reason}" if reason else ""
            with self._lock:
                self._final = self.core.close_error(code, reason)
            try:
                ws.send_close()  # answer the close handshake
            except Exception:
                self.log.debug("close frame not answered", exc_info=True)
            raise ConnectionClosed(f"server closed the connection (code {code}{detail})", code=code, reason=reason)
        if not fin:
            if opcode != _OP_CONT:
                self._message_opcode = opcode
            self._message.append(data)
            self._message_size += len(data)
            return None
        if opcode == _OP_CONT:
            assert self._message_opcode is not None
            opcode = self._message_opcode
            self._message.append(data)
            data = b"".join(self._message)
            self._reset_message()
        if opcode == _OP_TEXT:
            try:
                return data.decode("utf-8")
            except UnicodeDecodeError as exc:
                self.dispatcher.violation(ProtocolError(f"text frame is not valid UTF-8: {exc}", frame=data))
                return None
        return bytes(data)

    def _refuse(self, ws: websocket.WebSocket, what: str) -> None:
        """Close with 1002 over a malformed frame, before reading its payload."""
        self._close_socket(ws, graceful=True, status=1002)
        raise ConnectionClosed(f"protocol error: the server sent {what}", code=1002)

    def _reset_message(self) -> None:
        self._message_opcode = None
        self._message = []
        self._message_size = 0

    def _send(self, ws: websocket.WebSocket, frame: Frame) -> None:
        if self.log.isEnabledFor(logging.DEBUG):
            self.log.debug(">> %s", self.core.describe(frame))
        if isinstance(frame, str):
            ws.send(frame, websocket.ABNF.OPCODE_TEXT)
        else:
            ws.send_bytes(frame)

    def _flush(self, ws: websocket.WebSocket) -> None:
        for frame in self.core.data_to_send():
            self._send(ws, frame)

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
        with self._lock:
            futures, self._futures = self._futures, {}
            self.core.connection_lost()
        for future in futures.values():
            if not future.done():
                future.set_exception(error)

    def _lost(self, ws: websocket.WebSocket | None, error: BaseException | None) -> None:
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
            ws.send_close(status=1000)
            while (sock := ws.sock) is not None:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                if not (isinstance(sock, ssl.SSLSocket) and sock.pending() > 0):
                    readable, _, _ = select.select([sock], [], [], remaining)
                    if not readable:
                        break
                ws.settimeout(remaining)
                opcode, _, length = self._peek(ws)
                if opcode == _OP_CLOSE or length > self.options.max_message_size:
                    break  # answered (or flooded): done
                ws.frame_buffer.recv_frame()  # a late message: dropped, the client is closing
        except Exception:  # the link may be gone already; closing must not fail
            self.log.debug("close handshake cut short", exc_info=True)
        self._close_socket(ws, graceful=False)

    def _close_socket(self, ws: websocket.WebSocket, graceful: bool, status: int = 1000) -> None:
        try:
            if graceful:
                ws.send_close(status=status)
        except Exception:  # the link may already be gone; closing must not fail
            self.log.debug("close frame not sent", exc_info=True)
        sock = ws.sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes a reader blocked in select()
            except OSError:
                pass
        try:
            ws.shutdown()  # type: ignore[no-untyped-call]
        except Exception:
            self.log.debug("socket shutdown failed", exc_info=True)

    def _wake(self) -> None:
        if self._wake_w is not None:
            try:
                self._wake_w.send(b"x")
            except OSError:
                pass

    def _drain_wake(self) -> None:
        if self._wake_r is not None:
            try:
                self._wake_r.recv(64)
            except OSError:
                pass

    def _close_wake(self) -> None:
        for sock in (self._wake_r, self._wake_w):
            if sock is not None:
                sock.close()
        self._wake_r = self._wake_w = None
