"""A faithful Xentara WebSocket server on loopback (``wss://127.0.0.1:PORT/api/ws``).

It serves a model tree (groups, a device, data points with value, quality and
time attributes, writable and read-only) with stable UUIDs, answers every
command with the reference's behaviour and error codes, answers batched requests
one-to-one in one message, sends events in event-only messages at each
subscription's maximum and minimum update rates, and moves values over time.

Switches (settable any time): ``users`` / ``tokens`` (Basic and Bearer checks on
the upgrade, 401 otherwise; empty = no authentication), ``read_only_users``,
``update_interval`` (seconds between value changes), ``event_tick`` (event
scheduler resolution), ``reverse_responses`` (answer a batch in reverse order,
to prove correlation by id), ``stage``, plus the base faults (``faults.silent``,
``faults.delay``, ``faults.refuse_upgrade``, ``drop_connections()``,
``send_garbage()``).

Examples:
    >>> from iotws.xentara import Client
    >>> with XentaraSimulator().run() as sim:
    ...     with Client(sim.url(), reconnect=None) as client:
    ...         client.read_value("Group 1.Setpoint")
    50.0
"""

from __future__ import annotations

import asyncio
import base64
import math
import ssl
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

import attrs
from aiohttp import web
from cbor2 import CBORTag

from iotws.errors import ProtocolError, missing_extra
from iotws.simulator import SimConnection, SimulatorBase
from iotws.xentara.cbor import EncodedFloat, dumps, loads
from iotws.xentara.models import (
    NIL_UUID,
    AccessKind,
    ElementCategory,
    Opcode,
    Quality,
    Stage,
    Timestamp,
    ValueType,
)
from iotws.xentara.protocol import Request, error_packet, event_packet, success_packet

__all__ = [
    "SimAttribute",
    "SimElement",
    "SimModel",
    "XentaraSimulator",
    "self_signed_certificate",
    "self_signed_context",
]

UUID_NAMESPACE = uuid.UUID("6f1f3c2e-6f1e-4a59-9a53-58c1d1e2a001")
"""Namespace of the simulator's stable element UUIDs (uuid5 of the primary key)."""

_INT_RANGES = {
    ValueType.INT8: (-(2**7), 2**7 - 1),
    ValueType.INT16: (-(2**15), 2**15 - 1),
    ValueType.INT32: (-(2**31), 2**31 - 1),
    ValueType.INT64: (-(2**63), 2**63 - 1),
    ValueType.UINT8: (0, 2**8 - 1),
    ValueType.UINT16: (0, 2**16 - 1),
    ValueType.UINT32: (0, 2**32 - 1),
    ValueType.UINT64: (0, 2**64 - 1),
}
_STRINGS = {ValueType.STRING, ValueType.WSTRING, ValueType.U8STRING, ValueType.U16STRING, ValueType.U32STRING}
_FLOAT32_MAX = 3.4028234663852886e38
_USER = web.RequestKey("xentara_user", object)


