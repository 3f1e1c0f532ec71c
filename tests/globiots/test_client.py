"""Both clients against the simulator over real loopback sockets: every scenario on both flavours."""

from __future__ import annotations

import logging
import ssl
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import trustme

from iotws.globiots import (
    AreaNotWritableError,
    AsyncClient,
    ChangeOfValue,
    Client,
    CodecError,
    DataType,
    DeviceDetachedError,
    DeviceLockedError,
    DeviceNotFoundError,
    DeviceTimeoutError,
    Disconnected,
    GlobiotsSimulator,
    Point,
    ProtocolViolation,
    RealtimeUpdate,
    Reconnected,
    ReconnectPolicy,
    RequestTimeout,
    ResponseCode,
    SetResponse,
    SetResult,
    UsageError,
)
from iotws.testing import open_client, resolve, take_events, wait_until

FAST = {"reconnect": ReconnectPolicy(initial_delay=0.05, jitter=0.0, max_delay=0.2), "request_timeout": 5.0}

H1, H2 = "0.0.0.1", "0.0.0.2"
LIVE = [
    Point(H1, "2000", DataType.FLOAT),
    Point(H1, "2004", DataType.UINT16),
    Point(H1, "2006", DataType.UINT32),
    Point(H1, "200B", DataType.HEXA, 3),
    Point(H2, "2000", DataType.FLOAT),
    Point(H2, "2304", DataType.UINT32),
    Point(H2, "6000", DataType.INT16),
    Point(H2, "2308", DataType.STRING, 16),
]


@pytest.fixture
def sim() -> Iterator[GlobiotsSimulator]:
    with GlobiotsSimulator(time_scale=20).run() as simulator:
        yield simulator


@asynccontextmanager
async def connect(flavour: str, sim: GlobiotsSimulator, **kwargs: Any) -> AsyncIterator[Any]:
    options = {**FAST, **kwargs}
    async with open_client(flavour, Client, AsyncClient, sim.base_url, **options) as client:
        yield client


async def test_stream_two_devices_values_move(flavour: str, sim: GlobiotsSimulator) -> None:
    async with connect(flavour, sim) as client:
        first = await resolve(client.subscribe(LIVE, update_time=1))
        assert isinstance(first, RealtimeUpdate) and len(first.values) == len(LIVE)
        assert all(v.ok for v in first.values), first.values
        updates = await take_events(client, 4, of_type=RealtimeUpdate, timeout=5)
        last = updates[-1]
        assert last.get(H1, "2006").value > first.get(H1, "2006").value  # the counter moved
        assert last.get(H2, "2304").value >= first.get(H2, "2304").value
        assert isinstance(last.get(H1, "2000").value, float)
        assert isinstance(last.get(H1, "200B").value, bytes) and len(last.get(H1, "200B").value) == 3
        assert last.get(H2, "2308").value == "IC 0.0.0.2"
        assert last.get(H1, "2006").change is ChangeOfValue.INCREASE
        assert last.timestamp is not None and last.timestamp.tzinfo is not None
        # the client keeps the latest value per point
        assert client.latest[(H1, "2006")].value >= last.get(H1, "2006").value
        assert client.value(H2, "6000").data_type is DataType.INT16


async def test_set_writable_and_stream_shows_it(flavour: str, sim: GlobiotsSimulator) -> None:
    async with connect(flavour, sim) as client:
        target = Point(H1, "3000", DataType.FLOAT)
        await resolve(client.subscribe([target], update_time=1))
        result = await resolve(client.set(target, 3.3))
        assert isinstance(result, SetResult) and result.ok and result.code is ResponseCode.SUCCESS
        assert sim.set_requests[-1].writes[0].text == "3.3"

        async def shows_it() -> bool:
            for update in await take_events(client, 1, of_type=RealtimeUpdate, timeout=5):
                if update.get(H1, "3000").raw == "3.3":
                    return True
            return False

        for _ in range(20):
            if await shows_it():
                break
        else:
            pytest.fail("the stream never showed the written value")
        assert client.value(H1, "3000").value == pytest.approx(3.3)


