"""The sans-I/O OISP device core: registration, pings, actuations, duplicate suppression.

On every (re)connection the core sends the registration exactly once. The server says
nothing on success, so the handshake completes when the grace period
([`OispCore.handshake_wait`][iotws.oisp.OispCore.handshake_wait]) runs out in silence
([`OispCore.handshake_timed_out`][iotws.oisp.OispCore.handshake_timed_out]),
or at once on a legacy server's 200. A 401 or 500 during the grace period fails the connect.

Examples:
    >>> core = OispCore("dev-1", "eyJ.token.sig")
    >>> core.on_connect()
    ['{"type":"device","deviceId":"dev-1","deviceToken":"eyJ.token.sig"}']
    >>> core.handshake_complete()
    False
    >>> core.handshake_timed_out(); core.handshake_complete()
    True
    >>> core.receive('{"code":1024,"content":{"type":"command","content":{"command":"LED.v1.0"}}}')[0].command
    'LED.v1.0'
"""

from __future__ import annotations

import json
import logging
import math
import numbers
import re
import time
from collections.abc import Callable, Iterable
from typing import Final, TypeAlias

import attrs

from iotws.backoff import ReconnectPolicy, is_retryable
from iotws.commands import Command
from iotws.errors import ConnectionClosed, IotwsError, ProtocolError, UsageError
from iotws.events import LinkEvent
from iotws.logs import describe_frame
from iotws.oisp.models import (
    PING,
    Actuation,
    DeviceRegistration,
    InternalServerError,
    InvalidTokenError,
    OispServerError,
    Pong,
    Registered,
    ServerError,
    SupersededError,
    UnknownMessage,
    WrongMessageFormat,
    parse_server_message,
)
from iotws.options import ConnectOptionsDict
from iotws.sansio import Frame, ProtocolCore, Reply

__all__ = [
    "DEFAULT_GRACE",
    "SUBPROTOCOL",
    "DeviceOptionsDict",
    "Event",
    "OispCore",
    "PingCommand",
    "TokenRedactingFilter",
    "TokenRefresh",
    "apply_device_defaults",
    "check_app_ping_interval",
    "default_reconnect_policy",
    "redact_tokens",
]

SUBPROTOCOL: Final = "echo-protocol"
"""The subprotocol the server insists on (an upgrade without it is refused with 403)."""

DEFAULT_GRACE: Final = 1.5
"""Default grace period: registration counts as accepted after this much silence."""

DEDUP_MEMORY: Final = 1024
"""Most actuation fingerprints remembered for duplicate suppression."""

TokenRefresh: TypeAlias = Callable[[str], str | None]
"""``token_refresh(device_id) -> new token | None``: a device's one chance to replace a rejected token."""

Event: TypeAlias = Actuation | Pong | Registered | ServerError | UnknownMessage | LinkEvent
"""Everything an OISP client's ``events()`` yields: the server's messages that are not
replies (actuations above all) and the shared link events (``match`` over it is
checked for exhaustiveness).
"""


def default_reconnect_policy() -> ReconnectPolicy:
    """The reference client's delays: 2.5 s doubling to 600 s, jittered.

    The count resets by the shared rule (a connection that held its registration for
    ``reset_after``, 1 s), not after 60 s as in the reference client: a server restarted twice
    in a minute is reconnected after the first short delay each time.

    Examples:
        >>> p = default_reconnect_policy()
        >>> p.initial_delay, p.max_delay, p.reset_after
        (2.5, 600.0, 1.0)
    """
    return ReconnectPolicy(initial_delay=2.5, factor=2.0, max_delay=600.0, jitter=0.5)


