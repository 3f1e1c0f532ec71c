"""The two decoders of Globiots frames give equal models: msgspec's typed path and the general one.

A frame of the regular shape is decoded by msgspec straight into typed structs; any other
frame by the general decoder (``from_wire`` over ``jsonwire.loads``), which keeps unknown
fields and odd values. Differential tests: on every golden frame and on generated ones,
whenever the typed path gives a model it is the general decoder's; odd frames (extra keys,
NaN, Infinity, nulls) are kept whole.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iotws.errors import ProtocolError
from iotws.globiots.models import RealtimeUpdate, SetResponse, _typed_set_response, _typed_update
from iotws.globiots.protocol import RealtimeCore
from iotws.globiots.testing import realtime_updates, set_responses
from iotws.jsonwire import loads

from .test_protocol import REALTIME_RESPONSE, SET_RESPONSE

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _entry(address: str, data_type: str, length: object, value: object, change: str = "UNCHNAGED",
           **more: Any) -> dict[str, Any]:
    return {"address": address, "dataType": data_type, "length": length, "value": value, "changeOfValue": change,
            **more}


def _push(*entries: dict[str, Any], **top: Any) -> str:
    message = {"updateTime": 1, "timezone": "GMT+07:00", "timestamp": 1451380750978, "sessionId": "",
               "objects": [{"hostname": "0.0.0.1", "addresses": list(entries)}], **top}
    return json.dumps(message)


MIXED = [
    _entry("2000", "float", 4, "21.37"),
    _entry("2004", "float", 4, "-0.0", "INCREASE"),
    _entry("2008", "float", 4, "1.0000000596046447753906251", "DECREASE"),  # just above a float32 midpoint
    _entry("200C", "float", 4, "3.4028236e38"),  # overflows float32
    _entry("2010", "float", 4, "nan"),
    _entry("2014", "unsigned_integer_16", 2, "65535"),
    _entry("2016", "unsigned_integer_16", 2, "65536"),  # out of range: no value
    _entry("2018", "integer_16", 2, "-32768"),
    _entry("201A", "integer_32", 4, " 12"),
    _entry("201E", "byte", 1, "+7"),
    _entry("201F", "unsigned_integer_32", 4, "1_0"),
    _entry("2020", "hexa", 4, "0aFF1234"),
    _entry("2024", "hexa", 3, "xyz"),
    _entry("2028", "string", 8, "héllo"),
    _entry("2030", "float", 4, "float"),  # the vendor template's placeholder
    _entry("2034", "float", 4, ""),
    _entry("2038", "integer_64", 8, "5"),  # a type this library does not know
    _entry("2040", "", 0, ""),
    _entry("2044", "byte", "1", "9", "sideways"),  # length as text, an unknown change word
    _entry("2045", "byte", "", "9", "unchnaged"),
]

#: Frames of the regular shape: the typed path decodes them.
REGULAR = [
    REALTIME_RESPONSE,
    _push(*MIXED),
    _push(_entry("2000", "float", 4, "21.5")),
    _push(),
    '{"objects": []}',
    "{}",
    _push({"address": "2000", "dataType": "float", "length": 4, "value": "1.5"}),  # no changeOfValue
    _push(_entry("2000", "float", 4, "1.5"), responseMessage="ok"),
    _push(_entry("2000", "float", 4, "1.5"), timestamp=1.5e12),
    # failed reads (the detail keys of some deployments)
    _push(_entry("2008", "unsigned_integer_32", 4, "", status="message-request-fail", responseCode="09",
                 responseMessage="Memory area is not allowed reading"), _entry("2000", "float", 4, "1.5")),
    _push(_entry("2004", "integer_16", 2, "-25", timestamp=1451380750000)),
    json.dumps({"objects": [{"hostname": "h", "addresses": [_entry("2000", "byte", 1, "1")], "type": "any-data"}]}),
    _push(_entry("2000", "float", 4, "1.5")).encode(),  # bytes too
]

#: Frames that are not of the regular shape: the general decoder keeps all of them.
ODD = [
    _push(_entry("2000", "float", 4, "1.5"), vendorField=[1]),  # an unknown top-level key
    _push(_entry("2000", "float", 4, "1.5"), vendorField=math.nan),
    _push(_entry("2000", "float", 4, "1.5", quality="bad")),  # an unknown entry key
    _push(_entry("2000", "float", 4, "1.5", quality=math.inf)),
    _push(_entry("2000", "float", 4, "1.5", status=None)),  # null where a detail is optional
    _push(_entry("2000", "float", 4, "1.5"), timezone=None),
    _push({"address": "2000", "dataType": "float", "length": 4, "value": None}),
    _push({"address": "2000", "dataType": "float", "length": 4}),  # no value
    _push(_entry("2000", "float", 4, "1.5"), updateTime="5"),  # a number as text: no update time
    _push(_entry("2000", "float", 4, "1.5"), updateTime=True),
    _push(_entry("2000", "float", 4, "1.5", changeOfValue=3)),
    _push(_entry("2000", "float", 4, "1.5", changeOfValue=None)),
    _push(_entry("2000", "float", None, "1.5")),
]

#: Frames both decoders refuse.
BAD = [
    "",
    "[]",
    '{"objects": 3}',
    '{"objects": [{"hostname": 1}]}',
    _push(_entry("2000", "float", 4, 1.5)),
    _push(_entry("2000", "float", "four", "1.5")),
    _push(_entry("2000", "float", 4, "1.5"), timestamp=1e300),
    _push(_entry("2000", "float", 4, "1.5", timestamp="x")),
    _push(_entry("2000", "float", 4, "1.5", responseCode=9)),
]


def general(frame: str | bytes) -> RealtimeUpdate | None:
    """The general decoder's model of ``frame``; ``None`` when it refuses the frame."""
    try:
        return RealtimeUpdate.from_wire(loads(frame))
    except (ProtocolError, ValueError, RecursionError):
        return None


