"""Checked by mypy in CI (not run by pytest): @command gives precise types on both flavours."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import assert_type

from iotws.client import AsyncClientBase, SyncClientBase
from iotws.commands import Command, command
from iotws.sansio import Frame, ProtocolCore


class Read(Command[int]):
    def __init__(self, address: int) -> None:
        self.address = address

    def encode(self, token: int | None) -> list[Frame]:
        return [str(self.address)]


class Surface:
    @command
    def read(self, address: int) -> Read:
        return Read(address)


class Client(SyncClientBase[ProtocolCore], Surface):
    pass


class AsyncClient(AsyncClientBase[ProtocolCore], Surface):
    pass


def check(client: Client, async_client: AsyncClient) -> None:
    assert_type(client.read(3), int)
    assert_type(async_client.read(3), Awaitable[int])
    client.read("3")  # type: ignore[arg-type]  # an unused ignore would fail: the check works