class DeviceOptionsDict(ConnectOptionsDict, total=False):
    """The options of one OISP device: the connection options and the device's own keywords.

    What [`Gateway`][iotws.oisp.Gateway] passes to each of its devices (its
    constructor and [`add`][iotws.oisp.Gateway.add] take them as keyword
    arguments): every [`ConnectOptionsDict`][iotws.options.ConnectOptionsDict] option, and

    * ``grace`` (default 1.5 s): silence after the registration that means success;
    * ``token_refresh`` (default ``None``): ``token_refresh(device_id) -> str | None``;
    * ``dedup_window`` (default ``None``): drop identical actuations within this many seconds;
    * ``app_ping_interval`` (default ``None``): application pings every this many seconds;
    * ``reconnect_on_superseded`` (default ``False``): reconnect after a close 1000.

    Examples:
        >>> options: DeviceOptionsDict = {"grace": 0.2, "request_timeout": 5.0}
        >>> sorted(options)
        ['grace', 'request_timeout']
    """

    grace: float
    token_refresh: TokenRefresh | None
    dedup_window: float | None
    app_ping_interval: float | None
    reconnect_on_superseded: bool


def _seconds(value: object) -> float | None:
    """``value`` as a finite number of seconds > 0, or ``None`` if it is not one (left to the options' own check)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return number if number > 0 and math.isfinite(number) else None


def apply_device_defaults(core: OispCore, options: ConnectOptionsDict) -> None:
    """Fill in OISP's connection defaults in a client's ``options``, in place.

    * ``subprotocols``: ``echo-protocol`` is always offered (the server refuses an
      upgrade without it with 403); other subprotocols given are kept before it.
    * ``connect_timeout``: ``grace + 10`` s, at least 10 s; one given must be longer than
      the grace period (``UsageError`` otherwise).
    * ``reconnect``: [`default_reconnect_policy`][iotws.oisp.default_reconnect_policy] unless given (``None`` = never);
      the policy's ``retry_on`` also asks [`OispCore.should_retry`][iotws.oisp.OispCore.should_retry] (a rejected token
      or a "superseded" close is not retried).

    Values of the wrong type are left as they are, for the client's option checks to refuse.

    Examples:
        >>> options: ConnectOptionsDict = {"subprotocols": ["chat"]}
        >>> apply_device_defaults(OispCore("d", "t", grace=30), options)
        >>> options["subprotocols"], options["connect_timeout"], options["reconnect"].initial_delay
        (('chat', 'echo-protocol'), 40.0, 2.5)
        >>> apply_device_defaults(OispCore("d", "t", grace=5), {"connect_timeout": 2})
        Traceback (most recent call last):
        iotws.errors.UsageError: connect_timeout (2 s) must be longer than the grace period (5 s)
    """
    protocols = options.get("subprotocols", ())
    if isinstance(protocols, Iterable) and not isinstance(protocols, str | bytes):
        given = tuple(protocols)
        options["subprotocols"] = given if SUBPROTOCOL in given else (*given, SUBPROTOCOL)
    connect_timeout = options.setdefault("connect_timeout", max(10.0, core.grace + 10.0))
    seconds = _seconds(connect_timeout)
    if seconds is not None and seconds <= core.grace:
        raise UsageError(
            f"connect_timeout ({seconds:g} s) must be longer than the grace period ({core.grace:g} s)"
        )
    policy = options.get("reconnect", default_reconnect_policy())
    if isinstance(policy, ReconnectPolicy):
        user_retry = policy.retry_on
        policy = attrs.evolve(policy, retry_on=lambda error: core.should_retry(error, user_retry))
    options["reconnect"] = policy


def check_app_ping_interval(value: float | None) -> float | None:
    """The ``app_ping_interval`` of a client: ``None`` (off) or a finite number of seconds > 0.

    Examples:
        >>> check_app_ping_interval(30), check_app_ping_interval(None)
        (30.0, None)
        >>> check_app_ping_interval(0)
        Traceback (most recent call last):
        iotws.errors.UsageError: app_ping_interval must be a number of seconds > 0 or None, got 0
    """
    if value is None:
        return None
    seconds = _seconds(value)
    if seconds is None:
        raise UsageError(f"app_ping_interval must be a number of seconds > 0 or None, got {value!r}")
    return seconds


_TOKEN_RE = re.compile(r'("deviceToken"\s*:\s*")(?:[^"\\]|\\.)*|eyJ[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-.]*')


def redact_tokens(text: str) -> str:
    """Replace device tokens and anything JWT-shaped in ``text`` with ``***``.

    Examples:
        >>> redact_tokens('{"deviceId":"d","deviceToken":"eyJhb.cd.ef"}')
        '{"deviceId":"d","deviceToken":"***"}'
    """
    return _TOKEN_RE.sub(lambda m: (m.group(1) or "") + "***", text)


class TokenRedactingFilter(logging.Filter):
    """A logging filter that removes device tokens from records (installed on the ``oisp`` logger).

    Examples:
        >>> rec = logging.LogRecord("oisp", 10, "", 0, ">> %s", ('{"deviceToken":"eyJa.b.c"}',), None)
        >>> TokenRedactingFilter().filter(rec), rec.getMessage()
        (True, '>> {"deviceToken":"***"}')
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact the record's message in place; always keeps the record."""
        try:
            message = record.getMessage()
        except Exception:  # a broken record is not ours to fix
            return True
        if "deviceToken" in message or "eyJ" in message:
            record.msg, record.args = redact_tokens(message), None
        return True


