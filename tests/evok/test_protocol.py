"""Pure tests of the EVOK models and core: golden frames from the vendor document and the reference."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from iotws.errors import ProtocolError, UsageError
from iotws.events import ProtocolViolation
from iotws.evok import (
    AnalogInput,
    AnalogOutput,
    DataPoint,
    DeviceChanged,
    DeviceInfo,
    DeviceRemoved,
    DigitalInput,
    DigitalOutput,
    EvokCore,
    GenericDevice,
    Led,
    LegacyInput,
    LegacyRelay,
    ModbusSlave,
    NvSave,
    OneWireBus,
    OneWireDevice,
    OneWirePower,
    Register,
    Relay,
    Run,
    Snapshot,
    State,
    Temperature,
    Watchdog,
    device_from_wire,
    normalize_filter,
    parse_frame,
)
from iotws.evok.protocol import FilterCommand, RefreshCommand, SetCommand, confirmable_fields
from iotws.sansio import Reply

#: Every "Received message" of the vendor document, verbatim.
VENDOR_FRAMES = (Path(__file__).parent / "vendor_frames.jsonl").read_text().splitlines()

AI_MODES_V3 = {
    "Disabled": {"value": 0},
    "Voltage10": {"value": 1, "unit": "V", "range": [0, 10]},
    "Current20m": {"value": 3, "unit": "mA", "range": [0, 20]},
}

#: One object per v3 device type, shaped as the reference (§6.3) describes.
REFERENCE_OBJECTS: list[tuple[dict[str, Any], type]] = [
    ({"dev": "ro", "circuit": "2_01", "value": 1}, Relay),
    (
        {
            "dev": "do",
            "circuit": "1_01",
            "value": 0,
            "pending": False,
            "mode": "Simple",
            "modes": ["Simple", "PWM"],
            "pwm_freq": 4800.0,
            "pwm_duty": 0,
        },
        DigitalOutput,
    ),
    (
        {
            "dev": "di",
            "circuit": "1_01",
            "value": 1,
            "debounce": 50,
            "counter": 12,
            "counter_mode": "Enabled",
            "counter_modes": ["Enabled", "Disabled"],
            "mode": "DirectSwitch",
            "modes": ["Simple", "DirectSwitch"],
            "ds_mode": "Toggle",
            "ds_modes": ["Simple", "Inverted", "Toggle"],
        },
        DigitalInput,
    ),
    (
        {
            "dev": "ai",
            "circuit": "2_01",
            "value": None,
            "unit": None,
            "mode": "Voltage10",
            "modes": AI_MODES_V3,
            "range": None,
        },
        AnalogInput,
    ),
    (
        {
            "dev": "ao",
            "circuit": "1_01",
            "value": 1.3,
            "mode": "Voltage",
            "modes": {"Voltage": {"value": 0, "unit": "V", "range": [0, 10]}},
            "unit": "V",
        },
        AnalogOutput,
    ),
    ({"dev": "led", "circuit": "1_01", "value": 0}, Led),
    ({"dev": "wd", "circuit": "1_01", "value": 1, "timeout": 5000, "was_wd_reset": 0, "nv_save": 0}, Watchdog),
    ({"dev": "register", "circuit": "1_5_inp", "value": None}, Register),
    (
        {"dev": "data_point", "circuit": "IAQ_0", "value": "NaN", "name": "CO2", "unit": "ppm", "valid": False},
        DataPoint,
    ),
    (
        {
            "dev": "temp",
            "circuit": "2895DCD509000035",
            "address": "2895DCD509000035",
            "value": 21.25,
            "lost": False,
            "time": 1234.5,
            "interval": 15,
            "type": "DS18B20",
        },
        Temperature,
    ),
    (
        {
            "dev": "1wdevice",
            "circuit": "26D1",
            "humidity": 41.2,
            "vdd": 5.1,
            "vad": 2.2,
            "temp": 22.0,
            "vis": 0.01,
            "lost": False,
            "time": 99.0,
            "interval": 15,
            "type": "DS2438",
        },
        OneWireDevice,
    ),
    (
        {
            "dev": "owbus",
            "circuit": "OWFS",
            "bus": "OWFS",
            "scan_interval": 300,
            "interval": 60,
            "do_scan": False,
            "do_reset": False,
        },
        OneWireBus,
    ),
    ({"dev": "owpower", "circuit": "1", "value": 0}, OneWirePower),
    ({"dev": "nv_save", "circuit": "1", "value": 0}, NvSave),
    (
        {
            "dev": "modbus_slave",
            "circuit": "1",
            "last_comm": 0.02,
            "slave_id": 1,
            "modbus_type": "RTU",
            "modbus_spec": "xS51",
            "scan_interval": 0.5,
        },
        ModbusSlave,
    ),
    (
        {"dev": "device_info", "circuit": "L533", "family": "Neuron", "model": "L533", "sn": None, "board_count": 3},
        DeviceInfo,
    ),
    (
        {"dev": "run", "circuit": "alias", "save": False, "aliases": {"lamp": {"circuit": "ro_2_01", "devtype": "ro"}}},
        Run,
    ),
]


# -- golden frames -------------------------------------------------------------------------------


@pytest.mark.parametrize("frame", VENDOR_FRAMES)
def test_every_vendor_message_parses_into_models(frame: str) -> None:
    devices = parse_frame(frame)
    raw = json.loads(frame)
    assert len(devices) == len(raw)
    for device, obj in zip(devices, raw, strict=True):
        assert (device.dev, device.circuit) == (obj["dev"], obj["circuit"])
        assert device.glob_dev_id == obj["glob_dev_id"]
        assert device.to_wire() == obj
        assert not isinstance(device, GenericDevice)


def test_vendor_ai_message_is_typed() -> None:
    (ai,) = parse_frame(VENDOR_FRAMES[0])
    assert isinstance(ai, AnalogInput)
    assert (ai.circuit, ai.value, ai.unit, ai.mode, ai.range) == (
        "2_01",
        132798232.0,
        "Ohm",
        "Resistance2W",
        (0, 100000),
    )
    assert ai.modes is not None
    assert ai.modes["Resistance2W"].value == 5
    assert ai.modes["Resistance2W"].range == (0, 100000)
    assert ai.modes["Disabled"].unit is None


def test_vendor_batched_message_gives_one_event_per_device() -> None:
    batched = next(f for f in VENDOR_FRAMES if f.count('"dev"') == 2)
    events = EvokCore().receive(batched)
    assert [e.device.circuit for e in events if isinstance(e, DeviceChanged)] == ["2_04", "2_03"]


def test_vendor_v2_relay_message_is_a_digital_output() -> None:
    relay = next(d for f in VENDOR_FRAMES for d in parse_frame(f) if d.dev == "relay")
    assert isinstance(relay, LegacyRelay)
    assert (relay.kind, relay.relay_type, relay.modes, relay.pwm_freq) == ("do", "digital", ("Simple", "PWM"), 4800.0)


def test_vendor_ao_message() -> None:
    ao = next(d for f in VENDOR_FRAMES for d in parse_frame(f) if d.dev == "ao")
    assert isinstance(ao, AnalogOutput)
    assert ao.modes is not None and ao.modes["Voltage"].unit == "V"
    assert ao.modes["Voltage"].value is None


@pytest.mark.parametrize(("obj", "cls"), REFERENCE_OBJECTS, ids=[o["dev"] for o, _ in REFERENCE_OBJECTS])
def test_reference_objects_parse_into_their_model(obj: dict[str, Any], cls: type) -> None:
    device = device_from_wire(obj)
    assert type(device) is cls
    assert device.extra == {}
    assert device.to_wire() == obj  # explicit nulls included: as EVOK sends it
    assert device_from_wire(device.to_wire()) == device


def test_v2_shapes_are_tolerated() -> None:
    di = device_from_wire({"dev": "input", "circuit": "UART_1_1_01", "value": 1, "glob_dev_id": 4})
    assert isinstance(di, LegacyInput) and di.kind == "di" and di.glob_dev_id == 4
    ai = device_from_wire(
        {
            "dev": "ai",
            "circuit": "1_01",
            "value": 2.5,
            "modes": ["Voltage", "Current"],
            "range": "10.0",
            "range_modes": ["10.0", "2.5"],
        }
    )
    assert isinstance(ai, AnalogInput)
    assert ai.modes is not None and list(ai.modes) == ["Voltage", "Current"]
    assert ai.range is None and ai.extra["range"] == "10.0"  # unexpected shape kept, not lost
    temp = device_from_wire({"dev": "temp", "circuit": "28AA", "value": 20.0, "typ": "DS18B20"})
    assert isinstance(temp, Temperature) and temp.type == "DS18B20"
    unit = device_from_wire({"dev": "unit_register", "circuit": "1_01", "value": 3.0})
    assert isinstance(unit, DataPoint) and unit.kind == "data_point"
    neuron = device_from_wire({"dev": "neuron", "circuit": "1", "model": "L203", "sn": 7, "ver2": "0.4"})
    assert neuron.extra == {"ver2": "0.4"}


def test_unknown_dev_becomes_a_generic_device() -> None:
    device = device_from_wire({"dev": "light_channel", "circuit": "1_01", "broadcast_commands": []})
    assert isinstance(device, GenericDevice)
    assert device.extra == {"broadcast_commands": []}
    assert device.to_wire()["dev"] == "light_channel"


def test_wrongly_typed_fields_are_kept_in_extra() -> None:
    relay = device_from_wire({"dev": "ro", "circuit": "1_01", "value": "on", "alias": 5})
    assert isinstance(relay, Relay)
    assert relay.value is None and relay.alias is None
    assert relay.extra == {"value": "on", "alias": 5}
    assert relay.to_wire() == {"dev": "ro", "circuit": "1_01", "value": "on", "alias": 5}


@pytest.mark.parametrize(
    "frame",
    [
        "",
        "not json",
        "{",
        "42",
        '"ro"',
        "null",
        "[1, 2]",
        '[{"dev": "ro"}]',
        '{"circuit": "1_01"}',
        '[{"dev": 1, "circuit": "1_01"}]',
        b"\xff\xfe",
        "[" * 100_000,
    ],
)
def test_malformed_frames_raise_protocol_error(frame: str | bytes) -> None:
    with pytest.raises(ProtocolError):
        parse_frame(frame)
    core = EvokCore()
    with pytest.raises(ProtocolError):
        core.receive(frame)
    assert core.receive('[{"dev": "led", "circuit": "1_01", "value": 1}]')  # still working


def test_a_bad_element_is_skipped_and_reported() -> None:
    events = EvokCore().receive('[{"dev": "led", "circuit": "1_01", "value": 1}, 7]')
    assert isinstance(events[0], DeviceChanged)
    assert isinstance(events[1], ProtocolViolation)


def test_binary_frames_are_parsed_as_json() -> None:
    assert parse_frame(b'[{"dev": "ro", "circuit": "2_01", "value": 1}]')[0].key == ("ro", "2_01")


# -- state cache and events -------------------------------------------------------------------------


def test_events_upsert_the_cache_and_carry_the_previous_state() -> None:
    core = EvokCore()
    (first,) = core.receive('[{"dev": "ro", "circuit": "2_01", "value": 1}]')
    (second,) = core.receive('[{"dev": "ro", "circuit": "2_01", "value": 0}]')
    assert isinstance(first, DeviceChanged) and first.previous is None
    assert isinstance(second, DeviceChanged) and second.previous == first.device
    assert core.state["ro", "2_01"].value == 0  # type: ignore[attr-defined]
    assert len(core.state) == 1


def test_bare_object_temp_event() -> None:
    core = EvokCore()
    (event,) = core.receive(
        '{"dev": "temp", "circuit": "28AA", "address": "28AA", "value": 21.5, "lost": false, "time": 5.0,'
        ' "interval": 15, "type": "DS18B20"}'
    )
    assert isinstance(event, DeviceChanged)
    assert isinstance(event.device, Temperature) and event.device.value == 21.5


def test_on_connect_sends_filter_then_all_and_waits_for_the_snapshot() -> None:
    core = EvokCore(filter=["relay", "input", "output", "watchdog", "sensor", "ai"])
    frames = core.on_connect()
    assert [json.loads(f) for f in frames] == [
        {"cmd": "filter", "devices": ["ro", "di", "do", "wd", "temp", "ai"]},
        {"cmd": "all"},
    ]
    assert not core.handshake_complete()
    core.receive('[{"dev": "ro", "circuit": "2_01", "value": 1}]')  # an ordinary event
    assert not core.handshake_complete()
    events = core.receive(
        '[{"dev": "ro", "circuit": "2_01", "value": 1}, {"dev": "run", "circuit": "alias"},'
        ' {"dev": "device_info", "circuit": "S103", "model": "S103"}]'
    )
    assert core.handshake_complete()
    snapshots = [e for e in events if isinstance(e, Snapshot)]
    assert len(snapshots) == 1 and ("device_info", "S103") in snapshots[0].devices
    # the relay did not change, and the filter passes neither run nor device_info: no event
    assert not [e for e in events if isinstance(e, DeviceChanged)]
    assert ("run", "alias") in core.state and ("device_info", "S103") in core.state


def test_an_empty_all_reply_counts_as_a_snapshot() -> None:
    core = EvokCore(filter=["ro"])
    core.on_connect()
    assert any(isinstance(e, Snapshot) for e in core.receive("[]"))
    assert core.handshake_complete()


def test_reconnect_keeps_the_cache_and_resends_the_filter() -> None:
    core = EvokCore()
    core.on_connect()
    core.receive('[{"dev": "ro", "circuit": "2_01", "value": 1}, {"dev": "run", "circuit": "alias"}]')
    core.submit(FilterCommand(["do", "ro"]))
    core.connection_lost()
    assert core.state["ro", "2_01"].value == 1  # type: ignore[attr-defined]
    assert not core.handshake_complete()
    assert core.on_connect() == ['{"cmd":"filter","devices":["do","ro"]}', '{"cmd":"all"}']
    events = core.receive('[{"dev": "ro", "circuit": "2_01", "value": 0}, {"dev": "run", "circuit": "alias"}]')
    (changed,) = [e for e in events if isinstance(e, DeviceChanged)]
    assert changed.resync and changed.previous is not None and changed.device.value == 0  # type: ignore[attr-defined]


def test_resync_false_sends_nothing_and_is_ready_at_once() -> None:
    core = EvokCore(resync=False)
    assert core.on_connect() == []
    assert core.handshake_complete()


def test_handshake_timeout_is_not_fatal() -> None:
    core = EvokCore()
    core.on_connect()
    core.handshake_timed_out()
    assert core.handshake_complete()


def test_refresh_is_answered_by_the_next_snapshot() -> None:
    core = EvokCore(resync=False)
    core.on_connect()
    submission = core.submit(RefreshCommand())
    assert submission.frames == ['{"cmd":"all"}'] and submission.token is not None
    core.receive('[{"dev": "ro", "circuit": "2_01", "value": 1}]')  # an event, not the reply
    items = core.receive('[{"dev": "ro", "circuit": "2_01", "value": 1}, {"dev": "nv_save", "circuit": "1"}]')
    (reply,) = [i for i in items if isinstance(i, Reply)]
    assert reply.token == submission.token
    assert RefreshCommand().decode(reply.value).keys() == {("ro", "2_01"), ("nv_save", "1")}


def test_state_helpers() -> None:
    state = State()
    state.update([Relay(dev="ro", circuit="2_01", value=1, alias="lamp"), Relay(dev="ro", circuit="2_02")])
    assert state.device("relay", "lamp") is state["ro", "2_01"]
    assert state.find("lamp") is state["ro", "2_01"]
    assert [d.circuit for d in state.of_type("relay")] == ["2_01", "2_02"]
    assert state.device("ro", "9_99") is None and state.find("nothing") is None
    assert sorted(state) == [("ro", "2_01"), ("ro", "2_02")]


def test_register_value_decodes_a_float_low_word_first() -> None:
    state = State()
    state.update(
        [Register(dev="register", circuit="1_10", value=0x3333), Register(dev="register", circuit="1_11", value=0x4053)]
    )
    assert state.register_value("1", 10) == pytest.approx(3.3)
    with pytest.raises(UsageError):
        state.register_value("1", 11)


# -- filters ---------------------------------------------------------------------------------------


def test_filter_names_map_to_emitted_names() -> None:
    assert normalize_filter(["relay", "ao"]) == ["ro", "ao"]  # the vendor document's example filter
    assert normalize_filter(["digitalinput", "analoginput", "temp", "data_point", "led"]) == [
        "di",
        "ai",
        "temp",
        "data_point",
        "led",
    ]
    assert normalize_filter([]) == []
    assert normalize_filter(["default"]) == ["default", "ro"]  # ["default"] alone is rejected by EVOK
    assert normalize_filter(["di", "default"]) == ["default", "di"]  # EVOK honours "default" only first


@pytest.mark.parametrize("names", [["register"], ["1wdevice"], ["ro", "owbus"], ["modbus_slave"]])
def test_filter_on_a_type_never_streamed_says_so(names: list[str]) -> None:
    with pytest.raises(UsageError, match="never streams"):
        normalize_filter(names)


@pytest.mark.parametrize("names", [["bogus"], "ro", [1]])
def test_bad_filter_is_a_usage_error(names: Any) -> None:
    with pytest.raises(UsageError):
        normalize_filter(names)


def test_filter_none_restores_everything() -> None:
    core = EvokCore(filter=["ro"])
    submission = core.submit(FilterCommand(None))
    assert submission.frames == ['{"cmd":"filter","devices":["default","ro"]}'] and submission.token is None
    assert core.filter is None
    assert core.on_connect() == ['{"cmd":"all"}']


# -- set -------------------------------------------------------------------------------------------


def test_vendor_set_example_goes_out_in_the_value_dict_form() -> None:
    # vendor: {"cmd": "set", "dev": "output", "circuit": "1_01", "value": 1}
    (frame,) = SetCommand("output", "1_01", {"value": 1}).encode(None)
    assert json.loads(frame) == {"cmd": "set", "dev": "do", "circuit": "1_01", "value": {"value": 1}}


@pytest.mark.parametrize(
    ("dev", "params"),
    [
        ("do", {"value": 1, "timeout": 1.5}),
        ("do", {"pwm_duty": 50}),
        ("wd", {"timeout": 3000}),
        ("ro", {"alias": "lamp"}),
        ("owbus", {"do_reset": True}),
        ("di", {"debounce": 5}),
        ("ai", {"mode": "Current20m"}),
    ],
)
def test_set_is_always_the_value_dict_form(dev: str, params: dict[str, Any]) -> None:
    (frame,) = SetCommand(dev, "1_01", params).encode(None)
    message = json.loads(frame)
    assert set(message) == {"cmd", "dev", "circuit", "value"}
    assert isinstance(message["value"], dict)
    assert message["value"] == {k: int(v) if isinstance(v, bool) else v for k, v in params.items()}


@pytest.mark.parametrize(
    ("dev", "circuit", "params"),
    [
        ("", "1_01", {"value": 1}),
        ("ro", "", {"value": 1}),
        ("ro", None, {"value": 1}),
        ("ro", "1_01", {}),
        ("ro", "1_01", {"value": None}),
        ("ro", "1_01", {"value": float("nan")}),
        ("ro", "1_01", {"value": [1]}),
        ("ro", "1_01", {"cmd": "all"}),
    ],
)
def test_bad_set_arguments_are_usage_errors(dev: str, circuit: Any, params: dict[str, Any]) -> None:
    with pytest.raises(UsageError):
        SetCommand(dev, circuit, params)


def test_confirmation_needs_a_pushed_field() -> None:
    assert confirmable_fields("relay", {"value": True}) == {"value": True}
    assert confirmable_fields("do", {"value": 1, "timeout": 2}) == {"value": 1}
    for dev, params in [
        ("wd", {"timeout": 100}),
        ("di", {"debounce": 3}),
        ("ro", {"alias": "x"}),
        ("register", {"value": 1}),
    ]:
        with pytest.raises(UsageError, match="pushes no event"):
            SetCommand(dev, "1_01", params, confirm=True)


def test_confirmed_set_completes_on_the_event_showing_the_value() -> None:
    core = EvokCore(resync=False)
    core.on_connect()
    submission = core.submit(SetCommand("relay", "2_01", {"value": 1}, confirm=True))
    assert len(submission.frames) == 1 and submission.token is not None
    assert not [i for i in core.receive('[{"dev": "ro", "circuit": "2_02", "value": 1}]') if isinstance(i, Reply)]
    assert not [i for i in core.receive('[{"dev": "do", "circuit": "2_01", "value": 1}]') if isinstance(i, Reply)]
    assert not [i for i in core.receive('[{"dev": "ro", "circuit": "2_01", "value": 0}]') if isinstance(i, Reply)]
    items = core.receive('[{"dev": "ro", "circuit": "2_01", "value": 1}]')
    (reply,) = [i for i in items if isinstance(i, Reply)]
    assert reply.token == submission.token and isinstance(reply.value, Relay)
    assert len(core.pending) == 0


def test_confirmation_matches_an_alias_and_a_v2_relay() -> None:
    core = EvokCore(resync=False)
    core.submit(SetCommand("ro", "lamp", {"value": 1}, confirm=True))
    items = core.receive('[{"dev": "relay", "relay_type": "physical", "circuit": "2_01", "alias": "lamp", "value": 1}]')
    assert [i for i in items if isinstance(i, Reply)]


def test_analog_output_confirmation_tolerates_the_dac_step() -> None:
    core = EvokCore(resync=False)
    core.submit(SetCommand("ao", "1_01", {"value": 3.3337}, confirm=True))
    assert [i for i in core.receive('[{"dev": "ao", "circuit": "1_01", "value": 3.333}]') if isinstance(i, Reply)]


def test_confirming_the_current_value_completes_from_the_cache() -> None:
    # EVOK pushes a state only when a scan saw it change: writing the current value brings no event
    core = EvokCore(resync=False)
    core.receive('[{"dev": "led", "circuit": "1_01", "value": 1, "alias": "lamp"}]')
    for circuit in ("1_01", "lamp"):
        command = SetCommand("led", circuit, {"value": 1}, confirm=True)
        submission = core.submit(command)
        assert submission.token is None and len(submission.frames) == 1 and len(core.pending) == 0
        assert command.sent_result() is core.state["led", "1_01"]


def test_confirming_the_current_value_after_an_unshown_write_asks_for_a_snapshot() -> None:
    core = EvokCore(resync=False)
    core.receive('[{"dev": "led", "circuit": "1_01", "value": 1}]')
    core.submit(SetCommand("led", "1_01", {"value": 0}))  # sent, not shown yet: it may still change the LED
    submission = core.submit(SetCommand("led", "1_01", {"value": 1}, confirm=True))
    assert submission.token is not None and submission.frames[-1] == '{"cmd":"all"}'
    items = core.receive('[{"dev": "led", "circuit": "1_01", "value": 1}, {"dev": "run", "circuit": "alias"}]')
    assert [i for i in items if isinstance(i, Reply) and i.token == submission.token]
    # EVOK's state after both writes is known now: the next one is answered by the cache again
    assert core.submit(SetCommand("led", "1_01", {"value": 1}, confirm=True)).token is None


def test_a_write_is_unshown_until_a_state_shows_it() -> None:
    core = EvokCore(resync=False)
    core.receive('[{"dev": "do", "circuit": "1_01", "value": 0, "pwm_duty": 0}]')
    core.submit(SetCommand("do", "1_01", {"pwm_duty": 50, "pwm_freq": 100.0}))
    core.receive('[{"dev": "do", "circuit": "1_01", "value": 0, "pwm_duty": 50, "pwm_freq": 400.0}]')
    # the duty is shown, the frequency not yet: a set of the duty alone still asks EVOK
    assert core.submit(SetCommand("do", "1_01", {"pwm_duty": 50}, confirm=True)).frames[-1] == '{"cmd":"all"}'
    core.receive('[{"dev": "do", "circuit": "1_01", "value": 0, "pwm_duty": 50, "pwm_freq": 100.0}]')
    assert core.submit(SetCommand("do", "1_01", {"pwm_duty": 50}, confirm=True)).token is None


def test_a_timed_out_confirmation_forgets_the_unshown_write() -> None:
    core = EvokCore(resync=False)
    core.receive('[{"dev": "ro", "circuit": "2_01", "value": 0}]')
    submission = core.submit(SetCommand("ro", "2_01", {"value": 1}, confirm=True))
    assert submission.token is not None
    core.cancel(submission.token)  # EVOK never showed it (another client wrote 0 before its scan)
    assert core.submit(SetCommand("ro", "2_01", {"value": 0}, confirm=True)).token is None


def test_a_reconnect_forgets_unshown_writes() -> None:
    core = EvokCore(resync=False)
    core.receive('[{"dev": "ro", "circuit": "2_01", "value": 0}]')
    core.submit(SetCommand("ro", "2_01", {"value": 1}))
    core.connection_lost()  # the resync of the next connection shows what EVOK has
    core.on_connect()
    assert core.submit(SetCommand("ro", "2_01", {"value": 0}, confirm=True)).token is None


def test_an_all_filtered_server_is_not_asked_for_types_its_all_leaves_out() -> None:
    core = EvokCore()
    core.on_connect()
    core.receive('[{"dev": "di", "circuit": "1_01"}, {"dev": "ro", "circuit": "2_01", "value": 0}]')  # partial
    core.receive('[{"dev": "led", "circuit": "1_01", "value": 1}]')
    core.submit(SetCommand("led", "1_01", {"value": 0}))
    led = core.submit(SetCommand("led", "1_01", {"value": 1}, confirm=True))
    assert led.token is not None and led.frames == ['{"cmd":"set","dev":"led","circuit":"1_01","value":{"value":1}}']
    core.submit(SetCommand("ro", "2_01", {"value": 1}))
    relay = core.submit(SetCommand("ro", "2_01", {"value": 0}, confirm=True))
    assert relay.frames[-1] == '{"cmd":"all"}'  # its `all` lists relays


@pytest.mark.parametrize(("flt", "dev"), [(["relay"], "led"), (["input"], "ro"), ([], "ao"), (["ro", "output"], "wd")])
def test_a_confirmed_set_of_a_type_the_filter_hides_is_refused(flt: list[str], dev: str) -> None:
    core = EvokCore(filter=flt, resync=False)
    with pytest.raises(UsageError, match=rf"hides {dev!r} states.*send\({dev!r}, '1_01', \.\.\.\)"):
        core.submit(SetCommand(dev, "1_01", {"value": 1}, confirm=True))
    assert len(core.pending) == 0
    assert core.submit(SetCommand(dev, "1_01", {"value": 1})).frames  # unconfirmed: sent


def test_unconfirmed_set_registers_nothing() -> None:
    core = EvokCore(resync=False)
    submission = core.submit(SetCommand("ro", "2_01", {"value": 1}))
    assert submission.token is None and len(core.pending) == 0


# -- the real server's quirks (EVOK 3.0.6, shared/protocols/evok.md "Seen on the real server") ----


def evok_ao_report(setpoint: float) -> float:
    """What EVOK 3.0.6 reports for an AO setpoint: ``int(value / 0.0025)`` steps, ``round(raw * 0.0025, 3)``."""
    raw = min(4095, max(0, int(float(setpoint) / 0.0025)))
    return round(raw * 0.0025, 3)


def confirmed(core: EvokCore, frame: str) -> list[Reply]:
    return [i for i in core.receive(frame) if isinstance(i, Reply)]


def test_every_ao_setpoint_is_confirmed_by_evoks_truncated_report() -> None:
    for step in range(1001):  # 0 to 10 V, 10 mV apart: 31 of them failed before
        setpoint = step / 100
        core = EvokCore(resync=False)
        core.submit(SetCommand("ao", "1_01", {"value": setpoint}, confirm=True))
        report = json.dumps([{"dev": "ao", "circuit": "1_01", "value": evok_ao_report(setpoint)}])
        assert confirmed(core, report), f"{setpoint} V reported as {evok_ao_report(setpoint)} was not confirmed"


def test_ao_confirmation_is_exact_to_evoks_quantisation() -> None:
    core = EvokCore(resync=False)
    core.submit(SetCommand("ao", "1_01", {"value": 1.15}, confirm=True))
    assert not confirmed(core, '[{"dev": "ao", "circuit": "1_01", "value": 1.145}]')  # a step too low
    assert not confirmed(core, '[{"dev": "ao", "circuit": "1_01", "value": 10.238}]')  # clamped elsewhere
    (reply,) = confirmed(core, '[{"dev": "ao", "circuit": "1_01", "value": 1.147}]')
    assert isinstance(reply.value, AnalogOutput) and reply.value.value == 1.147


def test_brain_ao_float_setpoint_is_confirmed() -> None:
    # a Neuron group-1 AO stores the float32 setpoint and reports it to 3 decimals (no `range`)
    core = EvokCore(resync=False)
    core.submit(SetCommand("ao", "1_01", {"value": 1234.5678}, confirm=True))
    assert confirmed(core, '[{"dev": "ao", "circuit": "1_01", "value": 1234.568, "mode": "Resistance"}]')


ALL_FILTERED_DEFAULT = json.dumps(
    [
        {"dev": "di", "circuit": "1_01", "value": 0},
        {"dev": "di", "circuit": "1_02", "value": 1},
        {"dev": "ro", "circuit": "2_01", "value": 0},
        {"dev": "ai", "circuit": "1_01", "value": 5.0},
        {"dev": "ao", "circuit": "1_01", "value": 0.0},
        {"dev": "temp", "circuit": "28AA", "value": 21.5},
    ]
)


def test_all_filtered_reply_on_a_default_filter_is_a_partial_snapshot(caplog: pytest.LogCaptureFixture) -> None:
    core = EvokCore()
    core.on_connect()
    with caplog.at_level("WARNING", logger="iotws.evok"):
        events = core.receive(ALL_FILTERED_DEFAULT)
    assert core.handshake_complete()
    (snap,) = [e for e in events if isinstance(e, Snapshot)]
    assert snap.partial and len(snap.devices) == 6
    assert core.state.partial and len(core.state) == 6
    assert [r.levelname for r in caplog.records] == ["WARNING"] and "all_filtered" in caplog.text
    # the next `all` (refresh) is answered by the same shape, without a second warning
    caplog.clear()
    token = core.submit(RefreshCommand()).token
    with caplog.at_level("WARNING", logger="iotws.evok"):
        (reply,) = [i for i in core.receive(ALL_FILTERED_DEFAULT) if isinstance(i, Reply)]
    assert reply.token == token and len(reply.value) == 6  # type: ignore[arg-type]
    assert not caplog.records


def test_all_filtered_reply_without_sensors_is_recognised_by_its_order() -> None:
    core = EvokCore()
    core.on_connect()
    reply = '[{"dev": "di", "circuit": "1_01"}, {"dev": "ro", "circuit": "2_01"}, {"dev": "ao", "circuit": "1_01"}]'
    assert any(isinstance(e, Snapshot) and e.partial for e in core.receive(reply))
    assert core.handshake_complete()


@pytest.mark.parametrize(
    "event",
    [
        '[{"dev": "di", "circuit": "1_01", "value": 1}]',  # one kind: a change event
        '[{"dev": "ai", "circuit": "1_01", "value": 5.1}, {"dev": "di", "circuit": "1_01", "value": 1}]',  # order
        '[{"dev": "di", "circuit": "1_01", "value": 1}, {"dev": "do", "circuit": "1_01", "value": 1}]',  # do
    ],
)
def test_change_events_are_not_taken_for_the_all_filtered_reply(event: str) -> None:
    core = EvokCore()
    core.on_connect()
    assert not [e for e in core.receive(event) if isinstance(e, Snapshot)]
    assert not core.handshake_complete()


def test_once_evok_answered_a_full_all_only_full_replies_count() -> None:
    core = EvokCore()
    core.on_connect()
    core.receive('[{"dev": "ro", "circuit": "2_01"}, {"dev": "run", "circuit": "alias"}]')
    core.submit(RefreshCommand())
    assert not [e for e in core.receive(ALL_FILTERED_DEFAULT) if isinstance(e, Snapshot)]  # an event now
    assert not core.state.partial


def test_all_filtered_empty_reply_under_a_filter_is_a_partial_snapshot(caplog: pytest.LogCaptureFixture) -> None:
    core = EvokCore(filter=["ro"])
    core.on_connect()
    core.state.update([Relay(dev="ro", circuit="2_01", value=1)])
    with caplog.at_level("WARNING", logger="iotws.evok"):
        events = core.receive("[]")
    assert core.handshake_complete() and core.state.partial
    assert [e.partial for e in events if isinstance(e, Snapshot)] == [True]
    assert "empty" in caplog.text and "all_filtered" in caplog.text
    assert ("ro", "2_01") in core.state  # a partial snapshot removes nothing
    assert not [e for e in events if isinstance(e, DeviceRemoved)]


def test_a_late_full_reply_still_counts_as_a_snapshot() -> None:
    core = EvokCore()
    core.on_connect()
    core.receive(ALL_FILTERED_DEFAULT)  # taken as the reply
    assert core.state.partial
    events = core.receive('[{"dev": "di", "circuit": "1_01", "value": 0}, {"dev": "run", "circuit": "alias"}]')
    assert [e.partial for e in events if isinstance(e, Snapshot)] == [False]
    assert not core.state.partial and set(core.state) == {("di", "1_01"), ("run", "alias")}


def test_a_snapshot_removes_devices_evok_no_longer_has() -> None:
    core = EvokCore()
    core.on_connect()
    core.receive(
        '[{"dev": "led", "circuit": "1_01"}, {"dev": "led", "circuit": "1_02"}, {"dev": "ro", "circuit": "2_01"},'
        ' {"dev": "run", "circuit": "alias"}]'
    )
    core.connection_lost()
    core.on_connect()
    events = core.receive('[{"dev": "ro", "circuit": "2_01"}, {"dev": "run", "circuit": "alias"}]')
    removed = [e.device.key for e in events if isinstance(e, DeviceRemoved)]
    assert removed == [("led", "1_01"), ("led", "1_02")]
    assert core.state.device("led", "1_01") is None and set(core.state) == {("ro", "2_01"), ("run", "alias")}
    assert isinstance(events[-1], Snapshot)


def test_removals_and_resync_changes_follow_the_filter() -> None:
    core = EvokCore(filter=["di"])
    core.on_connect()
    events = core.receive(
        '[{"dev": "di", "circuit": "1_01"}, {"dev": "ro", "circuit": "2_01"}, {"dev": "led", "circuit": "1_01"},'
        ' {"dev": "run", "circuit": "alias"}]'
    )
    assert [e.device.key for e in events if isinstance(e, DeviceChanged)] == [("di", "1_01")]
    assert len(core.state) == 4  # the cache holds everything `all` listed
    core.submit(RefreshCommand())
    events = core.receive('[{"dev": "run", "circuit": "alias"}]')
    assert [e.device.key for e in events if isinstance(e, DeviceRemoved)] == [("di", "1_01")]
    assert set(core.state) == {("run", "alias")}


@pytest.mark.parametrize("as_bytes", [False, True])
def test_a_repeated_nan_is_no_change(as_bytes: bool) -> None:
    core = EvokCore(resync=False)
    frame = '[{"dev": "ai", "circuit": "1_01", "value": NaN, "unit": "Ohm", "mode": "Resistance2W"}]'
    wire = frame.encode() if as_bytes else frame
    (first,) = core.receive(wire)
    assert isinstance(first, DeviceChanged) and math.isnan(first.device.value)  # type: ignore[attr-defined]
    for _ in range(50):  # EVOK re-sends it on every scan
        assert core.receive(wire) == []
    (back,) = core.receive('[{"dev": "ai", "circuit": "1_01", "value": 7.5, "unit": "Ohm", "mode": "Resistance2W"}]')
    assert isinstance(back, DeviceChanged) and back.device.value == 7.5  # type: ignore[attr-defined]
    assert isinstance(core.receive(wire)[0], DeviceChanged)  # and NaN again is a change


def test_a_nan_in_a_snapshot_equal_to_the_cache_is_no_change() -> None:
    core = EvokCore()
    core.on_connect()
    reply = '[{"dev": "data_point", "circuit": "IAQ_0", "value": NaN}, {"dev": "run", "circuit": "alias"}]'
    assert len([e for e in core.receive(reply) if isinstance(e, DeviceChanged)]) == 2
    core.submit(RefreshCommand())
    assert not [e for e in core.receive(reply) if isinstance(e, DeviceChanged)]


def test_to_wire_keeps_explicit_nulls() -> None:
    obj = {"dev": "device_info", "circuit": "L533", "family": "Neuron", "model": "L533", "sn": None, "board_count": 3}
    info = device_from_wire(obj)
    assert isinstance(info, DeviceInfo) and info.sn is None and info.nulls == {"sn"}
    assert info.to_wire() == obj and json.dumps(info.to_wire()) == json.dumps(obj)
    ai = {
        "dev": "ai",
        "circuit": "1_01",
        "value": None,
        "alias": None,
        "modes": {"Disabled": {"value": 0, "unit": None}},
    }
    assert device_from_wire(ai).to_wire() == ai  # the general decoder, nested nulls too
    assert DeviceInfo(dev="device_info", circuit="L533").to_wire() == {"dev": "device_info", "circuit": "L533"}


def ao_core() -> EvokCore:
    core = EvokCore(resync=False)
    core.receive(
        json.dumps(
            [
                {
                    "dev": "ao",
                    "circuit": "1_01",
                    "value": 0.0,
                    "unit": "V",
                    "mode": "Voltage",
                    "modes": {
                        "Voltage": {"value": 0, "unit": "V", "range": [0, 10]},
                        "Current": {"value": 1, "unit": "mA", "range": [0, 20]},
                    },
                    "range": [0, 10],
                },
                {"dev": "ao", "circuit": "1_02", "value": 0.0},  # no range known
            ]
        )
    )
    return core


@pytest.mark.parametrize(
    "params",
    [
        {"value": 12.0},
        {"value": -1.0},
        {"value": 10.001},
        {"value": 15, "mode": "Voltage"},
        {"value": 25, "mode": "Current"},
    ],
)
def test_ao_value_outside_the_cached_range_is_refused(params: dict[str, Any]) -> None:
    core = ao_core()
    with pytest.raises(UsageError, match="outside the range"):
        core.submit(SetCommand("analogoutput", "1_01", params, confirm=True))
    assert len(core.pending) == 0


@pytest.mark.parametrize(
    ("circuit", "params"),
    [
        ("1_01", {"value": 10.0}),
        ("1_01", {"value": 0}),
        ("1_01", {"value": 15, "mode": "Current"}),
        ("1_02", {"value": 12.0}),
        ("9_99", {"value": 12.0}),
    ],
)
def test_ao_value_inside_the_range_or_of_unknown_range_is_sent(circuit: str, params: dict[str, Any]) -> None:
    assert ao_core().submit(SetCommand("ao", circuit, params)).frames
