"""Typed models of every OISP WebSocket message, and the OISP errors.

Server messages are ``{"code": int, "content": ...}``: 1024 carries an [`Actuation`][iotws.oisp.Actuation],
202 a [`Pong`][iotws.oisp.Pong], 200 a legacy [`Registered`][iotws.oisp.Registered], 401/500 a
[`ServerError`][iotws.oisp.ServerError]; any
other code becomes [`UnknownMessage`][iotws.oisp.UnknownMessage]. Ids are optional strings and unknown keys are
kept in ``extra`` so that nothing the platform forwards is lost.

An actuation is never dropped for an odd shape: a field the typed model cannot hold
exactly (a numeric or boolean id, an object as a param value, a param without a name,
``content: null``...) is typed loosely (its JSON text), its wire value is kept in ``raw``
so that ``to_wire()`` gives the body back as it came, and the odd ones are listed in
``problems``.

The models are frozen ``msgspec.Struct`` classes. Frames of the regular shape are decoded
by msgspec straight into typed structs, others by the general decoder, which keeps
everything; see the typed wire decoding section at the end.

Examples:
    >>> msg = parse_server_message('{"code":1024,"content":{"type":"command","transport":"ws",'
    ...     '"content":{"deviceId":"d1","command":"LED.v1.0","params":[{"name":"LED","value":"1"}]}}}')
    >>> msg.command, msg.param("LED")
    ('LED.v1.0', '1')
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import msgspec
from msgspec import UNSET, UnsetType

from iotws.errors import AuthenticationError, ConnectionClosed, ProtocolError, RemoteError, excerpt
from iotws.jsonwire import DECODE_ERRORS, WIRE_ERRORS, WireStruct, loads, typed_decoder

__all__ = [
    "CODE_ACTUATION",
    "CODE_PONG",
    "CODE_REGISTERED",
    "PING",
    "SUPERSEDED",
    "Actuation",
    "ActuationContent",
    "DeviceRegistration",
    "InternalServerError",
    "InvalidTokenError",
    "OispServerError",
    "Param",
    "Pong",
    "Registered",
    "ServerError",
    "ServerMessage",
    "SupersededError",
    "UnknownMessage",
    "WrongMessageFormat",
    "dumps",
    "parse_server_message",
]

CODE_REGISTERED = 200
CODE_PONG = 202
CODE_UNAUTHORIZED = 401
CODE_INTERNAL = 500
CODE_ACTUATION = 1024

PING = '{"type":"ping"}'
"""The application-level ping frame (answered with ``{"code":202,"content":"PONG"}``)."""

JsonScalar = str | int | float | bool | None


def dumps(data: Any) -> str:
    """Compact JSON text, as the server writes it.

    Examples:
        >>> dumps({"code": 202, "content": "PONG"})
        '{"code":202,"content":"PONG"}'
    """
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


class _Absent:
    """Marks, in a model's ``raw``, a key the wire body did not have."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"

    def __reduce__(self) -> str:
        return "ABSENT"


ABSENT: Any = _Absent()
"""In a model's ``raw``: the wire body did not have this key (``to_wire()`` leaves it out)."""


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return "null" if value is None else type(value).__name__


def _text(data: Mapping[str, Any], key: str, raw: dict[str, Any], problems: list[str], where: str) -> str | None:
    """A field the model types as text: strings as they are, anything else kept in ``raw``.

    Numbers become their decimal text (a numeric id is common and harmless); ``null``
    becomes ``None``; booleans, objects and lists become their JSON text and are
    reported in ``problems``.
    """
    if key not in data:
        return None
    value = data[key]
    if isinstance(value, str):
        return value
    raw[key] = value
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    problems.append(f"{where}{key!r} is {_json_type(value)}, kept as its JSON text")
    return dumps(value)


def _put(out: dict[str, Any], raw: Mapping[str, Any], key: str, value: Any) -> None:
    """Write ``key`` as the wire had it (``raw``) or from the typed ``value`` (left out if ``None``)."""
    if key in raw:
        if raw[key] is not ABSENT:
            out[key] = raw[key]
    elif value is not None:
        out[key] = value


