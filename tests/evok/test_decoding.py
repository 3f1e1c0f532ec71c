"""The two decoders of EVOK frames give equal models: msgspec's typed path and the general one.

``_typed_frame`` decodes a frame with msgspec straight into typed wire structs, then
models; it gives up (``None``) on what its schema leaves out, and the general decoder
(JSON, then ``device_from_wire`` per object) takes the frame. These tests hold the two
to the same result on every golden frame of this directory and on generated frames, check
that regular frames do take the typed path, and that what only the general decoder
understands (NaN, Infinity, unknown keys, nulls, EVOK 2 shapes) survives.
"""

from __future__ import annotations

import ast
import json
import math
import pickle
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iotws.errors import ProtocolError
from iotws.evok import (
    AnalogInput,
    DeviceChanged,
    EvokCore,
    EvokSimulator,
    ModeInfo,
    Snapshot,
    Temperature,
    parse_frame,
)
from iotws.evok.models import Device, _FrameMemo, _typed_frame, device_from_wire, same_state
from iotws.evok.testing import device_objects, frames
from iotws.jsonwire import loads

from .test_protocol import ALL_FILTERED_DEFAULT, REFERENCE_OBJECTS, VENDOR_FRAMES

HERE = Path(__file__).parent


def _literal_frames() -> list[str]:
    """Every string literal of this directory's tests that is a JSON device object or an array of them."""
    found: list[str] = []
    for path in sorted(HERE.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str) and '"dev"' in node.value):
                continue
            try:
                data = json.loads(node.value)
            except ValueError:
                continue
            items = data if isinstance(data, list) else [data]
            if items and all(isinstance(item, dict) and "dev" in item for item in items):
                found.append(node.value)
    return found


def _simulator_replies() -> list[str]:
    """The simulator's ``all`` reply (an EVOK 3 board, and an EVOK 2 one) and each of its objects."""
    out = []
    for v2 in (False, True):
        sim = EvokSimulator(v2=v2)
        objects = [sim._out(device) for device in sim.devices.values()]
        out.append(json.dumps(objects))
        out.extend(json.dumps([obj]) for obj in objects)
    return out


#: JSON corners where two decoders could part ways.
EDGES = [
    '[{"dev": "ro", "circuit": "1", "value": 1, "value": 0}]',  # a repeated key: the last one wins
    '[{"dev": "ro", "circuit": "1", "value": 1, "dev": "led"}]',
    '[{"circuit": "1", "value": 1, "dev": "led"}]',  # dev not first
    '[{"dev": "ai", "circuit": "1", "value": 1e400}]',  # beyond the float range
    '[{"dev": "ai", "circuit": "1", "value": -0.0, "range": [0, 1e3]}]',
    '[{"dev": "register", "circuit": "1", "value": 123456789012345678901234567890}]',
    '[{"dev": "ro", "circuit": "\\u00e9\\ud83d\\ude00", "value": -0}]',
    '{"dev": "ro", "circuit": "\\ud800"}',  # a lone surrogate
    '[{"dev": "di", "circuit": "1", "modes": [], "counter_modes": ["a"], "value": true}]',
    '[{"dev": "ai", "circuit": "1", "modes": {}}, {"dev": "run", "circuit": "alias", "aliases": {}}]',
    "[]",
]

#: Every golden frame: the vendor document's, the reference's objects, the frames the tests send.
GOLDEN = [
    *EDGES,
    *VENDOR_FRAMES,
    *(json.dumps([obj]) for obj, _ in REFERENCE_OBJECTS),
    json.dumps([obj for obj, _ in REFERENCE_OBJECTS]),
    ALL_FILTERED_DEFAULT,
    *_literal_frames(),
    *_simulator_replies(),
]


def general(frame: str | bytes) -> list[Device]:
    """The models the general decoder gives."""
    data = loads(frame)
    return [device_from_wire(item) for item in (data if isinstance(data, list) else [data])]


def typed(frame: str | bytes) -> list[Device] | None:
    """The models the msgspec path gives, as a list, or ``None`` when it leaves the frame to the general one."""
    found = _typed_frame(frame)
    return found if found is None or isinstance(found, list) else [found]


def assert_equal_models(got: list[Device], want: list[Device]) -> None:
    assert len(got) == len(want)
    for a, b in zip(got, want, strict=True):
        assert type(a) is type(b)
        assert a == b or same_state(a, b)
        assert repr(a) == repr(b)  # catches an int turned float, a tuple turned list...
        assert a.to_wire() == b.to_wire()
        assert a.nulls == b.nulls and dict(a.extra) == dict(b.extra)


