"""Golden frames: every JSON example of the vendor document and the protocol reference."""

from __future__ import annotations

import asyncio
import inspect
import json
from typing import Any

import pytest

from iotws.errors import CodecError, ProtocolError, UsageError
from iotws.events import ProtocolViolation
from iotws.farmws.models import (
    CommandReply,
    DeviceCommand,
    GenericEvent,
    Humidity,
    IrrigationStarted,
    IrrigationStopped,
    RegisterSensors,
    SensorDisconnected,
    SensorInfo,
    SensorState,
    SensorStatus,
    SensorUpdate,
    ServerError,
    Snapshot,
    SoilMoisture,
    Temperature,
    parse_cmd,
)
from iotws.farmws.protocol import DeviceCore, EventCore, LiveCore, SendCommand, encode, parse_event

# -- the vendor document (seeds/002), verbatim code blocks ------------------------

DOC_TEMPERATURE = """
        {
            "event": "temperature",
            "data":\x20
            {
            "time":8273663,
            "record": 223
            }
        }
"""

DOC_IRRIGATION_STARTED = """
        {
            "event": "irrigation_started",
            "data": {
           "time": 8273663,
           "zones": ["zone1", "zone2"]
            }
        }
"""

DOC_FORMAT = """
        {
            "event": "event name",
            "data": "Data here"
        }
"""

DOC_SENSOR_DISCONNECTED = """
        {
            "event": "sensor_disconnected",
            "data":\x20
            {
            "time":1122,
            "sensor":"humidity and sensor"
            }
        }
"""


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (DOC_TEMPERATURE, Temperature(time=8273663, record=223)),
        (DOC_IRRIGATION_STARTED, IrrigationStarted(time=8273663, zones=("zone1", "zone2"))),
        (DOC_FORMAT, GenericEvent(event="event name", data="Data here")),
        (DOC_SENSOR_DISCONNECTED, SensorDisconnected(time=1122, sensor="humidity and sensor")),
    ],
)
def test_vendor_examples_parse_and_round_trip(frame: str, expected: object) -> None:
    event = parse_event(frame)
    assert event == expected
    assert json.loads(encode(event.to_wire())) == json.loads(frame)


def test_vendor_examples_through_the_core() -> None:
    core = EventCore()
    assert core.receive(DOC_TEMPERATURE) == [Temperature(time=8273663, record=223)]
    assert core.data_to_send() == []


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        ('{"event":"humidity","data":{"time":5,"record":61}}', Humidity(time=5, record=61)),
        ('{"event":"soil_moisture","data":{"time":5,"record":512}}', SoilMoisture(time=5, record=512)),
        ('{"event":"irrigation_stopped","data":{"time":9,"zones":["zone1"]}}', IrrigationStopped(9, ("zone1",))),
        ('{"event":"irrigation_stopped","data":{}}', IrrigationStopped()),
        ('{"event":"temperature","data":{"time":1,"record":22.5,"unit":"C"}}', Temperature(1, 22.5, {"unit": "C"})),
        ('{"event":"valve","data":[1,2]}', GenericEvent("valve", [1, 2])),
        ('{"event":"valve","data":null}', GenericEvent("valve", None)),
    ],
)
def test_undocumented_shapes_are_kept(frame: str, expected: object) -> None:
    event = parse_event(frame)
    assert event == expected
    assert json.loads(encode(event.to_wire())) == json.loads(frame)


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[1, 2]",
        '{"data": {}}',
        '{"event": 3, "data": {}}',
        '{"event": "temperature"}',
        '{"event": "temperature", "data": "hot"}',
        '{"event": "temperature", "data": {"record": "hot"}}',
        '{"event": "temperature", "data": {"time": 1.5}}',
        '{"event": "temperature", "data": {"time": true}}',
        '{"event": "irrigation_started", "data": {"zones": "zone1"}}',
        '{"event": "irrigation_started", "data": {"zones": [1]}}',
        '{"event": "sensor_disconnected", "data": {"sensor": 4}}',
        b'{"event": "temperature", "data": {}}',
    ],
)
def test_malformed_dialect_d_frames_raise_protocol_error(frame: str | bytes) -> None:
    with pytest.raises(ProtocolError):
        EventCore().receive(frame)