# -- errors ---------------------------------------------------------------------------------
class InvalidTokenError(AuthenticationError):
    """The server rejected the device token (401 "Invalid device token", close 1008).

    ``refreshed`` is true when the token-refresh callback supplied a new token, so one
    more attempt is worth making.

    Examples:
        >>> err = InvalidTokenError("Invalid device token for device")
        >>> err.status, err.refreshed
        (401, False)
    """

    def __init__(self, message: str, *, refreshed: bool = False) -> None:
        super().__init__(message, status=401)
        self.refreshed = refreshed


class OispServerError(RemoteError):
    """The server answered with an error code (401 "Wrong message format", or 500).

    Examples:
        >>> OispServerError(500, "Internal server error").code
        500
    """


class WrongMessageFormat(OispServerError):
    """401 "Wrong message format": the server could not use what the client sent (close 1003).

    Against a real server this also means a token without an ``accounts`` claim.

    Examples:
        >>> WrongMessageFormat(401, "Wrong message format").message
        'Wrong message format'
    """


class InternalServerError(OispServerError):
    """500 from a legacy server that could not store the registration (close 1000; retried).

    Examples:
        >>> isinstance(InternalServerError(500, "db down"), OispServerError)
        True
    """


SUPERSEDED = "superseded by another connection for this device"
"""What a close with code 1000 from the OISP server means."""


class SupersededError(ConnectionClosed):
    """The server closed the socket with code 1000: another connection registered this device.

    The OISP server closes the older socket with 1000 when another socket registers the
    same device (or when one socket registers twice). A client that reconnected after it
    would kick the other one out, and the two would fight forever (each registration also
    adds a duplicate delivery path on the server), so by default the client stops for
    good with this error; ``reconnect_on_superseded=True`` keeps reconnecting.

    Examples:
        >>> err = SupersededError()
        >>> str(err), err.code, isinstance(err, ConnectionClosed)
        ('superseded by another connection for this device', 1000, True)
    """

    def __init__(self, message: str = SUPERSEDED, *, code: int | None = 1000, reason: str = "") -> None:
        super().__init__(message, code=code, reason=reason)


# -- client -> server -------------------------------------------------------------------------
class DeviceRegistration(msgspec.Struct, frozen=True, gc=False):
    """The registration message ``{"type":"device","deviceId":...,"deviceToken":...}``.

    The token never shows in a repr.

    Examples:
        >>> reg = DeviceRegistration("dev-1", "eyJhbGciOi.secret.sig")
        >>> reg
        DeviceRegistration(device_id='dev-1', token='***')
        >>> reg.to_wire()
        '{"type":"device","deviceId":"dev-1","deviceToken":"eyJhbGciOi.secret.sig"}'
    """

    device_id: str
    token: str

    def __repr__(self) -> str:
        return f"DeviceRegistration(device_id={self.device_id!r}, token='***')"

    def to_wire(self) -> str:
        """The JSON text frame."""
        return dumps({"type": "device", "deviceId": self.device_id, "deviceToken": self.token})

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> DeviceRegistration:
        """Parse a registration (used by the simulator); ``ProtocolError`` if it is not one."""
        device_id, token = data.get("deviceId"), data.get("deviceToken")
        if data.get("type") != "device" or not isinstance(device_id, str) or not isinstance(token, str):
            raise ProtocolError("not a device registration")
        return cls(device_id, token)


