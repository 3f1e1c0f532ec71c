"""Pure tests of the OISP models and core, with golden frames from the vendor document."""

from __future__ import annotations

import json
import logging

import pytest

from iotws.backoff import is_retryable
from iotws.errors import ConnectionClosed, ProtocolError, UsageError
from iotws.oisp.models import (
    Actuation,
    DeviceRegistration,
    InternalServerError,
    InvalidTokenError,
    OispServerError,
    Param,
    Pong,
    Registered,
    ServerError,
    SupersededError,
    UnknownMessage,
    WrongMessageFormat,
    parse_server_message,
)
from iotws.oisp.protocol import OispCore, PingCommand, TokenRedactingFilter, default_reconnect_policy, redact_tokens
from iotws.sansio import Reply

# The vendor document's example actuation, verbatim.
VENDOR_ACTUATION = """{
    "code":1024,
    "content": {
        "type":"command",
        "transport":"ws",
        "content": {
            "accountId":"c4715841-bb1e-4c87-ad78-2376fe596a11",
            "deviceId":"example001",
            "gatewayId":"example001",
            "componentId":"1e447b10-9afd-4221-b4d8-7bc5c5bb6c3f",
            "command":"LED.v1.0","params":[{"name":"LED","value":"1"}]
        }
    }
}"""

PONG = '{"code":202,"content":"PONG"}'
INVALID_TOKEN = '{"code":401,"content":"Invalid device token for device"}'
WRONG_FORMAT = '{"code":401,"content":"Wrong message format"}'
LEGACY_200 = '{"code":200,"content":"Record in database update for device"}'
LEGACY_500 = '{"code":500,"content":"Internal server error, unable to set authorization data for device"}'


def registered_core(**kwargs: object) -> OispCore:
    core = OispCore("example001", "eyJ0eXA.payload.sig", **kwargs)  # type: ignore[arg-type]
    core.on_connect()
    core.handshake_timed_out()
    assert core.handshake_complete()
    return core


def test_registration_frame_matches_vendor_document() -> None:
    core = OispCore("example001", "eyJ0eXA....asdfwefadA")
    (frame,) = core.on_connect()
    assert json.loads(frame) == {"type": "device", "deviceId": "example001", "deviceToken": "eyJ0eXA....asdfwefadA"}


def test_registration_is_sent_once_per_connection() -> None:
    core = OispCore("d", "t")
    core.on_connect()
    with pytest.raises(UsageError, match="already sent"):
        core.registration_frame()
    core.connection_lost()
    assert len(core.on_connect()) == 1


def test_vendor_actuation_parses_to_typed_model() -> None:
    act = parse_server_message(VENDOR_ACTUATION)
    assert isinstance(act, Actuation)
    assert act.type == "command"
    assert act.transport == "ws"
    assert act.content.account_id == "c4715841-bb1e-4c87-ad78-2376fe596a11"
    assert act.account_id == "c4715841-bb1e-4c87-ad78-2376fe596a11"
    assert act.device_id == "example001"
    assert act.content.gateway_id == "example001"
    assert act.component_id == "1e447b10-9afd-4221-b4d8-7bc5c5bb6c3f"
    assert act.command == "LED.v1.0"
    assert act.params == (Param("LED", "1"),)
    assert act.param("LED") == "1"
    assert act.params[0].as_bool() is True
    assert act.content.domain_id is None


def test_vendor_actuation_round_trips_to_the_same_json() -> None:
    act = parse_server_message(VENDOR_ACTUATION)
    assert isinstance(act, Actuation)
    assert json.loads(act.to_frame()) == json.loads(VENDOR_ACTUATION)