@pytest.mark.parametrize("frame", GOLDEN)
def test_both_decoders_give_equal_models_on_every_golden_frame(frame: str) -> None:
    try:
        want = general(frame)
    except ProtocolError:  # a malformed object, from a test of errors: the typed path leaves it too
        assert typed(frame) is None
        with pytest.raises(ProtocolError):
            parse_frame(frame)
        return
    got = typed(frame)
    if got is not None:
        assert_equal_models(got, want)
    for as_bytes in (False, True):  # parse_frame and the core agree too, whichever path they take
        wire: str | bytes = frame.encode() if as_bytes else frame
        assert_equal_models(parse_frame(wire), want)


def _regular(frame: str) -> bool:
    """Whether a frame holds only what the typed schema describes (no NaN/Infinity, null, unknown key...)."""
    text = frame.replace(" ", "")
    irregular = ("NaN", "Infinity", "null", '"typ"', '"neuron"', '"unit_register"', '"extension"', '"uart"')
    return not any(token in text for token in irregular)


def test_the_golden_frames_seen_on_evok_3_take_the_typed_path() -> None:
    regular = [
        *(json.dumps([obj]) for obj, _ in REFERENCE_OBJECTS if None not in obj.values()),
        ALL_FILTERED_DEFAULT,
        *_simulator_replies()[:1],  # the EVOK 3 board's `all` reply
        *(frame for frame in VENDOR_FRAMES if _regular(frame) and '"modes":["' not in frame.replace(" ", "")),
    ]
    assert len(regular) > 20
    for frame in regular:
        assert typed(frame) is not None, frame


#: Device objects of the regular shape: every field of its type, no null, no unknown key.
regular_objects = device_objects(unknown_fields=False).map(lambda obj: {k: v for k, v in obj.items() if v is not None})


@settings(max_examples=300, deadline=None)
@given(st.lists(regular_objects, min_size=1, max_size=6).map(json.dumps) | regular_objects.map(json.dumps))
def test_regular_generated_frames_take_the_typed_path_with_equal_models(frame: str) -> None:
    got = typed(frame)
    assert got is not None
    assert_equal_models(got, general(frame))


@settings(max_examples=300, deadline=None)
@given(frames())
def test_generated_frames_give_equal_models_whichever_path_takes_them(frame: str) -> None:
    want = general(frame)
    got = typed(frame)
    if got is not None:
        assert_equal_models(got, want)
    assert_equal_models(parse_frame(frame), want)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(regular_objects, min_size=1, max_size=4),
    st.sampled_from(["null", "NaN", "Infinity", "-Infinity", '"text"', "[1, 2]", "{}", "true"]),
    st.sampled_from(["value", "x_vendor", "circuit_extra", "unit", "modes", "alias"]),
)
def test_an_odd_value_anywhere_sends_the_frame_to_the_general_decoder(
    objects: list[dict[str, Any]], token: str, key: str
) -> None:
    text = json.dumps(objects)
    frame = text[:-2] + f', "{key}": {token}}}]' if text.endswith("}]") else text
    want = general(frame)
    got = typed(frame)
    if got is not None:
        assert_equal_models(got, want)
    assert_equal_models(parse_frame(frame), want)
    core = EvokCore(resync=False)
    core.receive(frame)
    cached = {device.key: device for device in want}  # the last state of each device
    assert_equal_models([core.state[key] for key in cached], list(cached.values()))


def test_nan_infinity_and_unknown_keys_survive() -> None:
    frame = (
        '[{"dev": "ai", "circuit": "1_01", "value": NaN, "unit": "V", "x_vendor": {"a": 1}, '
        '"modes": {"Voltage": {"value": 0, "unit": "V", "range": [0, Infinity], "gain": 2}}}, '
        '{"dev": "temp", "circuit": "28AA", "value": -Infinity, "lost": false}, '
        '{"dev": "ro", "circuit": "2_01", "value": 1}]'
    )
    assert typed(frame) is None
    ai, temp, relay = EvokCore(resync=False).receive(frame)
    assert isinstance(ai, DeviceChanged) and isinstance(ai.device, AnalogInput)
    assert math.isnan(ai.device.value or 0.0) and ai.device.extra == {"x_vendor": {"a": 1}}
    assert ai.device.modes is not None
    voltage = ai.device.modes["Voltage"]
    assert isinstance(voltage, ModeInfo) and voltage.range == (0, math.inf) and voltage.extra == {"gain": 2}
    assert ai.device.to_wire()["x_vendor"] == {"a": 1} and ai.device.to_wire()["modes"]["Voltage"]["gain"] == 2
    assert isinstance(temp, DeviceChanged) and isinstance(temp.device, Temperature)
    assert temp.device.value == -math.inf and temp.device.lost is False
    assert isinstance(relay, DeviceChanged) and relay.device.key == ("ro", "2_01")


