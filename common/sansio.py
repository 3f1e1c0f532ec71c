"""The sans-I/O base that every protocol core implements.

A core turns received frames into events and replies, and commands into frames.
It never opens a socket, sleeps, reads the clock or starts a thread; the two
drivers in [`iotws.sync_driver`][] and [`iotws.async_driver`][] do the I/O.

The contract between a core and a driver:

* [`ProtocolCore.on_connect`][iotws.sansio.ProtocolCore.on_connect] gives the frames sent first on every
  (re)connection, before any user command is released (hello, filters,
  subscriptions to replay).
* [`ProtocolCore.handshake_complete`][iotws.sansio.ProtocolCore.handshake_complete] tells the driver whether the opening
  exchange is over; the driver keeps feeding frames until it is, or until
  [`ProtocolCore.handshake_wait`][iotws.sansio.ProtocolCore.handshake_wait] (default: the connect timeout) runs out,
  when it calls [`ProtocolCore.handshake_timed_out`][iotws.sansio.ProtocolCore.handshake_timed_out].
* [`ProtocolCore.receive`][iotws.sansio.ProtocolCore.receive] parses one frame into a list of items: typed
  events for the user, and [`Reply`][iotws.sansio.Reply] objects that complete a command. It
  raises [`ProtocolError`][iotws.ProtocolError] for malformed input (reported,
  the link stays up); any other [`IotwsError`][iotws.IotwsError] it raises
  ends the connection (during the handshake, ``connect()`` raises it).
* [`ProtocolCore.submit`][iotws.sansio.ProtocolCore.submit] turns a [`Command`][iotws.commands.Command] into a
  [`Submission`][iotws.sansio.Submission] (frames plus the token its reply will carry).
* [`ProtocolCore.data_to_send`][iotws.sansio.ProtocolCore.data_to_send] hands over frames the core wants sent on its
  own (automatic answers); the driver drains it after every call.

Examples:
    >>> class Echo(ProtocolCore):
    ...     def receive(self, frame):
    ...         return [frame]
    >>> Echo().receive("hi")
    ['hi']
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import msgspec

from iotws.errors import HandshakeError, IotwsError
from iotws.logs import describe_frame

if TYPE_CHECKING:
    from iotws.commands import Command

__all__ = ["Frame", "PendingRequests", "ProtocolCore", "Reply", "Submission"]

Frame = str | bytes
"""One WebSocket message: ``str`` goes out as a text frame, ``bytes`` as a binary frame."""

K = TypeVar("K")


class Reply(msgspec.Struct, frozen=True):
    """The outcome of a command, produced by a core for the driver to hand to the caller.

    Exactly one of ``value`` and ``error`` is meaningful: when ``error`` is set the
    caller gets it raised.

    Examples:
        >>> Reply(token=1, value={"ok": True}).value
        {'ok': True}
    """

    token: int
    value: object = None
    error: BaseException | None = None


class Submission(msgspec.Struct, frozen=True, gc=False):
    """What a core makes of a command: the frames to send and the reply token.

    ``token`` is ``None`` for commands that complete as soon as they are sent.

    Examples:
        >>> Submission(frames=["{}"], token=None).token is None
        True
    """

    frames: list[Frame]
    token: int | None


class PendingRequests(Generic[K]):
    """Book-keeping for commands waiting for a reply, by correlation key or in order.

    Tokens are unique for the life of the object, so a late reply to an abandoned
    request can never complete a newer one.

    Examples:
        >>> pending: PendingRequests[int] = PendingRequests()
        >>> token = pending.add("read", key=7)
        >>> pending.pop_key(7)
        (1, 'read')
        >>> pending.pop_key(7) is None
        True
    """

    __slots__ = ("_by_key", "_counter", "_keys", "_order")

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._order: dict[int, Any] = {}
        self._by_key: dict[K, int] = {}
        self._keys: dict[int, K] = {}

    def __len__(self) -> int:
        return len(self._order)

    def __iter__(self) -> Iterator[int]:
        return iter(list(self._order))

    def add(self, command: Any, key: K | None = None) -> int:
        """Register ``command`` and return its new token; ``key`` correlates replies by id."""
        token = next(self._counter)
        self._order[token] = command
        if key is not None:
            self._by_key[key] = token
            self._keys[token] = key
        return token

    def get(self, token: int) -> Any:
        """Return the command registered under ``token`` (``None`` if there is none)."""
        return self._order.get(token)

    def pop_key(self, key: K) -> tuple[int, Any] | None:
        """Remove and return ``(token, command)`` registered under ``key``, if any."""
        token = self._by_key.pop(key, None)
        if token is None:
            return None
        self._keys.pop(token, None)
        return token, self._order.pop(token)

    def pop_first(self, match: Callable[[Any], bool] | None = None) -> tuple[int, Any] | None:
        """Remove and return the oldest pending command (that ``match`` accepts)."""
        for token, command in self._order.items():
            if match is None or match(command):
                self.discard(token)
                return token, command
        return None

    def discard(self, token: int) -> None:
        """Forget ``token`` (its reply timed out or its link dropped)."""
        self._order.pop(token, None)
        key = self._keys.pop(token, None)
        if key is not None:
            self._by_key.pop(key, None)

    def clear(self) -> list[int]:
        """Forget every pending command and return their tokens."""
        tokens = list(self._order)
        self._order.clear()
        self._by_key.clear()
        self._keys.clear()
        return tokens


class ProtocolCore:
    """Base class of a protocol's sans-I/O core. Subclasses implement [`receive`][iotws.sansio.ProtocolCore.receive].

    The default [`submit`][iotws.sansio.ProtocolCore.submit] sends ``command.encode(token)``; commands whose
    ``expects_reply`` is true are registered in [`pending`][iotws.sansio.ProtocolCore.pending] and the core must
    later return a [`Reply`][iotws.sansio.Reply] with that token from [`receive`][iotws.sansio.ProtocolCore.receive].

    Examples:
        >>> class Upper(ProtocolCore):
        ...     def receive(self, frame):
        ...         return [str(frame).upper()]
        >>> Upper().receive("on")
        ['ON']
    """

    name = "iotws"
    """A short name used in log messages and errors."""

    def __init__(self) -> None:
        self.pending: PendingRequests[Any] = PendingRequests()
        self._outgoing: list[Frame] = []

    # -- connection lifecycle -------------------------------------------------
    def on_connect(self) -> list[Frame]:
        """Frames to send first on every (re)connection. Default: none."""
        return []

    def handshake_complete(self) -> bool:
        """Whether the opening exchange is over and user commands may go out."""
        return True

    def idle_timeout(self) -> float | None:
        """Seconds of silence from the server after which the link counts as dead.

        ``None`` (the default): rely on WebSocket pings. A protocol whose server
        pushes on a known period (Globiots) returns a few periods; the driver then
        reconnects when nothing arrives for that long.
        """
        return None

    def handshake_wait(self) -> float | None:
        """Seconds to wait for the opening exchange before
        [`handshake_timed_out`][iotws.sansio.ProtocolCore.handshake_timed_out].

        ``None`` (the default) waits up to the client's ``connect_timeout``. A protocol
        whose success is silence (OISP) returns its grace period here.
        """
        return None

    def handshake_timed_out(self) -> None:
        """Called when the handshake is not complete within the connect timeout.

        The default raises [`HandshakeError`][iotws.HandshakeError]; a protocol whose
        success is silence (OISP) marks itself complete instead.
        """
        raise HandshakeError(f"{self.name}: the server did not complete the opening exchange")

    def close_error(self, code: int | None, reason: str) -> IotwsError | None:
        """Whether the peer's close frame (``code``, ``reason``) ends the client for good.

        Both drivers ask this when the server closes the WebSocket, before the
        reconnect policy. Return an error to stop for good with it (no reconnect: the
        event stream ends with [`Stopped`][iotws.Stopped] carrying it), or ``None``
        (the default) to let the reconnect policy decide. OISP uses it: its server closes
        an older socket with code 1000 when another one registers the same device.

        Examples:
            >>> ProtocolCore().close_error(1000, "") is None
            True
        """
        return None

    def connection_lost(self) -> None:
        """Forget per-connection state. Pending commands are failed by the driver."""
        self.pending.clear()
        self._outgoing.clear()

    # -- traffic --------------------------------------------------------------
    def receive(self, frame: Frame) -> list[object]:
        """Parse one frame into events and [`Reply`][iotws.sansio.Reply] objects."""
        raise NotImplementedError(f"{type(self).__name__} must implement receive()")

    def submit(self, command: Command[Any]) -> Submission:
        """Turn ``command`` into frames, registering it when it expects a reply."""
        token = self.pending.add(command, command.correlation_key()) if command.expects_reply else None
        return Submission(frames=command.encode(token), token=token)

    def cancel(self, token: int) -> None:
        """The caller stopped waiting for ``token`` (timeout): forget it."""
        self.pending.discard(token)

    def describe(self, frame: Frame) -> str:
        """A short text of ``frame`` for DEBUG logs; override to hide credentials it carries."""
        return describe_frame(frame)

    def send_later(self, frame: Frame) -> None:
        """Queue a frame for the driver to send (for automatic answers)."""
        self._outgoing.append(frame)

    def data_to_send(self) -> list[Frame]:
        """Take the frames queued with [`send_later`][iotws.sansio.ProtocolCore.send_later]."""
        frames, self._outgoing = self._outgoing, []
        return frames
