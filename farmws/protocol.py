"""The sans-I/O cores of farmws: frames in, typed events out; messages out as frames.

Three cores cover both dialects:

* [`EventCore`][iotws.farmws.EventCore] (Dialect D, controller and dashboard sides): every frame is
  ``{"event", "data"}`` and becomes a [`FarmEvent`][iotws.farmws.FarmEvent].
* [`DeviceCore`][iotws.farmws.DeviceCore] (Dialect I, ``/controller/<name>``): sends
  ``register_sensors`` on every connect, turns ``command`` messages into
  [`DeviceCommand`][iotws.farmws.DeviceCommand] events, runs registered command handlers
  and answers each ``return`` id once even though the server re-sends it every
  0.5 s; ``error`` messages become [`ServerError`][iotws.farmws.ServerError] events.
* [`LiveCore`][iotws.farmws.LiveCore] (Dialect I, ``/client/live_hardware_infor``): bare snapshot
  objects become [`Snapshot`][iotws.farmws.Snapshot] events; the latest is ``state``.

Examples:
    >>> core = EventCore()
    >>> core.receive('{"event": "temperature", "data": {"time": 8273663, "record": 223}}')
    [Temperature(time=8273663, record=223, extra={})]
"""

from __future__ import annotations

import inspect
import json
import time as _time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Final, TypeAlias, TypeVar
from urllib.parse import quote, urlsplit, urlunsplit

import attrs

from iotws.backoff import ReconnectPolicy
from iotws.commands import Command
from iotws.errors import CodecError, ProtocolError, UsageError, excerpt
from iotws.events import LinkEvent, ProtocolViolation
from iotws.farmws.models import (
    AnyFarmEvent,
    CommandReply,
    DeviceCommand,
    FarmEvent,
    GenericEvent,
    RegisterSensors,
    SensorInfo,
    ServerError,
    Snapshot,
    _typed_device_message,
    _typed_event,
    _typed_snapshot,
    event_from_wire,
)
from iotws.jsonwire import DECODE_ERRORS, loads
from iotws.sansio import Frame, ProtocolCore, Submission

__all__ = [
    "DEFAULT_SENSORS",
    "DEVICE_RECONNECT",
    "CommandHandler",
    "ControllerEvent",
    "DashboardEvent",
    "DeferHandler",
    "DeviceCore",
    "DeviceEvent",
    "Event",
    "EventCore",
    "LiveCore",
    "LiveEvent",
    "NamedCallback",
    "SendCommand",
    "dashboard_url",
    "decode",
    "device_time",
    "device_url",
    "encode",
    "event_command",
    "event_time",
    "live_endpoint",
    "live_url",
    "non_empty",
    "parse_event",
    "sensor_ids",
    "zone_names",
]

V = TypeVar("V")

DashboardEvent: TypeAlias = AnyFarmEvent | LinkEvent
"""What a Dialect D client's ``events()`` yields ([`DashboardClient`][iotws.farmws.DashboardClient]):
the typed events a controller sent, relayed by the server, and the shared link events.
"""
ControllerEvent: TypeAlias = DashboardEvent
"""What [`ControllerClient`][iotws.farmws.ControllerClient]'s ``events()`` yields: the same union
as [`DashboardEvent`][iotws.farmws.DashboardEvent] (both Dialect D clients read through
[`EventCore`][iotws.farmws.EventCore]).
"""
DeviceEvent: TypeAlias = DeviceCommand | ServerError | AnyFarmEvent | LinkEvent
"""What [`DeviceClient`][iotws.farmws.DeviceClient]'s ``events()`` yields: the server's
commands and errors, any other ``{"event", "data"}`` message, and the link events.
"""
LiveEvent: TypeAlias = Snapshot | ServerError | GenericEvent | LinkEvent
"""What [`LiveClient`][iotws.farmws.LiveClient]'s ``events()`` yields: snapshots (a
malformed entry also gives a ``ProtocolViolation``), an odd message, the link events.
"""
Event: TypeAlias = DeviceCommand | ServerError | Snapshot | AnyFarmEvent | LinkEvent
"""Everything any farmws client's ``events()`` can yield (for code that serves several)."""

CommandHandler = Callable[[DeviceCommand], object]
"""A device command handler: gets the command, returns the reply result (or an awaitable of it)."""
DeferHandler = Callable[[DeviceCommand, Awaitable[Any]], None]
"""Runs an awaitable handler result later, then calls
[`DeviceCore.deferred_result`][iotws.farmws.DeviceCore.deferred_result]."""

