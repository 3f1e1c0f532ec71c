"""Caller mistakes are ``UsageError``s raised before anything is sent, on every client.

The property: for every client constructor and every public method that sends,
an argument drawn from a wrong type (one argument at a time, the others valid)
raises :class:`~iotws.errors.UsageError`, and the simulator receives no frame.
Frames are counted where every simulator reads them (``async for frame in conn``),
by an observing wrapper around the simulator's ``handle``; nothing is mocked.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iotws.errors import UsageError
from iotws.options import BasicAuth, BearerAuth, ConnectOptions, redact_headers
from iotws.simulator import SimConnection, SimulatorBase
from iotws.testing import open_client, resolve

# -- counting the frames a simulator receives ---------------------------------------


class _CountingConnection(SimConnection):
    """A :class:`SimConnection` that counts each frame the simulator reads."""

    async def _frames(self) -> AsyncIterator[Any]:
        async for frame in super()._frames():
            self.sim.frames_received += 1  # type: ignore[attr-defined]
            yield frame


def count_frames(sim: SimulatorBase) -> None:
    """Make ``sim`` count the frames its connections read, in ``sim.frames_received``."""
    sim.frames_received = 0  # type: ignore[attr-defined]
    serve = sim.handle

    async def handle(conn: SimConnection) -> None:
        conn.__class__ = _CountingConnection
        await serve(conn)

    sim.handle = handle  # type: ignore[method-assign]


@asynccontextmanager
async def running(sim: Any) -> AsyncIterator[Any]:
    """Run ``sim`` in its own thread (a sync client may then block this loop safely)."""
    with sim.run() as started:
        yield started


def frames(sim: SimulatorBase) -> int:
    return int(sim.frames_received)  # type: ignore[attr-defined]


def settle(sim: SimulatorBase, before: int) -> None:
    """Fail if ``sim`` received a frame after ``before`` (waiting a moment for stragglers)."""
    time.sleep(0.15)
    assert frames(sim) == before, "a frame reached the server"


# -- the protocols -------------------------------------------------------------------


@dataclass
class Case:
    """One client class of one protocol: how to reach its simulator, what to call."""

    protocol: str
    sync_name: str
    async_name: str
    #: client constructor arguments from the running simulator
    arguments: Callable[[Any], tuple[tuple[Any, ...], dict[str, Any]]]
    #: valid arguments of each method that sends (beyond its defaults)
    valid: dict[str, dict[str, Any]]
    #: parameters that legitimately take any value (``Any``/``object``), not drawn wrong
    free: set[tuple[str, str]] = field(default_factory=set)
    #: parameter name -> values of another type that the methods accept on purpose
    lenient: dict[str, Callable[[Any], bool]] = field(default_factory=dict)

    def module(self) -> Any:
        import importlib

        return importlib.import_module(f"iotws.{self.protocol}")

    def simulator(self) -> Any:
        kit = __import__(f"iotws.{self.protocol}.fixtures", fromlist=["KIT"]).KIT
        return kit.simulator()

    def classes(self) -> tuple[Any, Any]:
        module = self.module()
        return getattr(module, self.sync_name), getattr(module, self.async_name)


def _oisp_arguments(sim: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    return (sim.url(), "dev-1", sim.issue_token("dev-1", "acc-1")), {"grace": 0.2, "request_timeout": 5.0}


def _globiots_point() -> Any:
    from iotws.globiots import Point

    return Point("0.0.0.1", 0x3000, "unsigned_integer_16")


def _farm_event() -> Any:
    from iotws.farmws.models import Temperature

    return Temperature(21.5, 1)


def _sensor() -> Any:
    from iotws.farmws.models import SensorInfo

    return SensorInfo("Rain")


def _sub_session_auth() -> Any:
    from iotws.xentara.models import SubSessionToken

    return SubSessionToken("t")


_ELEMENT = uuid.UUID(int=7)

CASES = [
    Case(
        "evok",
        "Client",
        "AsyncClient",
        lambda sim: ((sim.url(),), {"request_timeout": 5.0}),
        {
            "refresh": {},
            "reset_counter": {"circuit": "1_01"},
            "reset_watchdog": {"circuit": "1_01"},
            "send": {"*": ("ro", "2_01"), "value": 1},
            "set": {"*": ("do", "1_01"), "value": 1},
            "set_alias": {"dev": "do", "circuit": "1_01", "alias": "lamp"},
            "set_analog_input_mode": {"circuit": "1_01", "mode": "Voltage"},
            "set_analog_output": {"circuit": "1_01", "value": 2.5},
            "set_debounce": {"circuit": "1_01", "debounce": 5},
            "set_filter": {"devices": ["relay"]},
            "set_led": {"circuit": "1_01", "on": True},
            "set_output": {"circuit": "1_01", "on": True},
            "set_pwm": {"circuit": "1_04", "duty": 50.0},
            "set_relay": {"circuit": "2_01", "on": True},
            "set_watchdog": {"circuit": "1_01", "enabled": True},
        },
    ),
    Case(
        "globiots",
        "Client",
        "AsyncClient",
        lambda sim: ((sim.base_url,), {"request_timeout": 5.0}),
        {
            "set": {"point": _globiots_point(), "value": 1},
            "set_many": {"writes": {_globiots_point(): 1}},
            "subscribe": {"points": [_globiots_point()]},
        },
    ),
    Case(
        "xentara",
        "Client",
        "AsyncClient",
        lambda sim: ((sim.url(),), {"request_timeout": 5.0}),
        {
            "batch": {"commands": []},
            "browse": {},
            "check_access": {"sub_session": uuid.UUID(int=1)},
            "client_hello": {},
            "close_sub_session": {"sub_session": uuid.UUID(int=1)},
            "create_sub_session": {"auth": _sub_session_auth()},
            "get_stage": {},
            "lookup": {"primary_key": "plant.pump"},
            "meta_data": {"element": _ELEMENT},
            "read": {"element": _ELEMENT},
            "read_many": {"elements": [_ELEMENT]},
            "read_value": {"element": _ELEMENT},
            "server_information": {},
            "shutdown": {},
            "subscribe": {"targets": [_ELEMENT]},
            "suspend": {},
            "unsubscribe": {"subscription": uuid.UUID(int=1)},
            "watch": {"*": (_ELEMENT,)},
            "write": {"element": _ELEMENT, "attribute": 11, "value": 1.0},
            "write_value": {"element": _ELEMENT, "value": 1.0},
        },
        # the value to write is whatever the element takes
        free={("write", "value"), ("write_value", "value")},
    ),
    Case("oisp", "Client", "AsyncClient", _oisp_arguments, {"ping": {}}),
    Case(
        "farmws",
        "ControllerClient",
        "AsyncControllerClient",
        lambda sim: ((sim.url("/"),), {"request_timeout": 5.0}),
        {
            "emit": {"event": _farm_event()},
            "humidity": {"record": 40.0},
            "irrigation_started": {"zones": ["z1"]},
            "irrigation_stopped": {},
            "send": {"event": "custom", "data": {"a": 1}},
            "sensor_disconnected": {"sensor": "s1"},
            "soil_moisture": {"record": 30.0},
            "temperature": {"record": 21.5},
        },
        # Socket.IO event data is any JSON value
        free={("send", "data")},
    ),
    Case(
        "farmws",
        "DashboardClient",
        "AsyncDashboardClient",
        lambda sim: ((sim.url("/"),), {"client_id": "pytest", "request_timeout": 5.0}),
        {"emit": {"event": _farm_event()}, "send": {"event": "custom", "data": 1}},
        free={("send", "data")},
    ),
    Case(
        "farmws",
        "DeviceClient",
        "AsyncDeviceClient",
        lambda sim: ((sim.url("/"),), {"name": "Esp1", "request_timeout": 5.0}),
        {
            "register_sensors": {"sensors": {"s1": _sensor()}},
            "reply": {"return_id": "r1", "result": 1},
            "send": {"event": "custom", "data": 1},
            "sensor_status": {"connected": {"s1": True}},
            "sensor_update": {"values": {"s1": 1.5}},
        },
        # a command's result and an event's data are any JSON value
        free={("reply", "result"), ("send", "data")},
    ),
]


def _parameters(method: Any) -> list[inspect.Parameter]:
    signature = inspect.signature(method)
    return [p for p in list(signature.parameters.values()) if p.name != "self" and p.kind is not p.VAR_KEYWORD]


#: Checked methods that register a callback or handler and send nothing.
_REGISTERS = frozenset({"on_event", "off_event", "handle", "command", "on_actuation"})


def _sending_methods(case: Case) -> list[str]:
    """The public methods of the client that send: those with argument checks (``@checked``)
    and any other named in the table (methods that take no arguments)."""
    from iotws.client import SyncClientBase

    sync_cls, _ = case.classes()
    found = []
    for name in dir(sync_cls):
        if name.startswith("_") or hasattr(SyncClientBase, name):
            continue
        attr = inspect.getattr_static(sync_cls, name)
        if name in _REGISTERS:
            continue
        if (inspect.isfunction(attr) and hasattr(attr, "__wrapped__")) or name in case.valid:
            found.append(name)
    return sorted(found)


def test_every_sending_method_has_valid_arguments_here() -> None:
    """The table below covers every public method that sends (a new one must be added)."""
    for case in CASES:
        assert _sending_methods(case) == sorted(case.valid), case.sync_name


def _target(case: Case, name: str) -> Any:
    """The function a client method is written as (what its signature is read from)."""
    method = inspect.getattr_static(case.classes()[0], name)
    return method.__wrapped__ if hasattr(method, "__wrapped__") else method


def _method_cases() -> Iterator[Any]:
    for case in CASES:
        for name in sorted(case.valid):
            for parameter in _parameters(_target(case, name)):
                if (name, parameter.name) in case.free:
                    continue
                label = f"{case.sync_name}-{case.protocol}.{name}.{parameter.name}"
                yield pytest.param(case, name, parameter, id=label)


# -- wrong values -------------------------------------------------------------------


class Opaque:
    """An object of a type no method takes."""

    def __repr__(self) -> str:
        return "Opaque()"


_ANYTHING_WRONG = st.sampled_from([Opaque(), complex(1, 2), [Opaque()], {Opaque(): Opaque()}, (Opaque(),)])
_NOT_A_NUMBER = st.sampled_from(["1", "5.0", b"1", [1.0]])
_BAD_SECONDS = st.sampled_from([math.nan, -1.0, -1, 0, 0.0, math.inf, -math.inf, "1", "5", [1]]) | st.floats(
    max_value=0.0
)
_NOT_A_STR = st.sampled_from([12345, 1.5, ["a", "b"], ("a",), b"bytes", Opaque()])


def wrong_values(parameter: inspect.Parameter) -> st.SearchStrategy[Any]:
    """Values of a wrong type for ``parameter``, from its annotation's text."""
    annotation = parameter.annotation
    if isinstance(annotation, str):
        text = annotation
    elif isinstance(annotation, type):
        text = annotation.__name__
    else:
        text = str(annotation).replace("typing.", "")
    strategies = [_ANYTHING_WRONG]
    if (parameter.name == "timeout" or parameter.name.endswith("_timeout")) and "float" in text:
        strategies.append(_BAD_SECONDS)
    if text in ("str", "str | None"):
        strategies.append(_NOT_A_STR)
    if text in ("int", "float", "int | None", "float | None", "Number", "int | float", "bool", "bool | None"):
        strategies.append(_NOT_A_NUMBER)
    return st.one_of(strategies)


