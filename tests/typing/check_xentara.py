"""Checked by mypy --strict and pyright (strict) in CI, not run by pytest: the Xentara surface.

Every public method of both clients (and of both subscription handles) has its exact
type; every async method is a coroutine (``asyncio.create_task`` takes it); ``match``
over :data:`iotws.xentara.Event` is exhaustive, and so is one over :class:`Stage`
(``get_stage()`` is a ``Stage``, never a bare int); a misspelt or mistyped option or
argument is an error (each ignore below must be used, or the checkers fail: mypy's
warn_unused_ignores, pyright's reportUnnecessaryTypeIgnoreComment).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import assert_never, assert_type

from iotws.errors import IotwsError
from iotws.xentara import (
    AccessRights,
    AsyncClient,
    AsyncSubscription,
    Attribute,
    BrowseEntry,
    Client,
    Connected,
    DataChange,
    Disconnected,
    ElementCategory,
    Event,
    GetStageCommand,
    LookupCommand,
    MetaData,
    MetaDataId,
    ProtocolViolation,
    ReadResult,
    Reconnected,
    ServerInfoId,
    ServerInformation,
    Stage,
    Stopped,
    Subscription,
    SubscriptionInfo,
    SubscriptionLost,
    SubSessionPassword,
    SubSessionToken,
    Timestamp,
    UnknownEvent,
    UnknownPacket,
    UnmatchedError,
)

POINT = "Group 1.Data Point 1"
ID = uuid.UUID(int=1)
URL = "wss://127.0.0.1:8080/api/ws"


def check_sync(client: Client) -> None:
    assert_type(client.server_information(), ServerInformation)
    assert_type(client.server_information([ServerInfoId.VERSION, 2]), ServerInformation)
    assert_type(client.browse(), list[BrowseEntry])
    assert_type(client.browse(POINT, depth=1, categories=[ElementCategory.DATA_POINT]), list[BrowseEntry])
    assert_type(client.meta_data(POINT), MetaData)
    assert_type(client.meta_data(ID, [MetaDataId.PRIMARY_KEY]), MetaData)
    assert_type(client.lookup(POINT), uuid.UUID)
    assert_type(client.read(POINT, [Attribute.VALUE, Attribute.QUALITY]), ReadResult)
    assert_type(client.write(POINT, Attribute.VALUE, 1.5), None)
    assert_type(client.write(ID, 11, Timestamp(0), sub_session=ID), None)
    sub = client.subscribe([POINT, (ID, [Attribute.VALUE])], max_rate=100, min_rate=10, subscription_id=ID)
    assert_type(sub, Subscription)
    assert_type(sub.unsubscribe(), None)
    assert_type(sub.info, SubscriptionInfo)
    assert_type(sub.id, uuid.UUID)
    assert_type(sub.matches(sub), bool)
    assert_type(client.subscribe(POINT), Subscription)
    assert_type(client.unsubscribe(sub), None)
    assert_type(client.unsubscribe(ID), None)
    assert_type(client.get_stage(), Stage)
    assert_type(client.suspend(), None)
    assert_type(client.shutdown(ID), None)
    assert_type(client.create_sub_session(SubSessionToken("t")), uuid.UUID)
    assert_type(client.create_sub_session(SubSessionPassword("op", "pw"), ID), uuid.UUID)
    assert_type(client.close_sub_session(ID), None)
    assert_type(client.client_hello(), int)
    assert_type(client.check_access(ID), AccessRights)
    assert_type(client.batch([LookupCommand(POINT), GetStageCommand()]), list[object])
    assert_type(client.read_value(POINT), object)
    assert_type(client.read_value(POINT, Attribute.QUALITY), object)
    assert_type(client.write_value(POINT, 42.0), None)
    assert_type(client.write_value(POINT, dt.datetime.now(dt.UTC), Attribute.VALUE), None)
    assert_type(client.read_many([POINT, ID]), list[ReadResult | IotwsError])
    assert_type(client.read_many(POINT, [Attribute.VALUE]), list[ReadResult | IotwsError])
    assert_type(client.watch(POINT, ID, min_rate=500), Subscription)
    assert_type(client.watch(POINT, attributes=[Attribute.VALUE], max_rate=100), Subscription)
    assert_type(client.subscriptions, dict[uuid.UUID, SubscriptionInfo])
    assert_type(client.connect(), Client)
    assert_type(client.close(), None)
    assert_type(client.next_event(DataChange), DataChange)
    assert_type(client.next_event(DataChange, timeout=1.0).path, str | None)
    for event in client.events(timeout=1.0):
        assert_type(event, Event)
    client.read(42)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    client.write_value(POINT, [1.0])  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    client.unsubscribe("sub")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


async def check_async(client: AsyncClient) -> None:
    assert_type(await client.server_information([ServerInfoId.VERSION, 2]), ServerInformation)
    assert_type(await client.browse(POINT, depth=1, categories=[ElementCategory.DATA_POINT]), list[BrowseEntry])
    assert_type(await client.meta_data(ID, [MetaDataId.PRIMARY_KEY]), MetaData)
    assert_type(await client.lookup(POINT), uuid.UUID)
    assert_type(await client.read(POINT, [Attribute.VALUE, Attribute.QUALITY]), ReadResult)
    assert_type(await client.write(ID, 11, Timestamp(0), sub_session=ID), None)
    sub = await client.subscribe([POINT, (ID, [Attribute.VALUE])], max_rate=100, min_rate=10, subscription_id=ID)
    assert_type(sub, AsyncSubscription)
    assert_type(await sub.unsubscribe(), None)
    assert_type(sub.info, SubscriptionInfo)
    assert_type(sub.id, uuid.UUID)
    assert_type(sub.matches(sub), bool)
    assert_type(await client.unsubscribe(sub), None)
    assert_type(await client.unsubscribe(ID), None)
    assert_type(await client.get_stage(), Stage)
    assert_type(await client.suspend(ID), None)
    assert_type(await client.shutdown(), None)
    assert_type(await client.create_sub_session(SubSessionPassword("op", "pw"), ID), uuid.UUID)
    assert_type(await client.close_sub_session(ID), None)
    assert_type(await client.client_hello(1, 1), int)
    assert_type(await client.check_access(ID), AccessRights)
    assert_type(await client.batch([LookupCommand(POINT), GetStageCommand()]), list[object])
    assert_type(await client.read_value(POINT, Attribute.QUALITY), object)
    assert_type(await client.write_value(POINT, 42.0), None)
    assert_type(await client.read_many([POINT, ID]), list[ReadResult | IotwsError])
    assert_type(await client.watch(POINT, ID, min_rate=500), AsyncSubscription)
    assert_type(client.subscriptions, dict[uuid.UUID, SubscriptionInfo])
    assert_type(await client.connect(), AsyncClient)
    assert_type(await client.close(), None)
    assert_type(await client.next_event(DataChange), DataChange)
    async for event in client.events(timeout=1.0):
        assert_type(event, Event)
    # every async method is a coroutine function: tasks take its calls
    assert_type(asyncio.create_task(client.server_information()), asyncio.Task[ServerInformation])
    assert_type(asyncio.create_task(client.browse()), asyncio.Task[list[BrowseEntry]])
    assert_type(asyncio.create_task(client.meta_data(POINT)), asyncio.Task[MetaData])
    assert_type(asyncio.create_task(client.lookup(POINT)), asyncio.Task[uuid.UUID])
    assert_type(asyncio.create_task(client.read(POINT)), asyncio.Task[ReadResult])
    assert_type(asyncio.create_task(client.write(POINT, Attribute.VALUE, 1.5)), asyncio.Task[None])
    assert_type(asyncio.create_task(client.subscribe([POINT])), asyncio.Task[AsyncSubscription])
    assert_type(asyncio.create_task(client.unsubscribe(ID)), asyncio.Task[None])
    assert_type(asyncio.create_task(client.get_stage()), asyncio.Task[Stage])
    assert_type(asyncio.create_task(client.suspend()), asyncio.Task[None])
    assert_type(asyncio.create_task(client.shutdown()), asyncio.Task[None])
    assert_type(asyncio.create_task(client.create_sub_session(SubSessionToken("t"))), asyncio.Task[uuid.UUID])
    assert_type(asyncio.create_task(client.close_sub_session(ID)), asyncio.Task[None])
    assert_type(asyncio.create_task(client.client_hello()), asyncio.Task[int])
    assert_type(asyncio.create_task(client.check_access(ID)), asyncio.Task[AccessRights])
    assert_type(asyncio.create_task(client.batch([GetStageCommand()])), asyncio.Task[list[object]])
    assert_type(asyncio.create_task(client.read_value(POINT)), asyncio.Task[object])
    assert_type(asyncio.create_task(client.write_value(POINT, True)), asyncio.Task[None])
    assert_type(asyncio.create_task(client.read_many([POINT])), asyncio.Task[list[ReadResult | IotwsError]])
    assert_type(asyncio.create_task(client.watch(POINT)), asyncio.Task[AsyncSubscription])
    assert_type(asyncio.create_task(sub.unsubscribe()), asyncio.Task[None])
    assert_type(asyncio.create_task(client.connect()), asyncio.Task[AsyncClient])
    assert_type(asyncio.create_task(client.close()), asyncio.Task[None])
    assert_type(asyncio.create_task(client.next_event(DataChange)), asyncio.Task[DataChange])
    await client.read(42)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    await client.unsubscribe(Subscription(Client(URL), sub.info))  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def check_options() -> None:
    Client(URL, user="op", password="pw", request_timeout=5.0, reconnect=None, ca_file="ca.pem")
    Client(URL, token="eyJ...", verify=False, ping_interval=None)
    AsyncClient(URL, user="op", password="pw", request_timeout=5.0, session=None)
    Client(URL, request_timout=5)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    Client(URL, request_timeout="5")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    Client(URL, user=5)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    AsyncClient(URL, sesion=None)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    Client(URL, session=None)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]


def describe(event: Event) -> str:
    match event:
        case DataChange(path=path, element=element):
            return f"{path or element}: changed"
        case SubscriptionLost(subscription=subscription):
            return f"lost {subscription}"
        case UnknownEvent() | UnknownPacket():
            return "unknown"
        case UnmatchedError(failure=failure):
            return f"error {failure.code}"
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


def stage_name(stage: Stage) -> str:
    match stage:
        case Stage.START_UP | Stage.PRE_OPERATIONAL:
            return "starting"
        case Stage.OPERATIONAL:
            return "running"
        case Stage.POST_OPERATIONAL:
            return "stopping"
        case Stage.UNKNOWN:
            return "unknown"
        case _:
            assert_never(stage)