def check(frame: str | bytes) -> RealtimeUpdate | None:
    """Both decoders agree on ``frame``, and so does the core; returns the typed model."""
    typed, expected = _typed_update(frame), general(frame)
    if typed is not None:  # equal models (NaN from a "nan" text is unequal to itself: then the reprs say)
        assert repr(typed) == repr(expected)  # same types all the way down (1 is not 1.0)
        assert typed == expected or "nan" in repr(typed)
    core = RealtimeCore()
    if expected is None:
        with pytest.raises(ProtocolError):
            core.receive(frame)
    else:
        (update,) = core.receive(frame)
        assert repr(update) == repr(expected)
        newest = {value.key: value for value in update.values}  # the last of repeated points wins
        assert core.latest.keys() == newest.keys() and all(core.latest[key] is newest[key] for key in newest)
    return typed


@pytest.mark.parametrize("frame", REGULAR)
def test_regular_frames_take_the_typed_path_and_agree(frame: str | bytes) -> None:
    assert check(frame) is not None


@pytest.mark.parametrize("frame", ODD)
def test_odd_frames_take_the_general_path_and_are_kept(frame: str) -> None:
    assert check(frame) is None
    assert general(frame) is not None


@pytest.mark.parametrize("frame", BAD)
def test_bad_frames_are_refused_by_both(frame: str) -> None:
    assert check(frame) is None
    assert general(frame) is None


def test_nan_infinity_and_extra_keys_survive() -> None:
    frame = ('{"timestamp": 0, "vendor": {"max": Infinity, "min": -Infinity}, "spare": NaN, "objects": [{"hostname":'
             ' "h", "addresses": [{"address": "2000", "dataType": "float", "length": 4, "value": "1.5", "q": NaN}]}]}')
    (update,) = RealtimeCore().receive(frame)
    assert update.extra["vendor"] == {"max": math.inf, "min": -math.inf} and math.isnan(update.extra["spare"])
    (value,) = update.values
    assert value.value == 1.5 and math.isnan(value.extra["q"])
    assert json.loads(json.dumps(update.to_wire()))["vendor"] == {"max": math.inf, "min": -math.inf}


@SETTINGS
@given(realtime_updates())
def test_generated_pushes_agree(update: RealtimeUpdate) -> None:
    frame = json.dumps(update.to_wire())
    typed = check(frame)
    assert typed is not None and typed == update


