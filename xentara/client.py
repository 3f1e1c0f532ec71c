"""``Client`` (sync) and ``AsyncClient`` (asyncio) for the Xentara WebSocket API.

The command surface is written once in :class:`XentaraCommands`; the sync client
returns results, the async one awaitables. Element arguments take a UUID, an
:class:`~iotws.xentara.models.Element`, a :class:`~iotws.xentara.models.BrowseEntry`, or a
primary key such as ``"Group 1.Data Point 1"`` (looked up first; several keys
are looked up in one message).

Example (sync):
    >>> from iotws.xentara import XentaraSimulator
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

import functools
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Concatenate, Generic, ParamSpec, TypeAlias, TypeVar, cast, overload

from iotws.client import AsyncClientBase, SyncClientBase
from iotws.commands import AsyncSurface, SyncSurface, argument_checks, command
from iotws.errors import IotwsError, UsageError, excerpt
from iotws.flows import Flow, flow, run_async, run_sync, step
from iotws.options import BasicAuth, BearerAuth
from iotws.xentara.models import (
    Attribute,
    AttributeId,
    BrowseEntry,
    DataChange,
    Element,
    ElementCategory,
    MetaData,
    MetaDataId,
    ReadResult,
    ServerInfoId,
    SubscriptionInfo,
    SubSessionAuth,
    element_uuid,
)
from iotws.xentara.protocol import (
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

__all__ = ["AsyncClient", "Client", "ElementArg", "Subscription", "XentaraCommands"]

P = ParamSpec("P")
U = TypeVar("U", covariant=True)

#: An element argument: UUID, Element, BrowseEntry, or a primary key to look up.
ElementArg: TypeAlias = uuid.UUID | Element | BrowseEntry | str

#: What ``subscribe`` takes: elements (with the default attributes) or ``(element, attributes)`` pairs.
Target: TypeAlias = ElementArg | tuple[ElementArg, Iterable[AttributeId]]


class Subscription(Generic[U]):
    """A live subscription: its id, what it covers, and ``unsubscribe()``.

    ``U`` is what :meth:`unsubscribe` returns: ``None`` on the sync client, an
    awaitable of ``None`` on the async one. Events carry no subscription id;
    :meth:`matches` tells whether a :class:`~iotws.xentara.models.DataChange` was
    routed to this subscription.

    Examples:
        >>> from iotws.xentara import XentaraSimulator
        >>> with XentaraSimulator().run() as sim, Client(sim.url()) as client:
        ...     sub = client.watch("Group 1.Data Point 1")
        ...     event = client.next_event(DataChange, timeout=5)
        ...     print(sub.matches(event))
        ...     sub.unsubscribe()
        True
    """

    def __init__(self, unsubscribe: Callable[[uuid.UUID], U], info: SubscriptionInfo) -> None:
        self._unsubscribe = unsubscribe
        self.info = info

    @property
    def id(self) -> uuid.UUID:
        """The subscription's UUID (chosen by the client)."""
        return self.info.id

    def matches(self, event: object) -> bool:
        """Whether ``event`` is a data change covered by this subscription."""
        return isinstance(event, DataChange) and self.info.id in event.subscriptions

    def unsubscribe(self) -> U:
        """End the subscription (returns ``None``, or an awaitable of it on the async client)."""
        return self._unsubscribe(self.info.id)

    def __repr__(self) -> str:
        return f"<Subscription {self.info.id} on {len(self.info.items)} element(s)>"


