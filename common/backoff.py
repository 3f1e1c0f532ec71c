"""Reconnect policy: exponential backoff with jitter, attempt limits, and a retry classifier.

Examples:
    >>> policy = ReconnectPolicy(initial_delay=1.0, factor=2.0, max_delay=8.0, jitter=0.0)
    >>> [policy.delay(n) for n in range(1, 6)]
    [1.0, 2.0, 4.0, 8.0, 8.0]
"""

from __future__ import annotations

import math
import numbers
import random
import ssl
from collections.abc import Callable
from typing import Any

import attrs

from iotws.errors import (
    AuthenticationError,
    ConnectError,
    ConnectionClosed,
    HandshakeError,
    ProtocolError,
    TLSError,
    UsageError,
)

__all__ = ["ReconnectPolicy", "is_retryable"]


def is_retryable(error: BaseException) -> bool:
    """The default classifier: is reconnecting after ``error`` worth trying?

    Transient network trouble, dropped links and server-side 5xx/404-free upgrade
    failures are retried; credentials, TLS verification and caller mistakes are
    not, because trying again cannot fix them.

    Examples:
        >>> is_retryable(ConnectionRefusedError())
        True
        >>> is_retryable(AuthenticationError("bad token", status=401))
        False
    """
    if isinstance(error, (AuthenticationError, TLSError, UsageError, ssl.SSLCertVerificationError)):
        return False
    if isinstance(error, HandshakeError):
        return error.status is None or error.status >= 500 or error.status in (408, 429)
    return isinstance(error, (ConnectError, ConnectionClosed, ProtocolError, OSError, TimeoutError))


def _check_positive(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise UsageError(f"ReconnectPolicy.{attribute.name} must be a number >= 0, not {type(value).__name__}")
    if not (value >= 0 and math.isfinite(value)):
        raise UsageError(f"ReconnectPolicy.{attribute.name} must be >= 0 (and finite), got {value!r}")


def _check_attempts(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise UsageError(f"ReconnectPolicy.max_attempts must be an int >= 0 or None (forever), got {value!r}")


def _check_callable(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not callable(value):
        raise UsageError(f"ReconnectPolicy.retry_on must be a function of the error, not {type(value).__name__}")


@attrs.frozen(slots=True)
class ReconnectPolicy:
    """How a client reconnects after the link drops.

    The n-th attempt waits ``min(max_delay, initial_delay * factor**(n-1))``,
    spread by ``jitter`` (0.5 = up to 50% shorter, never longer), so a fleet of
    clients does not reconnect in lock-step. After ``max_attempts`` failed attempts
    (``None`` = forever) the client gives up and its stream ends with
    [`Stopped`][iotws.Stopped] and [`ConnectionClosed`][iotws.ConnectionClosed].
    ``retry_on`` decides which errors are worth retrying.

    A connection that finished its opening exchange and then lived ``reset_after``
    seconds (default 1 s) resets the count, so a server that restarts and comes back
    is reconnected after the first, short delay every time; a server that accepts
    and drops at once (a crash loop) still meets growing delays.

    Every value is checked when the policy is built (``UsageError`` naming it).

    Examples:
        >>> ReconnectPolicy(max_attempts=3).max_attempts
        3
        >>> ReconnectPolicy(initial_delay="1")
        Traceback (most recent call last):
        iotws.errors.UsageError: ReconnectPolicy.initial_delay must be a number >= 0, not str
    """

    initial_delay: float = attrs.field(default=0.5, validator=_check_positive)
    factor: float = attrs.field(default=2.0, validator=_check_positive)
    max_delay: float = attrs.field(default=30.0, validator=_check_positive)
    jitter: float = attrs.field(default=0.5, validator=_check_positive)
    max_attempts: int | None = attrs.field(default=None, validator=_check_attempts)
    reset_after: float = attrs.field(default=1.0, validator=_check_positive)
    retry_on: Callable[[BaseException], bool] = attrs.field(default=is_retryable, validator=_check_callable)

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        """Seconds to wait before attempt number ``attempt`` (1-based)."""
        base = min(self.max_delay, self.initial_delay * self.factor ** max(0, attempt - 1))
        return base * (1.0 - min(1.0, self.jitter) * rng())

    def gives_up(self, attempts: int) -> bool:
        """Whether ``attempts`` failed attempts exhaust the policy."""
        return self.max_attempts is not None and attempts >= self.max_attempts
