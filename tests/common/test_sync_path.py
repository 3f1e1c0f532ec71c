"""The sync driver's data path: leader/follower reads, buffered frames, the batched event queue.

A calling thread reads its own reply when the reader thread only waits for data, and hands
the role on when its reply is in; these tests run several threads at once against a real
server while events stream, and check that every reply reaches its own caller, that no
event is lost or reordered, that callbacks stay on the reader thread, and that close()
never hangs. No timing is asserted: joins have generous bounds only to turn a hang into a
failure.
"""

from __future__ import annotations

import asyncio
import json
import queue
import struct
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from iotws.backoff import ReconnectPolicy
from iotws.errors import ConnectionClosed, RequestTimeout
from iotws.events import Connected, Disconnected, ProtocolViolation, Reconnected
from iotws.sansio import ProtocolCore
from iotws.sync_driver import _EventQueue, _SyncDispatcher

from .echo import EchoClient, EchoSimulator, Pushed
from .test_driver_faults import BINARY, CLOSE, CONT, TEXT, Peer, raw_server

FAST = ReconnectPolicy(initial_delay=0.05, max_delay=0.2, jitter=0.1)
#: Bound on joins: reached only if something hangs.
HANG = 30.0


@pytest.fixture
def sim() -> Iterator[EchoSimulator]:
    simulator = EchoSimulator()
    with simulator.run():
        yield simulator


def run_threads(targets: list[Any]) -> list[BaseException]:
    """Run each target in its own thread, all started together; the exceptions they raised."""
    errors: list[BaseException] = []
    start = threading.Barrier(len(targets))

    def wrap(target: Any) -> None:
        try:
            start.wait()
            target()
        except BaseException as exc:  # reported to the test
            errors.append(exc)

    threads = [threading.Thread(target=wrap, args=(t,), daemon=True) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(HANG)
        assert not thread.is_alive(), "a calling thread hung"
    return errors


# -- leader/follower ------------------------------------------------------------------------


@pytest.mark.parametrize("round_", range(3))
def test_threads_calling_at_once_while_events_stream_each_get_their_own_reply(sim: EchoSimulator, round_: int) -> None:
    pushed: list[int] = []
    seen_by_callback: list[int] = []
    callback_threads: set[str] = set()

    def on_pushed(event: Pushed) -> None:
        seen_by_callback.append(event.item)
        callback_threads.add(threading.current_thread().name)

    with EchoClient(sim.url(), event_queue_size=100_000) as client:
        client.on(Pushed, on_pushed)

        def caller(n: int) -> Any:
            def run() -> None:
                for i in range(150):
                    value = {"caller": n, "i": i}
                    assert client.echo(value) == value  # never another caller's reply

            return run

        def pusher() -> None:
            for batch in range(20):
                items = list(range(batch * 50, batch * 50 + 50))
                assert client.push(items) == len(items)
                pushed.extend(items)

        errors = run_threads([caller(n) for n in range(5)] + [pusher])
        assert errors == []
        events: list[int] = []
        for event in client.events(timeout=HANG):
            if isinstance(event, Pushed):
                events.append(event.item)
                if len(events) == len(pushed):
                    break
        assert events == pushed == list(range(1000))  # nothing lost, nothing reordered
        assert client.dropped_events == 0
        assert seen_by_callback == pushed
    assert callback_threads == {"iotws-echo-reader"}  # even for frames a calling thread read


def test_a_reply_read_by_another_thread_reaches_its_caller(sim: EchoSimulator) -> None:
    with EchoClient(sim.url()) as client:
        results: dict[str, Any] = {}

        def slow() -> None:
            results["slow"] = client.sleep(0.3)  # its reply comes while others read

        def quick() -> None:
            results["quick"] = [client.echo(i) for i in range(50)]

        assert run_threads([slow, quick, quick]) == []
        assert results == {"slow": 0.3, "quick": list(range(50))}


def test_a_timed_out_caller_passes_the_role_on(sim: EchoSimulator) -> None:
    with EchoClient(sim.url()) as client:
        outcomes: list[object] = []

        def waits_too_little() -> None:
            try:
                client._execute(_sleep_command(1.0, timeout=0.2))
            except RequestTimeout as exc:
                outcomes.append(exc)

        def keeps_calling() -> None:
            for i in range(100):
                assert client.echo(i) == i

        assert run_threads([waits_too_little, keeps_calling, keeps_calling]) == []
        assert len(outcomes) == 1
        assert client.echo("after") == "after"  # the role was never lost


def _sleep_command(seconds: float, timeout: float) -> Any:
    from .echo import Echo

    command = Echo("sleep", seconds)
    command.timeout = timeout
    return command


def test_close_while_threads_wait_and_read_fails_them_all_without_a_hang() -> None:
    requests: list[int] = []
    closes: list[int | None] = []

    async def handler(peer: Peer) -> None:  # takes every command, answers none
        await peer.accept()
        while True:
            opcode, _ = await peer.receive()
            if opcode == CLOSE:
                closes.append(1000)
                await peer.send(CLOSE, struct.pack("!H", 1000))
                return
            requests.append(opcode)

    outcomes: list[object] = []

    def call(client: EchoClient) -> None:
        try:
            client.echo(1)
        except ConnectionClosed as exc:
            outcomes.append(exc)

    with raw_server(handler) as server:
        client = EchoClient(server.url(), reconnect=None, request_timeout=HANG).connect()
        threads = [threading.Thread(target=call, args=(client,), daemon=True) for _ in range(6)]
        for thread in threads:
            thread.start()
        while len(requests) < 6:  # all six wait: one of them reads, five follow
            threading.Event().wait(0.01)
        client.close()
        for thread in threads:
            thread.join(HANG)
            assert not thread.is_alive(), "close() left a calling thread hanging"
    assert len(outcomes) == 6 and all(isinstance(e, ConnectionClosed) for e in outcomes)
    assert closes == [1000]  # the close handshake still happened: the reading thread handed over
    assert not client.connected


@pytest.mark.parametrize("round_", range(3))
def test_closing_from_another_thread_in_a_busy_loop_never_hangs(sim: EchoSimulator, round_: int) -> None:
    client = EchoClient(sim.url()).connect()
    failures: list[BaseException] = []

    def busy() -> None:
        try:
            while True:
                client.echo("x")
        except ConnectionClosed:
            pass
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=busy, daemon=True) for _ in range(4)]
    for thread in threads:
        thread.start()
    for _ in range(20):
        client.push([1])  # the main thread calls too
    client.close()
    for thread in threads:
        thread.join(HANG)
        assert not thread.is_alive()
    assert failures == []


