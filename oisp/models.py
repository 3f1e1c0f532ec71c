"""Typed models of every OISP WebSocket message, and the OISP errors.

Server messages are ``{"code": int, "content": ...}``: 1024 carries an :class:`Actuation`,
202 a :class:`Pong`, 200 a legacy :class:`Registered`, 401/500 a :class:`ServerError`; any
other code becomes :class:`UnknownMessage`. Ids are optional strings and unknown keys are
kept in ``extra`` so that nothing the platform forwards is lost.

Examples:
    >>> msg = parse_server_message('{"code":1024,"content":{"type":"command","transport":"ws",'
    ...     '"content":{"deviceId":"d1","command":"LED.v1.0","params":[{"name":"LED","value":"1"}]}}}')
    >>> msg.command, msg.param("LED")
    ('LED.v1.0', '1')
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

from iotws.errors import AuthenticationError, ProtocolError, RemoteError
from iotws.jsonwire import DECODE_ERRORS, loads

__all__ = [
    "CODE_ACTUATION",
    "CODE_PONG",
    "CODE_REGISTERED",
    "PING",
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

#: The application-level ping frame (answered with ``{"code":202,"content":"PONG"}``).
PING = '{"type":"ping"}'

JsonScalar = str | int | float | bool | None


def dumps(data: Any) -> str:
    """Compact JSON text, as the server writes it.

    Examples:
        >>> dumps({"code": 202, "content": "PONG"})
        '{"code":202,"content":"PONG"}'
    """
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _opt_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise ProtocolError(f"actuation field {key!r} must be a string, got {type(value).__name__}")


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


# -- client -> server -------------------------------------------------------------------------
@attrs.frozen(slots=True, repr=False)
class DeviceRegistration:
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
@attrs.frozen(slots=True)
class Param:
    """One actuation parameter ``{"name": ..., "value": ...}``; values are usually strings.

    Examples:
        >>> p = Param("LED", "1")
        >>> p.as_bool(), p.as_float()
        (True, 1.0)
    """

    name: str
    value: JsonScalar
    extra: Mapping[str, Any] = attrs.field(factory=dict, eq=True, hash=False, repr=False)

    @classmethod
    def from_wire(cls, data: Any) -> Param:
        """Parse one ``params`` entry."""
        if not isinstance(data, dict):
            raise ProtocolError(f"actuation param must be an object, got {type(data).__name__}")
        name, value = data.get("name"), data.get("value")
        if not isinstance(name, str):
            raise ProtocolError("actuation param without a string 'name'")
        if value is not None and not isinstance(value, (str, int, float, bool)):
            raise ProtocolError(f"actuation param {name!r} has a non-scalar value")
        extra = {k: v for k, v in data.items() if k not in ("name", "value")}
        return cls(name, value, extra)

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        return {"name": self.name, "value": self.value, **self.extra}

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


@attrs.frozen(slots=True)
class ActuationContent:
    """The platform's command as forwarded verbatim: ids, ``command`` and ``params``.

    Examples:
        >>> ActuationContent(device_id="d1", command="LED.v1.0").to_wire()
        {'deviceId': 'd1', 'command': 'LED.v1.0', 'params': []}
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
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)

    @classmethod
    def from_wire(cls, data: Any) -> ActuationContent:
        """Parse ``content.content`` of a 1024 message."""
        if not isinstance(data, dict):
            raise ProtocolError(f"actuation content must be an object, got {type(data).__name__}")
        raw_params = data.get("params", [])
        if raw_params is None:
            raw_params = []
        if not isinstance(raw_params, list):
            raise ProtocolError("actuation 'params' must be a list")
        fields = {attr: _opt_str(data, key) for key, attr in _CONTENT_KEYS.items()}
        extra = {k: v for k, v in data.items() if k not in _CONTENT_KEYS and k != "params"}
        return cls(**fields, params=tuple(Param.from_wire(p) for p in raw_params), extra=extra)

    def to_wire(self) -> dict[str, Any]:
        """The JSON object (absent ids are left out)."""
        out: dict[str, Any] = {}
        for key, attr in _CONTENT_KEYS.items():
            value = getattr(self, attr)
            if value is not None:
                out[key] = value
        out["params"] = [p.to_wire() for p in self.params]
        out.update(self.extra)
        return out


