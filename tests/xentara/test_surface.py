"""The public surface of both Xentara clients: real functions, real signatures, public types.

Every public method is a plain function (a coroutine function on the asyncio side) whose
signature and return annotation resolve to public types; the sync client is the one
``scripts/unasync.py`` writes from the asyncio source; enumerations print as names.
"""

from __future__ import annotations

import builtins
import collections.abc
import enum
import importlib.util
import inspect
import types
import typing
import uuid
from pathlib import Path
from typing import Any

import pytest

import iotws.errors
import iotws.xentara
from iotws.xentara import (
    AsyncClient,
    AsyncSubscription,
    Attribute,
    Client,
    ElementCategory,
    Quality,
    Stage,
    Subscription,
)
from iotws.xentara.models import WireEnum

ROOT = Path(__file__).resolve().parents[2]
PAIRS = [(Client, AsyncClient), (Subscription, AsyncSubscription)]


def public_methods(cls: type) -> list[str]:
    return sorted(
        name
        for name in dir(cls)
        if not name.startswith("_") and inspect.isfunction(inspect.getattr_static(cls, name, None))
    )


def named_types(annotation: Any) -> set[Any]:
    """The classes an annotation names (through unions and generics)."""
    origin = typing.get_origin(annotation)
    found: set[Any] = set()
    if origin is None:
        return {annotation}
    if origin not in (typing.Union, types.UnionType):
        found.add(origin)
    for argument in typing.get_args(annotation):
        found |= named_types(argument)
    return found


def is_public(kind: Any) -> bool:
    if kind is None or kind is type(None) or kind is Any or kind is typing.Self:
        return True
    if isinstance(kind, typing.TypeVar):  # the bases' EventT, bound to iotws.xentara.Event by the clients
        return True
    module = getattr(kind, "__module__", "")
    if module in ("builtins", "uuid", "datetime") or kind in vars(collections.abc).values():
        return True
    name = getattr(kind, "__name__", "")
    return getattr(iotws.xentara, name, None) is kind or getattr(iotws.errors, name, None) is kind


@pytest.mark.parametrize(("sync_cls", "async_cls"), PAIRS)
def test_every_method_is_a_real_function_with_public_types(sync_cls: type, async_cls: type) -> None:
    assert public_methods(sync_cls) == public_methods(async_cls)
    for name in public_methods(sync_cls):
        for cls in (sync_cls, async_cls):
            method = getattr(cls, name)
            signature = inspect.signature(method, eval_str=True)
            assert signature.return_annotation is not inspect.Signature.empty, f"{cls.__name__}.{name}"
            for kind in named_types(signature.return_annotation):
                assert is_public(kind), f"{cls.__name__}.{name} returns the non-public {kind!r}"
            for parameter in signature.parameters.values():
                if parameter.name != "self" and parameter.kind is not parameter.VAR_KEYWORD:
                    assert parameter.annotation is not inspect.Parameter.empty, f"{cls.__name__}.{name}"
            if name in vars(cls) and cls not in (Subscription, AsyncSubscription):  # the protocol's own methods
                assert method.__doc__ and "Examples" in method.__doc__, f"{cls.__name__}.{name}: no example"
        sync_method, async_method = getattr(sync_cls, name), getattr(async_cls, name)
        own = name in vars(async_cls) or name in getattr(async_cls, "__dict__", {})
        if own and inspect.iscoroutinefunction(async_method):
            assert not inspect.iscoroutinefunction(sync_method), name
        sync_parameters = list(inspect.signature(sync_method).parameters)
        assert sync_parameters == list(inspect.signature(async_method).parameters), name


def test_the_asyncio_methods_are_coroutine_functions() -> None:
    sync_only = {"on", "off", "events"}  # registering callbacks and the event stream are not awaited
    for name in public_methods(AsyncClient):
        if name not in sync_only:
            assert inspect.iscoroutinefunction(getattr(AsyncClient, name)), name
    assert inspect.iscoroutinefunction(AsyncSubscription.unsubscribe)
    assert not inspect.iscoroutinefunction(AsyncSubscription.matches)


def test_watch_has_a_signature() -> None:
    """``inspect.signature(Client.watch)`` raised TypeError when watch was a descriptor."""
    for cls, handle in ((Client, Subscription), (AsyncClient, AsyncSubscription)):
        signature = inspect.signature(cls.watch, eval_str=True)
        assert list(signature.parameters) == ["self", "elements", "attributes", "max_rate", "min_rate"]
        assert signature.return_annotation is handle
        assert inspect.signature(cls.get_stage, eval_str=True).return_annotation is Stage


def test_the_sync_client_is_generated_from_the_asyncio_one() -> None:
    spec = importlib.util.spec_from_file_location("unasync", ROOT / "scripts" / "unasync.py")
    assert spec is not None and spec.loader is not None
    unasync = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(unasync)
    target, text = unasync.generate("xentara")
    assert target.read_text(encoding="utf-8") == text, "run: python scripts/unasync.py xentara"
    body = text.split("\n", 2)[2]  # after the two header lines, which name the source
    assert "async " not in body and "await " not in body and "asyncio" not in body


def test_event_union_is_exported() -> None:
    from iotws.events import Connected, Disconnected, ProtocolViolation, Reconnected, Stopped
    from iotws.xentara import DataChange, SubscriptionLost, UnknownEvent, UnknownPacket, UnmatchedError

    members = set(typing.get_args(iotws.xentara.Event))
    assert members == {
        DataChange, SubscriptionLost, UnknownEvent, UnknownPacket, UnmatchedError,
        Connected, Disconnected, Reconnected, ProtocolViolation, Stopped,
    }  # fmt: skip
    assert "Event" in iotws.xentara.__all__


@pytest.mark.parametrize("cls", [c for c in vars(iotws.xentara.models).values() if isinstance(c, enum.EnumMeta)])
def test_enumerations_print_as_names(cls: type[WireEnum]) -> None:
    assert issubclass(cls, WireEnum)
    for member in cls:
        assert str(member) == f"{member}" == member.name
        assert f"{member:d}" == str(int(member)) and f"{member:>30}".strip() == member.name
        assert repr(member) == f"<{cls.__name__}.{member.name}: {int(member)}>"


def test_names_where_users_look() -> None:
    assert str(Attribute.VALUE) == "VALUE" and int(Attribute.VALUE) == 11
    assert f"{ElementCategory.DATA_POINT}".lower() == "data_point"
    assert [str(q) for q in Quality] == ["GOOD", "ACCEPTABLE", "UNRELIABLE", "BAD"]
    assert str(Stage.UNKNOWN) == "UNKNOWN" and Stage.from_wire(99) is Stage.UNKNOWN
    assert builtins.max(Stage) is Stage.POST_OPERATIONAL
    assert Stage.from_wire(0) is Stage.START_UP and Stage.from_wire(-1) is Stage.UNKNOWN


def test_lazy_asyncio_client() -> None:
    """A sync-only program does not load the asyncio client module."""
    import subprocess
    import sys

    code = "import sys, iotws.xentara; print('iotws.xentara.async_client' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"
    assert iotws.xentara.AsyncClient is AsyncClient and isinstance(uuid.uuid4(), uuid.UUID)
