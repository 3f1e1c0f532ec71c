"""The shared JSON layer: msgspec decodes, and accepts exactly what ``json.loads`` accepts."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

import attrs
import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iotws.jsonwire import DECODE_ERRORS, WIRE_ERRORS, WireStruct, dumps, loads, slot_setters, typed_decoder

# JSON values, NaN and the infinities included (json.dumps writes them as the bare tokens)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()  # beyond 64 bits too
    | st.floats()  # NaN, +-Infinity, -0.0, subnormals
    | st.text()  # lone surrogates and control characters too
)
VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


def same(a: Any, b: Any) -> bool:
    """Equal, NaN equal to NaN, and of the same types all the way down (1 is not 1.0, nor True)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def check_like_json_loads(text: str | bytes) -> None:
    try:
        expected = json.loads(text)
    except DECODE_ERRORS as exc:
        with pytest.raises(type(exc)):
            loads(text)
        return
    assert same(loads(text), expected)


@settings(max_examples=300)
@given(VALUES, st.booleans())
def test_loads_gives_what_json_loads_gives(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    check_like_json_loads(text)
    if not any(0xD800 <= ord(c) <= 0xDFFF for c in text):  # bytes must be valid UTF-8
        check_like_json_loads(text.encode())


@settings(max_examples=300)
@given(st.text(alphabet=st.sampled_from('{}[]",:.-+0123456789eEaflnrstuNIy \\\t\ud800é'), max_size=30))
def test_loads_accepts_and_refuses_what_json_loads_does(text: str) -> None:
    check_like_json_loads(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"value": NaN, "max": Infinity, "min": -Infinity}', {"value": math.nan, "max": math.inf, "min": -math.inf}),
        ("[1e400, -1e400]", [math.inf, -math.inf]),  # beyond the float range, as json.loads reads it
        ('"\\ud800"', "\ud800"),  # an escaped lone surrogate
        ('{"a": 1, "a": 2}', {"a": 2}),  # the last of repeated keys wins
        ("123456789012345678901234567890", 123456789012345678901234567890),
        ('  {"é": [true, null]}\n', {"é": [True, None]}),
    ],
)
def test_loads_takes_what_real_servers_send(text: str, expected: Any) -> None:
    assert same(loads(text), expected)
    assert same(loads(text.encode("utf-8", "surrogatepass")), expected)
    assert same(loads(bytearray(text.encode("utf-8", "surrogatepass"))), expected)
    assert same(loads(memoryview(text.encode("utf-8", "surrogatepass"))), expected)


def test_loads_reads_other_encodings_as_json_loads_does() -> None:
    assert loads('{"a": "é"}'.encode("utf-16")) == {"a": "é"}


@pytest.mark.parametrize("text", ["", "{oops", "[1,]", "01", "[1] x", '"\x01"', "\ufeff[1]", "[" * 100_000])
def test_loads_refuses_what_is_not_json(text: str) -> None:
    with pytest.raises(DECODE_ERRORS):
        loads(text)


class Reading(WireStruct, frozen=True):
    time: int
    record: int | float | None = None


class Temperature(WireStruct, frozen=True, tag_field="event", tag="temperature"):
    data: Reading


class Humidity(WireStruct, frozen=True, tag_field="event", tag="humidity"):
    data: Reading


def test_a_typed_decoder_decodes_the_regular_shape() -> None:
    decode = typed_decoder(Temperature | Humidity)
    assert decode('{"event": "humidity", "data": {"time": 5, "record": 61}}') == Humidity(Reading(5, 61))
    assert decode(b'{"data": {"time": 5}, "event": "temperature"}') == Temperature(Reading(5))


@pytest.mark.parametrize(
    "frame",
    [
        '{"event": "humidity", "data": {"time": 5, "record": 61, "unit": "%"}}',  # a key the struct does not have
        '{"event": "humidity", "data": {"time": 5}, "extra": 1}',
        '{"event": "humidity", "data": {"time": 5, "record": NaN}}',  # the non-standard tokens
        '{"event": "humidity", "data": {"time": 5, "record": Infinity}}',
        '{"event": "humidity", "data": {"time": 5, "record": 1e400}}',  # beyond the float range
        '{"event": "humidity", "data": {"time": 5.0}}',  # a value of another type
        '{"event": "humidity", "data": {"time": true}}',
        '{"event": "pump", "data": {"time": 5}}',  # an unknown tag
        '{"event": "humidity", "data": {"time": 5}, "event": "temperature"}',  # a repeated tag
        '{"event": "humidity"}',  # a missing field
        '{"event": "humidity", "data": {"time": "\\ud800"}}',
        "[" * 100_000,
        "{oops",
        "\ud800",
        b"\xff",
    ],
)
def test_a_typed_decoder_refuses_anything_else_with_a_wire_error(frame: str | bytes) -> None:
    decode = typed_decoder(Temperature | Humidity)
    with pytest.raises(WIRE_ERRORS):
        decode(frame)
    if isinstance(frame, str) and frame.startswith('{"event"'):
        loads(frame)  # ...and the general path can read it: nothing is lost


def test_wire_structs_are_frozen_and_strict() -> None:
    with pytest.raises(AttributeError):
        Reading(5).time = 6  # type: ignore[misc]
    assert msgspec.structs.asdict(Reading(5, 1.5)) == {"time": 5, "record": 1.5}


def test_slot_setters_fill_a_frozen_attrs_instance() -> None:
    @attrs.frozen
    class Point:
        x: int
        y: int = attrs.field(converter=int)

    set_x, set_y = slot_setters(Point)
    point = object.__new__(Point)
    set_x(point, 1)
    set_y(point, 2)
    assert point == Point(1, 2)


def test_dumps_writes_compact_text_and_the_non_standard_tokens() -> None:
    assert dumps({"a": [1, 2.5], "t": "é"}) == '{"a":[1,2.5],"t":"é"}'
    assert dumps([math.nan, math.inf]) == "[NaN,Infinity]"
    with pytest.raises(ValueError, match="Out of range"):
        dumps([math.nan], allow_nan=False)


def test_no_orjson_in_the_code_paths() -> None:
    code = (
        "import sys, iotws.jsonwire, iotws.globiots.protocol, iotws.oisp.protocol, iotws.farmws.protocol\n"
        "assert 'orjson' not in sys.modules, 'orjson was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