@attrs.frozen(slots=True)
class Actuation:
    """A command pushed by the platform (code 1024): the event a device waits for.

    Examples:
        >>> act = Actuation.from_wire({"type": "command", "transport": "ws", "content": {
        ...     "accountId": "acc", "deviceId": "d1", "componentId": "c1",
        ...     "command": "LED.v1.0", "params": [{"name": "LED", "value": "1"}]}})
        >>> act.device_id, act.component_id, act.params_dict()
        ('d1', 'c1', {'LED': '1'})
    """

    type: str | None
    transport: str | None
    content: ActuationContent
    extra: Mapping[str, Any] = attrs.field(factory=dict, hash=False)

    @classmethod
    def from_wire(cls, data: Any) -> Actuation:
        """Parse the ``content`` of a 1024 message."""
        if not isinstance(data, dict):
            raise ProtocolError(f"actuation must be an object, got {type(data).__name__}")
        kind, transport = _opt_str(data, "type"), _opt_str(data, "transport")
        content = ActuationContent.from_wire(data.get("content", {}))
        extra = {k: v for k, v in data.items() if k not in ("type", "transport", "content")}
        return cls(kind, transport, content, extra)

    def to_wire(self) -> dict[str, Any]:
        """The JSON object (the ``content`` of a 1024 message)."""
        out: dict[str, Any] = {}
        if self.type is not None:
            out["type"] = self.type
        if self.transport is not None:
            out["transport"] = self.transport
        out["content"] = self.content.to_wire()
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
        """The parameters as ``{name: value}`` (the last one wins on repeated names)."""
        return {p.name: p.value for p in self.content.params}


@attrs.frozen(slots=True)
class Pong:
    """The answer to the application ping (code 202, content ``"PONG"``).

    Examples:
        >>> parse_server_message('{"code":202,"content":"PONG"}')
        Pong(content='PONG')
    """

    content: Any = "PONG"


@attrs.frozen(slots=True)
class Registered:
    """A legacy server's registration confirmation (code 200). Modern servers stay silent.

    Examples:
        >>> parse_server_message('{"code":200,"content":"Record in database update for device"}').code
        200
    """

    code: int
    content: Any


@attrs.frozen(slots=True)
class ServerError:
    """A 401 or 500 message (as an event when it arrives after registration).

    Examples:
        >>> parse_server_message('{"code":401,"content":"Wrong message format"}').is_invalid_token
        False
    """

    code: int
    content: Any

    @property
    def is_invalid_token(self) -> bool:
        """Whether this is the token rejection (401 "Invalid device token ...")."""
        return self.code == CODE_UNAUTHORIZED and str(self.content).lower().startswith("invalid device token")

    def to_error(self, *, refreshed: bool = False) -> Exception:
        """The exception this message stands for."""
        text = str(self.content)
        if self.is_invalid_token:
            return InvalidTokenError(f"device token rejected: {text}", refreshed=refreshed)
        if self.code == CODE_UNAUTHORIZED:
            return WrongMessageFormat(self.code, text)
        if self.code == CODE_INTERNAL:
            return InternalServerError(self.code, text)
        return OispServerError(self.code, text)


@attrs.frozen(slots=True)
class UnknownMessage:
    """A server message with a code this library does not know (surfaced, not failed).

    Examples:
        >>> parse_server_message('{"code":7,"content":null}')
        UnknownMessage(code=7, content=None)
    """

    code: int
    content: Any


ServerMessage = Actuation | Pong | Registered | ServerError | UnknownMessage


def parse_server_message(frame: str | bytes) -> ServerMessage:
    """Parse one server frame; raise :class:`~iotws.errors.ProtocolError` if it is malformed.

    Examples:
        >>> parse_server_message(b"\\x00")
        Traceback (most recent call last):
        iotws.errors.ProtocolError: binary frame from the server (OISP uses text frames) (frame: b'\\x00')
    """
    if isinstance(frame, (bytes, bytearray)):
        raise ProtocolError("binary frame from the server (OISP uses text frames)", frame=frame)
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
    if code == CODE_PONG:
        return Pong(content)
    if code == CODE_REGISTERED:
        return Registered(code, content)
    if code in (CODE_UNAUTHORIZED, CODE_INTERNAL):
        return ServerError(code, content)
    return UnknownMessage(code, content)
