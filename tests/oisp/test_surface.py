"""The public surface of the OISP clients: real methods, typed events and options, one source."""

from __future__ import annotations

import inspect
import subprocess
import sys
import typing
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

import iotws.oisp
from iotws.backoff import ReconnectPolicy
from iotws.errors import UsageError
from iotws.events import Connected, Disconnected, ProtocolViolation, Reconnected, Stopped
from iotws.oisp import (
    Actuation,
    AsyncClient,
    Client,
    Event,
    InvalidTokenError,
    OispSimulator,
    Pong,
    Registered,
    ServerError,
    UnknownMessage,
)
from iotws.oisp.protocol import SUBPROTOCOL, OispCore, apply_device_defaults, default_reconnect_policy
from iotws.options import AsyncConnectOptionsDict, ConnectOptionsDict
from iotws.testing import resolve

ROOT = Path(__file__).resolve().parents[2]
URL = "ws://127.0.0.1:9/"


def public_methods(cls: type) -> dict[str, Any]:
    """The public functions of ``cls`` (its own and its bases'), by name."""
    found = {}
    for name in dir(cls):
        if name.startswith("_"):
            continue
        attr = inspect.getattr_static(cls, name)
        if inspect.isfunction(attr):
            found[name] = attr
    return found


def classes_in(hint: Any) -> Iterator[type]:
    """The classes a type hint names, at any depth (``dict[str, Pong | None]`` -> dict, str, Pong, NoneType)."""
    if isinstance(hint, type) and not typing.get_args(hint):
        yield hint
    origin = typing.get_origin(hint)
    if isinstance(origin, type):
        yield origin
    for argument in typing.get_args(hint):
        if isinstance(argument, list):  # Callable[[A, B], R]
            for item in argument:
                yield from classes_in(item)
        else:
            yield from classes_in(argument)


def test_both_clients_have_the_same_public_names() -> None:
    names = {name for name in dir(Client) if not name.startswith("_")}
    assert names == {name for name in dir(AsyncClient) if not name.startswith("_")}
    assert {"ping", "actuations", "on_actuation", "device_id", "connect", "close", "events"} <= names


@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_every_public_method_is_a_real_function_with_public_types(cls: type) -> None:
    methods = public_methods(cls)
    assert {"ping", "actuations", "on_actuation", "connect", "close", "events", "next_event", "on"} <= set(methods)
    for name, method in methods.items():
        signature = inspect.signature(method)
        hints = typing.get_type_hints(method)
        assert "return" in hints, f"{cls.__name__}.{name} has no return annotation"
        assert signature.return_annotation is not inspect.Signature.empty
        assert method.__doc__, f"{cls.__name__}.{name} has no docstring"
        for hint in hints.values():
            for named in classes_in(hint):
                if named is type(None):
                    continue
                assert not named.__name__.startswith("_"), f"{cls.__name__}.{name} shows {named!r}"
                home = sys.modules[named.__module__]
                assert getattr(home, named.__qualname__, None) is named, f"{named!r} is not public where it lives"
                assert named.__module__ != "iotws.commands", f"{cls.__name__}.{name} shows an internal {named!r}"


def test_async_methods_are_coroutine_functions_and_sync_ones_are_not() -> None:
    for name in ("ping", "connect", "close", "next_event"):
        assert inspect.iscoroutinefunction(getattr(AsyncClient, name)), name
        assert not inspect.iscoroutinefunction(getattr(Client, name)), name
    assert typing.get_type_hints(AsyncClient.ping)["return"] is Pong
    assert typing.get_type_hints(Client.ping)["return"] is Pong
    assert typing.get_type_hints(AsyncClient.actuations)["return"] == AsyncIterator[Actuation]
    assert typing.get_type_hints(Client.actuations)["return"] == Iterator[Actuation]


def test_signatures_show_the_device_parameters_and_typed_options() -> None:
    for cls in (Client, AsyncClient):
        parameters = inspect.signature(cls).parameters
        assert list(parameters)[:3] == ["url", "device_id", "token"]
        assert parameters["grace"].default == 1.5 and parameters["grace"].kind is inspect.Parameter.KEYWORD_ONLY
        assert parameters["options"].kind is inspect.Parameter.VAR_KEYWORD
    unpacked = {
        cls: typing.get_args(inspect.signature(cls).parameters["options"].annotation) for cls in (Client, AsyncClient)
    }
    assert unpacked == {Client: (ConnectOptionsDict,), AsyncClient: (AsyncConnectOptionsDict,)}


def test_the_event_union_is_every_event_a_client_yields() -> None:
    members = set(typing.get_args(Event))
    assert members == {
        Actuation, Pong, Registered, ServerError, UnknownMessage,
        Connected, Disconnected, Reconnected, ProtocolViolation, Stopped,
    }
    assert "Event" in iotws.oisp.__all__ and iotws.oisp.Event is Event


