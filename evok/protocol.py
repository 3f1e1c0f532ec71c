"""The sans-I/O EVOK core: frames to typed events and a state cache, commands to frames.

EVOK sends JSON arrays (sometimes a bare object) of device states, never replies
and never errors. The core:

* parses every frame (a JSON array, or a bare object) into [`Device`][iotws.evok.Device]
  models, by msgspec's typed path or, for what that leaves out, the general decoder (see
  [`iotws.evok.models`][]), upserts them into [`State`][iotws.evok.State] and
  emits one [`DeviceChanged`][iotws.evok.DeviceChanged] per device;
* on every (re)connection sends the filter (if any) and ``{"cmd": "all"}``, and
  treats the ``all`` reply (the only array carrying ``run``/``device_info`` and
  other never-pushed objects) as a [`Snapshot`][iotws.evok.Snapshot] that resyncs the cache:
  changed devices come out as [`DeviceChanged`][iotws.evok.DeviceChanged] (``resync=True``), devices
  EVOK no longer lists leave the cache as [`DeviceRemoved`][iotws.evok.DeviceRemoved];
* recognises the shorter replies of EVOK's ``all_filtered`` option (only
  ``di, ro, ai, ao`` and sensors, or ``[]`` under a filter) as a *partial* snapshot,
  says so (a warning, ``state.partial``) and removes nothing after one;
* treats a NaN as equal to a NaN, so EVOK's re-sending of a NaN value on every
  scan yields no [`DeviceChanged`][iotws.evok.DeviceChanged] storm;
* sends ``set`` always in the value-dict form (``"value": {...}``), so EVOK's
  positional-argument trap (``di`` -> debounce, ``ai`` -> mode) never bites;
* confirms a ``set`` by the next device state of that circuit that shows the
  requested values; EVOK pushes a state only when a scan saw it change, so a
  ``set`` of the values the cache already shows completes from the cache (or,
  while an earlier write of this client to that circuit is not shown yet, from
  an ``all`` reply).

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
from operator import attrgetter
from typing import Any, Literal, TypeAlias, TypeVar, cast, overload

import msgspec

from iotws.commands import Command
from iotws.errors import ProtocolError, UsageError
from iotws.events import LinkEvent, ProtocolViolation
from iotws.evok.models import (
    AnalogOutput,
    Device,
    State,
    _FrameMemo,
    _typed_frame,
    device_from_wire,
    emitted_name,
    same_state,
)
from iotws.jsonwire import DECODE_ERRORS, loads
from iotws.logs import package_logger
from iotws.options import check_timeout
from iotws.sansio import Frame, ProtocolCore, Reply, Submission

_R = TypeVar("_R", bound="Device | None")
_D = TypeVar("_D", bound=Device)
_E = TypeVar("_E", bound=Device)

__all__ = [
    "FILTER_NAMES",
    "NEVER_STREAMED",
    "DeviceChanged",
    "DeviceRemoved",
    "Event",
    "EvokCore",
    "FilterCommand",
    "RefreshCommand",
    "SetCommand",
    "Snapshot",
    "ao_reported_value",
    "as_model",
    "confirmable_fields",
    "dumps",
    "filter_passes",
    "normalize_filter",
    "on_off",
    "parse_frame",
]

_log = package_logger("iotws.evok")

FILTER_NAMES = frozenset({"ro", "do", "di", "ai", "ao", "led", "wd", "temp", "data_point", "default"})
"""Device types the ``filter`` command can usefully name (the ``dev`` strings EVOK emits)."""
NEVER_STREAMED = frozenset(
    {"register", "1wdevice", "owbus", "owpower", "nv_save", "modbus_slave", "device_info", "run"}
)
"""Types EVOK never streams: a filter naming only them mutes the connection."""
#: ``dev`` strings that only the ``all`` reply carries; an array holding one is a snapshot.
_SNAPSHOT_ONLY = frozenset({"run", "device_info", "modbus_slave", "owbus", "owpower", "nv_save", "neuron", "extension"})
#: Of those, the ones EVOK 3 always lists in a full ``all`` and never pushes: an array
#: holding one is a snapshot even when no ``all`` reply is awaited (a late one).
_ALWAYS_IN_ALL = frozenset({"run", "device_info"})
#: With ``all_filtered: true``, EVOK 3 answers ``all`` on a default-filter connection
#: with these types only, in this order (``sensor`` devices are ``temp``/``1wdevice``).
_FILTERED_ALL_ORDER: Mapping[str, int] = {"di": 0, "ro": 1, "ai": 2, "ao": 3, "temp": 4, "1wdevice": 4}
#: EVOK 3's 12-bit analog outputs: volts per DAC step, and the top step.
_AO_STEP = 0.0025
_AO_MAX_RAW = 4095
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
    ("do", "pwm_freq"): (1e-2, 0.0),
    ("do", "pwm_duty"): (1e-3, 0.5),
}


def ao_reported_value(setpoint: float) -> float:
    """The value EVOK 3 reports after writing ``setpoint`` to a 12-bit analog output.

    EVOK converts with ``int(setpoint / 0.0025)`` (truncation, not rounding) and
    reports ``round(raw * 0.0025, 3)``: up to one whole 2.5 mV step *below* the
    setpoint. (EVOK also clamps the raw value to 0..4095; a clamped write is not
    what was asked for, so this function does not clamp.)

    Examples:
        >>> ao_reported_value(1.15), ao_reported_value(2.3), ao_reported_value(5.0)
        (1.147, 2.297, 5.0)
    """
    return round(int(setpoint / _AO_STEP) * _AO_STEP, 3)


def _ao_shows(got: float, want: float) -> bool:
    # a 12-bit AO (EVOK's quantisation, compared to its 3 decimals), or a Neuron group-1
    # AO, which stores the float32 setpoint and reports it rounded to 3 decimals
    return abs(got - ao_reported_value(want)) <= 1e-6 or abs(got - want) <= 0.0005 + 1e-6 * abs(want)


def filter_passes(devices: Iterable[str] | None, device: Device) -> bool:
    """Whether ``device`` passes a (normalised) filter: ``None`` or ``"default"`` pass everything.

    Examples:
        >>> from iotws.evok.models import Relay
        >>> relay = Relay(dev="ro", circuit="2_01")
        >>> filter_passes(["ro", "di"], relay), filter_passes(["di"], relay), filter_passes(None, relay)
        (True, False, True)
    """
    if devices is None:
        return True
    names = devices if isinstance(devices, (list, tuple, set, frozenset)) else list(devices)
    return "default" in names or device.dev in names or device.kind in names


def dumps(data: Any) -> str:
    """Compact JSON text of ``data`` (what the core sends).

    Examples:
        >>> dumps({"cmd": "all"})
        '{"cmd":"all"}'
    """
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class DeviceChanged(msgspec.Struct, frozen=True, gc=False):
    """A device's new state. ``previous`` is the cached state before it (``None`` if new).

    One per device state EVOK pushes (EVOK pushes a state when it changed), except
    a repeat of a NaN value: EVOK re-sends a NaN on every scan since ``nan != nan``,
    and the client treats a NaN as equal to a NaN. ``resync`` is true when the state
    came from an ``all`` reply (on connect, after a reconnect, or
    [`refresh`][iotws.evok.Client.refresh]) rather than from a change event; such states
    are only emitted when they differ from the cache, and only for the device types
    the connection's filter passes (as EVOK does for pushed ones).

    Examples:
        >>> from iotws.evok.models import Relay
        >>> ev = DeviceChanged(Relay(dev="ro", circuit="1_01", value=1), None)
        >>> ev.device.value, ev.resync
        (1, False)
    """

    device: Device
    previous: Device | None
    resync: bool = False


class DeviceRemoved(msgspec.Struct, frozen=True, gc=False):
    """A device left the cache: the last snapshot (``all`` reply) no longer lists it.

    EVOK restarted without it (an extension offline at start, a changed config).
    ``device`` is its last known state.

    Examples:
        >>> from iotws.evok.models import Led
        >>> DeviceRemoved(Led(dev="led", circuit="1_01", value=0)).device.key
        ('led', '1_01')
    """

    device: Device


class Snapshot(msgspec.Struct, frozen=True, gc=False):
    """The ``all`` reply: every device EVOK knows, keyed by ``(dev, circuit)``.

    ``partial`` is true when EVOK left devices out (its ``all_filtered`` option:
    only ``di, ro, ai, ao`` and sensors, or nothing at all on a filtered connection).

    Examples:
        >>> Snapshot({}).devices, Snapshot({}).partial
        ({}, False)
    """

    devices: Mapping[tuple[str, str], Device]
    partial: bool = False


Event: TypeAlias = DeviceChanged | DeviceRemoved | Snapshot | LinkEvent
"""Everything an EVOK client's ``events()`` yields: device states, removals, snapshots
and the shared link events (``match`` over it is checked for exhaustiveness).
"""


def on_off(on: bool) -> int:
    """EVOK's ``1``/``0`` for an on/off argument (``True``/``False``, or ``1``/``0``).

    Examples:
        >>> on_off(True), on_off(0)
        (1, 0)
        >>> on_off(2)
        Traceback (most recent call last):
        iotws.errors.UsageError: expected True/False (or 1/0), got 2
    """
    if not isinstance(on, (bool, int)) or (isinstance(on, int) and on not in (0, 1)):
        raise UsageError(f"expected True/False (or 1/0), got {on!r}")
    return int(on)


@overload
def as_model(device: Device, model: type[_D], /) -> _D: ...


@overload
def as_model(device: Device, model: type[_D], other: type[_E], /) -> _D | _E: ...


def as_model(device: Device, /, *models: type[Device]) -> Device:
    """``device`` as one of the model classes given (what a confirming state must be).

    Raises [`ProtocolError`][iotws.ProtocolError] when EVOK's state is of another class.

    Examples:
        >>> from iotws.evok.models import Led, LegacyRelay, Relay
        >>> as_model(Relay(dev="ro", circuit="2_01", value=1), Relay, LegacyRelay).value
        1
        >>> as_model(Relay(dev="ro", circuit="2_01"), Led)
        Traceback (most recent call last):
        iotws.errors.ProtocolError: EVOK reported ro 2_01 as a Relay, not a Led
    """
    if isinstance(device, models):
        return device
    wanted = " or ".join(model.__name__ for model in models)
    raise ProtocolError(f"EVOK reported {device.dev} {device.circuit} as a {type(device).__name__}, not a {wanted}")


def parse_frame(frame: Frame) -> list[Device]:
    """Parse one EVOK frame (an array of device objects, or a bare object) into models.

    Raises [`ProtocolError`][iotws.ProtocolError] when the frame is not JSON, not an
    array or object, or holds a malformed element.

    Examples:
        >>> [d.circuit for d in parse_frame('{"dev": "temp", "circuit": "28AB", "value": 21.5}')]
        ['28AB']
        >>> parse_frame("[1]")
        Traceback (most recent call last):
        iotws.errors.ProtocolError: a device object must be a JSON object, not int (frame: '1')
    """
    typed = _typed_frame(frame)
    if typed is not None:
        return typed if type(typed) is list else [typed]  # type: ignore[list-item]
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
    ``wd``, ``sensor`` -> ``temp``... Raises [`UsageError`][iotws.UsageError] for
    names that can never be streamed (``register``, ``1wdevice``...) or are unknown.
    An empty list mutes the connection; ``default`` (everything) goes first, as EVOK
    honours it only there, with a valid name after it, as EVOK rejects it alone.

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
    if "default" in out:
        # EVOK means everything only by a list starting with "default" and holding a valid name
        out.remove("default")
        out = ["default", *(out or ["ro"])]
    return out


def confirmable_fields(dev: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """The requested values a change event of ``dev`` will show (EVOK pushes only some).

    Raises [`UsageError`][iotws.UsageError] when none can be confirmed by an event.

    Examples:
        >>> confirmable_fields("do", {"value": 1, "timeout": 2.0})
        {'value': 1}
        >>> confirmable_fields("wd", {"timeout": 5000})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        iotws.errors.UsageError: EVOK pushes no event for 'timeout' of 'wd': ...
    """
    kind = emitted_name(dev)
    expected = _pushed_fields(kind, params)
    if not expected:
        names = ", ".join(repr(k) for k in params)
        raise UsageError(
            f"EVOK pushes no event for {names} of {kind!r}: write it with send() (unconfirmed)"
            " and read it back with refresh()"
        )
    return expected


def _pushed_fields(kind: str, params: Mapping[str, Any]) -> dict[str, Any]:
    fields = _CONFIRMABLE.get(kind, frozenset())
    return {k: v for k, v in params.items() if k in fields}


def _shows(device: Device, kind: str, expected: Mapping[str, Any]) -> bool:
    for name, want in expected.items():
        got = getattr(device, name, None)
        if got is None:
            return False
        if kind == "ao" and name == "value" and isinstance(got, (int, float)) and isinstance(want, (int, float)):
            if not _ao_shows(got, want):
                return False
            continue
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
    ``timeout`` s), or, when the core finds the cache showing them already (EVOK
    pushes nothing for a write that changes nothing), with that cached state once
    sent ([`settled`][iotws.evok.protocol.SetCommand.settled]). Without ``confirm`` it completes once sent and returns
    ``None``. The result type follows ``confirm``: ``SetCommand[Device]`` with
    ``confirm=True``, ``SetCommand[None]`` without, ``SetCommand[Device | None]``
    for a plain ``bool``.

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
        if not isinstance(confirm, bool):
            raise UsageError(f"set: confirm must be True or False, not {type(confirm).__name__} {confirm!r}")
        timeout = check_timeout(timeout, "set: timeout")
        self.dev: str = emitted_name(dev.strip())
        self.circuit: str = circuit
        self.params: dict[str, int | float | str] = {name: _check_param(name, value) for name, value in params.items()}
        self.expects_reply = confirm
        self.timeout = timeout
        self.expected: dict[str, Any] = confirmable_fields(self.dev, self.params) if confirm else {}
        self.settled: Device | None = None
        """The cached state that showed the requested values when the core sent the
        command (so no event will follow): the result of a confirmed command once sent.
        """

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

    def sent_result(self) -> _R:
        """``None``, or for a confirmed command the core settled from the cache, that state."""
        return cast(_R, self.settled)


class RefreshCommand(Command[dict[tuple[str, str], Device]]):
    """``{"cmd": "all"}``; completes with the snapshot EVOK answers.

    ``timeout`` (seconds, finite, > 0) replaces the client's ``request_timeout``.

    Examples:
        >>> RefreshCommand().encode(1)
        ['{"cmd":"all"}']
        >>> RefreshCommand(-1)
        Traceback (most recent call last):
        iotws.errors.UsageError: refresh: timeout must be positive (a finite number of seconds > 0), got -1
    """

    def __init__(self, timeout: float | None = None) -> None:
        self.timeout: float | None = check_timeout(timeout, "refresh: timeout")

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
        self.devices: list[str] | None = None if devices is None else normalize_filter(devices)

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

    The filter governs the per-device events: EVOK applies it to what it pushes, and
    the core to the [`DeviceChanged`][iotws.evok.DeviceChanged] (``resync=True``) and
    [`DeviceRemoved`][iotws.evok.DeviceRemoved]
    events of a snapshot. The cache, [`Snapshot`][iotws.evok.Snapshot] and ``refresh()`` hold every
    device the ``all`` reply lists.

    Examples:
        >>> core = EvokCore(filter=["relay", "di"])
        >>> core.on_connect()
        ['{"cmd":"filter","devices":["ro","di"]}', '{"cmd":"all"}']
        >>> core.handshake_complete()
        False
        >>> reply = '[{"dev": "ro", "circuit": "2_01"}, {"dev": "run", "circuit": "alias"}]'
        >>> [type(e).__name__ for e in core.receive(reply)]
        ['DeviceChanged', 'Snapshot']
        >>> core.handshake_complete(), len(core.state)
        (True, 2)
    """

    name = "evok"

    def __init__(self, filter: Iterable[str] | None = None, *, resync: bool = True) -> None:
        super().__init__()
        self.state: State = State()
        self.filter: list[str] | None = None if filter is None else normalize_filter(filter)
        self.resync: bool = resync
        self.synced: bool = False
        self._awaiting_all = 0
        #: What this server's ``all`` was seen to do: ``None`` not yet known, ``True`` a
        #: partial reply (``all_filtered`` on), ``False`` a full one.
        self._partial_all: bool | None = None
        #: Pushed fields this client wrote that no state has shown yet, by ``(kind, circuit)``.
        self._unshown: dict[tuple[str, str], dict[str, Any]] = {}
        #: The last array of several devices, for the next one to reuse the models of unchanged devices.
        self._memo = _FrameMemo()

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
        self._unshown.clear()  # the resync on reconnect shows what EVOK has
        self.synced = False

    def streams(self, dev: str) -> bool:
        """Whether the connection's filter lets states of type ``dev`` (any of its names) through.

        Examples:
            >>> EvokCore(filter=["relay"]).streams("ro"), EvokCore(filter=["relay"]).streams("led")
            (True, False)
        """
        flt = self.filter
        return flt is None or "default" in flt or emitted_name(dev) in flt

    # -- commands -------------------------------------------------------------
    def submit(self, command: Command[Any]) -> Submission:
        """Send ``command``; remember filters; settle a confirmed ``set`` no event will show.

        EVOK pushes a device's state only when a scan saw it change (``check_new_data``
        in EVOK's ``modbus_slave.py``), so a ``set`` of the values the cache shows
        brings no event. Such a confirmed ``set`` completes once sent with the cached
        state, unless an earlier write of this client to that circuit is not shown
        yet: then it asks for ``all`` too, and the reply (or a later event) confirms it.

        Raises [`UsageError`][iotws.UsageError] for a confirmed ``set`` of a type the
        filter hides (its state would never arrive), and for an analog output value
        outside the range the cache knows for it (EVOK would clamp it without a word).
        """
        if isinstance(command, FilterCommand):
            self.filter = command.devices
            return Submission(command.encode(None), None)
        if isinstance(command, RefreshCommand):
            self._awaiting_all += 1
            return super().submit(command)
        if not isinstance(command, SetCommand):
            return super().submit(command)
        if command.expects_reply and not self.streams(command.dev):
            raise UsageError(
                f"set {command.dev} {command.circuit}: the filter {self.filter} hides {command.dev!r} states,"
                f" so EVOK's report of the new state would never arrive; write it unconfirmed with"
                f" send({command.dev!r}, {command.circuit!r}, ...), or add {command.dev!r} to the filter"
            )
        if command.dev == "ao":
            self._check_ao_range(command)
        key, cached = self._target(command)
        written = _pushed_fields(command.dev, command.params)
        shows = cached is not None and _shows(cached, command.dev, written)
        if shows and key not in self._unshown:
            # EVOK shows these values already and no write of ours is on the way: no event will come
            command.settled = cached if command.expects_reply else None
            return Submission(command.encode(None), None)
        submission = super().submit(command)
        if written:
            self._unshown[key] = {**self._unshown.get(key, {}), **written}
        if command.expects_reply and shows and self._all_lists(command.dev):
            # an earlier write of ours is not shown yet: EVOK answers `all` after running both writes, and
            # that reply (or a later event) confirms
            self._awaiting_all += 1
            return Submission([*submission.frames, _ALL], submission.token)
        return submission

    def cancel(self, token: int) -> None:
        """The caller stopped waiting: forget the command, and what a timed-out ``set`` wrote."""
        command = self.pending.get(token)
        super().cancel(token)
        if isinstance(command, SetCommand):
            self._unshown.pop(self._target(command)[0], None)

    def _target(self, command: SetCommand[Any]) -> tuple[tuple[str, str], Device | None]:
        """The ``(kind, circuit)`` a ``set`` writes (an alias resolved through the cache), and its cached state."""
        cached = self.state.device(command.dev, command.circuit)
        return (command.dev, command.circuit if cached is None else cached.circuit), cached

    def _all_lists(self, dev: str) -> bool:
        """Whether this server's ``all`` reply lists devices of type ``dev`` (``all_filtered`` may not)."""
        if self._partial_all is not True:
            return True
        return dev in _FILTERED_ALL_ORDER and (self.filter is None or "default" in self.filter)

    def _note_shown(self, devices: list[Device]) -> None:
        """Forget the written fields these states show."""
        unshown = self._unshown
        for device in devices:
            key = (device.kind, device.circuit)
            fields = unshown.get(key)
            if fields is None:
                continue
            left = {name: want for name, want in fields.items() if not _shows(device, key[0], {name: want})}
            if left:
                unshown[key] = left
            else:
                del unshown[key]

    def _check_ao_range(self, command: SetCommand[Any]) -> None:
        value = command.params.get("value")
        cached = self.state.device("ao", command.circuit)
        if not isinstance(value, (int, float)) or not isinstance(cached, AnalogOutput):
            return
        mode = command.params.get("mode")
        modes = cached.modes or {}
        if isinstance(mode, str):
            info = modes.get(mode)
            limits = None if info is None else info.range
        else:
            mode = cached.mode
            info = modes.get(mode) if mode is not None else None
            limits = cached.range or (None if info is None else info.range)
        if limits is not None and not limits[0] <= value <= limits[1]:
            unit = f" {info.unit}" if info is not None and info.unit else ""
            raise UsageError(
                f"set: {value!r} is outside the range {limits[0]}..{limits[1]}{unit} of ao {command.circuit}"
                + (f" in mode {mode}" if mode else "")
                + " (EVOK would clamp it)"
            )

    # -- traffic --------------------------------------------------------------
    def receive(self, frame: Frame) -> list[object]:
        """Parse one frame into events (``DeviceChanged``, ``DeviceRemoved``, ``Snapshot``) and replies."""
        typed = _typed_frame(frame, self._memo)
        if typed is None:
            return self._receive_general(frame)
        if type(typed) is list:
            devices: list[Device] = typed
            reply = self._all_reply(typed)
        else:
            devices, reply = [typed], None  # type: ignore[list-item]
        if reply is None:
            # anything EVOK pushes changed since its last scan, even if equal to the cache (the
            # cache misses changes of types the filter left out); the msgspec path holds no NaN
            out: list[object] = list(map(DeviceChanged, devices, self.state.update(devices)))
        else:
            out = self._resync(devices, partial=reply == "partial", nan=False)  # msgspec refuses NaN
        return self._settle(devices, out)

    def _receive_general(self, frame: Frame) -> list[object]:
        """[`receive`][iotws.evok.EvokCore.receive] for a frame the msgspec path left to the general decoder."""
        errors: list[ProtocolError] = []
        devices, array = self._general_decode(frame, errors)
        reply = self._all_reply(devices) if array else None
        if reply is None:
            pairs = zip(devices, self.state.update(devices), strict=True)
            if _may_hold_nan(frame):
                # EVOK re-sends a NaN on every scan (nan != nan to it): a repeat is no change
                out: list[object] = [DeviceChanged(d, p) for d, p in pairs if not _nan_repeat(d, p)]
            else:
                out = [DeviceChanged(d, p) for d, p in pairs]
        else:
            out = self._resync(devices, partial=reply == "partial", nan=_may_hold_nan(frame))
        self._settle(devices, out)
        for error in errors:
            out.append(ProtocolViolation(ProtocolError(f"skipped a device object: {error}", frame=frame)))
        return out

    def _settle(self, devices: list[Device], out: list[object]) -> list[object]:
        """Note the writes ``devices`` show, and append to ``out`` the replies of the ``set`` they confirm."""
        if self._unshown:
            self._note_shown(devices)
        if len(self.pending):
            out.extend(self._confirmations(devices))
        return out

    @staticmethod
    def _general_decode(frame: Frame, errors: list[ProtocolError]) -> tuple[list[Device], bool]:
        """The models of a frame the msgspec path left to the general decoder, and whether it is an array.

        A malformed element is skipped (its error appended to ``errors``); a frame
        without any valid element raises ``ProtocolError``.
        """
        data = _decode_json(frame)
        if type(data) is list:
            items: list[Any] = data
        elif type(data) is dict:
            items = [data]
        else:
            raise ProtocolError(f"an EVOK frame is a JSON array or object, not {type(data).__name__}", frame=frame)
        devices: list[Device] = []
        for item in items:
            try:
                devices.append(device_from_wire(item))
            except ProtocolError as exc:
                errors.append(exc)
        if errors and not devices:
            raise ProtocolError(f"no valid device object: {errors[0]}", frame=frame)
        return devices, type(data) is list

    def _all_reply(self, devices: list[Device]) -> Literal["full", "partial"] | None:
        """Whether an array is an ``all`` reply (full or partial) rather than a change event."""
        if self._awaiting_all <= 0:
            # a late reply (an event was taken for the awaited one): EVOK never pushes these
            # (and usually lists them last: look there first)
            if devices and devices[-1].dev in _ALWAYS_IN_ALL:
                return "full"
            return None if _ALWAYS_IN_ALL.isdisjoint(map(_dev, devices)) else "full"
        if not devices:
            return "partial"  # events are never empty; EVOK 3 always lists `run` unless all_filtered
        if not _SNAPSHOT_ONLY.isdisjoint(map(_dev, devices)):
            return "full"
        default_filter = self.filter is None or "default" in self.filter
        if self._partial_all is not False and default_filter and _looks_like_filtered_all(devices):
            return "partial"
        return None

    def _resync(self, devices: list[Device], *, partial: bool, nan: bool) -> list[object]:
        """Resync the cache with an ``all`` reply; ``nan``: whether its devices may hold a NaN."""
        if self._awaiting_all > 0:
            self._awaiting_all -= 1
        self.synced = True
        flt = self.filter
        if flt is not None and "default" in flt:
            flt = None
        # a partial reply cannot tell a vanished device from one it leaves out: it removes nothing
        listed, previous, gone = self.state._resync(devices, full=not partial)
        out: list[object] = []
        if previous != devices:  # at once, in C, for the usual reply: nothing changed
            out = [
                DeviceChanged(d, p, True)
                for d, p in zip(devices, previous, strict=True)
                if d != p and not (nan and same_state(d, p)) and (flt is None or filter_passes(flt, d))
            ]
        out.extend(DeviceRemoved(d) for d in gone if filter_passes(flt, d))
        if partial and not self.state.partial:
            _log.warning("%s", self._partial_warning(devices))
        self.state.partial = partial
        self._partial_all = partial
        snap = Snapshot(listed, partial)
        out.append(snap)
        out.extend(self._answer_refresh(snap))
        return out

    def _partial_warning(self, devices: list[Device]) -> str:
        if devices:
            return (
                "EVOK's `all` listed only di, ro, ai, ao and sensors (its websocket option all_filtered is on): "
                "the cache lacks the other types (do, led, wd, register, run, device_info...) and devices EVOK "
                "no longer has are not removed; set all_filtered: false in EVOK's configuration"
            )
        return (
            "EVOK answered `all` with an empty list (its websocket option all_filtered is on and this connection "
            "has a filter): the cache fills from events only; set all_filtered: false in EVOK's configuration "
            "or connect without a filter"
        )

    def _answer_refresh(self, snap: Snapshot) -> list[Reply]:
        replies: list[Reply] = []
        if not len(self.pending):
            return replies
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


