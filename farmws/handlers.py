"""How a device client runs its command handlers: plain functions, or ``async def`` ones awaited.

[`DeviceCore`][iotws.farmws.DeviceCore] calls a handler when a server command
arrives and sends its result as the reply. A handler written with ``async def``
returns a coroutine instead: the asyncio
[`AsyncDeviceClient`][iotws.farmws.AsyncDeviceClient] awaits it in a task of its own
([`AsyncHandlerRunner`][iotws.farmws.handlers.AsyncHandlerRunner]); the synchronous
[`DeviceClient`][iotws.farmws.DeviceClient]
has nothing to run it on, so it refuses such a handler when it is registered
([`HandlerRunner`][iotws.farmws.handlers.HandlerRunner]). The asyncio client source names the one and
``scripts/unasync.py`` turns the name into the other, so the device client's methods
are written once.

Examples:
    >>> from iotws.farmws import DeviceClient
    >>> async def start(command):
    ...     return True
    >>> DeviceClient("ws://127.0.0.1:9", name="pump").handle("irrigation start", start)
    Traceback (most recent call last):
    iotws.errors.UsageError: <function start at ...> is an async def handler: ...
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Awaitable
from typing import Any

from iotws.client import AsyncClientBase, SyncClientBase
from iotws.errors import ConnectionClosed, UsageError
from iotws.farmws.models import DeviceCommand
from iotws.farmws.protocol import CommandHandler, DeviceCore

__all__ = ["AsyncHandlerRunner", "HandlerRunner"]


class HandlerRunner:
    """The synchronous device client's handlers: plain functions only.

    A coroutine function (``async def``) is refused with [`UsageError`][iotws.UsageError]
    when it is registered: the client's reader thread cannot await its result, and
    answering the server with a coroutine would be nonsense.

    Examples:
        >>> from iotws.farmws import DeviceClient
        >>> runner = HandlerRunner(DeviceClient("ws://127.0.0.1:9", name="pump"))
        >>> runner.check(lambda command: True)
    """

    def __init__(self, client: SyncClientBase[DeviceCore, Any]) -> None:
        self._client_name = type(client).__name__

    def check(self, handler: CommandHandler) -> None:
        """Refuse ``handler`` if it is a coroutine function."""
        if inspect.iscoroutinefunction(handler):
            raise UsageError(
                f"{handler!r} is an async def handler: the sync {self._client_name} cannot await it; "
                "use AsyncDeviceClient or a plain function"
            )


class AsyncHandlerRunner:
    """The asyncio device client's handlers: plain functions, or coroutine functions awaited.

    The result of an ``async def`` handler is awaited in a task of its own (the reader
    goes on meanwhile); its value, or ``"error: <exception>"`` if it raised, is the
    reply. Re-sends of the command that arrive meanwhile do not run it again.

    Examples:
        >>> from iotws.farmws import AsyncDeviceClient
        >>> async def start(command):
        ...     return True
        >>> client = AsyncDeviceClient("ws://127.0.0.1:9", name="pump", handlers={"irrigation": start})
        >>> client.core.defer is not None
        True
    """

    def __init__(self, client: AsyncClientBase[DeviceCore, Any]) -> None:
        self._client = client
        client.core.defer = self._defer

    def check(self, handler: CommandHandler) -> None:
        """Every callable handler is fine here."""

    def _defer(self, command: DeviceCommand, result: Awaitable[Any]) -> None:
        schedule = self._client._driver.dispatcher.schedule
        assert schedule is not None  # the async driver always sets it
        schedule(self._answer_later(command, result))

    async def _answer_later(self, command: DeviceCommand, result: Awaitable[Any]) -> None:
        client = self._client
        try:
            value = await result
        except Exception as exc:  # the firmware answers errors with a string
            value = f"error: {exc}"
        client.core.deferred_result(command, value)
        frames = client.core.data_to_send()
        if frames and client.connected:
            # if the link is down, the cached reply answers the server's next re-send after the reconnect
            with contextlib.suppress(ConnectionClosed, ConnectionError):
                await client._driver.send_frames(frames)
