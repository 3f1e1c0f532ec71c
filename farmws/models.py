"""Typed models of both farmws dialects, with ``from_wire``/``to_wire``.

*Dialect D* (the vendor document): every message is ``{"event": NAME, "data": ...}``.
Readings ([`Temperature`][iotws.farmws.Temperature], [`Humidity`][iotws.farmws.Humidity],
[`SoilMoisture`][iotws.farmws.SoilMoisture]) carry
``time`` and ``record``;
[`IrrigationStarted`][iotws.farmws.IrrigationStarted]/[`IrrigationStopped`][iotws.farmws.IrrigationStopped]
carry ``time`` and ``zones``; [`SensorDisconnected`][iotws.farmws.SensorDisconnected] carries ``time`` and
``sensor``. Any other name becomes a [`GenericEvent`][iotws.farmws.GenericEvent] with its raw data.
Every ``data`` field is optional (the document leaves most shapes open) and
unknown keys are kept in ``extra``.

*Dialect I* (the only known server): the device sends [`RegisterSensors`][iotws.farmws.RegisterSensors],
[`SensorUpdate`][iotws.farmws.SensorUpdate], [`SensorStatus`][iotws.farmws.SensorStatus] and
[`CommandReply`][iotws.farmws.CommandReply]; the server sends [`DeviceCommand`][iotws.farmws.DeviceCommand] and
[`ServerError`][iotws.farmws.ServerError]; dashboards get [`Snapshot`][iotws.farmws.Snapshot] objects.

Peer input that does not fit raises [`ProtocolError`][iotws.ProtocolError];
values a caller cannot send raise [`CodecError`][iotws.CodecError].

Frames of the regular shape are decoded by msgspec straight into typed structs and the
models filled from them; others by the general decoder (``from_wire``), which keeps
everything; see the typed wire decoding section at the end.

Examples:
    >>> ev = event_from_wire({"event": "temperature", "data": {"time": 8273663, "record": 223}})
    >>> ev
    Temperature(time=8273663, record=223, extra={})
    >>> ev.to_wire()
    {'event': 'temperature', 'data': {'time': 8273663, 'record': 223}}
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Annotated, Any, ClassVar, Final, Self, TypeAlias, TypeVar, Union, cast

import attrs
import msgspec

from iotws.errors import CodecError, ProtocolError, excerpt
from iotws.jsonwire import WIRE_ERRORS, WireStruct, slot_setters, typed_decoder

__all__ = [
    "EVENT_TYPES",
    "AnyFarmEvent",
    "CommandReply",
    "DeviceCommand",
    "DeviceState",
    "FarmEvent",
    "GenericEvent",
    "Humidity",
    "IrrigationEvent",
    "IrrigationStarted",
    "IrrigationStopped",
    "Number",
    "Reading",
    "RegisterSensors",
    "SensorDisconnected",
    "SensorInfo",
    "SensorState",
    "SensorStatus",
    "SensorUpdate",
    "ServerError",
    "Snapshot",
    "SoilMoisture",
    "Temperature",
    "event_from_wire",
    "parse_cmd",
]

Number = int | float
"""A JSON number (never a bool)."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _object(data: object, what: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ProtocolError(f"{what}: expected a JSON object, got {type(data).__name__}", frame=data)
    return data


def _opt_int(data: Mapping[str, Any], key: str, what: str) -> int | None:
    value = data.get(key)
    if value is not None and not _is_int(value):
        raise ProtocolError(f"{what}: {excerpt(key)} must be an integer, got {excerpt(value)}", frame=data)
    return value


def _check_time(time: int | None, what: str) -> None:
    if time is not None and not _is_int(time):
        raise CodecError(f"{what}: time must be an integer, got {excerpt(time)}")


def _rest(data: Mapping[str, Any], known: tuple[str, ...]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in known}


