"""The asyncio client for the Xentara WebSocket API (aiohttp).

This module is the source of both clients: ``scripts/unasync.py`` writes
``client.py`` from it.

Element arguments take a UUID, an [`Element`][iotws.xentara.Element], a
[`BrowseEntry`][iotws.xentara.BrowseEntry], or a primary key such as
``"Group 1.Data Point 1"`` ([`ElementArg`][iotws.xentara.ElementArg]): a key is
looked up first, several keys in one message. Every argument is checked before
anything is sent, and before any key is looked up. Calls made concurrently (from
several tasks) are pipelined: each goes out at once and replies are matched by
message id.

Examples:
    >>> import asyncio
    >>> from iotws.xentara import XentaraSimulator
    >>> async def main(url):
    ...     async with AsyncClient(url) as client:
    ...         await client.write_value("Group 1.Setpoint", 42.0)
    ...         return await client.read_value("Group 1.Setpoint")
    >>> with XentaraSimulator().run() as sim:
    ...     asyncio.run(main(sim.url()))
    42.0
"""

# unasync: ("several tasks", "several threads")

import uuid
from collections.abc import Iterable, Sequence
from typing import Any, Protocol, Unpack, cast

from iotws.client import AsyncClientBase
from iotws.commands import checked
from iotws.errors import IotwsError, UsageError
from iotws.options import AsyncConnectOptionsDict
from iotws.xentara.models import (
    NIL_UUID,
    AccessRights,
    Attribute,
    AttributeId,
    BrowseEntry,
    DataChange,
    Element,
    ElementArg,
    ElementCategory,
    MetaData,
    MetaDataId,
    ReadResult,
    ServerInfoId,
    ServerInformation,
    Stage,
    SubscribeTarget,
    SubscriptionInfo,
    SubSessionAuth,
    WriteValue,
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
    Event,
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
    auth_option,
    element_list,
    subscribe_targets,
)

__all__ = ["AsyncClient", "AsyncSubscription"]

class _AsyncUnsubscriber(Protocol):
    """What a subscription handle needs of its client."""

    async def unsubscribe(self, subscription: uuid.UUID) -> None: ...


class AsyncSubscription:
    """A live subscription: its id, what it covers, and [`unsubscribe`][iotws.xentara.AsyncSubscription.unsubscribe].

    [`AsyncClient.subscribe`][iotws.xentara.AsyncClient.subscribe] and
    [`AsyncClient.watch`][iotws.xentara.AsyncClient.watch] return one. Events
    carry no subscription id: [`matches`][iotws.xentara.AsyncSubscription.matches] tells whether a
    [`DataChange`][iotws.xentara.DataChange] was routed to this subscription.

    Examples:
        >>> import asyncio
        >>> from iotws.xentara import XentaraSimulator
        >>> async def main(url):
        ...     async with AsyncClient(url) as client:
        ...         sub = await client.watch("Group 1.Data Point 1")
        ...         event = await client.next_event(DataChange, timeout=5)
        ...         await sub.unsubscribe()
        ...     return sub.matches(event), event.path
        >>> with XentaraSimulator().run() as sim:
        ...     asyncio.run(main(sim.url()))
        (True, 'Group 1.Data Point 1')
    """

    def __init__(self, client: _AsyncUnsubscriber, info: SubscriptionInfo) -> None:
        self._client = client
        self.info: SubscriptionInfo = info
        """What the subscription covers: its id, (element, attributes) pairs, rates."""

    @property
    def id(self) -> uuid.UUID:
        """The subscription's UUID (chosen by the client)."""
        return self.info.id

    def matches(self, event: object) -> bool:
        """Whether ``event`` is a data change covered by this subscription."""
        return isinstance(event, DataChange) and self.info.id in event.subscriptions

    async def unsubscribe(self) -> None:
        """End the subscription (opcode 7); it is no longer restored after reconnects."""
        await self._client.unsubscribe(self.info.id)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.info.id} on {len(self.info.items)} element(s)>"