def test_a_link_lost_while_a_caller_reads_fails_that_call_and_reconnects(sim: EchoSimulator) -> None:
    with EchoClient(sim.url(), reconnect=FAST) as client:
        outcome: list[object] = []

        def call() -> None:
            try:
                outcome.append(client.sleep(5))
            except ConnectionClosed as exc:
                outcome.append(exc)

        thread = threading.Thread(target=call, daemon=True)
        thread.start()
        while sim.sleeping < 1:
            threading.Event().wait(0.01)
        client._driver.drop("test")
        thread.join(HANG)
        assert not thread.is_alive()
        assert isinstance(outcome[0], ConnectionClosed)
        kinds = []
        for event in client.events(timeout=10):
            kinds.append(type(event))
            if isinstance(event, Reconnected):
                break
        assert kinds[-2:] == [Disconnected, Reconnected]
        assert client.echo("back") == "back"


# -- buffered reads ---------------------------------------------------------------------------


def frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    first = (0x80 if fin else 0) | opcode
    n = len(payload)
    if n < 126:
        return struct.pack("!BB", first, n) + payload
    if n < 65536:
        return struct.pack("!BBH", first, 126, n) + payload
    return struct.pack("!BBQ", first, 127, n) + payload


def event_frame(item: Any) -> bytes:
    return frame(TEXT, json.dumps({"event": item}).encode())


def until_disconnected(client: EchoClient) -> list[object]:
    """The events after Connected, up to and with the first Disconnected."""
    seen: list[object] = []
    for event in client.events(timeout=HANG):
        if not isinstance(event, Connected):
            seen.append(event)
        if isinstance(event, Disconnected):
            return seen
    raise AssertionError(f"no Disconnected in {seen}")


def test_many_frames_in_one_segment_and_frames_cut_anywhere_all_arrive() -> None:
    big = "x" * 70_000
    burst = b"".join(event_frame(i) for i in range(300)) + event_frame(big)
    fragmented = frame(TEXT, b'{"event": "fr', fin=False) + frame(CONT, b"ag", fin=False) + frame(CONT, b'ment"}')

    async def handler(peer: Peer) -> None:
        await peer.accept()
        await peer.receive()  # the client's push command
        await peer.write(burst)  # one write: parsed from few recv() calls
        for i in range(len(fragmented)):  # one byte at a time: headers and payloads cut everywhere
            await peer.write(fragmented[i : i + 1])
            await asyncio.sleep(0)
        await peer.write(frame(BINARY, b"\x00") + event_frame("last"))
        await peer.receive_close()

    with raw_server(handler) as server, EchoClient(server.url(), reconnect=None) as client:
        client._driver.send_frames(['{"id": 0, "push": []}'])
        items: list[Any] = []
        for event in client.events(timeout=10):
            if isinstance(event, Pushed):
                items.append(event.item)
            elif isinstance(event, ProtocolViolation):
                items.append("violation")  # the binary frame is not JSON text for the echo core
            if items[-1:] == ["last"]:
                break
        assert items == [*range(300), big, "fragment", "violation", "last"]


