"""Lifecycle events that every client puts into its event stream.

Protocol packages add their own typed events; these three are shared so that a
consumer can tell link state changes and bad frames apart from data.

Examples:
    >>> from iotws.events import Disconnected
    >>> Disconnected(error=None, will_reconnect=True).will_reconnect
    True
"""

from __future__ import annotations

from typing import TypeAlias

import attrs

from iotws.errors import ProtocolError

__all__ = ["Connected", "Disconnected", "LifecycleEvent", "LinkEvent", "ProtocolViolation", "Reconnected", "Stopped"]


@attrs.frozen(slots=True)
class LifecycleEvent:
    """Base class of the shared lifecycle events.

    Examples:
        >>> isinstance(Reconnected(attempts=1), LifecycleEvent)
        True
    """


@attrs.frozen(slots=True)
class Connected(LifecycleEvent):
    """The first connection is open and the protocol's opening exchange is done.

    Examples:
        >>> Connected(url="ws://127.0.0.1:8080/ws").url
        'ws://127.0.0.1:8080/ws'
    """

    url: str


@attrs.frozen(slots=True)
class Disconnected(LifecycleEvent):
    """The link dropped. ``will_reconnect`` says whether a reconnect is scheduled.

    Examples:
        >>> ev = Disconnected(error=ConnectionResetError("reset"), will_reconnect=False)
        >>> ev.will_reconnect
        False
    """

    error: BaseException | None
    will_reconnect: bool


@attrs.frozen(slots=True)
class Reconnected(LifecycleEvent):
    """A new connection is open, and the protocol's ``on_connect()`` frames were replayed.

    ``attempts`` counts the connection attempts it took.

    Examples:
        >>> Reconnected(attempts=3).attempts
        3
    """

    attempts: int


@attrs.frozen(slots=True)
class ProtocolViolation(LifecycleEvent):
    """The peer sent a frame that could not be understood; the client keeps working.

    Examples:
        >>> ev = ProtocolViolation(ProtocolError("not JSON", frame="{x"))
        >>> str(ev.error)
        "not JSON (frame: '{x')"
    """

    error: ProtocolError


@attrs.frozen(slots=True)
class Stopped(LifecycleEvent):
    """The client stopped for good: the last event of its stream.

    ``reason`` says why in words; ``error`` is what ended it (``None`` when the
    application closed the client). It comes after the last ``Disconnected`` when the
    client gave up reconnecting, when the server's close meant "do not come back"
    (see [`iotws.sansio.ProtocolCore.close_error`][]), or when reconnecting is off.

    Examples:
        >>> Stopped("closed by the application", None).error is None
        True
    """

    reason: str
    error: BaseException | None = None


LinkEvent: TypeAlias = Connected | Disconnected | Reconnected | ProtocolViolation | Stopped
"""The shared events every client's ``events()`` can yield besides its protocol's own;
each protocol's ``Event`` union is its own events ``| LinkEvent``.
"""