DEFAULT_SENSORS: Mapping[str, SensorInfo] = {
    "Humidity": SensorInfo(),
    "Temperature": SensorInfo(),
    "RainDrop": SensorInfo(name="Rainfall"),
    "SoilMoisture": SensorInfo(name="Soil Moisture"),
}
"""The sensors of the reference firmware, as it registers them."""


DEVICE_RECONNECT: Final[ReconnectPolicy] = ReconnectPolicy(initial_delay=0.2, factor=2.0, max_delay=2.0, jitter=0.2)
"""The reconnect policy of device clients: back well inside the server's 5 s grace."""


# -- URLs -------------------------------------------------------------------------------


def _with_path(url: str, path: str) -> str:
    if not isinstance(url, str):
        raise UsageError(f"url must be a string such as 'ws://farm.local/', got {excerpt(url)}")
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + path))


def dashboard_url(base: str, client_id: str | int) -> str:
    """The Dialect D dashboard URL for ``client_id`` under ``base``.

    Examples:
        >>> dashboard_url("ws://farm.local/", 42)
        'ws://farm.local/clients/42'
    """
    return _with_path(base, "/clients/" + quote(str(client_id), safe=""))


def device_url(base: str, name: str) -> str:
    """The Dialect I device URL for ``name`` under ``base``.

    Examples:
        >>> device_url("ws://farm.local:5000", "Esp8266")
        'ws://farm.local:5000/controller/Esp8266'
    """
    if not isinstance(name, str) or not name:
        raise UsageError(f"name must be a non-empty string (the device name), got {excerpt(name)}")
    return _with_path(base, "/controller/" + quote(name, safe=""))


def live_url(base: str) -> str:
    """The Dialect I dashboard URL under ``base``.

    Examples:
        >>> live_url("ws://farm.local:5000/")
        'ws://farm.local:5000/client/live_hardware_infor'
    """
    return _with_path(base, "/client/live_hardware_infor")


def live_endpoint(url: str) -> str:
    """The URL a live dashboard connects to: ``url``, or [`live_url`][iotws.farmws.live_url] of it when it has no path.

    Examples:
        >>> live_endpoint("ws://farm.local:5000"), live_endpoint("ws://farm.local:5000/custom")
        ('ws://farm.local:5000/client/live_hardware_infor', 'ws://farm.local:5000/custom')
    """
    if isinstance(url, str) and urlsplit(url).path in ("", "/"):
        return live_url(url)
    return url  # anything else is the full URL (a wrong one is refused by the client's options)


# -- what the clients send ----------------------------------------------------------------


def device_time() -> int:
    """The default ``time`` of events sent without one: whole seconds of host uptime.

    The vendor examples (``8273663``) look like device uptime, not a Unix epoch.

    Examples:
        >>> device_time() >= 0
        True
    """
    return int(_time.monotonic())


def event_time(time: int | None) -> int:
    """``time``, or [`device_time`][iotws.farmws.protocol.device_time] when it is ``None``.

    Examples:
        >>> event_time(8273663)
        8273663
    """
    return device_time() if time is None else time


def non_empty(value: object, what: str) -> str:
    """``value`` if it is a non-empty string, else [`UsageError`][iotws.UsageError] naming ``what``.

    Examples:
        >>> non_empty("zone1", "zone")
        'zone1'
        >>> non_empty("", "an event name")
        Traceback (most recent call last):
        iotws.errors.UsageError: an event name must be a non-empty string, got ''
    """
    if not isinstance(value, str) or not value:
        raise UsageError(f"{what} must be a non-empty string, got {excerpt(value)}")
    return value


def zone_names(zones: str | Iterable[str], what: str) -> tuple[str, ...]:
    """``zones`` as a tuple of names; a single string is one zone (never split into characters).

    Examples:
        >>> zone_names("zone1", "irrigation_started"), zone_names(["a", "b"], "irrigation_started")
        (('zone1',), ('a', 'b'))
        >>> zone_names(["zone1", ""], "irrigation_started")
        Traceback (most recent call last):
        iotws.errors.UsageError: irrigation_started: a zone must be a non-empty string, got '' in ('zone1', '')
    """
    if isinstance(zones, str):
        zones = (zones,)
    try:
        names = tuple(zones)
    except TypeError:
        raise UsageError(f"{what}: zones must be a zone name or names, got {excerpt(zones)}") from None
    for name in names:
        if not isinstance(name, str) or not name:
            raise UsageError(f"{what}: a zone must be a non-empty string, got {excerpt(name)} in {excerpt(names)}")
    return names


