"""Checked by mypy --strict in CI (not run by pytest): every Xentara method is precisely typed on both clients."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import assert_type

from iotws.errors import IotwsError
from iotws.xentara import (
    AccessRights,
    AsyncClient,
    Attribute,
    BrowseEntry,
    Client,
    GetStageCommand,
    LookupCommand,
    MetaData,
    ReadResult,
    ServerInformation,
    Stage,
    Subscription,
    SubscriptionInfo,
    SubSessionToken,
)

POINT = "Group 1.Data Point 1"
ID = uuid.UUID(int=1)


def check_sync(client: Client) -> None:
    assert_type(client.server_information(), ServerInformation)
    assert_type(client.browse(), list[BrowseEntry])
    assert_type(client.browse(POINT, depth=1), list[BrowseEntry])
    assert_type(client.meta_data(POINT), MetaData)
    assert_type(client.lookup(POINT), uuid.UUID)
    assert_type(client.read(POINT, [Attribute.VALUE, Attribute.QUALITY]), ReadResult)
    assert_type(client.write(POINT, Attribute.VALUE, 1.5), None)
    sub = client.subscribe([POINT, (ID, [Attribute.VALUE])], max_rate=100)
    assert_type(sub, Subscription[None])
    assert_type(sub.unsubscribe(), None)
    assert_type(sub.info, SubscriptionInfo)
    assert_type(client.unsubscribe(sub), None)
    assert_type(client.unsubscribe(ID), None)
    assert_type(client.get_stage(), Stage | int)
    assert_type(client.suspend(), None)
    assert_type(client.shutdown(ID), None)
    assert_type(client.create_sub_session(SubSessionToken("t")), uuid.UUID)
    assert_type(client.close_sub_session(ID), None)
    assert_type(client.client_hello(), int)
    assert_type(client.check_access(ID), AccessRights)
    assert_type(client.batch([LookupCommand(POINT), GetStageCommand()]), list[object])
    assert_type(client.read_value(POINT), object)
    assert_type(client.write_value(POINT, 42.0), None)
    assert_type(client.read_many([POINT, ID]), list[ReadResult | IotwsError])
    assert_type(client.watch(POINT, ID, min_rate=500), Subscription[None])
    assert_type(client.subscriptions, dict[uuid.UUID, SubscriptionInfo])


def check_async(client: AsyncClient) -> None:
    assert_type(client.server_information(), Awaitable[ServerInformation])
    assert_type(client.browse(), Awaitable[list[BrowseEntry]])
    assert_type(client.browse(POINT, depth=1), Awaitable[list[BrowseEntry]])
    assert_type(client.meta_data(POINT), Awaitable[MetaData])
    assert_type(client.lookup(POINT), Awaitable[uuid.UUID])
    assert_type(client.read(POINT, [Attribute.VALUE, Attribute.QUALITY]), Awaitable[ReadResult])
    assert_type(client.write(POINT, Attribute.VALUE, 1.5), Awaitable[None])
    assert_type(client.subscribe([POINT, (ID, [Attribute.VALUE])]), Awaitable[Subscription[Awaitable[None]]])
    assert_type(client.unsubscribe(ID), Awaitable[None])
    assert_type(client.get_stage(), Awaitable[Stage | int])
    assert_type(client.suspend(), Awaitable[None])
    assert_type(client.shutdown(ID), Awaitable[None])
    assert_type(client.create_sub_session(SubSessionToken("t")), Awaitable[uuid.UUID])
    assert_type(client.close_sub_session(ID), Awaitable[None])
    assert_type(client.client_hello(), Awaitable[int])
    assert_type(client.check_access(ID), Awaitable[AccessRights])
    assert_type(client.batch([LookupCommand(POINT), GetStageCommand()]), Awaitable[list[object]])
    assert_type(client.read_value(POINT), Awaitable[object])
    assert_type(client.write_value(POINT, 42.0), Awaitable[None])
    assert_type(client.read_many([POINT, ID]), Awaitable[list[ReadResult | IotwsError]])
    assert_type(client.watch(POINT, ID, min_rate=500), Awaitable[Subscription[Awaitable[None]]])
    assert_type(client.subscriptions, dict[uuid.UUID, SubscriptionInfo])


async def check_awaited(client: AsyncClient) -> None:
    sub = await client.watch(POINT)
    assert_type(sub, Subscription[Awaitable[None]])
    assert_type(sub.unsubscribe(), Awaitable[None])
    assert_type(await client.unsubscribe(sub), None)
    assert_type(await client.read(POINT), ReadResult)


def check_wrong(client: Client) -> None:
    client.read(42)  # type: ignore[arg-type]  # an unused ignore would fail: the checks bite
