"""Hypothesis: model round trips, and decoder fuzzing that yields only ProtocolError."""

from __future__ import annotations

import json
from typing import Any

import cbor2
from hypothesis import given, settings
from hypothesis import strategies as st

from iotws.errors import ProtocolError
from iotws.evok.models import _REGISTRY, Device, GenericDevice, _slow_from_wire, device_from_wire
from iotws.evok.protocol import (
    FILTER_NAMES,
    DeviceChanged,
    EvokCore,
    SetCommand,
    Snapshot,
    normalize_filter,
    parse_frame,
)
from iotws.evok.testing import device_objects, devices, filters, frames

FUZZ = settings(max_examples=150, deadline=None)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
#: JSON that looks like EVOK: objects with dev/circuit keys of any type, and anything else.
evokish = st.fixed_dictionaries(
    {"dev": json_values | st.sampled_from(["ro", "ai", "temp", "run", "x"]), "circuit": json_values},
    optional={
        "value": json_values,
        "modes": json_values,
        "range": json_values,
        "aliases": json_values,
        "alias": json_values,
        "type": json_values,
        "typ": json_values,
        "pending": json_values,
    },
)


def receive_only_protocol_errors(core: EvokCore, frame: str | bytes) -> list[object]:
    try:
        return core.receive(frame)
    except ProtocolError:
        return []


@given(devices())
def test_model_round_trip(device: Device) -> None:
    assert device_from_wire(device.to_wire()) == device


@given(device_objects())
def test_wire_round_trip_keeps_every_field(obj: dict[str, Any]) -> None:
    device = device_from_wire(obj)
    assert not isinstance(device, GenericDevice)
    assert device.to_wire() == obj
    assert device.key == (obj["dev"], obj["circuit"])


@given(frames())
def test_every_frame_becomes_events_and_cache_entries(frame: str) -> None:
    core = EvokCore()
    data = json.loads(frame)
    items = data if isinstance(data, list) else [data]
    events = core.receive(frame)
    changed = [e.device.to_wire() for e in events if isinstance(e, DeviceChanged)]
    if isinstance(data, list) and any(o["dev"] in ("run", "device_info") for o in items):
        # only an `all` reply holds these: a snapshot, whose states are events when they differ
        assert any(isinstance(e, Snapshot) for e in events)
        first = {}
        for o in items:
            first.setdefault((o["dev"], o["circuit"]), o)
        assert {(o["dev"], o["circuit"]) for o in changed} == set(first)
    else:
        assert changed == items  # every pushed state is an event
    assert len(core.state) == len({(o["dev"], o["circuit"]) for o in items})


@FUZZ
@given(
    st.one_of(
        json_values.map(json.dumps),
        st.lists(evokish | json_values, max_size=4).map(json.dumps),
        evokish.map(json.dumps),
    )
)
def test_random_json_yields_only_protocol_error(frame: str) -> None:
    core = EvokCore()
    receive_only_protocol_errors(core, frame)
    assert core.receive('[{"dev": "ro", "circuit": "2_01", "value": 1}]')


@FUZZ
@given(st.one_of(st.binary(max_size=64), st.text(max_size=64), json_values.map(cbor2.dumps)))
def test_random_bytes_text_and_cbor_yield_only_protocol_error(frame: str | bytes) -> None:
    core = EvokCore()
    receive_only_protocol_errors(core, frame)
    try:
        parse_frame(frame)
    except ProtocolError:
        pass
    assert core.receive('{"dev": "temp", "circuit": "28AA", "value": 20.5}')


@given(filters())
def test_filters_map_to_names_evok_matches(names: list[str]) -> None:
    result = normalize_filter(names)
    assert set(result) <= FILTER_NAMES
    assert len(result) == len(set(result))


@given(
    st.sampled_from(["ro", "do", "relay", "output", "di", "ai", "ao", "led", "wd"]),
    st.dictionaries(
        st.sampled_from(["value", "timeout", "pwm_duty", "debounce", "mode", "alias"]),
        st.one_of(st.integers(0, 10**6), st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.text()),
        min_size=1,
    ),
)
def test_set_is_always_the_value_dict_form(dev: str, params: dict[str, Any]) -> None:
    (frame,) = SetCommand(dev, "1_01", params).encode(None)
    message = json.loads(frame)
    assert list(message) == ["cmd", "dev", "circuit", "value"]
    assert isinstance(message["value"], dict) and message["value"].keys() == params.keys()


@FUZZ
@given(
    st.one_of(device_objects(), evokish.filter(lambda o: isinstance(o["dev"], str) and isinstance(o["circuit"], str)))
)
def test_compiled_decoder_agrees_with_the_general_one(obj: dict[str, Any]) -> None:
    cls = _REGISTRY.get(obj["dev"], GenericDevice)
    fast = device_from_wire(obj)
    slow = _slow_from_wire(cls, obj)
    assert fast == slow and type(fast) is type(slow)
    assert fast.to_wire() == slow.to_wire()