# -- server -> client -------------------------------------------------------------------------
class Param(msgspec.Struct, frozen=True, gc=False):
    """One actuation parameter ``{"name": ..., "value": ...}``; values are usually strings.

    A value that is an object or a list, or a name that is missing or not a string, is
    kept (typed loosely, as its JSON text), its wire form in ``raw`` and the oddity in
    ``problems``.

    Examples:
        >>> p = Param("LED", "1")
        >>> p.as_bool(), p.as_float()
        (True, 1.0)
        >>> odd = Param.from_wire({"value": {"r": 255}})
        >>> odd.name, odd.value, odd.problems
        ('', '{"r":255}', ("param has no 'name'", "param 'value' is an object, kept as its JSON text"))
        >>> odd.to_wire()
        {'value': {'r': 255}}
    """

    name: str
    value: JsonScalar
    extra: Mapping[str, Any] = msgspec.field(default_factory=dict)
    raw: Mapping[str, Any] = msgspec.field(default_factory=dict)
    """Wire values the typed fields hold converted (or ``ABSENT``), by wire key."""
    problems: tuple[str, ...] = ()
    """What was odd about this param on the wire (empty for a regular one)."""

    def __repr__(self) -> str:
        return f"Param(name={self.name!r}, value={self.value!r})"

    def __hash__(self) -> int:
        return hash((self.name, self.value, self.problems))

    @classmethod
    def from_wire(cls, data: Any) -> Param:
        """Parse one ``params`` entry (an object; ``ProtocolError`` otherwise)."""
        if not isinstance(data, dict):
            raise ProtocolError(f"actuation param must be an object, got {_json_type(data)}")
        raw: dict[str, Any] = {}
        problems: list[str] = []
        name = _text(data, "name", raw, problems, "param ")
        if "name" not in data:
            raw["name"] = ABSENT
            problems.insert(0, "param has no 'name'")
        elif data["name"] is None:
            problems.insert(0, "param 'name' is null")
        value: JsonScalar
        if "value" not in data:
            value, raw["value"] = None, ABSENT
        elif isinstance(data["value"], (dict, list)):
            value = _text(data, "value", raw, problems, "param ")
        else:
            value = data["value"]
        extra = {k: v for k, v in data.items() if k not in ("name", "value")}
        return cls(name or "", value, extra, raw, tuple(problems))

    def to_wire(self) -> dict[str, Any]:
        """The JSON object, as it came from the wire."""
        out: dict[str, Any] = {}
        _put(out, self.raw, "name", self.name)
        if "value" in self.raw:
            _put(out, self.raw, "value", None)
        else:
            out["value"] = self.value
        out.update(self.extra)
        return out

    def as_float(self) -> float:
        """The value as a number (``ValueError`` if it is not one)."""
        if self.value is None or isinstance(self.value, bool):
            raise ValueError(f"param {self.name!r} value {self.value!r} is not a number")
        return float(self.value)

    def as_int(self) -> int:
        """The value as an integer (``ValueError`` if it is not one)."""
        number = self.as_float()
        if not number.is_integer():
            raise ValueError(f"param {self.name!r} value {self.value!r} is not an integer")
        return int(number)

    def as_bool(self) -> bool:
        """``"1"``/``"true"``/``"on"`` -> True, ``"0"``/``"false"``/``"off"`` -> False."""
        if isinstance(self.value, bool):
            return self.value
        text = str(self.value).strip().lower()
        if text in ("1", "true", "on", "yes"):
            return True
        if text in ("0", "false", "off", "no"):
            return False
        raise ValueError(f"param {self.name!r} value {self.value!r} is not a boolean")


_CONTENT_KEYS = {
    "accountId": "account_id",
    "domainId": "domain_id",
    "deviceUID": "device_uid",
    "deviceId": "device_id",
    "gatewayId": "gateway_id",
    "componentId": "component_id",
    "command": "command",
    "transport": "transport",
}
# what an ActuationContent shows in its repr and hashes (``raw`` and ``problems`` are details)
_CONTENT_REPR = (*list(_CONTENT_KEYS.values())[:7], "params", "transport", "extra")
_CONTENT_HASH = (*list(_CONTENT_KEYS.values())[:7], "params", "transport", "problems")