def test_actuation_2020_shape_with_domain_id_uid_and_unknown_keys_kept() -> None:
    frame = json.dumps(
        {
            "code": 1024,
            "content": {
                "type": "command",
                "transport": "auto",
                "rule": "r1",
                "content": {
                    "domainId": "dom",
                    "deviceUID": "uid-1",
                    "deviceId": "d",
                    "componentId": "c",
                    "command": "SET",
                    "params": [{"name": "speed", "value": "2.5", "unit": "m/s"}],
                    "transport": "ws",
                    "future": {"x": 1},
                },
            },
        }
    )
    act = parse_server_message(frame)
    assert isinstance(act, Actuation)
    assert act.account_id == "dom"
    assert act.content.device_uid == "uid-1"
    assert act.content.transport == "ws"
    assert act.content.extra == {"future": {"x": 1}}
    assert act.extra == {"rule": "r1"}
    assert act.params[0].extra == {"unit": "m/s"}
    assert act.params[0].as_float() == 2.5
    assert json.loads(act.to_frame()) == json.loads(frame)


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        (PONG, Pong("PONG")),
        (LEGACY_200, Registered(200, "Record in database update for device")),
        (INVALID_TOKEN, ServerError(401, "Invalid device token for device")),
        (WRONG_FORMAT, ServerError(401, "Wrong message format")),
        (LEGACY_500, ServerError(500, "Internal server error, unable to set authorization data for device")),
        ('{"code":303,"content":{"a":1}}', UnknownMessage(303, {"a": 1})),
    ],
)
def test_server_messages_golden(frame: str, expected: object) -> None:
    assert parse_server_message(frame) == expected


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        (INVALID_TOKEN, InvalidTokenError),
        (WRONG_FORMAT, WrongMessageFormat),
        (LEGACY_500, InternalServerError),
    ],
)
def test_server_errors_map_to_exceptions_with_the_server_text(frame: str, error: type[Exception]) -> None:
    message = parse_server_message(frame)
    assert isinstance(message, ServerError)
    exc = message.to_error()
    assert isinstance(exc, error)
    assert str(message.content) in str(exc)


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "null",
        "[1,2]",
        '{"content":"PONG"}',
        '{"code":"202"}',
        '{"code":true}',
        '{"code":1024,"content":"x"}',
        '{"code":1024,"content":null}',
        '{"code":1024,"content":[]}',
        b"\x00\x01",
        "[" * 100_000,
    ],
)
def test_malformed_frames_raise_protocol_error(frame: str | bytes) -> None:
    with pytest.raises(ProtocolError):
        parse_server_message(frame)
    core = registered_core()
    with pytest.raises(ProtocolError):
        core.receive(frame)
    assert core.receive(PONG) == [Pong("PONG")]  # the core keeps working


def test_handshake_success_is_silence_then_timeout() -> None:
    core = OispCore("d", "t")
    core.on_connect()
    assert core.handshake_complete() is False
    core.handshake_timed_out()
    assert core.handshake_complete() is True
    assert core.registered and not core.confirmed


def test_legacy_200_completes_the_handshake_at_once() -> None:
    core = OispCore("d", "t")
    core.on_connect()
    events = core.receive(LEGACY_200)
    assert events == [Registered(200, "Record in database update for device")]
    assert core.handshake_complete() is True
    assert core.confirmed


@pytest.mark.parametrize(
    ("frame", "error"),
    [(INVALID_TOKEN, InvalidTokenError), (WRONG_FORMAT, WrongMessageFormat), (LEGACY_500, InternalServerError)],
)
def test_rejection_during_handshake_fails_it(frame: str, error: type[Exception]) -> None:
    core = OispCore("d", "t")
    core.on_connect()
    core.receive(frame)
    with pytest.raises(error):
        core.handshake_complete()


def test_invalid_token_is_final_without_refresh() -> None:
    core = OispCore("d", "t")
    core.on_connect()
    core.receive(INVALID_TOKEN)
    with pytest.raises(InvalidTokenError) as info:
        core.handshake_complete()
    assert info.value.refreshed is False
    assert core.should_retry(info.value) is False
    assert is_retryable(info.value) is False


def test_refresh_callback_gets_one_chance() -> None:
    calls: list[str] = []

    def refresh(device_id: str) -> str:
        calls.append(device_id)
        return f"new-token-{len(calls)}"

    core = OispCore("d", "old", token_refresh=refresh)
    core.on_connect()
    core.receive(INVALID_TOKEN)
    with pytest.raises(InvalidTokenError) as info:
        core.handshake_complete()
    assert info.value.refreshed and core.should_retry(info.value)
    assert core.token == "new-token-1"
    core.connection_lost()
    assert "new-token-1" in core.on_connect()[0]
    core.receive(INVALID_TOKEN)  # the new token is rejected too: final now
    with pytest.raises(InvalidTokenError) as again:
        core.handshake_complete()
    assert not again.value.refreshed
    assert calls == ["d"]