def sensor_ids(values: Mapping[str, V], what: str) -> Mapping[str, V]:
    """``values`` if it maps non-empty sensor ids; else [`UsageError`][iotws.UsageError] naming ``what``.

    Examples:
        >>> sensor_ids({"Temperature": 24.5}, "sensor_update")
        {'Temperature': 24.5}
        >>> sensor_ids({"": 1}, "sensor_update")
        Traceback (most recent call last):
        iotws.errors.UsageError: sensor_update: a sensor id must be a non-empty string, got ''
    """
    if not isinstance(values, Mapping):
        raise UsageError(f"{what}: expected a mapping of sensor id -> value, got {excerpt(values)}")
    for key in values:
        non_empty(key, f"{what}: a sensor id")
    return values


def event_command(event: FarmEvent) -> SendCommand:
    """The command that sends one typed Dialect D event.

    [`UsageError`][iotws.UsageError] for anything but a [`FarmEvent`][iotws.farmws.FarmEvent] or for
    an empty event name; [`CodecError`][iotws.CodecError] for a value with no JSON form.

    Examples:
        >>> from iotws.farmws.models import Humidity
        >>> event_command(Humidity(time=5, record=61)).frame
        '{"event":"humidity","data":{"time":5,"record":61}}'
    """
    if not isinstance(event, FarmEvent):
        raise UsageError(f"emit() takes a FarmEvent (Temperature, GenericEvent...), got {excerpt(event)}")
    non_empty(event.event, "an event name")
    return SendCommand(event.to_wire())


@attrs.frozen
class NamedCallback:
    """A callback for the events named ``name`` only (what ``on_event`` registers).

    Two are equal when they have the same name and callback, so ``off_event`` finds it.

    Examples:
        >>> seen = []
        >>> call = NamedCallback("pump", seen.append)
        >>> call(GenericEvent("pump", "on")), call(GenericEvent("valve", 1)), seen
        (None, None, [GenericEvent(event='pump', data='on')])
    """

    name: str
    callback: Callable[[FarmEvent], object]

    def __call__(self, event: FarmEvent) -> object:
        """Call the callback if ``event`` has the name."""
        if event.event == self.name:
            return self.callback(event)
        return None


def decode(frame: Frame) -> Any:
    """Parse a text frame as JSON (``NaN`` and ``Infinity`` included); [`ProtocolError`][iotws.ProtocolError] for
    anything else.

    Examples:
        >>> decode('{"a": 1}')
        {'a': 1}
        >>> decode(b"\\x00")
        Traceback (most recent call last):
        iotws.errors.ProtocolError: binary frames are not part of farmws (frame: b'\\x00')
    """
    if not isinstance(frame, str):
        raise ProtocolError("binary frames are not part of farmws", frame=frame)
    try:
        return loads(frame)
    except DECODE_ERRORS as exc:
        raise ProtocolError(f"not JSON: {exc}", frame=frame) from None


def encode(message: Mapping[str, Any]) -> str:
    """Serialise a message as compact JSON; [`CodecError`][iotws.CodecError] if it cannot be sent.

    Examples:
        >>> encode({"event": "humidity", "data": {"record": 61}})
        '{"event":"humidity","data":{"record":61}}'
        >>> encode({"event": "x", "data": float("nan")})
        Traceback (most recent call last):
        iotws.errors.CodecError: cannot encode the message as JSON: Out of range float values are not JSON compliant
    """
    try:
        return json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise CodecError(f"cannot encode the message as JSON: {exc}") from None


def parse_event(frame: Frame) -> FarmEvent:
    """One Dialect D frame -> a typed event ([`GenericEvent`][iotws.farmws.GenericEvent] if unknown).

    A frame of the regular shape is decoded by msgspec straight into its model; any
    other (an unknown name, extra keys, ``NaN``...) by the general decoder, which keeps
    all of it.

    Examples:
        >>> parse_event('{"event": "pump", "data": "on"}')
        GenericEvent(event='pump', data='on')
        >>> parse_event('{"event": "temperature", "data": {"record": NaN, "unit": "C"}}')
        Temperature(time=None, record=nan, extra={'unit': 'C'})
    """
    if isinstance(frame, str):
        event = _typed_event(frame)
        if event is not None:
            return event
    message = decode(frame)
    try:
        return event_from_wire(message)
    except ProtocolError as exc:
        raise ProtocolError(exc.args[0], frame=frame) from None