class subscribing(Generic[P]):
    """Decorator for a flow that subscribes: the method returns a :class:`Subscription`.

    A sync client returns ``Subscription[None]``; an async client an awaitable
    of ``Subscription[Awaitable[None]]`` (its ``unsubscribe()`` is awaited too).

    Examples:
        >>> XentaraCommands.watch.__doc__.startswith("Subscribe")
        True
    """

    def __init__(self, steps: Callable[Concatenate[Any, P], Flow[SubscriptionInfo]]) -> None:
        self.steps = steps
        self._check: Callable[[tuple[Any, ...], dict[str, Any]], None] | None = None
        self.__doc__ = steps.__doc__
        self.__name__ = steps.__name__
        self.__qualname__ = steps.__qualname__
        self.__module__ = steps.__module__
        self.__wrapped__ = steps

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> subscribing[P]: ...

    @overload
    def __get__(self, obj: SyncSurface, owner: type[Any]) -> Callable[P, Subscription[None]]: ...

    @overload
    def __get__(self, obj: AsyncSurface, owner: type[Any]) -> Callable[P, Awaitable[Subscription[Awaitable[None]]]]: ...

    def __get__(self, obj: object, owner: type[Any]) -> Any:
        if obj is None:
            return self
        steps = self.steps
        execute = obj._execute  # type: ignore[attr-defined]
        run: Callable[[Any, Flow[Subscription[Any]]], Any] = run_async if isinstance(obj, AsyncSurface) else run_sync

        def subscribed(*args: P.args, **kwargs: P.kwargs) -> Flow[Subscription[Any]]:
            info = yield from steps(obj, *args, **kwargs)
            return Subscription(obj.unsubscribe, info)  # type: ignore[attr-defined]

        @functools.wraps(steps)
        def call(*args: P.args, **kwargs: P.kwargs) -> Any:
            check = self._check
            if check is None:  # made on first use: the annotations name classes defined later
                check = self._check = argument_checks(steps, self.__name__)
            check(args, kwargs)
            return run(execute, subscribed(*args, **kwargs))

        return call


# -- flows: the logic of the methods that look elements up first ---------------------


def _element(ref: ElementArg) -> Flow[uuid.UUID]:
    if isinstance(ref, str):
        return (yield from step(LookupCommand(ref)))
    return element_uuid(ref)


def _elements(refs: Sequence[ElementArg]) -> Flow[list[uuid.UUID]]:
    """Resolve the primary keys among ``refs``: one lookup, or one batch of lookups."""
    keys = [ref for ref in refs if isinstance(ref, str)]
    if not keys:
        return [element_uuid(ref) for ref in refs]
    known = {id(ref): element_uuid(ref) for ref in refs if not isinstance(ref, str)}
    found: list[object]
    if len(keys) == 1:
        found = [(yield from step(LookupCommand(keys[0])))]
    else:
        found = yield from step(BatchCommand([LookupCommand(k) for k in keys]))
    for result in found:
        if isinstance(result, BaseException):
            raise result
    lookup = cast(dict[str, uuid.UUID], dict(zip(keys, found, strict=True)))  # every outcome is a UUID now
    return [lookup[ref] if isinstance(ref, str) else known[id(ref)] for ref in refs]


def _element_list(refs: ElementArg | Iterable[Any], what: str) -> list[Any]:
    """A caller's elements as a list; a single primary key (a string) is one element."""
    if isinstance(refs, (str, uuid.UUID, Element, BrowseEntry)):
        return [refs]
    try:
        found = list(refs)
    except TypeError:
        raise UsageError(f"{what}: expected elements, got {excerpt(refs)}") from None
    if not found:
        raise UsageError(f"{what}: give at least one element")
    return found


def _read(element: ElementArg, attributes: Iterable[AttributeId]) -> Flow[ReadResult]:
    attributes = list(attributes)
    ReadCommand(uuid.UUID(int=0), attributes)  # check the arguments before any lookup
    found = yield from _element(element)
    return (yield from step(ReadCommand(found, attributes)))


def _write(element: ElementArg, attribute: AttributeId, value: Any, sub_session: uuid.UUID | None) -> Flow[None]:
    WriteCommand(uuid.UUID(int=0), attribute, value, sub_session)  # checked before sending
    found = yield from _element(element)
    yield from step(WriteCommand(found, attribute, value, sub_session))


def _subscribe(
    targets: ElementArg | Iterable[Target],
    attributes: Iterable[AttributeId],
    max_rate: int | None,
    min_rate: int | None,
    subscription_id: uuid.UUID | None,
) -> Flow[SubscriptionInfo]:
    default = tuple(attributes)
    pairs = [t if isinstance(t, tuple) else (t, default) for t in _element_list(targets, "subscribe")]
    sub_id = uuid.uuid4() if subscription_id is None else subscription_id
    for ref, _ in pairs:  # elements given as UUIDs or models are checked before any lookup, keys after
        if not isinstance(ref, str):
            element_uuid(ref)
    placeholder = tuple((uuid.UUID(int=0), tuple(attrs_)) for _, attrs_ in pairs)
    SubscribeCommand(SubscriptionInfo(sub_id, placeholder, max_rate, min_rate))  # checked before any lookup
    uuids = yield from _elements([ref for ref, _ in pairs])
    items = tuple((u, tuple(attrs_)) for u, (_, attrs_) in zip(uuids, pairs, strict=True))
    return (yield from step(SubscribeCommand(SubscriptionInfo(sub_id, items, max_rate, min_rate))))


