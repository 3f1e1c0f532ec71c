"""Golden frames from the vendor document (Globiots API v2.0, WebSocket) and the reference."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest

from iotws.codec import DataType
from iotws.errors import CodecError, ProtocolError, UsageError
from iotws.globiots.models import (
    AreaNotWritableError,
    ChangeOfValue,
    DeviceNotFoundError,
    DeviceTimeoutError,
    Point,
    PointValue,
    PointWrite,
    RealtimeRequest,
    RealtimeUpdate,
    ResponseCode,
    SetDataError,
    SetRequest,
    SetResponse,
    SetResult,
    decode_value,
)
from iotws.globiots.protocol import (
    IDLE_FLOOR,
    IDLE_PERIODS,
    RealtimeCore,
    SetData,
    SetDataCore,
    SetOne,
    Subscribe,
    loads,
)
from iotws.sansio import Reply

# --- the vendor document's JSON, verbatim ------------------------------------------------------

REALTIME_REQUEST_TEMPLATE = """{
    "updateTime": 5,
    "timezone": "",
    "objects": [
        {"hostname": "x.x.x.1", "addresses": [{"address": "", "dataType": "", "length": ""}]},
        {"hostname": "x.x.x.2", "addresses": [{"address": "", "dataType": "", "length": ""}]}
    ]
}"""

REALTIME_RESPONSE = """{
	"updateTime": 5,
	"timezone": "",
	"timestamp": 1451380750978,
	"sessionId": "",
	"objects": [{
			"hostname": "x.x.x.1",
			"addresses": [{"address": "", "dataType": "", "length": 0, "value": "", "changeOfValue": "INCREASE"},
				{"address": "", "dataType": "", "length": 0, "value": "", "changeOfValue": "UNCHNAGED"},
				{"address": "", "dataType": "", "length": 0, "value": "", "changeOfValue": "DECREASE"}]
		},
		{
			"hostname": "x.x.x.2",
			"addresses": [{"address": "", "dataType": "", "length": 0, "value": "", "changeOfValue": "INCREASE"},
				{"address": "", "dataType": "", "length": 0, "value": "", "changeOfValue": "UNCHNAGED"},
				{"address": "", "dataType": "", "length": 0, "value": "", "changeOfValue": "DECREASE"}]
		}
	]
}"""

REALTIME_EXAMPLE = {
    "updateTime": 5,
    "timezone": "GMT+07:00",
    "objects": [
        {"hostname": "0.0.0.0", "addresses": [{"address": "6000", "dataType": "integer_16", "length": "2"}]}
    ],
}

SET_REQUEST_TEMPLATE = """{
    "services": {"serviceName": "set-data", "objects": [{"type": "any-data", "hostname": "x.x.x.x",
        "addresses": [{"address": "xxxx", "value": "float", "dataType": "float", "length": "4"}]}]}
}"""

SET_RESPONSE = """{
    "sessionId": "",
    "services": {
        "serviceName": "set-data",
        "objects": [{"type": "any-data", "hostname": "x.x.x.x",
            "addresses": [{"address": "xxxx", "value": "byte", "dataType": "byte", "responseCode": "10",
                           "responseMessage": "Sets value to the device[0A000006] is timeout."}]}]
    }
}"""

SET_EXAMPLE = {
    "services": {
        "serviceName": "set-data",
        "objects": [
            {
                "type": "any-data",
                "hostname": "0.0.0.0",
                "addresses": [{"address": "2010", "value": "3.3", "dataType": "float", "length": "4"}],
            }
        ],
    }
}


# --- realtime --------------------------------------------------------------------------------------


def test_vendor_realtime_response_parses() -> None:
    update = RealtimeUpdate.from_wire(json.loads(REALTIME_RESPONSE))
    assert update.timestamp == dt.datetime(2015, 12, 29, 9, 19, 10, 978000, tzinfo=dt.UTC)
    assert update.update_time == 5 and update.timezone == "" and update.session_id == ""
    assert [v.hostname for v in update.values] == ["x.x.x.1"] * 3 + ["x.x.x.2"] * 3
    assert [v.change for v in update.values[:3]] == [
        ChangeOfValue.INCREASE,
        ChangeOfValue.UNCHANGED,
        ChangeOfValue.DECREASE,
    ]
    first = update.values[0]
    assert first.data_type == "" and first.length == 0 and first.raw == "" and first.value is None
    assert not first.ok


def test_vendor_realtime_request_template_parses_with_empty_fields_rejected_cleanly() -> None:
    # the template's empty address/type are placeholders: a clean ProtocolError, never a crash
    with pytest.raises(ProtocolError):
        RealtimeRequest.from_wire(json.loads(REALTIME_REQUEST_TEMPLATE))


def test_vendor_realtime_example_length_as_text() -> None:
    request = RealtimeRequest.from_wire(REALTIME_EXAMPLE)
    assert request.update_time == 5 and request.timezone == "GMT+07:00"
    assert request.points == (Point("0.0.0.0", "6000", DataType.INT16, 2),)
    # we send length as an int, otherwise the same shape
    wire = request.to_wire()
    assert wire["objects"][0]["addresses"][0] == {"address": "6000", "dataType": "integer_16", "length": 2}
    assert RealtimeRequest.from_wire(wire) == request


def test_realtime_request_groups_hosts_and_keeps_optional_fields() -> None:
    request = RealtimeRequest(
        [
            Point("0.0.0.1", "2000", DataType.FLOAT),
            Point("0.0.0.2", "2004", DataType.UINT16),
            Point("0.0.0.1", "201a", DataType.BYTE),
        ],
        update_time=3,
        session_id="",
        keep_alive_time=300,
    )
    wire = request.to_wire()
    assert [o["hostname"] for o in wire["objects"]] == ["0.0.0.1", "0.0.0.2"]
    assert [a["address"] for a in wire["objects"][0]["addresses"]] == ["2000", "201A"]
    assert wire["sessionId"] == "" and wire["keepAliveTime"] == 300
    assert "keepAliveTime" not in RealtimeRequest(request.points).to_wire()


def test_realtime_response_full_example_with_typed_values() -> None:
    frame = {
        "updateTime": 5,
        "timezone": "",
        "timestamp": 1451380750978,
        "sessionId": "",
        "responseMessage": "ok",
        "vendorField": [1],
        "objects": [
            {
                "hostname": "x.x.x.1",
                "addresses": [
                    {"address": "2000", "dataType": "float", "length": 4, "value": "21.5", "changeOfValue": "INCREASE"},
                    {"address": "2004", "dataType": "integer_16", "length": "2", "value": "-25",
                     "changeOfValue": "UNCHANGED", "timestamp": 1451380750000},
                    {"address": "2006", "dataType": "hexa", "length": 2, "value": "0aff", "changeOfValue": "sideways"},
                    {"address": "2008", "dataType": "unsigned_integer_32", "length": 4, "value": "",
                     "status": "message-request-fail", "responseCode": "09",
                     "responseMessage": "Memory area is not allowed reading", "quality": "bad"},
                    {"address": "2010", "dataType": "integer_64", "length": 8, "value": "5"},
                ],
            }
        ],
    }
    update = RealtimeUpdate.from_wire(frame)
    assert update.response_message == "ok" and update.extra == {"vendorField": [1]}
    f, i, h, bad, unknown = update.values
    assert f.value == 21.5 and f.ok and f.key == ("x.x.x.1", "2000")
    assert i.value == -25 and i.length == 2 and i.change is ChangeOfValue.UNCHANGED
    assert i.timestamp == dt.datetime(2015, 12, 29, 9, 19, 10, tzinfo=dt.UTC)
    assert h.value == b"\x0a\xff" and h.change is ChangeOfValue.UNKNOWN
    assert bad.value is None and bad.status == "message-request-fail" and not bad.ok
    assert bad.response_code is ResponseCode.AREA_NOT_READABLE and bad.extra == {"quality": "bad"}
    assert unknown.data_type == "integer_64" and unknown.value is None and unknown.raw == "5"
    assert update.get("x.x.x.1", "2004") is i and update.get("x.x.x.1", "9999") is None
    # and back to the wire
    again = RealtimeUpdate.from_wire(json.loads(json.dumps(update.to_wire())))
    assert again == update


@pytest.mark.parametrize(
    ("word", "change"),
    [
        ("INCREASE", ChangeOfValue.INCREASE),
        ("DECREASE", ChangeOfValue.DECREASE),
        ("UNCHNAGED", ChangeOfValue.UNCHANGED),
        ("UNCHANGED", ChangeOfValue.UNCHANGED),
        ("unchnaged", ChangeOfValue.UNCHANGED),
        ("", ChangeOfValue.UNKNOWN),
        (3, ChangeOfValue.UNKNOWN),
    ],
)
def test_change_of_value_spellings(word: object, change: ChangeOfValue) -> None:
    assert ChangeOfValue.from_wire(word) is change


def test_change_of_value_writes_server_spelling() -> None:
    assert ChangeOfValue.UNCHANGED.to_wire() == "UNCHNAGED"


# --- points and values ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data_type", "length"),
    [
        (DataType.BYTE, 1),
        (DataType.UINT16, 2),
        (DataType.INT16, 2),
        (DataType.UINT32, 4),
        (DataType.INT32, 4),
        (DataType.FLOAT, 4),
    ],
)
def test_point_length_defaults_from_type(data_type: DataType, length: int) -> None:
    assert Point("h", "2000", data_type).length == length


def test_point_requires_length_for_string_and_hexa() -> None:
    for data_type in (DataType.STRING, DataType.HEXA):
        with pytest.raises(CodecError):
            Point("h", "2000", data_type)
    assert Point("h", "2000", DataType.HEXA, 4).length == 4


@pytest.mark.parametrize(
    "args",
    [
        ("h", "0x2000", DataType.BYTE),
        ("h", "", DataType.BYTE),
        ("", "2000", DataType.BYTE),
        ("h", "2000", DataType.FLOAT, 2),
        ("h", "2000", DataType.STRING, 0),
        ("h", "2000", "integer_64"),
    ],
)
def test_point_rejects_bad_input(args: tuple[object, ...]) -> None:
    with pytest.raises(UsageError):
        Point(*args)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("data_type", "length", "value", "text"),
    [
        (DataType.FLOAT, None, 3.3, "3.3"),
        (DataType.FLOAT, None, 25, "25.0"),
        (DataType.BYTE, None, 255, "255"),
        (DataType.INT16, None, -32768, "-32768"),
        (DataType.UINT16, None, 65535, "65535"),
        (DataType.INT32, None, -2147483648, "-2147483648"),
        (DataType.UINT32, None, 4294967295, "4294967295"),
        (DataType.HEXA, 2, b"\x0a\xff", "0AFF"),
        (DataType.HEXA, 2, "0aff", "0AFF"),
        (DataType.STRING, 8, "pump 1", "pump 1"),
    ],
)
def test_point_value_text(data_type: DataType, length: int | None, value: object, text: str) -> None:
    point = Point("h", "3000", data_type, length) if length else Point("h", "3000", data_type)
    assert point.text(value) == text  # type: ignore[arg-type]
    parsed = point.parse(text)
    assert point.text(parsed) == text


@pytest.mark.parametrize(
    ("data_type", "length", "value"),
    [
        (DataType.BYTE, None, 256),
        (DataType.BYTE, None, -1),
        (DataType.INT16, None, 32768),
        (DataType.UINT16, None, -1),
        (DataType.UINT32, None, 2**32),
        (DataType.INT32, None, 2**31),
        (DataType.FLOAT, None, 1e39),
        (DataType.FLOAT, None, "3.3"),
        (DataType.HEXA, 2, "0aff00"),
        (DataType.HEXA, 2, "zz"),
        (DataType.STRING, 4, "too long"),
        (DataType.BYTE, None, True),
    ],
)
def test_values_that_do_not_fit_raise_codec_error(data_type: DataType, length: int | None, value: object) -> None:
    point = Point("h", "3000", data_type, length) if length else Point("h", "3000", data_type)
    with pytest.raises(CodecError):
        PointWrite.of(point, value)  # type: ignore[arg-type]


# --- set data --------------------------------------------------------------------------------------


def test_vendor_set_example_round_trip() -> None:
    request = SetRequest.from_wire(SET_EXAMPLE)
    (write,) = request.writes
    assert write.point == Point("0.0.0.0", "2010", DataType.FLOAT) and write.text == "3.3"
    built = SetRequest([PointWrite.of(Point("0.0.0.0", "2010", DataType.FLOAT), 3.3)]).to_wire()
    expected = json.loads(json.dumps(SET_EXAMPLE))
    expected["services"]["objects"][0]["addresses"][0]["length"] = 4  # we send an int
    assert built == expected


def test_vendor_set_template_placeholder_value_is_kept_as_text() -> None:
    request = SetRequest.from_wire(json.loads(SET_REQUEST_TEMPLATE.replace('"xxxx"', '"2010"')))
    assert request.writes[0].text == "float"  # the placeholder, as sent


def test_vendor_set_response_parses() -> None:
    response = SetResponse.from_wire(json.loads(SET_RESPONSE))
    (result,) = response.results
    assert result.hostname == "x.x.x.x" and result.address == "xxxx"
    assert result.code is ResponseCode.TIMEOUT and result.raw_code == "10"
    assert result.message == "Sets value to the device[0A000006] is timeout."
    assert result.value == "byte" and result.data_type is DataType.BYTE and result.length is None
    assert not response.ok and response.failures == (result,)
    with pytest.raises(DeviceTimeoutError) as info:
        response.raise_for_code()
    err = info.value
    assert err.code is ResponseCode.TIMEOUT and err.meaning == "timeout"
    assert err.message == "Sets value to the device[0A000006] is timeout."
    assert "0A000006" in str(err) and err.response is response
    assert SetResponse.from_wire(json.loads(json.dumps(response.to_wire()))) == response


ALL_CODES = [
    ("00", ResponseCode.SUCCESS),
    ("01", ResponseCode.DEVICE_NOT_FOUND),
    ("02", ResponseCode.FCC_NCC_INCORRECT),
    ("03", ResponseCode.FUNCTION_NOT_SUPPORTED),
    ("04", ResponseCode.DEVICE_IDENTIFY_NOT_FOUND),
    ("05", ResponseCode.DATABASE_WRITE_FAILED),
    ("06", ResponseCode.UNKNOWN_ERROR),
    ("07", ResponseCode.CYCLE_CODE_INVALID),
    ("08", ResponseCode.AREA_NOT_WRITABLE),
    ("09", ResponseCode.AREA_NOT_READABLE),
    ("0A", ResponseCode.DEVICE_LOCKED),
    ("0B", ResponseCode.DEVICE_DETACHED),
    ("0C", ResponseCode.REALTIME_TIME_INVALID),
    ("0D", ResponseCode.REALTIME_TRANSACTIONS_INVALID),
    ("0E", ResponseCode.DEVICE_UNATTACHED),
    ("0F", ResponseCode.FCC_INVALID),
    ("10", ResponseCode.TIMEOUT),
]


@pytest.mark.parametrize(("text", "code"), ALL_CODES)
def test_all_17_codes_case_insensitive(text: str, code: ResponseCode) -> None:
    assert ResponseCode.from_wire(text) is code
    assert ResponseCode.from_wire(text.lower()) is code
    assert code.meaning
    assert code.ok == (text == "00")


def test_unknown_codes_are_kept() -> None:
    result = SetResult.from_wire("h", {"address": "3000", "responseCode": "7F", "responseMessage": "new"})
    assert result.code is ResponseCode.UNKNOWN and result.raw_code == "7F" and not result.ok
    assert result.to_wire()["responseCode"] == "7F"
    err = SetDataError.from_result(result)
    assert type(err) is SetDataError and err.code is ResponseCode.UNKNOWN
    assert ResponseCode.from_wire("16") is ResponseCode.UNKNOWN  # hex text, never decimal


@pytest.mark.parametrize(
    ("code", "cls"),
    [("01", DeviceNotFoundError), ("04", DeviceNotFoundError), ("08", AreaNotWritableError),
     ("10", DeviceTimeoutError)],
)
def test_error_classes(code: str, cls: type[SetDataError]) -> None:
    result = SetResult.from_wire("h", {"address": "2000", "responseCode": code, "responseMessage": "m"})
    err = SetDataError.from_result(result)
    assert isinstance(err, cls) and err.code is ResponseCode.from_wire(code)


# --- cores -----------------------------------------------------------------------------------------


def _push(value: str = "21.5", address: str = "2000") -> str:
    return json.dumps(
        {
            "updateTime": 1,
            "timezone": "",
            "timestamp": 1451380750978,
            "sessionId": "",
            "objects": [
                {"hostname": "0.0.0.1", "addresses": [
                    {"address": address, "dataType": "float", "length": 4, "value": value, "changeOfValue": "UNCHNAGED"}
                ]}
            ],
        }
    )


def test_realtime_core_subscribe_replay_and_latest() -> None:
    core = RealtimeCore()
    assert core.on_connect() == []
    request = RealtimeRequest([Point("0.0.0.1", "2000", DataType.FLOAT)], update_time=1)
    submission = core.submit(Subscribe(request))
    assert json.loads(submission.frames[0]) == request.to_wire() and submission.token is not None
    events = core.receive(_push("21.5"))
    assert isinstance(events[0], RealtimeUpdate)
    assert events[1] == Reply(submission.token, value=events[0])
    assert core.value("0.0.0.1", "2000").value == 21.5  # type: ignore[union-attr]
    # a second push completes nothing
    assert len(core.receive(_push("22.5"))) == 1
    assert core.latest[("0.0.0.1", "2000")].value == 22.5
    # after a reconnect the request is replayed
    core.connection_lost()
    assert [json.loads(f) for f in core.on_connect()] == [request.to_wire()]


def test_realtime_core_second_subscribe_merges() -> None:
    core = RealtimeCore()
    core.submit(Subscribe(RealtimeRequest([Point("0.0.0.1", "2000", DataType.FLOAT)])))
    sub = core.submit(Subscribe(RealtimeRequest([Point("0.0.0.2", "3000", DataType.BYTE)], update_time=2)))
    wire = json.loads(sub.frames[0])
    assert wire["updateTime"] == 2 and [o["hostname"] for o in wire["objects"]] == ["0.0.0.1", "0.0.0.2"]
    assert core.subscription is not None and len(core.subscription.points) == 2


@pytest.mark.parametrize("frame", ["", "{", "[]", "null", '{"objects": 3}', '{"objects": [{"hostname": 1}]}',
                                   '{"objects": [{"hostname": "h", "addresses": [{"address": 5}]}]}',
                                   '{"timestamp": 1e300, "objects": []}', '{"timestamp": "x"}',
                                   '{"objects": [{"hostname": "h", "addresses": [{"address": "1", "value": 3}]}]}'])
def test_realtime_core_malformed_frames_raise_protocol_error(frame: str) -> None:
    core = RealtimeCore()
    with pytest.raises(ProtocolError):
        core.receive(frame)
    assert len(core.receive(_push())) == 1  # still working


def test_set_data_core_same_points_oldest_first_and_check() -> None:
    core = SetDataCore()
    write = PointWrite.of(Point("0.0.0.1", "2000", DataType.FLOAT), 1.5)
    checked = core.submit(SetData(SetRequest([write])))
    unchecked = core.submit(SetData(SetRequest([write]), check=False))
    answer = json.dumps({"sessionId": "", "services": {"serviceName": "set-data", "objects": [
        {"type": "any-data", "hostname": "0.0.0.1", "addresses": [
            {"address": "2000", "value": "1.5", "dataType": "float", "length": 4, "responseCode": "08",
             "responseMessage": "Memory area is not allowed writing"}]}]}})
    (first,) = core.receive(answer)
    assert isinstance(first, Reply) and first.token == checked.token
    assert isinstance(first.error, AreaNotWritableError)
    (second,) = core.receive(answer)
    assert isinstance(second, Reply) and second.token == unchecked.token
    assert isinstance(second.value, SetResponse) and not second.value.ok
    # an answer nobody waits for is dropped, not surfaced
    assert core.receive(answer) == []


def test_point_value_from_wire_is_lenient_about_length_and_null_value() -> None:
    pv = PointValue.from_wire("h", {"address": "2000", "dataType": "byte", "length": "1", "value": None})
    assert pv.length == 1 and pv.raw == "" and pv.value is None


def test_loads_rejects_non_objects() -> None:
    with pytest.raises(ProtocolError):
        loads(b"\xff\xfe")
    assert loads(b'{"a": 1}') == {"a": 1}


@pytest.mark.parametrize(
    "text",
    [
        "1.0000000596046447753906251",  # just above a float32 midpoint: naive double rounding errs
        "1.0000000596046447753906249",
        "1.000000059604644775390625",  # exactly the midpoint: ties to even
        "3.4028235677973366e38",  # above FLOAT32_MAX, rounds to it
        "3.4028236e38",  # overflows float32
        "1e-45",  # float32 subnormal
        "-0.0",
        "1_0",
        "nan",
        "-inf",
        "1E400",
        "-1e400",
    ],
)
def test_float_hot_path_is_exact(text: str) -> None:
    from iotws.codec import from_text
    from iotws.globiots.models import _typed_update

    try:
        exact: float | None = float(from_text(DataType.FLOAT, text))
    except CodecError:
        exact = None
    entry = {"address": "2000", "dataType": "float", "length": 4, "value": text, "changeOfValue": "INCREASE"}
    message = {"objects": [{"hostname": "h", "addresses": [entry]}]}
    typed = _typed_update(json.dumps(message))
    assert typed is not None
    for got in (RealtimeUpdate.from_wire(message).values[0], typed.values[0]):  # the general and the typed path
        assert repr(got.value) == repr(None if exact is None else float(text))  # the decimal text, as a double
        assert repr(got.float32) == repr(exact)  # the float32 the device holds, correctly rounded


# --- R12: set-data answers are matched by the points they name, never by position --------------

H = "0.0.0.1"


def _set(address: str, value: int, **kwargs: object) -> SetOne:
    return SetOne(SetRequest([PointWrite.of(Point(H, address, DataType.UINT16), value)]), **kwargs)  # type: ignore[arg-type]


def _answer(address: str, value: str, code: str = "00") -> str:
    return (
        '{"sessionId":"","services":{"serviceName":"set-data","objects":[{"type":"any-data","hostname":"0.0.0.1",'
        f'"addresses":[{{"address":"{address}","value":"{value}","dataType":"unsigned_integer_16",'
        f'"responseCode":"{code}","responseMessage":"m"}}]}}]}}}}'
    )


def test_set_data_core_late_answer_to_a_timed_out_request_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="iotws.globiots")
    core = SetDataCore()
    first = core.submit(_set("3000", 1))
    assert first.frames == [
        '{"services":{"serviceName":"set-data","objects":[{"type":"any-data","hostname":"0.0.0.1",'
        '"addresses":[{"address":"3000","value":"1","dataType":"unsigned_integer_16","length":2}]}]}}'
    ]
    second = core.submit(_set("3004", 2))
    assert first.token is not None and second.token is not None
    core.cancel(first.token)  # the first caller timed out
    assert core.receive(_answer("3000", "1")) == []  # its late answer goes to nobody
    assert "late set-data answer" in caplog.text
    (reply,) = core.receive(_answer("3004", "2"))
    assert isinstance(reply, Reply) and reply.token == second.token
    assert isinstance(reply.value, SetResult) and reply.value.key == (H, "3004")
    assert len(core.pending) == 0


def test_set_data_core_answers_out_of_order_reach_their_own_callers() -> None:
    core = SetDataCore()
    a, b = core.submit(_set("3000", 1)), core.submit(_set("301a", 2))
    (reply_b,) = core.receive(_answer("301A", "2"))
    (reply_a,) = core.receive(_answer("3000", "1"))
    assert isinstance(reply_a, Reply) and isinstance(reply_b, Reply)
    assert (reply_a.token, reply_b.token) == (a.token, b.token)


def test_set_data_core_answer_naming_other_points_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="iotws.globiots")
    core = SetDataCore()
    waiting = core.submit(SetData(SetRequest([
        PointWrite.of(Point(H, "3000", DataType.UINT16), 1), PointWrite.of(Point(H, "3004", DataType.UINT16), 2)
    ])))
    assert core.receive(_answer("3000", "1")) == []  # names only one of the two points
    assert core.receive(_answer("3008", "1")) == []  # names a point nobody set
    assert "names no waiting request" in caplog.text
    assert list(core.pending) == [waiting.token]


def test_set_data_core_same_point_echoed_value_tells_a_late_answer_apart() -> None:
    core = SetDataCore()
    old = core.submit(_set("3000", 1))
    assert old.token is not None
    core.cancel(old.token)
    new = core.submit(_set("3000", 2))
    assert core.receive(_answer("3000", "1")) == []  # echoes the abandoned request's value
    (reply,) = core.receive(_answer("3000", "2"))
    assert isinstance(reply, Reply) and reply.token == new.token
    assert isinstance(reply.value, SetResult) and reply.value.value == "2"


def test_set_data_core_same_point_without_a_telling_echo_goes_to_the_waiting_request() -> None:
    core = SetDataCore()
    lost = core.submit(_set("3000", 1))  # its answer never comes
    assert lost.token is not None
    core.cancel(lost.token)
    new = core.submit(_set("3000", 1))
    (reply,) = core.receive(_answer("3000", "1"))  # cannot tell: the waiting caller gets it
    assert isinstance(reply, Reply) and reply.token == new.token
    again = core.submit(_set("3000", 5))
    (reply,) = core.receive(_answer("3000", "unsigned_integer_16"))  # a placeholder echo
    assert isinstance(reply, Reply) and reply.token == again.token
    core.connection_lost()  # a new link forgets the abandoned requests
    assert core.receive(_answer("3000", "1")) == []


# --- R6: a caller's mistake raises UsageError and changes nothing -------------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda: Subscribe(RealtimeRequest(["3000"])),  # type: ignore[list-item]
        lambda: Subscribe(RealtimeRequest("3000")),  # type: ignore[arg-type]
        lambda: Subscribe(RealtimeRequest(Point(H, "3000", DataType.BYTE))),  # type: ignore[arg-type]
        lambda: Subscribe(RealtimeRequest([Point(H, "3000", DataType.BYTE)], timezone=7)),  # type: ignore[arg-type]
        lambda: Subscribe(RealtimeRequest([Point(H, "3000", DataType.BYTE)]), timeout=-1),
        lambda: Subscribe("request"),  # type: ignore[arg-type]
    ],
    ids=["text-in-list", "text", "single-point", "timezone-int", "timeout-negative", "not-a-request"],
)
def test_realtime_core_bad_subscribe_is_refused_before_any_change(make: object) -> None:
    core = RealtimeCore()
    good = Subscribe(RealtimeRequest([Point(H, "2000", DataType.FLOAT)], update_time=1))
    core.submit(good)
    replay = core.on_connect()
    assert replay == [
        '{"updateTime":1,"timezone":"","objects":[{"hostname":"0.0.0.1",'
        '"addresses":[{"address":"2000","dataType":"float","length":4}]}]}'
    ]
    with pytest.raises(UsageError):
        make()  # type: ignore[operator]
    assert core.on_connect() == replay and len(core.pending) == 1
    more = Subscribe(RealtimeRequest([Point(H, "2004", DataType.UINT16)], update_time=1))
    assert core.submit(more).frames == [
        '{"updateTime":1,"timezone":"","objects":[{"hostname":"0.0.0.1","addresses":['
        '{"address":"2000","dataType":"float","length":4},{"address":"2004","dataType":"unsigned_integer_16",'
        '"length":2}]}]}'
    ]


@pytest.mark.parametrize(
    "make",
    [
        lambda: PointWrite.of("3000", 1),  # type: ignore[arg-type]
        lambda: PointWrite(Point(H, "3000", DataType.BYTE), 1),  # type: ignore[arg-type]
        lambda: SetRequest([Point(H, "3000", DataType.BYTE)]),  # type: ignore[list-item]
        lambda: SetRequest([PointWrite.of(Point(H, "3000", DataType.BYTE), 1),
                            PointWrite.of(Point(H, "3000", DataType.UINT16), 2)]),  # the same point twice
        lambda: _set("3000", 1, timeout="soon"),
        lambda: _set("3000", 1, check="yes"),
        lambda: SetData("request"),  # type: ignore[arg-type]
        lambda: RealtimeUpdate(()).get(H, None),  # type: ignore[arg-type]
        lambda: SetResponse(()).get(5, "3000"),  # type: ignore[arg-type]
        lambda: RealtimeCore().value(H, 3.5),  # type: ignore[arg-type]
        lambda: decode_value(DataType.FLOAT, 5),  # type: ignore[arg-type]
    ],
    ids=["write-of-text", "write-int-text", "request-of-points", "point-twice", "timeout-text", "check-text",
         "command-of-text", "update-get-none", "response-get-int-host", "core-value-float", "decode-int-text"],
)
def test_caller_mistakes_raise_usage_error(make: object) -> None:
    with pytest.raises(UsageError):
        make()  # type: ignore[operator]


def test_lookups_take_int_addresses_like_point() -> None:
    core = RealtimeCore()
    core.receive(_push(address="201a"))
    assert core.value(H, 0x201A) is not None and core.value(H, "201A") is not None


# --- R15: the idle timeout follows the subscription ---------------------------------------------


def test_realtime_core_idle_timeout_follows_the_subscription() -> None:
    core = RealtimeCore()
    assert core.idle_timeout() is None  # nothing subscribed: no idle timeout
    core.submit(Subscribe(RealtimeRequest([Point(H, "2000", DataType.FLOAT)], update_time=1)))
    assert core.idle_timeout() == IDLE_FLOOR == 5.0
    core.submit(Subscribe(RealtimeRequest([Point(H, "2004", DataType.UINT16)], update_time=4)))
    assert core.idle_timeout() == IDLE_PERIODS * 4 == 12
    core.unsubscribe_all()
    assert core.idle_timeout() is None