def test_refresh_chance_is_restored_after_a_successful_registration() -> None:
    tokens = iter(["t2", "t3"])
    core = OispCore("d", "t1", token_refresh=lambda _d: next(tokens))
    core.on_connect()
    core.receive(INVALID_TOKEN)
    with pytest.raises(InvalidTokenError):
        core.handshake_complete()
    core.connection_lost()
    core.on_connect()
    core.handshake_timed_out()  # accepted with t2
    core.connection_lost()
    core.on_connect()
    core.receive(INVALID_TOKEN)
    with pytest.raises(InvalidTokenError) as info:
        core.handshake_complete()
    assert info.value.refreshed and core.token == "t3"


def test_refresh_returning_none_or_failing_is_final() -> None:
    def broken(_device: str) -> str:
        raise RuntimeError("token service down")

    for refresh in (lambda _d: None, broken):
        core = OispCore("d", "t", token_refresh=refresh)
        core.on_connect()
        core.receive(INVALID_TOKEN)
        with pytest.raises(InvalidTokenError) as info:
            core.handshake_complete()
        assert not info.value.refreshed


def test_rejection_after_registration_is_an_event_and_stops_retries() -> None:
    core = registered_core()
    assert core.receive(INVALID_TOKEN) == [ServerError(401, "Invalid device token for device")]
    assert core.should_retry(ConnectionClosed("closed", code=1008)) is False
    core2 = registered_core()
    core2.receive(LEGACY_500)
    assert core2.should_retry(ConnectionClosed("closed", code=1000)) is True


def test_close_codes_classification() -> None:
    core = registered_core()
    assert core.should_retry(ConnectionClosed("x", code=1006)) is True
    assert core.should_retry(ConnectionClosed("kicked", code=1000)) is True
    assert core.should_retry(ConnectionClosed("policy", code=1008)) is False
    assert core.should_retry(ConnectionClosed("unsupported", code=1003)) is False
    assert core.should_retry(WrongMessageFormat(401, "Wrong message format")) is False
    assert core.should_retry(InternalServerError(500, "db")) is True


def test_ping_command_correlates_with_pong_in_order() -> None:
    core = registered_core()
    first = core.submit(PingCommand())
    second = core.submit(PingCommand())
    assert first.frames == ['{"type":"ping"}']
    assert core.receive(PONG) == [Reply(first.token, value=Pong("PONG"))]  # type: ignore[arg-type]
    assert core.receive(PONG) == [Reply(second.token, value=Pong("PONG"))]  # type: ignore[arg-type]
    assert core.receive(PONG) == [Pong("PONG")]  # unsolicited: an event


def test_pending_ping_fails_when_the_server_errors() -> None:
    core = registered_core()
    sub = core.submit(PingCommand())
    items = core.receive(WRONG_FORMAT)
    replies = [i for i in items if isinstance(i, Reply)]
    assert len(replies) == 1 and replies[0].token == sub.token
    assert isinstance(replies[0].error, OispServerError)


def test_duplicate_suppression_within_window() -> None:
    now = [0.0]
    core = registered_core(dedup_window=2.0, clock=lambda: now[0])
    assert len(core.receive(VENDOR_ACTUATION)) == 1
    assert core.receive(VENDOR_ACTUATION) == []
    assert core.receive(VENDOR_ACTUATION) == []
    assert core.duplicates_suppressed == 2
    other = VENDOR_ACTUATION.replace('"value":"1"', '"value":"0"')
    assert len(core.receive(other)) == 1
    now[0] = 2.5
    assert len(core.receive(VENDOR_ACTUATION)) == 1  # a repeat after the window is intentional


def test_duplicates_kept_by_default() -> None:
    core = registered_core()
    assert len(core.receive(VENDOR_ACTUATION)) == 1
    assert len(core.receive(VENDOR_ACTUATION)) == 1


def test_dedup_memory_is_bounded() -> None:
    core = registered_core(dedup_window=1000.0, clock=lambda: 0.0)
    for i in range(5000):
        core.receive(VENDOR_ACTUATION.replace('"value":"1"', f'"value":"{i}"'))
    assert len(core._seen) <= 1024


