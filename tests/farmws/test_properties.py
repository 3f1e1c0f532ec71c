"""Hypothesis: round trips of every message, and decoder fuzzing that yields only ProtocolError."""

from __future__ import annotations

import json
from typing import Any

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iotws.errors import ProtocolError
from iotws.farmws.models import (
    EVENT_TYPES,
    DeviceCommand,
    FarmEvent,
    RegisterSensors,
    SensorStatus,
    SensorUpdate,
    Snapshot,
    Temperature,
)
from iotws.farmws.protocol import (
    DashboardEvent,
    DeviceCore,
    DeviceEvent,
    Event,
    EventCore,
    LiveCore,
    LiveEvent,
    encode,
    parse_event,
)
from iotws.farmws.testing import (
    device_commands,
    farm_events,
    json_values,
    register_sensors,
    sensor_statuses,
    sensor_updates,
    snapshots,
)
from iotws.sansio import ProtocolCore

FUZZ = settings(max_examples=150)


@given(farm_events())
def test_event_round_trip(event: FarmEvent) -> None:
    assert parse_event(encode(event.to_wire())) == event
    assert isinstance(parse_event(encode(event.to_wire())), DashboardEvent)
    if event.event not in ("command", "error"):  # names the device channel reads otherwise
        assert isinstance(DeviceCore().receive(encode(event.to_wire()))[0], DeviceEvent)


@given(register_sensors())
def test_register_sensors_round_trip(message: RegisterSensors) -> None:
    data = json.loads(encode(message.to_wire()))
    assert data["event"] == "register_sensors"
    assert RegisterSensors.from_data(data["data"]) == message


@given(sensor_updates(), sensor_statuses())
def test_sensor_messages_round_trip(update: SensorUpdate, status: SensorStatus) -> None:
    assert SensorUpdate.from_data(json.loads(encode(update.to_wire()))["data"]) == update
    assert SensorStatus.from_data(json.loads(encode(status.to_wire()))["data"]) == status


@given(device_commands())
def test_device_command_round_trip(command: DeviceCommand) -> None:
    core = DeviceCore()
    assert core.receive(encode(command.to_wire())) in ([command], [])


@given(snapshots())
def test_snapshot_round_trip(snapshot: Snapshot) -> None:
    core = LiveCore()
    assert core.receive(encode(snapshot.to_wire())) == [snapshot]
    assert core.state == snapshot


def _still_works(core: ProtocolCore) -> None:
    if isinstance(core, LiveCore):
        assert core.receive('{"d": {"name": "d", "sensors": {}}}')[0] == Snapshot.from_wire({"d": {"name": "d"}})
    else:
        frame = '{"event": "temperature", "data": {"time": 1, "record": 2}}'
        assert core.receive(frame) == [Temperature(time=1, record=2)]


def _union(core: ProtocolCore) -> Any:
    """The ``Event`` union of the clients that read through ``core``."""
    if isinstance(core, DeviceCore):
        return DeviceEvent
    return LiveEvent if isinstance(core, LiveCore) else DashboardEvent


def _feed(core: ProtocolCore, frame: str | bytes) -> None:
    try:
        items = core.receive(frame)
    except ProtocolError:
        pass
    else:
        assert isinstance(items, list)
        # the unions the clients' events() are typed with hold everything their core yields
        for item in items:
            assert isinstance(item, _union(core)), item
            assert isinstance(item, Event), item
    core.data_to_send()
    _still_works(core)


cores = st.sampled_from([EventCore, DeviceCore, LiveCore]).map(lambda cls: cls())

envelopes = st.fixed_dictionaries(
    {"event": st.sampled_from([*EVENT_TYPES, "command", "error", "other"]) | st.text(max_size=5)},
    optional={"data": json_values(), "return": json_values(2)},
)


@FUZZ
@given(cores, json_values(12))
def test_random_json_yields_only_protocol_error(core: ProtocolCore, value: Any) -> None:
    _feed(core, json.dumps(value))


@FUZZ
@given(cores, envelopes)
def test_random_envelopes_yield_only_protocol_error(core: ProtocolCore, message: dict[str, Any]) -> None:
    _feed(core, json.dumps(message))


@FUZZ
@given(cores, st.binary(max_size=64) | json_values(6).map(cbor2.dumps))
def test_binary_and_cbor_frames_yield_protocol_error(core: ProtocolCore, frame: bytes) -> None:
    _feed(core, frame)


@FUZZ
@given(cores, st.text(max_size=64))
def test_random_text_yields_only_protocol_error(core: ProtocolCore, frame: str) -> None:
    _feed(core, frame)


def test_deep_nesting_is_a_protocol_error() -> None:
    core = EventCore()
    with pytest.raises(ProtocolError):
        core.receive("[" * 100_000 + "]" * 100_000)
    _still_works(core)


def _handled_core() -> DeviceCore:
    core = DeviceCore()
    core.handle("irrigation", lambda command: True)
    core.handle("config", lambda command: command.options)
    core.handle("x", lambda command: command)  # not JSON: answered "error: cannot encode ..."
    return core


server_commands = st.fixed_dictionaries(
    {
        "event": st.just("command"),
        "data": st.fixed_dictionaries(
            {"cmd": st.sampled_from(["irrigation start", "config --a 1 --b", "x"]) | json_values(2)},
            optional={"extra": json_values(2)},
        )
        | json_values(2),
    },
    optional={"return": st.sampled_from(["", "abcdefghij", "x"]) | json_values(2)},
)


@FUZZ
@given(server_commands)
def test_random_commands_to_a_device_with_handlers_yield_only_protocol_error(message: dict[str, Any]) -> None:
    """R1: whatever a server command holds, only ProtocolError comes out, even with handlers answering."""
    core = _handled_core()
    for _ in range(2):  # re-sent, as the server does
        _feed(core, json.dumps(message))