class AsyncClient(AsyncClientBase[XentaraCore, Event]):
    """The asyncio Xentara client.

    Element arguments take a UUID, an [`Element`][iotws.xentara.Element], a
    [`BrowseEntry`][iotws.xentara.BrowseEntry], or a primary key such as ``"Group 1.Data Point 1"``
    ([`ElementArg`][iotws.xentara.ElementArg]): a key is looked up first, several keys in one message.
    Every argument is checked before anything is sent, and before any key is looked up. Calls made
    concurrently (from several tasks) are pipelined: each goes out at once and replies are matched by
    message id.

    ``user``/``password`` (Basic) or ``token`` (Bearer) authenticate the upgrade;
    ``options`` are the connection options ([`ConnectOptionsDict`][iotws.options.ConnectOptionsDict]:
    ``ca_file``, ``ssl_context``, ``verify``, ``request_timeout``, ``reconnect``...).

    Examples:
        >>> AsyncClient("wss://127.0.0.1:8080/api/ws", user="op", password="pw").options.auth
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
        **options: Unpack[AsyncConnectOptionsDict],
    ) -> None:
        auth = auth_option(user, password, token)
        if auth is not None:
            if options.get("auth") is not None:
                raise UsageError("give user/password or token, or auth=, not both")
            options["auth"] = auth
        super().__init__(XentaraCore(), url, **options)

    @property
    def subscriptions(self) -> dict[uuid.UUID, SubscriptionInfo]:
        """The live subscriptions, by id (restored after every reconnect; a copy).

        Examples:
            >>> AsyncClient("wss://127.0.0.1:8080/api/ws").subscriptions
            {}
        """
        return dict(self.core.subscriptions)

    # -- commands --------------------------------------------------------------------
    @checked
    async def server_information(self, ids: Iterable[ServerInfoId | int] = tuple(ServerInfoId)) -> ServerInformation:
        """Server version, user name and model file path (opcode 0).

        Examples:
            >>> import asyncio
            >>> from iotws.xentara import XentaraSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as client:
            ...         return (await client.server_information()).version
            >>> with XentaraSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            '2.0.3'
        """
        return await self._execute(ServerInformationCommand(ids))

    @checked
    async def browse(
        self,
        element: ElementArg | None = None,
        depth: int | None = None,
        categories: Iterable[ElementCategory | int] | None = None,
    ) -> list[BrowseEntry]:
        """The descendants of ``element`` (opcode 1; ``None``: the whole model).

        ``depth`` limits the levels (1: the children); ``categories`` keeps only
        elements of those categories (``None``: every category).

        Examples:
            >>> import asyncio
            >>> from iotws.xentara import XentaraSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as client:
            ...         return [f"{e.primary_key} {e.category}" for e in await client.browse(depth=1)]
            >>> with XentaraSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            ['Group 1 ELEMENT_GROUP', 'Plant DEVICE']
        """
        command = BrowseCommand(None, depth, categories)  # the arguments, checked before any lookup
        if element is None:
            return await self._execute(command)
        found = await self._element(element)
        return await self._execute(BrowseCommand(found, command.depth, command.categories))

    @checked
    async def meta_data(self, element: ElementArg, ids: Iterable[MetaDataId | int] = tuple(MetaDataId)) -> MetaData:
        """An element's meta data (opcode 2): primary key, category, attributes, children.

        Examples:
            >>> import asyncio
            >>> from iotws.xentara import XentaraSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as client:
            ...         return (await client.meta_data("Group 1.Setpoint")).category
            >>> with XentaraSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            <ElementCategory.DATA_POINT: 2>
        """
        ids = MetaDataCommand(NIL_UUID, ids).ids  # checked before any lookup
        found = await self._element(element)
        return await self._execute(MetaDataCommand(found, ids))

    @checked
    async def lookup(self, primary_key: str) -> uuid.UUID:
        """The UUID of the element with ``primary_key`` (opcode 3).

        Examples:
            >>> import asyncio
            >>> from iotws.xentara import XentaraSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as client:
            ...         return (await client.lookup("Group 1.Setpoint")).version
            >>> with XentaraSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            5
        """
        return await self._execute(LookupCommand(primary_key))

    @checked
    async def read(self, element: ElementArg, attributes: Iterable[AttributeId] = (Attribute.VALUE,)) -> ReadResult:
        """Read attributes (opcode 4): a value or a [`Failure`][iotws.xentara.Failure] each.

        One bad attribute does not fail the read; indexing it raises its error.

        Examples:
            >>> import asyncio
            >>> from iotws.xentara import XentaraSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as client:
            ...         result = await client.read("Group 1.Setpoint", [Attribute.VALUE, Attribute.QUALITY])
            ...     return result[Attribute.VALUE], result[Attribute.QUALITY]
            >>> with XentaraSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            (50.0, 0)
        """
        return await self._read(element, attributes)

    @checked
    async def write(
        self, element: ElementArg, attribute: AttributeId, value: WriteValue, sub_session: uuid.UUID | None = None
    ) -> None:
        """Write one attribute (opcode 5), checked against ``sub_session`` if given.

        Errors raise (``ReadOnly``, ``ValueOutOfRange``, ``AccessDenied``...).

        Examples:
            >>> import asyncio
            >>> from iotws.xentara import XentaraSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as client:
            ...         await client.write("Group 1.Label", Attribute.VALUE, "pump 2")
            ...         return await client.read_value("Group 1.Label")
            >>> with XentaraSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            'pump 2'
        """
        await self._write(element, attribute, value, sub_session)

    @checked
    async def subscribe(
        self,
        targets: ElementArg | Iterable[SubscribeTarget],
        attributes: Iterable[AttributeId] = (Attribute.VALUE,),
        *,
        max_rate: int | None = None,
        min_rate: int | None = None,
        subscription_id: uuid.UUID | None = None,
    ) -> AsyncSubscription:
        """Subscribe (opcode 6); data changes arrive in ``events()``. Rates are in ms.

        ``targets`` are elements (with ``attributes``) or ``(element, attributes)``
        pairs; a single element, a primary key included, is one element. The id is
        chosen here (``subscription_id``, else a random one). Every argument is checked
        before anything is sent ([`UsageError`][iotws.UsageError] for no element, no
        attribute, a bad rate or id).

        Examples:
            >>> import asyncio
            >>> from iotws.xentara import XentaraSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as client:
            ...         sub = await client.subscribe([("Group 1.Setpoint", [Attribute.VALUE, Attribute.QUALITY])])
            ...         return len(sub.info.items), sub.id in client.subscriptions
            >>> with XentaraSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            (1, True)
        """
        info = await self._subscribe(targets, attributes, max_rate, min_rate, subscription_id, "subscribe")
        return AsyncSubscription(self, info)

    @checked
    async def unsubscribe(self, subscription: uuid.UUID | AsyncSubscription) -> None:
        """End a subscription (opcode 7); it is no longer restored after reconnects.

        Examples:
            >>> import asyncio
            >>> from iotws.xentara import XentaraSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as client:
            ...         sub = await client.watch("Group 1.Setpoint")
            ...         await client.unsubscribe(sub)
            ...         return client.subscriptions
            >>> with XentaraSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            {}
        """
        sub_id = subscription.id if isinstance(subscription, AsyncSubscription) else subscription
        await self._execute(UnsubscribeCommand(sub_id))

    async def get_stage(self) -> Stage:
        """The operational stage (opcode 8); ``Stage.UNKNOWN`` for a number the reference does not list.

        Examples:
            >>> import asyncio
            >>> from iotws.xentara import XentaraSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as client:
            ...         return await client.get_stage()
            >>> with XentaraSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            <Stage.OPERATIONAL: 2>
        """
        return await self._execute(GetStageCommand())

    @checked
    async def suspend(self, sub_session: uuid.UUID | None = None) -> None:
        """Suspend the runtime (opcode 10), with the rights of ``sub_session`` if given.

        Examples:
            >>> import asyncio
            >>> from iotws.xentara import XentaraSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as client:
            ...         await client.suspend()
            ...         return await client.get_stage()
            >>> with XentaraSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            <Stage.UNKNOWN: -1>
        """
        await self._execute(SuspendCommand(sub_session))

    @checked
    async def shutdown(self, sub_session: uuid.UUID | None = None) -> None:
        """Shut the runtime down (opcode 11), with the rights of ``sub_session`` if given.

        Examples:
            >>> import asyncio
            >>> from iotws.xentara import XentaraSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as client:
            ...         await client.shutdown()
            ...         return await client.get_stage()
            >>> with XentaraSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            <Stage.POST_OPERATIONAL: 3>
        """
        await self._execute(ShutdownCommand(sub_session))

    @checked
    async def create_sub_session(self, auth: SubSessionAuth, desired_id: uuid.UUID | None = None) -> uuid.UUID:
        """Create a sub-session (opcode 12) by token, certificate or password; its UUID.

        Examples:
            >>> import asyncio
            >>> from iotws.xentara import SubSessionPassword, XentaraSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url, user="op", password="pw") as client:
            ...         session = await client.create_sub_session(SubSessionPassword("op", "pw"))
            ...         return await client.check_access(session)
            >>> with XentaraSimulator(users={"op": "pw"}).run() as sim:
            ...     asyncio.run(main(sim.url()))
            AccessRights(read=True, write=True)
        """
        return await self._execute(CreateSubSessionCommand(auth, desired_id))

    @checked
    async def close_sub_session(self, sub_session: uuid.UUID) -> None:
        """Close a sub-session (opcode 13).

        Examples:
            >>> import asyncio
            >>> from iotws.xentara import SubSessionToken, UnknownSession, XentaraSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url, token="tok") as client:
            ...         session = await client.create_sub_session(SubSessionToken("tok"))
            ...         await client.close_sub_session(session)
            ...         try:
            ...             await client.check_access(session)
            ...         except UnknownSession as exc:
            ...             return exc.code
            >>> with XentaraSimulator(tokens={"tok": "op"}).run() as sim:
            ...     asyncio.run(main(sim.url()))
            -32111
        """
        await self._execute(CloseSubSessionCommand(sub_session))

    @checked
    async def client_hello(self, min_version: int = PROTOCOL_VERSION, max_version: int = PROTOCOL_VERSION) -> int:
        """Send another Client Hello (opcode 14); servers answer ``DuplicateClientHello``.

        The client sends the first one itself on every connection
        (``client.core.protocol_version`` is the version the server named).

        Examples:
            >>> import asyncio
            >>> from iotws.xentara import DuplicateClientHello, XentaraSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as client:
            ...         try:
            ...             return await client.client_hello()
            ...         except DuplicateClientHello as exc:
            ...             return exc.code
            >>> with XentaraSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            -32001
        """
        return await self._execute(ClientHelloCommand(min_version, max_version))

    @checked
    async def check_access(self, sub_session: uuid.UUID) -> AccessRights:
        """A sub-session's read and write access (opcode 15).

        Examples:
            >>> import asyncio
            >>> from iotws.xentara import SubSessionPassword, XentaraSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url, user="op", password="pw") as client:
            ...         session = await client.create_sub_session(SubSessionPassword("viewer", "look"))
            ...         return await client.check_access(session)
            >>> users = {"op": "pw", "viewer": "look"}
            >>> with XentaraSimulator(users=users, read_only_users={"viewer"}).run() as sim:
            ...     asyncio.run(main(sim.url()))
            AccessRights(read=True, write=False)
        """
        return await self._execute(CheckAccessCommand(sub_session))

    @checked
    async def batch(self, commands: Iterable[XentaraCommand[Any]]) -> list[object]:
        """Send several commands in one message; each one's result, or its exception.

        Examples:
            >>> import asyncio
            >>> from iotws.xentara import GetStageCommand, LookupCommand, XentaraSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as client:
            ...         return await client.batch([GetStageCommand(), LookupCommand("No.Such")])
            >>> with XentaraSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            [<Stage.OPERATIONAL: 2>, UnknownElement(-32100, 'unknown element')]
        """
        return await self._execute(BatchCommand(commands))

    # -- friendly helpers ------------------------------------------------------------
    @checked
    async def read_value(self, element: ElementArg, attribute: AttributeId = Attribute.VALUE) -> object:
        """One attribute's value (the Value attribute by default); its error raises.

        Examples:
            >>> import asyncio
            >>> from iotws.xentara import XentaraSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as client:
            ...         return await client.read_value("Group 1.Switch")
            >>> with XentaraSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            False
        """
        result = await self._read(element, (attribute,))
        value: object = result[attribute]
        return value

    @checked
    async def write_value(
        self, element: ElementArg, value: WriteValue, attribute: AttributeId = Attribute.VALUE
    ) -> None:
        """Write ``value`` to an attribute (the Value attribute by default).

        Examples:
            >>> import asyncio
            >>> from iotws.xentara import XentaraSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as client:
            ...         await client.write_value("Group 1.Switch", True)
            ...         return await client.read_value("Group 1.Switch")
            >>> with XentaraSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            True
        """
        await self._write(element, attribute, value, None)

    @checked
    async def read_many(
        self, elements: ElementArg | Sequence[ElementArg], attributes: Iterable[AttributeId] = (Attribute.VALUE,)
    ) -> list[ReadResult | IotwsError]:
        """Read several elements in one message: a result, or its error, per element.

        The primary keys among ``elements`` are looked up together first (one more
        message). A single primary key (a string) is one element.

        Examples:
            >>> import asyncio
            >>> from iotws.xentara import XentaraSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as client:
            ...         results = await client.read_many(["Group 1.Setpoint", "Group 1.Label"])
            ...     return [r[Attribute.VALUE] for r in results if isinstance(r, ReadResult)]
            >>> with XentaraSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            [50.0, 'hello']
        """
        attributes = list(attributes)
        ReadCommand(NIL_UUID, attributes)  # checked before any lookup
        uuids = await self._elements(element_list(elements, "read_many"))
        results = await self._execute(BatchCommand([ReadCommand(u, attributes) for u in uuids]))
        return cast(list[ReadResult | IotwsError], results)  # a batch of reads: a result or its error each

    @checked
    async def watch(
        self,
        *elements: ElementArg,
        attributes: Iterable[AttributeId] = (Attribute.VALUE,),
        max_rate: int | None = None,
        min_rate: int | None = None,
    ) -> AsyncSubscription:
        """Subscribe to the Value (or ``attributes``) of each element; data changes arrive in ``events()``.

        ``attributes=[]`` raises [`UsageError`][iotws.UsageError] before anything is sent.

        Examples:
            >>> import asyncio
            >>> from iotws.xentara import XentaraSimulator
            >>> async def main(url):
            ...     async with AsyncClient(url) as client:
            ...         await client.watch("Plant.Temperature", "Plant.Pressure", min_rate=100)
            ...         event = await client.next_event(DataChange, timeout=5)
            ...     return event.path in ("Plant.Temperature", "Plant.Pressure")
            >>> with XentaraSimulator().run() as sim:
            ...     asyncio.run(main(sim.url()))
            True
        """
        info = await self._subscribe(elements, attributes, max_rate, min_rate, None, "watch")
        return AsyncSubscription(self, info)

    # -- the steps the methods share -------------------------------------------------
    def _known(self, ref: ElementArg) -> uuid.UUID:
        """The UUID of an element given as a model (its primary key, if it has one, is remembered)."""
        found = element_uuid(ref)
        key = ref.primary_key if isinstance(ref, (Element, BrowseEntry)) else None
        if key:
            self.core.learn_path(found, key)
        return found

    async def _element(self, ref: ElementArg) -> uuid.UUID:
        """The UUID of ``ref``; a primary key is looked up."""
        if isinstance(ref, str):
            return await self._execute(LookupCommand(ref))
        return self._known(ref)

    async def _elements(self, refs: Sequence[ElementArg]) -> list[uuid.UUID]:
        """The UUIDs of ``refs``: the primary keys among them in one lookup, or one batch of lookups."""
        known = {id(ref): self._known(ref) for ref in refs if not isinstance(ref, str)}
        keys = [ref for ref in refs if isinstance(ref, str)]
        if not keys:
            return [known[id(ref)] for ref in refs]
        found: list[object]
        if len(keys) == 1:
            one = await self._execute(LookupCommand(keys[0]))
            found = [one]
        else:
            found = await self._execute(BatchCommand([LookupCommand(key) for key in keys]))
        for result in found:
            if isinstance(result, BaseException):
                raise result
        looked_up = cast(dict[str, uuid.UUID], dict(zip(keys, found, strict=True)))  # every outcome is a UUID now
        return [looked_up[ref] if isinstance(ref, str) else known[id(ref)] for ref in refs]

    async def _read(self, element: ElementArg, attributes: Iterable[AttributeId]) -> ReadResult:
        if not isinstance(element, str):  # no lookup: the command checks everything when it is built
            return await self._execute(ReadCommand(self._known(element), attributes))
        attributes = list(attributes)
        ReadCommand(NIL_UUID, attributes)  # checked before the lookup
        found = await self._execute(LookupCommand(element))
        return await self._execute(ReadCommand(found, attributes))

    async def _write(
        self, element: ElementArg, attribute: AttributeId, value: WriteValue, sub_session: uuid.UUID | None
    ) -> None:
        WriteCommand(NIL_UUID, attribute, value, sub_session)  # checked before any lookup
        found = await self._element(element)
        await self._execute(WriteCommand(found, attribute, value, sub_session))

    async def _subscribe(
        self,
        targets: ElementArg | Iterable[SubscribeTarget],
        attributes: Iterable[AttributeId],
        max_rate: int | None,
        min_rate: int | None,
        subscription_id: uuid.UUID | None,
        what: str,
    ) -> SubscriptionInfo:
        pairs = subscribe_targets(targets, attributes, what)
        sub_id = uuid.uuid4() if subscription_id is None else subscription_id
        for ref, _ in pairs:  # elements given as UUIDs or models are checked before any lookup, keys after
            if not isinstance(ref, str):
                element_uuid(ref)
        placeholder = tuple((NIL_UUID, attributes_) for _, attributes_ in pairs)
        SubscribeCommand(SubscriptionInfo(sub_id, placeholder, max_rate, min_rate))  # checked before any lookup
        uuids = await self._elements([ref for ref, _ in pairs])
        items = tuple((u, attributes_) for u, (_, attributes_) in zip(uuids, pairs, strict=True))
        return await self._execute(SubscribeCommand(SubscriptionInfo(sub_id, items, max_rate, min_rate)))