def test_unsendable_values_raise_codec_error_before_sending() -> None:
    with pytest.raises(CodecError):
        SendCommand(Temperature(time=1, record=float("inf")).to_wire())
    with pytest.raises(CodecError):
        SendCommand(Temperature(time="soon", record=1).to_wire())  # type: ignore[arg-type]
    with pytest.raises(CodecError):
        SendCommand({"event": "x", "data": object()})


# -- Dialect I (protocol reference sections 6 and 7) ---------------------------------

REGISTER = (
    '{"event": "register_sensors", "data": {"Humidity": {}, "Temperature": {}, '
    '"RainDrop": {"name": "Rainfall"}, "SoilMoisture": {"name": "Soil Moisture"}}}'
)
CONFIG = (
    '{"event":"command","data":{"cmd":"config --socket_send_data_seconds 3 '
    '--send_sensor_status_seconds 2"}}'
)
SNAPSHOT = """{"Esp8266": {"name": "Esp8266",
             "sensors": {"Temperature": {"status": true, "last_value": 24.5},
                         "SoilMoisture": {"name": "Soil Moisture", "status": true, "last_value": 512}}}}"""


def test_device_core_registers_the_reference_sensors_on_connect() -> None:
    core = DeviceCore()
    [frame] = core.on_connect()
    assert json.loads(frame) == json.loads(REGISTER)
    assert RegisterSensors.from_data(json.loads(REGISTER)["data"]).sensors["RainDrop"] == SensorInfo("Rainfall")


@pytest.mark.parametrize(
    ("model", "wire"),
    [
        (
            SensorUpdate({"Temperature": 24.5, "Humidity": 61}),
            '{"event":"sensor_update","data":{"Temperature":24.5,"Humidity":61}}',
        ),
        (SensorUpdate({"SoilMoisture": 512}), '{"event":"sensor_update","data":{"SoilMoisture":512}}'),
        (SensorUpdate({"RainDrop": 1}), '{"event":"sensor_update","data":{"RainDrop":1}}'),
        (
            SensorStatus({"Temperature": True, "Humidity": True, "RainDrop": False, "SoilMoisture": True}),
            '{"event":"sensor_status","data":{"Temperature":true,"Humidity":true,"RainDrop":false,"SoilMoisture":true}}',
        ),
        (CommandReply("a1B2c3D4e5", True), '{"event":"a1B2c3D4e5","data":true}'),
        (ServerError("Error in the data sent"), '{"event":"error","data":"Error in the data sent"}'),
        (DeviceCommand("irrigation start"), '{"event":"command","data":{"cmd":"irrigation start"}}'),
        (
            DeviceCommand("drainage status", "a1B2c3D4e5"),
            '{"event":"command","data":{"cmd":"drainage status"},"return":"a1B2c3D4e5"}',
        ),
    ],
)
def test_dialect_i_golden_frames(model: object, wire: str) -> None:
    assert encode(model.to_wire()) == wire  # type: ignore[attr-defined]


def test_config_command_updates_device_config() -> None:
    core = DeviceCore()
    [command] = core.receive(CONFIG)
    assert isinstance(command, DeviceCommand)
    assert command.return_id is None
    assert core.config == {"socket_send_data_seconds": "3", "send_sensor_status_seconds": "2"}
    assert core.data_to_send() == []


def test_command_with_return_id_is_answered_once_despite_resends() -> None:
    calls: list[str] = []

    def start(command: DeviceCommand) -> bool:
        calls.append(command.cmd)
        return True

    core = DeviceCore(handlers={"irrigation start": start})
    frame = '{"event":"command","data":{"cmd":"irrigation start"},"return":"Qw3rTy7890"}'
    assert core.receive(frame) == [DeviceCommand("irrigation start", "Qw3rTy7890")]
    assert core.data_to_send() == ['{"event":"Qw3rTy7890","data":true}']
    for _ in range(5):
        assert core.receive(frame) == []
    assert core.data_to_send() == []
    assert calls == ["irrigation start"]
    assert core.resends == 5
    # after a reconnect a re-send is answered again, from the cache
    core.connection_lost()
    assert core.receive(frame) == []
    assert core.data_to_send() == ['{"event":"Qw3rTy7890","data":true}']
    assert core.receive(frame) == []
    assert core.data_to_send() == []
    assert calls == ["irrigation start"]