async def test_set_many_over_hosts_and_types(flavour: str, sim: GlobiotsSimulator) -> None:
    async with connect(flavour, sim) as client:
        writes = {
            Point(H1, "3000", DataType.INT16): -5,
            Point(H1, "3002", DataType.HEXA, 2): b"\xbe\xef",
            Point(H2, "5000", DataType.UINT32): 4_000_000_000,
            Point(H2, "3010", DataType.STRING, 8): "pump",
        }
        response = await resolve(client.set_many(writes))
        assert isinstance(response, SetResponse) and response.ok and len(response.results) == 4
        device = sim.devices[H2]
        assert device.value(Point(H2, "5000", DataType.UINT32)) == 4_000_000_000
        assert device.flash_writes == 1
        assert sim.devices[H1].read(Point(H1, "3002", DataType.HEXA, 2)) == "BEEF"


async def test_read_only_address_raises_08(flavour: str, sim: GlobiotsSimulator) -> None:
    async with connect(flavour, sim) as client:
        with pytest.raises(AreaNotWritableError) as info:
            await resolve(client.set(Point(H1, "2000", DataType.FLOAT), 1.0))
        err = info.value
        assert err.code is ResponseCode.AREA_NOT_WRITABLE and err.result.raw_code == "08"
        assert err.meaning == "memory area is not allowed writing" and "Memmory" in err.message
        # or returned for inspection
        result = await resolve(client.set(Point(H1, "6000", DataType.INT16), 1, check=False))
        assert result.code is ResponseCode.AREA_NOT_WRITABLE and not result.ok
        mixed = await resolve(
            client.set_many([(Point(H1, "3000", DataType.BYTE), 1), (Point(H1, "2300", DataType.BYTE), 1)], check=False)
        )
        assert [r.raw_code for r in mixed.results] == ["00", "08"] and not mixed.ok


async def test_unknown_hostname(flavour: str, sim: GlobiotsSimulator) -> None:
    async with connect(flavour, sim) as client:
        with pytest.raises(DeviceNotFoundError) as info:
            await resolve(client.set(Point("9.9.9.9", "3000", DataType.BYTE), 1))
        assert info.value.code is ResponseCode.DEVICE_IDENTIFY_NOT_FOUND
        sim.unknown_host_code = "01"
        result = await resolve(client.set(Point("9.9.9.9", "3000", DataType.BYTE), 1, check=False))
        assert result.code is ResponseCode.DEVICE_NOT_FOUND
        # realtime: the address comes back failed, the rest of the stream is fine
        update = await resolve(
            client.subscribe(
                [Point("9.9.9.9", "2000", DataType.FLOAT), Point(H1, "2000", DataType.FLOAT)], update_time=1
            )
        )
        bad, good = update.values
        assert bad.status == "message-request-fail" and bad.value is None and not bad.ok
        assert bad.response_code is ResponseCode.DEVICE_NOT_FOUND
        assert good.ok


async def test_server_drop_reconnects_and_stream_resumes(flavour: str, sim: GlobiotsSimulator) -> None:
    async with connect(flavour, sim) as client:
        await resolve(client.subscribe(LIVE[:2], update_time=1))
        await take_events(client, 1, of_type=RealtimeUpdate)
        sim.call(sim.drop_connections())
        await take_events(client, 1, of_type=Reconnected, timeout=5)
        after = await take_events(client, 2, of_type=RealtimeUpdate, timeout=5)
        assert len(after[-1].values) == 2
        assert len(sim.realtime_requests) == 2  # the request was re-sent once
        assert sim.realtime_requests[0] == sim.realtime_requests[1]


async def test_silent_server_times_out(flavour: str, sim: GlobiotsSimulator) -> None:
    async with connect(flavour, sim, request_timeout=0.3) as client:
        sim.faults.silent = True
        with pytest.raises(RequestTimeout):
            await resolve(client.subscribe(LIVE[:1], update_time=1))
        with pytest.raises(RequestTimeout):
            await resolve(client.set(Point(H1, "3000", DataType.BYTE), 1, timeout=0.3))
        sim.faults.silent = False
        # the link still works after the timeouts
        assert (await resolve(client.set(Point(H1, "3000", DataType.BYTE), 2))).ok


