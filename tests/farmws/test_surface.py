"""The public surface of the farmws clients at run time: real methods, honest signatures.

Every public method of the eight clients is a plain function (no descriptor that
builds an internal object), ``inspect.signature`` reads it, its return annotation
names a public type, the sync and async twins take the same parameters, and every
async method that talks to the server is a coroutine function. The sync client is
generated from the async source: it must not drift from it.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import types
import typing
from pathlib import Path
from typing import Any

import pytest

from iotws.commands import Command
from iotws.errors import UsageError
from iotws.farmws import (
    AsyncClient,
    AsyncControllerClient,
    AsyncDashboardClient,
    AsyncDeviceClient,
    AsyncLiveClient,
    Client,
    ControllerClient,
    ControllerEvent,
    DashboardClient,
    DashboardEvent,
    DeviceClient,
    DeviceCommand,
    DeviceEvent,
    Event,
    LiveClient,
    LiveEvent,
    Snapshot,
    Temperature,
)

ROOT = Path(__file__).resolve().parents[2]

PAIRS = [
    (ControllerClient, AsyncControllerClient),
    (DashboardClient, AsyncDashboardClient),
    (DeviceClient, AsyncDeviceClient),
    (LiveClient, AsyncLiveClient),
]

#: The methods that talk to the server: coroutine functions on the async clients.
SENDING = {
    ControllerClient: {
        "emit", "send", "temperature", "humidity", "soil_moisture",
        "irrigation_started", "irrigation_stopped", "sensor_disconnected",
    },
    DashboardClient: {"emit", "send"},
    DeviceClient: {"register_sensors", "sensor_update", "sensor_status", "reply", "send"},
    LiveClient: set(),
}
LIFECYCLE = {"connect", "close", "next_event"}
#: Plain methods on both flavours (they register callbacks or read state).
PLAIN = {
    ControllerClient: {"on", "off", "events"},
    DashboardClient: {"on", "off", "events", "on_event", "off_event"},
    DeviceClient: {"on", "off", "events", "handle", "command"},
    LiveClient: {"on", "off", "events"},
}


def public_methods(cls: type) -> dict[str, Any]:
    found = {}
    for name in dir(cls):
        if name.startswith("_"):
            continue
        attr = inspect.getattr_static(cls, name)
        if callable(attr):
            found[name] = attr
    return found


def _ids(pair: tuple[type, type]) -> str:
    return pair[0].__name__


@pytest.mark.parametrize("pair", PAIRS, ids=_ids)
def test_the_methods_are_the_ones_expected_and_the_same_on_both_flavours(pair: tuple[type, type]) -> None:
    sync_cls, async_cls = pair
    expected = SENDING[sync_cls] | LIFECYCLE | PLAIN[sync_cls]
    assert set(public_methods(sync_cls)) == expected
    assert set(public_methods(async_cls)) == expected


@pytest.mark.parametrize("pair", PAIRS, ids=_ids)
def test_every_method_is_a_real_function_with_its_signature(pair: tuple[type, type]) -> None:
    for cls in pair:
        for name, attr in public_methods(cls).items():
            assert isinstance(attr, types.FunctionType), f"{cls.__name__}.{name} is a {type(attr).__name__}"
            method = getattr(cls, name)
            signature = inspect.signature(method, eval_str=True)
            assert signature.return_annotation is not inspect.Signature.empty, f"{cls.__name__}.{name}"
            assert method.__doc__, f"{cls.__name__}.{name} has no docstring"


def _names_in(annotation: Any) -> list[Any]:
    """The classes an annotation names (``Callable[[H], H]`` -> its bound, ``X | None`` -> X, None)."""
    if isinstance(annotation, typing.TypeVar):
        return _names_in(annotation.__bound__) if annotation.__bound__ is not None else []
    origin = typing.get_origin(annotation)
    if origin is not None:
        return [item for arg in typing.get_args(annotation) for item in _names_in(arg)]
    if isinstance(annotation, list):
        return [item for arg in annotation for item in _names_in(arg)]
    return [annotation]


@pytest.mark.parametrize("pair", PAIRS, ids=_ids)
def test_return_annotations_name_public_types(pair: tuple[type, type]) -> None:
    for cls in pair:
        for name in public_methods(cls):
            annotation = inspect.signature(getattr(cls, name), eval_str=True).return_annotation
            for named in _names_in(annotation):
                if named is None or named is type(None) or named is typing.Self or named is typing.Any:
                    continue
                assert isinstance(named, type), f"{cls.__name__}.{name} -> {annotation!r}"
                assert not named.__name__.startswith("_"), f"{cls.__name__}.{name} -> {annotation!r}"
                assert not issubclass(named, Command), f"{cls.__name__}.{name} returns a command object"


@pytest.mark.parametrize("pair", PAIRS, ids=_ids)
def test_async_methods_are_coroutine_functions_and_sync_ones_are_not(pair: tuple[type, type]) -> None:
    sync_cls, async_cls = pair
    for name in SENDING[sync_cls] | LIFECYCLE:
        assert inspect.iscoroutinefunction(getattr(async_cls, name)), f"{async_cls.__name__}.{name}"
        assert not inspect.iscoroutinefunction(getattr(sync_cls, name)), f"{sync_cls.__name__}.{name}"
    for name in PLAIN[sync_cls]:
        assert not inspect.iscoroutinefunction(getattr(async_cls, name)), f"{async_cls.__name__}.{name}"


@pytest.mark.parametrize("pair", PAIRS, ids=_ids)
def test_sync_and_async_twins_take_the_same_parameters(pair: tuple[type, type]) -> None:
    sync_cls, async_cls = pair
    for name in SENDING[sync_cls] | PLAIN[sync_cls] | {"__init__"}:
        sync_parameters = inspect.signature(getattr(sync_cls, name), eval_str=True).parameters
        async_parameters = dict(inspect.signature(getattr(async_cls, name), eval_str=True).parameters)
        assert list(sync_parameters) == list(async_parameters), f"{name}"
        for key, parameter in sync_parameters.items():
            if key == "options":  # Unpack[ConnectOptionsDict] / Unpack[AsyncConnectOptionsDict] (+ session)
                continue
            assert parameter == async_parameters[key], f"{sync_cls.__name__}.{name}({key})"


@pytest.mark.parametrize("pair", PAIRS, ids=_ids)
def test_constructors_take_typed_options_not_any(pair: tuple[type, type]) -> None:
    for cls in pair:
        options = inspect.signature(cls, eval_str=True).parameters["options"]
        assert options.kind is options.VAR_KEYWORD
        assert typing.get_origin(options.annotation) is typing.Unpack, f"{cls.__name__}: {options.annotation!r}"


def test_the_default_clients_are_the_dialect_d_dashboards() -> None:
    assert Client is DashboardClient
    assert AsyncClient is AsyncDashboardClient


def test_each_client_kind_has_its_event_union() -> None:
    assert ControllerEvent == DashboardEvent  # both Dialect D clients read through EventCore
    assert set(typing.get_args(DashboardEvent)) < set(typing.get_args(DeviceEvent))
    assert set(typing.get_args(Event)) == set(typing.get_args(DeviceEvent)) | set(typing.get_args(LiveEvent))
    assert isinstance(Temperature(), DashboardEvent) and not isinstance(Temperature(), LiveEvent)
    assert isinstance(Snapshot(), LiveEvent) and not isinstance(Snapshot(), DeviceEvent)
    assert isinstance(DeviceCommand("irrigation start"), DeviceEvent)


async def test_async_argument_errors_surface_at_await_sync_ones_at_the_call() -> None:
    ctl = AsyncControllerClient("ws://127.0.0.1:9/")
    call = ctl.temperature(None)  # type: ignore[arg-type]
    assert inspect.iscoroutine(call)
    with pytest.raises(UsageError, match="temperature: record"):
        await call
    call = AsyncDeviceClient("ws://127.0.0.1:9/", name="E").sensor_update({"": 1})
    with pytest.raises(UsageError, match="sensor_update: a sensor id"):
        await call
    with pytest.raises(UsageError, match="temperature: record"):
        ControllerClient("ws://127.0.0.1:9/").temperature(None)  # type: ignore[arg-type]


def test_handlers_are_checked_when_registered() -> None:
    for cls in (DeviceClient, AsyncDeviceClient):
        device = cls("ws://127.0.0.1:9/", name="E")
        with pytest.raises(UsageError, match="handle: handler"):
            device.handle("irrigation", "not a function")  # type: ignore[arg-type]
        with pytest.raises(UsageError, match="handle: pattern"):
            device.handle(7, lambda command: True)  # type: ignore[arg-type]
        assert device.core.handlers == {}


def test_the_generated_client_is_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, "scripts/unasync.py", "--check", "farmws"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
