"""The sans-I/O EVOK core: frames to typed events and a state cache, commands to frames.

EVOK sends JSON arrays (sometimes a bare object) of device states, never replies
and never errors. The core:

* parses every frame as ``list | dict`` into :class:`~iotws.evok.models.Device` models,
  upserts them into :class:`~iotws.evok.models.State` and emits one
  :class:`DeviceChanged` per device;
* on every (re)connection sends the filter (if any) and ``{"cmd": "all"}``, and
  treats the ``all`` reply (the only array carrying ``run``/``device_info`` and
  other never-pushed objects) as a :class:`Snapshot` that resyncs the cache;
* sends ``set`` always in the value-dict form (``"value": {...}``), so EVOK's
  positional-argument trap (``di`` -> debounce, ``ai`` -> mode) never bites;
* confirms a ``set`` (when asked) by the next device state of that circuit that
  shows the requested values.

Examples:
    >>> core = EvokCore()
    >>> core.on_connect()
    ['{"cmd":"all"}']
    >>> [type(e).__name__ for e in core.receive('[{"dev": "ro", "circuit": "1_01", "value": 1}]')]
    ['DeviceChanged']
    >>> core.state["ro", "1_01"].value
    1
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any, Literal, TypeVar, cast, overload

import attrs

from iotws.commands import Command
from iotws.errors import ProtocolError, UsageError
from iotws.events import ProtocolViolation
from iotws.evok.models import Device, State, device_from_wire, emitted_name
from iotws.jsonwire import DECODE_ERRORS, loads
from iotws.sansio import Frame, ProtocolCore, Reply, Submission

_R = TypeVar("_R", bound="Device | None")

__all__ = [
    "FILTER_NAMES",
    "NEVER_STREAMED",
    "DeviceChanged",
    "EvokCore",
    "FilterCommand",
    "RefreshCommand",
    "SetCommand",
    "Snapshot",
    "confirmable_fields",
    "dumps",
    "normalize_filter",
    "parse_frame",
]

#: Device types the ``filter`` command can usefully name (the ``dev`` strings EVOK emits).
FILTER_NAMES = frozenset({"ro", "do", "di", "ai", "ao", "led", "wd", "temp", "data_point", "default"})
#: Types EVOK never streams: a filter naming only them mutes the connection.
NEVER_STREAMED = frozenset(
    {"register", "1wdevice", "owbus", "owpower", "nv_save", "modbus_slave", "device_info", "run"}
)
#: ``dev`` strings that only the ``all`` reply carries; an array holding one is a snapshot.
_SNAPSHOT_ONLY = frozenset({"run", "device_info", "modbus_slave", "owbus", "owpower", "nv_save", "neuron", "extension"})
#: Which fields of a ``set`` show up in the next event of that circuit (EVOK pushes only these).
_CONFIRMABLE: Mapping[str, frozenset[str]] = {
    "ro": frozenset({"value"}),
    "do": frozenset({"value", "pwm_duty", "pwm_freq"}),
    "led": frozenset({"value"}),
    "ao": frozenset({"value"}),
    "ai": frozenset({"mode"}),
    "di": frozenset({"counter"}),
    "wd": frozenset({"value"}),
}
#: ``(rel_tol, abs_tol)`` per (kind, field): values EVOK re-reads from the hardware.
_TOLERANCE: Mapping[tuple[str, str], tuple[float, float]] = {
    ("ao", "value"): (1e-3, 0.0013),  # 12-bit DAC, 2.5 mV per step
    ("do", "pwm_freq"): (1e-2, 0.0),
    ("do", "pwm_duty"): (1e-3, 0.5),
}


def dumps(data: Any) -> str:
    """Compact JSON text of ``data`` (what the core sends).

    Examples:
        >>> dumps({"cmd": "all"})
        '{"cmd":"all"}'
    """
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


@attrs.frozen(slots=True)
class DeviceChanged:
    """A device's new state. ``previous`` is the cached state before it (``None`` if new).

    ``resync`` is true when the state came from an ``all`` reply (on connect, after a
    reconnect, or :meth:`~evok.Client.refresh`) rather than from a change event; such
    states are only emitted when they differ from the cache.

    Examples:
        >>> from iotws.evok.models import Relay
        >>> ev = DeviceChanged(Relay(dev="ro", circuit="1_01", value=1), None)
        >>> ev.device.value, ev.resync
        (1, False)
    """

    device: Device
    previous: Device | None
    resync: bool = False


@attrs.frozen(slots=True)
class Snapshot:
    """The ``all`` reply: every device EVOK knows, keyed by ``(dev, circuit)``.

    Examples:
        >>> Snapshot({}).devices
        {}
    """

    devices: Mapping[tuple[str, str], Device]


def parse_frame(frame: Frame) -> list[Device]:
    """Parse one EVOK frame (an array of device objects, or a bare object) into models.

    Raises :class:`~iotws.errors.ProtocolError` when the frame is not JSON, not an
    array or object, or holds a malformed element.

    Examples:
        >>> [d.circuit for d in parse_frame('{"dev": "temp", "circuit": "28AB", "value": 21.5}')]
        ['28AB']
        >>> parse_frame("[1]")
        Traceback (most recent call last):
        iotws.errors.ProtocolError: a device object must be a JSON object, not int (frame: '1')
    """
    data = _decode_json(frame)
    if type(data) is list:
        return [device_from_wire(item) for item in data]
    if type(data) is dict:
        return [device_from_wire(data)]
    raise ProtocolError(f"an EVOK frame is a JSON array or object, not {type(data).__name__}", frame=frame)


def _decode_json(frame: Frame) -> Any:
    try:
        return loads(frame)
    except DECODE_ERRORS as exc:
        raise ProtocolError(f"not JSON: {exc}", frame=frame) from None
    except TypeError as exc:
        raise ProtocolError(f"cannot decode frame: {exc}", frame=frame) from None


def normalize_filter(devices: Iterable[str]) -> list[str]:
    """Map friendly device type names to the emitted names EVOK's filter matches.

    ``relay`` -> ``ro``, ``input`` -> ``di``, ``output`` -> ``do``, ``watchdog`` ->
    ``wd``, ``sensor`` -> ``temp``... Raises :class:`~iotws.errors.UsageError` for
    names that can never be streamed (``register``, ``1wdevice``...) or are unknown.
    An empty list mutes the connection.

    Examples:
        >>> normalize_filter(["relay", "ai", "watchdog", "relay"])
        ['ro', 'ai', 'wd']
        >>> normalize_filter(["register"])
        Traceback (most recent call last):
        iotws.errors.UsageError: EVOK never streams 'register' objects: read them with refresh() instead
    """
    if isinstance(devices, str):
        raise UsageError(f"filter: give a list of device types, not the string {devices!r}")
    out: list[str] = []
    for name in devices:
        if not isinstance(name, str):
            raise UsageError(f"filter: device types are strings, got {name!r}")
        dev = emitted_name(name.strip().lower())
        if dev in NEVER_STREAMED:
            raise UsageError(f"EVOK never streams {dev!r} objects: read them with refresh() instead")
        if dev not in FILTER_NAMES:
            known = ", ".join(sorted(FILTER_NAMES - {"default"}))
            raise UsageError(f"filter: unknown device type {name!r} (streamable: {known})")
        if dev not in out:
            out.append(dev)
    if out == ["default"]:
        out.append("ro")  # EVOK rejects ["default"] alone; with a valid name it means everything
    return out


def confirmable_fields(dev: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The requested values a change event of ``dev`` will show (EVOK pushes only some).

    Raises :class:`~iotws.errors.UsageError` when none can be confirmed by an event.

    Examples:
        >>> confirmable_fields("do", {"value": 1, "timeout": 2.0})
        {'value': 1}
        >>> confirmable_fields("wd", {"timeout": 5000})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        iotws.errors.UsageError: EVOK pushes no event for 'timeout' of 'wd': ...
    """
    kind = emitted_name(dev)
    fields = _CONFIRMABLE.get(kind, frozenset())
    expected = {k: v for k, v in params.items() if k in fields}
    if not expected:
        names = ", ".join(repr(k) for k in params)
        raise UsageError(f"EVOK pushes no event for {names} of {kind!r}: send without confirm and check with refresh()")
    return expected