# -- the property ----------------------------------------------------------------------


@contextmanager
def connected(case: Case, flavour: str) -> Iterator[tuple[Any, Any, Any]]:
    sim = case.simulator()
    count_frames(sim)
    with sim.run():
        sync_cls, async_cls = case.classes()
        args, kwargs = case.arguments(sim)
        if flavour == "sync":
            client = sync_cls(*args, **kwargs)
            client.connect()
            try:
                yield sim, client, None
            finally:
                client.close()
        else:
            loop = asyncio.new_event_loop()
            client = async_cls(*args, **kwargs)
            loop.run_until_complete(client.connect())
            try:
                yield sim, client, loop
            finally:
                loop.run_until_complete(client.close())
                loop.close()


_OPEN: dict[tuple[str, str, str], tuple[Any, Any, Any]] = {}


@pytest.fixture(scope="module")
def shared_connections() -> Iterator[dict[tuple[str, str, str], tuple[Any, Any, Any]]]:
    """One simulator and client per (protocol, client, flavour) for the whole module."""
    stack = ExitStack()
    with stack:
        _OPEN.clear()
        _OPEN["stack"] = stack  # type: ignore[assignment]
        yield _OPEN
        for key, opened in list(_OPEN.items()):
            if key != "stack":
                settle(opened[0], opened[0].frames_checked)
        _OPEN.clear()


