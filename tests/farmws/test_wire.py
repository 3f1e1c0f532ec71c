"""The two decoders of farmws frames give equal models: msgspec's typed path and the general one.

A frame of the regular shape is decoded by msgspec straight into typed structs; any other
(an event without a model, extra keys, a value of another type, NaN, Infinity) by the
general decoder (``from_wire`` over ``jsonwire.loads``), which keeps all of it. Differential
tests on golden and generated frames, for the three cores.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iotws.errors import ProtocolError
from iotws.farmws.models import (
    DeviceCommand,
    FarmEvent,
    GenericEvent,
    IrrigationStarted,
    ServerError,
    Snapshot,
    Temperature,
    _typed_device_message,
    _typed_event,
    _typed_snapshot,
    event_from_wire,
)
from iotws.farmws.protocol import DeviceCore, EventCore, LiveCore, decode, encode
from iotws.farmws.testing import device_commands, farm_events, snapshots
from iotws.jsonwire import loads

from .test_protocol import (
    DOC_FORMAT,
    DOC_IRRIGATION_STARTED,
    DOC_SENSOR_DISCONNECTED,
    DOC_TEMPERATURE,
    FLOW_SNAPSHOT,
    MALFORMED_COMMANDS,
    SNAPSHOT,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def same(a: object, b: object) -> bool:
    """Equal models, with the same types all the way down (1 is not 1.0, nor True)."""
    return a == b and repr(a) == repr(b)


# --- Dialect D: EventCore -------------------------------------------------------------------------


def general_event(frame: str) -> FarmEvent | None:
    try:
        return event_from_wire(decode(frame))
    except ProtocolError:
        return None


def check_event(frame: str) -> FarmEvent | None:
    typed, expected = _typed_event(frame), general_event(frame)
    if typed is not None:
        assert same(typed, expected)
    if expected is None:
        with pytest.raises(ProtocolError):
            EventCore().receive(frame)
    else:
        (event,) = EventCore().receive(frame)
        assert repr(event) == repr(expected)
    return typed


REGULAR_EVENTS = [
    DOC_TEMPERATURE,
    DOC_IRRIGATION_STARTED,
    DOC_SENSOR_DISCONNECTED,
    '{"event":"humidity","data":{"time":5,"record":61.5}}',
    '{"event":"soil_moisture","data":{"record":512}}',
    '{"event":"temperature","data":{"time":null,"record":null}}',
    '{"event":"irrigation_stopped","data":{}}',
    '{"event":"irrigation_stopped","data":{"zones":[]}}',
    '{"data":{"time":1,"record":-0.0},"event":"temperature"}',
    '{"event":"temperature","data":{"time":123456789012345678901234567890}}',
]
ODD_EVENTS = [
    DOC_FORMAT,  # an event without a model
    '{"event":"valve","data":null}',
    '{"event":"temperature","data":{"time":1,"record":22.5,"unit":"C"}}',  # an unknown key
    '{"event":"temperature","data":{"time":1,"record":NaN}}',
    '{"event":"temperature","data":{"time":1,"record":Infinity}}',
    '{"event":"temperature","data":{"time":1,"record":1e400}}',
    '{"event":"temperature","data":{"time":1},"seq":4}',  # an unknown key beside event and data
    '{"event":"temperature","data":{"time":1},"event":"humidity"}',  # a repeated event name
]
BAD_EVENTS = [
    "not json",
    "[1, 2]",
    '{"data": {}}',
    '{"event": "temperature"}',
    '{"event": "temperature", "data": {"record": "hot"}}',
    '{"event": "temperature", "data": {"time": 1.5}}',
    '{"event": "temperature", "data": {"time": true}}',
    '{"event": "irrigation_started", "data": {"zones": "zone1"}}',
    '{"event": "sensor_disconnected", "data": {"sensor": 4}}',
]


@pytest.mark.parametrize("frame", REGULAR_EVENTS)
def test_regular_events_take_the_typed_path_and_agree(frame: str) -> None:
    assert check_event(frame) is not None


@pytest.mark.parametrize("frame", ODD_EVENTS)
def test_odd_events_take_the_general_path_and_are_kept(frame: str) -> None:
    assert check_event(frame) is None
    assert general_event(frame) is not None


@pytest.mark.parametrize("frame", BAD_EVENTS)
def test_bad_events_are_refused_by_both(frame: str) -> None:
    assert check_event(frame) is None


def test_binary_frames_never_take_the_typed_path() -> None:
    with pytest.raises(ProtocolError, match="binary"):
        EventCore().receive(b'{"event":"temperature","data":{}}')
    with pytest.raises(ProtocolError, match="binary"):
        DeviceCore().receive(b'{"event":"error","data":"x"}')
    with pytest.raises(ProtocolError, match="binary"):
        LiveCore().receive(b"{}")


def test_nan_infinity_and_extra_keys_survive() -> None:
    (event,) = EventCore().receive('{"event":"temperature","data":{"time":1,"record":NaN,"max":Infinity}}')
    assert isinstance(event, Temperature) and math.isnan(event.record)  # type: ignore[arg-type]
    assert event.extra == {"max": math.inf}
    (generic,) = EventCore().receive('{"event":"pump","data":{"flow":-Infinity}}')
    assert generic == GenericEvent("pump", {"flow": -math.inf})
    (irrigation,) = EventCore().receive('{"event":"irrigation_started","data":{"zones":["z1"],"duration":1e400}}')
    assert irrigation == IrrigationStarted(zones=("z1",), extra={"duration": math.inf})


@SETTINGS
@given(farm_events())
def test_generated_events_agree(event: FarmEvent) -> None:
    frame = encode(event.to_wire())
    typed = check_event(frame)
    if not isinstance(event, GenericEvent) and not getattr(event, "extra", None):
        assert typed is not None and same(typed, event)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
NAMES = st.sampled_from(["temperature", "humidity", "soil_moisture", "irrigation_started", "irrigation_stopped",
                         "sensor_disconnected", "command", "error", "pump"])
DATA_KEYS = st.sampled_from(["time", "record", "zones", "sensor", "cmd", "other"])
DATA = st.dictionaries(DATA_KEYS, JSON | st.lists(st.text(max_size=4), max_size=2), max_size=3) | JSON


@st.composite
def messages(draw: st.DrawFn) -> str:
    """``{"event", "data"}`` messages of any shape: known and unknown names, any data, odd keys."""
    message: dict[str, Any] = {"event": draw(NAMES), "data": draw(DATA)}
    if draw(st.booleans()):
        message["return"] = draw(st.text(max_size=12) | JSON)
    if draw(st.integers(0, 4)) == 0:
        message.pop(draw(st.sampled_from(["event", "data"])))
    if draw(st.integers(0, 4)) == 0:
        message["other"] = draw(JSON)
    return json.dumps(message)


@SETTINGS
@given(messages())
def test_generated_messages_of_any_shape_agree(frame: str) -> None:
    check_event(frame)
    check_device_message(frame)


# --- Dialect I: DeviceCore ---------------------------------------------------------------------


def general_device_message(frame: str) -> list[object] | None:
    """What a DeviceCore without handlers makes of ``frame`` through the general decoder alone."""
    message = loads(frame)
    if not isinstance(message, dict) or not isinstance(message.get("event"), str):
        return None
    try:
        if message["event"] == "error":
            return [ServerError(message.get("data"))]
        if message["event"] == "command":
            return [DeviceCommand.from_wire(message)]
        return [event_from_wire(message)]
    except ProtocolError:
        return None


def check_device_message(frame: str) -> object | None:
    try:
        expected = general_device_message(frame)
    except ValueError:
        expected = None
    typed = _typed_device_message(frame)
    if typed is not None:
        assert expected is not None and same(typed, expected[0])
    core = DeviceCore()
    if expected is None:
        with pytest.raises(ProtocolError):
            core.receive(frame)
    else:
        assert repr(core.receive(frame)) == repr(expected)
    return typed


@pytest.mark.parametrize(
    "frame",
    [
        '{"event":"command","data":{"cmd":"irrigation start"},"return":"a1B2c3D4e5"}',
        '{"event":"command","data":{"cmd":"config --socket_send_data_seconds 3"}}',
        '{"event":"command","data":{"cmd":""},"return":null}',
        '{"event":"error","data":"Error in the data sent"}',
        '{"event":"error"}',
        '{"event":"error","data":{"why":[1,2]}}',
        DOC_TEMPERATURE,
        DOC_IRRIGATION_STARTED,
    ],
)
def test_regular_device_messages_take_the_typed_path_and_agree(frame: str) -> None:
    assert check_device_message(frame) is not None


@pytest.mark.parametrize(
    "frame",
    [
        *MALFORMED_COMMANDS,
        '{"event":"command","data":{"cmd":"x","urgent":true},"return":"a1B2c3D4e5"}',  # kept in extra
        '{"event":"command","data":{"cmd":"x"},"return":"a1B2c3D4e5","seq":1}',
        '{"event":"error","data":NaN}',
        '{"event":"error","data":"x","seq":1}',
        DOC_FORMAT,
        "[]",
        '{"event":5}',
    ],
)
def test_odd_device_messages_take_the_general_path(frame: str) -> None:
    assert check_device_message(frame) is None


@SETTINGS
@given(device_commands())
def test_generated_commands_agree(command: DeviceCommand) -> None:
    typed = check_device_message(encode(command.to_wire()))
    if not command.extra:
        assert typed is not None and same(typed, command)


# --- Dialect I: LiveCore -----------------------------------------------------------------------


def check_snapshot(frame: str) -> Snapshot | None:
    typed = _typed_snapshot(frame)
    try:
        expected: Snapshot | None = Snapshot.from_wire(loads(frame), strict=False)
    except (ProtocolError, ValueError):
        expected = None
    if typed is not None:
        assert expected is not None and same(typed, expected) and not expected.problems
    return typed


@pytest.mark.parametrize(
    "frame",
    [
        SNAPSHOT,
        "{}",
        '{"E": {"name": "E"}}',
        '{"E": {"sensors": {"F": {}}}}',  # the device's name is its key
        '{"E": {"name": "Other", "sensors": {"F": {"status": null, "last_value": [1, {"a": null}], "name": null}}}}',
        '{"event": {"name": "x"}, "data": {"name": "y"}}',  # devices that happen to be called event and data
    ],
)
def test_regular_snapshots_take_the_typed_path_and_agree(frame: str) -> None:
    assert check_snapshot(frame) is not None
    core = LiveCore()
    assert core.receive(frame) == [core.state]


@pytest.mark.parametrize(
    "frame",
    [
        FLOW_SNAPSHOT,  # a malformed entry: kept, flagged
        '{"E": {"name": null, "sensors": {}}}',
        '{"E": {"name": "E", "sensors": {"F": {"status": "on"}}}}',
        '{"E": {"name": "E", "sensors": {"F": {"last_value": NaN}}}}',
        '{"E": {"name": "E", "sensors": {"F": {"unit": "C"}}}}',
        '{"E": {"name": "E", "ip": "10.0.0.5"}}',
        '{"event": "error", "data": "x"}',
    ],
)
def test_odd_snapshots_take_the_general_path(frame: str) -> None:
    assert check_snapshot(frame) is None
    LiveCore().receive(frame)  # kept, never raising


def test_snapshot_nan_and_extra_keys_survive() -> None:
    core = LiveCore()
    (snapshot,) = core.receive('{"E": {"name": "E", "ip": "x", "sensors": {"F": {"last_value": NaN, "unit": "C"}}}}')
    assert isinstance(snapshot, Snapshot)
    device = snapshot.devices["E"]
    assert device.extra == {"ip": "x"} and device.sensors["F"].extra == {"unit": "C"}
    assert math.isnan(snapshot.value("E", "F"))


def test_a_clean_snapshot_after_a_malformed_one_reports_again_when_it_returns() -> None:
    core = LiveCore()
    assert len(core.receive(FLOW_SNAPSHOT)) == 2  # the snapshot and a ProtocolViolation
    assert len(core.receive(SNAPSHOT)) == 1  # clean (the typed path)
    assert len(core.receive(FLOW_SNAPSHOT)) == 2  # malformed again: reported again


@SETTINGS
@given(snapshots())
def test_generated_snapshots_agree(snapshot: Snapshot) -> None:
    typed = check_snapshot(encode(snapshot.to_wire()))
    if all(not s.extra for d in snapshot.devices.values() for s in d.sensors.values()):
        assert typed is not None and same(typed, snapshot)