class _Fail(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@attrs.define
class SimAttribute:
    """One attribute of a simulated element."""

    name: str
    id: int
    access: AccessKind
    type: ValueType
    value: Any


@attrs.define(eq=False)
class SimElement:
    """A simulated element; data points move with ``motion(t)`` when given.

    Examples:
        >>> SimModel.default().find("Group 1.Setpoint").attributes[11].value
        50.0
    """

    primary_key: str
    category: ElementCategory
    uuid: uuid.UUID
    attributes: dict[int, SimAttribute] = attrs.field(factory=dict)
    children: list[SimElement] = attrs.field(factory=list)
    low: float | None = None
    high: float | None = None
    motion: Callable[[float], Any] | None = None

    def descendants(self, depth: int | None) -> list[SimElement]:
        """Children first, depth first; ``depth`` ``None`` = all levels."""
        found: list[SimElement] = []
        if depth is not None and depth <= 0:
            return found
        for child in self.children:
            found.append(child)
            found.extend(child.descendants(None if depth is None else depth - 1))
        return found


class SimModel:
    """The simulated element tree, by UUID and by primary key.

    Examples:
        >>> model = SimModel.default()
        >>> model.find("Group 1.Data Point 1").category
        <ElementCategory.DATA_POINT: 2>
    """

    def __init__(self) -> None:
        self.root: SimElement = SimElement("", ElementCategory.ROOT, NIL_UUID)
        self.by_uuid: dict[uuid.UUID, SimElement] = {NIL_UUID: self.root}
        self.by_key: dict[str, SimElement] = {}

    def find(self, primary_key: str) -> SimElement:
        """The element with ``primary_key`` (KeyError if none)."""
        return self.by_key[primary_key]

    def add(self, primary_key: str, category: ElementCategory) -> SimElement:
        """Add a group-like element under its dotted parent."""
        parent_key, _, name = primary_key.rpartition(".")
        parent = self.by_key[parent_key] if parent_key else self.root
        element = SimElement(primary_key, category, uuid.uuid5(UUID_NAMESPACE, primary_key))
        element.attributes = {
            0: SimAttribute("primaryKey", 0, AccessKind.READ_ONLY, ValueType.STRING, primary_key),
            1: SimAttribute("name", 1, AccessKind.READ_ONLY, ValueType.STRING, name),
            2: SimAttribute("UUID", 2, AccessKind.READ_ONLY, ValueType.UUID, element.uuid),
            4: SimAttribute("category", 4, AccessKind.READ_ONLY, ValueType.ELEMENT_CATEGORY, int(category)),
        }
        if category is ElementCategory.DEVICE:
            element.attributes[10] = SimAttribute("deviceState", 10, AccessKind.READ_ONLY, ValueType.INT32, 0)
        parent.children.append(element)
        self.by_uuid[element.uuid] = element
        self.by_key[primary_key] = element
        return element

    def add_point(
        self,
        primary_key: str,
        value_type: ValueType,
        value: Any,
        *,
        writable: bool = False,
        low: float | None = None,
        high: float | None = None,
        motion: Callable[[float], Any] | None = None,
    ) -> SimElement:
        """Add a data point with value, quality, time and error attributes."""
        point = self.add(primary_key, ElementCategory.DATA_POINT)
        point.low, point.high, point.motion = low, high, motion
        now = Timestamp(time.time_ns())
        access = AccessKind.READ_WRITE if writable else AccessKind.READ_ONLY
        ro = AccessKind.READ_ONLY
        for attr, name, kind, initial in (
            (5, "sourceTime", ValueType.TIME_POINT, now),
            (6, "updateTime", ValueType.TIME_POINT, now),
            (7, "changeTime", ValueType.TIME_POINT, now),
            (8, "writeTime", ValueType.TIME_POINT, now),
            (9, "quality", ValueType.QUALITY, int(Quality.GOOD)),
            (12, "error", ValueType.ERROR_CODE, 0),
        ):
            point.attributes[attr] = SimAttribute(name, attr, ro, kind, initial)
        point.attributes[11] = SimAttribute("value", 11, access, value_type, value)
        return point

    @classmethod
    def default(cls) -> SimModel:
        """The demo model: ``Group 1`` with five data points, and a ``Plant`` device."""
        model = cls()
        model.add("Group 1", ElementCategory.ELEMENT_GROUP)
        model.add_point(
            "Group 1.Data Point 1", ValueType.FLOAT64, 20.0, writable=True, low=-1000, high=1000,
            motion=lambda t: round(20 + 5 * math.sin(t / 2), 3),
        )
        model.add_point("Group 1.Data Point 2", ValueType.INT32, 0, motion=lambda t: int(t))
        model.add_point("Group 1.Setpoint", ValueType.FLOAT64, 50.0, writable=True, low=0, high=100)
        model.add_point("Group 1.Switch", ValueType.BOOLEAN, False, writable=True)
        model.add_point("Group 1.Label", ValueType.STRING, "hello", writable=True)
        model.add_point("Group 1.Level", ValueType.UINT8, 7, writable=True)
        model.add("Plant", ElementCategory.DEVICE)
        model.add_point(
            "Plant.Temperature", ValueType.FLOAT32, 21.5, motion=lambda t: round(21.5 + math.sin(t / 5), 2)
        )
        model.add_point("Plant.Pressure", ValueType.FLOAT64, 1.013, motion=lambda t: round(1.013 + t % 1 / 100, 4))
        return model


@attrs.define
class _Subscription:
    id: uuid.UUID
    items: list[tuple[SimElement, list[Any]]]
    max_rate: int | None
    min_rate: int | None
    last: dict[tuple[uuid.UUID, Any], Any] = attrs.field(factory=dict)
    last_sent: float = 0.0
    last_change: float = 0.0


@attrs.define
class _SubSession:
    user: str
    read: bool
    write: bool


@attrs.define
class _ConnState:
    user: str | None
    hello: bool = False
    subscriptions: dict[uuid.UUID, _Subscription] = attrs.field(factory=dict)
    sessions: dict[uuid.UUID, _SubSession] = attrs.field(factory=dict)
    ticker: asyncio.Task[Any] | None = None


class XentaraSimulator(SimulatorBase):
    """The Xentara simulator; its behaviour and switches are described in [`iotws.xentara.simulator`][].

    Examples:
        >>> sim = XentaraSimulator(users={"operator": "secret"})
        >>> sim.paths
        ('/api/ws',)
    """

    paths: ClassVar[tuple[str, ...]] = ("/api/ws",)
    logger_name: ClassVar[str] = "iotws.xentara"
    heartbeat: float | None = 20.0

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ssl_context: ssl.SSLContext | None = None,
        model: SimModel | None = None,
        users: dict[str, str] | None = None,
        tokens: dict[str, str] | None = None,
        read_only_users: set[str] | None = None,
        update_interval: float = 0.1,
        event_tick: float = 0.01,
    ) -> None:
        super().__init__(host, port, ssl_context=ssl_context)
        self.model: SimModel = model or SimModel.default()
        self.users: dict[str, str] = dict(users or {})
        self.tokens: dict[str, str] = dict(tokens or {})
        self.read_only_users: set[str] = set(read_only_users or ())
        self.update_interval: float = update_interval
        self.event_tick: float = event_tick
        self.reverse_responses: bool = False
        self.stage: int = int(Stage.OPERATIONAL)
        self.server_info: dict[int, Any] = {0: "2.0.3", 1: "xentara", 2: "/etc/xentara/model.json"}
        self.hellos: int = 0
        self._t0 = time.monotonic()

    # -- authentication ----------------------------------------------------------
    async def check_upgrade(self, request: web.Request) -> web.StreamResponse | None:
        if not self.users and not self.tokens:
            request[_USER] = None
            return None
        user = self._authenticate(request.headers.get("Authorization", ""))
        if user is None:
            return web.Response(
                status=401, text="authentication required\n", headers={"WWW-Authenticate": 'Basic realm="Xentara"'}
            )
        request[_USER] = user
        return None

    def _authenticate(self, header: str) -> str | None:
        scheme, _, credentials = header.partition(" ")
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(credentials, validate=True).decode().partition(":")
            except ValueError:
                return None
            return user if user in self.users and self.users[user] == password else None
        if scheme.lower() == "bearer":
            return self.tokens.get(credentials.strip())
        return None

    def _can_write(self, user: str | None) -> bool:
        return user not in self.read_only_users

    # -- moving values -------------------------------------------------------------
    async def on_start(self) -> None:
        self.spawn(self._move())

    async def _move(self) -> None:
        while True:
            await asyncio.sleep(self.update_interval)
            self.advance()

    def advance(self, t: float | None = None) -> None:
        """Move every moving data point to its value at ``t`` seconds since start (default: now)."""
        t = time.monotonic() - self._t0 if t is None else t
        now = Timestamp(time.time_ns())
        for element in self.model.by_uuid.values():
            if element.motion is None:
                continue
            self._set(element, element.motion(t), now, written=False)

    def _set(self, element: SimElement, value: Any, now: Timestamp, *, written: bool) -> None:
        attributes = element.attributes
        attributes[5].value = now
        attributes[6].value = now
        if written:
            attributes[8].value = now
        if attributes[11].value != value or type(attributes[11].value) is not type(value):
            attributes[11].value = value
            attributes[7].value = now

    # -- serving ------------------------------------------------------------------
    async def handle(self, conn: SimConnection) -> None:
        user = conn.request.get(_USER)
        state = _ConnState(user=user if isinstance(user, str) else None)
        conn.state["xentara"] = state
        try:
            async for frame in conn:
                reply = self.answer(state, frame)
                if reply is not None:
                    await conn.send(reply)
                if state.subscriptions and state.ticker is None:
                    state.ticker = asyncio.get_running_loop().create_task(self._events(conn, state))
        finally:
            if state.ticker is not None:
                state.ticker.cancel()

    def answer(self, state: _ConnState, frame: Any) -> bytes | None:
        """The response message to one request message (``None``: nothing to send)."""
        if not isinstance(frame, bytes):
            return dumps([error_packet(0, -32700, "payload not well formed")])
        try:
            packets = loads(frame)
        except ProtocolError:
            return dumps([error_packet(0, -32700, "payload not well formed")])
        if type(packets) is not list:
            packets = [packets]
        responses = [self._packet(state, packet) for packet in packets]
        if self.reverse_responses:
            responses.reverse()
        return dumps(responses) if responses else None

    def _packet(self, state: _ConnState, packet: Any) -> list[Any]:
        try:
            request = Request.from_wire(packet)
        except ProtocolError:
            message_id = packet[1] if type(packet) is list and len(packet) > 1 and type(packet[1]) is int else 0
            return error_packet(message_id, -32700, "payload not well formed")
        try:
            if request.opcode != Opcode.CLIENT_HELLO and not state.hello:
                raise _Fail(-32000, "missing client hello request")
            handler = self._HANDLERS.get(int(request.opcode))
            if handler is None:
                raise _Fail(-32601, "command not found")
            params = request.params if request.params is not None else {}
            if not isinstance(params, dict):
                raise _Fail(-32602, "invalid parameter")
            result = handler(self, state, params)
        except _Fail as fail:
            return error_packet(request.message_id, fail.code, fail.message)
        except Exception:
            self.log.exception("sim: request failed")
            return error_packet(request.message_id, -32603, "internal server error")
        if result is _NO_ITEM:
            return success_packet(request.message_id, has_item=False)
        return success_packet(request.message_id, result)

    # -- helpers ------------------------------------------------------------------
    def _element(self, value: Any, *, allow_root: bool = False) -> SimElement:
        if not isinstance(value, uuid.UUID):
            raise _Fail(-32602, "invalid parameter")
        element = self.model.by_uuid.get(value)
        if element is None or (element is self.model.root and not allow_root):
            raise _Fail(-32100, "unknown element")
        return element

    @staticmethod
    def _attribute_ids(value: Any) -> list[Any]:
        if type(value) is not list or not value:
            raise _Fail(-32602, "invalid parameter")
        for attr in value:
            if not (type(attr) is int or isinstance(attr, uuid.UUID)):
                raise _Fail(-32602, "invalid parameter")
        return value

    @staticmethod
    def _uuid_param(params: dict[Any, Any], key: int, *, required: bool = True) -> uuid.UUID | None:
        value = params.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, uuid.UUID):
            raise _Fail(-32602, "invalid parameter")
        return value

    def _session(self, state: _ConnState, params: dict[Any, Any], key: int) -> _SubSession | None:
        session_id = self._uuid_param(params, key, required=False)
        if session_id is None:
            return None
        session = state.sessions.get(session_id)
        if session is None:
            raise _Fail(-32111, "unknown session Id")
        return session

    @staticmethod
    def _convert(attribute: SimAttribute, value: Any, element: SimElement) -> Any:
        kind = attribute.type
        if kind is ValueType.BOOLEAN:
            if not isinstance(value, bool):
                raise _Fail(-32106, "value cannot be converted to requested type")
            return value
        if kind in _STRINGS:
            if not isinstance(value, str):
                raise _Fail(-32106, "value cannot be converted to requested type")
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Fail(-32106, "value cannot be converted to requested type")
        if kind in _INT_RANGES:
            if isinstance(value, float):
                if not value.is_integer():
                    raise _Fail(-32106, "value cannot be converted to requested type")
                value = int(value)
            low, high = _INT_RANGES[kind]
            if not low <= value <= high:
                raise _Fail(-32105, "value is out of range")
        elif kind in (ValueType.FLOAT32, ValueType.FLOAT64):
            value = float(value)
            if math.isnan(value) or (kind is ValueType.FLOAT32 and abs(value) > _FLOAT32_MAX):
                raise _Fail(-32105, "value is out of range")
        else:
            raise _Fail(-32106, "value cannot be converted to requested type")
        if (element.low is not None and value < element.low) or (element.high is not None and value > element.high):
            raise _Fail(-32105, "value is out of range")
        return value

    # -- commands -----------------------------------------------------------------
    def _hello(self, state: _ConnState, params: dict[Any, Any]) -> Any:
        if state.hello:
            raise _Fail(-32001, "duplicate client hello request")
        low, high = params.get(0), params.get(1)
        if type(low) is not int or type(high) is not int or not 0 <= low <= high:
            raise _Fail(-32602, "invalid parameter")
        if not low <= 1 <= high:
            raise _Fail(-32602, "unsupported protocol version")
        state.hello = True
        self.hellos += 1
        return {0: 1}

    def _server_information(self, state: _ConnState, params: dict[Any, Any]) -> Any:
        ids = params.get(0)
        if type(ids) is not list or any(i not in self.server_info for i in ids):
            raise _Fail(-32602, "invalid server information identifier")
        return {i: self.server_info[i] for i in ids}

    def _browse(self, state: _ConnState, params: dict[Any, Any]) -> Any:
        start = self._element(params.get(0, NIL_UUID), allow_root=True)
        depth = params.get(1)
        if depth is not None and (type(depth) is not int or depth < 0):
            raise _Fail(-32602, "invalid parameter")
        categories = params.get(2)
        if categories is not None and type(categories) is not list:
            raise _Fail(-32602, "invalid parameter")
        return [
            {0: e.primary_key, 1: e.uuid, 2: int(e.category)}
            for e in start.descendants(depth)
            if categories is None or int(e.category) in categories
        ]

    def _meta_data(self, state: _ConnState, params: dict[Any, Any]) -> Any:
        element = self._element(params.get(0), allow_root=True)
        ids = params.get(1)
        if type(ids) is not list or any(i not in (0, 1, 2, 3) for i in ids):
            raise _Fail(-32602, "invalid meta data identifier")
        values = {
            0: element.primary_key,
            1: int(element.category),
            2: [{0: a.name, 1: a.id, 2: int(a.access), 3: int(a.type)} for a in element.attributes.values()],
            3: bool(element.children),
        }
        return {i: values[i] for i in ids}

    def _lookup(self, state: _ConnState, params: dict[Any, Any]) -> Any:
        key = params.get(0)
        if not isinstance(key, str) or not key:
            raise _Fail(-32602, "invalid parameter")
        element = self.model.by_key.get(key)
        if element is None:
            raise _Fail(-32100, "unknown element")
        return element.uuid

    def _read(self, state: _ConnState, params: dict[Any, Any]) -> Any:
        element = self._element(params.get(0))
        result: dict[Any, Any] = {}
        for attr in self._attribute_ids(params.get(1)):
            attribute = element.attributes.get(attr) if type(attr) is int else None
            if attribute is None:
                result[attr] = CBORTag(122, {0: -32101, 1: "missing attribute"})
            elif attribute.access is AccessKind.WRITE_ONLY:
                result[attr] = CBORTag(122, {0: -32104, 1: "value is write only"})
            else:
                result[attr] = CBORTag(121, _wire_value(attribute.value))
        return result

    def _write(self, state: _ConnState, params: dict[Any, Any]) -> Any:
        element = self._element(params.get(0))
        attr = params.get(1)
        if not (type(attr) is int or isinstance(attr, uuid.UUID)) or 2 not in params:
            raise _Fail(-32602, "invalid parameter")
        attribute = element.attributes.get(attr) if type(attr) is int else None
        if attribute is None:
            raise _Fail(-32101, "missing attribute")
        session = self._session(state, params, 3)
        if not self._can_write(state.user) or (session is not None and not session.write):
            raise _Fail(-32102, "access denied")
        if attribute.access is AccessKind.READ_ONLY:
            raise _Fail(-32103, "value is read only")
        value = self._convert(attribute, params[2], element)
        self._set(element, value, Timestamp(time.time_ns()), written=True)
        return _NO_ITEM

    def _subscribe(self, state: _ConnState, params: dict[Any, Any]) -> Any:
        entries = params.get(0)
        if type(entries) is not list or not entries:
            raise _Fail(-32602, "invalid parameter")
        items = []
        for entry in entries:
            if not isinstance(entry, dict):
                raise _Fail(-32602, "invalid parameter")
            element = self._element(entry.get(0))
            attributes = self._attribute_ids(entry.get(1))
            for attr in attributes:
                if type(attr) is not int or attr not in element.attributes:
                    raise _Fail(-32101, "missing attribute")
            items.append((element, attributes))
        rates = []
        for key in (1, 2):
            rate = params.get(key)
            if rate is not None and (type(rate) is not int or rate <= 0):
                raise _Fail(-32602, "invalid parameter")
            rates.append(rate)
        desired = self._uuid_param(params, 3, required=False)
        sub_id = desired if desired is not None and desired != NIL_UUID else uuid.uuid4()
        sub = _Subscription(sub_id, items, rates[0], rates[1])
        sub.last = {(e.uuid, a): e.attributes[a].value for e, attrs_ in items for a in attrs_}
        sub.last_sent = sub.last_change = time.monotonic()
        state.subscriptions[sub_id] = sub
        return sub_id

    def _unsubscribe(self, state: _ConnState, params: dict[Any, Any]) -> Any:
        sub_id = self._uuid_param(params, 0)
        if state.subscriptions.pop(sub_id, None) is None:  # type: ignore[arg-type]
            raise _Fail(-32110, "unknown subscription Id")
        return _NO_ITEM

    def _get_stage(self, state: _ConnState, params: dict[Any, Any]) -> Any:
        return self.stage

    def _stage_change(self, state: _ConnState, params: dict[Any, Any], target: int, allowed: set[int]) -> Any:
        session = self._session(state, params, 0)
        if not self._can_write(state.user) or (session is not None and not session.write):
            raise _Fail(-32102, "access denied")
        if self.stage not in allowed:
            raise _Fail(-32112, "invalid stage change request")
        self.stage = target
        return _NO_ITEM

    def _suspend(self, state: _ConnState, params: dict[Any, Any]) -> Any:
        return self._stage_change(state, params, 4, {int(Stage.OPERATIONAL)})

    def _shutdown(self, state: _ConnState, params: dict[Any, Any]) -> Any:
        return self._stage_change(state, params, int(Stage.POST_OPERATIONAL), {0, 1, 2, 4})

    def _create_sub_session(self, state: _ConnState, params: dict[Any, Any]) -> Any:
        auth = params.get(0)
        if not isinstance(auth, CBORTag) or not isinstance(auth.value, Mapping):
            raise _Fail(-32602, "invalid parameter")
        body = auth.value
        user: str | None
        if auth.tag == 121 and isinstance(body.get(0), str):
            user = self.tokens.get(body[0])
        elif auth.tag == 122 and isinstance(body.get(0), bytes) and body[0]:
            user = "certificate"  # the server does not check key possession
        elif auth.tag == 123 and isinstance(body.get(0), str) and isinstance(body.get(1), str):
            user = body[0] if self.users.get(body[0]) == body[1] else None
        else:
            raise _Fail(-32602, "invalid parameter")
        if user is None:
            raise _Fail(-32102, "access denied")
        desired = self._uuid_param(params, 1, required=False)
        if desired == NIL_UUID:
            raise _Fail(-32602, "invalid parameter")
        session_id = desired or uuid.uuid4()
        state.sessions[session_id] = _SubSession(user, True, self._can_write(user) and user != "certificate")
        return session_id

    def _close_sub_session(self, state: _ConnState, params: dict[Any, Any]) -> Any:
        session_id = self._uuid_param(params, 0)
        if state.sessions.pop(session_id, None) is None:  # type: ignore[arg-type]
            raise _Fail(-32111, "unknown session Id")
        return _NO_ITEM

    def _check_access(self, state: _ConnState, params: dict[Any, Any]) -> Any:
        session_id = self._uuid_param(params, 0)
        if session_id == NIL_UUID:
            raise _Fail(-32602, "invalid parameter")
        session = state.sessions.get(session_id)  # type: ignore[arg-type]
        if session is None:
            raise _Fail(-32111, "unknown session Id")
        return {0: session.read, 1: session.write}

    _HANDLERS: ClassVar[dict[int, Callable[[XentaraSimulator, _ConnState, dict[Any, Any]], Any]]] = {
        0: _server_information,
        1: _browse,
        2: _meta_data,
        3: _lookup,
        4: _read,
        5: _write,
        6: _subscribe,
        7: _unsubscribe,
        8: _get_stage,
        10: _suspend,
        11: _shutdown,
        12: _create_sub_session,
        13: _close_sub_session,
        14: _hello,
        15: _check_access,
    }

    # -- events -------------------------------------------------------------------
    async def _events(self, conn: SimConnection, state: _ConnState) -> None:
        while not conn.ws.closed:
            await asyncio.sleep(self.event_tick)
            message = self.due_events(state, time.monotonic())
            if message is not None:
                await conn.send(message)

    def due_events(self, state: _ConnState, now: float) -> bytes | None:
        """The event-only message due at ``now`` for a connection (``None``: nothing due)."""
        changes: dict[uuid.UUID, dict[Any, Any]] = {}
        for sub in list(state.subscriptions.values()):
            changed = {
                key: element.attributes[a].value
                for element, attributes in sub.items
                for a in attributes
                if sub.last.get(key := (element.uuid, a)) != element.attributes[a].value
            }
            window_over = sub.max_rate is None or (now - sub.last_change) * 1000 >= sub.max_rate
            send: dict[tuple[uuid.UUID, Any], Any] = {}
            if changed and window_over:
                send = changed
                sub.last_change = now
            if sub.min_rate is not None and (now - sub.last_sent) * 1000 >= sub.min_rate:
                send = {(e.uuid, a): e.attributes[a].value for e, attributes in sub.items for a in attributes}
            if not send:
                continue
            sub.last_sent = now
            sub.last.update(send)
            for (element_id, attr), value in send.items():
                changes.setdefault(element_id, {})[attr] = CBORTag(121, _wire_value(value))
        if not changes:
            return None
        stamp = Timestamp(time.time_ns())
        return dumps([event_packet({0: stamp, 1: element_id, 2: values}) for element_id, values in changes.items()])