@pytest.mark.parametrize(
    ("code", "error"), [("10", DeviceTimeoutError), ("0A", DeviceLockedError), ("0E", DeviceDetachedError)]
)
async def test_device_fault_switches(flavour: str, sim: GlobiotsSimulator, code: str, error: type[Exception]) -> None:
    async with connect(flavour, sim) as client:
        sim.devices[H1].fault = code
        with pytest.raises(error) as info:
            await resolve(client.set(Point(H1, "3000", DataType.BYTE), 1))
        assert info.value.code is ResponseCode.from_wire(code)  # type: ignore[attr-defined]
        if code == "10":
            assert "is timeout." in str(info.value) and "0A000001" in str(info.value)
        # the other device is fine
        assert (await resolve(client.set(Point(H2, "3000", DataType.BYTE), 1))).ok


async def test_value_that_does_not_fit_is_rejected_before_sending(flavour: str, sim: GlobiotsSimulator) -> None:
    async with connect(flavour, sim) as client:
        with pytest.raises(CodecError):
            await resolve(client.set(Point(H1, "3000", DataType.BYTE), 256))
        with pytest.raises(CodecError):
            await resolve(client.set(Point(H1, "3000", DataType.STRING, 4), "too long"))
        assert sim.set_requests == []


async def test_garbage_is_a_violation_and_stream_continues(flavour: str, sim: GlobiotsSimulator) -> None:
    async with connect(flavour, sim) as client:
        await resolve(client.subscribe(LIVE[:1], update_time=1))
        sim.call(sim.send_garbage())
        sim.call(sim.send_garbage('{"objects": 5}'))
        await take_events(client, 2, of_type=ProtocolViolation, timeout=5)
        await take_events(client, 1, of_type=RealtimeUpdate, timeout=5)


async def test_mobile_endpoint_query_and_headers(flavour: str, sim: GlobiotsSimulator) -> None:
    async with connect(flavour, sim, mobile=True, query={"site": "north"}, headers={"X-Site": "n"}) as client:
        update = await resolve(client.subscribe(LIVE[:1], update_time=1))
        assert update.values[0].ok
        await resolve(client.set(Point(H1, "3000", DataType.BYTE), 1))
    assert ("/data-engine/mobile/realtime", {"site": "north"}) in sim.upgrades
    assert ("/data-engine/set-data", {"site": "north"}) in sim.upgrades


async def test_length_as_text_and_failing_reads(flavour: str, sim: GlobiotsSimulator) -> None:
    sim.length_as_text = True
    sim.failing_reads.add((H1, "2004"))
    async with connect(flavour, sim) as client:
        update = await resolve(client.subscribe(LIVE[:2], update_time=1))
        good, bad = update.values
        assert good.length == 4 and good.ok
        assert bad.status == "message-request-fail" and bad.response_code is ResponseCode.UNKNOWN_ERROR


async def test_paused_pushes_then_resume(flavour: str, sim: GlobiotsSimulator) -> None:
    async with connect(flavour, sim) as client:
        await resolve(client.subscribe(LIVE[:1], update_time=1))
        sim.pushing = False
        with pytest.raises(RequestTimeout):
            # drain what was in flight, then nothing more comes
            await take_events(client, 50, of_type=RealtimeUpdate, timeout=0.5)
        sim.pushing = True
        await take_events(client, 1, of_type=RealtimeUpdate, timeout=5)


async def test_tls_with_custom_ca(flavour: str, tmp_path: Path) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    ca_file = tmp_path / "globiots-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    with GlobiotsSimulator(time_scale=20, ssl_context=server_ctx).run() as sim:
        assert sim.base_url.startswith("wss://")
        async with connect(flavour, sim, ca_file=str(ca_file)) as client:
            assert (await resolve(client.subscribe(LIVE[:1], update_time=1))).values[0].ok
            assert (await resolve(client.set(Point(H1, "3000", DataType.BYTE), 1))).ok


async def test_both_links_close(flavour: str, sim: GlobiotsSimulator) -> None:
    async with connect(flavour, sim) as client:
        await resolve(client.set(Point(H1, "3000", DataType.BYTE), 1))
        assert len(sim.connections) == 2
    await wait_until(lambda: len(sim.connections) == 0, timeout=5)


