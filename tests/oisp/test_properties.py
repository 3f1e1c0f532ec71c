"""Hypothesis: actuation round trips, and decoder fuzzing yields only ProtocolError."""

from __future__ import annotations

import json

import cbor2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iotws.errors import ProtocolError
from iotws.oisp.models import Actuation, DeviceRegistration, Param, Pong, parse_server_message
from iotws.oisp.protocol import OispCore
from iotws.oisp.testing import actuations, json_values, params, registrations, server_frames

FAST = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def fresh_core() -> OispCore:
    core = OispCore("d", "t", dedup_window=1.0, clock=lambda: 0.0)
    core.on_connect()
    core.handshake_timed_out()
    return core


@FAST
@given(actuations())
def test_actuation_round_trip(act: Actuation) -> None:
    assert Actuation.from_wire(act.to_wire()) == act
    assert parse_server_message(act.to_frame()) == act
    assert Actuation.from_wire(json.loads(json.dumps(act.to_wire()))) == act


@FAST
@given(params())
def test_param_round_trip(param: Param) -> None:
    assert Param.from_wire(param.to_wire()) == param


@FAST
@given(registrations())
def test_registration_round_trip(reg: DeviceRegistration) -> None:
    assert DeviceRegistration.from_wire(json.loads(reg.to_wire())) == reg
    assert repr(reg) == f"DeviceRegistration(device_id={reg.device_id!r}, token='***')"


@FAST
@given(server_frames())
def test_valid_server_frames_never_raise(frame: str) -> None:
    core = fresh_core()
    core.receive(frame)
    assert core.receive('{"code":202,"content":"PONG"}') == [Pong("PONG")]


def check_only_protocol_error(frame: str | bytes) -> None:
    core = fresh_core()
    try:
        items = core.receive(frame)
    except ProtocolError:
        pass
    else:
        assert isinstance(items, list)
    # the core keeps working
    assert core.receive('{"code":202,"content":"PONG"}') == [Pong("PONG")]


@FAST
@given(json_values(20))
def test_fuzz_random_json(value: object) -> None:
    check_only_protocol_error(json.dumps(value))


@FAST
@given(st.dictionaries(st.sampled_from(["code", "content", "type"]), json_values(8)))
def test_fuzz_message_shaped_json(value: dict[str, object]) -> None:
    check_only_protocol_error(json.dumps(value))


@FAST
@given(json_values(12))
def test_fuzz_actuation_bodies(content: object) -> None:
    check_only_protocol_error(json.dumps({"code": 1024, "content": content}))
    check_only_protocol_error(json.dumps({"code": 1024, "content": {"type": "command", "content": content}}))
    listed = content if isinstance(content, list) else [content]
    check_only_protocol_error(json.dumps({"code": 1024, "content": {"content": {"params": listed}}}))


@FAST
@given(st.text(max_size=200))
def test_fuzz_random_text(text: str) -> None:
    check_only_protocol_error(text)


@FAST
@given(st.binary(max_size=200))
def test_fuzz_random_bytes(data: bytes) -> None:
    check_only_protocol_error(data)
    check_only_protocol_error(data.decode("latin-1"))


@FAST
@given(json_values(10))
def test_fuzz_cbor(value: object) -> None:
    check_only_protocol_error(cbor2.dumps(value))


@FAST
@given(server_frames(), st.integers(0, 400), st.integers(0, 255))
def test_fuzz_mutated_valid_frames(frame: str, position: int, byte: int) -> None:
    data = bytearray(frame.encode())
    data[position % len(data)] = byte
    check_only_protocol_error(data.decode("utf-8", "replace"))
    check_only_protocol_error(frame[: position % len(frame)])


_CONTENT_KEYS = ["accountId", "domainId", "deviceUID", "deviceId", "gatewayId", "componentId", "command",
                 "transport", "params"]
_param_entries = st.dictionaries(st.sampled_from(["name", "value"]) | st.text(max_size=5), json_values(4), max_size=4)
_inner = st.dictionaries(
    st.sampled_from(_CONTENT_KEYS) | st.text(max_size=8),
    st.lists(_param_entries | json_values(2), max_size=3) | json_values(4),
    max_size=6,
)
_bodies = st.dictionaries(
    st.sampled_from(["type", "transport", "content"]) | st.text(max_size=8), _inner | json_values(4), max_size=4
)


@FAST
@given(_bodies)
def test_any_actuation_body_is_kept_and_round_trips(body: dict[str, object]) -> None:
    # issue 11, item 10: whatever the platform forwards inside a 1024 object comes back as it came
    act = parse_server_message(json.dumps({"code": 1024, "content": body}))
    assert isinstance(act, Actuation)
    assert act.to_wire() == body
    assert Actuation.from_wire(act.to_wire()) == act
