"""Both drivers against servers that misbehave at the WebSocket level.

The simulators speak correct WebSocket; these faults need a server that does not: a
frame that declares 256 MiB, a text frame that is not UTF-8, an upgrade answer that
trickles in, a server that never answers the close frame. ``RawServer`` is a small
asyncio server on 127.0.0.1 (in its own thread) speaking just enough WebSocket by hand.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import struct
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from iotws.backoff import ReconnectPolicy
from iotws.client import SyncClientBase
from iotws.errors import ConnectError, ConnectionClosed, UsageError
from iotws.events import Connected, Disconnected, ProtocolViolation, Reconnected, Stopped
from iotws.options import BearerAuth, ConnectOptions
from iotws.testing import open_client, resolve, take_events, wait_until

from .echo import (
    AsyncBuggyClient,
    AsyncEchoClient,
    BuggyClient,
    EchoClient,
    Pushed,
    ReconnectBuggyCore,
)

FAST = ReconnectPolicy(initial_delay=0.05, max_delay=0.2, jitter=0.1)
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CONT, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA


def client(flavour: str, url: str, **kwargs: Any) -> Any:
    kwargs.setdefault("reconnect", None)
    return open_client(flavour, EchoClient, AsyncEchoClient, url, **kwargs)


# -- a WebSocket server written by hand -------------------------------------------------


class Peer:
    """One client connection, spoken to frame by frame."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def read_request(self) -> dict[str, str]:
        """The upgrade request's headers (names lower-cased)."""
        raw = await self.reader.readuntil(b"\r\n\r\n")
        fields = (line.partition(":") for line in raw.decode("latin-1").split("\r\n")[1:] if line)
        return {name.strip().lower(): value.strip() for name, _, value in fields}

    @staticmethod
    def upgrade_response(request: dict[str, str]) -> bytes:
        accept = base64.b64encode(hashlib.sha1(request["sec-websocket-key"].encode() + GUID).digest())
        return (
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )

    async def write(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def send(self, opcode: int, payload: bytes, *, fin: bool = True, declared: int | None = None) -> None:
        """Send a frame; ``declared`` puts another length in its header than the payload's."""
        length = len(payload) if declared is None else declared
        first = (0x80 if fin else 0) | opcode
        if length < 126:
            header = struct.pack("!BB", first, length)
        elif length < 1 << 16:
            header = struct.pack("!BBH", first, 126, length)
        else:
            header = struct.pack("!BBQ", first, 127, length)
        await self.write(header + payload)

    async def send_json(self, value: Any) -> None:
        await self.send(TEXT, json.dumps(value).encode())

    async def receive(self) -> tuple[int, bytes]:
        """The next frame from the client (unmasked)."""
        first, second = await self.reader.readexactly(2)
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await self.reader.readexactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
        mask = await self.reader.readexactly(4) if second & 0x80 else b"\0\0\0\0"
        data = await self.reader.readexactly(length)
        return first & 0x0F, bytes(b ^ mask[i % 4] for i, b in enumerate(data))

    async def receive_close(self) -> int | None:
        """Skip frames until the client's close frame; its status code."""
        while True:
            opcode, payload = await self.receive()
            if opcode == CLOSE:
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None

    async def accept(self) -> dict[str, str]:
        """Upgrade, then answer the echo protocol's hello; returns the request's headers."""
        request = await self.read_request()
        await self.write(self.upgrade_response(request))
        opcode, payload = await self.receive()
        assert opcode == TEXT
        await self.send_json({"welcome": json.loads(payload)["hello"]})
        return request

    async def serve_echo(self, answer_close: bool = True) -> int | None:
        """Answer echo requests and pings until the client closes; returns its close code."""
        while True:
            opcode, payload = await self.receive()
            if opcode == PING:
                await self.send(PONG, payload)
            elif opcode == TEXT:
                data = json.loads(payload)
                await self.send_json({"id": data["id"], "echo": data.get("echo")})
            elif opcode == CLOSE:
                if answer_close:
                    await self.send(CLOSE, payload[:2])
                return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None


class RawServer:
    """Runs ``handler(peer)`` for each connection, on 127.0.0.1, in a thread of its own."""

    def __init__(self, handler: Callable[[Peer], Awaitable[None]]) -> None:
        self.handler = handler
        self.connections = 0
        self.port = 0
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/echo"

    def __enter__(self) -> RawServer:
        self._thread.start()
        assert self._ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stop.wait()
        server.close()  # asyncio.run then cancels the handlers still running

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.handler(Peer(reader, writer))
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


def raw_server(handler: Callable[[Peer], Awaitable[None]]) -> RawServer:
    return RawServer(handler)


# -- R14: an oversized frame is refused by its header, before its payload is read ------------


async def test_a_frame_declaring_256_mib_is_refused_by_its_header_with_1009(flavour: str) -> None:
    closes: list[int | None] = []

    async def handler(peer: Peer) -> None:
        await peer.accept()
        # the header of a 256 MiB text frame and 4 bytes of it, never the rest: a client that
        # reads the payload before checking its size waits here (for its socket timeout, 30 s)
        await peer.send(TEXT, b'{"ev', declared=256 * 1024 * 1024)
        closes.append(await peer.receive_close())

    with raw_server(handler) as server:
        async with client(flavour, server.url(), connect_timeout=30, max_message_size=1024 * 1024) as c:
            disconnected = (await take_events(c, 1, of_type=Disconnected, timeout=10))[0]
            assert disconnected.error.code == 1009
            assert str(disconnected.error) == "message of 268435456 bytes exceeds max_message_size=1048576"
            await wait_until(lambda: closes == [1009], timeout=5)  # the server was told why


async def test_an_oversized_fragmented_message_is_refused_with_its_reason(flavour: str) -> None:
    closes: list[int | None] = []

    async def handler(peer: Peer) -> None:
        await peer.accept()
        await peer.send(TEXT, b"x" * 600, fin=False)  # each fragment fits, the message does not
        await peer.send(CONT, b"y" * 600, declared=600 * 1024)  # only its header arrives
        closes.append(await peer.receive_close())

    with raw_server(handler) as server:
        async with client(flavour, server.url(), connect_timeout=30, max_message_size=1024) as c:
            disconnected = (await take_events(c, 1, of_type=Disconnected, timeout=10))[0]
            assert disconnected.error.code == 1009
            assert str(disconnected.error) == f"message of {600 + 600 * 1024} bytes exceeds max_message_size=1024"
            await wait_until(lambda: closes == [1009], timeout=5)


async def test_max_message_size_is_the_largest_message_accepted_by_both(flavour: str) -> None:
    def event(size: int) -> bytes:
        frame = json.dumps({"event": ""}).encode()
        return json.dumps({"event": "x" * (size - len(frame))}).encode()

    async def handler(peer: Peer) -> None:
        await peer.accept()
        await peer.send(TEXT, event(1024))
        await peer.send(TEXT, event(1025))
        await peer.receive_close()

    with raw_server(handler) as server:
        async with client(flavour, server.url(), max_message_size=1024) as c:
            pushed = (await take_events(c, 1, of_type=Pushed))[0]
            assert len(pushed.item) == 1024 - len('{"event": ""}')
            disconnected = (await take_events(c, 1, of_type=Disconnected))[0]
            assert str(disconnected.error) == "message of 1025 bytes exceeds max_message_size=1024"


# -- R2: bad UTF-8 is a violation and the link stays up, in both drivers -------------------------


async def test_invalid_utf8_text_is_a_violation_and_the_link_stays_up(flavour: str) -> None:
    async def handler(peer: Peer) -> None:
        await peer.accept()
        await peer.send(TEXT, b'{"event": "\xff\xfe"}')
        await peer.serve_echo()

    with raw_server(handler) as server:
        async with client(flavour, server.url()) as c:  # reconnect=None: a drop would end the stream
            violation = (await take_events(c, 1, of_type=ProtocolViolation))[0]
            assert "not valid UTF-8" in str(violation.error)
            assert violation.error.frame is not None
            assert await resolve(c.echo("still here")) == "still here"
            assert c.connected
        assert server.connections == 1


# -- R4: connect_timeout bounds the whole opening handshake -----------------------------------------


async def test_connect_timeout_bounds_a_trickled_upgrade_response(flavour: str) -> None:
    async def handler(peer: Peer) -> None:
        response = peer.upgrade_response(await peer.read_request())
        for i in range(len(response)):  # a byte every 0.25 s: about 30 s in all
            await peer.write(response[i : i + 1])
            await asyncio.sleep(0.25)
        await peer.serve_echo()

    with raw_server(handler) as server:
        started = time.monotonic()
        with pytest.raises(ConnectError, match="timed out while connecting"):
            async with client(flavour, server.url(), connect_timeout=1):
                pass
        assert time.monotonic() - started < 1 + 3  # connect_timeout and a margin, not the 30 s of the answer


async def test_connect_timeout_covers_the_upgrade_and_the_hello_together(flavour: str) -> None:
    async def handler(peer: Peer) -> None:
        request = await peer.read_request()
        await asyncio.sleep(2.0)  # each step alone fits in connect_timeout, both do not
        await peer.write(peer.upgrade_response(request))
        _, payload = await peer.receive()
        await asyncio.sleep(2.0)
        await peer.send_json({"welcome": json.loads(payload)["hello"]})
        await peer.serve_echo()

    with raw_server(handler) as server:
        started = time.monotonic()
        with pytest.raises(ConnectError):
            async with client(flavour, server.url(), connect_timeout=2.5):
                pass
        assert time.monotonic() - started < 4.0  # the two steps together would take 4 s or more


async def test_connect_timeout_bounds_a_trickled_tls_handshake(flavour: str) -> None:
    async def handler(peer: Peer) -> None:
        # a TLS record header announcing a 16 KiB handshake message, then a byte every 0.25 s
        await peer.write(bytes([0x16, 0x03, 0x03, 0x40, 0x00]))
        for _ in range(200):
            await peer.write(b"\x00")
            await asyncio.sleep(0.25)

    with raw_server(handler) as server:
        url = server.url().replace("ws://", "wss://")
        started = time.monotonic()
        with pytest.raises(ConnectError, match="timed out while connecting"):
            async with client(flavour, url, connect_timeout=1, verify=False):
                pass
        assert time.monotonic() - started < 1 + 3  # connect_timeout and a margin, not the 50 s of the trickle


# -- R8: no header injection ---------------------------------------------------------------------


async def test_control_characters_in_headers_are_refused_before_connecting(flavour: str) -> None:
    requests: list[dict[str, str]] = []

    async def handler(peer: Peer) -> None:
        requests.append(await peer.accept())
        await peer.serve_echo()

    cases: list[tuple[dict[str, Any], str]] = [
        ({"headers": {"X-Site": "north\r\nX-Injected: 1"}}, "'X-Site'"),
        ({"headers": {"X-Site": "north\nX-Injected: 1"}}, "'X-Site'"),
        ({"headers": {"X-Site": "a\x00b"}}, "'X-Site'"),
        ({"auth": BearerAuth("s3cret\r\nX-Injected: 1")}, "'Authorization'"),
        ({"headers": {"X-Site\r\nX-Injected": "1"}}, "X-Site"),
    ]
    with raw_server(handler) as server:
        for options, name in cases:
            with pytest.raises(UsageError) as info:
                async with client(flavour, server.url(), **options):
                    pass
            assert name in str(info.value)
            assert "s3cret" not in str(info.value) and "north" not in str(info.value)
        assert server.connections == 0  # nothing reached the wire
        async with client(flavour, server.url(), headers={"X-Site": "north"}, auth=BearerAuth("s3cret")):
            pass
    assert requests[0]["x-site"] == "north"
    assert requests[0]["authorization"] == "Bearer s3cret"
    assert "x-injected" not in requests[0]


# -- R13: a bounded close handshake ------------------------------------------------------------------


async def test_close_is_bounded_when_the_server_never_answers_the_close(flavour: str) -> None:
    closes: list[int | None] = []

    async def handler(peer: Peer) -> None:
        await peer.accept()
        closes.append(await peer.serve_echo(answer_close=False))
        await asyncio.sleep(60)  # keeps the TCP connection open, says nothing

    with raw_server(handler) as server:
        async with client(flavour, server.url(), close_timeout=0.3) as c:
            assert await resolve(c.echo(1)) == 1
            started = time.monotonic()
            await resolve(c.close())
            assert time.monotonic() - started < 1.5  # close_timeout and a margin
            assert not c.connected
        await wait_until(lambda: closes == [1000], timeout=5)


async def test_close_returns_as_soon_as_the_server_answers(flavour: str) -> None:
    closes: list[int | None] = []

    async def handler(peer: Peer) -> None:
        await peer.accept()
        closes.append(await peer.serve_echo(answer_close=True))
        await asyncio.sleep(60)

    with raw_server(handler) as server:
        async with client(flavour, server.url(), close_timeout=5) as c:
            started = time.monotonic()
            await resolve(c.close())
            assert time.monotonic() - started < 2  # not close_timeout: the answer ended the handshake
        await wait_until(lambda: closes == [1000], timeout=5)


def test_close_timeout_is_an_option_validated_positive() -> None:
    assert ConnectOptions("ws://127.0.0.1:1/").close_timeout == 0.5
    assert ConnectOptions("ws://127.0.0.1:1/", close_timeout=2).close_timeout == 2
    for bad in (0, -1):
        with pytest.raises(UsageError, match="close_timeout must be positive"):
            ConnectOptions("ws://127.0.0.1:1/", close_timeout=bad)


# -- R7: a reader that raises never dies silently ---------------------------------------------------


async def _collect(c: Any, into: list[object]) -> None:
    if isinstance(c, SyncClientBase):
        for event in c.events(timeout=10):
            into.append(event)
    else:
        async for event in c.events(timeout=10):
            into.append(event)


async def test_a_reader_that_raises_stops_the_client_with_that_error(flavour: str) -> None:
    closes: list[int | None] = []

    async def handler(peer: Peer) -> None:
        await peer.accept()
        await peer.receive()  # a command: never answered, so it is in flight
        await peer.send_json({"event": "boom"})  # the core's bug fires in the reader
        closes.append(await peer.receive_close())

    with raw_server(handler) as server:
        async with open_client(
            flavour, BuggyClient, AsyncBuggyClient, server.url(), reconnect=FAST, request_timeout=30
        ) as c:
            await take_events(c, 1, of_type=Connected)
            if flavour == "async":
                pending = asyncio.ensure_future(c.echo("never answered"))
            else:
                pending = asyncio.get_running_loop().run_in_executor(None, c.echo, "never answered")
            with pytest.raises(ConnectionClosed, match="reader failed") as failed:
                await asyncio.wait_for(pending, 10)  # the command in flight fails; it does not wait 30 s
            assert isinstance(failed.value.__cause__, AttributeError)
            seen: list[object] = []
            with pytest.raises(AttributeError, match="boom in data_to_send") as info:
                await _collect(c, seen)
            stopped = seen[-1]
            assert isinstance(stopped, Stopped)
            assert stopped.error is info.value
            assert "AttributeError" in stopped.reason
            assert Pushed("boom") in seen
            assert not any(isinstance(e, (Disconnected, Reconnected)) for e in seen)
            assert not c.connected
            with pytest.raises(ConnectionClosed, match="stopped"):
                await resolve(c.echo(1))
            await wait_until(lambda: closes == [1011], timeout=5)  # "internal error", said to the server
        assert server.connections == 1  # a bug is not retried


async def test_a_bug_while_reconnecting_stops_the_client_with_that_error(flavour: str) -> None:
    async def handler(peer: Peer) -> None:
        await peer.write(peer.upgrade_response(await peer.read_request()))
        opcode, payload = await peer.receive()  # the hello; none the second time (the core fails first)
        if opcode == TEXT:
            await peer.send_json({"welcome": json.loads(payload)["hello"]})
        # then hang up: the client reconnects

    with raw_server(handler) as server:
        async with open_client(
            flavour, BuggyClient, AsyncBuggyClient, server.url(), core=ReconnectBuggyCore, reconnect=FAST
        ) as c:
            seen: list[object] = []
            with pytest.raises(AttributeError, match="boom in on_connect"):
                await _collect(c, seen)
            assert [type(e) for e in seen] == [Connected, Disconnected, Stopped]
            assert isinstance(seen[-1], Stopped) and isinstance(seen[-1].error, AttributeError)
        assert server.connections == 2  # tried once more, then stopped: not retried for ever
