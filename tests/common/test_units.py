"""Backoff, options, redaction, the dispatcher and the CLI shell."""

from __future__ import annotations

import json
import logging
import queue
import ssl

import pytest

from iotws.backoff import ReconnectPolicy, is_retryable
from iotws.cli import main, to_jsonable
from iotws.dispatch import Dispatcher, EndOfStream
from iotws.errors import (
    EXCERPT_LIMIT,
    AuthenticationError,
    ConnectionClosed,
    HandshakeError,
    ProtocolError,
    TLSError,
    UsageError,
    excerpt,
)
from iotws.events import ProtocolViolation, Reconnected, Stopped
from iotws.options import BasicAuth, BearerAuth, ConnectOptions
from iotws.sansio import PendingRequests, ProtocolCore, Reply


def test_backoff_grows_to_the_cap_and_jitter_only_shortens() -> None:
    policy = ReconnectPolicy(initial_delay=2.5, factor=2, max_delay=600, jitter=0.5)
    assert [policy.delay(n, rng=lambda: 0.0) for n in (1, 2, 3, 9, 30)] == [2.5, 5.0, 10.0, 600, 600]
    assert policy.delay(1, rng=lambda: 1.0) == 1.25
    assert not policy.gives_up(1000)
    assert ReconnectPolicy(max_attempts=2).gives_up(2)


def test_backoff_rejects_negative_values() -> None:
    with pytest.raises(UsageError, match="initial_delay"):
        ReconnectPolicy(initial_delay=-1)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ConnectionRefusedError(), True),
        (ConnectionClosed("gone"), True),
        (HandshakeError("bad gateway", status=502), True),
        (HandshakeError("not found", status=404), False),
        (AuthenticationError("no", status=401), False),
        (TLSError("verify failed"), False),
        (ssl.SSLCertVerificationError("verify failed"), False),
        (UsageError("bad"), False),
        (KeyError("bug"), False),
    ],
)
def test_default_classifier(error: BaseException, expected: bool) -> None:
    assert is_retryable(error) is expected


def test_options_validate_url_and_numbers() -> None:
    with pytest.raises(UsageError, match="not a WebSocket URL"):
        ConnectOptions("http://127.0.0.1/")
    with pytest.raises(UsageError, match="connect_timeout"):
        ConnectOptions("ws://127.0.0.1/", connect_timeout=-1)
    with pytest.raises(UsageError, match="event_queue_size"):
        ConnectOptions("ws://127.0.0.1/", event_queue_size=0)


def test_credentials_never_in_reprs() -> None:
    opts = ConnectOptions(
        "ws://user:hunter2@127.0.0.1:1/x",
        headers={"Authorization": "Bearer sekrit", "X-Id": "7"},
        auth=BearerAuth("t0ken"),
    )
    text = repr(opts)
    assert "sekrit" not in text and "t0ken" not in text
    assert "hunter2" not in opts.safe_url and "127.0.0.1:1" in opts.safe_url
    assert "pw" not in repr(BasicAuth("u", "pw"))
    assert opts.request_headers()["Authorization"] == "Bearer t0ken"


def test_plain_ws_has_no_tls_context_and_wss_verifies_by_default() -> None:
    assert ConnectOptions("ws://127.0.0.1/").tls_context() is None
    ctx = ConnectOptions("wss://127.0.0.1/").tls_context()
    assert ctx is not None and ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname


def test_pending_requests_by_key_and_in_order() -> None:
    pending: PendingRequests[str] = PendingRequests()
    a = pending.add("first")
    b = pending.add("second", key="k")
    c = pending.add("third")
    assert pending.pop_key("k") == (b, "second")
    assert pending.pop_first() == (a, "first")
    assert pending.pop_first(lambda cmd: cmd == "nothing") is None
    assert pending.clear() == [c]
    assert len(pending) == 0
    assert pending.add("again") > c  # tokens are never reused


class Strict(ProtocolCore):
    def receive(self, frame: str | bytes) -> list[object]:
        if frame == "bad":
            raise ProtocolError("bad frame", frame=frame)
        if frame == "bug":
            raise KeyError("core bug")
        if frame == "reply":
            return [Reply(1, value="done")]
        return [frame]


def test_dispatcher_routes_replies_events_and_violations(caplog: pytest.LogCaptureFixture) -> None:
    replies: list[Reply] = []
    events: queue.Queue[object] = queue.Queue(maxsize=10)
    d = Dispatcher(Strict(), events, logging.getLogger("t"), replies.append)
    seen: list[object] = []
    d.on(str, seen.append)
    for frame in ("hello", "reply", "bad", "bug"):
        d.feed(frame)
    assert replies == [Reply(1, value="done")]
    assert seen == ["hello"]
    items = [events.get_nowait() for _ in range(events.qsize())]
    assert items[0] == "hello"
    assert [type(i) for i in items[1:]] == [ProtocolViolation, ProtocolViolation]
    assert "core failed" in caplog.text