def _connection(cache: dict[Any, Any], case: Case, flavour: str) -> tuple[Any, Any, Any]:
    key = (case.protocol, case.sync_name, flavour)
    if key not in cache:
        cache[key] = cache["stack"].enter_context(connected(case, flavour))
        time.sleep(0.1)  # the opening exchange is over
        cache[key][0].frames_checked = frames(cache[key][0])
    return cache[key]  # type: ignore[no-any-return]


def _call(client: Any, loop: Any, name: str, kwargs: dict[str, Any]) -> Any:
    kwargs = dict(kwargs)
    args = kwargs.pop("*", ())
    method = getattr(client, name)
    if loop is None:
        return method(*args, **kwargs)

    async def run() -> Any:
        return await resolve(method(*args, **kwargs))

    return loop.run_until_complete(run())


@pytest.mark.parametrize(("case", "method", "parameter"), list(_method_cases()))
def test_wrong_argument_types_raise_usage_error_and_send_nothing(
    case: Case, method: str, parameter: inspect.Parameter, flavour: str, shared_connections: dict[Any, Any]
) -> None:
    sim, client, loop = _connection(shared_connections, case, flavour)
    before = frames(sim)
    assert before == sim.frames_checked, "a frame reached the server after an earlier case"

    accepted = case.lenient.get(parameter.name, lambda value: False)
    position = [p.name for p in _parameters(_target(case, method))].index(parameter.name)

    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(wrong=wrong_values(parameter).filter(lambda value: not accepted(value)))
    def check(wrong: Any) -> None:
        arguments = {**case.valid[method], parameter.name: wrong}
        if parameter.kind is parameter.VAR_POSITIONAL:
            arguments["*"] = (wrong,)
            del arguments[parameter.name]
        elif parameter.kind is parameter.POSITIONAL_ONLY:
            positional = list(arguments["*"])
            positional[position] = wrong
            arguments["*"] = tuple(positional)
            del arguments[parameter.name]
        with pytest.raises(UsageError):
            _call(client, loop, method, arguments)
        assert frames(sim) == before, f"{method}({parameter.name}={wrong!r}) reached the server"

    check()
    time.sleep(0.02)  # a frame sent would have been read by now (loopback)
    assert frames(sim) == before, f"a call of {method} reached the server"


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.protocol}.{c.sync_name}")
def test_the_valid_arguments_are_valid(case: Case, flavour: str) -> None:
    """The property above is only meaningful if the other arguments pass: spot-check one method."""
    with connected(case, flavour) as (_, client, loop):
        for name in ("refresh", "ping", "get_stage", "temperature", "send", "emit", "subscribe"):
            if name in case.valid:
                _call(client, loop, name, case.valid[name])
                break


