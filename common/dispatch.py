"""What both drivers do with a core's output, written once.

[`Dispatcher`][iotws.dispatch.Dispatcher] feeds frames to the core, completes waiting commands with
[`Reply`][iotws.sansio.Reply] objects, runs callbacks and fills the bounded event
queue, dropping (and counting) the oldest events when a consumer falls behind.

Examples:
    >>> import queue
    >>> from iotws.sansio import ProtocolCore
    >>> class Echo(ProtocolCore):
    ...     def receive(self, frame):
    ...         return [frame]
    >>> d = Dispatcher(Echo(), queue.Queue(maxsize=1), package_logger("demo"))
    >>> d.feed("a"); d.feed("b")
    >>> d.dropped_events, d.queue.get_nowait()
    (1, 'b')
"""

from __future__ import annotations

import inspect
import logging
import queue
from collections.abc import Callable
from typing import Any, Protocol

from iotws.errors import IotwsError, ProtocolError
from iotws.events import ProtocolViolation, Stopped
from iotws.logs import package_logger
from iotws.sansio import Frame, ProtocolCore, Reply

__all__ = ["END_OF_STREAM", "Dispatcher", "EndOfStream"]


class EventQueue(Protocol):
    """The part of ``queue.Queue`` / ``asyncio.Queue`` the dispatcher uses."""

    def put_nowait(self, item: Any) -> None: ...
    def get_nowait(self) -> Any: ...


class EndOfStream:
    """Marks the end of an event stream; ``error`` is why, when it was not a clean close."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException | None = None) -> None:
        self.error: BaseException | None = error


END_OF_STREAM = EndOfStream()



_THREAD_ERRORS: tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]] = ((queue.Full,), (queue.Empty,))
_ASYNC_ERRORS: tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]] | None = None


def _queue_errors(events: EventQueue) -> tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]]:
    """The "full" and "empty" exceptions of ``events`` (asyncio is imported only for an asyncio queue)."""
    global _ASYNC_ERRORS
    if isinstance(events, queue.Queue):
        return _THREAD_ERRORS
    if _ASYNC_ERRORS is None:
        import asyncio

        _ASYNC_ERRORS = (queue.Full, asyncio.QueueFull), (queue.Empty, asyncio.QueueEmpty)
    return _ASYNC_ERRORS


def _ignore(reply: Reply) -> None:
    """The default ``complete``: nobody waits for replies."""


class Dispatcher:
    """Routes a core's output: replies to waiters, events to callbacks and the queue.

    One per connection of either driver; slotted, since an async program may hold
    thousands of them.
    """

    __slots__ = (
        "_empty",
        "_full",
        "callbacks",
        "complete",
        "core",
        "dropped_events",
        "log",
        "queue",
        "schedule",
        "stopped",
    )

    def __init__(
        self,
        core: ProtocolCore,
        events: EventQueue,
        logger: logging.Logger | None = None,
        complete: Callable[[Reply], None] | None = None,
    ) -> None:
        self.core = core
        self.queue = events
        self._full, self._empty = _queue_errors(events)
        self.log: logging.Logger = logger or package_logger("iotws")
        self.complete: Callable[[Reply], object] = complete or _ignore
        self.callbacks: list[tuple[type, Callable[[Any], Any]]] = []
        self.dropped_events: int = 0
        self.schedule: Callable[[Any], None] | None = None
        self.stopped: bool = False
        """Whether the final [`Stopped`][iotws.Stopped] event went out."""

    def on(self, event_type: type, callback: Callable[[Any], Any]) -> None:
        """Call ``callback(event)`` for every event that is an instance of ``event_type``."""
        self.callbacks.append((event_type, callback))

    def off(self, event_type: type, callback: Callable[[Any], Any]) -> None:
        """Remove a callback registered with [`on`][iotws.dispatch.Dispatcher.on] (no error if absent)."""
        try:
            self.callbacks.remove((event_type, callback))
        except ValueError:
            pass

    def feed(self, frame: Frame) -> None:
        """Hand one received frame to the core and route what comes out."""
        if self.log.isEnabledFor(logging.DEBUG):
            self.log.debug("<< %s", self.core.describe(frame))
        try:
            items = self.core.receive(frame)
        except ProtocolError as exc:
            self.violation(exc)
            return
        except IotwsError:
            raise  # the core says this connection cannot go on (e.g. credentials refused)
        except Exception as exc:  # a core bug must not kill the reader
            self.log.exception("%s core failed on a frame", self.core.name)
            self.violation(ProtocolError(f"cannot process frame: {exc!r}", frame=frame))
            return
        for item in items:
            if item.__class__ is Reply:
                self.complete(item)
            elif self.callbacks or isinstance(item, ProtocolViolation):
                if isinstance(item, ProtocolViolation):  # a core that kept what was good in a frame
                    self.log.warning("%s: part of a frame was malformed: %s", self.core.name, item.error)
                self.emit(item)
            else:  # no callbacks: straight to the queue
                try:
                    self.queue.put_nowait(item)
                except self._full:
                    self.put(item)

    def violation(self, error: ProtocolError) -> None:
        """Log a malformed frame and surface it as a [`ProtocolViolation`][iotws.ProtocolViolation] event."""
        self.log.warning("%s: ignoring a malformed frame: %s", self.core.name, error)
        self.emit(ProtocolViolation(error))

    def emit(self, event: object) -> None:
        """Run matching callbacks, then queue ``event``, dropping the oldest if full."""
        for event_type, callback in list(self.callbacks) if self.callbacks else ():
            if isinstance(event, event_type):
                try:
                    result = callback(event)
                    if inspect.isawaitable(result) and self.schedule is not None:
                        self.schedule(result)
                except Exception:
                    self.log.exception("callback %r failed on %r", callback, type(event).__name__)
        self.put(event)

    def put(self, item: object) -> None:
        """Queue ``item``; when the queue is full, drop and count the oldest event."""
        while True:
            try:
                self.queue.put_nowait(item)
                return
            except self._full:
                try:
                    self.queue.get_nowait()
                except self._empty:
                    continue
                self.dropped_events += 1
                n = self.dropped_events
                if n & (n - 1) == 0:  # 1, 2, 4, 8...: loud at first, then quieter
                    self.log.warning(
                        "event queue full: dropped the oldest event (%d dropped so far); "
                        "consume events faster or raise event_queue_size",
                        n,
                    )

    def end(self, error: BaseException | None = None, reason: str | None = None) -> None:
        """Close the stream with a final [`Stopped`][iotws.Stopped] event (once); consumers stop after it.

        ``error`` (if any) is raised to consumers after the events already queued;
        ``reason`` is the words of the ``Stopped`` event (default: the error's text,
        or "closed by the application").
        """
        if not self.stopped:
            self.stopped = True
            text = reason or (str(error) if error is not None else "closed by the application")
            self.emit(Stopped(text, error))
        self.put(EndOfStream(error) if error is not None else END_OF_STREAM)
