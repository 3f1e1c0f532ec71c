"""Checked by mypy --strict in CI (not run by pytest): the oisp clients' precise types."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import assert_type

from iotws.oisp import Actuation, AsyncClient, Client, Pong


def on_actuation(actuation: Actuation) -> None:
    print(actuation.command)


def check_sync(dev: Client) -> None:
    assert_type(dev.ping(), Pong)
    assert_type(dev.ping(timeout=2.0), Pong)
    assert_type(dev.connect(), Client)
    assert_type(dev.actuations(timeout=1.0), Iterator[Actuation])
    assert_type(dev.on_actuation(on_actuation), None)
    assert_type(dev.device_id, str)
    assert_type(dev.close(), None)
    dev.ping(timeout="soon")  # type: ignore[arg-type]  # an unused ignore would fail: the check works


async def check_async(dev: AsyncClient) -> None:
    assert_type(dev.ping(), Awaitable[Pong])
    assert_type(await dev.ping(timeout=2.0), Pong)
    assert_type(await dev.connect(), AsyncClient)
    assert_type(dev.actuations(timeout=1.0), AsyncIterator[Actuation])
    assert_type(dev.on_actuation(on_actuation), None)
    assert_type(dev.device_id, str)
    assert_type(await dev.close(), None)
    await dev.ping(timeout="soon")  # type: ignore[arg-type]  # an unused ignore would fail: the check works