# -- constructors ----------------------------------------------------------------------

_BAD_OPTIONS: list[tuple[str, Any]] = [
    ("request_timeout", "5"),
    ("request_timeout", math.nan),
    ("request_timeout", -1),
    ("request_timeout", math.inf),
    ("request_timeout", True),
    ("connect_timeout", None),
    ("connect_timeout", "10"),
    ("close_timeout", [1]),
    ("ping_interval", "20"),
    ("ping_timeout", -5),
    ("reconnect", "yes"),
    ("reconnect", True),
    ("auth", "user:pw"),
    ("auth", ("user", "pw")),
    ("headers", [1, 2]),
    ("headers", "X-Site: a"),
    ("headers", {"X-Site": 5}),
    ("headers", {5: "x"}),
    ("subprotocols", "chat"),
    ("subprotocols", [1]),
    ("verify", "no"),
    ("ca_file", 5),
    ("ssl_context", "ctx"),
    ("max_message_size", "big"),
    ("max_message_size", 0),
    ("event_queue_size", 1.5),
    ("secret_headers", "X-Key"),
    ("request_timout", 5),
]


def _constructors() -> Iterator[Any]:
    seen = set()
    for case in CASES:
        for name in (case.sync_name, case.async_name):
            if (case.protocol, name) not in seen:
                seen.add((case.protocol, name))
                yield pytest.param(case, name, id=f"{case.protocol}.{name}")


