"""The two decoders of OISP server frames give equal models: msgspec's typed path and the general one.

A frame of the regular shape (a known code, string ids, params of a name and a scalar value,
no keys beyond the documented ones) is decoded by msgspec straight into typed structs; any
other by the general decoder, which keeps everything (numeric ids, odd params, extra keys,
NaN, Infinity). Differential tests on golden and generated frames.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iotws.errors import ProtocolError
from iotws.oisp.models import (
    Actuation,
    Param,
    Pong,
    ServerError,
    ServerMessage,
    _general_message,
    _typed_message,
    parse_server_message,
)
from iotws.oisp.protocol import OispCore
from iotws.oisp.testing import actuations

from .test_protocol import INVALID_TOKEN, LEGACY_200, LEGACY_500, PONG, VENDOR_ACTUATION, WRONG_FORMAT

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def general(frame: str) -> ServerMessage | None:
    """The general decoder's model of ``frame``; ``None`` when it refuses the frame."""
    try:
        return _general_message(frame)
    except ProtocolError:
        return None


def wire_text(message: ServerMessage | None) -> str:
    """What ``message`` says on the wire, types included (1 is not 1.0, nor True)."""
    if isinstance(message, Actuation):
        return json.dumps(message.to_wire())
    return repr(message)


def check(frame: str) -> ServerMessage | None:
    """Both decoders agree on ``frame``, and so does the core; returns the typed model."""
    typed, expected = _typed_message(frame), general(frame)
    if typed is not None:
        assert typed == expected
        assert wire_text(typed) == wire_text(expected)
        if isinstance(typed, Actuation):
            assert typed.raw == expected.raw and typed.problems == expected.problems == ()  # type: ignore[union-attr]
    if expected is None:
        with pytest.raises(ProtocolError):
            parse_server_message(frame)
    else:
        assert parse_server_message(frame) == expected
    return typed


def _actuation(content: Any = None, **body: Any) -> str:
    if content is not None:
        body["content"] = content
    return json.dumps({"code": 1024, "content": body})


REFERENCE = {"accountId": "acc", "deviceId": "d1", "gatewayId": "d1", "componentId": "c1", "command": "LED.v1.0",
             "params": [{"name": "LED", "value": "1"}]}

#: Frames of the regular shape: the typed path decodes them.
REGULAR = [
    VENDOR_ACTUATION,
    PONG,
    LEGACY_200,
    LEGACY_500,
    INVALID_TOKEN,
    WRONG_FORMAT,
    '{"code":202}',
    '{"content": "PONG", "code": 202}',
    '{"code":500,"content":{"error":[1,2]}}',
    _actuation(REFERENCE, type="command", transport="ws"),
    _actuation({**REFERENCE, "domainId": "dom", "deviceUID": "u", "transport": "mqtt"}, type="command"),
    _actuation({"params": [{"name": "n", "value": v} for v in ("1", 1, 1.5, True, None, "")]}),
    _actuation({"params": None}),  # params null: kept as null on the wire
    _actuation({}),  # params absent: left out on the wire
    _actuation(type="command"),  # content absent
    _actuation({"params": []}),
]

#: Frames that are not of the regular shape: the general decoder keeps all of them.
ODD = [
    '{"code":7,"content":null}',  # an unknown code
    _actuation({**REFERENCE, "deviceId": 12345}),  # a numeric id
    _actuation({**REFERENCE, "deviceId": None}),  # a null id
    _actuation({**REFERENCE, "deviceId": True}),
    _actuation({**REFERENCE, "priority": 5}),  # an unknown key
    _actuation(REFERENCE, type="command", vendor={"x": 1}),
    _actuation({"params": [{"name": "rgb", "value": {"r": 255}}]}),  # an object as a value
    _actuation({"params": [{"value": "1"}]}),  # a param without a name
    _actuation({"params": [{"name": None, "value": "1"}]}),
    _actuation({"params": [{"name": "n"}]}),  # a param without a value
    _actuation({"params": [{"name": "n", "value": "1", "unit": "%"}]}),
    _actuation({"params": {"a": 1}}),
    _actuation({"params": ["x", {"name": "LED", "value": "1"}]}),
    '{"code":1024,"content":{"content":{"params":[{"name":"t","value":NaN}]}}}',
    '{"code":1024,"content":{"content":{"params":[{"name":"t","value":Infinity}]}}}',
    '{"code":1024,"content":{"content":{"params":[{"name":"t","value":1e400}]}}}',
    '{"code":202,"content":"PONG","extra":1}',  # an unknown key beside code and content
    '{"code":202,"content":NaN}',
    '{"code":1024,"content":{"type":"command","content":{"command":"X"}},"code":202}',  # a repeated code
]

