"""Checked by mypy --strict and pyright (strict) in CI, not run by pytest: the Globiots surface.

Every public method of both clients has its exact type; every async method is a
coroutine (``asyncio.create_task`` takes it); ``match`` over :data:`iotws.globiots.Event`
is exhaustive; a misspelt or mistyped option is an error (each ignore below must be
used, or the checkers fail: mypy's warn_unused_ignores, pyright's
reportUnnecessaryTypeIgnoreComment).
"""

from __future__ import annotations

import asyncio
from typing import assert_never, assert_type

from iotws.globiots import (
    AsyncClient,
    Client,
    Connected,
    DataType,
    Disconnected,
    Event,
    Point,
    PointValue,
    ProtocolViolation,
    RealtimeUpdate,
    Reconnected,
    SetResponse,
    SetResult,
    Stopped,
)

POINT = Point("0.0.0.1", "3000", DataType.FLOAT)


def check_sync(client: Client) -> None:
    assert_type(client.subscribe([POINT]), RealtimeUpdate)
    assert_type(client.subscribe([POINT], update_time=1, timezone="UTC", timeout=2.0), RealtimeUpdate)
    assert_type(client.set(POINT, 3.3), SetResult)
    assert_type(client.set(POINT, 3, check=False, timeout=1.0), SetResult)
    assert_type(client.set_many({POINT: 1.5}), SetResponse)
    assert_type(client.set_many([(POINT, 1.5)], check=False, timeout=1.0), SetResponse)
    assert_type(client.value("0.0.0.1", "3000"), PointValue | None)
    assert_type(client.latest, dict[tuple[str, str], PointValue])
    assert_type(client.connect(), Client)
    assert_type(client.close(), None)
    assert_type(client.next_event(RealtimeUpdate), RealtimeUpdate)
    for event in client.events(timeout=1.0):
        assert_type(event, Event)
    client.set("0.0.0.1/3000", 3.3)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


async def check_async(client: AsyncClient) -> None:
    assert_type(await client.subscribe([POINT], update_time=1, timezone="UTC", timeout=2.0), RealtimeUpdate)
    assert_type(await client.set(POINT, 3, check=False, timeout=1.0), SetResult)
    assert_type(await client.set_many([(POINT, 1.5)], check=False, timeout=1.0), SetResponse)
    assert_type(client.value("0.0.0.1", "3000"), PointValue | None)
    assert_type(client.latest, dict[tuple[str, str], PointValue])
    assert_type(await client.connect(), AsyncClient)
    assert_type(await client.close(), None)
    assert_type(await client.next_event(RealtimeUpdate), RealtimeUpdate)
    async for event in client.events(timeout=1.0):
        assert_type(event, Event)
    # every async method is a coroutine function: tasks take its calls
    assert_type(asyncio.create_task(client.subscribe([POINT])), asyncio.Task[RealtimeUpdate])
    assert_type(asyncio.create_task(client.set(POINT, 3.3)), asyncio.Task[SetResult])
    assert_type(asyncio.create_task(client.set_many({POINT: 1.5})), asyncio.Task[SetResponse])
    assert_type(asyncio.create_task(client.connect()), asyncio.Task[AsyncClient])
    assert_type(asyncio.create_task(client.close()), asyncio.Task[None])
    assert_type(asyncio.create_task(client.next_event(RealtimeUpdate)), asyncio.Task[RealtimeUpdate])
    await client.set_many(POINT)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def check_options() -> None:
    Client("ws://127.0.0.1:1/data-engine", request_timeout=5.0, mobile=True, query={"a": "b"}, reconnect=None)
    AsyncClient("ws://127.0.0.1:1/data-engine", request_timeout=5.0, session=None)
    Client("ws://127.0.0.1:1/data-engine", request_timout=5)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    Client("ws://127.0.0.1:1/data-engine", request_timeout="5")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    AsyncClient("ws://127.0.0.1:1/data-engine", sesion=None)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    Client("ws://127.0.0.1:1/data-engine", session=None)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]


def describe(event: Event) -> str:
    match event:
        case RealtimeUpdate(values=values):
            return f"{len(values)} values"
        case Connected() | Reconnected():
            return "up"
        case Disconnected(will_reconnect=again):
            return f"down, reconnecting: {again}"
        case ProtocolViolation(error=error):
            return str(error)
        case Stopped(reason=reason):
            return reason
        case _:
            assert_never(event)