def test_handler_lookup_and_errors() -> None:
    core = DeviceCore()
    core.handle("drainage", lambda c: c.words[1])
    core.handle("irrigation  status", lambda c: 1)
    core.handle("config", lambda c: 1 / 0)
    core.receive('{"event":"command","data":{"cmd":"drainage stop"},"return":"r1"}')
    core.receive('{"event":"command","data":{"cmd":"irrigation status"},"return":"r2"}')
    core.receive('{"event":"command","data":{"cmd":"config --a 1"},"return":"r3"}')
    core.receive('{"event":"command","data":{"cmd":"unknown thing"},"return":"r4"}')
    assert [json.loads(f) for f in core.data_to_send()] == [
        {"event": "r1", "data": "stop"},
        {"event": "r2", "data": 1},
        {"event": "r3", "data": "error: division by zero"},
    ]
    assert not core.answered("r4")
    core.submit(SendCommand(CommandReply("r4", "later").to_wire()))
    assert core.answered("r4")
    with pytest.raises(UsageError):
        core.submit(SendCommand(CommandReply("r4", "twice").to_wire()))
    assert core.receive('{"event":"command","data":{"cmd":"unknown thing"},"return":"r4"}') == []


def test_handlers_run_for_fire_and_forget_commands() -> None:
    seen: list[str] = []
    core = DeviceCore(handlers={"irrigation": lambda c: seen.append(c.cmd)})
    core.receive('{"event":"command","data":{"cmd":"irrigation stop"}}')
    assert seen == ["irrigation stop"]
    assert core.data_to_send() == []


def test_device_core_surfaces_errors_and_unknown_events() -> None:
    core = DeviceCore()
    assert core.receive('{"event":"error","data":"Error in the data sent"}') == [ServerError("Error in the data sent")]
    assert core.receive('{"event":"hello","data":1}') == [GenericEvent("hello", 1)]
    for bad in ("{", "[]", '{"event":"command","data":{}}', '{"event":"command","data":{"cmd":"x"},"return":5}'):
        with pytest.raises(ProtocolError):
            core.receive(bad)


def test_live_core_snapshot_golden() -> None:
    core = LiveCore()
    [snap] = core.receive(SNAPSHOT)
    assert isinstance(snap, Snapshot)
    assert snap.value("Esp8266", "SoilMoisture") == 512
    assert snap.devices["Esp8266"].sensors["SoilMoisture"].name == "Soil Moisture"
    assert core.state is snap
    assert snap.to_wire() == json.loads(SNAPSHOT)
    assert core.receive('{"event":"error","data":"x"}') == [ServerError("x")]
    for bad in ("[]", '"snapshot"', "null"):
        with pytest.raises(ProtocolError):
            core.receive(bad)


# -- issue 11 -----------------------------------------------------------------------------

#: A snapshot of the real server after a device registered {"Flow": 5} (item 15).
FLOW_SNAPSHOT = (
    '{"Esp8266": {"name": "Esp8266", "sensors": {"Temperature": {"status": true, "last_value": 24.5}, "Flow": 5}}}'
)


