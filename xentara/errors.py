"""Xentara error responses as exceptions, one class per error code.

An error packet ``[2, id, {0: code, 1: "text"}]`` becomes the subclass of
[`XentaraError`][iotws.xentara.XentaraError] registered for ``code`` ([`error_for`][iotws.xentara.error_for]),
carrying the server's text. When the server sends only a code, the official client's text is used.

Codes -32103 and -32109 are ambiguous in the vendor documentation: its *read*
page calls them "Write Only" and "Read Error", its *write* page "Read Only" and
"Write Error". iotws follows the official client (-32103 read only, -32104
write only, -32108 read error, -32109 write error) and always keeps the
server's message, which tells the cases apart.

Examples:
    >>> err = error_for(-32103, "value is read only")
    >>> type(err).__name__, err.code, err.message
    ('ReadOnly', -32103, 'value is read only')
    >>> isinstance(err, RemoteError)
    True
"""

from __future__ import annotations

from typing import ClassVar

from iotws.errors import RemoteError

__all__ = [
    "AccessDenied",
    "DuplicateClientHello",
    "IllegalValue",
    "InternalError",
    "InvalidParameter",
    "InvalidRequest",
    "InvalidStageChange",
    "MethodNotFound",
    "MissingAttribute",
    "MissingClientHello",
    "ParseError",
    "ReadError",
    "ReadOnly",
    "TypeMismatch",
    "UnknownElement",
    "UnknownSession",
    "UnknownSubscription",
    "ValueOutOfRange",
    "WriteError",
    "WriteOnly",
    "XentaraError",
    "error_for",
]


class XentaraError(RemoteError):
    """An error response from a Xentara server; ``code`` is the int error code.

    Examples:
        >>> XentaraError(-32099, "").message
        'unknown Xentara WebSocket error'
    """

    CODE: ClassVar[int | None] = None
    """The code this class stands for (``None`` on the base class)."""
    DEFAULT_TEXT: ClassVar[str] = "unknown Xentara WebSocket error"
    """The official client's text for the code, used when the server sends none."""

    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(code, message or self.DEFAULT_TEXT)
        self.code: int = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class ParseError(XentaraError):
    """-32700: the message or a packet header was not well formed."""

    CODE: ClassVar[int | None] = -32700
    DEFAULT_TEXT: ClassVar[str] = "payload not well formed"


class InvalidRequest(XentaraError):
    """-32600: the request is not valid."""

    CODE: ClassVar[int | None] = -32600
    DEFAULT_TEXT: ClassVar[str] = "invalid request"


class MethodNotFound(XentaraError):
    """-32601: the opcode is not known to the server."""

    CODE: ClassVar[int | None] = -32601
    DEFAULT_TEXT: ClassVar[str] = "command not found"


class InvalidParameter(XentaraError):
    """-32602: a parameter is missing or invalid (e.g. a bad meta-data id)."""

    CODE: ClassVar[int | None] = -32602
    DEFAULT_TEXT: ClassVar[str] = "invalid parameter"


class InternalError(XentaraError):
    """-32603: the server failed internally."""

    CODE: ClassVar[int | None] = -32603
    DEFAULT_TEXT: ClassVar[str] = "internal server error"


class MissingClientHello(XentaraError):
    """-32000: a request came before the Client Hello."""

    CODE: ClassVar[int | None] = -32000
    DEFAULT_TEXT: ClassVar[str] = "missing client hello request"


class DuplicateClientHello(XentaraError):
    """-32001: a second Client Hello on the same connection."""

    CODE: ClassVar[int | None] = -32001
    DEFAULT_TEXT: ClassVar[str] = "duplicate client hello request"


class UnknownElement(XentaraError):
    """-32100: no element with that UUID or primary key."""

    CODE: ClassVar[int | None] = -32100
    DEFAULT_TEXT: ClassVar[str] = "unknown element"


class MissingAttribute(XentaraError):
    """-32101: the element has no such attribute."""

    CODE: ClassVar[int | None] = -32101
    DEFAULT_TEXT: ClassVar[str] = "missing attribute"


class AccessDenied(XentaraError):
    """-32102: the credentials do not allow this."""

    CODE: ClassVar[int | None] = -32102
    DEFAULT_TEXT: ClassVar[str] = "access denied"


class ReadOnly(XentaraError):
    """-32103: the attribute is read only (the docs' read page calls this code "Write Only")."""

    CODE: ClassVar[int | None] = -32103
    DEFAULT_TEXT: ClassVar[str] = "value is read only"


class WriteOnly(XentaraError):
    """-32104: the attribute is write only."""

    CODE: ClassVar[int | None] = -32104
    DEFAULT_TEXT: ClassVar[str] = "value is write only"


class ValueOutOfRange(XentaraError):
    """-32105: the written value is out of the attribute's range."""

    CODE: ClassVar[int | None] = -32105
    DEFAULT_TEXT: ClassVar[str] = "value is out of range"


class TypeMismatch(XentaraError):
    """-32106: the value cannot be converted to the attribute's type."""

    CODE: ClassVar[int | None] = -32106
    DEFAULT_TEXT: ClassVar[str] = "value cannot be converted to requested type"


class IllegalValue(XentaraError):
    """-32107: the value is not valid."""

    CODE: ClassVar[int | None] = -32107
    DEFAULT_TEXT: ClassVar[str] = "value supplied is not valid"


class ReadError(XentaraError):
    """-32108: the value could not be read (also inside events)."""

    CODE: ClassVar[int | None] = -32108
    DEFAULT_TEXT: ClassVar[str] = "read error"


class WriteError(XentaraError):
    """-32109: the value could not be written (the docs' read page calls this code "Read Error")."""

    CODE: ClassVar[int | None] = -32109
    DEFAULT_TEXT: ClassVar[str] = "write error"


class UnknownSubscription(XentaraError):
    """-32110: no subscription with that id."""

    CODE: ClassVar[int | None] = -32110
    DEFAULT_TEXT: ClassVar[str] = "unknown subscription Id"


class UnknownSession(XentaraError):
    """-32111: no sub-session with that id."""

    CODE: ClassVar[int | None] = -32111
    DEFAULT_TEXT: ClassVar[str] = "unknown session Id"


class InvalidStageChange(XentaraError):
    """-32112: the stage change (suspend, shutdown) is not allowed now."""

    CODE: ClassVar[int | None] = -32112
    DEFAULT_TEXT: ClassVar[str] = "invalid stage change request"


_BY_CODE: dict[int, type[XentaraError]] = {
    cls.CODE: cls
    for cls in (
        ParseError, InvalidRequest, MethodNotFound, InvalidParameter, InternalError,
        MissingClientHello, DuplicateClientHello, UnknownElement, MissingAttribute,
        AccessDenied, ReadOnly, WriteOnly, ValueOutOfRange, TypeMismatch, IllegalValue,
        ReadError, WriteError, UnknownSubscription, UnknownSession, InvalidStageChange,
    )
    if cls.CODE is not None
}


def error_for(code: int, message: str | None = None) -> XentaraError:
    """The exception for an error ``code``; ``message`` defaults to the official client's text.

    Examples:
        >>> error_for(-32100)
        UnknownElement(-32100, 'unknown element')
        >>> type(error_for(-32050)).__name__
        'XentaraError'
    """
    cls = _BY_CODE.get(code, XentaraError)
    return cls(code, message or "")