def _shows(device: Device, kind: str, expected: Mapping[str, Any]) -> bool:
    for name, want in expected.items():
        got = getattr(device, name, None)
        if got is None:
            return False
        tol = _TOLERANCE.get((kind, name))
        if tol is not None and isinstance(got, (int, float)) and isinstance(want, (int, float)):
            if not math.isclose(got, want, rel_tol=tol[0], abs_tol=tol[1]):
                return False
        elif got != want:
            return False
    return True


def _check_param(name: str, value: Any) -> Any:
    if not isinstance(name, str) or not name or name in ("cmd", "dev", "circuit"):
        raise UsageError(f"set: {name!r} is not a parameter name")
    if isinstance(value, bool) or (isinstance(value, int) and not isinstance(value, bool)):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise UsageError(f"set: {name}={value!r} is not a finite number")
        return value
    if isinstance(value, str):
        return value
    raise UsageError(f"set: {name}={value!r} must be a number, a bool or a string")


class SetCommand(Command[_R]):
    """``{"cmd": "set", "dev": D, "circuit": C, "value": {...params}}``.

    With ``confirm`` the command completes with the first device state of that
    circuit showing the requested values (else ``RequestTimeout`` after
    ``timeout`` s); without, it completes once sent and returns ``None``. The
    result type follows ``confirm``: ``SetCommand[Device]`` with ``confirm=True``,
    ``SetCommand[None]`` without, ``SetCommand[Device | None]`` for a plain ``bool``.

    Examples:
        >>> SetCommand("relay", "1_01", {"value": True}).encode(None)
        ['{"cmd":"set","dev":"ro","circuit":"1_01","value":{"value":1}}']
    """

    @overload
    def __init__(
        self: SetCommand[None],
        dev: str,
        circuit: str | int,
        params: Mapping[str, Any],
        *,
        confirm: Literal[False] = ...,
        timeout: float | None = ...,
    ) -> None: ...

    @overload
    def __init__(
        self: SetCommand[Device],
        dev: str,
        circuit: str | int,
        params: Mapping[str, Any],
        *,
        confirm: Literal[True],
        timeout: float | None = ...,
    ) -> None: ...

    @overload
    def __init__(
        self: SetCommand[Device | None],
        dev: str,
        circuit: str | int,
        params: Mapping[str, Any],
        *,
        confirm: bool,
        timeout: float | None = ...,
    ) -> None: ...

    def __init__(
        self,
        dev: str,
        circuit: str | int,
        params: Mapping[str, Any],
        *,
        confirm: bool = False,
        timeout: float | None = None,
    ) -> None:
        if not isinstance(dev, str) or not dev.strip():
            raise UsageError(f"set: dev must be a device type name, got {dev!r}")
        if isinstance(circuit, int) and not isinstance(circuit, bool):
            circuit = str(circuit)
        if not isinstance(circuit, str) or not circuit:
            raise UsageError(f"set: circuit must be a non-empty string, got {circuit!r}")
        if not params:
            raise UsageError("set: give at least one parameter (value=..., timeout=...)")
        if timeout is not None and not timeout > 0:
            raise UsageError(f"set: confirm timeout must be positive, got {timeout!r}")
        self.dev = emitted_name(dev.strip())
        self.circuit = circuit
        self.params = {name: _check_param(name, value) for name, value in params.items()}
        self.expects_reply = confirm
        self.timeout = timeout
        self.expected = confirmable_fields(self.dev, self.params) if confirm else {}

    def __repr__(self) -> str:
        return f"SetCommand({self.dev!r}, {self.circuit!r}, {self.params!r}, confirm={self.expects_reply})"

    def encode(self, token: int | None) -> list[Frame]:
        """The ``set`` frame, value-dict form."""
        return [dumps({"cmd": "set", "dev": self.dev, "circuit": self.circuit, "value": self.params})]

    def shown_by(self, device: Device) -> bool:
        """Whether ``device`` is this command's circuit showing the requested values."""
        return (
            device.kind == self.dev
            and (device.circuit == self.circuit or device.alias == self.circuit)
            and _shows(device, self.dev, self.expected)
        )

    def decode(self, payload: Any) -> _R:
        """The confirming device state (the core only completes a confirmed ``set`` with one)."""
        return cast(_R, payload if isinstance(payload, Device) else None)


