"""What both drivers do with a core's output, written once.

:class:`Dispatcher` feeds frames to the core, completes waiting commands with
:class:`~iotws.sansio.Reply` objects, runs callbacks and fills the bounded event
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



def _queue_errors(events: EventQueue) -> tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]]:
    """The "full" and "empty" exceptions of ``events`` (asyncio is imported only for an asyncio queue)."""
    if isinstance(events, queue.Queue):
        return (queue.Full,), (queue.Empty,)
    import asyncio

    return (queue.Full, asyncio.QueueFull), (queue.Empty, asyncio.QueueEmpty)


class Dispatcher:
    """Routes a core's output: replies to waiters, events to callbacks and the queue."""

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
        self.complete: Callable[[Reply], object] = complete or (lambda reply: None)
        self.callbacks: list[tuple[type, Callable[[Any], Any]]] = []
        self.dropped_events: int = 0
        self.schedule: Callable[[Any], None] | None = None
        #: Whether the final :class:`Stopped` event went out.
        self.stopped: bool = False

    def on(self, event_type: type, callback: Callable[[Any], Any]) -> None:
        """Call ``callback(event)`` for every event that is an instance of ``event_type``."""
        self.callbacks.append((event_type, callback))

    def off(self, event_type: type, callback: Callable[[Any], Any]) -> None:
        """Remove a callback registered with :meth:`on` (no error if absent)."""
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
            if isinstance(item, Reply):
                self.complete(item)
            else:
                if isinstance(item, ProtocolViolation):  # a core that kept what was good in a frame
                    self.log.warning("%s: part of a frame was malformed: %s", self.core.name, item.error)
                self.emit(item)

    def violation(self, error: ProtocolError) -> None:
        """Log a malformed frame and surface it as a :class:`ProtocolViolation` event."""
        self.log.warning("%s: ignoring a malformed frame: %s", self.core.name, error)
        self.emit(ProtocolViolation(error))

    def emit(self, event: object) -> None:
        """Run matching callbacks, then queue ``event``, dropping the oldest if full."""
        for event_type, callback in list(self.callbacks):
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
        """Close the stream with a final :class:`Stopped` event (once); consumers stop after it.

        ``error`` (if any) is raised to consumers after the events already queued;
        ``reason`` is the words of the ``Stopped`` event (default: the error's text,
        or "closed by the application").
        """
        if not self.stopped:
            self.stopped = True
            text = reason or (str(error) if error is not None else "closed by the application")
            self.emit(Stopped(text, error))
        self.put(EndOfStream(error) if error is not None else END_OF_STREAM)
