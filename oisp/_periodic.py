"""The timer behind ``app_ping_interval``, once per flavour: an asyncio task or a thread.

The clients' source (``async_client.py``) starts an ``AsyncPeriodic``; the
generated sync client starts a ``Periodic`` (``scripts/unasync.py`` drops the
``Async`` prefix). Only the timer differs; what runs each period is the client's own
method, written once.

Examples:
    >>> import threading
    >>> ticked = threading.Event()
    >>> timer = Periodic(0.01, ticked.set, "example")
    >>> timer.start()
    >>> ticked.wait(5)
    True
    >>> timer.cancel(); timer.wait()
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from iotws.logs import package_logger

if TYPE_CHECKING:  # asyncio loads with the first AsyncPeriodic, so a sync-only program never imports it
    import asyncio

__all__ = ["AsyncPeriodic", "Periodic"]

log = package_logger("iotws.oisp")


class Periodic:
    """Call ``action()`` every ``interval`` seconds in a daemon thread until cancelled.

    An exception from ``action`` is logged and the timer goes on.

    Examples:
        >>> timer = Periodic(60.0, lambda: None, "example")
        >>> timer.start(); timer.cancel(); timer.wait()
    """

    def __init__(self, interval: float, action: Callable[[], object], name: str) -> None:
        self.interval = interval
        self.action = action
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Start the thread; the first call comes after one interval."""
        self._thread.start()

    def cancel(self) -> None:
        """Stop calling ``action`` (a call under way finishes)."""
        self._stop.set()

    def wait(self) -> None:
        """Wait (up to 5 s) for the thread to end, unless called from it."""
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.action()
            except Exception:
                log.exception("%s failed", self._thread.name)


class AsyncPeriodic:
    """Await ``action()`` every ``interval`` seconds in an asyncio task until cancelled.

    An exception from ``action`` is logged and the timer goes on.

    Examples:
        >>> import asyncio
        >>> async def tick():
        ...     pass
        >>> async def main():
        ...     timer = AsyncPeriodic(60.0, tick, "example")
        ...     timer.start(); timer.cancel()
        ...     await timer.wait()
        >>> asyncio.run(main())
    """

    def __init__(self, interval: float, action: Callable[[], Awaitable[object]], name: str) -> None:
        self.interval = interval
        self.action = action
        self.name = name
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the task in the running loop; the first call comes after one interval."""
        import asyncio

        self._task = asyncio.create_task(self._run(), name=self.name)

    def cancel(self) -> None:
        """Stop awaiting ``action`` (a call under way is cancelled)."""
        import asyncio

        if self._task is not None and self._task is not asyncio.current_task():
            self._task.cancel()

    async def wait(self) -> None:
        """Wait for the task to end, unless called from it."""
        import asyncio

        task = self._task
        if task is not None and task is not asyncio.current_task():
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        import asyncio

        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.action()
            except Exception:
                log.exception("%s failed", self.name)
