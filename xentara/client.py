"""``Client`` (sync) and ``AsyncClient`` (asyncio) for the Xentara WebSocket API.

The command surface is written once in :class:`XentaraCommands`; the sync client
returns results, the async one awaitables. Element arguments take a UUID, an
:class:`~xentara.models.Element`, a :class:`~xentara.models.BrowseEntry`, or a
primary key such as ``"Group 1.Data Point 1"`` (looked up first; several keys
are looked up in one message).

Example (sync):
    >>> from xentara import XentaraSimulator
    >>> with XentaraSimulator().run() as sim, Client(sim.url()) as client:
    ...     client.write_value("Group 1.Setpoint", 42.0)
    ...     client.read_value("Group 1.Setpoint")
    42.0

Example (async, pipelined):
    >>> import asyncio
    >>> async def main(url):
    ...     async with AsyncClient(url) as client:
    ...         ids = await asyncio.gather(*(client.lookup(k) for k in ("Group 1", "Plant")))
    ...         return len(ids)
    >>> with XentaraSimulator().run() as sim:
    ...     asyncio.run(main(sim.url()))
    2
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from common.client import AsyncClientBase, SyncClientBase
from common.commands import Commands
from common.errors import UsageError
from common.options import BasicAuth, BearerAuth
from xentara.models import (
    Attribute,
    AttributeId,
    DataChange,
    ElementCategory,
    MetaDataId,
    ServerInfoId,
    SubscriptionInfo,
    SubSessionAuth,
    element_uuid,
)
from xentara.protocol import (
    PROTOCOL_VERSION,
    BatchCommand,
    BrowseCommand,
    CheckAccessCommand,
    ClientHelloCommand,
    CloseSubSessionCommand,
    CreateSubSessionCommand,
    GetStageCommand,
    LookupCommand,
    MetaDataCommand,
    ReadCommand,
    ServerInformationCommand,
    ShutdownCommand,
    SubscribeCommand,
    SuspendCommand,
    UnsubscribeCommand,
    WriteCommand,
    XentaraCommand,
    XentaraCore,
)

__all__ = ["AsyncClient", "Client", "Subscription", "XentaraCommands"]

T = TypeVar("T")

#: An element argument: UUID, Element, BrowseEntry, or a primary key to look up.
ElementArg = Any


class Subscription:
    """A live subscription: its id, what it covers, and ``unsubscribe()``.

    Events carry no subscription id; :meth:`matches` tells whether a
    :class:`~xentara.models.DataChange` was routed to this subscription.

    Examples:
        >>> from xentara import XentaraSimulator
        >>> with XentaraSimulator().run() as sim, Client(sim.url()) as client:
        ...     sub = client.watch("Group 1.Data Point 1")
        ...     event = client.next_event(DataChange, timeout=5)
        ...     print(sub.matches(event))
        ...     sub.unsubscribe()
        True
    """

    def __init__(self, client: XentaraCommands[Any], info: SubscriptionInfo) -> None:
        self._client = client
        self.info = info

    @property
    def id(self) -> uuid.UUID:
        """The subscription's UUID (chosen by the client)."""
        return self.info.id

    def matches(self, event: object) -> bool:
        """Whether ``event`` is a data change covered by this subscription."""
        return isinstance(event, DataChange) and self.info.id in event.subscriptions

    def unsubscribe(self) -> Any:
        """End the subscription (returns ``None``, or an awaitable of it on the async client)."""
        return self._client.unsubscribe(self.info.id)

    def __repr__(self) -> str:
        return f"<Subscription {self.info.id} on {len(self.info.items)} element(s)>"