def test_tokens_never_in_reprs_or_logs(caplog: pytest.LogCaptureFixture) -> None:
    token = "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJkIn0.c2lnbmF0dXJl"
    core = OispCore("d", token)
    reg = DeviceRegistration("d", token)
    assert token not in repr(core) and token not in repr(reg)
    logger = logging.getLogger("oisp.test-redaction")
    logger.addFilter(TokenRedactingFilter())
    with caplog.at_level(logging.DEBUG, logger="oisp.test-redaction"):
        logger.debug(">> %s", core.on_connect()[0])
    assert token not in caplog.text
    assert "deviceToken" in caplog.text
    assert token not in redact_tokens(f"the token is {token}!")


def test_default_reconnect_policy_matches_reference_client() -> None:
    policy = default_reconnect_policy()
    delays = [policy.delay(n, rng=lambda: 0.0) for n in range(1, 11)]
    assert delays[:3] == [2.5, 5.0, 10.0]
    assert delays[-1] == 600.0
    assert policy.jitter > 0


def test_bad_arguments_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        OispCore("", "t")
    with pytest.raises(UsageError):
        OispCore("d", "")
    with pytest.raises(UsageError):
        OispCore("d", "t", dedup_window=0)


def test_grace_is_the_handshake_wait() -> None:
    assert OispCore("d", "t").handshake_wait() == 1.5
    assert OispCore("d", "t", grace=0.2).handshake_wait() == 0.2
    with pytest.raises(UsageError):
        OispCore("d", "t", grace=0)


# -- issue 11, item 10: odd actuations are kept, typed loosely, flagged, and round-trip exactly --
ODD_BODIES = {
    # round-trip only: nothing odd to flag
    "no-content": ({"type": "command", "transport": "ws"}, False),
    "params-null": ({"type": "command", "content": {"command": "X", "params": None}}, False),
    "params-absent": ({"type": "command", "content": {"command": "X"}}, False),
    "numeric-ids": ({"type": "command", "content": {"deviceId": 12345, "componentId": 7.5, "params": []}}, False),
    "null-id": ({"type": "command", "content": {"deviceId": None, "params": []}}, False),
    "param-without-value": ({"content": {"params": [{"name": "LED"}]}}, False),
    # kept but flagged
    "object-value": ({"type": "command", "content": {"params": [{"name": "rgb", "value": {"r": 255}}]}}, True),
    "list-value": ({"type": "command", "content": {"params": [{"name": "seq", "value": [1, "2"]}]}}, True),
    "param-without-name": ({"type": "command", "content": {"params": [{"value": "1"}]}}, True),
    "boolean-id": ({"type": "command", "content": {"deviceId": True, "params": []}}, True),
    "content-null": ({"type": "command", "transport": "ws", "content": None}, True),
    "params-object": ({"content": {"params": {"a": 1}}}, True),
    "params-with-a-string": ({"content": {"params": ["x", {"name": "LED", "value": "1"}]}}, True),
}


@pytest.mark.parametrize("case", list(ODD_BODIES))
def test_odd_actuation_bodies_are_kept_and_round_trip(case: str) -> None:
    body, flagged = ODD_BODIES[case]
    frame = json.dumps({"code": 1024, "content": body})
    act = parse_server_message(frame)
    assert isinstance(act, Actuation)
    assert act.to_wire() == body
    assert json.loads(act.to_frame()) == {"code": 1024, "content": body}
    assert bool(act.problems) is flagged
    core = registered_core()
    assert core.receive(frame) == [act]


def test_odd_fields_are_typed_loosely() -> None:
    numeric = parse_server_message('{"code":1024,"content":{"content":{"deviceId":12345,"params":null}}}')
    assert isinstance(numeric, Actuation)
    assert numeric.device_id == "12345" and numeric.params == () and numeric.problems == ()
    assert numeric.to_wire() == {"content": {"deviceId": 12345, "params": None}}
    odd = parse_server_message(
        '{"code":1024,"content":{"content":{"deviceId":true,"params":[{"value":{"r":255}},{"name":"LED","value":"1"}]}}}'
    )
    assert isinstance(odd, Actuation)
    assert odd.device_id == "true"
    assert odd.params[0].name == "" and odd.params[0].value == '{"r":255}'
    assert odd.param("LED") == "1"
    assert odd.problems == (
        "content: 'deviceId' is a boolean, kept as its JSON text",
        "content: params[0]: param has no 'name'",
        "content: params[0]: param 'value' is an object, kept as its JSON text",
    )


