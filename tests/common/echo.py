"""A tiny echo protocol on the common layer, used to test both drivers.

Frames are JSON. A request ``{"id": N, "echo": X}`` is answered with
``{"id": N, "echo": X}``; ``{"id": N, "sleep": S}`` is answered after S seconds;
``{"id": N, "push": [..]}`` makes the server push each item as an event
``{"event": item}``. On every connection the client first sends ``{"hello": K}``
(K counts this core's connections) and waits for ``{"welcome": K}``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable
from typing import Any, ClassVar, TypeAlias, Unpack

import attrs

from iotws.client import AsyncClientBase, SyncClientBase
from iotws.commands import Command, checked
from iotws.errors import AuthenticationError, ProtocolError, RemoteError
from iotws.events import LinkEvent
from iotws.options import AsyncConnectOptionsDict, ConnectOptionsDict
from iotws.sansio import Frame, ProtocolCore, Reply
from iotws.simulator import SimConnection, SimulatorBase


@attrs.frozen
class Pushed:
    item: Any


class Echo(Command[Any]):
    def __init__(self, key: str, value: Any) -> None:
        self.key, self.value = key, value

    def correlation_key(self) -> None:
        return None

    def encode(self, token: int | None) -> list[Frame]:
        return [json.dumps({"id": token, self.key: self.value})]


class EchoCore(ProtocolCore):
    name = "echo"

    def __init__(self) -> None:
        super().__init__()
        self.connections = 0
        self.welcomed = False

    def on_connect(self) -> list[Frame]:
        self.connections += 1
        self.welcomed = False
        return [json.dumps({"hello": self.connections})]

    def handshake_complete(self) -> bool:
        return self.welcomed

    def receive(self, frame: Frame) -> list[object]:
        try:
            data = json.loads(frame)
        except ValueError as exc:
            raise ProtocolError(f"not JSON: {exc}", frame=frame) from None
        if not isinstance(data, dict):
            raise ProtocolError("not an object", frame=frame)
        if "denied" in data:
            raise AuthenticationError(f"server refused: {data['denied']}")
        if "welcome" in data:
            self.welcomed = True
            return []
        if "event" in data:
            return [Pushed(data["event"])]
        if "id" in data and isinstance(data["id"], int):
            if self.pending.get(data["id"]) is None:
                return []
            self.pending.discard(data["id"])
            if "error" in data:
                return [Reply(data["id"], error=RemoteError(1, str(data["error"])))]
            return [Reply(data["id"], value=data.get("echo"))]
        raise ProtocolError("unknown frame", frame=frame)


#: What an echo client's events() yields.
EchoEvent: TypeAlias = Pushed | LinkEvent


class EchoClient(SyncClientBase[EchoCore, EchoEvent]):
    """The sync echo client (a test double's surface: four one-line commands)."""

    core_class: ClassVar[type[EchoCore]] = EchoCore

    def __init__(self, url: str, **options: Unpack[ConnectOptionsDict]) -> None:
        super().__init__(self.core_class(), url, **options)

    @checked
    def echo(self, value: Any) -> Any:
        return self._execute(Echo("echo", value))

    @checked
    def sleep(self, seconds: float) -> Any:
        return self._execute(Echo("sleep", seconds))

    @checked
    def push(self, items: list[Any]) -> Any:
        return self._execute(Echo("push", items))

    @checked
    def fail(self, message: str) -> Any:
        return self._execute(Echo("fail", message))


class AsyncEchoClient(AsyncClientBase[EchoCore, EchoEvent]):
    """The async echo client; its methods return the driver's awaitable at the call, as the real clients'
    ``_execute`` does, so a bad command fails before any await."""

    core_class: ClassVar[type[EchoCore]] = EchoCore

    def __init__(self, url: str, **options: Unpack[AsyncConnectOptionsDict]) -> None:
        super().__init__(self.core_class(), url, **options)

    def echo(self, value: Any) -> Awaitable[Any]:
        return self._execute(Echo("echo", value))

    def sleep(self, seconds: float) -> Awaitable[Any]:
        return self._execute(Echo("sleep", seconds))

    def push(self, items: list[Any]) -> Awaitable[Any]:
        return self._execute(Echo("push", items))

    def fail(self, message: str) -> Awaitable[Any]:
        return self._execute(Echo("fail", message))


class EchoSimulator(SimulatorBase):
    paths = ("/echo",)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hellos: list[int] = []
        self.sleeping = 0
        self.deny = False

    async def handle(self, conn: SimConnection) -> None:
        async for frame in conn:
            data = json.loads(frame)
            if "hello" in data:
                self.hellos.append(data["hello"])
                reply = {"denied": "bad credentials"} if self.deny else {"welcome": data["hello"]}
                await conn.send(json.dumps(reply))
            elif "sleep" in data:
                self.sleeping += 1
                await asyncio.sleep(data["sleep"])
                await conn.send(json.dumps({"id": data["id"], "echo": data["sleep"]}))
            elif "push" in data:
                for item in data["push"]:
                    await conn.send(json.dumps({"event": item}))
                await conn.send(json.dumps({"id": data["id"], "echo": len(data["push"])}))
            elif "fail" in data:
                await conn.send(json.dumps({"id": data["id"], "error": data["fail"]}))
            else:
                await conn.send(json.dumps({"id": data["id"], "echo": data["echo"]}))


class SilentSuccessCore(EchoCore):
    """Registration succeeds by silence: the handshake ends after a short grace period."""

    grace = 0.2

    def handshake_wait(self) -> float:
        return self.grace

    def handshake_timed_out(self) -> None:
        self.welcomed = True


class SilentEchoClient(EchoClient):
    core_class = SilentSuccessCore


class AsyncSilentEchoClient(AsyncEchoClient):
    core_class = SilentSuccessCore


class IdleCore(EchoCore):
    """A core that expects the server to speak at least every 0.3 s."""

    def idle_timeout(self) -> float:
        return 0.3


class IdleEchoClient(EchoClient):
    core_class = IdleCore


class AsyncIdleEchoClient(AsyncEchoClient):
    core_class = IdleCore


class BuggyCore(EchoCore):
    """A core with a bug: once the server pushed the event ``"boom"``, ``data_to_send`` raises."""

    bug_on_reconnect = False

    def __init__(self) -> None:
        super().__init__()
        self.broken = False

    def on_connect(self) -> list[Frame]:
        if self.bug_on_reconnect and self.connections >= 1:
            raise AttributeError("boom in on_connect")
        return super().on_connect()

    def receive(self, frame: Frame) -> list[object]:
        items = super().receive(frame)
        if Pushed("boom") in items and not self.bug_on_reconnect:
            self.broken = True
        return items

    def data_to_send(self) -> list[Frame]:
        if self.broken:
            raise AttributeError("boom in data_to_send")
        return super().data_to_send()


class ReconnectBuggyCore(BuggyCore):
    """A core with a bug: ``on_connect`` raises on every connection after the first."""

    bug_on_reconnect = True


class BuggyClient(EchoClient):
    def __init__(self, url: str, core: type[BuggyCore] = BuggyCore, **options: Unpack[ConnectOptionsDict]) -> None:
        self.core_class = core
        super().__init__(url, **options)


class AsyncBuggyClient(AsyncEchoClient):
    def __init__(
        self, url: str, core: type[BuggyCore] = BuggyCore, **options: Unpack[AsyncConnectOptionsDict]
    ) -> None:
        self.core_class = core
        super().__init__(url, **options)