def test_live_core_keeps_good_entries_and_flags_a_malformed_one() -> None:
    core = LiveCore()
    snapshot, violation = core.receive(FLOW_SNAPSHOT)
    assert isinstance(snapshot, Snapshot) and isinstance(violation, ProtocolViolation)
    assert core.state is snapshot
    assert snapshot.value("Esp8266", "Temperature") == 24.5
    assert snapshot.devices["Esp8266"].sensors["Temperature"] == SensorState(status=True, last_value=24.5)
    flow = snapshot.devices["Esp8266"].sensors["Flow"]
    assert flow == SensorState(problem="sensor state: expected a JSON object, got int", raw=5)
    assert flow.malformed and not snapshot.devices["Esp8266"].sensors["Temperature"].malformed
    assert snapshot.problems == [("Esp8266", "Flow", "sensor state: expected a JSON object, got int")]
    assert "Esp8266/Flow" in str(violation.error)
    assert snapshot.to_wire() == json.loads(FLOW_SNAPSHOT)
    # the server repeats the entry in every snapshot: reported once, flagged every time
    assert core.receive(FLOW_SNAPSHOT) == [snapshot]
    assert core.receive(SNAPSHOT)[0].problems == []
    assert [type(item) for item in core.receive(FLOW_SNAPSHOT)] == [Snapshot, ProtocolViolation]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"name": 7, "status": False, "last_value": None}, SensorState(status=False, extra={})),
        ({"status": "yes", "last_value": 3, "unit": "mm"}, SensorState(last_value=3, extra={"unit": "mm"})),
        ([1, 2], SensorState()),
        (None, SensorState()),
    ],
)
def test_malformed_sensor_entries_keep_what_fits(entry: object, expected: SensorState) -> None:
    frame = json.dumps({"d": {"name": "d", "sensors": {"ok": {"status": True, "last_value": 1}, "bad": entry}}})
    snapshot, _violation = LiveCore().receive(frame)
    bad = snapshot.devices["d"].sensors["bad"]
    assert (bad.status, bad.last_value, bad.name, bad.extra, bad.raw) == (
        expected.status, expected.last_value, expected.name, expected.extra, entry
    )
    assert bad.malformed and snapshot.value("d", "ok") == 1
    assert snapshot.to_wire() == json.loads(frame)
    assert "problem=" in repr(bad) and "problem=" not in repr(snapshot.devices["d"].sensors["ok"])


def test_malformed_device_entry_is_flagged_too() -> None:
    frame = '{"broken": 3, "d": {"name": "d", "sensors": []}, "ok": {"name": "ok", "sensors": {}}}'
    snapshot, _violation = LiveCore().receive(frame)
    assert [(k, d.name, d.malformed) for k, d in snapshot.devices.items()] == [
        ("broken", "broken", True), ("d", "d", True), ("ok", "ok", False)
    ]
    assert [(device, sensor) for device, sensor, _ in snapshot.problems] == [("broken", None), ("d", None)]
    assert snapshot.to_wire() == json.loads(frame)
    with pytest.raises(ProtocolError):
        Snapshot.from_wire(json.loads(frame))  # strict by default


def test_async_handler_result_is_deferred_not_encoded() -> None:
    """Item 14: the old core replied '{"event":"r1","data":"error: cannot encode <coroutine ...>"}'."""
    calls: list[str] = []

    async def start(command: DeviceCommand) -> bool:
        calls.append(command.cmd)
        return True

    core = DeviceCore(handlers={"irrigation start": start})
    deferred: list[tuple[DeviceCommand, Any]] = []
    core.defer = lambda command, result: deferred.append((command, result))
    frame = '{"event":"command","data":{"cmd":"irrigation start"},"return":"r1"}'
    assert core.receive(frame) == [DeviceCommand("irrigation start", "r1")]
    assert core.data_to_send() == []
    assert core.receive(frame) == [] and core.resends == 1  # a re-send while it runs: not run again
    [(command, awaitable)] = deferred
    core.deferred_result(command, asyncio.run(awaitable))
    assert core.data_to_send() == ['{"event":"r1","data":true}']
    assert calls == ["irrigation start"]
    core.deferred_result(command, False)  # answered already: nothing more
    assert core.data_to_send() == []
    core.connection_lost()  # a re-send after a reconnect is answered from the cache
    assert core.receive(frame) == [] and core.data_to_send() == ['{"event":"r1","data":true}']


