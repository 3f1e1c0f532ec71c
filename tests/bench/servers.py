"""The servers of the benchmarks, each in a process of its own (never in the measured client's).

``python -m tests.bench.servers push`` runs the *push server*: a bare WebSocket server
(asyncio streams, the RFC 6455 handshake and framing written out here) that answers each
protocol's opening exchange as its real server does and then writes a pre-encoded run of
frames as fast as the socket takes them, so the client is what is measured. The URL path
says what to serve: ``/<protocol>/<kind>/<count>/...`` (the rest of the path is the one the
client adds, e.g. ``/ws`` or ``/realtime``):

========  =============================================  ==========================================
protocol  opening exchange answered                      then streams (``kind``)
========  =============================================  ==========================================
evok      ``{"cmd": "all"}`` -> the 30-device ``all``     ``ai`` or ``ro`` messages (``min``: the
          reply (a filter is accepted silently)          one-object ``all`` reply, no stream)
globiots  the subscription request                       realtime pushes of 8 addresses
xentara   Client Hello -> version 1; subscribe -> ok     8-event data-change messages
oisp      registration (silence); ``ping`` -> ``PONG``   actuations
farmws    the dashboard's first message                  sensor events
========  =============================================  ==========================================

The stream starts right after the last message of the opening exchange (the *go*), so a
client can start its clock just before it sends that message. ``count`` 0 streams nothing
(the memory rows hold thousands of idle connections open on this server). Pings are
answered, a close is echoed.

``python -m tests.bench.servers simulator xentara|oisp [N]`` runs that protocol's simulator
(the request-overhead rows; OISP with tokens for N more devices ``gw-00000``... for the
gateway row). Every server prints one JSON line when it is ready (``port``,
``url``, and for OISP the device tokens) and exits when its standard input closes.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import os
import resource
import sys
import threading
from collections.abc import AsyncIterator, Callable

import cbor2

from tests.bench import frames

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


def raise_fd_limit() -> int:
    """Raise this process's open-file limit to its hard limit; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


def encode_frame(opcode: int, payload: bytes) -> bytes:
    """One unmasked server frame (FIN set)."""
    n = len(payload)
    if n < 126:
        header = bytes((0x80 | opcode, n))
    elif n < 1 << 16:
        header = bytes((0x80 | opcode, 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 127)) + n.to_bytes(8, "big")
    return header + payload


def _unmask(data: bytes, mask: bytes) -> bytes:
    n = len(data)
    if not n:
        return data
    key = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")


def parse_frames(buf: bytearray) -> tuple[list[tuple[bool, int, bytes]], int]:
    """The complete client frames at the start of ``buf`` as (fin, opcode, unmasked payload), and their size."""
    found = []
    pos, end = 0, len(buf)
    while end - pos >= 2:
        b0, b1 = buf[pos], buf[pos + 1]
        length, at = b1 & 0x7F, pos + 2
        if length >= 126:
            width = 2 if length == 126 else 8
            if end - at < width:
                break
            length = int.from_bytes(buf[at : at + width], "big")
            at += width
        mask = b""
        if b1 & 0x80:
            if end - at < 4:
                break
            mask = bytes(buf[at : at + 4])
            at += 4
        if end - at < length:
            break
        payload = bytes(buf[at : at + length])
        found.append((bool(b0 & 0x80), b0 & 0x0F, _unmask(payload, mask) if mask else payload))
        pos = at + length
    return found, pos


async def read_messages(reader: asyncio.StreamReader) -> AsyncIterator[list[tuple[int, bytes]]]:
    """Batches of (opcode, payload) from a client: every message complete in what one read brought.

    Fragments are joined; control frames come through as they arrive. Reading in large chunks
    and answering a batch with one write keeps the server's cost per message small.
    """
    buf = bytearray()
    parts: list[bytes] = []
    first_opcode = 0
    while True:
        chunk = await reader.read(1 << 16)
        if not chunk:
            return
        buf += chunk
        found, used = parse_frames(buf)
        del buf[:used]
        batch = []
        for fin, opcode, payload in found:
            if opcode >= 0x8:
                batch.append((opcode, payload))
                continue
            if opcode:
                first_opcode = opcode
            parts.append(payload)
            if fin:
                batch.append((first_opcode, b"".join(parts)))
                parts = []
        if batch:
            yield batch