BAD = ["", "[]", '{"content":"PONG"}', '{"code":"202"}', '{"code":true}', '{"code":202.0}', '{"code":1024,"content":5}',
       '{"code":1024,"content":null}']


@pytest.mark.parametrize("frame", REGULAR)
def test_regular_frames_take_the_typed_path_and_agree(frame: str) -> None:
    assert check(frame) is not None


@pytest.mark.parametrize("frame", ODD)
def test_odd_frames_take_the_general_path_and_are_kept(frame: str) -> None:
    assert check(frame) is None
    assert general(frame) is not None


@pytest.mark.parametrize("frame", BAD)
def test_bad_frames_are_refused_by_both(frame: str) -> None:
    assert check(frame) is None


def test_nan_infinity_and_extra_keys_survive() -> None:
    core = OispCore("d1", "t")
    frame = ('{"code":1024,"content":{"type":"command","spare":NaN,"content":{"deviceId":"d1","limit":-Infinity,'
             '"params":[{"name":"t","value":NaN},{"name":"max","value":Infinity,"unit":"C"}]}}}')
    (act,) = core.receive(frame)
    assert isinstance(act, Actuation)
    assert math.isnan(act.extra["spare"]) and act.content.extra == {"limit": -math.inf}
    t, top = act.params
    assert t.name == "t" and math.isnan(t.value)  # type: ignore[arg-type]
    assert top == Param("max", math.inf, {"unit": "C"})
    again = json.dumps({"code": 1024, "content": act.to_wire()})
    assert again == ('{"code": 1024, "content": {"type": "command", "content": {"deviceId": "d1", "params": [{"name": '
                     '"t", "value": NaN}, {"name": "max", "value": Infinity, "unit": "C"}], "limit": -Infinity}, '
                     '"spare": NaN}}')
    (pong,) = core.receive('{"code":202,"content":NaN}')
    assert isinstance(pong, Pong) and math.isnan(pong.content)
    (error,) = core.receive('{"code":500,"content":{"retry":Infinity}}')
    assert isinstance(error, ServerError) and error.content == {"retry": math.inf}


@SETTINGS
@given(actuations())
def test_generated_actuations_agree(act: Actuation) -> None:
    typed = check(act.to_frame())
    if not act.extra and not act.content.extra and not any(p.extra for p in act.params):
        assert typed == act  # the regular shape: the typed path took it


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
CONTENT_KEYS = ["accountId", "domainId", "deviceUID", "deviceId", "gatewayId", "componentId", "command", "transport",
                "params", "other"]


@st.composite
def mutated_frames(draw: st.DrawFn) -> str:
    """A regular frame with a few keys set to any JSON value (NaN and Infinity too), or removed."""
    message = json.loads(draw(st.sampled_from(REGULAR)))
    for _ in range(draw(st.integers(1, 3))):
        body = message.get("content")
        content = body.get("content") if isinstance(body, dict) else None
        params = content.get("params") if isinstance(content, dict) else None
        targets: list[tuple[dict[str, Any], list[str]]] = [(message, ["code", "content", "other"])]
        if isinstance(body, dict):
            targets.append((body, ["type", "transport", "content", "other"]))
        if isinstance(content, dict):
            targets.append((content, CONTENT_KEYS))
        if isinstance(params, list):
            targets += [(p, ["name", "value", "other"]) for p in params if isinstance(p, dict)]
        target, keys = draw(st.sampled_from(targets))
        key = draw(st.sampled_from(keys))
        if draw(st.booleans()):
            target.pop(key, None)
        else:
            target[key] = draw(JSON | st.sampled_from([1024, 202, 200, 401, 500, "x", []]))
    return json.dumps(message)


@SETTINGS
@given(mutated_frames())
def test_generated_frames_of_any_shape_agree(frame: str) -> None:
    check(frame)