class ActuationContent(msgspec.Struct, frozen=True, gc=False):
    """The platform's command as forwarded verbatim: ids, ``command`` and ``params``.

    Ids are text: a numeric id reads as its decimal text and goes back to the wire as the
    number it was (``raw``); a boolean, object or list id is kept as its JSON text and
    reported in ``problems``. ``params`` that are absent or ``null`` stay so on the wire.

    Examples:
        >>> ActuationContent(device_id="d1", command="LED.v1.0").to_wire()
        {'deviceId': 'd1', 'command': 'LED.v1.0', 'params': []}
        >>> c = ActuationContent.from_wire({"deviceId": 12345, "params": None})
        >>> c.device_id, c.params, c.to_wire()
        ('12345', (), {'deviceId': 12345, 'params': None})
    """

    account_id: str | None = None
    domain_id: str | None = None
    device_uid: str | None = None
    device_id: str | None = None
    gateway_id: str | None = None
    component_id: str | None = None
    command: str | None = None
    params: tuple[Param, ...] = ()
    transport: str | None = None
    extra: Mapping[str, Any] = msgspec.field(default_factory=dict)
    raw: Mapping[str, Any] = msgspec.field(default_factory=dict)
    """Wire values the typed fields hold converted (or ``ABSENT``), by wire key."""
    problems: tuple[str, ...] = ()
    """What was odd on the wire, here and in the params (empty for a regular content)."""

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in _CONTENT_REPR)
        return f"ActuationContent({fields})"

    def __hash__(self) -> int:
        return hash(tuple(getattr(self, name) for name in _CONTENT_HASH))

    @classmethod
    def from_wire(cls, data: Any) -> ActuationContent:
        """Parse ``content.content`` of a 1024 message (an object; ``ProtocolError`` otherwise)."""
        if not isinstance(data, dict):
            raise ProtocolError(f"actuation content must be an object, got {_json_type(data)}")
        raw: dict[str, Any] = {}
        problems: list[str] = []
        fields = {attr: _text(data, key, raw, problems, "") for key, attr in _CONTENT_KEYS.items()}
        params: tuple[Param, ...] = ()
        if "params" not in data:
            raw["params"] = ABSENT
        elif data["params"] is None:
            raw["params"] = None
        elif not isinstance(data["params"], list) or not all(isinstance(p, dict) for p in data["params"]):
            raw["params"] = data["params"]
            what = "has entries that are not objects" if isinstance(data["params"], list) else (
                f"is {_json_type(data['params'])}, not a list")
            problems.append(f"'params' {what}: kept in raw, the objects among them parsed")
            entries = data["params"] if isinstance(data["params"], list) else []
            params = tuple(Param.from_wire(p) for p in entries if isinstance(p, dict))
        else:
            params = tuple(Param.from_wire(p) for p in data["params"])
        for i, param in enumerate(params):
            problems.extend(f"params[{i}]: {problem}" for problem in param.problems)
        extra = {k: v for k, v in data.items() if k not in _CONTENT_KEYS and k != "params"}
        return cls(**fields, params=params, extra=extra, raw=raw, problems=tuple(problems))

    def to_wire(self) -> dict[str, Any]:
        """The JSON object, as it came from the wire (absent ids are left out)."""
        out: dict[str, Any] = {}
        for key, attr in _CONTENT_KEYS.items():
            _put(out, self.raw, key, getattr(self, attr))
        _put(out, self.raw, "params", [p.to_wire() for p in self.params])
        out.update(self.extra)
        return out


