"""The many-devices gateway: one session, one bounded queue, hundreds of devices."""

from __future__ import annotations

import inspect
import typing
from collections.abc import AsyncIterator
from typing import Any

import pytest

from iotws.backoff import ReconnectPolicy
from iotws.errors import UsageError
from iotws.events import Connected, Disconnected, Reconnected
from iotws.oisp import Actuation, InvalidTokenError, OispSimulator, TokenKeys
from iotws.oisp.gateway import DeviceEvent, Gateway
from iotws.testing import wait_until

ACC = "acc"
FAST = ReconnectPolicy(initial_delay=0.05, max_delay=0.2, jitter=0.0)


@pytest.fixture
async def sim(oisp_token_keys: TokenKeys) -> AsyncIterator[OispSimulator]:
    async with OispSimulator(keys=oisp_token_keys, duplicates=False, blind_window=0) as server:
        yield server


async def test_many_devices_share_one_session_and_queue(sim: OispSimulator) -> None:
    devices = [(f"dev-{i}", sim.issue_token(f"dev-{i}", ACC)) for i in range(60)]
    devices.append(("bad", "eyJ.bad.token"))
    seen: list[tuple[str, str | None]] = []
    async with Gateway(sim.url(), grace=0.2, reconnect=FAST, connect_concurrency=20) as gw:
        gw.on_actuation(lambda device_id, act: seen.append((device_id, act.command)))
        failures = await gw.add_many(devices)
        assert list(failures) == ["bad"] and isinstance(failures["bad"], InvalidTokenError)
        assert len(gw) == 60 and "dev-7" in gw and "bad" not in gw
        assert len({id(gw[d]._driver._session) for d in gw.devices}) == 1
        assert sim.registrations.total() == 60
        for i in (3, 59):
            assert await sim.actuate(ACC, f"dev-{i}", f"CMD-{i}", {"n": str(i)}) == 1
        got = []
        async for act in gw.actuations(timeout=5):
            got.append((act.device_id, act.command))
            if len(got) == 2:
                break
    assert sorted(got) == [("dev-3", "CMD-3"), ("dev-59", "CMD-59")]
    assert sorted(seen) == sorted(got)


async def test_gateway_events_are_tagged_and_devices_reconnect(sim: OispSimulator) -> None:
    async with Gateway(sim.url(), grace=0.1, reconnect=FAST) as gw:
        await gw.add("a", sim.issue_token("a", ACC))
        await gw.add("b", sim.issue_token("b", ACC))
        with pytest.raises(UsageError):
            await gw.add("a", sim.issue_token("a", ACC))
        await sim.drop_connections()
        reconnected: set[str] = set()
        disconnected: set[str] = set()
        async for item in gw.events(timeout=5):
            assert isinstance(item, DeviceEvent)
            if isinstance(item.event, Disconnected):
                disconnected.add(item.device_id)
            if isinstance(item.event, Reconnected):
                reconnected.add(item.device_id)
            if reconnected == {"a", "b"}:
                break
        assert disconnected == {"a", "b"}
        await wait_until(lambda: sim.registrations.total() == 4)
        await gw.remove("a")
        assert gw.devices == ["b"]


async def test_gateway_queue_is_bounded(sim: OispSimulator) -> None:
    async with Gateway(sim.url(), grace=0.1, queue_size=3) as gw:
        await gw.add("a", sim.issue_token("a", ACC))
        for i in range(10):
            await sim.actuate(ACC, "a", f"C{i}", {})
        await wait_until(lambda: gw.dropped_events >= 8)
        commands = [item.event.command async for item in gw.events(timeout=0.3) if isinstance(item.event, Actuation)]
    assert commands[-1] == "C9" and len(commands) <= 3


async def test_close_ends_the_stream(sim: OispSimulator) -> None:
    gw = Gateway(sim.url(), grace=0.1)
    await gw.add("a", sim.issue_token("a", ACC))
    await gw.close()
    # events queued before the close are still delivered, then the stream ends
    items = [item async for item in gw.events()]
    assert [type(item.event) for item in items] == [Connected]


async def test_a_device_that_fails_to_join_leaves_no_event(sim: OispSimulator) -> None:
    # issue 11, item 11: no DeviceEvent('bad', ServerError(401 ...)) for a device the gateway does not hold
    async with Gateway(sim.url(), grace=0.1, reconnect=FAST) as gw:
        failures = await gw.add_many([("good", sim.issue_token("good", ACC)), ("bad", "eyJ.bad.token")])
        assert list(failures) == ["bad"] and gw.devices == ["good"]
        with pytest.raises(InvalidTokenError):
            await gw.add("worse", sim.issue_token("someone-else", ACC))
        assert await sim.actuate(ACC, "good", "LAST", {}) == 1
        items: list[DeviceEvent] = []
        async for item in gw.events(timeout=5):
            items.append(item)
            if isinstance(item.event, Actuation):
                break
    assert {item.device_id for item in items} == {"good"}
    assert [type(item.event) for item in items] == [Connected, Actuation]


async def test_events_with_timeout_zero_take_only_what_is_waiting(sim: OispSimulator) -> None:
    async with Gateway(sim.url(), grace=0.1) as gw:
        await gw.add("a", sim.issue_token("a", ACC))
        assert await sim.actuate(ACC, "a", "NOW", {}) == 1
        await wait_until(lambda: gw._queue is not None and gw._queue.qsize() >= 2)
        items = [item async for item in gw.events(timeout=0)]
        assert [type(item.event) for item in items] == [Connected, Actuation]
        assert [item async for item in gw.events(timeout=0)] == []


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"queue_size": 0}, "queue_size"),
        ({"connect_concurrency": 1.5}, "connect_concurrency"),
        ({"grase": 0.2}, "grace"),  # misspelt: the close match is named
        ({"request_timeout": "5"}, "request_timeout"),
        ({"grace": 5, "connect_timeout": 2}, "grace period"),
        ({"app_ping_interval": -1}, "app_ping_interval"),
    ],
)
def test_bad_options_fail_when_the_gateway_is_built(arguments: dict[str, Any], words: str) -> None:
    with pytest.raises(UsageError, match=words):
        Gateway("ws://127.0.0.1:9/", **arguments)


async def test_options_of_add_win_over_the_gateway_ones(sim: OispSimulator) -> None:
    async with Gateway(sim.url(), grace=0.1, request_timeout=3.0, reconnect=None) as gw:
        first = await gw.add("a", sim.issue_token("a", ACC))
        second = await gw.add("b", sim.issue_token("b", ACC), request_timeout=7.0, dedup_window=2.0)
        assert (first.options.request_timeout, second.options.request_timeout) == (3.0, 7.0)
        assert (first.core.dedup_window, second.core.dedup_window) == (None, 2.0)
        assert first.options.reconnect is None and "echo-protocol" in second.options.subprotocols
        with pytest.raises(UsageError, match="request_timeout"):
            await gw.add("c", sim.issue_token("c", ACC), request_timeout=-1)
        assert gw.devices == ["a", "b"]


async def test_device_events_are_typed_and_the_gateway_methods_are_coroutines(sim: OispSimulator) -> None:
    for name in ("add", "add_many", "remove", "close"):
        assert inspect.iscoroutinefunction(getattr(Gateway, name)), name
    for name in ("events", "actuations", "on_actuation"):
        assert not inspect.iscoroutinefunction(getattr(Gateway, name)), name
    assert typing.get_type_hints(DeviceEvent)["event"] is not object
    gw = Gateway(sim.url())
    with pytest.raises(UsageError, match="timeout"):
        gw.events(timeout=-1)  # checked at the call, like a client's events()
    await gw.close()