#: The ``dev`` of a device.
_dev = attrgetter("dev")


def _may_hold_nan(frame: Frame) -> bool:
    """Whether the text of ``frame`` has a ``NaN`` token (or the string "NaN": a false alarm is harmless)."""
    return b"NaN" in frame if isinstance(frame, bytes) else "NaN" in frame


def _nan_repeat(device: Device, previous: Device | None) -> bool:
    """``device`` holds a NaN and is ``previous`` again (a NaN being equal to a NaN)."""
    return previous is not None and _holds_nan(device) and same_state(device, previous)


def _holds_nan(value: Any) -> bool:
    """Whether ``value`` (a model, or a value in one) holds a NaN at any depth."""
    if type(value) is float:
        return value != value
    if isinstance(value, msgspec.Struct):
        return any(_holds_nan(getattr(value, name)) for name in value.__struct_fields__)
    if isinstance(value, Mapping):
        return any(map(_holds_nan, value.values()))
    if isinstance(value, (tuple, list)):
        return any(map(_holds_nan, value))
    return False


def _looks_like_filtered_all(devices: list[Device]) -> bool:
    """The reply ``all_filtered`` gives on a default-filter connection, not a change event.

    It lists only ``di, ro, ai, ao`` and sensors, grouped in that order. An event of a
    default-filter connection holds no sensor (1-Wire events come as bare objects), and
    its devices come in no order: a sensor, or two kinds in EVOK's order, tell them apart.
    """
    last = -1
    kinds = 0
    for device in devices:
        rank = _FILTERED_ALL_ORDER.get(device.dev)
        if rank is None or rank < last:
            return False
        if rank > last:
            kinds += 1
        last = rank
    return last == _FILTERED_ALL_ORDER["temp"] or kinds >= 2