class XentaraCommands(Commands[T]):
    """Every Xentara command, written once for both clients (``T``: result or awaitable)."""

    # -- flavour hooks -------------------------------------------------------------
    def _then(self, result: T, fn: Callable[[Any], Any]) -> T:
        """Apply ``fn`` to a result (``fn`` may return another result to wait for)."""
        raise NotImplementedError

    def _now(self, value: Any) -> T:
        """A ready result."""
        raise NotImplementedError

    def _with_elements(self, refs: Sequence[ElementArg], fn: Callable[[list[uuid.UUID]], Any]) -> T:
        keys = [ref for ref in refs if isinstance(ref, str)]
        if not keys:
            return self._now(fn([element_uuid(ref) for ref in refs]))
        known = {id(ref): element_uuid(ref) for ref in refs if not isinstance(ref, str)}

        def resolved(found: list[Any]) -> Any:
            for result in found:
                if isinstance(result, BaseException):
                    raise result
            lookup = dict(zip(keys, found, strict=True))
            return fn([lookup[ref] if isinstance(ref, str) else known[id(ref)] for ref in refs])

        if len(keys) == 1:
            return self._then(self._execute(LookupCommand(keys[0])), lambda u: resolved([u]))
        return self._then(self._execute(BatchCommand([LookupCommand(k) for k in keys])), resolved)

    def _with_element(self, ref: ElementArg, fn: Callable[[uuid.UUID], Any]) -> T:
        if isinstance(ref, str):
            return self._then(self._execute(LookupCommand(ref)), fn)
        return self._now(fn(element_uuid(ref)))

    # -- commands ------------------------------------------------------------------
    def server_information(self, ids: Iterable[ServerInfoId | int] = tuple(ServerInfoId)) -> T:
        """Server version, user name and model file path (opcode 0) -> ServerInformation."""
        return self._execute(ServerInformationCommand(ids))

    def browse(
        self,
        element: ElementArg = None,
        depth: int | None = None,
        categories: Iterable[ElementCategory | int] | None = None,
    ) -> T:
        """The descendants of ``element`` (``None``: the whole model) -> list[BrowseEntry]."""
        if element is None:
            return self._execute(BrowseCommand(None, depth, categories))
        return self._with_element(element, lambda u: self._execute(BrowseCommand(u, depth, categories)))

    def meta_data(self, element: ElementArg, ids: Iterable[MetaDataId | int] = tuple(MetaDataId)) -> T:
        """An element's meta data (opcode 2) -> MetaData."""
        ids = list(ids)
        return self._with_element(element, lambda u: self._execute(MetaDataCommand(u, ids)))

    def lookup(self, primary_key: str) -> T:
        """The UUID of the element with ``primary_key`` (opcode 3)."""
        return self._execute(LookupCommand(primary_key))

    def read(self, element: ElementArg, attributes: Iterable[AttributeId] = (Attribute.VALUE,)) -> T:
        """Read attributes (opcode 4) -> ReadResult (a value or a Failure per attribute)."""
        attributes = list(attributes)
        ReadCommand(uuid.UUID(int=0), attributes)  # check the arguments before any lookup
        return self._with_element(element, lambda u: self._execute(ReadCommand(u, attributes)))

    def write(
        self, element: ElementArg, attribute: AttributeId, value: Any, sub_session: uuid.UUID | None = None
    ) -> T:
        """Write one attribute (opcode 5) -> None; errors raise (ReadOnly, ValueOutOfRange...)."""
        WriteCommand(uuid.UUID(int=0), attribute, value, sub_session)  # checked before sending
        return self._with_element(element, lambda u: self._execute(WriteCommand(u, attribute, value, sub_session)))

    def subscribe(
        self,
        targets: Iterable[ElementArg | tuple[ElementArg, Iterable[AttributeId]]],
        attributes: Iterable[AttributeId] = (Attribute.VALUE,),
        *,
        max_rate: int | None = None,
        min_rate: int | None = None,
        subscription_id: uuid.UUID | None = None,
    ) -> T:
        """Subscribe (opcode 6) -> :class:`Subscription`. Rates are in ms; the id is chosen here.

        ``targets`` are elements (with ``attributes``) or ``(element, attributes)`` pairs.
        """
        default = tuple(attributes)
        pairs = [t if isinstance(t, tuple) else (t, default) for t in targets]
        refs = [ref for ref, _ in pairs]
        sub_id = subscription_id or uuid.uuid4()

        def build(uuids: list[uuid.UUID]) -> SubscriptionInfo:
            items = tuple((u, tuple(attrs_)) for u, (_, attrs_) in zip(uuids, pairs, strict=True))
            return SubscriptionInfo(sub_id, items, max_rate, min_rate)

        if not pairs:
            raise UsageError("subscribe to at least one element")
        SubscribeCommand(SubscriptionInfo(sub_id, ((uuid.UUID(int=0), default),), max_rate, min_rate))
        return self._then(
            self._with_elements(refs, lambda uuids: self._execute(SubscribeCommand(build(uuids)))),
            lambda info: Subscription(self, info),
        )

    def unsubscribe(self, subscription: uuid.UUID | Subscription) -> T:
        """End a subscription (opcode 7) -> None; it is no longer restored after reconnects."""
        sub_id = subscription.id if isinstance(subscription, Subscription) else subscription
        return self._execute(UnsubscribeCommand(sub_id))

    def get_stage(self) -> T:
        """The operational stage (opcode 8) -> Stage (or an int for stages this client does not know)."""
        return self._execute(GetStageCommand())

    def suspend(self, sub_session: uuid.UUID | None = None) -> T:
        """Suspend the runtime (opcode 10) -> None."""
        return self._execute(SuspendCommand(sub_session))

    def shutdown(self, sub_session: uuid.UUID | None = None) -> T:
        """Shut the runtime down (opcode 11) -> None."""
        return self._execute(ShutdownCommand(sub_session))

    def create_sub_session(self, auth: SubSessionAuth, desired_id: uuid.UUID | None = None) -> T:
        """Create a sub-session (opcode 12) by token, certificate or password -> its UUID."""
        return self._execute(CreateSubSessionCommand(auth, desired_id))

    def close_sub_session(self, sub_session: uuid.UUID) -> T:
        """Close a sub-session (opcode 13) -> None."""
        return self._execute(CloseSubSessionCommand(sub_session))

    def client_hello(self, min_version: int = PROTOCOL_VERSION, max_version: int = PROTOCOL_VERSION) -> T:
        """Send another Client Hello (opcode 14); servers answer DuplicateClientHello."""
        return self._execute(ClientHelloCommand(min_version, max_version))

    def check_access(self, sub_session: uuid.UUID) -> T:
        """A sub-session's access (opcode 15) -> AccessRights."""
        return self._execute(CheckAccessCommand(sub_session))

    def batch(self, commands: Iterable[XentaraCommand[Any]]) -> T:
        """Send several commands in one message -> a list of each result or exception."""
        return self._execute(BatchCommand(commands))

    # -- friendly helpers ----------------------------------------------------------
    def read_value(self, element: ElementArg, attribute: AttributeId = Attribute.VALUE) -> T:
        """One attribute's value; its error raises (e.g. ``read_value("Group 1.Data Point 1")``)."""
        return self._then(self.read(element, (attribute,)), lambda result: result[attribute])

    def write_value(self, element: ElementArg, value: Any, attribute: AttributeId = Attribute.VALUE) -> T:
        """Write ``value`` to an attribute (the Value attribute by default)."""
        return self.write(element, attribute, value)

    def read_many(self, elements: Sequence[ElementArg], attributes: Iterable[AttributeId] = (Attribute.VALUE,)) -> T:
        """Read several elements in one message -> list of ReadResult or exception."""
        attributes = list(attributes)
        return self._with_elements(
            list(elements), lambda uuids: self._execute(BatchCommand([ReadCommand(u, attributes) for u in uuids]))
        )

    def watch(
        self,
        *elements: ElementArg,
        attributes: Iterable[AttributeId] = (Attribute.VALUE,),
        max_rate: int | None = None,
        min_rate: int | None = None,
    ) -> T:
        """Subscribe to the Value (or ``attributes``) of each element -> :class:`Subscription`."""
        return self.subscribe(elements, attributes, max_rate=max_rate, min_rate=min_rate)