def test_messages_before_a_close_frame_in_the_same_segment_are_delivered_first() -> None:
    async def handler(peer: Peer) -> None:
        await peer.accept()
        await peer.write(event_frame(1) + event_frame(2) + frame(CLOSE, struct.pack("!H", 1001)))
        await peer.receive_close()

    with raw_server(handler) as server, EchoClient(server.url(), reconnect=None) as client:
        seen = until_disconnected(client)
        assert seen[:2] == [Pushed(1), Pushed(2)]
        assert isinstance(seen[2], Disconnected) and "code 1001" in str(seen[2].error)


def test_reserved_bits_are_refused_with_1002() -> None:
    codes: list[int | None] = []

    async def handler(peer: Peer) -> None:
        await peer.accept()
        await peer.write(event_frame(1) + bytes([0x80 | 0x40 | TEXT, 2]) + b"{}")
        codes.append(await peer.receive_close())

    with raw_server(handler) as server, EchoClient(server.url(), reconnect=None) as client:
        seen = until_disconnected(client)
        assert seen[0] == Pushed(1)
        assert isinstance(seen[1], Disconnected) and "reserved bits" in str(seen[1].error)
    assert codes == [1002]


def test_a_masked_server_frame_is_unmasked_as_websocket_client_did() -> None:
    key = b"\x01\x02\x03\x04"
    payload = json.dumps({"event": "masked"}).encode()
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))

    async def handler(peer: Peer) -> None:
        await peer.accept()
        await peer.write(struct.pack("!BB", 0x80 | TEXT, 0x80 | len(payload)) + key + masked)
        await peer.receive_close()

    with raw_server(handler) as server, EchoClient(server.url(), reconnect=None) as client:
        assert client.next_event(Pushed, timeout=10) == Pushed("masked")


def test_a_large_command_goes_out_whole_and_masked() -> None:
    received: list[bytes] = []

    async def handler(peer: Peer) -> None:
        await peer.accept()
        _, payload = await peer.receive()  # unmasked by the peer with the frame's key
        received.append(payload)
        await peer.send_json({"id": json.loads(payload)["id"], "echo": len(payload)})
        await peer.receive_close()

    value = "".join(chr(0x20 + i % 90) for i in range(3_000_000))  # more than a socket buffer takes at once
    with raw_server(handler) as server, EchoClient(server.url(), reconnect=None) as client:
        assert client.echo(value) == len(received[0])
    assert json.loads(received[0])["echo"] == value


# -- the event queue -----------------------------------------------------------------------


def test_event_queue_is_bounded_and_fifo() -> None:
    q = _EventQueue(maxsize=3)
    for item in "abc":
        q.put_nowait(item)
    with pytest.raises(queue.Full):
        q.put_nowait("d")
    assert (q.qsize(), q.full(), q.empty()) == (3, True, False)
    assert [q.get(timeout=0) for _ in range(3)] == ["a", "b", "c"]
    with pytest.raises(queue.Empty):
        q.get(timeout=0)
    with pytest.raises(queue.Empty):
        q.get_nowait()


def test_event_queue_wakes_a_waiting_consumer_once_per_batch() -> None:
    q = _EventQueue()
    got: list[object] = []
    wakes: list[int] = []
    wake = q.wake

    def counted_wake() -> None:
        wakes.append(len(q.queue))
        wake()

    q.wake = counted_wake  # type: ignore[method-assign]

    def consume() -> None:
        for _ in range(3):
            got.append(q.get(timeout=HANG))

    consumer = threading.Thread(target=consume, daemon=True)
    consumer.start()
    while not q._sleepers:  # the consumer waits
        threading.Event().wait(0.005)
    q.batching = True
    for item in range(3):
        q.put_nowait(item)
    q.end_batch()
    consumer.join(HANG)
    assert got == [0, 1, 2]
    assert wakes == [3]  # one wake-up, after the batch


# -- callbacks of events a calling thread read ----------------------------------------------


class _Items(ProtocolCore):
    def receive(self, frame: Any) -> list[object]:
        return [frame]


def test_events_a_caller_read_wait_for_their_callbacks_in_order_even_across_off() -> None:
    q = _EventQueue()
    wakes: list[int] = []
    dispatcher = _SyncDispatcher(_Items(), q, wake_reader=lambda: wakes.append(1))
    ran: list[object] = []

    def callback(event: object) -> None:
        ran.append(event)

    dispatcher.on(str, callback)
    dispatcher.caller_led = True  # a calling thread feeds what it read
    dispatcher.feed("a")
    dispatcher.feed("b")
    dispatcher.off(str, callback)  # the last callback goes while "a" and "b" wait
    dispatcher.feed("c")  # must not overtake them
    dispatcher.caller_led = False
    assert list(q.queue) == [] and wakes == [1, 1, 1]
    dispatcher.run_deferred()  # the reader thread
    assert list(q.queue) == ["a", "b", "c"]
    assert ran == []  # off() returned before the reader thread got to them: not called after off()
    assert dispatcher.callbacks == []  # the hold is gone once nothing waits
    dispatcher.caller_led = True
    dispatcher.feed("d")  # nothing waits, no callback: straight to the queue
    assert list(q.queue) == ["a", "b", "c", "d"]
