"""Typed models of the device objects EVOK sends, one frozen ``msgspec.Struct`` per emitted ``dev``.

Every device object on the EVOK WebSocket is the ``full()`` of one device: a JSON
object with ``dev`` and ``circuit`` and fields that depend on the type. EVOK v3
emits ``ro, do, di, ai, ao, led, wd, temp, 1wdevice, register, data_point, owbus,
owpower, nv_save, modbus_slave, device_info, run``; EVOK v2 shapes (``relay``,
``input``, ``unit_register``, ``neuron``, ``glob_dev_id``, ``modes`` as a list) are
tolerated. An unknown ``dev`` becomes a [`GenericDevice`][iotws.evok.GenericDevice]. Fields are
``None`` where EVOK sends ``null`` (before the first scan) or leaves them out;
unknown fields (and values of an unexpected type) are kept in ``extra`` and
explicit ``null`` fields in ``nulls``, so ``to_wire`` gives back what EVOK sent.

Two decoders build equal models. A frame is decoded by msgspec straight into typed
wire structs (a tagged union on ``dev``), then into the models, as long as it holds
nothing the typed schema leaves out: an unknown ``dev`` or key (``glob_dev_id``
excepted), a value of an unexpected type, an explicit ``null``, the non-standard
``NaN``/``Infinity`` tokens. Such a frame, and any JSON object given to
[`device_from_wire`][iotws.evok.device_from_wire], goes through the general decoder, which keeps all of it.

Examples:
    >>> d = device_from_wire({"dev": "ro", "circuit": "1_01", "value": 1, "glob_dev_id": 2})
    >>> d
    Relay(dev='ro', circuit='1_01', alias=None, extra={'glob_dev_id': 2}, value=1)
    >>> d.key, d.kind, d.to_wire()["glob_dev_id"]
    (('ro', '1_01'), 'ro', 2)
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any, ClassVar, TypeVar, Union, cast

import msgspec
from msgspec.structs import force_setattr

from iotws.codec import DataType, Layout, Value, from_registers
from iotws.errors import ProtocolError, UsageError
from iotws.jsonwire import WIRE_ERRORS, WireStruct, typed_decoder

__all__ = [
    "ALT_NAMES",
    "AliasTarget",
    "AnalogInput",
    "AnalogOutput",
    "Board",
    "DataPoint",
    "Device",
    "DeviceInfo",
    "DigitalInput",
    "DigitalOutput",
    "GenericDevice",
    "Led",
    "LegacyInput",
    "LegacyRelay",
    "ModbusSlave",
    "ModeInfo",
    "NvSave",
    "OneWireBus",
    "OneWireDevice",
    "OneWirePower",
    "Register",
    "Relay",
    "Run",
    "State",
    "Temperature",
    "Watchdog",
    "device_from_wire",
    "emitted_name",
    "same_state",
]

D = TypeVar("D", bound="Device")

ALT_NAMES: Mapping[str, str] = {
    "relay": "ro",
    "output": "do",
    "digitaloutput": "do",
    "input": "di",
    "digitalinput": "di",
    "analoginput": "ai",
    "analogoutput": "ao",
    "watchdog": "wd",
    "sensor": "temp",
    "unit_register": "data_point",
}
"""Alternative device type names EVOK accepts in commands, mapped to the ``dev`` it emits."""


def emitted_name(dev: str) -> str:
    """The ``dev`` string EVOK v3 emits for a device type given by any of its names.

    Examples:
        >>> emitted_name("relay"), emitted_name("watchdog"), emitted_name("ai")
        ('ro', 'wd', 'ai')
    """
    return ALT_NAMES.get(dev, dev)


class _ReadOnlyDict(dict[str, Any]):
    """A dict that refuses changes: the mappings models share (``modes``, ``aliases``, an empty ``extra``).

    Unlike ``MappingProxyType`` it pickles, and it reads and compares at dict speed.
    """

    __slots__ = ()

    def _read_only(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("this mapping is read-only: models share it")

    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _read_only

    def __reduce__(self) -> tuple[Any, ...]:
        return (_ReadOnlyDict, (dict(self),))

    def __copy__(self) -> _ReadOnlyDict:
        return self

    def __deepcopy__(self, memo: Any) -> _ReadOnlyDict:
        return self


# -- field checkers: return the value when its JSON type fits, else _BAD -------------------------

_BAD: Any = object()
#: The shared, read-only ``extra`` of objects without unknown fields.
_NO_EXTRA: Mapping[str, Any] = _ReadOnlyDict()
#: The shared ``nulls`` of objects without explicit ``null`` fields.
_NO_NULLS: frozenset[str] = frozenset()
_MODE_KEYS = frozenset(("value", "unit", "range"))
_Check = Callable[[Any], Any]


def _num(v: Any) -> Any:
    t = type(v)
    return v if v is None or t is int or t is float or t is bool else _BAD


def _str(v: Any) -> Any:
    return v if v is None or type(v) is str else _BAD


def _bool(v: Any) -> Any:
    return v if v is None or type(v) is bool or type(v) is int else _BAD


def _num_or_str(v: Any) -> Any:
    t = type(v)
    return v if v is None or t is int or t is float or t is str or t is bool else _BAD


def _str_list(v: Any) -> Any:
    if v is None:
        return None
    if type(v) is list and all(type(x) is str for x in v):
        return tuple(v)
    return _BAD


def _range(v: Any) -> Any:
    if v is None:
        return None
    if type(v) is list and len(v) == 2 and _num(v[0]) is not _BAD and _num(v[1]) is not _BAD:
        return (v[0], v[1])
    return _BAD


#: Recently parsed ``modes`` objects: EVOK repeats the same ones in every event of an AI/AO.
_MODES_CACHE: list[tuple[dict[str, Any], Mapping[str, ModeInfo]]] = []
_MODES_CACHE_SIZE = 8


def _modes(v: Any) -> Any:
    """v3: ``{name: {value, unit?, range?}}``; v2: a list of names. Read-only mappings."""
    if v is None:
        return None
    if type(v) is dict:
        for raw, parsed in _MODES_CACHE:
            if raw == v:
                return parsed
        out = {}
        for name, info in v.items():
            if type(info) is not dict:
                return _BAD
            out[name] = ModeInfo.from_wire(info)
        result = _ReadOnlyDict(out)
        _MODES_CACHE[:] = [(v, result), *_MODES_CACHE[: _MODES_CACHE_SIZE - 1]]
        return result
    if type(v) is list and all(type(x) is str for x in v):
        return _ReadOnlyDict({name: ModeInfo() for name in v})
    return _BAD


def _aliases(v: Any) -> Any:
    if v is None:
        return None
    if type(v) is dict and all(type(t) is dict for t in v.values()):
        return _ReadOnlyDict({name: AliasTarget.from_wire(t) for name, t in v.items()})
    return _BAD


def _wire(v: Any) -> Any:
    if isinstance(v, tuple):
        return list(v)
    if isinstance(v, Mapping):
        return {k: x.to_wire() if hasattr(x, "to_wire") else x for k, x in v.items()}
    return v


class ModeInfo(msgspec.Struct, frozen=True, gc=False):
    """One entry of a v3 ``modes`` mapping of an analog input or output.

    Examples:
        >>> m = ModeInfo.from_wire({"value": 1, "unit": "V", "range": [0, 10]})
        >>> m
        ModeInfo(value=1, unit='V', range=(0, 10))
        >>> m.value, m.unit, m.range
        (1, 'V', (0, 10))
    """

    value: int | None = None
    unit: str | None = None
    range: tuple[float, float] | None = None
    extra: Mapping[str, Any] = _NO_EXTRA
    """Unknown keys (and values of an unexpected type), as EVOK sent them."""

    def __repr__(self) -> str:
        return f"ModeInfo(value={self.value!r}, unit={self.unit!r}, range={self.range!r})"

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> ModeInfo:
        """Build from the JSON object of one mode."""
        if data.keys() <= _MODE_KEYS and None not in data.values():  # fast path: the usual shape
            value, unit, rng = data.get("value"), data.get("unit"), data.get("range")
            tv = type(value)
            if (value is None or tv is int or tv is float) and (unit is None or type(unit) is str):
                if rng is None:
                    return cls(value, unit, None, _NO_EXTRA)
                rng = _range(rng)
                if rng is not _BAD:
                    return cls(value, unit, rng, _NO_EXTRA)
        extra = dict(data)
        value = _num(extra.pop("value", None))
        unit = _str(extra.pop("unit", None))
        rng = _range(extra.pop("range", None))
        if value is _BAD:
            value, extra["value"] = None, data["value"]
        if unit is _BAD:
            unit, extra["unit"] = None, data["unit"]
        if rng is _BAD:
            rng, extra["range"] = None, data["range"]
        extra.update((k, None) for k in _MODE_KEYS if k in data and data[k] is None)  # explicit nulls
        return cls(value, unit, rng, extra)

    def to_wire(self) -> dict[str, Any]:
        """The JSON object of this mode."""
        out: dict[str, Any] = {}
        if self.value is not None:
            out["value"] = self.value
        if self.unit is not None:
            out["unit"] = self.unit
        if self.range is not None:
            out["range"] = list(self.range)
        out.update(self.extra)
        return out


class AliasTarget(msgspec.Struct, frozen=True, gc=False):
    """Where a user alias points, as listed by the ``run`` object.

    Examples:
        >>> AliasTarget.from_wire({"circuit": "ro_1_01", "devtype": "ro"})
        AliasTarget(circuit='ro_1_01', devtype='ro')
    """

    circuit: str | None = None
    devtype: str | None = None
    extra: Mapping[str, Any] = _NO_EXTRA
    """Unknown keys (and values of an unexpected type), as EVOK sent them."""

    def __repr__(self) -> str:
        return f"AliasTarget(circuit={self.circuit!r}, devtype={self.devtype!r})"

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> AliasTarget:
        """Build from the JSON object."""
        extra = dict(data)
        circuit, devtype = extra.pop("circuit", None), extra.pop("devtype", None)
        if _str(circuit) is _BAD:
            extra["circuit"], circuit = circuit, None
        if _str(devtype) is _BAD:
            extra["devtype"], devtype = devtype, None
        extra.update((k, None) for k in ("circuit", "devtype") if k in data and data[k] is None)  # explicit nulls
        return cls(circuit, devtype, extra)

    def to_wire(self) -> dict[str, Any]:
        """The JSON object."""
        out: dict[str, Any] = {}
        if self.circuit is not None:
            out["circuit"] = self.circuit
        if self.devtype is not None:
            out["devtype"] = self.devtype
        out.update(self.extra)
        return out


def _slow_from_wire(cls: Any, data: Mapping[str, Any]) -> Any:
    """The general decoder: any shape, wrongly typed fields kept in ``extra``."""
    get = data.get
    dev, circuit, alias = get("dev"), get("circuit"), get("alias")
    if type(dev) is not str or type(circuit) is not str:
        raise ProtocolError("a device object needs string 'dev' and 'circuit'", frame=repr(data))
    kwargs: dict[str, Any] = {}
    bad: list[str] = []
    seen = 2 if alias is None else 3
    for name, check in cls._fields:
        raw = get(name, _BAD)
        if raw is not _BAD:
            seen += 1
            value = check(raw)
            if value is _BAD:
                bad.append(name)
            else:
                kwargs[name] = value
    for name, old in cls._fallbacks.items():
        if name not in kwargs and type(get(old)) is str:
            kwargs[name] = data[old]
    if alias is not None and type(alias) is not str:
        bad.append("alias")
        alias = None
    null_alias = "alias" in data and data["alias"] is None  # kept as extra, so to_wire gives it back
    if seen == len(data) and not bad and not null_alias:
        extra: Mapping[str, Any] = _NO_EXTRA
    else:
        known = cls._known
        extra = {k: v for k, v in data.items() if k not in known}
        for name in bad:
            extra[name] = data[name]
        if null_alias:
            extra["alias"] = None
    nulls = frozenset(name for name, _ in cls._fields if name in data and data[name] is None) or _NO_NULLS
    return cls(dev, circuit, alias=alias, extra=extra, nulls=nulls, **kwargs)


#: The checks the compiled decoder inlines, for a value that is not ``None``.
_INLINE_CHECKS: dict[Any, str] = {
    _num: "type({v}) is int or type({v}) is float or type({v}) is bool",
    _str: "type({v}) is str",
    _bool: "type({v}) is bool or type({v}) is int",
}


def _compile_decoder(cls: Any) -> Callable[[Any, Mapping[str, Any]], Any]:
    """A decoder specialised for ``cls``: the well-typed shape fast, anything else via the general one."""
    lines = [
        "def decode(cls, data):",
        "    get = data.get",
        "    dev = get('dev'); circuit = get('circuit'); alias = get('alias', _BAD)",
        "    if type(dev) is not str or type(circuit) is not str: return _slow(cls, data)",
        "    if alias is _BAD: alias = None; n = 2",
        "    elif type(alias) is str: n = 3",
        "    else: return _slow(cls, data)",
        "    nl = 0",
    ]
    namespace: dict[str, Any] = {
        "_BAD": _BAD,
        "_slow": _slow_from_wire,
        "_NO_EXTRA": _NO_EXTRA,
        "_NO_NULLS": _NO_NULLS,
        "known": cls._known,
        "typed": frozenset(name for name, _ in cls._fields),
    }
    args = []
    for i, (name, check) in enumerate(cls._fields):
        v = f"f{i}"
        lines += [f"    {v} = get({name!r}, _BAD)", f"    if {v} is _BAD: {v} = None", "    else:", "        n += 1"]
        lines.append(f"        if {v} is None: nl = 1")  # an explicit null: remembered for to_wire
        if check in _INLINE_CHECKS:
            lines.append(f"        elif not ({_INLINE_CHECKS[check].format(v=v)}): return _slow(cls, data)")
        else:
            namespace[f"c{i}"] = check
            lines += [
                "        else:",
                f"            {v} = c{i}({v})",
                f"            if {v} is _BAD: return _slow(cls, data)",
            ]
        args.append(f"{name}={v}")
    for old in cls._fallbacks.values():
        lines.append(f"    if {old!r} in data: return _slow(cls, data)")
    lines.append("    extra = _NO_EXTRA if n == len(data) else {k: x for k, x in data.items() if k not in known}")
    lines.append("    nulls = frozenset([k for k, x in data.items() if x is None and k in typed]) if nl else _NO_NULLS")
    fields = "".join(", " + a for a in args)
    lines.append(f"    return cls(dev, circuit, alias=alias, extra=extra, nulls=nulls{fields})")
    exec("\n".join(lines), namespace)  # the code comes from the class's own field table, nothing else
    decode: Callable[[Any, Mapping[str, Any]], Any] = namespace["decode"]
    return decode


def _decode_first(cls: Any, data: Mapping[str, Any]) -> Any:
    """Compile ``cls``'s decoder, keep it on the class, and decode ``data`` with it."""
    decoder = _compile_decoder(cls)
    cls._decode = staticmethod(decoder)
    return decoder(cls, data)