def test_the_sync_client_is_generated_from_the_async_one() -> None:
    done = subprocess.run(
        [sys.executable, "scripts/unasync.py", "--check", "oisp"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (ROOT / "oisp/client.py").read_text(encoding="utf-8").startswith("# Generated by scripts/unasync.py")


def test_a_sync_program_loads_neither_the_asyncio_client_nor_asyncio() -> None:
    code = (
        "import sys\n"
        "from iotws.oisp import Client, Event\n"
        "Client('ws://127.0.0.1:9/', 'dev-1', 'token', app_ping_interval=5)\n"
        "assert 'iotws.oisp.async_client' not in sys.modules, 'async_client loaded'\n"
        "assert 'iotws.oisp.gateway' not in sys.modules, 'gateway loaded'\n"
        "from iotws.oisp import AsyncClient\n"
        "assert AsyncClient.__module__ == 'iotws.oisp.async_client'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


# -- options ----------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_oisp_defaults_and_typed_options(cls: Any) -> None:
    client = cls(URL, "dev-1", "t")
    assert client.options.subprotocols == (SUBPROTOCOL,)
    assert client.options.connect_timeout == 11.5  # grace 1.5 + 10
    policy = client.options.reconnect
    assert policy is not None and (policy.initial_delay, policy.max_delay, policy.jitter) == (2.5, 600.0, 0.5)
    assert not policy.retry_on(InvalidTokenError("rejected")) and policy.retry_on(ConnectionResetError())
    assert cls(URL, "dev-1", "t", reconnect=None).options.reconnect is None
    kept = cls(URL, "dev-1", "t", subprotocols=("chat", SUBPROTOCOL), connect_timeout=3.0).options
    assert kept.subprotocols == ("chat", SUBPROTOCOL) and kept.connect_timeout == 3.0


@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_a_misspelt_option_names_the_close_matches_among_the_device_keywords(cls: Any) -> None:
    with pytest.raises(UsageError, match=r"grase.*grace"):
        cls(URL, "dev-1", "t", grase=0.2)
    with pytest.raises(UsageError, match=r"request_timout.*request_timeout"):
        cls(URL, "dev-1", "t", request_timout=5)


@pytest.mark.parametrize(
    ("option", "value"),
    [("connect_timeout", None), ("connect_timeout", "10"), ("subprotocols", "chat"), ("reconnect", "yes")],
)
def test_options_of_the_wrong_type_are_refused_by_the_shared_checks(option: str, value: Any) -> None:
    for cls in (Client, AsyncClient):
        with pytest.raises(UsageError, match=option.rstrip("s")):
            cls(URL, "dev-1", "t", **{option: value})


def test_apply_device_defaults_keeps_the_callers_retry_rule() -> None:
    refused: list[BaseException] = []

    def retry_on(error: BaseException) -> bool:
        refused.append(error)
        return False

    options: ConnectOptionsDict = {"reconnect": ReconnectPolicy(retry_on=retry_on)}
    apply_device_defaults(OispCore("d", "t"), options)
    policy = options["reconnect"]
    assert policy is not None and not policy.retry_on(ConnectionResetError()) and len(refused) == 1
    assert default_reconnect_policy().retry_on(ConnectionResetError())
    assert not policy.retry_on(InvalidTokenError("rejected")) and len(refused) == 1  # OISP's own rule first


# -- argument errors ---------------------------------------------------------------------------
async def test_a_bad_ping_timeout_is_raised_at_the_call_or_at_the_await(
    flavour: str, oisp_simulator: OispSimulator
) -> None:
    token = oisp_simulator.issue_token("dev-1", "acc-1")
    if flavour == "sync":
        with Client(oisp_simulator.url(), "dev-1", token, grace=0.1) as dev:
            with pytest.raises(UsageError, match="ping: timeout"):
                dev.ping(timeout=-1)
            assert dev.ping(timeout=5) == Pong("PONG")
        return
    async with AsyncClient(oisp_simulator.url(), "dev-1", token, grace=0.1) as adev:
        pending = adev.ping(timeout=-1)  # a coroutine: nothing runs before it is awaited
        assert inspect.iscoroutine(pending)
        with pytest.raises(UsageError, match="ping: timeout"):
            await pending
        assert await resolve(adev.ping(timeout=5)) == Pong("PONG")


@pytest.mark.parametrize("cls", [Client, AsyncClient])
def test_actuations_checks_its_timeout_at_the_call(cls: Any) -> None:
    with pytest.raises(UsageError, match="timeout"):
        cls(URL, "dev-1", "t").actuations(timeout=-1)


def test_repr_names_the_class_and_the_device_but_never_the_token() -> None:
    assert repr(Client(URL, "dev-1", "eyJ.secret.sig")) == "<Client ws://127.0.0.1:9/ device_id='dev-1' not connected>"
    shown = repr(AsyncClient(URL, "dev-1", "eyJ.secret.sig"))
    assert shown.startswith("<AsyncClient ") and "secret" not in shown