class Actuation(msgspec.Struct, frozen=True, gc=False):
    """A command pushed by the platform (code 1024): the event a device waits for.

    Nothing is dropped: a body with odd fields arrives with them typed loosely and listed
    in [`problems`][iotws.oisp.Actuation.problems] (a warning is logged), and ``to_wire()`` gives the body back.

    Examples:
        >>> act = Actuation.from_wire({"type": "command", "transport": "ws", "content": {
        ...     "accountId": "acc", "deviceId": "d1", "componentId": "c1",
        ...     "command": "LED.v1.0", "params": [{"name": "LED", "value": "1"}]}})
        >>> act.device_id, act.component_id, act.params_dict(), act.problems
        ('d1', 'c1', {'LED': '1'}, ())
        >>> odd = Actuation.from_wire({"type": "command", "content": None})
        >>> odd.problems
        ("'content' is null, kept in raw",)
        >>> odd.to_wire()
        {'type': 'command', 'content': None}
    """

    type: str | None
    transport: str | None
    content: ActuationContent
    extra: Mapping[str, Any] = msgspec.field(default_factory=dict)
    raw: Mapping[str, Any] = msgspec.field(default_factory=dict)
    """Wire values the typed fields hold converted (or ``ABSENT``), by wire key."""
    problems: tuple[str, ...] = ()
    """Everything odd on the wire, at every level (empty for a regular actuation)."""

    def __repr__(self) -> str:
        return (f"Actuation(type={self.type!r}, transport={self.transport!r}, content={self.content!r}, "
                f"extra={self.extra!r})")

    def __hash__(self) -> int:
        return hash((self.type, self.transport, self.content, self.problems))

    @classmethod
    def from_wire(cls, data: Any) -> Actuation:
        """Parse the ``content`` of a 1024 message (an object; ``ProtocolError`` otherwise)."""
        if not isinstance(data, dict):
            raise ProtocolError(f"actuation must be an object, got {_json_type(data)}")
        raw: dict[str, Any] = {}
        problems: list[str] = []
        kind = _text(data, "type", raw, problems, "")
        transport = _text(data, "transport", raw, problems, "")
        if "content" not in data:
            raw["content"] = ABSENT
            content = ActuationContent()
        elif isinstance(data["content"], dict):
            content = ActuationContent.from_wire(data["content"])
            problems.extend(f"content: {problem}" for problem in content.problems)
        else:
            raw["content"] = data["content"]
            problems.append(f"'content' is {_json_type(data['content'])}, kept in raw")
            content = ActuationContent()
        extra = {k: v for k, v in data.items() if k not in ("type", "transport", "content")}
        return cls(kind, transport, content, extra, raw, tuple(problems))

    def to_wire(self) -> dict[str, Any]:
        """The JSON object (the ``content`` of a 1024 message), as it came from the wire."""
        out: dict[str, Any] = {}
        _put(out, self.raw, "type", self.type)
        _put(out, self.raw, "transport", self.transport)
        _put(out, self.raw, "content", self.content.to_wire())
        out.update(self.extra)
        return out

    def to_frame(self) -> str:
        """The full server frame ``{"code":1024,"content":...}``."""
        return dumps({"code": CODE_ACTUATION, "content": self.to_wire()})

    # -- shortcuts ------------------------------------------------------------------------------
    @property
    def command(self) -> str | None:
        """The catalog command, e.g. ``"LED.v1.0"``."""
        return self.content.command

    @property
    def params(self) -> tuple[Param, ...]:
        """The parameters, in order."""
        return self.content.params

    @property
    def device_id(self) -> str | None:
        """The target device id."""
        return self.content.device_id

    @property
    def component_id(self) -> str | None:
        """The actuator component id."""
        return self.content.component_id

    @property
    def account_id(self) -> str | None:
        """``accountId`` (older platforms) or ``domainId`` (2020+)."""
        return self.content.account_id if self.content.account_id is not None else self.content.domain_id

    def param(self, name: str, default: JsonScalar = None) -> JsonScalar:
        """The value of the first parameter called ``name`` (``default`` if none)."""
        for p in self.content.params:
            if p.name == name:
                return p.value
        return default

    def params_dict(self) -> dict[str, JsonScalar]:
        """The parameters as ``{name: value}`` (the last one wins on repeated names).

        A param without a name shows under ``""``; see [`problems`][iotws.oisp.Actuation.problems].
        """
        return {p.name: p.value for p in self.content.params}


class Pong(msgspec.Struct, frozen=True, gc=False):
    """The answer to the application ping (code 202, content ``"PONG"``).

    Examples:
        >>> parse_server_message('{"code":202,"content":"PONG"}')
        Pong(content='PONG')
    """

    content: Any = "PONG"


class Registered(msgspec.Struct, frozen=True, gc=False):
    """A legacy server's registration confirmation (code 200). Modern servers stay silent.

    Examples:
        >>> parse_server_message('{"code":200,"content":"Record in database update for device"}').code
        200
    """

    code: int
    content: Any