class RefreshCommand(Command[dict[tuple[str, str], Device]]):
    """``{"cmd": "all"}``; completes with the snapshot EVOK answers.

    Examples:
        >>> RefreshCommand().encode(1)
        ['{"cmd":"all"}']
    """

    def __init__(self, timeout: float | None = None) -> None:
        self.timeout = timeout

    def encode(self, token: int | None) -> list[Frame]:
        """The ``all`` frame."""
        return [_ALL]

    def decode(self, payload: Any) -> dict[tuple[str, str], Device]:
        """The snapshot as a dict."""
        return dict(payload)


class FilterCommand(Command[None]):
    """``{"cmd": "filter", "devices": [...]}`` with emitted names; remembered for reconnects.

    ``None`` restores the default (everything): it sends ``["default", "ro"]``.

    Examples:
        >>> FilterCommand(["relay", "sensor"]).encode(None)
        ['{"cmd":"filter","devices":["ro","temp"]}']
    """

    expects_reply = False

    def __init__(self, devices: Iterable[str] | None) -> None:
        self.devices = None if devices is None else normalize_filter(devices)

    def encode(self, token: int | None) -> list[Frame]:
        """The ``filter`` frame."""
        return [_filter_frame(self.devices)]


def _filter_frame(devices: list[str] | None) -> str:
    return dumps({"cmd": "filter", "devices": ["default", "ro"] if devices is None else devices})


_ALL = dumps({"cmd": "all"})