class SendCommand(Command[None]):
    """Send one message and complete once written (farmws never acknowledges).

    The message is encoded when the command is made, so a value that cannot be
    sent raises [`CodecError`][iotws.CodecError] before anything goes out.

    Examples:
        >>> SendCommand({"event": "temperature", "data": {"record": 20}}).encode(None)
        ['{"event":"temperature","data":{"record":20}}']
    """

    expects_reply = False

    def __init__(self, message: Mapping[str, Any]) -> None:
        self.message: Mapping[str, Any] = message
        self.frame: str = encode(message)

    def encode(self, token: int | None) -> list[Frame]:
        """The one frame."""
        return [self.frame]


class EventCore(ProtocolCore):
    """Dialect D core, for both the controller and the dashboard side.

    Nothing is sent on connect and nothing is ever answered; every received
    frame becomes one event (unexpected frames on the controller side are
    surfaced, not fatal).

    Examples:
        >>> EventCore().receive('{"event": "irrigation_stopped", "data": {}}')
        [IrrigationStopped(time=None, zones=None, extra={})]
    """

    name = "farmws"

    def receive(self, frame: Frame) -> list[object]:
        """Parse one frame into one typed event."""
        return [parse_event(frame)]


class DeviceCore(ProtocolCore):
    """Dialect I device-side core (``/controller/<name>``).

    * Sends ``register_sensors`` first on every (re)connection.
    * ``command`` messages become [`DeviceCommand`][iotws.farmws.DeviceCommand] events. A handler
      registered with [`handle`][iotws.farmws.DeviceCore.handle] (exact ``cmd``, then its first two words,
      then its first word) runs for each new command; when the command has a
      ``return`` id, the handler's result is the reply, sent once per id.
      The server re-sends an unanswered command every 0.5 s: re-sends are
      recognised (counted in [`resends`][iotws.farmws.DeviceCore.resends], not emitted again); after a
      reconnect a re-sent id is answered again from the cached result without
      running the handler twice.
    * A handler that returns an awaitable (an ``async def`` handler) is handed to
      [`defer`][iotws.farmws.DeviceCore.defer] (set by
      [`AsyncHandlerRunner`][iotws.farmws.handlers.AsyncHandlerRunner]), which
      awaits it and answers through [`deferred_result`][iotws.farmws.DeviceCore.deferred_result]; re-sends arriving
      meanwhile are counted, not run again. Without [`defer`][iotws.farmws.DeviceCore.defer] the awaitable is
      closed and the command left unanswered (the server then reports a failure,
      instead of counting an ``"error: ..."`` reply as a success).
    * ``config --key value`` commands update [`config`][iotws.farmws.DeviceCore.config].
    * ``error`` messages become [`ServerError`][iotws.farmws.ServerError] events; other names become
      [`GenericEvent`][iotws.farmws.GenericEvent].

    Examples:
        >>> core = DeviceCore()
        >>> core.handle("irrigation start", lambda command: True)
        >>> msg = '{"event": "command", "data": {"cmd": "irrigation start"}, "return": "abcdefghij"}'
        >>> core.receive(msg)
        [DeviceCommand(cmd='irrigation start', return_id='abcdefghij', extra={})]
        >>> core.data_to_send()
        ['{"event":"abcdefghij","data":true}']
        >>> core.receive(msg), core.data_to_send(), core.resends
        ([], [], 1)

        An ``async def`` handler is awaited by whoever [`defer`][iotws.farmws.DeviceCore.defer] names:

        >>> import asyncio
        >>> async def status(command):
        ...     return 1
        >>> core = DeviceCore(handlers={"drainage status": status})
        >>> waiting = []
        >>> core.defer = lambda command, result: waiting.append((command, result))
        >>> _ = core.receive('{"event": "command", "data": {"cmd": "drainage status"}, "return": "r1"}')
        >>> core.data_to_send()
        []
        >>> command, result = waiting.pop()
        >>> core.deferred_result(command, asyncio.run(result))
        >>> core.data_to_send()
        ['{"event":"r1","data":1}']
    """

    name = "farmws"

    def __init__(
        self,
        sensors: Mapping[str, SensorInfo] | None = None,
        handlers: Mapping[str, CommandHandler] | None = None,
        memory: int = 256,
    ) -> None:
        super().__init__()
        self.sensors: dict[str, SensorInfo] = dict(DEFAULT_SENSORS if sensors is None else sensors)
        self.handlers: dict[str, CommandHandler] = dict(handlers or {})
        self.config: dict[str, str | bool] = {}
        """Options received in ``config`` commands (strings, as sent)."""
        self.resends: int = 0
        """How many re-sent copies of already seen commands were recognised."""
        self.defer: DeferHandler | None = None
        """Who awaits a handler's awaitable result (``None``: nobody can; it is closed)."""
        self._memory = memory
        # return id -> reply frame (None while the user has not answered)
        self._seen: OrderedDict[str, str | None] = OrderedDict()
        self._answered_here: set[str] = set()

    # -- configuration ------------------------------------------------------------
    def handle(self, pattern: str, handler: CommandHandler) -> None:
        """Answer commands matching ``pattern`` (``"irrigation start"``, ``"drainage"``...)."""
        self.handlers[" ".join(pattern.split())] = handler

    def handler_for(self, command: DeviceCommand) -> CommandHandler | None:
        """The handler for ``command``: exact ``cmd``, then first two words, then first word."""
        if not self.handlers:
            return None
        words = command.cmd.split()
        for key in (" ".join(words), " ".join(words[:2]), " ".join(words[:1])):
            if key in self.handlers:
                return self.handlers[key]
        return None

    def answered(self, return_id: str) -> bool:
        """Whether a reply for ``return_id`` was sent (or queued) already."""
        return self._seen.get(return_id) is not None

    # -- lifecycle ------------------------------------------------------------------
    def on_connect(self) -> list[Frame]:
        """``register_sensors`` with [`sensors`][iotws.farmws.DeviceCore.sensors]."""
        return [encode(RegisterSensors(self.sensors).to_wire())]

    def connection_lost(self) -> None:
        """Forget which ids were answered on this connection (results stay cached)."""
        super().connection_lost()
        self._answered_here.clear()

    # -- traffic ----------------------------------------------------------------------
    def receive(self, frame: Frame) -> list[object]:
        """Parse one server message (command, error or other)."""
        typed = _typed_device_message(frame) if isinstance(frame, str) else None
        if typed is not None:
            return self._on_command(typed) if isinstance(typed, DeviceCommand) else [typed]
        message = decode(frame)
        if not isinstance(message, dict) or not isinstance(message.get("event"), str):
            raise ProtocolError("message is not an object with a string 'event'", frame=frame)
        name = message["event"]
        if name == "error":
            return [ServerError(message.get("data"))]
        if name != DeviceCommand.event_name:
            try:
                return [event_from_wire(message)]
            except ProtocolError as exc:
                raise ProtocolError(exc.args[0], frame=frame) from None
        try:
            command = DeviceCommand.from_wire(message)
        except ProtocolError as exc:
            raise ProtocolError(exc.args[0], frame=frame) from None
        return self._on_command(command)

    def _on_command(self, command: DeviceCommand) -> list[object]:
        rid = command.return_id
        if rid is not None and rid in self._seen:
            reply = self._seen[rid]
            if reply is not None and rid not in self._answered_here:
                self._answered_here.add(rid)  # answered before a reconnect: answer again, once
                self.send_later(reply)
            else:
                self.resends += 1
            return []
        if "config" in command.cmd and command.words[:1] == ("config",):
            self.config.update(command.options)
        if rid is not None:
            self._remember(rid, None)
        handler = self.handler_for(command)
        if handler is not None:
            try:
                result = handler(command)
            except Exception as exc:  # the firmware answers errors with a string
                result = f"error: {exc}"
            if inspect.isawaitable(result):
                self._defer(command, result)
            elif rid is not None:
                self._answer(CommandReply(rid, result))
        return [command]

    def _defer(self, command: DeviceCommand, result: Awaitable[Any]) -> None:
        if self.defer is not None:
            self.defer(command, result)
            return
        close = getattr(result, "close", None)
        if callable(close):
            close()  # nobody can await it here: no "never awaited" warning, and no false success

    def deferred_result(self, command: DeviceCommand, result: Any) -> None:
        """Answer ``command`` with the result of a handler that completed later.

        Queues the reply (see [`data_to_send`][iotws.sansio.ProtocolCore.data_to_send]) unless the command expects none
        or was answered already (by hand); the reply is cached like any other, so a
        re-send after a reconnect is answered again from it.
        """
        rid = command.return_id
        if rid is not None and self._seen.get(rid) is None:
            self._answer(CommandReply(rid, result))

    def _remember(self, rid: str, reply: str | None) -> None:
        self._seen[rid] = reply
        self._seen.move_to_end(rid)
        while len(self._seen) > self._memory:
            self._seen.popitem(last=False)

    def _answer(self, reply: CommandReply) -> str:
        try:
            frame = encode(reply.to_wire())
        except CodecError:
            frame = encode(CommandReply(reply.return_id, f"error: cannot encode {excerpt(reply.result)}").to_wire())
        self._remember(reply.return_id, frame)
        self._answered_here.add(reply.return_id)
        self.send_later(frame)
        return frame

    def submit(self, command: Command[Any]) -> Submission:
        """Send ``command``; a manual [`CommandReply`][iotws.farmws.CommandReply] is sent at most once per id."""
        if isinstance(command, SendCommand) and isinstance(command.message, Mapping):
            rid = command.message.get("event")
            if isinstance(rid, str) and rid in self._seen:
                if self._seen[rid] is not None:
                    raise UsageError(f"command {rid!r} was answered already")
                self._remember(rid, command.frame)
                self._answered_here.add(rid)
        return super().submit(command)