class XentaraCommands:
    """Every Xentara command, written once for both clients.

    On :class:`Client` each method returns its result; on :class:`AsyncClient`
    an awaitable of it (``@command`` for one command, ``@flow`` when primary
    keys are looked up first).
    """

    # -- commands ------------------------------------------------------------------
    @command
    def server_information(self, ids: Iterable[ServerInfoId | int] = tuple(ServerInfoId)) -> ServerInformationCommand:
        """Server version, user name and model file path (opcode 0) -> ServerInformation."""
        return ServerInformationCommand(ids)

    @flow
    def browse(
        self,
        element: ElementArg | None = None,
        depth: int | None = None,
        categories: Iterable[ElementCategory | int] | None = None,
    ) -> Flow[list[BrowseEntry]]:
        """The descendants of ``element`` (``None``: the whole model) -> list[BrowseEntry]."""
        checked = BrowseCommand(None, depth, categories)  # the arguments, before any lookup
        if element is None:
            return (yield from step(checked))
        found = yield from _element(element)
        return (yield from step(BrowseCommand(found, depth, categories)))

    @flow
    def meta_data(self, element: ElementArg, ids: Iterable[MetaDataId | int] = tuple(MetaDataId)) -> Flow[MetaData]:
        """An element's meta data (opcode 2) -> MetaData."""
        ids = MetaDataCommand(uuid.UUID(int=0), ids).ids  # checked before any lookup
        found = yield from _element(element)
        return (yield from step(MetaDataCommand(found, ids)))

    @command
    def lookup(self, primary_key: str) -> LookupCommand:
        """The UUID of the element with ``primary_key`` (opcode 3)."""
        return LookupCommand(primary_key)

    @flow
    def read(self, element: ElementArg, attributes: Iterable[AttributeId] = (Attribute.VALUE,)) -> Flow[ReadResult]:
        """Read attributes (opcode 4) -> ReadResult (a value or a Failure per attribute)."""
        return (yield from _read(element, attributes))

    @flow
    def write(
        self, element: ElementArg, attribute: AttributeId, value: Any, sub_session: uuid.UUID | None = None
    ) -> Flow[None]:
        """Write one attribute (opcode 5) -> None; errors raise (ReadOnly, ValueOutOfRange...)."""
        yield from _write(element, attribute, value, sub_session)

    @subscribing
    def subscribe(
        self,
        targets: ElementArg | Iterable[Target],
        attributes: Iterable[AttributeId] = (Attribute.VALUE,),
        *,
        max_rate: int | None = None,
        min_rate: int | None = None,
        subscription_id: uuid.UUID | None = None,
    ) -> Flow[SubscriptionInfo]:
        """Subscribe (opcode 6) -> :class:`Subscription`. Rates are in ms; the id is chosen here.

        ``targets`` are elements (with ``attributes``) or ``(element, attributes)`` pairs; a
        single primary key (a string) is one element. Every argument is checked before
        anything is sent (:class:`~iotws.errors.UsageError` for no element, no attribute,
        a bad rate or id).
        """
        return (yield from _subscribe(targets, attributes, max_rate, min_rate, subscription_id))

    @command
    def unsubscribe(self, subscription: uuid.UUID | Subscription[object]) -> UnsubscribeCommand:
        """End a subscription (opcode 7) -> None; it is no longer restored after reconnects.

        Examples:
            >>> Client("wss://127.0.0.1:9").unsubscribe(None)
            Traceback (most recent call last):
            iotws.errors.UsageError: unsubscribe: the subscription id must be a UUID, got None
        """
        sub_id = subscription.id if isinstance(subscription, Subscription) else subscription
        return UnsubscribeCommand(sub_id)

    @command
    def get_stage(self) -> GetStageCommand:
        """The operational stage (opcode 8) -> Stage (or an int for stages this client does not know)."""
        return GetStageCommand()

    @command
    def suspend(self, sub_session: uuid.UUID | None = None) -> SuspendCommand:
        """Suspend the runtime (opcode 10) -> None."""
        return SuspendCommand(sub_session)

    @command
    def shutdown(self, sub_session: uuid.UUID | None = None) -> ShutdownCommand:
        """Shut the runtime down (opcode 11) -> None."""
        return ShutdownCommand(sub_session)

    @command
    def create_sub_session(self, auth: SubSessionAuth, desired_id: uuid.UUID | None = None) -> CreateSubSessionCommand:
        """Create a sub-session (opcode 12) by token, certificate or password -> its UUID."""
        return CreateSubSessionCommand(auth, desired_id)

    @command
    def close_sub_session(self, sub_session: uuid.UUID) -> CloseSubSessionCommand:
        """Close a sub-session (opcode 13) -> None."""
        return CloseSubSessionCommand(sub_session)

    @command
    def client_hello(
        self, min_version: int = PROTOCOL_VERSION, max_version: int = PROTOCOL_VERSION
    ) -> ClientHelloCommand:
        """Send another Client Hello (opcode 14); servers answer DuplicateClientHello."""
        return ClientHelloCommand(min_version, max_version)

    @command
    def check_access(self, sub_session: uuid.UUID) -> CheckAccessCommand:
        """A sub-session's access (opcode 15) -> AccessRights."""
        return CheckAccessCommand(sub_session)

    @command
    def batch(self, commands: Iterable[XentaraCommand[Any]]) -> BatchCommand:
        """Send several commands in one message -> a list of each result or exception."""
        return BatchCommand(commands)

    # -- friendly helpers ----------------------------------------------------------
    @flow
    def read_value(self, element: ElementArg, attribute: AttributeId = Attribute.VALUE) -> Flow[object]:
        """One attribute's value; its error raises (e.g. ``read_value("Group 1.Data Point 1")``)."""
        result = yield from _read(element, (attribute,))
        return result[attribute]

    @flow
    def write_value(self, element: ElementArg, value: Any, attribute: AttributeId = Attribute.VALUE) -> Flow[None]:
        """Write ``value`` to an attribute (the Value attribute by default)."""
        yield from _write(element, attribute, value, None)

    @flow
    def read_many(
        self, elements: ElementArg | Sequence[ElementArg], attributes: Iterable[AttributeId] = (Attribute.VALUE,)
    ) -> Flow[list[ReadResult | IotwsError]]:
        """Read several elements in one message -> list of ReadResult or exception.

        A single primary key (a string) is one element, not a list of characters.
        """
        attributes = list(attributes)
        ReadCommand(uuid.UUID(int=0), attributes)  # checked before any lookup
        uuids = yield from _elements(_element_list(elements, "read_many"))
        results = yield from step(BatchCommand([ReadCommand(u, attributes) for u in uuids]))
        return cast(list[ReadResult | IotwsError], results)  # a batch of reads: a result or its error each

    @subscribing
    def watch(
        self,
        *elements: ElementArg,
        attributes: Iterable[AttributeId] = (Attribute.VALUE,),
        max_rate: int | None = None,
        min_rate: int | None = None,
    ) -> Flow[SubscriptionInfo]:
        """Subscribe to the Value (or ``attributes``) of each element -> :class:`Subscription`.

        ``attributes=[]`` raises :class:`~iotws.errors.UsageError` before anything is sent.

        Examples:
            >>> Client("wss://127.0.0.1:9").watch(uuid.UUID(int=1), attributes=[])
            Traceback (most recent call last):
            iotws.errors.UsageError: give at least one attribute
        """
        return (yield from _subscribe(elements, attributes, max_rate, min_rate, None))