class ServerError(msgspec.Struct, frozen=True, gc=False):
    """A 401 or 500 message (as an event when it arrives after registration).

    Examples:
        >>> parse_server_message('{"code":401,"content":"Wrong message format"}').is_invalid_token
        False
    """

    code: int
    content: Any

    @property
    def text(self) -> str:
        """``content`` as text: a string as it is, anything else as a short excerpt.

        Examples:
            >>> ServerError(500, {"error": [1, 2]}).text
            "{'error': [1, 2]}"
        """
        return self.content if isinstance(self.content, str) else excerpt(self.content)

    @property
    def is_invalid_token(self) -> bool:
        """Whether this is the token rejection (401 "Invalid device token ...")."""
        return self.code == CODE_UNAUTHORIZED and self.text.lower().startswith("invalid device token")

    def to_error(self, *, refreshed: bool = False) -> Exception:
        """The exception this message stands for."""
        text = self.text
        if self.is_invalid_token:
            return InvalidTokenError(f"device token rejected: {text}", refreshed=refreshed)
        if self.code == CODE_UNAUTHORIZED:
            return WrongMessageFormat(self.code, text)
        if self.code == CODE_INTERNAL:
            return InternalServerError(self.code, text)
        return OispServerError(self.code, text)


class UnknownMessage(msgspec.Struct, frozen=True, gc=False):
    """A server message with a code this library does not know (surfaced, not failed).

    Examples:
        >>> parse_server_message('{"code":7,"content":null}')
        UnknownMessage(code=7, content=None)
    """

    code: int
    content: Any


ServerMessage = Actuation | Pong | Registered | ServerError | UnknownMessage


def parse_server_message(frame: str | bytes) -> ServerMessage:
    """Parse one server frame; raise [`ProtocolError`][iotws.ProtocolError] if it is malformed.

    A frame of the regular shape is decoded by msgspec straight into its model; any other
    (an unknown code, a numeric id, extra keys, ``NaN``...) by the general decoder, which
    keeps all of it. Both give equal models.

    Examples:
        >>> parse_server_message(b"\\x00")
        Traceback (most recent call last):
        iotws.errors.ProtocolError: binary frame from the server (OISP uses text frames) (frame: b'\\x00')
        >>> odd = parse_server_message('{"code": 1024, "content": {"content": {"deviceId": 7, '
        ...                            '"params": [{"name": "t", "value": NaN}]}}}')
        >>> odd.device_id, odd.params
        ('7', (Param(name='t', value=nan),))
    """
    if isinstance(frame, (bytes, bytearray)):
        raise ProtocolError("binary frame from the server (OISP uses text frames)", frame=frame)
    typed = _typed_message(frame)
    return _general_message(frame) if typed is None else typed


def _general_message(frame: str) -> ServerMessage:
    """The general decoder of a text frame: any JSON object with an integer ``code``, all of it kept."""
    try:
        data = loads(frame)
    except DECODE_ERRORS as exc:
        raise ProtocolError(f"not JSON: {exc}", frame=frame) from None
    if not isinstance(data, dict):
        raise ProtocolError("server message is not a JSON object", frame=frame)
    code = data.get("code")
    if not isinstance(code, int) or isinstance(code, bool):
        raise ProtocolError("server message without an integer 'code'", frame=frame)
    content = data.get("content")
    if code == CODE_ACTUATION:
        try:
            return Actuation.from_wire(content)
        except ProtocolError as exc:
            raise ProtocolError(str(exc), frame=frame) from None
        except RecursionError:  # a value the decoder took but cannot be written back as JSON text
            raise ProtocolError("actuation nested too deeply", frame=frame) from None
    if code == CODE_PONG:
        return Pong(content)
    if code == CODE_REGISTERED:
        return Registered(code, content)
    if code in (CODE_UNAUTHORIZED, CODE_INTERNAL):
        return ServerError(code, content)
    return UnknownMessage(code, content)


# -- typed wire decoding ---------------------------------------------------------------------
#
# A frame of the regular shape (a known code; string ids; params of a name and a scalar
# value; no keys beyond the documented ones) is decoded by msgspec straight into the
# structs below and turned into the models without a dict in between. Any other frame
# makes the typed decoder refuse it, and the general decoder above parses it, keeping
# all of it. Both give equal models (tests/oisp/test_wire.py checks it).