def install_log_redaction(logger: logging.Logger) -> None:
    """Attach one [`TokenRedactingFilter`][iotws.oisp.protocol.TokenRedactingFilter] to ``logger`` (idempotent).

    Examples:
        >>> logger = logging.getLogger("iotws.oisp.example")
        >>> install_log_redaction(logger); install_log_redaction(logger)
        >>> len(logger.filters)
        1
    """
    if not any(isinstance(f, TokenRedactingFilter) for f in logger.filters):
        logger.addFilter(TokenRedactingFilter())


@attrs.define(slots=True)
class PingCommand(Command[Pong]):
    """The application ping ``{"type":"ping"}``; its reply is the next 202 ``PONG``.

    Examples:
        >>> PingCommand().encode(1)
        ['{"type":"ping"}']
    """

    timeout: float | None = None

    def encode(self, token: int | None) -> list[Frame]:
        """The ping frame (the reply is matched by order, not by ``token``)."""
        return [PING]


class OispCore(ProtocolCore):
    """The device side of the OISP protocol, without I/O.

    * ``device_id``/``token``: sent in the registration on every connection (never twice
      on one socket); the token never appears in reprs.
    * ``token_refresh(device_id) -> new token | None``: called once when the server
      rejects the token; a new token earns one more attempt. It runs in the reader
      (thread or event loop), so it should be quick.
    * ``dedup_window``: seconds within which an actuation identical to an earlier one is
      dropped (servers send one copy per earlier registration); ``None`` keeps all.
    * ``grace``: seconds of silence after the registration that mean success (default 1.5).
    * ``clock``: the time source for the dedup window (injected; default ``time.monotonic``).
    * ``reconnect_on_superseded``: a close with code 1000 from the server means another
      connection registered this device (or this one registered twice); by default the
      client then stops for good with [`SupersededError`][iotws.oisp.SupersededError]
      ([`close_error`][iotws.oisp.OispCore.close_error]); ``True`` leaves it to the reconnect policy.

    Examples:
        >>> core = OispCore("d", "t", dedup_window=5.0, clock=lambda: 0.0)
        >>> frame = '{"code":1024,"content":{"type":"command","content":{"command":"X"}}}'
        >>> len(core.receive(frame)), len(core.receive(frame)), core.duplicates_suppressed
        (1, 0, 1)
    """

    name = "oisp"

    def __init__(
        self,
        device_id: str,
        token: str,
        *,
        token_refresh: TokenRefresh | None = None,
        dedup_window: float | None = None,
        grace: float = DEFAULT_GRACE,
        clock: Callable[[], float] = time.monotonic,
        reconnect_on_superseded: bool = False,
    ) -> None:
        super().__init__()
        if not grace > 0:
            raise UsageError(f"grace must be positive, got {grace!r}")
        if not isinstance(device_id, str) or not device_id:
            raise UsageError(f"device_id must be a non-empty string, got {device_id!r}")
        if not isinstance(token, str) or not token:
            raise UsageError("token must be a non-empty string")
        if dedup_window is not None and dedup_window <= 0:
            raise UsageError(f"dedup_window must be positive, got {dedup_window!r}")
        self.device_id = device_id
        self._token = token
        self.token_refresh = token_refresh
        self.dedup_window = dedup_window
        self.grace = grace
        self.clock = clock
        self.reconnect_on_superseded = reconnect_on_superseded
        self.registered: bool = False
        """Whether the current connection's registration is accepted."""
        self.confirmed: bool = False
        """Whether the server confirmed with a legacy 200 (else: silence)."""
        self.duplicates_suppressed: int = 0
        """How many duplicate actuations were dropped."""
        self._registration_sent = False
        self._legacy_500 = False
        self._rejection: Exception | None = None
        self._fatal: Exception | None = None
        self._refresh_used = False
        self._refreshed = False
        self._seen: dict[str, float] = {}

    def __repr__(self) -> str:
        state = "registered" if self.registered else "not registered"
        return f"<OispCore device_id={self.device_id!r} token='***' {state}>"

    @property
    def token(self) -> str:
        """The current device token (write it to replace the token for the next connection)."""
        return self._token

    @token.setter
    def token(self, value: str) -> None:
        if not isinstance(value, str) or not value:
            raise UsageError("token must be a non-empty string")
        self._token = value

    # -- lifecycle ------------------------------------------------------------------------------
    def registration_frame(self) -> str:
        """The registration frame for this connection; ``UsageError`` if already sent on it."""
        if self._registration_sent:
            raise UsageError("the registration was already sent on this connection (a second one closes it)")
        self._registration_sent = True
        self._legacy_500 = False
        return DeviceRegistration(self.device_id, self._token).to_wire()

    def on_connect(self) -> list[Frame]:
        """The registration, sent once on every new connection."""
        return [self.registration_frame()]

    def handshake_complete(self) -> bool:
        """Whether the registration is accepted; raises the server's rejection if one came."""
        # The driver only lets a handshake fail by raising here (receive() errors become
        # ProtocolViolation events), so a rejection seen by receive() is raised now.
        if self._rejection is not None:
            error, self._rejection = self._rejection, None
            raise error
        return self.registered

    def handshake_wait(self) -> float:
        """The grace period: how long the driver waits for a 401 before calling it success."""
        return self.grace

    def handshake_timed_out(self) -> None:
        """The grace period passed in silence: the registration is accepted."""
        self._accepted()

    def close_error(self, code: int | None, reason: str) -> IotwsError | None:
        """A close with code 1000 means "superseded": stop for good, unless told to reconnect.

        The server closes a socket with 1000 when another socket registers the same
        device, or when the socket registers twice. Reconnecting would kick the other
        connection, which would reconnect and kick back, forever. A legacy server's 500
        is also followed by 1000: that one is retried (``None``).

        Examples:
            >>> core = OispCore("d", "t")
            >>> core.close_error(1000, "")
            SupersededError('superseded by another connection for this device')
            >>> core.close_error(1006, "") is None
            True
            >>> OispCore("d", "t", reconnect_on_superseded=True).close_error(1000, "") is None
            True
        """
        if code != 1000 or self.reconnect_on_superseded or self._legacy_500:
            return None
        return SupersededError(reason=reason)

    def describe(self, frame: Frame) -> str:
        """The DEBUG text of ``frame``, with the device token replaced by ``***`` first.

        Redacting before the excerpt is cut keeps the whole registration line readable.

        Examples:
            >>> print(OispCore("d", "t").describe('{"type":"device","deviceId":"d","deviceToken":"' + "x" * 900 + '"}'))
            text 52 chars: '{"type":"device","deviceId":"d","deviceToken":"***"}'
        """
        return describe_frame(redact_tokens(frame) if isinstance(frame, str) else frame)

    def connection_lost(self) -> None:
        """The link is gone: the next connection registers again."""
        super().connection_lost()
        self.registered = False
        self.confirmed = False
        self._registration_sent = False
        self._rejection = None

    def _accepted(self) -> None:
        self.registered = True
        self._refresh_used = False
        self._refreshed = False
        self._fatal = None

    # -- retry classification -------------------------------------------------------------------
    def should_retry(self, error: BaseException, default: Callable[[BaseException], bool] = is_retryable) -> bool:
        """Whether reconnecting after ``error`` makes sense for this device.

        A rejected token is final unless the refresh callback supplied a new one; a
        "Wrong message format" (close 1003) is final; a legacy 500 is retried.

        Examples:
            >>> OispCore("d", "t").should_retry(InvalidTokenError("rejected"))
            False
        """
        if isinstance(error, InvalidTokenError):
            return error.refreshed
        if isinstance(error, WrongMessageFormat):
            return False
        if isinstance(error, InternalServerError):
            return True
        if self._fatal is not None:
            return self._refreshed
        if isinstance(error, ConnectionClosed) and error.code in (1008, 1003):
            return self._refreshed and error.code == 1008
        return default(error)

    # -- traffic --------------------------------------------------------------------------------
    def receive(self, frame: Frame) -> list[object]:
        """Parse one server frame: actuations (minus duplicates) and other messages as events, PONGs as replies."""
        message = parse_server_message(frame)
        if isinstance(message, Actuation):
            try:
                duplicate = self._duplicate(message)
            except RecursionError:  # its extra keys are nested too deeply to compare
                raise ProtocolError("actuation nested too deeply", frame=frame) from None
            if duplicate:
                return []
            if message.problems:
                logging.getLogger("iotws.oisp").warning(
                    "actuation kept with odd fields (see Actuation.problems): %s", "; ".join(message.problems)
                )
            return [message]
        if isinstance(message, Pong):
            found = self.pending.pop_first(lambda c: isinstance(c, PingCommand))
            if found is None:
                return [message]
            return [Reply(found[0], value=message)]
        if isinstance(message, Registered):
            if not self._registration_sent:
                return [message]
            self.confirmed = True
            self._accepted()
            return [message]
        if isinstance(message, ServerError):
            return self._server_error(message)
        assert isinstance(message, UnknownMessage)
        return [message]

    def _server_error(self, message: ServerError) -> list[object]:
        refreshed = False
        if message.is_invalid_token:
            refreshed = self._try_refresh()
        error = message.to_error(refreshed=refreshed)
        if isinstance(error, InternalServerError):
            self._legacy_500 = True  # its close 1000 is not a "superseded"
        # fail any ping waiting on this connection: the server is about to close it
        replies: list[object] = [
            Reply(token, error=OispServerError(message.code, message.text)) for token in self.pending.clear()
        ]
        if not self.registered:
            self._rejection = error
        elif isinstance(error, (InvalidTokenError, WrongMessageFormat)):
            self._fatal = error
        return [message, *replies]

    def _try_refresh(self) -> bool:
        if self.token_refresh is None or self._refresh_used:
            return False
        self._refresh_used = True
        try:
            new_token = self.token_refresh(self.device_id)
        except Exception:
            logging.getLogger("iotws.oisp").exception("token_refresh callback failed")
            return False
        if not new_token or new_token == self._token:
            return False
        self._token = new_token
        self._refreshed = True
        return True

    def _duplicate(self, actuation: Actuation) -> bool:
        window = self.dedup_window
        if window is None:
            return False
        now = self.clock()
        seen = self._seen
        while seen:
            oldest_key = next(iter(seen))
            if now - seen[oldest_key] <= window and len(seen) < DEDUP_MEMORY:
                break
            del seen[oldest_key]
        key = json.dumps(actuation.to_wire(), sort_keys=True, separators=(",", ":"))
        first = seen.get(key)
        if first is not None and now - first <= window:
            self.duplicates_suppressed += 1
            return True
        seen.pop(key, None)
        seen[key] = now
        return False