# -- what each protocol's server answers --------------------------------------------------------


class Session:
    """One connection's opening exchange: ``answer(opcode, payload)`` -> (frames to send, go)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.started = False

    def answer(self, opcode: int, payload: bytes) -> tuple[list[bytes], bool]:
        raise NotImplementedError

    def go(self) -> tuple[list[bytes], bool]:
        """Start the stream (once)."""
        if self.started:
            return [], False
        self.started = True
        return [], True


class EvokSession(Session):
    def answer(self, opcode: int, payload: bytes) -> tuple[list[bytes], bool]:
        message = json.loads(payload)
        if isinstance(message, dict) and message.get("cmd") == "all":
            reply = frames.EVOK_ALL_MINIMAL if self.kind == "min" else _evok_all()
            _, go = self.go()
            return [encode_frame(TEXT, reply.encode())], go
        return [], False  # filter, set...: EVOK never answers


class FirstMessageSession(Session):
    """Globiots (the subscription) and farmws (the dashboard's first message): any message is the go."""

    def answer(self, opcode: int, payload: bytes) -> tuple[list[bytes], bool]:
        return self.go()


class XentaraSession(Session):
    def answer(self, opcode: int, payload: bytes) -> tuple[list[bytes], bool]:
        replies = []
        go = False
        for packet in cbor2.loads(payload):
            if packet[0] != 0:
                continue
            message_id, op = packet[1], packet[2]
            if op == 14:  # Client Hello: protocol version 1
                replies.append([1, message_id, {0: 1}])
            elif op == 4:  # read: every attribute asked for reads 50.0
                replies.append([1, message_id, {attribute: _READ_VALUE for attribute in packet[3][1]}])
            else:  # subscribe (6) and anything else: success without an item
                replies.append([1, message_id])
                go = go or op == 6
        out = [encode_frame(BINARY, cbor2.dumps(replies))] if replies else []
        if go:
            go = self.go()[1]
        return out, go


_READ_VALUE = cbor2.CBORTag(121, 50.0)


class OispSession(Session):
    def answer(self, opcode: int, payload: bytes) -> tuple[list[bytes], bool]:
        message = json.loads(payload)
        if isinstance(message, dict) and message.get("type") == "ping":
            return [encode_frame(TEXT, frames.OISP_PONG.encode())], self.go()[1]
        return [], False  # a registration is accepted in silence


SESSIONS: dict[str, Callable[[str], Session]] = {
    "evok": EvokSession,
    "globiots": FirstMessageSession,
    "xentara": XentaraSession,
    "oisp": OispSession,
    "farmws": FirstMessageSession,
}

_EVOK_ALL: list[str] = []


def _evok_all() -> str:
    if not _EVOK_ALL:
        _EVOK_ALL.append(frames.evok_all(30))
    return _EVOK_ALL[0]


def stream_payloads(protocol: str, kind: str) -> list[tuple[int, bytes]]:
    """The distinct (opcode, payload) of a stream, in the order they are sent."""
    if protocol == "evok":
        texts = frames.evok_ai() if kind == "ai" else frames.evok_ro()
        return [(TEXT, t.encode()) for t in texts]
    if protocol == "globiots":
        return [(TEXT, t.encode()) for t in frames.globiots_pushes()]
    if protocol == "xentara":
        return [(BINARY, m) for m in frames.xentara_messages()]
    if protocol == "oisp":
        return [(TEXT, t.encode()) for t in frames.oisp_actuations()]
    if protocol == "farmws":
        return [(TEXT, t.encode()) for t in frames.farmws_events()]
    raise KeyError(protocol)


_BLOBS: dict[tuple[str, str, int], bytes] = {}


def stream_blob(protocol: str, kind: str, count: int) -> bytes:
    """``count`` pre-framed messages of the stream, concatenated (built once per server)."""
    key = (protocol, kind, count)
    blob = _BLOBS.get(key)
    if blob is None:
        framed = [encode_frame(op, payload) for op, payload in stream_payloads(protocol, kind)]
        blob = b"".join(framed[i % len(framed)] for i in range(count))
        _BLOBS[key] = blob
    return blob


# -- the push server ----------------------------------------------------------------------------


def _handshake(head: bytes) -> tuple[str, bytes]:
    """(path, the 101 response) for an upgrade request."""
    lines = head.decode("latin-1").split("\r\n")
    _, target, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    accept = base64.b64encode(hashlib.sha1(headers["sec-websocket-key"].encode() + _GUID).digest()).decode()
    response = [
        "HTTP/1.1 101 Switching Protocols",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Accept: {accept}",
    ]
    offered = headers.get("sec-websocket-protocol")
    if offered:
        response.append(f"Sec-WebSocket-Protocol: {offered.split(',')[0].strip()}")
    return target.split("?", 1)[0], ("\r\n".join(response) + "\r\n\r\n").encode()


async def _serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        path, response = _handshake(head)
        parts = path.strip("/").split("/")
        protocol, kind, count = parts[0], parts[1], int(parts[2])
        session = SESSIONS[protocol](kind)
    except Exception:
        writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
        writer.close()
        return
    writer.write(response)
    try:
        async for batch in read_messages(reader):
            out: list[bytes] = []
            stream = b""
            for opcode, payload in batch:
                if opcode == CLOSE:
                    writer.write(b"".join([*out, encode_frame(CLOSE, payload[:2])]))
                    await writer.drain()
                    return
                if opcode == PING:
                    out.append(encode_frame(PONG, payload))
                elif opcode != PONG:
                    replies, go = session.answer(opcode, payload)
                    out.extend(replies)
                    if go and count:
                        stream = stream_blob(protocol, kind, count)
            if out:
                writer.write(b"".join(out))
            if stream:
                writer.write(stream)  # the transport sends it as fast as the socket drains
    except ConnectionError:
        pass
    finally:
        writer.close()


async def _push_server() -> None:
    server = await asyncio.start_server(_serve, "127.0.0.1", 0, backlog=4096)
    port = server.sockets[0].getsockname()[1]
    print(json.dumps({"port": port, "url": f"ws://127.0.0.1:{port}"}), flush=True)
    async with server:
        await server.serve_forever()


# -- the simulators -----------------------------------------------------------------------------


async def _simulator(protocol: str, gateway_devices: int = 0) -> None:
    if protocol == "xentara":
        from iotws.xentara import XentaraSimulator

        async with XentaraSimulator() as sim:
            print(json.dumps({"url": sim.url()}), flush=True)
            await asyncio.Event().wait()
    elif protocol == "oisp":
        from iotws.oisp import OispSimulator, TokenKeys

        keys = TokenKeys.generate()
        devices = ["bench-typed", "bench-raw", *(f"gw-{i:05d}" for i in range(gateway_devices))]
        tokens = {device: keys.issue(device, frames.OISP_ACCOUNT) for device in devices}
        async with OispSimulator(keys=keys, blind_window=0, duplicates=False) as sim:
            print(json.dumps({"url": sim.url(), "tokens": tokens}), flush=True)
            await asyncio.Event().wait()
    else:
        raise SystemExit(f"no simulator mode for {protocol!r}")


def _exit_with_parent() -> None:
    """Exit when the parent closes our standard input (or dies)."""
    sys.stdin.read()
    os._exit(0)


def main(argv: list[str]) -> None:
    raise_fd_limit()
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    if argv[:1] == ["push"]:
        asyncio.run(_push_server())
    elif argv[:1] == ["simulator"] and len(argv) in (2, 3):
        asyncio.run(_simulator(argv[1], int(argv[2]) if len(argv) == 3 else 0))
    else:
        raise SystemExit("usage: python -m tests.bench.servers push | simulator xentara | simulator oisp [DEVICES]")


if __name__ == "__main__":
    main(sys.argv[1:])
