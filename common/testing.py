"""Helpers to run one test scenario against both ``Client`` and ``AsyncClient``.

Write the scenario once as an ``async`` function; wrap every client call in
[`resolve`][iotws.testing.resolve] (it awaits awaitables and passes plain results through) and read
events with [`take_events`][iotws.testing.take_events]. Run the simulator with ``sim.run()`` (its own
thread) so a blocking sync client does not stall it.

Examples:
    >>> import asyncio
    >>> asyncio.run(resolve(41 + 1))
    42
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from iotws.client import AsyncClientBase, SyncClientBase
from iotws.errors import RequestTimeout

__all__ = ["FLAVOURS", "open_client", "resolve", "take_events", "wait_until"]

T = TypeVar("T")

FLAVOURS = ("sync", "async")
"""The two client flavours every scenario runs on."""


async def resolve(value: Any) -> Any:
    """Await ``value`` if it is awaitable, else return it (sync clients return results).

    Examples:
        >>> async def three():
        ...     return 3
        >>> asyncio.run(resolve(three()))
        3
    """
    if inspect.isawaitable(value):
        return await value
    return value


async def take_events(
    client: SyncClientBase[Any, Any] | AsyncClientBase[Any, Any],
    count: int,
    *,
    of_type: type | tuple[type, ...] = object,
    timeout: float = 10.0,
) -> list[Any]:
    """Collect ``count`` events of ``of_type`` from either flavour, or raise ``RequestTimeout``.

    Examples:
        >>> callable(take_events)
        True
    """
    found: list[Any] = []
    deadline = time.monotonic() + timeout
    if isinstance(client, SyncClientBase):
        while len(found) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            for event in client.events(timeout=remaining):
                if isinstance(event, of_type):
                    found.append(event)
                break
            else:
                await asyncio.sleep(0)
    else:
        try:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                stream: AsyncIterator[Any] = client.events()
                async for event in stream:
                    if isinstance(event, of_type):
                        found.append(event)
                        if len(found) >= count:
                            break
        except TimeoutError:
            pass
    if len(found) < count:
        raise RequestTimeout(f"got {len(found)} of {count} events of {of_type} within {timeout:g} s")
    return found


async def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.02) -> None:
    """Poll ``predicate`` until it is true, or raise ``RequestTimeout``.

    Examples:
        >>> asyncio.run(wait_until(lambda: True))
    """
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RequestTimeout(f"condition not met within {timeout:g} s")
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def open_client(
    flavour: str,
    sync_cls: Callable[..., SyncClientBase[Any, Any]],
    async_cls: Callable[..., AsyncClientBase[Any, Any]],
    *args: Any,
    **kwargs: Any,
) -> AsyncIterator[Any]:
    """Open ``sync_cls(*args, **kwargs)`` or ``async_cls(...)`` by ``flavour``; close it after.

    Examples:
        >>> callable(open_client)
        True
    """
    if flavour == "sync":
        sync_client = sync_cls(*args, **kwargs)
        sync_client.connect()
        try:
            yield sync_client
        finally:
            sync_client.close()
    else:
        async_client = async_cls(*args, **kwargs)
        await async_client.connect()
        try:
            yield async_client
        finally:
            await async_client.close()
