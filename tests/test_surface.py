"""The public surface of every client is honest at run time (what ``help()``, IDEs and Jupyter show).

For every public method of every client class of the five protocols, both flavours:
it is a plain function (no descriptor returning an internal object), ``inspect.signature``
works, every name in its signature resolves, and its return annotation names public
types only; every I/O method of an asyncio client is a coroutine function; the sync
and asyncio clients of a pair have the same methods.
"""

from __future__ import annotations

import importlib
import inspect
import types
import typing
from collections.abc import Iterator

import pytest

from iotws import PROTOCOLS
from iotws.client import AsyncClientBase, SyncClientBase

#: Methods of an asyncio client that do no I/O, so they are plain functions on purpose.
NOT_IO = frozenset(
    {"on", "off", "events", "value", "handle", "command", "on_event", "off_event", "actuations", "on_actuation"}
)


def _client_classes() -> Iterator[type]:
    for protocol in PROTOCOLS:
        package = importlib.import_module(f"iotws.{protocol}")
        for name in package.__all__:
            value = getattr(package, name)
            if isinstance(value, type) and issubclass(value, SyncClientBase | AsyncClientBase):
                yield value


CLASSES = sorted(_client_classes(), key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def _public_names() -> frozenset[str]:
    """Every name exported by iotws or one of its protocol packages."""
    names = set(importlib.import_module("iotws").__all__)
    for protocol in PROTOCOLS:
        names |= set(importlib.import_module(f"iotws.{protocol}").__all__)
    return frozenset(names)


PUBLIC = _public_names()
STANDARD = ("builtins", "collections", "typing", "uuid", "datetime", "types", "ssl", "os", "pathlib", "enum")


def _methods(cls: type) -> dict[str, object]:
    found: dict[str, object] = {}
    for klass in reversed(cls.__mro__):
        for name, value in vars(klass).items():
            if not name.startswith("_") or name in ("__enter__", "__exit__", "__aenter__", "__aexit__"):
                found[name] = value
    return {name: value for name, value in found.items() if callable(value) or isinstance(value, property)}


def _named_types(annotation: object) -> Iterator[type]:
    """The classes an annotation names, through unions and generics."""
    if isinstance(annotation, type) and not isinstance(annotation, types.GenericAlias):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from _named_types(argument)
    origin = typing.get_origin(annotation)
    if isinstance(origin, type):
        yield origin


def _is_public(cls: type) -> bool:
    module = cls.__module__
    if module.split(".")[0] in STANDARD or module.startswith("_collections_abc"):
        return True
    if cls is type(None):
        return True
    return (module.startswith("iotws") and cls.__name__ in PUBLIC) or module.startswith(("aiohttp", "attrs"))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_every_public_method_is_a_real_function_with_public_types(cls: type) -> None:
    methods = _methods(cls)
    assert methods
    for name, member in methods.items():
        function = member.fget if isinstance(member, property) else member
        assert inspect.isfunction(function), f"{cls.__name__}.{name} is a {type(function).__name__}, not a function"
        assert function.__doc__, f"{cls.__name__}.{name} has no docstring"
        signature = inspect.signature(function)
        hints = typing.get_type_hints(function)
        if name not in ("__init__", "__exit__", "__aexit__"):
            assert "return" in hints, f"{cls.__name__}.{name} has no return annotation"
        for parameter in list(signature.parameters.values())[1:]:
            assert parameter.kind is parameter.VAR_POSITIONAL or parameter.name in hints or (
                parameter.kind is parameter.VAR_KEYWORD and parameter.name in hints
            ), f"{cls.__name__}.{name}: parameter {parameter.name} has no annotation"
            assert hints.get(parameter.name) is not typing.Any, f"{cls.__name__}.{name}: {parameter.name} is Any"
        for named in _named_types(hints.get("return")):
            assert _is_public(named), f"{cls.__name__}.{name} returns {named.__module__}.{named.__qualname__}"


ASYNC_CLASSES = [cls for cls in CLASSES if issubclass(cls, AsyncClientBase)]


@pytest.mark.parametrize("cls", ASYNC_CLASSES, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_every_io_method_of_an_async_client_is_a_coroutine_function(cls: type) -> None:
    for name, member in _methods(cls).items():
        if isinstance(member, property) or name in NOT_IO or name == "__init__":
            continue
        assert inspect.iscoroutinefunction(member), f"{cls.__name__}.{name} is not a coroutine function"
        own = not hasattr(AsyncClientBase, name)
        takes_arguments = len(inspect.signature(member).parameters) > 1  # type: ignore[arg-type]
        if own and takes_arguments:  # a protocol's command: its arguments are checked before it sends
            assert hasattr(member, "__wrapped__"), f"{cls.__name__}.{name} does not check its arguments (@checked)"


def _sync_twin(cls: type) -> type:
    package = importlib.import_module(cls.__module__.rsplit(".", 1)[0])
    return typing.cast(type, getattr(package, cls.__name__.removeprefix("Async")))


@pytest.mark.parametrize("cls", ASYNC_CLASSES, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_sync_and_async_clients_have_the_same_methods_and_parameters(cls: type) -> None:
    twin = _sync_twin(cls)
    flavour = {"__aenter__": "__enter__", "__aexit__": "__exit__"}
    async_methods = {flavour.get(name, name): member for name, member in _methods(cls).items()}
    sync_methods = _methods(twin)
    assert set(async_methods) == set(sync_methods)
    for name, member in async_methods.items():
        if isinstance(member, property) or name in ("__init__", "__enter__", "__exit__"):
            continue
        async_parameters = list(inspect.signature(member).parameters)  # type: ignore[arg-type]
        sync_parameters = list(inspect.signature(sync_methods[name]).parameters)  # type: ignore[arg-type]
        assert async_parameters == sync_parameters, f"{cls.__name__}.{name} and {twin.__name__}.{name} differ"


def test_every_protocol_exports_its_event_union_and_both_clients() -> None:
    for protocol in PROTOCOLS:
        package = importlib.import_module(f"iotws.{protocol}")
        assert "Event" in package.__all__, protocol
        members = typing.get_args(package.Event)
        for shared in ("Connected", "Disconnected", "Reconnected", "ProtocolViolation", "Stopped"):
            assert any(member.__name__ == shared for member in members), (protocol, shared)
        assert any(not member.__module__.startswith("iotws.events") for member in members), protocol
    assert {cls.__name__ for cls in CLASSES} >= {"Client", "AsyncClient"}