def test_dispatcher_drops_oldest_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    events: queue.Queue[object] = queue.Queue(maxsize=3)
    d = Dispatcher(Strict(), events, logging.getLogger("t"))
    for i in range(10):
        d.emit(i)
    assert d.dropped_events == 7
    d.end(ConnectionClosed("gone"))  # the final Stopped event and the end marker push two more out
    assert d.dropped_events == 9
    left = [events.get_nowait() for _ in range(3)]
    assert left[0] == 9
    assert isinstance(left[1], Stopped) and str(left[1].error) == "gone"
    assert isinstance(left[2], EndOfStream)
    assert caplog.text.count("event queue full") == 4  # 1st, 2nd, 4th, 8th drop


def test_failing_callback_is_logged_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    events: queue.Queue[object] = queue.Queue()
    d = Dispatcher(Strict(), events, logging.getLogger("t"))

    def broken(event: object) -> None:
        raise RuntimeError("user bug")

    d.on(object, broken)
    d.emit("x")
    assert events.get_nowait() == "x"
    assert "callback" in caplog.text


def test_to_jsonable_handles_models() -> None:
    data = to_jsonable(Reconnected(attempts=2))
    assert json.loads(json.dumps(data)) == {"type": "Reconnected", "attempts": 2}


def test_cli_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("iotws ")
    assert main([]) == 0
    assert "demo" in capsys.readouterr().out