def _url_arguments(case: Case, url: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    if case.protocol == "oisp":
        return (url, "dev-1", "token"), {}
    return (url,), {}


def _option_cases() -> Iterator[Any]:
    for option, value in _BAD_OPTIONS:
        for case in _constructors():
            protocol_case, class_name = case.values
            name = f"{option}={value!r}-{case.id}"
            yield pytest.param(option, value, protocol_case, class_name, id=name)


@pytest.mark.parametrize(("option", "value", "case", "class_name"), list(_option_cases()))
def test_every_constructor_refuses_a_bad_option(case: Case, class_name: str, option: str, value: Any) -> None:
    cls = getattr(case.module(), class_name)
    args, kwargs = _url_arguments(case, "ws://127.0.0.1:9/")
    with pytest.raises(UsageError, match=option.rstrip("s")):
        cls(*args, **kwargs, **{option: value})


@pytest.mark.parametrize(("case", "class_name"), list(_constructors()))
@pytest.mark.parametrize(
    "url", [12345, None, b"ws://127.0.0.1/", "http://127.0.0.1/", "ws://127.0.0.1:99999/", "ws://:80/"]
)
def test_every_constructor_refuses_a_bad_url(case: Case, class_name: str, url: Any) -> None:
    cls = getattr(case.module(), class_name)
    args, kwargs = _url_arguments(case, url)
    with pytest.raises(UsageError):
        cls(*args, **kwargs)


# -- R7: options are checked when the client is built ----------------------------------


def test_unknown_option_names_the_option_and_close_matches() -> None:
    from iotws.evok import Client

    with pytest.raises(UsageError) as caught:
        Client("ws://127.0.0.1:9/", request_timout=5)
    assert "request_timout" in str(caught.value) and "request_timeout" in str(caught.value)
    with pytest.raises(UsageError, match="filter"):
        Client("ws://127.0.0.1:9/", filtr=["relay"])  # the client's own keywords are suggested too


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("reconnect", "yes", "ReconnectPolicy"),
        ("request_timeout", math.nan, "positive"),
        ("connect_timeout", None, "number of seconds"),
        ("auth", "user:pw", "BasicAuth"),
        ("request_timeout", "5", "number of seconds"),
        ("headers", [1, 2], "mapping"),
    ],
)
def test_option_errors_say_what_is_allowed(option: str, value: Any, words: str) -> None:
    with pytest.raises(UsageError, match=option) as caught:
        ConnectOptions("ws://127.0.0.1:9/", **{option: value})
    assert words in str(caught.value)


def test_reconnect_policy_values_are_checked() -> None:
    from iotws.backoff import ReconnectPolicy

    for bad in ({"initial_delay": "1"}, {"factor": math.nan}, {"max_attempts": "3"}, {"retry_on": "always"}):
        with pytest.raises(UsageError):
            ReconnectPolicy(**bad)


async def test_a_bad_option_fails_before_any_connection(flavour: str) -> None:
    from iotws.evok import AsyncClient, Client, EvokSimulator

    sim = EvokSimulator()
    count_frames(sim)
    with sim.run():
        with pytest.raises(UsageError, match="reconnect"):
            async with open_client(flavour, Client, AsyncClient, sim.url(), reconnect="yes"):
                pass
        assert not sim.connections and frames(sim) == 0


# -- R5/R16: per-call timeouts ------------------------------------------------------------


@pytest.mark.parametrize("timeout", [-1, -0.5, 0, math.nan, math.inf, "1", [1], True])
async def test_refresh_refuses_a_bad_timeout_before_sending(flavour: str, timeout: Any) -> None:
    from iotws.evok import AsyncClient, Client, EvokSimulator

    sim = EvokSimulator()
    count_frames(sim)
    async with running(sim), open_client(flavour, Client, AsyncClient, sim.url(), request_timeout=5.0) as evok:
        await asyncio.sleep(0.05)
        before = frames(sim)
        started = time.monotonic()
        with pytest.raises(UsageError, match="timeout"):
            await resolve(evok.refresh(timeout=timeout))
        assert time.monotonic() - started < 1.0
        await asyncio.sleep(0.1)
        assert frames(sim) == before
        assert len(await resolve(evok.refresh(timeout=2))) > 0  # a good one still works