async def test_late_set_answer_is_dropped_not_handed_to_the_next_caller(
    flavour: str, sim: GlobiotsSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    """R12: the answer to 3000 arrives after its caller timed out; the caller of 3004 gets 3004's."""
    caplog.set_level(logging.DEBUG, logger="iotws.globiots")
    slow, other = Point(H1, "3000", DataType.UINT16), Point(H1, "3004", DataType.UINT16)
    sim.slow_writes[slow.key] = 1.0
    async with connect(flavour, sim) as client:
        with pytest.raises(RequestTimeout):
            await resolve(client.set(slow, 1, timeout=0.3))
        result = await resolve(client.set(other, 2))
        assert result.key == (H1, "3004") and result.value == "2" and result.ok
        await wait_until(lambda: "late set-data answer" in caplog.text, timeout=5)
        sim.slow_writes.clear()
        assert (await resolve(client.set(slow, 3))).key == (H1, "3000")
        assert len(sim.connections) == 2  # one realtime and one set-data link, never reopened


async def test_late_set_answer_for_the_same_point_is_told_apart_by_its_value(
    flavour: str, sim: GlobiotsSimulator
) -> None:
    """R12: a retry of the same point after a timeout gets its own answer, not the stale one."""
    point = Point(H1, "3000", DataType.UINT16)
    sim.slow_writes[point.key] = 1.0
    async with connect(flavour, sim) as client:
        with pytest.raises(RequestTimeout):
            await resolve(client.set(point, 1, timeout=0.3))
        sim.slow_writes.clear()
        retry = await resolve(client.set(point, 2))
        assert retry.key == (H1, "3000") and retry.value == "2"


async def test_bad_subscribe_leaves_the_client_working(flavour: str, sim: GlobiotsSimulator) -> None:
    """R6: a caller's mistake raises UsageError, sends nothing and does not poison later calls."""
    async with connect(flavour, sim) as client:
        point = Point(H1, "3000", DataType.BYTE)
        with pytest.raises(UsageError):
            await resolve(client.subscribe(["3000"], update_time=1))
        mistakes: tuple[Callable[[], object], ...] = (
            lambda: client.subscribe(point),  # a point, not a list of points
            lambda: client.subscribe("3000"),
            lambda: client.subscribe([point], update_time=0),
            lambda: client.subscribe([point], timezone=7),
            lambda: client.subscribe([point], timeout=-1),
            lambda: client.set("3000", 1),
            lambda: client.set(point, 1, timeout="soon"),
            lambda: client.set(point, 1, check="yes"),
            lambda: client.set_many([point]),
            lambda: client.set_many(point),
            lambda: client.set_many([(point, 1), (point, 2)]),
            lambda: client.value(H1, None),
        )
        for mistake in mistakes:
            with pytest.raises(UsageError):
                await resolve(mistake())
        assert sim.realtime_requests == [] and sim.set_requests == []
        update = await resolve(client.subscribe(LIVE[:1], update_time=1))
        assert [v.address for v in update.values] == ["2000"]
        more = await resolve(client.subscribe(LIVE[1:2], update_time=1))
        assert [v.address for v in more.values] == ["2000", "2004"]
        assert client.value(H1, 0x2004) is not None
        sim.call(sim.drop_connections())
        await take_events(client, 1, of_type=Reconnected, timeout=5)
        after = await take_events(client, 1, of_type=RealtimeUpdate, timeout=5)
        assert [v.address for v in after[0].values] == ["2000", "2004"]


async def test_silent_realtime_link_is_dropped_and_reconnected(flavour: str, sim: GlobiotsSimulator) -> None:
    """R15: pushes stop; after the idle timeout (3 x updateTime, at least 5 s) the client reconnects."""
    async with connect(flavour, sim) as client:
        await resolve(client.subscribe(LIVE[:1], update_time=1))
        sim.faults.silent = True
        (lost,) = await take_events(client, 1, of_type=Disconnected, timeout=30)
        assert "stale" in str(lost.error) and lost.will_reconnect
        await take_events(client, 1, of_type=Reconnected, timeout=30)
        sim.faults.silent = False
        await take_events(client, 1, of_type=RealtimeUpdate, timeout=10)
        assert len(sim.realtime_requests) >= 2 and sim.realtime_requests[-1] == sim.realtime_requests[0]
