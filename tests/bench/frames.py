"""The payloads the benchmarks send: built here once, the same for every client that reads them.

Each stream is a cycle of :data:`VARIANTS` payloads that differ in their values (a device
never pushes the same state twice in a row), shaped as each server sends them:

* EVOK: the vendor document's ``ai`` message (v2-flavoured, ``glob_dev_id``), and EVOK 3
  ``ro`` messages as the simulator sends them; the ``all`` reply is the simulator's board
  with 30 devices;
* Globiots: a realtime push of 8 addresses over two devices (the decode row: 50 addresses);
* Xentara: a message of 8 data-change events of subscribed elements (value, quality, time);
* OISP: an actuation (``code`` 1024) as the server relays it;
* farmws (Dialect D dashboard): ``temperature``, ``humidity`` and ``soil_moisture`` events.

Only the standard library, ``cbor2`` and (for the ``all`` reply) the EVOK simulator's board
are used, so a server process builds the same bytes as the client process.
"""

from __future__ import annotations

import json
import math
import uuid
from typing import Any

import cbor2
from cbor2 import CBORTag

#: Distinct payloads per stream; the server cycles through them.
VARIANTS = 64

# -- EVOK ---------------------------------------------------------------------------------------

#: The vendor document's first ``ai`` message, verbatim but for the value.
_EVOK_AI = (
    '[{{"dev": "ai", "circuit": "2_01", "value": {value}, "unit": "Ohm", "glob_dev_id": 3, '
    '"mode": "Resistance2W", "modes": {{"Disabled": {{"value": 0}}, "Voltage10": {{"value": 1, "unit": "V", '
    '"range": [0, 10]}}, "Voltage2V5": {{"value": 2, "unit": "V", "range": [0, 2.5]}}, "Current20m": '
    '{{"value": 3, "unit": "mA", "range": [0, 20]}}, "Resistance3W": {{"value": 4, "unit": "Ohm", '
    '"range": [0, 1960]}}, "Resistance2W": {{"value": 5, "unit": "Ohm", "range": [0, 100000]}}}}, '
    '"range": [0, 100000]}}]'
)


def evok_ai(count: int = VARIANTS) -> list[str]:
    """``count`` vendor-document ``ai`` messages with different values."""
    return [_EVOK_AI.format(value=f"{1327.98232 + i * 0.125:.5f}") for i in range(count)]


