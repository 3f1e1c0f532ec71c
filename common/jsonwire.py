"""JSON text as the servers send it, decoded by msgspec: untyped, or straight into typed structs.

Two ways in, one engine (msgspec):

* [`loads`][iotws.jsonwire.loads] turns JSON text into plain Python data. Real servers write JSON with
  Python's ``json.dumps`` and so send the bare tokens ``NaN``, ``Infinity`` and
  ``-Infinity`` (EVOK does for a disconnected sensor); msgspec refuses them, as it
  refuses numbers beyond the float range and escaped lone surrogates, so text msgspec
  rejects is parsed again by the standard library before it counts as malformed.
  [`loads`][iotws.jsonwire.loads] therefore accepts exactly what ``json.loads`` accepts, and gives the same.
* [`typed_decoder`][iotws.jsonwire.typed_decoder] builds a msgspec decoder for the *regular* shape of a
  protocol's frames: [`WireStruct`][iotws.jsonwire.WireStruct] subclasses (frozen, no unknown fields), or the
  protocol's own ``msgspec.Struct`` models. It decodes a frame straight into typed
  objects, with no intermediate dicts, at a fraction of the cost of ``json.loads``.
  A frame the typed decoder refuses raises one of [`WIRE_ERRORS`][iotws.jsonwire.WIRE_ERRORS] (an extra key,
  ``NaN``, a value of another type, an unknown tag...): the protocol then parses it
  with [`loads`][iotws.jsonwire.loads] and its general decoder, which keeps unknown fields and odd
  values instead of dropping the frame. Both paths give equal models (the protocols'
  tests check it on golden and generated frames).

Examples:
    >>> loads('{"value": NaN, "max": Infinity}')
    {'value': nan, 'max': inf}
    >>> loads(b'[1, 2]')
    [1, 2]
    >>> loads("{oops")
    Traceback (most recent call last):
    ...
    json.decoder.JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)
    >>> class Reading(WireStruct):
    ...     time: int
    ...     record: float
    >>> decode = typed_decoder(Reading)
    >>> decode('{"time": 5, "record": 21.5}')
    Reading(time=5, record=21.5)
    >>> try:
    ...     decode('{"time": 5, "record": NaN}')
    ... except WIRE_ERRORS:
    ...     print("general path:", loads('{"time": 5, "record": NaN}'))
    general path: {'time': 5, 'record': nan}
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final, TypeVar

import attrs
import msgspec

__all__ = ["DECODE_ERRORS", "WIRE_ERRORS", "WireStruct", "dumps", "loads", "slot_setters", "typed_decoder"]

T = TypeVar("T")

DECODE_ERRORS: Final[tuple[type[BaseException], ...]] = (ValueError, RecursionError, TypeError)
"""What [`loads`][iotws.jsonwire.loads] raises for text that is not JSON (``RecursionError`` for absurd nesting)."""

WIRE_ERRORS: Final[tuple[type[BaseException], ...]] = (msgspec.DecodeError, ValueError, TypeError, RecursionError)
"""What a [`typed_decoder`][iotws.jsonwire.typed_decoder] raises for a frame that is not of the regular shape
(``msgspec.ValidationError``), not JSON to msgspec (``msgspec.DecodeError``: ``NaN``,
malformed text), not UTF-8 (``UnicodeError``), nested too deeply, or not text at all.
None of them means the frame is bad: the general decoder decides.
"""

_decode_any: Final = msgspec.json.Decoder().decode


def loads(data: str | bytes | bytearray | memoryview) -> Any:
    """Parse JSON text like ``json.loads`` (``NaN``, ``Infinity`` and ``-Infinity`` included), with msgspec.

    Raises one of [`DECODE_ERRORS`][iotws.jsonwire.DECODE_ERRORS] for text that is not JSON.

    Examples:
        >>> loads('[-Infinity, 1e400]')
        [-inf, inf]
        >>> loads('{"a": 1, "a": 2}')  # the last of repeated keys wins, as with json.loads
        {'a': 2}
    """
    try:
        return _decode_any(data)
    except WIRE_ERRORS:
        pass  # non-standard tokens, out-of-range numbers, lone surrogates...: the standard library decides
    return json.loads(data if isinstance(data, (str, bytes, bytearray)) else bytes(data))


class WireStruct(msgspec.Struct, frozen=True, forbid_unknown_fields=True, gc=False):
    """Base of the private structs that describe a protocol's regular frames.

    Frozen, not tracked by the garbage collector (they hold only decoded JSON, which has
    no cycles) and strict about keys: a key the struct does not declare makes the typed
    decoder refuse the frame, so that the general decoder keeps it. Subclasses may be
    tagged (``tag_field=..., tag=...``) to form unions of message kinds.

    Examples:
        >>> class Pong(WireStruct, tag_field="code", tag=202):
        ...     content: str
        >>> typed_decoder(Pong)('{"code": 202, "content": "PONG"}')
        Pong(content='PONG')
    """


def typed_decoder(schema: Any) -> Callable[[str | bytes], Any]:
    """The msgspec JSON decoder of ``schema`` (a struct, a union of tagged structs...), as a function.

    The function takes a frame (``str`` or ``bytes``) and returns the decoded object, or
    raises one of [`WIRE_ERRORS`][iotws.jsonwire.WIRE_ERRORS].

    Examples:
        >>> typed_decoder(dict[str, int])('{"a": 1}')
        {'a': 1}
    """
    decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder(schema)
    return decoder.decode


def slot_setters(cls: type[attrs.AttrsInstance]) -> list[Callable[[Any, Any], None]]:
    """The field setters of a frozen, slotted attrs class, in field order.

    They fill an instance made with ``object.__new__(cls)`` without running ``__init__``
    (nor the converters and checks in it), several times faster than attrs' frozen
    ``__init__``: only for building models from values a typed decoder has checked.

    Examples:
        >>> @attrs.frozen
        ... class Reading:
        ...     time: int
        >>> (set_time,) = slot_setters(Reading)
        >>> reading = object.__new__(Reading)
        >>> set_time(reading, 5)
        >>> reading
        Reading(time=5)
    """
    return [getattr(cls, field.name).__set__ for field in attrs.fields(cls)]


def dumps(data: Any, *, allow_nan: bool = True) -> str:
    """Compact JSON text of ``data`` (non-ASCII kept as is).

    With ``allow_nan=False`` a NaN or infinite float raises ``ValueError`` instead of
    being written as the non-standard token.

    Examples:
        >>> dumps({"a": 1, "t": "é"})
        '{"a":1,"t":"é"}'
        >>> dumps({"v": float("nan")})
        '{"v":NaN}'
    """
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=allow_nan)