@pytest.mark.parametrize("timeout", [-1, math.nan, "1"])
async def test_evok_setter_timeout_is_checked_before_sending(flavour: str, timeout: Any) -> None:
    from iotws.evok import AsyncClient, Client, EvokSimulator

    sim = EvokSimulator()
    count_frames(sim)
    async with running(sim), open_client(flavour, Client, AsyncClient, sim.url()) as evok:
        await asyncio.sleep(0.05)
        before = frames(sim)
        with pytest.raises(UsageError, match="set_relay: timeout"):
            await resolve(evok.set_relay("2_01", True, timeout=timeout))
        await asyncio.sleep(0.1)
        assert frames(sim) == before


@pytest.mark.parametrize("timeout", [-1, math.nan, "1"])
async def test_oisp_ping_refuses_a_bad_timeout_before_sending(flavour: str, timeout: Any) -> None:
    from iotws.oisp import AsyncClient, Client
    from iotws.oisp.fixtures import KIT

    sim = KIT.simulator()
    count_frames(sim)
    async with running(sim):
        args, kwargs = _oisp_arguments(sim)
        async with open_client(flavour, Client, AsyncClient, *args, **kwargs) as dev:
            await asyncio.sleep(0.05)
            before = frames(sim)
            with pytest.raises(UsageError, match="timeout"):
                await resolve(dev.ping(timeout=timeout))
            await asyncio.sleep(0.1)
            assert frames(sim) == before


async def test_a_command_with_a_bad_timeout_is_refused_by_the_shared_layer(flavour: str) -> None:
    """Even a command built outside the checked methods: ``_execute`` refuses it."""
    from iotws.evok import AsyncClient, Client, EvokSimulator
    from iotws.evok.protocol import RefreshCommand

    sim = EvokSimulator()
    count_frames(sim)
    async with running(sim), open_client(flavour, Client, AsyncClient, sim.url()) as evok:
        await asyncio.sleep(0.05)
        before = frames(sim)
        command = RefreshCommand()
        command.timeout = -1
        with pytest.raises(UsageError, match="timeout"):
            await resolve(evok._execute(command))
        await asyncio.sleep(0.1)
        assert frames(sim) == before


@pytest.mark.parametrize("timeout", [-1, math.nan, "1"])
async def test_events_and_next_event_refuse_a_bad_timeout(flavour: str, timeout: Any) -> None:
    from iotws.evok import AsyncClient, Client, DeviceChanged, EvokSimulator

    async with running(EvokSimulator()) as sim, open_client(flavour, Client, AsyncClient, sim.url()) as evok:
        with pytest.raises(UsageError, match="timeout"):
            evok.events(timeout=timeout)
        with pytest.raises(UsageError, match="timeout"):
            await resolve(evok.next_event(DeviceChanged, timeout=timeout))


# -- R16: plain type mistakes are UsageError, before anything is sent -----------------------


async def test_type_mistakes_in_commands_are_usage_errors(flavour: str) -> None:
    from iotws.evok import AsyncClient, Client, EvokSimulator

    sim = EvokSimulator()
    count_frames(sim)
    async with running(sim), open_client(flavour, Client, AsyncClient, sim.url()) as evok:
        await asyncio.sleep(0.05)
        before = frames(sim)
        for call in (
            lambda: evok.refresh(timeout="1"),
            lambda: evok.set_debounce("1_01", "5"),
            lambda: evok.set_alias("do", ["1_01"], "x"),
            lambda: evok.set_filter("relay"),
            lambda: evok.set_analog_output("1_01", "2.5"),
            lambda: evok.reset_watchdog(),  # a missing argument, too
            lambda: evok.refresh(1, 2),
        ):
            with pytest.raises(UsageError):
                await resolve(call())
        await asyncio.sleep(0.1)
        assert frames(sim) == before


def test_port_out_of_range_is_refused_when_the_client_is_built() -> None:
    from iotws.evok import AsyncClient, Client

    for cls in (Client, AsyncClient):
        with pytest.raises(UsageError, match="port"):
            cls("ws://127.0.0.1:99999/")


