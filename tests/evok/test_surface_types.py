"""The confirmed result types the client overloads declare hold for every device EVOK can send.

The overloads of a confirmable helper promise a model class (``set_led(...,
confirm=True) -> Led``); the core confirms with any device of that type
(``device.kind``). This pins the two together, so a new model class (or a new
``kind``) cannot make the declared types lie.
"""

from __future__ import annotations

import typing
from collections.abc import Iterator

import pytest

from iotws.evok.client import EvokCommands
from iotws.evok.models import Device, device_from_wire

#: Confirmable helper -> the device type (``kind``) whose state confirms it.
HELPERS = {
    "set_relay": "ro",
    "set_output": "do",
    "set_pwm": "do",
    "set_analog_output": "ao",
    "set_analog_input_mode": "ai",
    "set_led": "led",
    "set_watchdog": "wd",
    "reset_counter": "di",
}


def _classes(cls: type[Device]) -> Iterator[type[Device]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _classes(sub)


def _every_device() -> list[Device]:
    """One device per ``dev`` string a model claims (both v2 relay flavours), plus an unknown one."""
    devs = {dev for cls in _classes(Device) for dev in cls.devs} | {"uart"}
    return [
        device_from_wire({"dev": dev, "circuit": "1_01", **extra})
        for dev in sorted(devs)
        for extra in ({}, {"relay_type": "physical"}, {"relay_type": "digital"})
    ]


def _declared(name: str) -> typing.Any:
    """The return type of the helper's sync ``confirm=True`` overload."""
    sync_confirmed = typing.get_overloads(getattr(EvokCommands, name))[0]
    hints = typing.get_type_hints(sync_confirmed)
    assert hints["confirm"] == typing.Literal[True]
    return hints["return"]


@pytest.mark.parametrize(("name", "kind"), HELPERS.items())
def test_a_confirmed_helper_returns_the_declared_class(name: str, kind: str) -> None:
    declared = _declared(name)
    confirming = [device for device in _every_device() if device.kind == kind]
    assert confirming, f"no model has kind {kind!r}"
    wrong = [type(device).__name__ for device in confirming if not isinstance(device, declared)]
    assert wrong == [], f"{name} declares {declared} but {kind!r} states can be {wrong}"


def test_every_confirmable_helper_is_pinned() -> None:
    confirmable = {
        name
        for name in dir(EvokCommands)
        if not name.startswith("_") and len(typing.get_overloads(getattr(EvokCommands, name))) == 6
    }
    assert confirmable == {*HELPERS, "set"}
    assert _declared("set") is Device