_NO_ITEM = object()


def _wire_value(value: Any) -> Any:
    # floats in the shortest exact width, as the real server and the vendor's client send them
    return EncodedFloat(value) if isinstance(value, float) else value


def self_signed_context(host: str = "127.0.0.1") -> ssl.SSLContext:
    """A server SSL context with a fresh self-signed certificate for ``host`` (needs ``cryptography``).

    Examples:
        >>> self_signed_context().protocol is not None
        True
    """
    return self_signed_certificate(host)[0]


def self_signed_certificate(host: str = "127.0.0.1") -> tuple[ssl.SSLContext, str]:
    """A server SSL context with a fresh self-signed certificate for ``host``, and that certificate (PEM).

    A client trusts the server by that certificate alone, with verification on.
    It needs ``cryptography`` (the ``simulators`` extra); without it this raises
    [`UsageError`][iotws.UsageError] saying ``pip install 'iotws[simulators]'``.

    Examples:
        >>> server, pem = self_signed_certificate()
        >>> client = ssl.create_default_context(cadata=pem)
        >>> pem.startswith("-----BEGIN CERTIFICATE-----"), client.verify_mode == ssl.CERT_REQUIRED
        (True, True)
    """
    import datetime as dt
    import ipaddress

    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError as exc:
        raise missing_extra("a self-signed certificate", exc) from None

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "iotws xentara simulator")])
    try:
        alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        alt = x509.DNSName(host)
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([alt]), critical=False)
        .sign(key, hashes.SHA256())
    )
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    with tempfile.TemporaryDirectory() as tmp:
        cert_path, key_path = Path(tmp, "cert.pem"), Path(tmp, "key.pem")
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        ctx.load_cert_chain(cert_path, key_path)
    return ctx, cert.public_bytes(serialization.Encoding.PEM).decode("ascii")