def _zones(value: str | Iterable[str] | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    return (value,) if isinstance(value, str) else tuple(value)  # a single name is one zone


def _put(out: dict[str, Any], key: str, value: object) -> None:
    if value is not None:
        out[key] = value


# -- Dialect D ---------------------------------------------------------------


@attrs.frozen(slots=True)
class FarmEvent:
    """Base of the documented (Dialect D) events: ``{"event": NAME, "data": ...}``.

    Examples:
        >>> Temperature(time=1, record=20).event
        'temperature'
    """

    event_name: ClassVar[str] = ""
    """The wire name of the event (``event`` key)."""

    @property
    def event(self) -> str:
        """The event name on the wire."""
        return self.event_name

    def to_data(self) -> Any:
        """The ``data`` value on the wire."""
        raise NotImplementedError

    def to_wire(self) -> dict[str, Any]:
        """The whole message as JSON data.

        Examples:
            >>> SensorDisconnected(time=1122, sensor="humidity").to_wire()["data"]
            {'time': 1122, 'sensor': 'humidity'}
        """
        return {"event": self.event, "data": self.to_data()}


@attrs.frozen(slots=True)
class Reading(FarmEvent):
    """A new record of one quantity: ``data = {"time": int, "record": number}``.

    ``time`` is device time (its unit is undocumented; not a Unix epoch) and
    ``record`` is passed through unscaled (``223`` may mean 22.3 degrees).

    Examples:
        >>> Humidity.from_data({"time": 5, "record": 61, "unit": "%"})
        Humidity(time=5, record=61, extra={'unit': '%'})
    """

    time: int | None = None
    record: Number | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    @classmethod
    def from_data(cls, data: object) -> Self:
        """Build from the ``data`` value; [`ProtocolError`][iotws.ProtocolError] if it does not fit."""
        what = cls.event_name
        obj = _object(data, what)
        record = obj.get("record")
        if record is not None and not _is_number(record):
            raise ProtocolError(f"{what}: 'record' must be a number, got {excerpt(record)}", frame=obj)
        return cls(time=_opt_int(obj, "time", what), record=record, extra=_rest(obj, ("time", "record")))

    def to_data(self) -> dict[str, Any]:
        """The ``data`` object (``None`` fields left out)."""
        _check_time(self.time, self.event_name)
        if self.record is not None and (not _is_number(self.record) or not math.isfinite(self.record)):
            raise CodecError(f"{self.event_name}: record must be a finite number, got {excerpt(self.record)}")
        out = dict(self.extra)
        _put(out, "time", self.time)
        _put(out, "record", self.record)
        return out


@attrs.frozen(slots=True)
class Temperature(Reading):
    """``temperature``: a new temperature record.

    Examples:
        >>> Temperature(time=8273663, record=223).to_wire()
        {'event': 'temperature', 'data': {'time': 8273663, 'record': 223}}
    """

    event_name: ClassVar[str] = "temperature"


@attrs.frozen(slots=True)
class Humidity(Reading):
    """``humidity``: a new humidity record (data shape assumed like ``temperature``).

    Examples:
        >>> Humidity(time=1, record=61).event
        'humidity'
    """

    event_name: ClassVar[str] = "humidity"


@attrs.frozen(slots=True)
class SoilMoisture(Reading):
    """``soil_moisture``: a new soil moisture record (shape assumed like ``temperature``).

    Examples:
        >>> SoilMoisture(time=1, record=512).event
        'soil_moisture'
    """

    event_name: ClassVar[str] = "soil_moisture"


@attrs.frozen(slots=True)
class IrrigationEvent(FarmEvent):
    """Irrigation started or stopped: ``data = {"time": int, "zones": [str]}``.

    ``zones`` takes any iterable of names; a single string is one zone.

    Examples:
        >>> IrrigationStopped(zones="zone1").zones
        ('zone1',)
        >>> IrrigationStarted.from_data({"time": 1, "zones": ["zone1"]}).zones
        ('zone1',)
    """

    time: int | None = None
    zones: tuple[str, ...] | None = attrs.field(default=None, converter=_zones)
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    @classmethod
    def from_data(cls, data: object) -> Self:
        """Build from the ``data`` value; [`ProtocolError`][iotws.ProtocolError] if it does not fit."""
        what = cls.event_name
        obj = _object(data, what)
        zones = obj.get("zones")
        if zones is not None and (not isinstance(zones, list) or not all(isinstance(z, str) for z in zones)):
            raise ProtocolError(f"{what}: 'zones' must be a list of strings, got {excerpt(zones)}", frame=obj)
        return cls(time=_opt_int(obj, "time", what), zones=zones, extra=_rest(obj, ("time", "zones")))

    def to_data(self) -> dict[str, Any]:
        """The ``data`` object (``None`` fields left out)."""
        _check_time(self.time, self.event_name)
        if self.zones is not None and not all(isinstance(z, str) for z in self.zones):
            raise CodecError(f"{self.event_name}: zones must be strings, got {excerpt(self.zones)}")
        out = dict(self.extra)
        _put(out, "time", self.time)
        _put(out, "zones", None if self.zones is None else list(self.zones))
        return out


@attrs.frozen(slots=True)
class IrrigationStarted(IrrigationEvent):
    """``irrigation_started``: irrigation is starting in ``zones``.

    Examples:
        >>> IrrigationStarted(time=8273663, zones=["zone1", "zone2"]).to_data()
        {'time': 8273663, 'zones': ['zone1', 'zone2']}
    """

    event_name: ClassVar[str] = "irrigation_started"


@attrs.frozen(slots=True)
class IrrigationStopped(IrrigationEvent):
    """``irrigation_stopped``: irrigation stopped (data undocumented; shape assumed).

    Examples:
        >>> IrrigationStopped(time=9).to_data()
        {'time': 9}
    """

    event_name: ClassVar[str] = "irrigation_stopped"


@attrs.frozen(slots=True)
class SensorDisconnected(FarmEvent):
    """``sensor_disconnected``: a sensor was lost: ``data = {"time": int, "sensor": str}``.

    Examples:
        >>> SensorDisconnected.from_data({"time": 1122, "sensor": "humidity and sensor"}).sensor
        'humidity and sensor'
    """

    event_name: ClassVar[str] = "sensor_disconnected"

    time: int | None = None
    sensor: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    @classmethod
    def from_data(cls, data: object) -> Self:
        """Build from the ``data`` value; [`ProtocolError`][iotws.ProtocolError] if it does not fit."""
        what = cls.event_name
        obj = _object(data, what)
        sensor = obj.get("sensor")
        if sensor is not None and not isinstance(sensor, str):
            raise ProtocolError(f"{what}: 'sensor' must be a string, got {excerpt(sensor)}", frame=obj)
        return cls(time=_opt_int(obj, "time", what), sensor=sensor, extra=_rest(obj, ("time", "sensor")))

    def to_data(self) -> dict[str, Any]:
        """The ``data`` object (``None`` fields left out)."""
        _check_time(self.time, self.event_name)
        if self.sensor is not None and not isinstance(self.sensor, str):
            raise CodecError(f"sensor_disconnected: sensor must be a string, got {excerpt(self.sensor)}")
        out = dict(self.extra)
        _put(out, "time", self.time)
        _put(out, "sensor", self.sensor)
        return out


@attrs.frozen(slots=True)
class GenericEvent(FarmEvent):
    """Any event name without a typed model, with its raw ``data`` (never an error).

    Examples:
        >>> event_from_wire({"event": "valve_opened", "data": {"valve": 3}})
        GenericEvent(event='valve_opened', data={'valve': 3})
    """

    event: str
    data: Any = None

    def to_data(self) -> Any:
        """The raw ``data`` value."""
        return self.data


AnyFarmEvent: TypeAlias = (
    Temperature | Humidity | SoilMoisture | IrrigationStarted | IrrigationStopped | SensorDisconnected | GenericEvent
)
"""Every Dialect D event a frame becomes: the concrete [`FarmEvent`][iotws.farmws.FarmEvent] classes
(``match`` over it is checked for exhaustiveness; ``case Reading()`` covers three).
"""

EVENT_TYPES: dict[str, type[Reading] | type[IrrigationEvent] | type[SensorDisconnected]] = {
    cls.event_name: cls
    for cls in (Temperature, Humidity, SoilMoisture, IrrigationStarted, IrrigationStopped, SensorDisconnected)
}
"""Typed Dialect D events by wire name."""


def _envelope(obj: object) -> tuple[str, Any]:
    envelope = _object(obj, "message")
    name = envelope.get("event")
    if not isinstance(name, str):
        raise ProtocolError("message has no string 'event'", frame=obj)
    if "data" not in envelope:
        raise ProtocolError(f"{name}: message has no 'data'", frame=obj)
    return name, envelope["data"]


def event_from_wire(obj: object) -> FarmEvent:
    """Turn a decoded ``{"event", "data"}`` message into a typed event.

    Examples:
        >>> event_from_wire({"event": "humidity", "data": {"record": 40}}).record
        40
    """
    name, data = _envelope(obj)
    cls = EVENT_TYPES.get(name)
    if cls is None:
        return GenericEvent(event=name, data=data)
    return cls.from_data(data)


# -- Dialect I: device channel ----------------------------------------------------


@attrs.frozen(slots=True)
class SensorInfo:
    """Metadata a device registers for one sensor (an optional display ``name``).

    Examples:
        >>> SensorInfo.from_wire({"name": "Rainfall"})
        SensorInfo(name='Rainfall', extra={})
    """

    name: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    @classmethod
    def from_wire(cls, obj: object) -> SensorInfo:
        """Build from the metadata object."""
        data = _object(obj, "sensor metadata")
        name = data.get("name")
        if name is not None and not isinstance(name, str):
            raise ProtocolError(f"sensor name must be a string, got {excerpt(name)}", frame=obj)
        return cls(name=name, extra=_rest(data, ("name",)))

    def to_wire(self) -> dict[str, Any]:
        """The metadata object."""
        out = dict(self.extra)
        _put(out, "name", self.name)
        return out


@attrs.frozen(slots=True)
class RegisterSensors:
    """``register_sensors``: the sensors a device has (sent right after each connect).

    Examples:
        >>> RegisterSensors({"Humidity": SensorInfo(), "RainDrop": SensorInfo("Rainfall")}).to_wire()
        {'event': 'register_sensors', 'data': {'Humidity': {}, 'RainDrop': {'name': 'Rainfall'}}}
    """

    event_name: ClassVar[str] = "register_sensors"
    sensors: Mapping[str, SensorInfo] = attrs.field(factory=dict)

    @classmethod
    def from_data(cls, data: object) -> RegisterSensors:
        """Build from the ``data`` object (sensor id -> metadata)."""
        obj = _object(data, cls.event_name)
        return cls({str(k): SensorInfo.from_wire(v) for k, v in obj.items()})

    def to_wire(self) -> dict[str, Any]:
        """The whole message."""
        return {"event": self.event_name, "data": {k: v.to_wire() for k, v in self.sensors.items()}}


@attrs.frozen(slots=True)
class SensorUpdate:
    """``sensor_update``: new values, sensor id -> number.

    Examples:
        >>> SensorUpdate.from_data({"Temperature": 24.5, "Humidity": 61}).values["Humidity"]
        61
    """

    event_name: ClassVar[str] = "sensor_update"
    values: Mapping[str, Number] = attrs.field(factory=dict)

    @classmethod
    def from_data(cls, data: object) -> SensorUpdate:
        """Build from the ``data`` object."""
        obj = _object(data, cls.event_name)
        for key, value in obj.items():
            if not _is_number(value):
                raise ProtocolError(f"sensor_update: {excerpt(key)} must be a number, got {excerpt(value)}", frame=obj)
        return cls(dict(obj))

    def to_wire(self) -> dict[str, Any]:
        """The whole message; [`CodecError`][iotws.CodecError] for a non-finite or non-number value."""
        for key, value in self.values.items():
            if not _is_number(value) or not math.isfinite(value):
                raise CodecError(f"sensor_update: {excerpt(key)} must be a finite number, got {excerpt(value)}")
        return {"event": self.event_name, "data": dict(self.values)}


@attrs.frozen(slots=True)
class SensorStatus:
    """``sensor_status``: sensor id -> connected (``True``/``False``).

    Examples:
        >>> SensorStatus({"RainDrop": False}).to_wire()
        {'event': 'sensor_status', 'data': {'RainDrop': False}}
    """

    event_name: ClassVar[str] = "sensor_status"
    connected: Mapping[str, bool] = attrs.field(factory=dict)

    @classmethod
    def from_data(cls, data: object) -> SensorStatus:
        """Build from the ``data`` object."""
        obj = _object(data, cls.event_name)
        for key, value in obj.items():
            if not isinstance(value, bool):
                what = f"sensor_status: {excerpt(key)} must be true/false, got {excerpt(value)}"
                raise ProtocolError(what, frame=obj)
        return cls(dict(obj))

    def to_wire(self) -> dict[str, Any]:
        """The whole message; [`CodecError`][iotws.CodecError] for a non-bool value."""
        for key, value in self.connected.items():
            if not isinstance(value, bool):
                raise CodecError(f"sensor_status: {excerpt(key)} must be a bool, got {excerpt(value)}")
        return {"event": self.event_name, "data": dict(self.connected)}


def parse_cmd(cmd: str) -> tuple[tuple[str, ...], dict[str, str | bool]]:
    """Split a CLI-like command into positional words and ``--key value`` options.

    A ``--flag`` followed by another option (or nothing) is ``True``.

    Examples:
        >>> parse_cmd("config --socket_send_data_seconds 3 --send_sensor_status_seconds 2")
        (('config',), {'socket_send_data_seconds': '3', 'send_sensor_status_seconds': '2'})
        >>> parse_cmd("irrigation start")
        (('irrigation', 'start'), {})
    """
    words = cmd.split()
    args: list[str] = []
    options: dict[str, str | bool] = {}
    i = 0
    while i < len(words):
        word = words[i]
        if word.startswith("--") and len(word) > 2:
            if i + 1 < len(words) and not words[i + 1].startswith("--"):
                options[word[2:]] = words[i + 1]
                i += 2
                continue
            options[word[2:]] = True
        elif not options:
            args.append(word)
        i += 1
    return tuple(args), options


@attrs.frozen(slots=True)
class DeviceCommand:
    """``command`` from the server to a device; ``return_id`` set when a reply is expected.

    ``cmd`` is CLI-like: ``irrigation start``, ``drainage status``,
    ``config --key value ...``; [`words`][iotws.farmws.DeviceCommand.words] and
    [`options`][iotws.farmws.DeviceCommand.options] parse it.
    A ``return`` that is not a non-empty string cannot be answered (the reply's
    event name is the id), so [`from_wire`][iotws.farmws.DeviceCommand.from_wire] refuses it with
    [`ProtocolError`][iotws.ProtocolError].

    Examples:
        >>> msg = {"event": "command", "data": {"cmd": "irrigation start"}, "return": "a1B2c3D4e5"}
        >>> c = DeviceCommand.from_wire(msg)
        >>> c.words, c.return_id
        (('irrigation', 'start'), 'a1B2c3D4e5')
        >>> DeviceCommand.from_wire({**msg, "return": ""})
        Traceback (most recent call last):
        iotws.errors.ProtocolError: command: 'return' must be a non-empty string, got '' (frame: ...)
    """

    event_name: ClassVar[str] = "command"
    cmd: str
    return_id: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    @property
    def words(self) -> tuple[str, ...]:
        """The positional words of ``cmd`` (e.g. ``('irrigation', 'start')``)."""
        return parse_cmd(self.cmd)[0]

    @property
    def options(self) -> dict[str, str | bool]:
        """The ``--key value`` options of ``cmd``."""
        return parse_cmd(self.cmd)[1]

    @classmethod
    def from_wire(cls, obj: object) -> DeviceCommand:
        """Build from a whole ``command`` message."""
        envelope = _object(obj, "command")
        data = _object(envelope.get("data"), "command data")
        cmd = data.get("cmd")
        if not isinstance(cmd, str):
            raise ProtocolError("command: 'cmd' must be a string", frame=obj)
        rid = envelope.get("return")
        if rid is not None and (not isinstance(rid, str) or not rid):
            raise ProtocolError(f"command: 'return' must be a non-empty string, got {excerpt(rid)}", frame=obj)
        return cls(cmd=cmd, return_id=rid, extra=_rest(data, ("cmd",)))

    def to_wire(self) -> dict[str, Any]:
        """The whole message.

        Examples:
            >>> DeviceCommand("irrigation status", "x" * 10).to_wire()["return"]
            'xxxxxxxxxx'
        """
        out: dict[str, Any] = {"event": self.event_name, "data": {**self.extra, "cmd": self.cmd}}
        _put(out, "return", self.return_id)
        return out


@attrs.frozen(slots=True)
class CommandReply:
    """A device's reply to a command: the event name **is** the command's return id.

    ``result`` is ``True`` for start/stop, ``0``/``1`` for status, a string for errors.

    Examples:
        >>> CommandReply("a1B2c3D4e5", True).to_wire()
        {'event': 'a1B2c3D4e5', 'data': True}
    """

    return_id: str
    result: Any = None

    def to_wire(self) -> dict[str, Any]:
        """The whole message."""
        if not isinstance(self.return_id, str) or not self.return_id:
            raise CodecError(f"a reply needs a non-empty return id, got {excerpt(self.return_id)}")
        return {"event": self.return_id, "data": self.result}


@attrs.frozen(slots=True)
class ServerError:
    """``error`` from the server: it could not handle a frame the device sent.

    Examples:
        >>> ServerError.from_data("Error in the data sent").message
        'Error in the data sent'
    """

    event_name: ClassVar[str] = "error"
    message: Any = None

    @classmethod
    def from_data(cls, data: object) -> ServerError:
        """Build from the ``data`` value (usually a string)."""
        return cls(data)

    def to_wire(self) -> dict[str, Any]:
        """The whole message."""
        return {"event": self.event_name, "data": self.message}


# -- Dialect I: dashboard channel -------------------------------------------------


def _flag_repr(obj: Any, fields: tuple[str, ...]) -> str:
    parts = [f"{f}={getattr(obj, f)!r}" for f in fields]
    if obj.problem is not None:
        parts += [f"problem={obj.problem!r}", f"raw={obj.raw!r}"]
    return f"{type(obj).__name__}({', '.join(parts)})"


@attrs.frozen(slots=True, repr=False)
class SensorState:
    """One sensor in a [`Snapshot`][iotws.farmws.Snapshot]: connected ``status`` and ``last_value``.

    The reference server stores what devices register without checking it, and
    serves it in every snapshot. Parsed with ``strict=False``, an entry that does
    not fit (``"Flow": 5``, a non-string ``name``, a non-bool ``status``) is kept:
    the fields that fit are filled, [`problem`][iotws.farmws.SensorState.problem] says what is wrong and
    [`raw`][iotws.farmws.SensorState.raw] holds the entry as received (and is what
    [`to_wire`][iotws.farmws.SensorState.to_wire] sends back).

    Examples:
        >>> SensorState.from_wire({"name": "Soil Moisture", "status": True, "last_value": 512})
        SensorState(status=True, last_value=512, name='Soil Moisture', extra={})
        >>> flow = SensorState.from_wire(5, strict=False)
        >>> flow.malformed, flow.raw, flow.to_wire()
        (True, 5, 5)
    """

    status: bool | None = None
    last_value: Any = None
    name: str | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    problem: str | None = None
    """Why the entry did not fit (``None`` for a well-formed entry)."""
    raw: Any = None
    """The entry as received, when [`problem`][iotws.farmws.SensorState.problem] is set."""

    def __repr__(self) -> str:
        return _flag_repr(self, ("status", "last_value", "name", "extra"))

    @property
    def malformed(self) -> bool:
        """Whether the entry did not fit the documented shape (see [`problem`][iotws.farmws.SensorState.problem])."""
        return self.problem is not None

    @classmethod
    def from_wire(cls, obj: object, *, strict: bool = True) -> SensorState:
        """Build from the sensor object; ``strict=False`` flags a bad entry instead of raising."""
        try:
            data = _object(obj, "sensor state")
            status, name = data.get("status"), data.get("name")
            if status is not None and not isinstance(status, bool):
                raise ProtocolError(f"sensor 'status' must be true/false, got {excerpt(status)}", frame=obj)
            if name is not None and not isinstance(name, str):
                raise ProtocolError(f"sensor 'name' must be a string, got {excerpt(name)}", frame=obj)
        except ProtocolError as exc:
            if strict:
                raise
            return cls._loose(obj, exc.args[0])
        extra = _rest(data, ("status", "last_value", "name"))
        return cls(status=status, last_value=data.get("last_value"), name=name, extra=extra)

    @classmethod
    def _loose(cls, obj: object, problem: str) -> SensorState:
        if not isinstance(obj, Mapping):
            return cls(problem=problem, raw=obj)
        status, name = obj.get("status"), obj.get("name")
        return cls(
            status=status if isinstance(status, bool) else None,
            last_value=obj.get("last_value"),
            name=name if isinstance(name, str) else None,
            extra=_rest(obj, ("status", "last_value", "name")),
            problem=problem,
            raw=obj,
        )

    def to_wire(self) -> Any:
        """The sensor object (the entry as received, for a malformed one)."""
        if self.problem is not None:
            return self.raw
        out = dict(self.extra)
        _put(out, "name", self.name)
        out["status"] = self.status
        out["last_value"] = self.last_value
        return out


@attrs.frozen(slots=True, repr=False)
class DeviceState:
    """One device in a [`Snapshot`][iotws.farmws.Snapshot].

    With ``strict=False`` a malformed sensor entry is kept flagged (see
    [`SensorState`][iotws.farmws.SensorState]), and a malformed device entry becomes a device named
    after its key, with no sensors, [`problem`][iotws.farmws.DeviceState.problem] set and
    [`raw`][iotws.farmws.DeviceState.raw] kept.

    Examples:
        >>> DeviceState.from_wire({"name": "Esp8266", "sensors": {}}).name
        'Esp8266'
        >>> DeviceState.from_wire({"name": "E", "sensors": {"Flow": 5}}, strict=False).problems
        [('Flow', 'sensor state: expected a JSON object, got int')]
    """

    name: str
    sensors: Mapping[str, SensorState] = attrs.field(factory=dict)
    extra: Mapping[str, Any] = attrs.field(factory=dict)
    problem: str | None = None
    """Why the device entry did not fit (``None`` for a well-formed entry)."""
    raw: Any = None
    """The entry as received, when [`problem`][iotws.farmws.DeviceState.problem] is set."""

    def __repr__(self) -> str:
        return _flag_repr(self, ("name", "sensors", "extra"))

    @property
    def malformed(self) -> bool:
        """Whether the device entry itself did not fit (see [`problem`][iotws.farmws.DeviceState.problem])."""
        return self.problem is not None

    @property
    def problems(self) -> list[tuple[str | None, str]]:
        """``(sensor id, problem)`` for every malformed entry (sensor ``None``: the device itself)."""
        own: list[tuple[str | None, str]] = [] if self.problem is None else [(None, self.problem)]
        return own + [(sid, s.problem) for sid, s in self.sensors.items() if s.problem is not None]

    @classmethod
    def from_wire(cls, obj: object, key: str = "", *, strict: bool = True) -> DeviceState:
        """Build from the device object (``key`` is the fallback name)."""
        try:
            data = _object(obj, "device state")
            name = data.get("name", key)
            if not isinstance(name, str):
                raise ProtocolError(f"device 'name' must be a string, got {excerpt(name)}", frame=obj)
            sensors = _object(data.get("sensors", {}), "device sensors")
        except ProtocolError as exc:
            if strict:
                raise
            return cls(name=key, problem=exc.args[0], raw=obj)
        parsed = {str(k): SensorState.from_wire(v, strict=strict) for k, v in sensors.items()}
        return cls(name=name, sensors=parsed, extra=_rest(data, ("name", "sensors")))

    def to_wire(self) -> Any:
        """The device object (the entry as received, for a malformed one)."""
        if self.problem is not None:
            return self.raw
        sensors = {k: v.to_wire() for k, v in self.sensors.items()}
        return {**self.extra, "name": self.name, "sensors": sensors}


@attrs.frozen(slots=True)
class Snapshot:
    """The full live state the server pushes to dashboards: device name -> [`DeviceState`][iotws.farmws.DeviceState].

    Each snapshot replaces the previous one (no diff semantics). With
    ``strict=False`` (how [`LiveCore`][iotws.farmws.LiveCore] reads them)
    malformed entries are kept flagged and listed in [`problems`][iotws.farmws.Snapshot.problems].

    Examples:
        >>> snap = Snapshot.from_wire({"Esp8266": {"name": "Esp8266", "sensors": {
        ...     "Temperature": {"status": True, "last_value": 24.5}, "Flow": 5}}}, strict=False)
        >>> snap.value("Esp8266", "Temperature")
        24.5
        >>> snap.problems
        [('Esp8266', 'Flow', 'sensor state: expected a JSON object, got int')]
    """

    devices: Mapping[str, DeviceState] = attrs.field(factory=dict)

    @classmethod
    def from_wire(cls, obj: object, *, strict: bool = True) -> Snapshot:
        """Build from the snapshot object (a non-object is always a [`ProtocolError`][iotws.ProtocolError])."""
        data = _object(obj, "snapshot")
        return cls({str(k): DeviceState.from_wire(v, str(k), strict=strict) for k, v in data.items()})

    def to_wire(self) -> dict[str, Any]:
        """The snapshot object."""
        return {k: v.to_wire() for k, v in self.devices.items()}

    @property
    def problems(self) -> list[tuple[str, str | None, str]]:
        """``(device, sensor id, problem)`` for every malformed entry (sensor ``None``: the device)."""
        return [(key, sid, problem) for key, device in self.devices.items() for sid, problem in device.problems]

    def value(self, device: str, sensor: str) -> Any:
        """The last value of ``sensor`` on ``device`` (``KeyError`` if absent)."""
        return self.devices[device].sensors[sensor].last_value


# -- typed wire decoding ----------------------------------------------------------
#
# A frame of the regular shape is decoded by msgspec straight into the structs below
# and turned into the models above without a dict in between. Any other frame (an
# event name without a model, a key a model keeps in ``extra``, a value of another
# type, NaN...) makes the typed decoder refuse it, and the general decoder
# (``from_wire`` over [`iotws.jsonwire.loads`][]) parses it, keeping all of it.
# Both give equal models (tests/farmws/test_wire.py checks it).

M = TypeVar("M", bound=attrs.AttrsInstance)


def _maker(cls: type[M]) -> Callable[[Any, Any], M]:
    """``cls(first, second, extra={})`` for a frozen attrs class of three fields, without ``__init__``.

    For values the typed decoder has checked already: it skips attrs' per-field
    ``object.__setattr__`` (the converters have nothing to do on decoded values).
    """
    if [field.name for field in attrs.fields(cls)][2:] != ["extra"]:
        raise TypeError(f"{cls.__name__} does not have the fields (first, second, extra)")
    set_first, set_second, set_extra = slot_setters(cls)
    new = object.__new__

    def make(first: Any, second: Any) -> M:
        obj = new(cls)
        set_first(obj, first)
        set_second(obj, second)
        set_extra(obj, {})
        return obj

    return make


class _ReadingData(WireStruct, frozen=True):
    time: int | None = None
    value: int | float | None = msgspec.field(default=None, name="record")


class _IrrigationData(WireStruct, frozen=True):
    time: int | None = None
    value: tuple[str, ...] | None = msgspec.field(default=None, name="zones")


class _DisconnectedData(WireStruct, frozen=True):
    time: int | None = None
    value: str | None = msgspec.field(default=None, name="sensor")


class _CommandData(WireStruct, frozen=True):
    cmd: str


class _CommandMessage(WireStruct, frozen=True, tag_field="event", tag="command"):
    data: _CommandData
    return_id: Annotated[str, msgspec.Meta(min_length=1)] | None = msgspec.field(default=None, name="return")


class _ErrorMessage(WireStruct, frozen=True, tag_field="event", tag="error"):
    data: Any = None


def _event_message(cls: type[Reading] | type[IrrigationEvent] | type[SensorDisconnected]) -> type[WireStruct]:
    """The struct of ``{"event": <cls.event_name>, "data": {...}}``, tagged by the event name."""
    data = _ReadingData if issubclass(cls, Reading) else _IrrigationData if issubclass(cls, IrrigationEvent) else (
        _DisconnectedData
    )
    return cast(
        type[WireStruct],
        msgspec.defstruct(
            f"_{cls.__name__}Message", [("data", data)], bases=(WireStruct,), tag_field="event", tag=cls.event_name
        ),
    )


#: Typed event message struct -> the maker of its model.
_EVENT_MAKERS: Final[dict[type[WireStruct], Callable[[Any, Any], FarmEvent]]] = {
    _event_message(cls): _maker(cls) for cls in EVENT_TYPES.values()
}
_decode_event: Final = typed_decoder(Union[tuple(_EVENT_MAKERS)])  # noqa: UP007 - a union built at run time
_decode_device_message: Final = typed_decoder(Union[(*_EVENT_MAKERS, _CommandMessage, _ErrorMessage)])
_make_command: Final = _maker(DeviceCommand)


def _typed_event(frame: str) -> FarmEvent | None:
    """The typed Dialect D event of a regular frame (msgspec); ``None`` for any other frame.

    ``None`` says nothing about the frame's validity: [`event_from_wire`][iotws.farmws.models.event_from_wire] decides.
    """
    try:
        message = _decode_event(frame)
    except WIRE_ERRORS:
        return None
    data = message.data
    return _EVENT_MAKERS[message.__class__](data.time, data.value)


def _typed_device_message(frame: str) -> FarmEvent | DeviceCommand | ServerError | None:
    """What a device reads from a regular frame (msgspec): a typed event, a command or an error; else ``None``."""
    try:
        message = _decode_device_message(frame)
    except WIRE_ERRORS:
        return None
    kind = message.__class__
    if kind is _CommandMessage:
        return _make_command(message.data.cmd, message.return_id)
    if kind is _ErrorMessage:
        return ServerError(message.data)
    data = message.data
    return _EVENT_MAKERS[kind](data.time, data.value)


class _SensorWire(WireStruct, frozen=True):
    status: bool | None = None
    last_value: Any = None
    name: str | None = None


class _DeviceWire(WireStruct, frozen=True):
    name: str | msgspec.UnsetType = msgspec.UNSET
    sensors: dict[str, _SensorWire] = {}


_decode_snapshot: Final = typed_decoder(dict[str, _DeviceWire])


def _snapshot_makers() -> tuple[Callable[[Any, Any, Any], SensorState], Callable[[str, Any], DeviceState]]:
    """Builders of well-formed [`SensorState`][iotws.farmws.SensorState] and
    [`DeviceState`][iotws.farmws.DeviceState] entries, without ``__init__``."""
    new = object.__new__
    status_, value_, name_, extra_, problem_, raw_ = slot_setters(SensorState)
    dname_, sensors_, dextra_, dproblem_, draw_ = slot_setters(DeviceState)

    def sensor(status: Any, last_value: Any, name: Any) -> SensorState:
        obj = new(SensorState)
        status_(obj, status)
        value_(obj, last_value)
        name_(obj, name)
        extra_(obj, {})
        problem_(obj, None)
        raw_(obj, None)
        return obj

    def device(name: str, sensors: Any) -> DeviceState:
        obj = new(DeviceState)
        dname_(obj, name)
        sensors_(obj, sensors)
        dextra_(obj, {})
        dproblem_(obj, None)
        draw_(obj, None)
        return obj

    return sensor, device


_make_sensor, _make_device = _snapshot_makers()


def _typed_snapshot(frame: str) -> Snapshot | None:
    """The snapshot of a regular frame (msgspec), every entry well formed; ``None`` for any other frame."""
    try:
        decoded: dict[str, _DeviceWire] = _decode_snapshot(frame)
    except WIRE_ERRORS:
        return None
    sensor, device = _make_sensor, _make_device
    devices: dict[str, DeviceState] = {}
    for key, entry in decoded.items():
        sensors = {sid: sensor(s.status, s.last_value, s.name) for sid, s in entry.sensors.items()}
        devices[key] = device(key if entry.name is msgspec.UNSET else entry.name, sensors)
    return Snapshot(devices)