def test_explicit_nulls_and_v2_shapes_survive() -> None:
    frame = (
        '[{"dev": "device_info", "circuit": "1", "model": "L203", "sn": null, "glob_dev_id": 1}, '
        '{"dev": "temp", "circuit": "28AA", "typ": "DS18B20", "value": 20.5, "glob_dev_id": 1}, '
        '{"dev": "ai", "circuit": "1_01", "value": 1.5, "modes": ["Voltage", "Current"], "glob_dev_id": 1}]'
    )
    assert typed(frame) is None
    info, temp, ai = parse_frame(frame)
    assert info.nulls == {"sn"} and info.to_wire()["sn"] is None and info.glob_dev_id == 1
    assert (
        isinstance(temp, Temperature) and temp.type == "DS18B20" and temp.extra == {"typ": "DS18B20", "glob_dev_id": 1}
    )
    assert isinstance(ai, AnalogInput) and ai.modes is not None and list(ai.modes) == ["Voltage", "Current"]


def test_the_typed_path_keeps_glob_dev_id_and_alias() -> None:
    frame = '[{"dev": "ro", "circuit": "2_01", "value": 1, "alias": "lamp", "glob_dev_id": 3}]'
    (relay,) = typed(frame) or []
    assert relay.alias == "lamp" and relay.extra == {"glob_dev_id": 3} and relay.glob_dev_id == 3
    assert relay.to_wire() == json.loads(frame)[0]
    assert_equal_models([relay], general(frame))


def test_repeated_modes_are_shared_read_only() -> None:
    frame = VENDOR_FRAMES[0]
    (first,) = typed(frame) or []
    (second,) = typed(frame) or []
    assert isinstance(first, AnalogInput) and isinstance(second, AnalogInput)
    assert first.modes is second.modes  # EVOK repeats them in every event: one copy
    with pytest.raises(TypeError):
        first.modes["Extra"] = ModeInfo()  # type: ignore[index]


@pytest.mark.parametrize(
    "frame", [VENDOR_FRAMES[0], _simulator_replies()[0], '[{"dev": "ai", "circuit": "1", "value": NaN}]']
)
def test_models_and_events_pickle(frame: str) -> None:
    events = EvokCore(resync=False).receive(frame)
    assert events
    for event in events:
        copy = pickle.loads(pickle.dumps(event))
        assert type(copy) is type(event) and repr(copy) == repr(event)


@settings(max_examples=200, deadline=None)
@given(st.lists(regular_objects, min_size=2, max_size=5), st.data())
def test_a_repeated_array_reuses_the_models_of_unchanged_devices_only(
    first: list[dict[str, Any]], data: st.DataObject
) -> None:
    # the second array: the first with some objects replaced (same length, as EVOK's `all` replies)
    second = [data.draw(st.sampled_from([obj, *data.draw(st.lists(regular_objects, max_size=1))])) for obj in first]
    memo = _FrameMemo()
    before = _typed_frame(json.dumps(first), memo)
    after = _typed_frame(json.dumps(second), memo)
    assert isinstance(before, list) and isinstance(after, list)
    want = general(json.dumps(second))
    for got, expected, old in zip(after, want, before, strict=True):
        assert type(got) is type(expected) and got == expected
        assert (got is old) == (old == expected)  # reused exactly when equal


def test_an_unchanged_refresh_gives_the_cached_models_back() -> None:
    reply = _simulator_replies()[0]
    core = EvokCore()
    core.on_connect()
    core.receive(reply)
    cached = core.state.snapshot()
    events = core.receive(reply)
    assert [type(e).__name__ for e in events] == ["Snapshot"]
    (snap,) = events
    assert isinstance(snap, Snapshot)
    assert all(snap.devices[key] is device for key, device in cached.items())
    changed = reply.replace('"value": 0, "debounce"', '"value": 1, "debounce"', 1)  # di 1_01 turns on
    events = core.receive(changed)
    assert [(type(e).__name__, getattr(e, "device", None) and e.device.key) for e in events] == [  # type: ignore[attr-defined]
        ("DeviceChanged", ("di", "1_01")),
        ("Snapshot", None),
    ]
