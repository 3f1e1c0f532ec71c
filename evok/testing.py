"""Hypothesis strategies for EVOK messages, public for users' own property tests.

* [`device_objects`][iotws.evok.testing.device_objects]: JSON objects (dicts) of devices as EVOK v3 emits them;
* [`devices`][iotws.evok.testing.devices]: the same, as typed [`Device`][iotws.evok.Device] models;
* [`frames`][iotws.evok.testing.frames]: whole frames as EVOK sends them (a JSON array, or a bare object);
* [`filters`][iotws.evok.testing.filters]: lists of device type names the client accepts for a filter.

Examples:
    >>> from hypothesis import given
    >>> @given(devices())
    ... def test_round_trip(device):
    ...     assert device_from_wire(device.to_wire()) == device
    >>> test_round_trip()
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from hypothesis import strategies as st

from iotws.evok.models import ALT_NAMES, device_from_wire

__all__ = ["device_objects", "devices", "filters", "frames"]

_S = st.SearchStrategy[Any]

_circuit = st.from_regex(r"[0-9A-Za-z]{1,4}_[0-9]{2}", fullmatch=True)
_bit = st.integers(0, 1)
_num = st.one_of(st.integers(-(2**31), 2**31), st.floats(allow_nan=False, allow_infinity=False, width=32))
_name = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)
_names = st.lists(_name, max_size=4, unique=True)
_range = st.tuples(_num, _num).map(list)
_mode = st.fixed_dictionaries(
    {}, optional={"value": st.integers(0, 9), "unit": st.sampled_from(["V", "mA", "Ohm"]), "range": _range}
)
_modes = st.dictionaries(_name, _mode, max_size=4)

#: The typed fields of each v3 ``dev``: name -> strategy of its JSON value.
_FIELDS: Mapping[str, Mapping[str, _S]] = {
    "ro": {"value": _bit},
    "do": {
        "value": _bit,
        "pending": st.booleans(),
        "mode": st.sampled_from(["Simple", "PWM"]),
        "modes": st.just(["Simple", "PWM"]),
        "pwm_freq": _num,
        "pwm_duty": st.integers(0, 100),
    },
    "di": {
        "value": _bit,
        "debounce": st.integers(0, 65535),
        "counter": st.integers(0, 2**32 - 1),
        "counter_mode": st.sampled_from(["Enabled", "Disabled"]),
        "counter_modes": st.just(["Enabled", "Disabled"]),
        "mode": st.sampled_from(["Simple", "DirectSwitch"]),
        "modes": st.just(["Simple", "DirectSwitch"]),
        "ds_mode": st.sampled_from(["Simple", "Inverted", "Toggle"]),
    },
    "ai": {"value": _num, "unit": st.sampled_from(["V", "mA"]), "mode": _name, "modes": _modes, "range": _range},
    "ao": {"value": _num, "unit": st.just("V"), "mode": _name, "modes": _modes, "range": _range},
    "led": {"value": _bit},
    "wd": {"value": _bit, "timeout": st.integers(0, 65535), "was_wd_reset": _bit, "nv_save": _bit},
    "register": {"value": st.integers(0, 65535)},
    "data_point": {
        "value": st.one_of(_num, st.just("NaN")),
        "name": _name,
        "unit": _name,
        "valid": st.booleans(),
    },
    "temp": {
        "address": _name,
        "value": _num,
        "lost": st.booleans(),
        "time": _num,
        "interval": st.integers(1, 3600),
        "type": st.sampled_from(["DS18B20", "DS18S20"]),
    },
    "1wdevice": {"humidity": _num, "vdd": _num, "temp": _num, "lost": st.booleans(), "type": st.just("DS2438")},
    "owbus": {"bus": st.just("OWFS"), "scan_interval": st.integers(0, 999), "do_scan": st.booleans()},
    "owpower": {"value": _bit},
    "nv_save": {"value": _bit},
    "modbus_slave": {
        "last_comm": _num,
        "slave_id": st.integers(0, 247),
        "modbus_type": st.sampled_from(["TCP", "RTU"]),
    },
    "device_info": {"family": _name, "model": _name, "sn": st.integers(0, 2**31), "board_count": st.integers(0, 9)},
    "run": {
        "save": st.booleans(),
        "aliases": st.dictionaries(
            _name, st.fixed_dictionaries({"circuit": _name, "devtype": st.sampled_from(["ro", "di"])}), max_size=3
        ),
    },
}


def device_objects(dev: str | None = None, *, unknown_fields: bool = True) -> _S:
    """JSON objects of devices as EVOK v3 emits them (every field optional, sometimes ``null``; extra fields too).

    Examples:
        >>> obj = device_objects("ro").example()
        >>> obj["dev"]
        'ro'
    """
    kinds = [dev] if dev is not None else sorted(_FIELDS)

    def build(kind: str) -> _S:
        base = {"dev": st.just(kind), "circuit": _circuit}
        # EVOK sends null for what it has not read yet: about one field in four here
        nullable = {name: st.one_of(s, s, s, st.none()) for name, s in _FIELDS[kind].items()}
        optional: dict[str, _S] = {**nullable, "alias": _name}
        obj = st.fixed_dictionaries(base, optional=optional)
        if not unknown_fields:
            return obj
        extra = st.dictionaries(
            st.sampled_from(["glob_dev_id", "relay_type", "x_vendor"]), st.integers(0, 9), max_size=2
        )
        return st.tuples(obj, extra).map(lambda pair: {**pair[1], **pair[0]})

    return st.sampled_from(kinds).flatmap(build)


def devices(dev: str | None = None) -> _S:
    """Typed [`Device`][iotws.evok.Device] models built from [`device_objects`][iotws.evok.testing.device_objects].

    Examples:
        >>> from iotws.evok.models import Device
        >>> isinstance(devices("led").example(), Device)
        True
    """
    return device_objects(dev).map(device_from_wire)


def frames(dev: str | None = None) -> _S:
    """EVOK frames: a JSON array of device objects, or (as for 1-Wire events) a bare object.

    Examples:
        >>> import json
        >>> isinstance(json.loads(frames().example()), (list, dict))
        True
    """
    dumps: Callable[[Any], str] = json.dumps
    return st.one_of(
        st.lists(device_objects(dev), min_size=1, max_size=5).map(dumps),
        device_objects(dev).map(dumps),
    )


def filters() -> _S:
    """Lists of device type names a client filter accepts (emitted and friendly names).

    Examples:
        >>> from iotws.evok.protocol import normalize_filter
        >>> isinstance(normalize_filter(filters().example()), list)
        True
    """
    names = ["ro", "do", "di", "ai", "ao", "led", "wd", "temp", "data_point"]
    names += [alt for alt, dev in ALT_NAMES.items() if dev in names]
    return st.lists(st.sampled_from(sorted(names)), max_size=6)