class LiveCore(ProtocolCore):
    """Dialect I dashboard core (``/client/live_hardware_infor``): snapshots in.

    Every frame is the full state; [`state`][iotws.farmws.LiveCore.state] keeps the latest. An
    ``{"event", "data"}`` message (not sent by the reference server) is surfaced
    as a [`ServerError`][iotws.farmws.ServerError] or [`GenericEvent`][iotws.farmws.GenericEvent] instead.

    The reference server serves whatever a device registered, so one malformed
    entry (``"Flow": 5``) appears in every snapshot from then on. Such entries
    are kept, loosely typed and flagged ([`Snapshot.problems`][iotws.farmws.Snapshot.problems]); the good
    ones are unaffected. A [`ProtocolViolation`][iotws.ProtocolViolation] follows the
    snapshot in which a malformed entry first appears, not every repeat of it.

    Examples:
        >>> core = LiveCore()
        >>> core.receive('{"Esp8266": {"name": "Esp8266", "sensors": {}}}')
        [Snapshot(devices={'Esp8266': DeviceState(name='Esp8266', sensors={}, extra={})})]
        >>> core.state.devices["Esp8266"].name
        'Esp8266'
        >>> bad = '{"E": {"name": "E", "sensors": {"Flow": 5}}}'
        >>> [type(item).__name__ for item in core.receive(bad)], len(core.receive(bad))
        (['Snapshot', 'ProtocolViolation'], 1)
    """

    name = "farmws"

    def __init__(self) -> None:
        super().__init__()
        self.state: Snapshot = Snapshot()
        """The latest snapshot (empty until the first arrives)."""
        self._reported: set[tuple[str, str | None, str]] = set()

    def receive(self, frame: Frame) -> list[object]:
        """Parse one snapshot."""
        snapshot = _typed_snapshot(frame) if isinstance(frame, str) else None
        if snapshot is not None:  # every entry well formed: nothing to report
            self.state = snapshot
            self._reported.clear()
            return [snapshot]
        message = decode(frame)
        if isinstance(message, dict) and set(message) == {"event", "data"} and isinstance(message["event"], str):
            if message["event"] == "error":
                return [ServerError(message["data"])]
            return [GenericEvent(message["event"], message["data"])]
        try:
            snapshot = Snapshot.from_wire(message, strict=False)
        except ProtocolError as exc:
            raise ProtocolError(exc.args[0], frame=frame) from None
        self.state = snapshot
        problems = set(snapshot.problems)
        new = [p for p in snapshot.problems if p not in self._reported]
        self._reported = problems
        if not new:
            return [snapshot]
        where = "; ".join(f"{device}/{sensor}: {problem}" if sensor is not None else f"{device}: {problem}"
                          for device, sensor, problem in new)
        error = ProtocolError(f"snapshot entries kept as received (malformed): {where}", frame=frame)
        return [snapshot, ProtocolViolation(error)]
