"""Checked by mypy --strict and pyright (strict) in CI, not run by pytest: the OISP surface.

Every public method of both clients and of the gateway has its exact type; every
async method is a coroutine (``asyncio.create_task`` takes it); ``match`` over
:data:`iotws.oisp.Event` is exhaustive; a misspelt or mistyped option is an error
(each ignore below must be used, or the checkers fail: mypy's warn_unused_ignores,
pyright's reportUnnecessaryTypeIgnoreComment).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import assert_never, assert_type

from iotws.oisp import (
    Actuation,
    AsyncClient,
    Client,
    Connected,
    DeviceEvent,
    DeviceOptionsDict,
    Disconnected,
    Event,
    Gateway,
    OispCore,
    Pong,
    ProtocolViolation,
    Reconnected,
    ReconnectPolicy,
    Registered,
    ServerError,
    Stopped,
    UnknownMessage,
)
from iotws.options import ConnectOptions


def on_actuation(actuation: Actuation) -> None:
    print(actuation.command)


def on_device_actuation(device_id: str, actuation: Actuation) -> None:
    print(device_id, actuation.command)


def refresh(device_id: str) -> str | None:
    return None


def check_sync(dev: Client) -> None:
    assert_type(dev.ping(), Pong)
    assert_type(dev.ping(timeout=2.0), Pong)
    assert_type(dev.connect(), Client)
    assert_type(dev.close(), None)
    assert_type(dev.actuations(), Iterator[Actuation])
    assert_type(dev.actuations(timeout=1.0), Iterator[Actuation])
    assert_type(dev.on_actuation(on_actuation), None)
    assert_type(dev.on(Actuation, on_actuation), None)
    assert_type(dev.off(Actuation, on_actuation), None)
    assert_type(dev.device_id, str)
    assert_type(dev.app_ping_interval, float | None)
    assert_type(dev.connected, bool)
    assert_type(dev.dropped_events, int)
    assert_type(dev.core, OispCore)
    assert_type(dev.options, ConnectOptions)
    assert_type(dev.next_event(Actuation), Actuation)
    assert_type(dev.next_event(Registered, timeout=1.0), Registered)
    assert_type(dev.events(), Iterator[Event])
    for event in dev.events(timeout=1.0):
        assert_type(event, Event)
    with dev as opened:
        assert_type(opened, Client)
    dev.ping(timeout="soon")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    dev.on_actuation(on_device_actuation)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


async def check_async(dev: AsyncClient) -> None:
    assert_type(await dev.ping(), Pong)
    assert_type(await dev.ping(timeout=2.0), Pong)
    assert_type(await dev.connect(), AsyncClient)
    assert_type(await dev.close(), None)
    assert_type(dev.actuations(), AsyncIterator[Actuation])
    assert_type(dev.actuations(timeout=1.0), AsyncIterator[Actuation])
    assert_type(dev.on_actuation(on_actuation), None)
    assert_type(dev.on(Actuation, on_actuation), None)
    assert_type(dev.off(Actuation, on_actuation), None)
    assert_type(dev.device_id, str)
    assert_type(dev.app_ping_interval, float | None)
    assert_type(dev.connected, bool)
    assert_type(dev.dropped_events, int)
    assert_type(dev.core, OispCore)
    assert_type(dev.options, ConnectOptions)
    assert_type(await dev.next_event(Actuation), Actuation)
    assert_type(dev.events(), AsyncIterator[Event])
    async for event in dev.events(timeout=1.0):
        assert_type(event, Event)
    async for actuation in dev.actuations(timeout=1.0):
        assert_type(actuation, Actuation)
    async with dev as opened:
        assert_type(opened, AsyncClient)
    # every async method is a coroutine function: tasks take its calls
    assert_type(asyncio.create_task(dev.ping()), asyncio.Task[Pong])
    assert_type(asyncio.create_task(dev.ping(timeout=2.0)), asyncio.Task[Pong])
    assert_type(asyncio.create_task(dev.connect()), asyncio.Task[AsyncClient])
    assert_type(asyncio.create_task(dev.close()), asyncio.Task[None])
    assert_type(asyncio.create_task(dev.next_event(Actuation)), asyncio.Task[Actuation])
    await dev.ping(timeout="soon")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


async def check_gateway(gw: Gateway) -> None:
    assert_type(await gw.add("dev-1", "eyJ.token.sig"), AsyncClient)
    assert_type(await gw.add("dev-2", "eyJ.token.sig", grace=0.5, request_timeout=5.0), AsyncClient)
    assert_type(await gw.add_many([("dev-3", "eyJ.token.sig")]), dict[str, BaseException])
    assert_type(await gw.remove("dev-1"), None)
    assert_type(await gw.close(), None)
    assert_type(gw.on_actuation(on_device_actuation), None)
    assert_type(gw.events(), AsyncIterator[DeviceEvent])
    assert_type(gw.actuations(timeout=1.0), AsyncIterator[Actuation])
    assert_type(gw.devices, list[str])
    assert_type(gw["dev-2"], AsyncClient)
    assert_type(len(gw), int)
    assert_type(gw.options, DeviceOptionsDict)
    assert_type(gw.dropped_events, int)
    async for item in gw.events(timeout=1.0):
        assert_type(item.device_id, str)
        assert_type(item.event, Event)
    async with gw as opened:
        assert_type(opened, Gateway)
    assert_type(asyncio.create_task(gw.add("dev-4", "eyJ.token.sig")), asyncio.Task[AsyncClient])
    assert_type(asyncio.create_task(gw.add_many([])), asyncio.Task[dict[str, BaseException]])
    assert_type(asyncio.create_task(gw.remove("dev-4")), asyncio.Task[None])
    assert_type(asyncio.create_task(gw.close()), asyncio.Task[None])
    await gw.add("dev-5", "eyJ.token.sig", grase=0.5)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    await gw.add("dev-5", "eyJ.token.sig", grace="0.5")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    gw.on_actuation(on_actuation)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def check_options() -> None:
    url = "ws://127.0.0.1:1/"
    Client(
        url,
        "dev-1",
        "eyJ.token.sig",
        grace=0.2,
        token_refresh=refresh,
        dedup_window=1.0,
        app_ping_interval=30.0,
        reconnect_on_superseded=True,
        request_timeout=5.0,
        reconnect=ReconnectPolicy(initial_delay=1.0),
        subprotocols=["echo-protocol"],
    )
    AsyncClient(url, "dev-1", "eyJ.token.sig", grace=0.2, request_timeout=5.0, session=None, reconnect=None)
    Gateway(url, grace=0.2, queue_size=100, connect_concurrency=8, reconnect=None, session=None)
    Client(url, "dev-1", "eyJ.token.sig", request_timout=5)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    Client(url, "dev-1", "eyJ.token.sig", request_timeout="5")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Client(url, "dev-1", "eyJ.token.sig", grase=0.2)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    Client(url, "dev-1", "eyJ.token.sig", grace="0.2")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Client(url, "dev-1", "eyJ.token.sig", session=None)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    Client(url, "dev-1", token=None)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    AsyncClient(url, "dev-1", "eyJ.token.sig", sesion=None)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    AsyncClient(url, "dev-1", "eyJ.token.sig", reconnect=True)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Gateway(url, request_timout=5)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    Gateway(url, dedup_window="1")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def describe(event: Event) -> str:
    match event:
        case Actuation(content=content):
            return f"actuation {content.command}"
        case Pong(content=content):
            return f"unsolicited pong {content!r}"
        case Registered(code=code):
            return f"registered ({code})"
        case ServerError(code=code):
            return f"server error {code}"
        case UnknownMessage(code=code):
            return f"unknown code {code}"
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


def describe_device(item: DeviceEvent) -> str:
    return f"{item.device_id}: {describe(item.event)}"