# -- R9: credentials in reprs, errors and logs ---------------------------------------------


def test_url_password_is_hidden_in_option_reprs_and_errors() -> None:
    from iotws.evok import Client

    client = Client("ws://user:hunter2@127.0.0.1:9/ws?token=tok3n&site=a", reconnect=None)
    assert "hunter2" not in repr(client.options) and "hunter2" not in repr(client)
    assert "tok3n" not in repr(client.options)
    assert "site=a" in repr(client.options)
    for bad in ("http://user:hunter2@127.0.0.1/", "ws://user:hunter2@127.0.0.1:99999/"):
        with pytest.raises(UsageError) as caught:
            Client(bad)
        assert "hunter2" not in str(caught.value)


def test_token_headers_are_redacted_in_reprs() -> None:
    opts = ConnectOptions(
        "ws://127.0.0.1:9/",
        headers={"X-Auth-Token": "tok-1", "X-Api-Token": "tok-2", "Private-Token": "tok-3", "X-Site-Pin": "pin-4"},
        secret_headers=["x-site-pin"],
    )
    text = repr(opts)
    for secret in ("tok-1", "tok-2", "tok-3", "pin-4"):
        assert secret not in text
    assert redact_headers({"X-Auth-Token": "t", "X-Site": "a"}) == {"X-Auth-Token": "***", "X-Site": "a"}
    assert "hunter2" not in repr(BasicAuth("u", "hunter2")) and "t0k3n" not in repr(BearerAuth("t0k3n"))


async def test_token_headers_never_reach_debug_logs(flavour: str, caplog: pytest.LogCaptureFixture) -> None:
    from iotws.evok import AsyncClient, Client, EvokSimulator

    caplog.set_level(logging.DEBUG)
    headers = {"X-Auth-Token": "tok-1", "X-Site-Pin": "pin-2", "Authorization": "Bearer tok-3"}
    async with (
        running(EvokSimulator()) as sim,
        open_client(flavour, Client, AsyncClient, sim.url(), headers=headers, secret_headers=["X-Site-Pin"]) as evok,
    ):
        await resolve(evok.refresh())
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "upgrade headers" in logged
    for secret in ("tok-1", "pin-2", "tok-3"):
        assert secret not in logged


# -- R9, in files this change does not own (the driver's part is fixed there; OISP's is routed) ----


async def test_async_authentication_error_carries_no_credentials() -> None:
    from iotws.errors import AuthenticationError
    from iotws.evok import AsyncClient, EvokSimulator

    async with EvokSimulator() as sim:
        sim.faults.refuse_upgrade = 401
        client = AsyncClient(sim.url(), headers={"X-Auth-Token": "tok-1"}, auth=BearerAuth("tok-2"), reconnect=None)
        with pytest.raises(AuthenticationError) as caught:
            await client.connect()
    seen = []
    error: BaseException | None = caught.value
    while error is not None:
        seen.append(repr(error))
        seen.append(repr(vars(error)) if hasattr(error, "__dict__") else "")
        info = getattr(error, "request_info", None)
        if info is not None:
            seen.append(repr(dict(info.headers)))
        error = error.__cause__ or error.__context__
    assert "tok-1" not in "".join(seen) and "tok-2" not in "".join(seen)


def test_oisp_token_with_a_quote_is_redacted_whole() -> None:
    import json

    from iotws.oisp.protocol import redact_tokens

    assert "secretpart" not in redact_tokens(json.dumps({"deviceToken": 'abc"secretpart'}))


async def test_xentara_subscribing_methods_name_themselves_and_the_argument(flavour: str) -> None:
    from iotws.xentara import AsyncClient, Client, XentaraSimulator

    with XentaraSimulator().run() as sim:
        async with open_client(flavour, Client, AsyncClient, sim.url()) as client:
            with pytest.raises(UsageError, match=r"^subscribe: targets must be .*nothing was sent$"):
                await resolve(client.subscribe(object()))
            with pytest.raises(UsageError, match=r"^watch: attributes must be "):
                await resolve(client.watch("Group 1.Setpoint", attributes=3.5))
            assert await resolve(client.read_value("Group 1.Switch")) in (True, False)  # still working
