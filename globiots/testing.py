"""Hypothesis strategies for Globiots messages, for users' property tests and ours.

Examples:
    >>> from hypothesis import given
    >>> @given(typed_values())
    ... def test_text_round_trip(item):
    ...     point, value = item
    ...     assert point.parse(point.text(value)) == point.parse(point.text(value))
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar

from hypothesis import strategies as st

from iotws.codec import DataType, Value, coerce
from iotws.globiots.models import (
    ChangeOfValue,
    Point,
    PointValue,
    PointWrite,
    ReadDetails,
    RealtimeRequest,
    RealtimeUpdate,
    ResponseCode,
    SetRequest,
    SetResponse,
    SetResult,
    decode_value,
)

__all__ = [
    "addresses",
    "hostnames",
    "json_values",
    "point_values",
    "points",
    "realtime_requests",
    "realtime_updates",
    "set_requests",
    "set_responses",
    "typed_values",
    "values_for",
]

T = TypeVar("T")

_INT_TYPES = (DataType.BYTE, DataType.UINT16, DataType.INT16, DataType.UINT32, DataType.INT32)


def hostnames() -> st.SearchStrategy[str]:
    """Dotted four-part device ids such as ``0.0.1.4``."""
    octet = st.integers(0, 255).map(str)
    return st.tuples(octet, octet, octet, octet).map(".".join)


def addresses() -> st.SearchStrategy[str]:
    """Upper-case four-digit hex byte addresses."""
    return st.integers(0, 0x6FFF).map(lambda a: f"{a:04X}")


def points(data_types: tuple[DataType, ...] = tuple(DataType)) -> st.SearchStrategy[Point]:
    """Points of the given types (string and hexa with a length of 1..32 bytes)."""

    @st.composite
    def build(draw: st.DrawFn) -> Point:
        data_type = draw(st.sampled_from(data_types))
        host, address = draw(hostnames()), draw(addresses())
        if data_type.size is None:
            return Point(host, address, data_type, draw(st.integers(1, 32)))
        return Point(host, address, data_type)

    return build()


def values_for(point: Point) -> st.SearchStrategy[Value]:
    """Values that fit ``point`` (floats are float32-exact, NaN excluded)."""
    data_type = point.data_type
    if data_type in _INT_TYPES:
        assert data_type.min is not None and data_type.max is not None
        return st.integers(data_type.min, data_type.max)
    if data_type is DataType.FLOAT:
        return st.floats(width=32, allow_nan=False).map(lambda f: coerce(DataType.FLOAT, f))
    if data_type is DataType.HEXA:
        return st.binary(min_size=point.length, max_size=point.length)
    alphabet = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
    return st.text(alphabet, min_size=1, max_size=point.length).filter(lambda s: not s.endswith("\x00"))


def typed_values(data_types: tuple[DataType, ...] = tuple(DataType)) -> st.SearchStrategy[tuple[Point, Value]]:
    """``(point, value)`` pairs where the value fits the point."""
    return points(data_types).flatmap(lambda p: values_for(p).map(lambda v: (p, v)))


def point_values() -> st.SearchStrategy[PointValue]:
    """Entries of realtime pushes, some failed, some with optional fields."""

    @st.composite
    def build(draw: st.DrawFn) -> PointValue:
        point, value = draw(typed_values())
        text = point.text(value)
        failed = draw(st.booleans()) and draw(st.booleans())
        code = draw(st.sampled_from([c for c in ResponseCode if c is not ResponseCode.UNKNOWN]))
        details = None
        if failed:
            details = ReadDetails(None, "message-request-fail", code, code.meaning, code.value)
        return PointValue(
            point.hostname,
            point.address,
            point.data_type,
            point.length,
            "" if failed else text,
            None if failed else decode_value(point.data_type, text, point.length),  # as the client decodes it
            draw(st.sampled_from(list(ChangeOfValue))),
            details,
        )

    return build()


def realtime_requests() -> st.SearchStrategy[RealtimeRequest]:
    """Subscription requests over one or more hostnames."""
    return st.builds(
        RealtimeRequest,
        st.lists(points(), min_size=1, max_size=8, unique_by=lambda p: p.key).map(_grouped),
        update_time=st.integers(1, 3600),
        timezone=st.sampled_from(["", "GMT+07:00", "GMT-03:30"]),
    )


def realtime_updates() -> st.SearchStrategy[RealtimeUpdate]:
    """Realtime pushes (timestamps in whole milliseconds, as on the wire)."""
    from datetime import UTC, datetime, timedelta

    stamps = st.integers(0, 4_102_444_800_000).map(
        lambda ms: datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
    )
    return st.builds(
        RealtimeUpdate,
        st.lists(point_values(), max_size=8).map(_grouped),
        stamps,
        st.integers(1, 3600),
        st.just(""),
        st.just(""),
    )


def _grouped(items: list[T], host: Callable[[T], str] = attrgetter("hostname")) -> tuple[T, ...]:
    """Order items as the wire groups them: by hostname, in order of first appearance."""
    order: dict[str, int] = {}
    for item in items:
        order.setdefault(host(item), len(order))
    return tuple(sorted(items, key=lambda i: order[host(i)]))


def _write_host(write: PointWrite) -> str:
    return write.point.hostname


def set_requests() -> st.SearchStrategy[SetRequest]:
    """Set-data requests with values that fit their points."""
    writes = typed_values().map(lambda pv: PointWrite.of(*pv))
    unique = st.lists(writes, min_size=1, max_size=6, unique_by=lambda w: w.point.key)  # a point once per request
    return unique.map(lambda ws: SetRequest(_grouped(ws, _write_host)))


def set_responses() -> st.SearchStrategy[SetResponse]:
    """Set-data responses with any codes, known or not."""
    codes = st.one_of(st.sampled_from([c.value for c in ResponseCode if c is not ResponseCode.UNKNOWN]),
                      st.integers(0x11, 0xFF).map(lambda n: f"{n:02X}"))
    result = st.builds(
        lambda host, address, code, message: SetResult(host, address, ResponseCode.from_wire(code), code, message),
        hostnames(), addresses(), codes, st.text(max_size=40),
    )
    return st.builds(SetResponse, st.lists(result, max_size=6).map(_grouped), st.just(""))


def json_values() -> st.SearchStrategy[Any]:
    """Arbitrary JSON data, for decoder fuzzing."""
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
    return st.recursive(
        scalars,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
        max_leaves=20,
    )
