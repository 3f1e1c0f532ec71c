"""The one exception tree shared by every iotws package.

Every error iotws raises derives from [`IotwsError`][iotws.IotwsError]. Errors caused by the
peer ([`ProtocolError`][iotws.ProtocolError], [`RemoteError`][iotws.RemoteError]) are kept apart from errors
caused by the caller ([`UsageError`][iotws.UsageError], [`CodecError`][iotws.CodecError]), in the spirit
of h11's local/remote protocol errors.

Examples:
    >>> from iotws.errors import CodecError, IotwsError
    >>> issubclass(CodecError, IotwsError)
    True
"""

from __future__ import annotations

import itertools
import reprlib
from typing import Any

__all__ = [
    "AuthenticationError",
    "CodecError",
    "ConnectError",
    "ConnectionClosed",
    "HandshakeError",
    "IotwsError",
    "ProtocolError",
    "RemoteError",
    "RequestTimeout",
    "TLSError",
    "UsageError",
    "missing_extra",
]

EXCERPT_LIMIT = 200
"""How many characters of an offending frame a [`ProtocolError`][iotws.ProtocolError] keeps."""


class _BoundedRepr(reprlib.Repr):
    """``repr`` cut short in depth and breadth; dicts keep their order (``reprlib`` sorts keys)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.maxlevel = 8
        self.maxdict = self.maxlist = self.maxtuple = self.maxset = self.maxfrozenset = self.maxdeque = 16
        self.maxstring = self.maxother = self.maxlong = max(limit, 8)

    def repr_dict(self, x: dict[Any, Any], level: int) -> str:
        if not x:
            return "{}"
        if level <= 0:
            return "{...}"
        pieces = [
            f"{self.repr1(key, level - 1)}: {self.repr1(value, level - 1)}"
            for key, value in itertools.islice(x.items(), self.maxdict)
        ]
        if len(x) > self.maxdict:
            pieces.append(self.fillvalue)
        return "{" + ", ".join(pieces) + "}"


_CONTAINERS = (dict, list, tuple, set, frozenset)


def _safe_repr(data: object, limit: int) -> str:
    try:
        if type(data) in _CONTAINERS:  # decoded peer data: bounded work however big or deep it is
            return _BoundedRepr(limit).repr(data)
        return repr(data)
    except RecursionError:
        return f"<{type(data).__name__} nested too deeply to show>"
    except Exception as exc:  # a broken __repr__, an int too long for str(): still an excerpt
        return f"<{type(data).__name__} that cannot be shown: {type(exc).__name__}>"


def excerpt(data: object, limit: int = EXCERPT_LIMIT) -> str:
    """Return a short printable copy of ``data`` for error messages and logs.

    Safe for any input: the result stays near ``limit`` characters whatever the
    size or nesting of ``data`` (containers deeper than 8 levels show ``[...]``),
    and it never raises, not even for a ``__repr__`` that does.

    Examples:
        >>> excerpt("x" * 300, limit=5)
        "'xxxxx'... (300 chars)"
        >>> excerpt({"event": "t", "data": [1, 2]})
        "{'event': 't', 'data': [1, 2]}"
        >>> deep = []
        >>> for _ in range(100_000):
        ...     deep = [deep]
        >>> excerpt(deep)
        '[[[[[[[[[...]]]]]]]]]'
    """
    if isinstance(data, memoryview):
        if data.nbytes > limit and data.c_contiguous:  # copy only the head of a large buffer
            return f"{data.cast('B')[:limit].tobytes()!r}... ({data.nbytes} bytes)"
        data = data.tobytes()
    if isinstance(data, (str, bytes, bytearray)):
        size = len(data)
        if size > limit:
            unit = "chars" if isinstance(data, str) else "bytes"
            return f"{data[:limit]!r}... ({size} {unit})"
        return repr(data)
    text = _safe_repr(data, limit)
    if len(text) > limit:
        return f"{text[:limit]}... ({len(text)} chars)"
    return text


class IotwsError(Exception):
    """Base class of every error raised by iotws.

    Examples:
        >>> try:
        ...     raise UsageError("port must be positive")
        ... except IotwsError as exc:
        ...     print(exc)
        port must be positive
    """


class ConnectError(IotwsError):
    """The connection could not be opened (refused, DNS, TLS, timeout, bad URL).

    Examples:
        >>> raise ConnectError("connection refused by 127.0.0.1:9")
        Traceback (most recent call last):
        iotws.errors.ConnectError: connection refused by 127.0.0.1:9
    """


class HandshakeError(ConnectError):
    """The WebSocket upgrade or the protocol's own opening exchange failed.

    ``status`` holds the HTTP status of a rejected upgrade, when there was one.

    Examples:
        >>> HandshakeError("upgrade rejected", status=403).status
        403
    """

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthenticationError(HandshakeError):
    """The server rejected the credentials (HTTP 401 on the upgrade, or a protocol-level refusal).

    Examples:
        >>> AuthenticationError("invalid device token", status=401).status
        401
    """


class TLSError(ConnectError):
    """TLS could not be set up: certificate verification failed or the CA file is unusable.

    Examples:
        >>> isinstance(TLSError("certificate verify failed"), ConnectError)
        True
    """


class ConnectionClosed(IotwsError):
    """The link is down: it dropped, was closed, or is waiting to reconnect.

    A command that was in flight when the link dropped raises this; it is never
    replayed on the next connection.

    ``code`` and ``reason`` are those of the peer's close frame when there was one.

    Examples:
        >>> ConnectionClosed("link lost", code=1006).code
        1006
        >>> ConnectionClosed("closed by the server", code=1000, reason="bye").reason
        'bye'
    """

    def __init__(self, message: str = "connection closed", *, code: int | None = None, reason: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason


class RequestTimeout(IotwsError, TimeoutError):
    """A request got no answer (or no confirming event) within its timeout.

    Examples:
        >>> isinstance(RequestTimeout("no reply in 2.0 s"), TimeoutError)
        True
    """


class ProtocolError(IotwsError):
    """The peer sent something malformed. ``frame`` keeps a truncated copy of it.

    The client that received it keeps working; the error is surfaced as an event
    and logged.

    Examples:
        >>> err = ProtocolError("not JSON", frame="{oops")
        >>> err.frame
        "'{oops'"
    """

    def __init__(self, message: str, *, frame: object = None) -> None:
        super().__init__(message)
        self.frame: str | None = excerpt(frame) if frame is not None else None

    def __str__(self) -> str:
        base = super().__str__()
        return f"{base} (frame: {self.frame})" if self.frame is not None else base


class RemoteError(IotwsError):
    """The server answered with an error. Protocol packages subclass it per code.

    Examples:
        >>> err = RemoteError(-32602, "invalid meta data identifier")
        >>> err.code, err.message
        (-32602, 'invalid meta data identifier')
    """

    def __init__(self, code: int | str | None, message: str = "") -> None:
        super().__init__(f"server error {code}: {message}" if message else f"server error {code}")
        self.code = code
        self.message = message


class UsageError(IotwsError, ValueError):
    """The caller asked for something impossible; raised before anything is sent.

    Examples:
        >>> isinstance(UsageError("timeout must be positive"), ValueError)
        True
    """


def missing_extra(needed: str, error: ImportError, extra: str = "simulators") -> UsageError:
    """The [`UsageError`][iotws.UsageError] for an optional dependency that is not installed: what needs it, what is
    missing, and the ``pip install`` line of the extra that brings it.

    Examples:
        >>> missing_extra("a self-signed certificate", ImportError(name="cryptography"))
        UsageError("a self-signed certificate: cryptography is not installed; pip install 'iotws[simulators]'")
    """
    missing = error.name or "an optional package"
    return UsageError(f"{needed}: {missing} is not installed; pip install 'iotws[{extra}]'")


class CodecError(UsageError):
    """A value cannot be packed, unpacked or converted; raised before anything is written.

    The message names the data type, the value and what would be allowed.

    Examples:
        >>> from iotws.codec import DataType, pack
        >>> pack(bytearray(2), 0, DataType.BYTE, 300)
        Traceback (most recent call last):
        iotws.errors.CodecError: byte: value 300 is out of range, allowed 0..255
    """
