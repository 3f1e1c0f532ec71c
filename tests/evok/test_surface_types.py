"""The public surface of both EVOK clients: real methods, and return types that hold at run time.

Every setter returns a model class (``set_led -> Led``); the core confirms with any
device of that type (``device.kind``). The first tests pin the two together, so a new
model class (or a new ``kind``) cannot make the declared types lie; the others check
that each method is a real function with its own signature (a coroutine function on
``AsyncClient``), and that the sync client has the async one's methods, no more.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Iterator

import pytest

from iotws.evok import AsyncClient, Client
from iotws.evok.models import Device, device_from_wire

#: Setter -> the device type (``kind``) whose state confirms it.
SETTERS = {
    "set_relay": "ro",
    "set_output": "do",
    "set_pwm": "do",
    "set_analog_output": "ao",
    "set_analog_input_mode": "ai",
    "set_led": "led",
    "set_watchdog": "wd",
    "reset_counter": "di",
}
#: The methods that return once written.
UNCONFIRMED = {"send", "reset_watchdog", "set_debounce", "set_alias", "set_filter"}


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


def _returns(cls: type[object], name: str) -> typing.Any:
    return typing.get_type_hints(getattr(cls, name))["return"]


def _own_methods(cls: type[object]) -> set[str]:
    base = cls.__mro__[1]
    return {name for name in dir(cls) if not name.startswith("_") and not hasattr(base, name)}


@pytest.mark.parametrize("cls", [Client, AsyncClient])
@pytest.mark.parametrize(("name", "kind"), SETTERS.items())
def test_a_setter_returns_the_declared_class(cls: type[object], name: str, kind: str) -> None:
    declared = _returns(cls, name)
    confirming = [device for device in _every_device() if device.kind == kind]
    assert confirming, f"no model has kind {kind!r}"
    wrong = [type(device).__name__ for device in confirming if not isinstance(device, declared)]
    assert wrong == [], f"{name} declares {declared} but {kind!r} states can be {wrong}"


@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_every_setter_is_pinned_and_the_rest_return_none(cls: type[object]) -> None:
    def returns_a_device(name: str) -> bool:
        declared = _returns(cls, name)
        members = typing.get_args(declared) or (declared,)
        return all(isinstance(m, type) and issubclass(m, Device) for m in members)

    methods = {name for name in _own_methods(cls) if inspect.isfunction(getattr(cls, name))}
    assert {name for name in methods if returns_a_device(name)} == {*SETTERS, "set"}
    assert _returns(cls, "set") is Device
    assert {name for name in methods if _returns(cls, name) is type(None)} == UNCONFIRMED
    assert methods == {*SETTERS, *UNCONFIRMED, "set", "refresh"}


def test_both_clients_have_the_same_methods_and_signatures() -> None:
    assert _own_methods(Client) == _own_methods(AsyncClient)
    for name in _own_methods(Client):
        sync, coro = getattr(Client, name), getattr(AsyncClient, name)
        if isinstance(inspect.getattr_static(Client, name), property):
            continue
        assert inspect.isfunction(sync) and not inspect.iscoroutinefunction(sync), name
        assert inspect.iscoroutinefunction(coro), name
        assert inspect.signature(sync, eval_str=True) == inspect.signature(coro, eval_str=True), name
        assert sync.__doc__ and "Examples:" in sync.__doc__, name


def test_setters_take_one_wait_and_no_confirm_switch() -> None:
    for name in [*SETTERS, "set"]:
        parameters = inspect.signature(Client.__dict__[name]).parameters
        assert "confirm" not in parameters and "confirm_timeout" not in parameters, name
        timeout = parameters["timeout"]
        assert timeout.kind is timeout.KEYWORD_ONLY and timeout.default is None, name
