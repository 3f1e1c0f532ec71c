"""Both clients against the simulator over TLS on loopback; every scenario runs on both flavours."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from iotws.errors import UsageError
from iotws.testing import open_client, resolve, take_events, wait_until
from iotws.xentara import (
    AccessRights,
    AsyncClient,
    AsyncSubscription,
    Attribute,
    AuthenticationError,
    BasicAuth,
    BrowseEntry,
    Client,
    DataChange,
    DuplicateClientHello,
    Element,
    ElementCategory,
    Failure,
    GetStageCommand,
    LookupCommand,
    MetaDataCommand,
    ProtocolViolation,
    ReadOnly,
    Reconnected,
    ReconnectPolicy,
    Stage,
    Subscription,
    SubSessionPassword,
    SubSessionToken,
    TLSError,
    TypeMismatch,
    UnknownElement,
    UnknownSession,
    UnknownSubscription,
    UnmatchedError,
    ValueOutOfRange,
    XentaraSimulator,
)
from iotws.xentara.errors import AccessDenied, InvalidParameter
from iotws.xentara.simulator import UUID_NAMESPACE

FAST_RECONNECT = ReconnectPolicy(initial_delay=0.05, max_delay=0.2, jitter=0.01)


@asynccontextmanager
async def connect(flavour: str, sim: XentaraSimulator, ca_file: Path, **options: Any) -> AsyncIterator[Any]:
    options.setdefault("user", "operator")
    options.setdefault("password", "secret")
    options.setdefault("reconnect", None)
    options.setdefault("request_timeout", 5.0)
    async with open_client(flavour, Client, AsyncClient, sim.url(), ca_file=ca_file, **options) as client:
        yield client


async def test_hello_server_information_and_stage(flavour: str, tls_sim: XentaraSimulator, ca_file: Path) -> None:
    async with connect(flavour, tls_sim, ca_file) as client:
        assert tls_sim.hellos == 1
        assert client.core.protocol_version == 1
        info = await resolve(client.server_information())
        assert info.version == "2.0.3"
        assert await resolve(client.get_stage()) is Stage.OPERATIONAL
        with pytest.raises(DuplicateClientHello):
            await resolve(client.client_hello())


async def test_browse_lookup_and_meta_data(flavour: str, tls_sim: XentaraSimulator, ca_file: Path) -> None:
    async with connect(flavour, tls_sim, ca_file) as client:
        tree = await resolve(client.browse())
        keys = [e.primary_key for e in tree]
        assert keys[:2] == ["Group 1", "Group 1.Data Point 1"] and "Plant.Temperature" in keys
        assert all(isinstance(e, BrowseEntry) for e in tree)
        top = await resolve(client.browse(None, depth=1))
        assert [e.primary_key for e in top] == ["Group 1", "Plant"]
        devices = await resolve(client.browse(categories=[ElementCategory.DEVICE]))
        assert [e.primary_key for e in devices] == ["Plant"]
        point = await resolve(client.lookup("Group 1.Data Point 1"))
        assert point == tree[1].uuid
        meta = await resolve(client.meta_data(point))
        assert meta.primary_key == "Group 1.Data Point 1" and meta.category is ElementCategory.DATA_POINT
        assert meta.has_children is False
        assert Attribute.VALUE in [a.id for a in meta.attributes]
        group_meta = await resolve(client.meta_data("Group 1", [3]))
        assert group_meta.has_children is True
        with pytest.raises(UnknownElement):
            await resolve(client.lookup("No.Such.Element"))
        with pytest.raises(InvalidParameter, match="invalid meta data identifier"):
            await resolve(client.meta_data(point, [0, 83]))


async def test_read_with_one_bad_attribute(flavour: str, tls_sim: XentaraSimulator, ca_file: Path) -> None:
    async with connect(flavour, tls_sim, ca_file) as client:
        result = await resolve(
            client.read("Group 1.Setpoint", [Attribute.VALUE, Attribute.QUALITY, Attribute.DEVICE_STATE])
        )
        assert result[Attribute.VALUE] == 50.0 and result[Attribute.QUALITY] == 0
        assert result.failures[Attribute.DEVICE_STATE].code == -32101
        with pytest.raises(UnknownElement):
            await resolve(client.read(uuid.uuid4()))
        assert await resolve(client.read_value("Plant.Temperature")) == pytest.approx(21.5, abs=1.5)


async def test_writes(flavour: str, tls_sim: XentaraSimulator, ca_file: Path) -> None:
    async with connect(flavour, tls_sim, ca_file) as client:
        await resolve(client.write_value("Group 1.Setpoint", 12.5))
        assert await resolve(client.read_value("Group 1.Setpoint")) == 12.5
        await resolve(client.write_value("Group 1.Label", "new text"))
        await resolve(client.write_value("Group 1.Switch", True))
        assert await resolve(client.read_value("Group 1.Switch")) is True
        with pytest.raises(ReadOnly, match="read only"):
            await resolve(client.write_value("Group 1.Data Point 2", 5))
        with pytest.raises(ValueOutOfRange):
            await resolve(client.write_value("Group 1.Setpoint", 1000.0))
        with pytest.raises(ValueOutOfRange):
            await resolve(client.write_value("Group 1.Level", 300))
        with pytest.raises(TypeMismatch):
            await resolve(client.write_value("Group 1.Setpoint", "high"))


async def test_read_only_user_is_denied(flavour: str, tls_sim: XentaraSimulator, ca_file: Path) -> None:
    async with connect(flavour, tls_sim, ca_file, user="viewer", password="look") as client:
        assert await resolve(client.read_value("Group 1.Setpoint")) == 50.0
        with pytest.raises(AccessDenied):
            await resolve(client.write_value("Group 1.Setpoint", 1.0))


async def test_subscribe_events_and_unsubscribe(flavour: str, tls_sim: XentaraSimulator, ca_file: Path) -> None:
    async with connect(flavour, tls_sim, ca_file) as client:
        sub = await resolve(client.watch("Group 1.Data Point 1", "Group 1.Setpoint", min_rate=50))
        assert sub.id in client.subscriptions
        events = await take_events(client, 4, of_type=DataChange, timeout=10)
        assert all(sub.matches(e) for e in events)
        point = await resolve(client.lookup("Group 1.Data Point 1"))
        assert any(e.element == point and isinstance(e.value, float) for e in events)
        assert all(e.timestamp.ns > 0 for e in events)
        await resolve(sub.unsubscribe())
        assert client.subscriptions == {}
        with pytest.raises(UnknownSubscription):
            await resolve(client.unsubscribe(sub.id))


async def test_writes_show_up_as_events(flavour: str, tls_sim: XentaraSimulator, ca_file: Path) -> None:
    async with connect(flavour, tls_sim, ca_file) as client:
        await resolve(client.subscribe([("Group 1.Setpoint", [Attribute.VALUE, Attribute.QUALITY])], max_rate=20))
        await resolve(client.write_value("Group 1.Setpoint", 77.0))
        (event,) = await take_events(client, 1, of_type=DataChange, timeout=5)
        assert event.value == 77.0


async def test_sub_sessions(flavour: str, tls_sim: XentaraSimulator, ca_file: Path) -> None:
    async with connect(flavour, tls_sim, ca_file) as client:
        desired = uuid.uuid4()
        session = await resolve(client.create_sub_session(SubSessionPassword("viewer", "look"), desired))
        assert session == desired
        assert await resolve(client.check_access(session)) == AccessRights(read=True, write=False)
        with pytest.raises(AccessDenied):
            await resolve(client.write("Group 1.Setpoint", Attribute.VALUE, 3.0, sub_session=session))
        by_token = await resolve(client.create_sub_session(SubSessionToken("good-token")))
        assert await resolve(client.check_access(by_token)) == AccessRights(read=True, write=True)
        await resolve(client.write("Group 1.Setpoint", Attribute.VALUE, 3.0, sub_session=by_token))
        await resolve(client.close_sub_session(session))
        with pytest.raises(UnknownSession):
            await resolve(client.check_access(session))
        with pytest.raises(AccessDenied):
            await resolve(client.create_sub_session(SubSessionPassword("viewer", "wrong")))


async def test_bad_credentials(flavour: str, tls_sim: XentaraSimulator, ca_file: Path) -> None:
    with pytest.raises(AuthenticationError):
        async with connect(flavour, tls_sim, ca_file, password="wrong"):
            pass
    with pytest.raises(AuthenticationError):
        async with connect(flavour, tls_sim, ca_file, user=None, password=None, token="bad"):
            pass
    async with connect(flavour, tls_sim, ca_file, user=None, password=None, token="good-token") as client:
        assert await resolve(client.get_stage()) is Stage.OPERATIONAL


async def test_tls_verification(flavour: str, tls_sim: XentaraSimulator) -> None:
    kwargs: dict[str, Any] = {"user": "operator", "password": "secret", "reconnect": None}
    with pytest.raises(TLSError):
        async with open_client(flavour, Client, AsyncClient, tls_sim.url(), **kwargs):
            pass
    async with open_client(flavour, Client, AsyncClient, tls_sim.url(), verify=False, **kwargs) as client:
        assert await resolve(client.get_stage()) is Stage.OPERATIONAL


async def test_restart_reconnects_with_new_hello_and_restores_subscriptions(
    flavour: str, tls_sim: XentaraSimulator, ca_file: Path
) -> None:
    async with connect(flavour, tls_sim, ca_file, reconnect=FAST_RECONNECT) as client:
        sub = await resolve(client.watch("Group 1.Data Point 1", min_rate=50))
        await take_events(client, 1, of_type=DataChange)
        tls_sim.call(tls_sim.restart())
        await take_events(client, 1, of_type=Reconnected, timeout=10)
        assert tls_sim.hellos == 2
        states = [c.state["xentara"] for c in tls_sim.connections]
        assert [list(s.subscriptions) for s in states] == [[sub.id]]
        events = await take_events(client, 2, of_type=DataChange, timeout=10)
        assert all(sub.matches(e) for e in events)
        assert await resolve(client.get_stage()) is Stage.OPERATIONAL


async def test_batch_answers_matched_by_id(flavour: str, tls_sim: XentaraSimulator, ca_file: Path) -> None:
    tls_sim.reverse_responses = True
    async with connect(flavour, tls_sim, ca_file) as client:
        point = await resolve(client.lookup("Group 1.Data Point 1"))
        found, stage, error = await resolve(
            client.batch([LookupCommand("Group 1.Data Point 1"), GetStageCommand(), MetaDataCommand(point, [0, 83])])
        )
        assert found == point and stage is Stage.OPERATIONAL and isinstance(error, InvalidParameter)
        results = await resolve(client.read_many(["Group 1.Setpoint", "Group 1.Switch", "Group 1.Label"]))
        assert [r[Attribute.VALUE] for r in results] == [50.0, False, "hello"]


async def test_garbage_from_server_keeps_client_working(
    flavour: str, tls_sim: XentaraSimulator, ca_file: Path
) -> None:
    async with connect(flavour, tls_sim, ca_file) as client:
        tls_sim.call(tls_sim.send_garbage(b"\xff\x00"))
        tls_sim.call(tls_sim.send_garbage(b"\x81\x83\x02\x00\xa1\x00\x39\x7f\xff"))  # [[2, 0, {0: -32768}]]
        violation, unmatched = await take_events(client, 2, of_type=(ProtocolViolation, UnmatchedError))
        assert isinstance(violation, ProtocolViolation)
        assert isinstance(unmatched, UnmatchedError) and unmatched.failure == Failure(-32768, "")
        assert await resolve(client.get_stage()) is Stage.OPERATIONAL


async def test_pipelined_reads_all_answered(tls_sim: XentaraSimulator, ca_file: Path) -> None:
    async with connect("async", tls_sim, ca_file) as client:
        point = await client.lookup("Group 1.Setpoint")
        results = await asyncio.gather(*(client.read(point, [Attribute.VALUE, i % 13]) for i in range(1000)))
        assert len(results) == 1000
        assert all(r[Attribute.VALUE] == 50.0 for r in results)
        # each answer went to its own caller: the second attribute differs per request
        assert all((i % 13) in r.results for i, r in enumerate(results))
        assert len(client.core.pending) == 0


async def test_pytest_fixture(xentara_simulator: XentaraSimulator) -> None:
    with Client(xentara_simulator.url(), reconnect=None) as client:
        assert client.read_value("Group 1.Setpoint") == 50.0
    await wait_until(lambda: not xentara_simulator.connections)


async def test_empty_or_missing_arguments_are_refused_before_sending(
    flavour: str, tls_sim: XentaraSimulator, ca_file: Path
) -> None:
    """R11: ``watch(u, attributes=[])`` and ``unsubscribe(None)`` went to the server (InvalidParameter, -32110)."""
    async with connect(flavour, tls_sim, ca_file) as client:
        point = await resolve(client.lookup("Group 1.Data Point 1"))
        refused = [
            lambda: client.watch(point, attributes=[]),
            lambda: client.subscribe([(point, [])]),
            lambda: client.subscribe([point, ("Group 1.Setpoint", [])]),
            lambda: client.subscribe([point], max_rate=0),
            lambda: client.subscribe([]),
            lambda: client.unsubscribe(None),
            lambda: client.close_sub_session(None),
            lambda: client.server_information([]),
            lambda: client.browse(categories=[]),
            # checked before the lookup, which would fail first with UnknownElement
            lambda: client.meta_data("No such element", []),
            lambda: client.read_many(["No such element"], attributes=[]),
            lambda: client.browse("No such element", depth=-1),
            lambda: client.watch("No such element", attributes=[]),
        ]
        for call in refused:
            with pytest.raises(UsageError):
                await resolve(call())
        assert client.subscriptions == {}
        # a single primary key is one element, not one lookup per character
        sub = await resolve(client.subscribe("Group 1.Data Point 1"))
        assert [element for element, _ in sub.info.items] == [point]
        [result] = await resolve(client.read_many("Group 1.Data Point 1"))
        assert isinstance(result[Attribute.VALUE], float)
        await resolve(sub.unsubscribe())
        assert client.subscriptions == {}


async def test_events_carry_the_path_the_client_knows(flavour: str, tls_sim: XentaraSimulator, ca_file: Path) -> None:
    """A data change names its element's primary key when the client looked it up or was given it."""
    async with connect(flavour, tls_sim, ca_file) as client:
        by_key = await resolve(client.watch("Group 1.Data Point 1", min_rate=20))
        [event] = await take_events(client, 1, of_type=DataChange)
        assert event.path == "Group 1.Data Point 1" and by_key.matches(event)
        assert str(event) == f"{event.timestamp} Group 1.Data Point 1: VALUE={event.value}"
        await resolve(by_key.unsubscribe())
        # an Element naming its key gives the path; a bare UUID nobody looked up gives none
        temperature = Element(uuid.uuid5(UUID_NAMESPACE, "Plant.Temperature"), "Plant.Temperature")
        pressure = uuid.uuid5(UUID_NAMESPACE, "Plant.Pressure")
        assert await resolve(client.lookup("Plant.Pressure")) == pressure  # the simulator's UUIDs
        client.core.paths.clear()
        await resolve(client.subscribe([temperature, pressure], min_rate=20))
        events = await take_events(client, 6, of_type=DataChange)
        paths = {e.element: e.path for e in events}
        assert paths == {temperature.uuid: "Plant.Temperature", pressure: None}
        # a lookup in a batch of the caller's own teaches the path too
        await resolve(client.batch([LookupCommand("Plant.Pressure"), GetStageCommand()]))
        events = await take_events(client, 6, of_type=DataChange)
        assert {e.element: e.path for e in events}[pressure] == "Plant.Pressure"