# --- generated frames of any shape -----------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
ENTRY_KEYS = ["address", "dataType", "length", "value", "changeOfValue", "timestamp", "status", "responseCode",
              "responseMessage", "quality"]
TOP_KEYS = ["updateTime", "timezone", "timestamp", "sessionId", "responseMessage", "objects", "vendor"]


@st.composite
def mutated_pushes(draw: st.DrawFn) -> str:
    """A regular push with a few keys set to any JSON value (NaN and Infinity too), or removed."""
    message = json.loads(draw(st.sampled_from([f for f in REGULAR if isinstance(f, str)])))
    for _ in range(draw(st.integers(1, 3))):
        objects = [o for o in message.get("objects", []) if isinstance(o, dict)] if isinstance(
            message.get("objects"), list) else []
        entries = [e for o in objects if isinstance(o.get("addresses"), list) for e in o["addresses"]
                   if isinstance(e, dict)]
        where = draw(st.sampled_from(["top", "entry", "entry", "object"]))
        if where == "entry" and entries:
            target, keys = draw(st.sampled_from(entries)), ENTRY_KEYS
        elif where == "object" and objects:
            target, keys = draw(st.sampled_from(objects)), ["hostname", "addresses", "type"]
        else:
            target, keys = message, TOP_KEYS
        key = draw(st.sampled_from(keys))
        if draw(st.booleans()):
            target.pop(key, None)
        else:
            target[key] = draw(JSON | st.sampled_from(["1", "4", "float", "byte", "UNCHNAGED", "09", ""]))
    return json.dumps(message)


@SETTINGS
@given(mutated_pushes())
def test_generated_frames_of_any_shape_agree(frame: str) -> None:
    check(frame)


# --- set-data answers ---------------------------------------------------------------------------


def general_answer(frame: str) -> SetResponse | None:
    try:
        return SetResponse.from_wire(loads(frame))
    except (ProtocolError, ValueError, RecursionError):
        return None


def check_answer(frame: str) -> SetResponse | None:
    typed, expected = _typed_set_response(frame), general_answer(frame)
    if typed is not None:
        assert typed == expected and repr(typed) == repr(expected)
    return typed


def _answer(*entries: dict[str, Any], **top: Any) -> str:
    return json.dumps({"sessionId": "", "services": {"serviceName": "set-data", "objects": [
        {"type": "any-data", "hostname": "0.0.0.1", "addresses": list(entries)}]}, **top})


@pytest.mark.parametrize(
    "frame",
    [
        SET_RESPONSE,
        _answer({"address": "3000", "value": "1.5", "dataType": "float", "length": 4, "responseCode": "00",
                 "responseMessage": "ok"}),
        _answer({"address": "3000", "responseCode": "0a"}, {"address": "3004", "responseCode": 16, "length": "2"}),
        _answer({"address": "3000", "responseCode": "00", "dataType": "integer_64"}),
        json.dumps({"services": {"objects": []}}),
        json.dumps({"services": {"serviceName": "", "objects": [{"hostname": "h"}]}}),
    ],
)
def test_regular_answers_take_the_typed_path_and_agree(frame: str) -> None:
    assert check_answer(frame) is not None


@pytest.mark.parametrize(
    "frame",
    [
        _answer({"address": "3000", "responseCode": "00"}, vendor=math.nan),
        _answer({"address": "3000", "responseCode": "00", "quality": "bad"}),
        _answer({"address": "3000", "responseCode": "00", "value": None}),
        _answer({"address": "3000", "responseCode": True}),
        _answer({"address": "3000"}),
        '{"sessionId": ""}',
    ],
)
def test_odd_answers_take_the_general_path(frame: str) -> None:
    assert check_answer(frame) is None


@SETTINGS
@given(set_responses())
def test_generated_answers_agree(response: SetResponse) -> None:
    typed = check_answer(json.dumps(response.to_wire()))
    assert typed is not None and typed == response


@settings(max_examples=500)
@given(st.integers(-(2**44), 2**44) | st.sampled_from([0, 1, 999, 2**42 - 1, 2**42, 1451380750978]))
def test_push_times_are_exact_to_the_millisecond(ms: int) -> None:
    import datetime as dt

    from iotws.globiots.models import _timestamp

    assert _timestamp(ms) == dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=ms)