def evok_ro(count: int = VARIANTS) -> list[str]:
    """``count`` EVOK 3 relay messages (the simulator's shape), switching relays 2_01..2_04 on and off."""
    return [json.dumps([{"dev": "ro", "circuit": f"2_0{1 + i % 4}", "value": (i // 4) % 2}]) for i in range(count)]


def evok_all(devices: int = 30) -> str:
    """The ``all`` reply of the EVOK simulator's board trimmed to ``devices`` objects (30: one register)."""
    from iotws.evok import BoardConfig, EvokSimulator

    board = BoardConfig(registers=max(0, devices - 29))
    objects = list(EvokSimulator(board).devices.values())
    if len(objects) != devices:
        raise RuntimeError(f"the EVOK board has {len(objects)} devices, not {devices}")
    return json.dumps(objects)


#: The smallest full ``all`` reply (one ``run`` object): what the memory rows' server answers.
EVOK_ALL_MINIMAL = json.dumps([{"dev": "run", "circuit": "alias", "save": False, "aliases": {}}])
EVOK_ALL_REQUEST = json.dumps({"cmd": "all"})

# -- Globiots -----------------------------------------------------------------------------------

_GLOBIOTS_TYPES: list[tuple[str, int, Any]] = [
    ("float", 4, lambda i: f"{20 + 5 * math.sin(i):.2f}"),
    ("unsigned_integer_16", 2, lambda i: str(i * 37 % 65536)),
    ("integer_16", 2, lambda i: str(-i * 11)),
    ("unsigned_integer_32", 4, lambda i: str(i * 100_003)),
    ("integer_32", 4, lambda i: str(-i * 70_001)),
    ("byte", 1, lambda i: str(i % 256)),
    ("hexa", 4, lambda i: f"{i * 2654435761 % 2**32:08X}"),
]
_CHANGES = ("INCREASE", "DECREASE", "UNCHNAGED")
GLOBIOTS_HOSTS = ("0.0.0.1", "0.0.0.2")


def globiots_points(addresses: int) -> list[tuple[str, str, str, int]]:
    """``(hostname, address, dataType, length)`` of the points of a push of ``addresses`` entries."""
    points = []
    for host in GLOBIOTS_HOSTS:
        for i in range(addresses // len(GLOBIOTS_HOSTS)):
            name, length, _ = _GLOBIOTS_TYPES[i % len(_GLOBIOTS_TYPES)]
            points.append((host, f"{0x2000 + 4 * i:04X}", name, length))
    return points


def globiots_push(addresses: int = 8, variant: int = 0) -> str:
    """A realtime push of ``addresses`` entries over two devices, mixed types."""
    objects: dict[str, list[dict[str, Any]]] = {}
    for n, (host, address, name, length) in enumerate(globiots_points(addresses)):
        i = n + variant
        make = dict((t[0], t[2]) for t in _GLOBIOTS_TYPES)[name]
        objects.setdefault(host, []).append(
            {"address": address, "dataType": name, "length": length, "value": make(i), "changeOfValue": _CHANGES[i % 3]}
        )
    return json.dumps(
        {
            "updateTime": 1,
            "timezone": "GMT+07:00",
            "timestamp": 1451380750978 + variant,
            "sessionId": "",
            "objects": [{"hostname": h, "addresses": a} for h, a in objects.items()],
        }
    )


def globiots_pushes(count: int = VARIANTS, addresses: int = 8) -> list[str]:
    """``count`` pushes with different values."""
    return [globiots_push(addresses, i) for i in range(count)]


def globiots_request(addresses: int = 8) -> str:
    """The subscription request for the points of :func:`globiots_push` (what a raw client sends)."""
    objects: dict[str, list[dict[str, Any]]] = {}
    for host, address, name, length in globiots_points(addresses):
        objects.setdefault(host, []).append({"address": address, "dataType": name, "length": length})
    return json.dumps(
        {"updateTime": 1, "timezone": "", "objects": [{"hostname": h, "addresses": a} for h, a in objects.items()]}
    )


# -- Xentara ------------------------------------------------------------------------------------

#: The elements the data-change events are about (the clients subscribe to them).
XENTARA_ELEMENTS = [uuid.uuid5(uuid.NAMESPACE_URL, f"iotws-bench/element/{i}") for i in range(8)]
XENTARA_SUBSCRIPTION = uuid.uuid5(uuid.NAMESPACE_URL, "iotws-bench/subscription")
XENTARA_HELLO = cbor2.dumps([[0, 1, 14, {0: 1, 1: 1}]])


def xentara_subscribe(message_id: int) -> bytes:
    """The subscribe request (opcode 6) for the Value of every bench element (what a raw client sends)."""
    items = [{0: element, 1: [11]} for element in XENTARA_ELEMENTS]
    return cbor2.dumps([[0, message_id, 6, {0: items, 3: XENTARA_SUBSCRIPTION}]])


def xentara_events(variant: int = 0) -> bytes:
    """One message of 8 data-change events (value, quality and time of each element)."""
    events = []
    for i, element in enumerate(XENTARA_ELEMENTS):
        stamp = CBORTag(1001, {4: CBORTag(4, [-9, 1704107471111587983 + 1000 * variant + i])})
        values = {9: CBORTag(121, 0), 11: CBORTag(121, 21.5 + i + variant / 8), 7: CBORTag(121, stamp)}
        events.append([8, 0, {0: stamp, 1: element, 2: values}])
    return cbor2.dumps(events)


def xentara_messages(count: int = VARIANTS) -> list[bytes]:
    """``count`` 8-event messages with different values."""
    return [xentara_events(i) for i in range(count)]


# -- OISP ---------------------------------------------------------------------------------------

OISP_DEVICE = "bench-device"
OISP_ACCOUNT = "bench-account"
OISP_PING = '{"type":"ping"}'
OISP_PONG = '{"code":202,"content":"PONG"}'


def oisp_registration(device: str = OISP_DEVICE, token: str = "eyJ.bench.sig") -> str:
    """The device registration a raw client sends first."""
    return json.dumps({"type": "device", "deviceId": device, "deviceToken": token}, separators=(",", ":"))


def oisp_actuations(count: int = VARIANTS) -> list[str]:
    """``count`` actuations (an LED command with a changing parameter), as the server relays them."""
    out = []
    for i in range(count):
        content = {
            "accountId": OISP_ACCOUNT,
            "deviceId": OISP_DEVICE,
            "gatewayId": OISP_DEVICE,
            "componentId": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{OISP_DEVICE}/LED.v1.0")),
            "command": "LED.v1.0",
            "params": [{"name": "LED", "value": str(i % 2)}, {"name": "step", "value": str(i)}],
        }
        out.append(json.dumps({"code": 1024, "content": {"type": "command", "transport": "ws", "content": content}}))
    return out


# -- farmws -------------------------------------------------------------------------------------

FARMWS_GO = json.dumps({"event": "bench_start", "data": {}})


def farmws_events(count: int = VARIANTS) -> list[str]:
    """``count`` Dialect D sensor events (temperature, humidity, soil moisture in turn)."""
    names = ("temperature", "humidity", "soil_moisture")
    return [json.dumps({"event": names[i % 3], "data": {"time": 8273663 + i, "record": 200 + i}}) for i in range(count)]
