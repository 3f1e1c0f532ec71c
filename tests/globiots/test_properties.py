"""Hypothesis: value text round trips per type, message round trips, decoder fuzzing."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from iotws.codec import DataType, Value, coerce
from iotws.errors import ProtocolError
from iotws.globiots.models import Point, RealtimeRequest, RealtimeUpdate, SetRequest, SetResponse
from iotws.globiots.protocol import RealtimeCore, SetDataCore
from iotws.globiots.testing import (
    json_values,
    realtime_requests,
    realtime_updates,
    set_requests,
    set_responses,
    typed_values,
)

GOOD_PUSH = json.dumps(
    {"timestamp": 1, "objects": [{"hostname": "h", "addresses": [
        {"address": "2000", "dataType": "float", "length": 4, "value": "1.5", "changeOfValue": "INCREASE"}]}]}
)


@given(typed_values())
def test_value_text_round_trip_per_type(item: tuple[Point, Value]) -> None:
    point, value = item
    text = point.text(value)
    parsed = point.parse(text)
    if point.data_type is DataType.HEXA:
        assert parsed == bytes(value)  # type: ignore[arg-type]
    else:
        assert parsed == coerce(point.data_type, value, length=None if point.data_type.size else point.length)
    assert point.text(parsed) == text  # the text is canonical


@given(st.floats(width=32, allow_nan=False, allow_infinity=False))
def test_float_text_is_exact_float32(value: float) -> None:
    point = Point("h", "3000", DataType.FLOAT)
    assert point.parse(point.text(value)) == value


@settings(max_examples=50)
@given(realtime_updates())
def test_realtime_update_wire_round_trip(update: RealtimeUpdate) -> None:
    assert RealtimeUpdate.from_wire(json.loads(json.dumps(update.to_wire()))) == update


@settings(max_examples=50)
@given(realtime_requests())
def test_realtime_request_wire_round_trip(request: RealtimeRequest) -> None:
    assert RealtimeRequest.from_wire(json.loads(json.dumps(request.to_wire()))) == request


@settings(max_examples=50)
@given(set_requests())
def test_set_request_wire_round_trip(request: SetRequest) -> None:
    assert SetRequest.from_wire(json.loads(json.dumps(request.to_wire()))) == request


@settings(max_examples=50)
@given(set_responses())
def test_set_response_wire_round_trip(response: SetResponse) -> None:
    again = SetResponse.from_wire(json.loads(json.dumps(response.to_wire())))
    assert again == response
    assert [r.raw_code for r in again.results] == [r.raw_code for r in response.results]


def _feed_only_protocol_errors(core: RealtimeCore | SetDataCore, frame: str | bytes) -> None:
    try:
        core.receive(frame)
    except ProtocolError:
        pass


@settings(max_examples=100)
@given(json_values())
def test_fuzz_random_json_yields_only_protocol_error(data: Any) -> None:
    frame = json.dumps(data)
    realtime, set_data = RealtimeCore(), SetDataCore()
    _feed_only_protocol_errors(realtime, frame)
    _feed_only_protocol_errors(set_data, frame)
    assert len(realtime.receive(GOOD_PUSH)) == 1  # the core keeps working


@settings(max_examples=100)
@given(st.binary(max_size=64) | st.text(max_size=64))
def test_fuzz_random_bytes_and_text_yield_only_protocol_error(frame: bytes | str) -> None:
    realtime, set_data = RealtimeCore(), SetDataCore()
    _feed_only_protocol_errors(realtime, frame)
    _feed_only_protocol_errors(set_data, frame)
    assert len(realtime.receive(GOOD_PUSH)) == 1


def _mutate(data: Any, path: list[int], replacement: Any) -> Any:
    """Replace one node of ``data`` (chosen by ``path``) with ``replacement``."""
    if not path or not isinstance(data, dict | list) or not data:
        return replacement
    if isinstance(data, dict):
        keys = sorted(data)
        key = keys[path[0] % len(keys)]
        return {**data, key: _mutate(data[key], path[1:], replacement)}
    index = path[0] % len(data)
    return [*data[:index], _mutate(data[index], path[1:], replacement), *data[index + 1 :]]


@settings(max_examples=100)
@given(realtime_updates(), set_responses(), st.lists(st.integers(0, 20), max_size=6), json_values())
def test_fuzz_mutated_messages_yield_only_protocol_error(
    update: RealtimeUpdate, response: SetResponse, path: list[int], replacement: Any
) -> None:
    realtime, set_data = RealtimeCore(), SetDataCore()
    _feed_only_protocol_errors(realtime, json.dumps(_mutate(update.to_wire(), path, replacement)))
    _feed_only_protocol_errors(set_data, json.dumps(_mutate(response.to_wire(), path, replacement)))
    assert len(realtime.receive(GOOD_PUSH)) == 1


def _codec_decode(data_type: DataType, text: str) -> Value | None:
    from iotws.codec import from_text
    from iotws.errors import CodecError

    try:
        value = text if data_type is DataType.STRING else from_text(data_type, text)
    except CodecError:
        return None
    # a float is the double of its decimal text (as people read it), once the codec took the text
    return float(text) if data_type is DataType.FLOAT else value


NUMBER_TEXT = st.one_of(
    st.floats(width=32).map(repr),
    st.floats().map(repr),
    st.integers(-(2**40), 2**40).map(str),
    st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str),
    st.from_regex(r"\A[ +-]?[0-9_]{0,12}(\.[0-9]{0,12})?([eE][+-]?[0-9]{1,3})?\Z"),
    st.text(max_size=12),
)


@settings(max_examples=300)
@given(st.sampled_from(list(DataType)), NUMBER_TEXT)
def test_fast_decode_matches_the_codec(data_type: DataType, text: str) -> None:
    from iotws.globiots.models import decode_value

    expected = _codec_decode(data_type, text) if text else None
    got = decode_value(data_type, text)
    if isinstance(expected, float) and expected != expected:
        assert isinstance(got, float) and got != got
    else:
        assert got == expected and type(got) is type(expected)


@settings(max_examples=100)
@given(st.lists(st.tuples(st.sampled_from(list(DataType)), NUMBER_TEXT), min_size=1, max_size=6))
def test_fast_entry_path_matches_the_general_path(entries: list[tuple[DataType, str]]) -> None:
    from iotws.globiots.models import PointValue, _typed_update

    wire = [{"address": f"{i:04X}", "dataType": t.value, "length": t.size or 4, "value": v, "changeOfValue": "DECREASE"}
            for i, (t, v) in enumerate(entries)]
    update = _typed_update(json.dumps({"objects": [{"hostname": "h", "addresses": wire}]}))  # the typed path
    assert update is not None
    for parsed, raw in zip(update.values, wire, strict=True):
        general = PointValue.from_wire("h", raw)
        assert repr(parsed) == repr(general)