def test_odd_actuation_is_logged_as_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    core = registered_core()
    with caplog.at_level(logging.WARNING, logger="iotws.oisp"):
        (act,) = core.receive('{"code":1024,"content":{"type":"command","content":null}}')
    assert isinstance(act, Actuation) and act.problems
    assert "'content' is null" in caplog.text


# -- issue 11, item 8: a close 1000 means "superseded" --------------------------------------
def test_close_1000_is_superseded_and_final_by_default() -> None:
    core = registered_core()
    error = core.close_error(1000, "")
    assert isinstance(error, SupersededError) and isinstance(error, ConnectionClosed)
    assert error.code == 1000 and str(error) == "superseded by another connection for this device"
    for code in (1001, 1006, 1008, 1003, None):
        assert core.close_error(code, "") is None
    assert OispCore("d", "t", reconnect_on_superseded=True).close_error(1000, "") is None


def test_close_1000_after_a_legacy_500_is_retried() -> None:
    core = OispCore("d", "t")
    core.on_connect()
    core.receive(LEGACY_500)  # the legacy server then closes with 1000
    with pytest.raises(InternalServerError):
        core.handshake_complete()
    assert core.close_error(1000, "") is None
    core.connection_lost()
    core.on_connect()  # a new connection: a 1000 is "superseded" again
    core.handshake_timed_out()
    assert isinstance(core.close_error(1000, ""), SupersededError)


# -- issue 11, item 12: the DEBUG registration line keeps the whole excerpt ------------------
def test_debug_registration_line_is_redacted_before_it_is_cut() -> None:
    token = "eyJ0eXAiOiJKV1QifQ." + "p" * 600 + ".sig"
    core = OispCore("example001", token)
    (frame,) = core.on_connect()
    text = core.describe(frame)
    assert text == 'text 61 chars: \'{"type":"device","deviceId":"example001","deviceToken":"***"}\''
    assert core.describe(PONG) == "text 29 chars: '" + PONG + "'"


# -- issue item R10: deep nesting is a ProtocolError with a bounded excerpt -----------------------

# "@" marks where the deep value goes
DEEP_MESSAGES = {
    "bare": "@",
    "500 content": '{"code":500,"content":@}',
    "401 content": '{"code":401,"content":@}',
    "unknown code": '{"code":7,"content":@}',
    "actuation": '{"code":1024,"content":@}',
    "actuation content": '{"code":1024,"content":{"type":"command","content":@}}',
    "params": '{"code":1024,"content":{"type":"command","content":{"command":"X","params":@}}}',
    "param value": '{"code":1024,"content":{"type":"command","content":'
    '{"command":"X","params":[{"name":"a","value":@}]}}}',
    "extra key": '{"code":1024,"content":{"type":"command","content":{"command":"X"},"x":@}}',
}


@pytest.mark.parametrize("dedup_window", [None, 5.0])
@pytest.mark.parametrize("shape", sorted(DEEP_MESSAGES))
def test_deep_nesting_is_a_protocol_error(shape: str, dedup_window: float | None) -> None:
    """R10: a 500 or an actuation nested ~990 deep raised RecursionError (str(), json.dumps)."""
    core = OispCore("d", "t", dedup_window=dedup_window, clock=lambda: 0.0)
    refused: list[ProtocolError] = []
    texts: list[str] = []
    for depth in [*range(500, 1000), 100_000]:
        deep = "[" * depth + "1" + "]" * depth
        try:
            items = core.receive(DEEP_MESSAGES[shape].replace("@", deep))
        except ProtocolError as exc:
            refused.append(exc)
            continue
        # what is let through carries a bounded text, not a RecursionError later
        texts += [str(item.error) for item in items if isinstance(item, Reply) and item.error is not None]
    assert refused  # at least the 100,000 deep frame
    assert all(len(str(exc)) < 1000 and exc.frame is not None and len(exc.frame) < 300 for exc in refused)
    assert all(len(text) < 1000 for text in texts)
    frame = '{"code":1024,"content":{"type":"command","content":{"command":"LED.v1.0"}}}'
    assert [a.command for a in core.receive(frame)] == ["LED.v1.0"]  # type: ignore[attr-defined]