def test_cli_unknown_command_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["no-such-command"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_library_logs_nothing_unless_the_application_configures_logging() -> None:
    import subprocess
    import sys

    code = (
        "from iotws.options import ConnectOptions\n"
        "ConnectOptions('wss://127.0.0.1:1/', verify=False).tls_context()\n"
        "from iotws import evok, globiots, xentara, oisp, farmws\n"
        "import logging\n"
        "for name in ('iotws', 'iotws.evok', 'iotws.globiots', 'iotws.xentara', 'iotws.oisp', 'iotws.farmws'):\n"
        "    logging.getLogger(name).warning('would be printed by lastResort without a NullHandler')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


def test_a_violation_a_core_returns_is_logged_like_a_raised_one(caplog: pytest.LogCaptureFixture) -> None:
    class Partial(ProtocolCore):
        name = "partial"

        def receive(self, frame: str | bytes) -> list[object]:
            return ["kept", ProtocolViolation(ProtocolError("one entry is bad", frame=frame))]

    events: queue.Queue[object] = queue.Queue()
    Dispatcher(Partial(), events, logging.getLogger("t")).feed("{}")
    assert events.get_nowait() == "kept"
    assert isinstance(events.get_nowait(), ProtocolViolation)
    assert "partial: part of a frame was malformed: one entry is bad" in caplog.text


def test_excerpt_is_bounded_and_never_raises() -> None:
    """R10: ``excerpt`` of a deeply nested value raised RecursionError (and a huge one was not cut)."""
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    deep_dict: dict[str, object] = {}
    for _ in range(5_000):
        deep_dict = {"a": deep_dict}

    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    shown = {
        "deep list": excerpt(deep),
        "deep dict": excerpt(deep_dict),
        "wide list": excerpt(list(range(100_000))),
        "wide dict": excerpt({str(i): "x" * 1000 for i in range(1000)}),
        "big int": excerpt(10**5000),
        "broken repr": excerpt(Broken()),
        "long text": excerpt("é" * 10_000),
        "long bytes": excerpt(memoryview(b"\x00" * 10_000)),
        "error": str(ProtocolError("deep", frame=deep)),
    }
    for name, text in shown.items():
        # a byte shows as up to 4 characters (\\x00)
        assert isinstance(text, str) and len(text) <= 4 * EXCERPT_LIMIT + 40, (name, len(text))
    assert shown["deep list"].startswith("[[[[") and "..." in shown["deep list"]
    assert shown["deep dict"].startswith("{'a': {'a': ")
    assert shown["broken repr"] == "<Broken that cannot be shown: RuntimeError>"
    assert excerpt({"event": "t", "data": [1, 2]}) == "{'event': 't', 'data': [1, 2]}"  # small values: their repr
    assert excerpt({"b": 1, "a": 2}) == "{'b': 1, 'a': 2}"  # in their order


# -- caller-input checks and redaction (R5, R7, R9, R16) ------------------------------------


def test_surface_methods_check_arguments_against_their_annotations() -> None:
    from iotws.commands import Command, checked

    # (annotations are strings here: builtin names resolve, names local to this test would not)

    class Echo(Command[object]):
        def __init__(self, *parts: object) -> None:
            self.parts = parts

        def encode(self, token: int | None) -> list[str]:
            return [repr(self.parts)]

    sent: list[Command[object]] = []

    class Surface:
        @checked
        def go(
            self,
            name: str,
            count: int = 1,
            names: list[str] | tuple[str, ...] = (),
            values: dict[str, float] | None = None,
            anything: object = None,
            timeout: float | None = None,
        ) -> None:
            sent.append(Echo(name.upper(), count, names, values, anything, timeout))

    surface = Surface()
    surface.go("a", 2, ["x"], {"k": 1.5}, object(), 1)
    assert len(sent) == 1
    for args, kwargs in [
        ((12,), {}),
        (("a", "2"), {}),
        (("a",), {"count": True}),
        (("a",), {"names": "xy"}),
        (("a",), {"names": [1]}),
        (("a",), {"values": {"k": "1"}}),
        (("a",), {"timeout": -1}),
        (("a",), {"timeout": float("nan")}),
        (("a",), {"timeout": "1"}),
        ((), {}),  # missing argument: a TypeError turned into a UsageError
        (("a",), {"nope": 1}),
    ]:
        with pytest.raises(UsageError, match="go"):
            surface.go(*args, **kwargs)
    assert len(sent) == 1


async def test_checked_async_methods_stay_coroutine_functions_and_refuse_bad_arguments() -> None:
    import inspect

    from iotws.commands import checked

    ran: list[str] = []

    class Surface:
        @checked
        async def go(self, name: str, *, timeout: float | None = None) -> str:
            """Go."""
            ran.append(name)
            return name.upper()

    assert inspect.iscoroutinefunction(Surface.go)
    assert Surface.go.__doc__ == "Go." and Surface.go.__name__ == "go"
    signature = str(inspect.signature(Surface.go, eval_str=True))
    assert signature == "(self, name: str, *, timeout: float | None = None) -> str"
    assert await Surface().go("a", timeout=1) == "A"
    for args, kwargs in [((1,), {}), (("a",), {"timeout": 0}), ((), {}), (("a", "b"), {}), (("a",), {"nope": 1})]:
        with pytest.raises(UsageError, match=r"^go: .*nothing was sent"):
            await Surface().go(*args, **kwargs)
    assert ran == ["a"]


def test_a_type_error_inside_a_checked_method_is_not_called_the_callers() -> None:
    from iotws.commands import checked

    class Surface:
        @checked
        def go(self, name: str) -> int:
            return len(name) + name  # type: ignore[operator]  # a bug inside the method

    with pytest.raises(TypeError, match="unsupported operand"):
        Surface().go("a")


def test_check_timeout_and_redaction_helpers() -> None:
    from iotws.options import check_timeout, is_secret_name, redact_headers, safe_url

    assert check_timeout(1) == 1.0 and check_timeout(None) is None
    for bad in (0, -1, float("nan"), float("inf"), "1", True, [1]):
        with pytest.raises(UsageError):
            check_timeout(bad)
    assert is_secret_name("X-Auth-Token") and is_secret_name("x-api-key") and not is_secret_name("X-Site")
    assert redact_headers({"X-Site": "a"}, secret=["X-SITE"]) == {"X-Site": "***"}
    assert safe_url("ws://u:pw@h:1/p?token=t&a=b") == "ws://***@h:1/p?token=%2A%2A%2A&a=b"


def test_options_refuse_wrong_types_with_the_option_name() -> None:
    for name, value in [
        ("request_timeout", "5"),
        ("connect_timeout", None),
        ("request_timeout", float("nan")),
        ("reconnect", "yes"),
        ("auth", "user:pw"),
        ("headers", [1, 2]),
        ("subprotocols", "chat"),
        ("verify", "no"),
        ("max_message_size", 1.5),
    ]:
        with pytest.raises(UsageError, match=name.rstrip("s")):
            ConnectOptions("ws://127.0.0.1:1/", **{name: value})
    with pytest.raises(UsageError, match="did you mean request_timeout"):
        ConnectOptions.build("ws://127.0.0.1:1/", request_timout=5)
    with pytest.raises(UsageError, match="port"):
        ConnectOptions("ws://127.0.0.1:99999/")
    with pytest.raises(UsageError) as caught:
        ConnectOptions("http://user:hunter2@127.0.0.1/")
    assert "hunter2" not in str(caught.value)
    assert "hunter2" not in repr(ConnectOptions("ws://user:hunter2@127.0.0.1:1/"))
