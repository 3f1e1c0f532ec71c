"""The async driver's data path: frames dispatched where aiohttp reads them, one deadline timer, lean state.

Every scenario runs twice: with the tap (data frames handed to the core in the callback that
read them from the socket) and with it switched off (the receive task reads with
``ws.receive()``, the path used when aiohttp's internals are not as expected). Behaviour only:
no test asserts a time; waits have generous bounds only to turn a hang into a failure.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

import iotws.async_driver as async_driver
from iotws.async_driver import AsyncEventQueue
from iotws.backoff import ReconnectPolicy
from iotws.errors import ConnectionClosed, RequestTimeout
from iotws.events import Connected, Disconnected, ProtocolViolation, Reconnected
from iotws.sansio import Frame
from iotws.simulator import SimConnection

from .echo import AsyncEchoClient, Echo, EchoCore, EchoSimulator, Pushed

FAST = ReconnectPolicy(initial_delay=0.05, max_delay=0.2, jitter=0.1)


@pytest.fixture
def sim() -> Iterator[EchoSimulator]:
    simulator = EchoSimulator()
    with simulator.run():
        yield simulator


@pytest.fixture(params=["tap", "receive"])
def path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """``"tap"``: the default data path; ``"receive"``: the receive task reads every frame."""
    monkeypatch.setattr(async_driver, "TAP_FRAMES", request.param == "tap")
    return str(request.param)


def timed(value: Any, seconds: float, key: str = "sleep") -> Echo:
    command = Echo(key, value)
    command.timeout = seconds
    return command


# -- the event queue ------------------------------------------------------------------------


def test_event_queue_is_fifo_across_compactions() -> None:
    q = AsyncEventQueue()
    taken = []
    for i in range(5000):
        q.put_nowait(i)
        if i % 3 == 0:
            taken.append(q.get_nowait())
    while not q.empty():
        taken.append(q.get_nowait())
    assert taken == list(range(5000))
    assert q.qsize() == 0
    with pytest.raises(asyncio.QueueEmpty):
        q.get_nowait()


def test_event_queue_refuses_beyond_maxsize() -> None:
    q = AsyncEventQueue(maxsize=2)
    q.put_nowait("a")
    q.put_nowait("b")
    assert q.full()
    with pytest.raises(asyncio.QueueFull):
        q.put_nowait("c")
    assert q.get_nowait() == "a"
    q.put_nowait("c")
    assert [q.get_nowait(), q.get_nowait()] == ["b", "c"]


async def test_event_queue_wakes_each_waiting_consumer_in_turn() -> None:
    q = AsyncEventQueue()
    first = asyncio.create_task(q.get())
    second = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    q.put_nowait(1)
    q.put_nowait(2)
    assert sorted(await asyncio.wait_for(asyncio.gather(first, second), 10)) == [1, 2]


async def test_a_consumer_cancelled_after_its_wake_up_passes_it_on() -> None:
    q = AsyncEventQueue()
    first = asyncio.create_task(q.get())
    second = asyncio.create_task(q.get())
    await asyncio.sleep(0)
    q.put_nowait("only")  # wakes the first consumer...
    first.cancel()  # ...which is cancelled before it runs: the event goes to the second
    assert await asyncio.wait_for(second, 10) == "only"
    with pytest.raises(asyncio.CancelledError):
        await first


# -- the data path against the echo simulator -----------------------------------------------


async def test_the_link_is_tapped_unless_switched_off(path: str, sim: EchoSimulator) -> None:
    async with AsyncEchoClient(sim.url(), reconnect=FAST) as c:
        driver = c._driver
        assert (driver._tap is not None) == (path == "tap")
        assert await c.echo("x") == "x"


async def test_events_and_replies_are_dispatched_where_the_frame_is_read(path: str, sim: EchoSimulator) -> None:
    seen: list[object] = []
    async with AsyncEchoClient(sim.url(), reconnect=FAST) as c:
        c.on(Pushed, lambda event: seen.append(asyncio.current_task()))
        assert await c.push(["a", "b"]) == 2
        await asyncio.wait_for(_until(lambda: len(seen) == 2), 10)
    if path == "tap":
        assert seen == [None, None]  # in aiohttp's data callback: no task in between
    else:
        assert all(task is not None for task in seen)  # in the receive task


async def test_a_burst_beyond_aiohttps_queue_limit_arrives_whole_and_in_order(path: str, sim: EchoSimulator) -> None:
    items = [f"{i:05d}" + "x" * 2000 for i in range(600)]  # 1.2 MB: aiohttp stalls and resumes its parser
    async with AsyncEchoClient(sim.url(), reconnect=FAST, event_queue_size=1000) as c:
        assert await c.push(items) == len(items)
        events = [event async for event in c.events(timeout=0)]
    pushed = [event.item for event in events if isinstance(event, Pushed)]
    assert pushed == items
    assert c.dropped_events == 0


async def test_a_burst_of_small_frames_is_dispatched_in_turns_whole_and_in_order(path: str, sim: EchoSimulator) -> None:
    # thousands of small frames arrive in a few reads; the tap dispatches them a batch per loop turn
    items = [f"{i:05d}" for i in range(5 * async_driver._BATCH + 7)]
    async with AsyncEchoClient(sim.url(), reconnect=FAST, event_queue_size=len(items) + 10) as c:
        taken: list[object] = []

        async def consume() -> None:
            async for event in c.events(timeout=10):
                if isinstance(event, Pushed):
                    taken.append(event.item)
                    if len(taken) == len(items):
                        return

        consumer = asyncio.create_task(consume())
        counted, echoed = await asyncio.gather(c.push(items), c.echo("during"))
        await asyncio.wait_for(consumer, 30)
        assert (counted, echoed) == (len(items), "during")
        assert taken == items
        assert c.dropped_events == 0 and await c.echo("after") == "after"


async def test_many_commands_in_flight_reach_their_own_callers(path: str, sim: EchoSimulator) -> None:
    async with AsyncEchoClient(sim.url(), reconnect=FAST) as c:
        results = await asyncio.gather(*(c.echo(i) for i in range(500)), c.push(list(range(100))))
        assert results == [*range(500), 100]
        assert not c._driver._futures and not c._driver._deadlines  # nothing left behind


async def test_a_sooner_deadline_fires_before_a_later_one_armed_first(path: str, sim: EchoSimulator) -> None:
    async with AsyncEchoClient(sim.url(), reconnect=FAST) as c:
        slow = asyncio.ensure_future(c._execute(timed(1.0, 30.0)))  # the one timer is armed for 30 s
        await asyncio.sleep(0.05)
        with pytest.raises(RequestTimeout, match=r"no reply within 0\.1 s"):
            await c._execute(timed(1.0, 0.1))  # its reply would come after 1 s: it must time out first
        assert not slow.done()
        assert await asyncio.wait_for(slow, 30) == 1.0
        assert await c.echo("after") == "after"  # the late reply of the timed-out one completed nothing


async def test_timeouts_fire_for_every_command_waiting(path: str, sim: EchoSimulator) -> None:
    async with AsyncEchoClient(sim.url(), reconnect=FAST, request_timeout=0.2) as c:
        # the server answers one after the other: every sleep's reply comes after its 0.2 s
        calls = [c.sleep(0.3) for _ in range(5)] + [c._execute(timed("patient", 30.0, key="echo"))]
        results = await asyncio.gather(*calls, return_exceptions=True)
        assert all(isinstance(result, RequestTimeout) for result in results[:5])
        assert results[5] == "patient"
        assert await c.echo("next") == "next"


async def test_commands_in_flight_fail_when_the_link_drops_and_nothing_is_replayed(
    path: str, sim: EchoSimulator
) -> None:
    async with AsyncEchoClient(sim.url(), reconnect=FAST) as c:
        pending = [asyncio.ensure_future(c.sleep(5)) for _ in range(10)]
        await _until(lambda: sim.sleeping == 1)  # the server works on the first (one at a time)
        assert sim.call(sim.drop_connections()) == 1
        for call in pending:
            with pytest.raises(ConnectionClosed, match="in flight"):
                await asyncio.wait_for(call, 10)
        await _take(c, Reconnected)
        assert await c.echo("next") == "next"
        assert sim.sleeping == 1  # nothing was sent again


async def test_a_bad_frame_between_good_ones_is_reported_and_the_good_ones_kept(
    path: str, sim: EchoSimulator
) -> None:
    async with AsyncEchoClient(sim.url(), reconnect=FAST) as c:

        async def burst() -> None:
            for conn in sim.connections:  # three frames back to back: one read on the client
                await conn.send(json.dumps({"event": "before"}))
                await conn.send("not json")
                await conn.send(json.dumps({"event": "after"}))

        sim.call(burst())
        events = await _take_n(c, 4)
        kinds = [type(event).__name__ for event in events]
        assert kinds == ["Connected", "Pushed", "ProtocolViolation", "Pushed"]
        assert isinstance(events[2], ProtocolViolation)
        assert c.connected and await c.echo("ok") == "ok"


class GreetingSimulator(EchoSimulator):
    """Sends an event right behind its welcome (the two frames usually share one read on the client)."""

    async def handle(self, conn: SimConnection) -> None:
        async for frame in conn:
            data = json.loads(frame)
            if "hello" in data:
                await conn.send(json.dumps({"welcome": data["hello"]}))
                await conn.send(json.dumps({"event": "greeting"}))
            else:
                await conn.send(json.dumps({"id": data["id"], "echo": data.get("echo")}))


async def test_a_callback_added_right_after_connect_sees_what_came_with_the_handshake(path: str) -> None:
    seen: list[object] = []
    with GreetingSimulator().run() as simulator:
        c = AsyncEchoClient(simulator.url(), reconnect=FAST)
        await c.connect()
        c.on(Pushed, seen.append)  # in the same step as connect() returning
        try:
            assert await c.echo("x") == "x"
            await _until(lambda: len(seen) == 1)
        finally:
            await c.close()
    assert seen == [Pushed("greeting")]


class AckCore(EchoCore):
    """Answers every pushed ``"ack-N"`` with a frame of its own (``{"hello": N}``, which the server records)."""

    def receive(self, frame: Frame) -> list[object]:
        items = super().receive(frame)
        for item in items:
            if isinstance(item, Pushed) and str(item.item).startswith("ack-"):
                self.send_later(json.dumps({"hello": int(str(item.item)[4:])}))
        return items


class AsyncAckClient(AsyncEchoClient):
    core_class = AckCore


async def test_the_cores_own_frames_go_out_in_order(path: str, sim: EchoSimulator) -> None:
    async with AsyncAckClient(sim.url(), reconnect=FAST) as c:
        assert await c.push([f"ack-{i}" for i in range(2, 102)]) == 100
        await _until(lambda: len(sim.hellos) == 101)
        assert sim.hellos == [1, *range(2, 102)]


async def test_server_pings_on_a_quiet_link_are_answered(path: str) -> None:
    simulator = EchoSimulator()
    simulator.heartbeat = 0.4  # the server pings every 0.4 s and drops a link that does not answer in 0.2 s
    with simulator.run():
        async with AsyncEchoClient(simulator.url(), reconnect=FAST, ping_interval=None) as c:
            for _ in range(4):  # quiet stretches with pings in them, then traffic
                await asyncio.sleep(0.5)
                assert await c.echo("still") == "still"
            assert simulator.hellos == [1]  # never reconnected
            events = [event async for event in c.events(timeout=0)]
        assert not any(isinstance(event, Disconnected) for event in events)


async def test_the_receive_task_ends_on_a_quiet_tapped_link_and_comes_back_when_needed(sim: EchoSimulator) -> None:
    async with AsyncEchoClient(sim.url(), reconnect=FAST) as c:
        driver = c._driver
        assert await c.echo(1) == 1
        assert driver._task is None  # nothing but data to handle: no task held per connection
        assert sim.call(sim.drop_connections()) == 1
        await _take(c, Reconnected)  # the close woke a receive task, which reconnected
        assert await c.echo(2) == 2


async def test_closing_during_a_burst_returns_and_ends_the_stream(path: str, sim: EchoSimulator) -> None:
    c = AsyncEchoClient(sim.url(), reconnect=FAST)
    await c.connect()
    pushing = asyncio.ensure_future(c.push(list(range(5000))))
    await _take(c, Pushed)
    await asyncio.wait_for(c.close(), 10)
    with pytest.raises(ConnectionClosed):
        await asyncio.wait_for(pushing, 10)
    kinds = {type(event).__name__ async for event in c.events(timeout=5)}
    assert "Stopped" in kinds


async def test_single_frame_commands_need_no_lock(path: str, sim: EchoSimulator) -> None:
    async with AsyncEchoClient(sim.url(), reconnect=FAST) as c:
        await asyncio.gather(*(c.echo(i) for i in range(50)))
        assert c._driver._send_lock is None
        await c._driver.send_frames([json.dumps({"hello": 7}), json.dumps({"hello": 8})])
        await _until(lambda: sim.hellos[-2:] == [7, 8])
        assert c._driver._send_lock is not None  # several frames at once hold it


async def test_an_idle_connection_holds_no_queue_deque_task_or_event(sim: EchoSimulator) -> None:
    async with AsyncEchoClient(sim.url(), reconnect=FAST) as c:
        assert await c.echo(0) == 0
        driver = c._driver
        assert driver._task is None and driver._tasks is None and driver._send_lock is None
        held = [type(value) for value in (getattr(driver, name) for name in type(driver).__slots__)]
        assert not {asyncio.Queue, asyncio.Event, asyncio.Lock} & set(held)
        assert [event async for event in c.events(timeout=0)] == [Connected(url=c.options.safe_url)]


# -- helpers ----------------------------------------------------------------------------------


async def _until(predicate: Any) -> None:
    for _ in range(2000):
        if predicate():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition never became true")


async def _take(c: AsyncEchoClient, event_type: type) -> Any:
    return await c.next_event(event_type, timeout=10)


async def _take_n(c: AsyncEchoClient, n: int) -> list[object]:
    events: list[object] = []
    async with asyncio.timeout(10):
        async for event in c.events():
            events.append(event)
            if len(events) == n:
                break
    return events
