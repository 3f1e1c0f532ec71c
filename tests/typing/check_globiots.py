"""Checked by mypy --strict in CI (not run by pytest): the globiots clients' precise types."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import assert_type

from iotws.globiots import AsyncClient, Client, DataType, Point, PointValue, RealtimeUpdate, SetResponse, SetResult

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
    assert_type(client.close(), None)
    client.set("0.0.0.1/3000", 3.3)  # type: ignore[arg-type]  # an unused ignore would fail: the check works


async def check_async(client: AsyncClient) -> None:
    assert_type(client.subscribe([POINT]), Awaitable[RealtimeUpdate])
    assert_type(await client.subscribe([POINT], update_time=1, timezone="UTC", timeout=2.0), RealtimeUpdate)
    assert_type(client.set(POINT, 3.3), Awaitable[SetResult])
    assert_type(await client.set(POINT, 3, check=False, timeout=1.0), SetResult)
    assert_type(client.set_many({POINT: 1.5}), Awaitable[SetResponse])
    assert_type(await client.set_many([(POINT, 1.5)], check=False, timeout=1.0), SetResponse)
    assert_type(client.value("0.0.0.1", "3000"), PointValue | None)
    assert_type(client.latest, dict[tuple[str, str], PointValue])
    assert_type(await client.close(), None)
    await client.set_many(POINT)  # type: ignore[arg-type]  # an unused ignore would fail: the check works