class EvokCore(ProtocolCore):
    """The EVOK protocol core; ``state`` is the device cache, ``filter`` the active filter.

    ``resync=False`` skips the ``all`` request on (re)connect (the cache then fills
    from events only).

    Examples:
        >>> core = EvokCore(filter=["relay", "di"])
        >>> core.on_connect()
        ['{"cmd":"filter","devices":["ro","di"]}', '{"cmd":"all"}']
        >>> core.handshake_complete()
        False
        >>> [type(e).__name__ for e in core.receive('[{"dev": "run", "circuit": "alias"}]')]
        ['DeviceChanged', 'Snapshot']
        >>> core.handshake_complete()
        True
    """

    name = "evok"

    def __init__(self, filter: Iterable[str] | None = None, *, resync: bool = True) -> None:
        super().__init__()
        self.state = State()
        self.filter: list[str] | None = None if filter is None else normalize_filter(filter)
        self.resync = resync
        self.synced = False
        self._awaiting_all = 0

    # -- connection lifecycle -------------------------------------------------
    def on_connect(self) -> list[Frame]:
        """The filter (if any), then ``all`` to resync the cache."""
        frames: list[Frame] = []
        if self.filter is not None:
            frames.append(_filter_frame(self.filter))
        if self.resync:
            frames.append(_ALL)
            self._awaiting_all += 1
            self.synced = False
        else:
            self.synced = True
        return frames

    def handshake_complete(self) -> bool:
        """Done once the ``all`` reply arrived (connect returns with a full cache)."""
        return self.synced

    def handshake_timed_out(self) -> None:
        """No ``all`` reply in time: carry on with the cache filled by events only."""
        self.synced = True

    def connection_lost(self) -> None:
        """Forget pending commands; the cache is kept (and resynced on reconnect)."""
        super().connection_lost()
        self._awaiting_all = 0
        self.synced = False

    # -- commands -------------------------------------------------------------
    def submit(self, command: Command[Any]) -> Submission:
        """Send ``command``; remember filters; resync when a confirmation could never show."""
        if isinstance(command, FilterCommand):
            self.filter = command.devices
            return Submission(command.encode(None), None)
        if isinstance(command, RefreshCommand):
            self._awaiting_all += 1
            return super().submit(command)
        submission = super().submit(command)
        if isinstance(command, SetCommand) and command.expects_reply:
            cached = self.state.device(command.dev, command.circuit)
            if cached is not None and command.shown_by(cached):
                # writing the current value produces no event: confirm from an `all` reply
                self._awaiting_all += 1
                return Submission([*submission.frames, _ALL], submission.token)
        return submission

    # -- traffic --------------------------------------------------------------
    def receive(self, frame: Frame) -> list[object]:
        """Parse one frame into :class:`DeviceChanged` / :class:`Snapshot` events and replies."""
        data = _decode_json(frame)
        if type(data) is list:
            items: list[Any] = data
        elif type(data) is dict:
            items = [data]
        else:
            raise ProtocolError(f"an EVOK frame is a JSON array or object, not {type(data).__name__}", frame=frame)
        devices: list[Device] = []
        errors: list[ProtocolError] = []
        for item in items:
            try:
                devices.append(device_from_wire(item))
            except ProtocolError as exc:
                errors.append(exc)
        if errors and not devices:
            raise ProtocolError(f"no valid device object: {errors[0]}", frame=frame)
        snapshot = (
            self._awaiting_all > 0
            and type(data) is list
            and (not devices or any(d.dev in _SNAPSHOT_ONLY for d in devices))
        )
        out: list[object] = self._apply(devices, snapshot)
        if snapshot:
            self._awaiting_all -= 1
            self.synced = True
            snap = Snapshot({d.key: d for d in devices})
            out.append(snap)
            out.extend(self._answer_refresh(snap))
        if len(self.pending):
            out.extend(self._confirmations(devices))
        for error in errors:
            out.append(ProtocolViolation(ProtocolError(f"skipped a device object: {error}", frame=frame)))
        return out

    def _apply(self, devices: list[Device], snapshot: bool) -> list[object]:
        previous = self.state.update(devices)
        if not snapshot:
            return [DeviceChanged(d, p) for d, p in zip(devices, previous, strict=True)]
        return [DeviceChanged(d, p, True) for d, p in zip(devices, previous, strict=True) if d != p]

    def _answer_refresh(self, snap: Snapshot) -> list[Reply]:
        replies = []
        while (found := self.pending.pop_first(lambda c: isinstance(c, RefreshCommand))) is not None:
            replies.append(Reply(found[0], value=snap.devices))
        return replies

    def _confirmations(self, devices: list[Device]) -> list[Reply]:
        replies = []
        for token in self.pending:
            command = self.pending.get(token)
            if not isinstance(command, SetCommand):
                continue
            for device in devices:
                if command.shown_by(device):
                    self.pending.discard(token)
                    replies.append(Reply(token, value=device))
                    break
        return replies