def _auth(options: dict[str, Any], user: str | None, password: str | None, token: str | None) -> None:
    if token is not None and user is not None:
        raise UsageError("give either user/password or token, not both")
    if user is not None:
        options["auth"] = BasicAuth(user, password or "")
    elif token is not None:
        options["auth"] = BearerAuth(token)


class Client(SyncClientBase[XentaraCore], XentaraCommands[Any]):
    """The synchronous Xentara client (see the module docstring).

    ``user``/``password`` (Basic) or ``token`` (Bearer) authenticate the upgrade;
    other keyword arguments are :class:`~common.options.ConnectOptions`
    (``ca_file``, ``ssl_context``, ``verify``, ``request_timeout``, ``reconnect``...).

    Examples:
        >>> Client("wss://127.0.0.1:8080/api/ws", user="op", password="pw").options.auth
        BasicAuth(username='op', password='***')
    """

    logger_name = "xentara"

    def __init__(
        self,
        url: str,
        *,
        user: str | None = None,
        password: str | None = None,
        token: str | None = None,
        **options: Any,
    ) -> None:
        _auth(options, user, password, token)
        super().__init__(XentaraCore(), url, **options)

    @property
    def subscriptions(self) -> dict[uuid.UUID, SubscriptionInfo]:
        """The live subscriptions (restored after every reconnect)."""
        return dict(self.core.subscriptions)

    def _then(self, result: Any, fn: Callable[[Any], Any]) -> Any:
        return fn(result)

    def _now(self, value: Any) -> Any:
        return value


class AsyncClient(AsyncClientBase[XentaraCore], XentaraCommands[Awaitable[Any]]):
    """The asyncio Xentara client; the same methods as :class:`Client`, awaited.

    Concurrent calls are pipelined: each goes out at once and replies are matched
    by message id.

    Examples:
        >>> AsyncClient("wss://127.0.0.1:8080/api/ws", token="abc").options.auth
        BearerAuth(token='***')
    """

    logger_name = "xentara"

    def __init__(
        self,
        url: str,
        *,
        user: str | None = None,
        password: str | None = None,
        token: str | None = None,
        **options: Any,
    ) -> None:
        _auth(options, user, password, token)
        super().__init__(XentaraCore(), url, **options)

    @property
    def subscriptions(self) -> dict[uuid.UUID, SubscriptionInfo]:
        """The live subscriptions (restored after every reconnect)."""
        return dict(self.core.subscriptions)

    def _then(self, result: Awaitable[Any], fn: Callable[[Any], Any]) -> Awaitable[Any]:
        async def chain() -> Any:
            value = fn(await result)
            if inspect.isawaitable(value):
                value = await value
            return value

        return chain()

    def _now(self, value: Any) -> Awaitable[Any]:
        async def ready() -> Any:
            if inspect.isawaitable(value):
                return await value
            return value

        return ready()