async def test_subscription_handles_by_flavour(flavour: str, tls_sim: XentaraSimulator, ca_file: Path) -> None:
    async with connect(flavour, tls_sim, ca_file) as client:
        sub = await resolve(client.watch("Group 1.Setpoint"))
        assert type(sub) is (Subscription if flavour == "sync" else AsyncSubscription)
        assert repr(sub) == f"<{type(sub).__name__} {sub.id} on 1 element(s)>"
        done = sub.unsubscribe()
        assert asyncio.iscoroutine(done) is (flavour == "async")
        await resolve(done)
        assert client.subscriptions == {}


async def test_stage_changes_and_an_unlisted_stage(flavour: str, tls_sim: XentaraSimulator, ca_file: Path) -> None:
    """The simulator reports stage 4 when suspended, a number the reference does not list: Stage.UNKNOWN."""
    async with connect(flavour, tls_sim, ca_file) as client:
        await resolve(client.suspend())
        assert await resolve(client.get_stage()) is Stage.UNKNOWN
        await resolve(client.shutdown())
        stage = await resolve(client.get_stage())
        assert stage is Stage.POST_OPERATIONAL and str(stage) == "POST_OPERATIONAL"


async def test_iterators_are_read_once(flavour: str, tls_sim: XentaraSimulator, ca_file: Path) -> None:
    """Arguments checked before a lookup and used after it may be one-shot iterators."""
    async with connect(flavour, tls_sim, ca_file) as client:
        points = await resolve(client.browse("Group 1", categories=iter([ElementCategory.DATA_POINT])))
        assert points and all(e.category is ElementCategory.DATA_POINT for e in points)
        assert str(points[0].category) == "DATA_POINT"
        sub = await resolve(client.subscribe([("Group 1.Setpoint", iter([Attribute.VALUE, Attribute.QUALITY]))]))
        [(_, attributes)] = sub.info.items
        assert attributes == (Attribute.VALUE, Attribute.QUALITY)
        result = await resolve(client.read("Group 1.Setpoint", iter([Attribute.VALUE])))
        assert result[Attribute.VALUE] == 50.0


async def test_async_argument_errors_surface_at_await(tls_sim: XentaraSimulator, ca_file: Path) -> None:
    """An async method is a coroutine function: a bad argument raises when the call is awaited."""
    async with connect("async", tls_sim, ca_file) as client:
        pending = client.watch("Group 1.Setpoint", attributes=[])
        with pytest.raises(UsageError, match="attribute"):
            await pending
        pending = client.read(3.5)
        with pytest.raises(UsageError, match=r"^read: element must be"):
            await pending
        assert client.subscriptions == {}


def test_credentials_are_checked_when_the_client_is_built() -> None:
    url = "wss://127.0.0.1:9/api/ws"
    for cls in (Client, AsyncClient):
        assert cls(url, token="t").options.auth is not None
        with pytest.raises(UsageError, match="not both"):
            cls(url, user="op", password="pw", token="t")
        with pytest.raises(UsageError, match="not both"):
            cls(url, user="op", password="pw", auth=BasicAuth("other", "x"))
        with pytest.raises(UsageError, match="needs a user"):
            cls(url, password="pw")