def _auth(options: dict[str, Any], user: str | None, password: str | None, token: str | None) -> None:
    if token is not None and user is not None:
        raise UsageError("give either user/password or token, not both")
    if user is not None:
        options["auth"] = BasicAuth(user, password or "")
    elif token is not None:
        options["auth"] = BearerAuth(token)


class Client(SyncClientBase[XentaraCore], XentaraCommands):
    """The synchronous Xentara client (see the module docstring).

    ``user``/``password`` (Basic) or ``token`` (Bearer) authenticate the upgrade;
    other keyword arguments are :class:`~iotws.options.ConnectOptions`
    (``ca_file``, ``ssl_context``, ``verify``, ``request_timeout``, ``reconnect``...).

    Examples:
        >>> Client("wss://127.0.0.1:8080/api/ws", user="op", password="pw").options.auth
        BasicAuth(username='op', password='***')
    """

    logger_name = "iotws.xentara"

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


class AsyncClient(AsyncClientBase[XentaraCore], XentaraCommands):
    """The asyncio Xentara client; the same methods as :class:`Client`, awaited.

    Concurrent calls are pipelined: each goes out at once and replies are matched
    by message id.

    Examples:
        >>> AsyncClient("wss://127.0.0.1:8080/api/ws", token="abc").options.auth
        BearerAuth(token='***')
    """

    logger_name = "iotws.xentara"

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