class _ParamWire(WireStruct, frozen=True):
    name: str
    value: str | int | float | bool | None


class _ContentWire(WireStruct, frozen=True):
    account_id: str | UnsetType = msgspec.field(default=UNSET, name="accountId")
    domain_id: str | UnsetType = msgspec.field(default=UNSET, name="domainId")
    device_uid: str | UnsetType = msgspec.field(default=UNSET, name="deviceUID")
    device_id: str | UnsetType = msgspec.field(default=UNSET, name="deviceId")
    gateway_id: str | UnsetType = msgspec.field(default=UNSET, name="gatewayId")
    component_id: str | UnsetType = msgspec.field(default=UNSET, name="componentId")
    command: str | UnsetType = UNSET
    transport: str | UnsetType = UNSET
    params: list[_ParamWire] | UnsetType | None = UNSET


class _ActuationWire(WireStruct, frozen=True):
    type: str | UnsetType = UNSET
    transport: str | UnsetType = UNSET
    content: _ContentWire | UnsetType = UNSET


class _ActuationMessage(WireStruct, frozen=True, tag_field="code", tag=CODE_ACTUATION):
    content: _ActuationWire


class _PongMessage(WireStruct, frozen=True, tag_field="code", tag=CODE_PONG):
    content: Any = None


class _RegisteredMessage(WireStruct, frozen=True, tag_field="code", tag=CODE_REGISTERED):
    content: Any = None


class _UnauthorizedMessage(WireStruct, frozen=True, tag_field="code", tag=CODE_UNAUTHORIZED):
    content: Any = None


class _InternalErrorMessage(WireStruct, frozen=True, tag_field="code", tag=CODE_INTERNAL):
    content: Any = None


_decode_message: Final = typed_decoder(
    _ActuationMessage | _PongMessage | _RegisteredMessage | _UnauthorizedMessage | _InternalErrorMessage
)


def _make_actuation(message: _ActuationMessage) -> Actuation:
    """The [`Actuation`][iotws.oisp.Actuation] of a typed 1024 message (absent ids are ``None``)."""
    wire = message.content
    content = wire.content
    if content is UNSET:
        return Actuation(
            None if wire.type is UNSET else wire.type,
            None if wire.transport is UNSET else wire.transport,
            ActuationContent(),
            {},
            {"content": ABSENT},
        )
    params = content.params
    return Actuation(
        None if wire.type is UNSET else wire.type,
        None if wire.transport is UNSET else wire.transport,
        ActuationContent(
            None if content.account_id is UNSET else content.account_id,
            None if content.domain_id is UNSET else content.domain_id,
            None if content.device_uid is UNSET else content.device_uid,
            None if content.device_id is UNSET else content.device_id,
            None if content.gateway_id is UNSET else content.gateway_id,
            None if content.component_id is UNSET else content.component_id,
            None if content.command is UNSET else content.command,
            tuple([Param(p.name, p.value) for p in params]) if isinstance(params, list) else (),
            None if content.transport is UNSET else content.transport,
            {},
            {"params": ABSENT} if params is UNSET else {"params": None} if params is None else {},
        ),
    )


#: Typed message struct -> the model it becomes.
_TYPED_MESSAGES: Final[dict[type[Any], Any]] = {
    _ActuationMessage: _make_actuation,
    _PongMessage: lambda message: Pong(message.content),
    _RegisteredMessage: lambda message: Registered(CODE_REGISTERED, message.content),
    _UnauthorizedMessage: lambda message: ServerError(CODE_UNAUTHORIZED, message.content),
    _InternalErrorMessage: lambda message: ServerError(CODE_INTERNAL, message.content),
}


def _typed_message(frame: str) -> ServerMessage | None:
    """The model of a regular frame (msgspec); ``None`` for any other frame (the general decoder decides)."""
    try:
        typed = _decode_message(frame)
    except WIRE_ERRORS:
        return None
    model: ServerMessage = _TYPED_MESSAGES[typed.__class__](typed)
    return model