def test_async_handler_without_a_runner_is_closed_and_left_unanswered() -> None:
    made: list[Any] = []

    async def start(command: DeviceCommand) -> bool:
        return True

    def handler(command: DeviceCommand) -> Any:
        made.append(start(command))
        return made[-1]

    core = DeviceCore(handlers={"irrigation": handler})
    core.receive('{"event":"command","data":{"cmd":"irrigation start"},"return":"r2"}')
    assert core.data_to_send() == []  # no "error: cannot encode <coroutine ...>" reply the server counts as success
    assert inspect.getcoroutinestate(made[0]) == inspect.CORO_CLOSED
    assert not core.answered("r2")


def test_parse_cmd_flags() -> None:
    assert parse_cmd("config --verbose --level 3") == (("config",), {"verbose": True, "level": "3"})
    assert parse_cmd("") == ((), {})


# -- issue items R1, R10, R17 ------------------------------------------------------------

MALFORMED_COMMANDS = [
    '{"event":"command","data":{"cmd":"irrigation start"},"return":""}',
    '{"event":"command","data":{"cmd":"irrigation start"},"return":5}',
    '{"event":"command","data":{"cmd":"irrigation start"},"return":["abcdefghij"]}',
    '{"event":"command","data":{"cmd":5},"return":"abcdefghij"}',
    '{"event":"command","data":"irrigation start","return":"abcdefghij"}',
    '{"event":"command","return":"abcdefghij"}',
]


@pytest.mark.parametrize("frame", MALFORMED_COMMANDS)
def test_malformed_commands_are_protocol_errors_only(frame: str) -> None:
    """R1: only ProtocolError comes out of DeviceCore.receive (``"return": ""`` raised CodecError)."""
    core = DeviceCore(handlers={"irrigation": lambda command: True})
    for _ in range(2):  # the server re-sends unanswered commands
        with pytest.raises(ProtocolError) as caught:
            core.receive(frame)
        assert type(caught.value) is ProtocolError
        assert core.data_to_send() == []
    good = '{"event":"command","data":{"cmd":"irrigation start"},"return":"abcdefghij"}'
    assert [c.return_id for c in core.receive(good)] == ["abcdefghij"]  # type: ignore[attr-defined]
    assert core.data_to_send() == ['{"event":"abcdefghij","data":true}']


def _nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


# "@" marks where the deep value goes
DEEP_FRAMES = {
    "event data": '{"event":"temperature","data":@}',
    "bare": "@",
    "command data": '{"event":"command","data":@,"return":"abcdefghij"}',
    "command return": '{"event":"command","data":{"cmd":"x"},"return":@}',
    "sensor entry": '{"E":{"name":"E","sensors":{"F":@}}}',
    "device entry": '{"E":@}',
    "device name": '{"E":{"name":@}}',
}


@pytest.mark.parametrize("core_type", [EventCore, DeviceCore, LiveCore])
@pytest.mark.parametrize("shape", sorted(DEEP_FRAMES))
def test_deep_nesting_near_the_recursion_limit_is_a_protocol_error(core_type: type, shape: str) -> None:
    """R10: nesting the decoder takes but ``repr`` cannot (~990 deep) raised RecursionError."""
    core = core_type()
    refused: list[ProtocolError] = []
    for depth in [*range(500, 1000), 100_000]:
        try:
            core.receive(DEEP_FRAMES[shape].replace("@", _nested(depth)))
        except ProtocolError as exc:
            refused.append(exc)
        core.data_to_send()
    assert refused  # at least the 100,000 deep frame
    assert all(len(str(exc)) < 1000 and exc.frame is not None and len(exc.frame) < 300 for exc in refused)
    if core_type is LiveCore:
        assert core.receive('{"d": {"name": "d", "sensors": {}}}')[0] == Snapshot.from_wire({"d": {"name": "d"}})
    else:
        assert core.receive('{"event":"temperature","data":{"record":2}}') == [Temperature(record=2)]


def test_a_single_zone_string_is_one_zone() -> None:
    """R17: ``zones="zone1"`` was split into ('z', 'o', 'n', 'e', '1')."""
    assert IrrigationStarted(time=1, zones="zone1").to_data() == {"time": 1, "zones": ["zone1"]}
    assert IrrigationStopped(zones=("a", "b")).zones == ("a", "b")