_REGISTRY: dict[str, type[Device]] = {}


class _DeviceBase(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The keyword-only fields of every device state (msgspec places them after the positional ones)."""

    alias: str | None = None
    #: Unknown fields (and typed ones of an unexpected type), as EVOK sent them.
    extra: Mapping[str, Any] = _NO_EXTRA
    #: The typed fields EVOK sent as an explicit ``null`` (``to_wire`` writes them back).
    nulls: frozenset[str] = _NO_NULLS


class Device(_DeviceBase, frozen=True):
    """Base of every device state: ``dev``, ``circuit``, ``alias`` and unknown fields.

    ``key`` is the ``(dev, circuit)`` the state cache uses; ``kind`` is the v3 type name
    (``ro`` for a v2 physical ``relay``, ``di`` for a v2 ``input``...). ``dev`` and
    ``circuit`` come first (positional); ``alias``, ``extra`` and ``nulls`` are keyword-only.
    Models compare equal when every field is (``nulls`` included); see [`same_state`][iotws.evok.same_state]
    for the comparison the state cache uses.

    Examples:
        >>> Led(dev="led", circuit="1_01", value=1).to_wire()
        {'dev': 'led', 'circuit': '1_01', 'value': 1}
        >>> Led("led", "1_01", 1)
        Led(dev='led', circuit='1_01', alias=None, extra={}, value=1)
    """

    devs: ClassVar[tuple[str, ...]] = ()
    """The ``dev`` strings this class models."""
    #: ``(field name, checker)`` of the typed fields, in wire order.
    _fields: ClassVar[tuple[tuple[str, _Check], ...]] = ()
    _known: ClassVar[frozenset[str]] = frozenset(("dev", "circuit", "alias"))
    #: ``{field: older wire name}`` read when the field itself is missing (v2 ``typ``).
    _fallbacks: ClassVar[Mapping[str, str]] = {}
    #: This class's decoder: compiled on its first use (see ``_compile_decoder``), so that
    #: importing the models costs no compilation.
    _decode: ClassVar[Callable[[Any, Mapping[str, Any]], Any]]

    dev: str
    circuit: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._known = frozenset(("dev", "circuit", "alias", *(name for name, _ in cls._fields)))
        cls._decode = staticmethod(_decode_first)
        for dev in cls.__dict__.get("devs", ()):
            _REGISTRY[dev] = cls

    def __repr__(self) -> str:
        typed = "".join(f", {name}={getattr(self, name)!r}" for name, _ in self._fields)
        return (
            f"{type(self).__name__}(dev={self.dev!r}, circuit={self.circuit!r}, alias={self.alias!r}, "
            f"extra={dict(self.extra)!r}{typed})"
        )

    @property
    def key(self) -> tuple[str, str]:
        """``(dev, circuit)``, the identity of this device in the state cache."""
        return (self.dev, self.circuit)

    @property
    def kind(self) -> str:
        """The v3 device type, whatever generation emitted it."""
        return self.dev

    @property
    def glob_dev_id(self) -> int | None:
        """EVOK v2's board id (kept in ``extra``), ``None`` on v3."""
        value = self.extra.get("glob_dev_id")
        return value if isinstance(value, int) else None

    @classmethod
    def from_wire(cls: type[D], data: Mapping[str, Any]) -> D:
        """Build from one JSON device object; raises ``ProtocolError`` without dev/circuit.

        Examples:
            >>> Relay.from_wire({"dev": "ro", "circuit": "1_02", "value": 0}).value
            0
        """
        return cls._decode(cls, data)  # type: ignore[no-any-return]

    def to_wire(self) -> dict[str, Any]:
        """The JSON object, as EVOK sent it: absent fields left out, explicit ``null`` and ``extra`` kept.

        Examples:
            >>> device_from_wire({"dev": "device_info", "circuit": "L533", "model": "L533", "sn": None}).to_wire()
            {'dev': 'device_info', 'circuit': 'L533', 'model': 'L533', 'sn': None}
        """
        out: dict[str, Any] = {"dev": self.dev, "circuit": self.circuit}
        if self.alias is not None:
            out["alias"] = self.alias
        nulls = self.nulls
        for name, _ in self._fields:
            value = getattr(self, name)
            if value is not None:
                out[name] = _wire(value)
            elif nulls and name in nulls:
                out[name] = None
        out.update(self.extra)
        return out


def _spec(**checks: _Check) -> tuple[tuple[str, _Check], ...]:
    return tuple(checks.items())


Device._decode = staticmethod(_decode_first)  # subclasses get theirs in __init_subclass__


class GenericDevice(Device, frozen=True):
    """A device of a type this package does not model; every field is in ``extra``.

    Examples:
        >>> device_from_wire({"dev": "uart", "circuit": "1_01", "parity": "N"}).extra
        {'parity': 'N'}
    """


class Relay(Device, frozen=True):
    """A relay output (``ro``): ``value`` 0/1.

    Examples:
        >>> Relay.from_wire({"dev": "ro", "circuit": "2_01", "value": 1}).value
        1
    """

    devs: ClassVar[tuple[str, ...]] = ("ro",)
    _fields = _spec(value=_num)
    value: int | None = None


class DigitalOutput(Device, frozen=True):
    """A digital output (``do``), optionally in PWM mode.

    Examples:
        >>> d = DigitalOutput.from_wire({"dev": "do", "circuit": "1_01", "value": 0,
        ...     "mode": "PWM", "modes": ["Simple", "PWM"], "pwm_freq": 100.0, "pwm_duty": 25})
        >>> d.mode, d.modes, d.pwm_duty
        ('PWM', ('Simple', 'PWM'), 25)
    """

    devs: ClassVar[tuple[str, ...]] = ("do",)
    _fields = _spec(value=_num, pending=_bool, mode=_str, modes=_str_list, pwm_freq=_num, pwm_duty=_num)
    value: int | None = None
    pending: bool | None = None
    mode: str | None = None
    modes: tuple[str, ...] | None = None
    pwm_freq: float | None = None
    pwm_duty: float | None = None


class LegacyRelay(DigitalOutput, frozen=True):
    """EVOK v2's ``relay``: a relay (``relay_type`` "physical") or a digital output ("digital").

    Examples:
        >>> LegacyRelay.from_wire({"dev": "relay", "circuit": "1_01", "relay_type": "digital"}).kind
        'do'
    """

    devs: ClassVar[tuple[str, ...]] = ("relay",)
    _fields = (*DigitalOutput._fields, ("relay_type", _str))
    relay_type: str | None = None

    @property
    def kind(self) -> str:
        """``ro`` for a physical relay, ``do`` for a digital output."""
        return "ro" if self.relay_type == "physical" else "do"


class DigitalInput(Device, frozen=True):
    """A digital input (``di``) with its debounce and pulse counter.

    Examples:
        >>> DigitalInput.from_wire({"dev": "di", "circuit": "1_01", "value": 1, "counter": 7}).counter
        7
    """

    devs: ClassVar[tuple[str, ...]] = ("di",)
    _fields = _spec(
        value=_num,
        debounce=_num,
        counter=_num,
        counter_mode=_str,
        counter_modes=_str_list,
        mode=_str,
        modes=_str_list,
        ds_mode=_str,
        ds_modes=_str_list,
    )
    value: int | None = None
    debounce: int | None = None
    counter: int | None = None
    counter_mode: str | None = None
    counter_modes: tuple[str, ...] | None = None
    mode: str | None = None
    modes: tuple[str, ...] | None = None
    ds_mode: str | None = None
    ds_modes: tuple[str, ...] | None = None


class LegacyInput(DigitalInput, frozen=True):
    """EVOK v2's ``input`` (a digital input).

    Examples:
        >>> LegacyInput.from_wire({"dev": "input", "circuit": "1_01", "value": 0}).kind
        'di'
    """

    devs: ClassVar[tuple[str, ...]] = ("input",)

    @property
    def kind(self) -> str:
        """Always ``di``."""
        return "di"


class AnalogInput(Device, frozen=True):
    """An analog input (``ai``); ``modes`` maps a mode name to its [`ModeInfo`][iotws.evok.ModeInfo].

    Examples:
        >>> a = AnalogInput.from_wire({"dev": "ai", "circuit": "1_01", "value": 8.7, "unit": "V",
        ...     "mode": "Voltage", "modes": {"Voltage": {"value": 0, "unit": "V", "range": [0, 10]}},
        ...     "range": [0, 10]})
        >>> a.value, a.modes["Voltage"].range
        (8.7, (0, 10))
    """

    devs: ClassVar[tuple[str, ...]] = ("ai",)
    _fields = _spec(value=_num, unit=_str, mode=_str, modes=_modes, range=_range)
    value: float | None = None
    unit: str | None = None
    mode: str | None = None
    modes: Mapping[str, ModeInfo] | None = None
    range: tuple[float, float] | None = None


class AnalogOutput(AnalogInput, frozen=True):
    """An analog output (``ao``); ``value`` in volts (or its mode's unit).

    Examples:
        >>> AnalogOutput.from_wire({"dev": "ao", "circuit": "2_03", "value": 5.9}).value
        5.9
    """

    devs: ClassVar[tuple[str, ...]] = ("ao",)


class Led(Device, frozen=True):
    """A user LED (``led``): ``value`` 0/1.

    Examples:
        >>> Led.from_wire({"dev": "led", "circuit": "1_01", "value": 0}).value
        0
    """

    devs: ClassVar[tuple[str, ...]] = ("led",)
    _fields = _spec(value=_num)
    value: int | None = None


class Watchdog(Device, frozen=True):
    """The board watchdog (``wd``): ``value`` bit 0 = enabled, ``timeout`` in ms.

    Examples:
        >>> Watchdog.from_wire({"dev": "wd", "circuit": "1_01", "value": 1, "timeout": 5000}).timeout
        5000
    """

    devs: ClassVar[tuple[str, ...]] = ("wd",)
    _fields = _spec(value=_num, timeout=_num, was_wd_reset=_num, nv_save=_num)
    value: int | None = None
    timeout: int | None = None
    was_wd_reset: int | None = None
    nv_save: int | None = None


class Register(Device, frozen=True):
    """A Modbus register (``register``), 0..65535; circuits ``<dev>_<addr>[_inp]``.

    Examples:
        >>> Register.from_wire({"dev": "register", "circuit": "1_1000", "value": 513}).value
        513
    """

    devs: ClassVar[tuple[str, ...]] = ("register",)
    _fields = _spec(value=_num)
    value: int | None = None


class DataPoint(Device, frozen=True):
    """A data point of an extension (``data_point``; v2 ``unit_register``); read-only.

    ``value`` may be a number, the string ``"NaN"`` or ``None``.

    Examples:
        >>> DataPoint.from_wire({"dev": "data_point", "circuit": "IAQ_0", "value": 21.5,
        ...     "unit": "°C", "valid": True}).unit
        '°C'
    """

    devs: ClassVar[tuple[str, ...]] = ("data_point", "unit_register")
    _fields = _spec(value=_num_or_str, name=_str, unit=_str, valid=_bool)
    value: float | str | None = None
    name: str | None = None
    unit: str | None = None
    valid: bool | None = None

    @property
    def kind(self) -> str:
        """Always ``data_point``."""
        return "data_point"


class Temperature(Device, frozen=True):
    """A DS18B20/DS18S20 1-Wire sensor (``temp``); ``time`` is the server's monotonic clock.

    v2 sends ``typ`` instead of ``type``: it fills ``type`` too (and stays in ``extra``).

    Examples:
        >>> t = Temperature.from_wire({"dev": "temp", "circuit": "2895DCD509000035",
        ...     "address": "2895DCD509000035", "value": 21.25, "lost": False, "time": 12.5,
        ...     "interval": 15, "type": "DS18B20"})
        >>> t.value, t.lost
        (21.25, False)
    """

    devs: ClassVar[tuple[str, ...]] = ("temp",)
    _fields = _spec(address=_str, value=_num, lost=_bool, time=_num, interval=_num, type=_str)
    _fallbacks = {"type": "typ"}
    address: str | None = None
    value: float | None = None
    lost: bool | None = None
    time: float | None = None
    interval: int | None = None
    type: str | None = None


class OneWireDevice(Device, frozen=True):
    """A DS2438 / DS2408 / DS2413 1-Wire device (``1wdevice``); never passes a filter.

    Examples:
        >>> OneWireDevice.from_wire({"dev": "1wdevice", "circuit": "26A1", "humidity": 40.5,
        ...     "type": "DS2438"}).humidity
        40.5
    """

    devs: ClassVar[tuple[str, ...]] = ("1wdevice",)
    _fields = _spec(
        address=_str,
        value=_num,
        humidity=_num,
        vdd=_num,
        vad=_num,
        temp=_num,
        vis=_num,
        lost=_bool,
        time=_num,
        interval=_num,
        type=_str,
    )
    address: str | None = None
    value: float | None = None
    humidity: float | None = None
    vdd: float | None = None
    vad: float | None = None
    temp: float | None = None
    vis: float | None = None
    lost: bool | None = None
    time: float | None = None
    interval: int | None = None
    type: str | None = None


class OneWireBus(Device, frozen=True):
    """The 1-Wire bus (``owbus``); never pushed, only in ``all``.

    Examples:
        >>> OneWireBus.from_wire({"dev": "owbus", "circuit": "OWFS", "scan_interval": 300}).scan_interval
        300
    """

    devs: ClassVar[tuple[str, ...]] = ("owbus",)
    _fields = _spec(bus=_str, scan_interval=_num, interval=_num, do_scan=_bool, do_reset=_bool)
    bus: str | None = None
    scan_interval: int | None = None
    interval: int | None = None
    do_scan: bool | None = None
    do_reset: bool | None = None


class OneWirePower(Device, frozen=True):
    """The 1-Wire power switch (``owpower``): the last written ``value``.

    Examples:
        >>> OneWirePower.from_wire({"dev": "owpower", "circuit": "1", "value": 1}).value
        1
    """

    devs: ClassVar[tuple[str, ...]] = ("owpower",)
    _fields = _spec(value=_num)
    value: int | None = None


class NvSave(Device, frozen=True):
    """The NV-save trigger of a board (``nv_save``).

    Examples:
        >>> NvSave.from_wire({"dev": "nv_save", "circuit": "1", "value": 0}).value
        0
    """

    devs: ClassVar[tuple[str, ...]] = ("nv_save",)
    _fields = _spec(value=_num)
    value: int | None = None


class ModbusSlave(Device, frozen=True):
    """A Modbus slave EVOK polls (``modbus_slave``).

    Examples:
        >>> ModbusSlave.from_wire({"dev": "modbus_slave", "circuit": "1", "slave_id": 1,
        ...     "modbus_type": "TCP"}).modbus_type
        'TCP'
    """

    devs: ClassVar[tuple[str, ...]] = ("modbus_slave",)
    _fields = _spec(last_comm=_num, slave_id=_num, modbus_type=_str, modbus_spec=_str, scan_interval=_num)
    last_comm: float | None = None
    slave_id: int | None = None
    modbus_type: str | None = None
    modbus_spec: str | None = None
    scan_interval: float | None = None


class DeviceInfo(Device, frozen=True):
    """The PLC model (``device_info``); only in the ``all`` reply.

    Examples:
        >>> DeviceInfo.from_wire({"dev": "device_info", "circuit": "L533", "family": "Neuron",
        ...     "model": "L533", "sn": 123, "board_count": 3}).model
        'L533'
    """

    devs: ClassVar[tuple[str, ...]] = ("device_info",)
    _fields = _spec(family=_str, model=_str, sn=_num, board_count=_num)
    family: str | None = None
    model: str | None = None
    sn: int | None = None
    board_count: int | None = None


class Board(Device, frozen=True):
    """EVOK v2's board objects (``neuron``, ``extension``).

    Examples:
        >>> Board.from_wire({"dev": "neuron", "circuit": "1", "model": "L203", "sn": 42}).model
        'L203'
    """

    devs: ClassVar[tuple[str, ...]] = ("neuron", "extension")
    _fields = _spec(model=_str, sn=_num, board_count=_num)
    model: str | None = None
    sn: int | None = None
    board_count: int | None = None


class Run(Device, frozen=True):
    """The alias table (``run``, circuit ``alias``); only in the ``all`` reply.

    Examples:
        >>> r = Run.from_wire({"dev": "run", "circuit": "alias", "save": False,
        ...     "aliases": {"lamp": {"circuit": "ro_1_01", "devtype": "ro"}}})
        >>> r.aliases["lamp"].circuit
        'ro_1_01'
    """

    devs: ClassVar[tuple[str, ...]] = ("run",)
    _fields = _spec(save=_bool, aliases=_aliases)
    save: bool | None = None
    aliases: Mapping[str, AliasTarget] | None = None


# -- the msgspec path: a frame straight into typed wire structs, then into the models ---------------
#
# One wire struct per ``dev`` string (a tagged union on ``dev``), built from the model's field
# table on first use. A wire field accepts what the field's checker accepts, except ``null``:
# an explicit null (which the models remember in ``nulls``), an unknown key, a value of
# another type or a ``NaN`` token make msgspec refuse the frame, and the general decoder
# (``json`` + ``device_from_wire``) parses it instead. Fields without a key default to None.

_Number = bool | int | float

#: What msgspec accepts for a field of each checker. ``modes`` and ``aliases`` stay raw JSON
#: text until ``_NESTED`` parses them.
_WIRE_TYPES: Mapping[_Check, Any] = {
    _num: _Number,
    _str: str,
    _bool: bool | int,
    _num_or_str: _Number | str,
    _str_list: tuple[str, ...],
    _range: tuple[_Number, _Number],
    _modes: msgspec.Raw,
    _aliases: msgspec.Raw,
}


class _ModeWire(WireStruct, frozen=True):
    """One entry of ``modes`` on the wire (see [`ModeInfo.from_wire`][iotws.evok.ModeInfo.from_wire])."""

    value: _Number = None  # type: ignore[assignment]  # None: the key is absent
    unit: str = None  # type: ignore[assignment]
    range: tuple[_Number, _Number] = None  # type: ignore[assignment]


class _AliasWire(WireStruct, frozen=True):
    """One entry of ``aliases`` on the wire (see [`AliasTarget.from_wire`][iotws.evok.AliasTarget.from_wire])."""

    circuit: str = None  # type: ignore[assignment]  # None: the key is absent
    devtype: str = None  # type: ignore[assignment]


class _NestedParser:
    """Parses the raw text of a nested mapping (``modes``, ``aliases``) into its model value.

    The value is a read-only mapping. The parser keeps the last ``recent`` (text, value)
    pairs and gives back the same value for the same text: EVOK repeats the ``modes`` of
    an analog input or output in every event of it, and the alias table in every ``all``
    reply. Raises ``msgspec.ValidationError`` for what the general decoder must parse.
    """

    def __init__(self, wire: type[WireStruct], build: Callable[[Any], Any], *, recent: int) -> None:
        self.wire = wire
        self.build = build
        self.recent = recent
        self.cache: list[tuple[msgspec.Raw, Any]] = []
        self.decode: Callable[[Any], dict[str, Any]] | None = None

    def __call__(self, raw: msgspec.Raw) -> Any:
        for text, value in self.cache:
            if text == raw:
                return value
        if self.decode is None:
            self.decode = typed_decoder(dict[str, self.wire])  # type: ignore[name-defined]
        build = self.build
        value = _ReadOnlyDict({name: build(item) for name, item in self.decode(raw).items()})
        self.cache = [(raw, value), *self.cache[: self.recent - 1]]  # a new list: readers in other threads
        return value


#: The parsers of the fields the wire structs keep as raw text.
_NESTED: Mapping[_Check, _NestedParser] = {
    _modes: _NestedParser(_ModeWire, lambda m: ModeInfo(m.value, m.unit, m.range), recent=8),
    _aliases: _NestedParser(_AliasWire, lambda a: AliasTarget(a.circuit, a.devtype), recent=1),
}


def _set_extras(device: Device, alias: str | None, glob_dev_id: int | None) -> None:
    """Set the ``alias`` and ``extra`` of a model the msgspec path just built (not shared yet)."""
    if alias is not None:
        force_setattr(device, "alias", alias)
    if glob_dev_id is not None:
        force_setattr(device, "extra", {"glob_dev_id": glob_dev_id})


def _wire_struct(dev: str, cls: type[Device]) -> type[WireStruct]:
    """The wire struct of objects whose ``dev`` is ``dev``; its ``as_device()`` builds the ``cls`` model.

    Its fields are ``circuit``, the typed fields (in the model's positional order),
    ``alias``, and ``glob_dev_id`` (which EVOK 2 adds to every object: kept in ``extra``).
    """
    checks = dict(cls._fields)
    names = cls.__struct_fields__[2:-3]  # the positional fields after dev and circuit
    if set(names) != set(checks):
        raise TypeError(f"{cls.__name__}: the typed fields {sorted(checks)} are not its positional fields {names}")
    namespace: dict[str, Any] = {"cls": cls, "dev": dev, "_set_extras": _set_extras}
    args = ""
    for name in names:
        parse = _NESTED.get(checks[name])
        if parse is None:
            args += f", self.{name}"
        else:
            namespace[f"parse_{name}"] = parse
            args += f", None if self.{name} is None else parse_{name}(self.{name})"
    source = f"""def as_device(self):
    device = cls(dev, self.circuit{args})
    if self.alias is not None or self.glob_dev_id is not None:
        _set_extras(device, self.alias, self.glob_dev_id)
    return device
"""
    exec(source, namespace)  # the code comes from the class's own field table, nothing else
    fields = [(name, _WIRE_TYPES[checks[name]], None) for name in names]
    wire = msgspec.defstruct(
        f"_{cls.__name__}Wire_{dev}",
        [("circuit", str), *fields, ("alias", str, None), ("glob_dev_id", int, None)],
        bases=(WireStruct,),
        namespace={"as_device": namespace["as_device"]},
        module=__name__,
        tag_field="dev",
        tag=dev,
    )
    return cast("type[WireStruct]", wire)


_decode_frame: Callable[[str | bytes], Any] | None = None


def _frame_decoder() -> Callable[[str | bytes], Any]:
    """The typed decoder of whole frames (an array of device objects, or one), built on first use."""
    global _decode_frame  # built once, on first use, so that importing costs nothing
    if _decode_frame is None:
        one: Any = Union[tuple(_wire_struct(dev, cls) for dev, cls in _REGISTRY.items())]  # noqa: UP007
        _decode_frame = typed_decoder(Union[list[one], one])  # noqa: UP007 - a union built at run time
    return _decode_frame


class _FrameMemo:
    """The wire structs and models of the last array of several devices a core decoded by the msgspec path.

    EVOK's ``all`` reply lists the same devices in the same order each time, most of
    them unchanged: a device object equal to the one at the same place in the last
    array (compared as wire structs, in C) is given that array's model again, which
    spares building it, and comparing it with the cached state (the same object).
    """

    __slots__ = ("devices", "wire")

    def __init__(self) -> None:
        self.wire: list[Any] = []
        self.devices: list[Device] = []


def _typed_frame(frame: str | bytes, memo: _FrameMemo | None = None) -> list[Device] | Device | None:
    """The models of an EVOK frame by the msgspec path: a list for an array, a model for an object.

    ``None`` when msgspec refuses the frame (see above): the general decoder then
    decides what it holds. With a ``memo``, an array of several devices reuses the
    models of the devices that did not change since the last one (see ``_FrameMemo``).
    """
    try:
        wire = (_decode_frame or _frame_decoder())(frame)
        if type(wire) is not list:
            return wire.as_device()  # type: ignore[no-any-return]
        if len(wire) == 1:  # the usual event
            return [wire[0].as_device()]
        if memo is None:
            return [item.as_device() for item in wire]
        last = memo.wire
        if wire == last:  # at once, in C: the usual refresh, nothing changed
            devices = memo.devices
        elif len(wire) == len(last):
            devices = [d if w == was else w.as_device() for w, was, d in zip(wire, last, memo.devices, strict=True)]
        else:
            devices = [item.as_device() for item in wire]
        memo.wire, memo.devices = wire, devices
        return devices
    except WIRE_ERRORS:
        return None


def device_from_wire(data: Any) -> Device:
    """Build the model of one device object, choosing the class by its ``dev``.

    Raises ``ProtocolError`` when ``data`` is not an object with string ``dev`` and
    ``circuit``. An unknown ``dev`` gives a [`GenericDevice`][iotws.evok.GenericDevice].

    Examples:
        >>> type(device_from_wire({"dev": "wd", "circuit": "1_01", "value": 0})).__name__
        'Watchdog'
    """
    if type(data) is not dict:
        raise ProtocolError(f"a device object must be a JSON object, not {type(data).__name__}", frame=repr(data))
    dev = data.get("dev")
    cls = _REGISTRY.get(dev, GenericDevice) if type(dev) is str else GenericDevice
    return cls._decode(cls, data)  # type: ignore[no-any-return]


def _same(x: Any, y: Any) -> bool:
    """``x == y``, except that a NaN equals a NaN (at any depth)."""
    if x is y:
        return True
    if type(x) is float and type(y) is float:
        return x == y or (x != x and y != y)
    if isinstance(x, Mapping) and isinstance(y, Mapping):
        return x.keys() == y.keys() and all(_same(v, y[k]) for k, v in x.items())
    if isinstance(x, (tuple, list)) and isinstance(y, (tuple, list)):
        return type(x) is type(y) and len(x) == len(y) and all(map(_same, x, y))
    cls = type(x)
    if isinstance(x, msgspec.Struct) and type(y) is cls:
        return all(_same(getattr(x, name), getattr(y, name)) for name in cls.__struct_fields__)
    return bool(x == y)


def same_state(a: Device | None, b: Device | None) -> bool:
    """Whether two device states are equal, a NaN value being equal to a NaN.

    EVOK sends a value it cannot read as the bare JSON token ``NaN``; since
    ``nan != nan``, plain ``==`` would call every repeat of it a change.

    Examples:
        >>> a = AnalogInput(dev="ai", circuit="1_01", value=float("nan"))
        >>> b = AnalogInput(dev="ai", circuit="1_01", value=float("nan"))
        >>> a == b, same_state(a, b)
        (False, True)
        >>> same_state(a, AnalogInput(dev="ai", circuit="1_01", value=1.0)), same_state(a, None)
        (False, False)
    """
    if a is None or b is None:
        return a is b
    return a == b or (type(a) is type(b) and _same(a, b))


class State(Mapping[tuple[str, str], Device]):
    """The state cache: the latest [`Device`][iotws.evok.Device] per ``(dev, circuit)``.

    Updated by the client's reader as events arrive; safe to read from any thread
    (reads see a consistent dict; iterate [`snapshot`][iotws.evok.State.snapshot] for a frozen copy).

    ``partial`` is true while the last ``all`` reply was incomplete (EVOK's
    ``all_filtered`` option): then the cache lacks the types that reply left out,
    and holds devices EVOK may no longer have.

    Examples:
        >>> s = State()
        >>> s.update([Relay(dev="ro", circuit="1_01", value=1, alias="lamp")])
        [None]
        >>> s["ro", "1_01"].value, s.find("lamp").circuit, len(s), s.partial
        (1, '1_01', 1, False)
    """

    def __init__(self) -> None:
        self._devices: dict[tuple[str, str], Device] = {}
        self.partial = False
        """Whether the last snapshot (``all`` reply) left devices out."""

    def __getitem__(self, key: tuple[str, str]) -> Device:
        return self._devices[key]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        return len(self._devices)

    def __repr__(self) -> str:
        return f"<State {len(self)} devices>"

    def update(self, devices: list[Device]) -> list[Device | None]:
        """Upsert ``devices``; return each one's previous state (``None`` if new)."""
        cache = self._devices
        if len(devices) == 1:  # the usual event
            device = devices[0]
            key = (device.dev, device.circuit)
            before = cache.get(key)
            cache[key] = device
            return [before]
        previous = []
        for d in devices:
            key = (d.dev, d.circuit)
            previous.append(cache.get(key))
            cache[key] = d  # one dict store: atomic for readers in other threads
        return previous

    def _resync(
        self, devices: list[Device], *, full: bool
    ) -> tuple[dict[tuple[str, str], Device], list[Device | None], list[Device]]:
        """Upsert the devices of a snapshot; with ``full``, drop every device it does not list.

        Returns the snapshot by key, each device's previous state (as [`update`][iotws.evok.State.update])
        and the dropped devices (as [`retain`][iotws.evok.State.retain]).
        """
        cache = self._devices
        listed = {(device.dev, device.circuit): device for device in devices}
        if len(listed) == len(devices):
            previous: list[Device | None] = list(map(cache.get, listed))
            cache.update(listed)  # one dict operation: atomic for readers in other threads
        else:  # a device listed twice: the second one's previous state is the first one
            previous = self.update(devices)
        if not full or len(cache) == len(listed):
            return listed, previous, []
        return listed, previous, self.retain(listed)

    def retain(self, keys: Collection[tuple[str, str]]) -> list[Device]:
        """Drop every device whose ``(dev, circuit)`` is not in ``keys``; return the dropped ones.

        Examples:
            >>> s = State(); _ = s.update([Led(dev="led", circuit="1_01"), Led(dev="led", circuit="1_02")])
            >>> [d.circuit for d in s.retain({("led", "1_01")})], list(s)
            (['1_02'], [('led', '1_01')])
        """
        cache = self._devices
        gone = [device for key, device in list(cache.items()) if key not in keys]
        for device in gone:
            cache.pop(device.key, None)  # one dict operation each: atomic for readers
        return gone

    def snapshot(self) -> dict[tuple[str, str], Device]:
        """A copy of the whole cache."""
        return self._devices.copy()

    def device(self, dev: str, circuit: str) -> Device | None:
        """The device of type ``dev`` (any of its names) and ``circuit`` (or alias), if known.

        Examples:
            >>> s = State(); _ = s.update([Relay(dev="ro", circuit="1_01", value=0)])
            >>> s.device("relay", "1_01").value
            0
        """
        kind = emitted_name(dev)
        found = self._devices.get((kind, circuit))
        if found is not None:
            return found
        for d in self.snapshot().values():
            if d.kind == kind and circuit in (d.circuit, d.alias):
                return d
        return None

    def find(self, name: str) -> Device | None:
        """The first device whose circuit or alias is ``name``."""
        for d in self.snapshot().values():
            if name in (d.circuit, d.alias):
                return d
        return None

    def of_type(self, dev: str) -> list[Device]:
        """Every known device of one type (any of its names), sorted by circuit.

        Examples:
            >>> s = State(); _ = s.update([Led(dev="led", circuit="1_02"), Led(dev="led", circuit="1_01")])
            >>> [d.circuit for d in s.of_type("led")]
            ['1_01', '1_02']
        """
        kind = emitted_name(dev)
        return sorted((d for d in self.snapshot().values() if d.kind == kind), key=lambda d: d.circuit)

    def register_value(
        self, dev_name: str, address: int, dtype: DataType = DataType.FLOAT, *, layout: Layout = Layout.CDAB
    ) -> Value:
        """Decode a value spread over consecutive holding registers ``<dev_name>_<address>...``.

        EVOK boards keep 32-bit values low word first (``Layout.CDAB``). Raises
        ``UsageError`` when a register is unknown or has no value yet.

        Examples:
            >>> s = State()
            >>> _ = s.update([Register(dev="register", circuit="1_100", value=0),
            ...               Register(dev="register", circuit="1_101", value=16256)])
            >>> s.register_value("1", 100)
            1.0
        """
        size = dtype.size or 2
        words: list[int] = []
        for offset in range(1 if dtype is DataType.BYTE else (size + 1) // 2):
            reg = self._devices.get(("register", f"{dev_name}_{address + offset}"))
            value = getattr(reg, "value", None)
            if not isinstance(value, int):
                raise UsageError(f"register {dev_name}_{address + offset} is unknown or has no value yet")
            words.append(value)
        return from_registers(dtype, words, layout=layout)
