"""Float values as people read them: the double of the decimal text the server sent.

The Data Engine sends every value as text; a float point's text is the shortest decimal of
the device's float32 (``"24.59"``). ``PointValue.value`` is that decimal as a double
(``24.59``), ``raw`` the text and ``float32`` the float32 itself (``24.59000015258789``).
Both clients against the simulator over loopback, and hypothesis round trips through both
decoders (the typed msgspec path and the general one).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iotws.codec import DataType, coerce, to_text
from iotws.globiots import AsyncClient, Client, GlobiotsSimulator, Point, PointValue, RealtimeUpdate
from iotws.globiots.models import _typed_update, decode_float32, decode_value
from iotws.testing import open_client, resolve, take_events

H1 = "0.0.0.1"
RAM = Point(H1, "3000", DataType.FLOAT)
SINE = Point(H1, "2000", DataType.FLOAT)


@pytest.fixture
def sim() -> Iterator[GlobiotsSimulator]:
    with GlobiotsSimulator([H1], time_scale=20).run() as simulator:
        yield simulator


async def test_a_written_float_reads_back_as_its_decimal(flavour: str, sim: GlobiotsSimulator) -> None:
    async with open_client(flavour, Client, AsyncClient, sim.base_url, request_timeout=5.0) as client:
        await resolve(client.set(RAM, 24.59))
        first = await resolve(client.subscribe([RAM, SINE], update_time=1))
        assert isinstance(first, RealtimeUpdate)
        written = first.get(H1, "3000")
        assert written is not None
        assert written.raw == "24.59"
        assert written.value == 24.59 and str(written.value) == "24.59"  # not 24.59000015258789
        assert written.float32 == 24.59000015258789 == coerce(DataType.FLOAT, 24.59)
        assert sim.devices[H1].value(RAM) == written.float32  # what the device's memory holds
        assert client.value(H1, "3000").value == 24.59  # the latest-value cache too
        for update in await take_events(client, 2, of_type=RealtimeUpdate, timeout=5):
            moving = update.get(H1, "2000")
            assert moving is not None and isinstance(moving.value, float)
            assert moving.value == float(moving.raw)
            assert moving.float32 == coerce(DataType.FLOAT, moving.value)


async def test_writing_back_a_read_value_sends_the_same_text(flavour: str, sim: GlobiotsSimulator) -> None:
    async with open_client(flavour, Client, AsyncClient, sim.base_url, request_timeout=5.0) as client:
        first = await resolve(client.subscribe([SINE], update_time=1))
        read = first.get(H1, "2000")
        assert read is not None and isinstance(read.value, float)
        await resolve(client.set(RAM, read.value))
        assert sim.set_requests[-1].writes[0].text == read.raw
        assert sim.devices[H1].value(RAM) == read.float32


def _entry(text: str) -> dict[str, object]:
    return {"address": "2000", "dataType": "float", "length": 4, "value": text, "changeOfValue": "INCREASE"}


def _both_paths(text: str) -> tuple[PointValue, PointValue]:
    message = {"objects": [{"hostname": "h", "addresses": [_entry(text)]}]}
    typed = _typed_update(json.dumps(message))
    assert typed is not None
    return PointValue.from_wire("h", _entry(text)), typed.values[0]


@given(st.floats(width=32, allow_nan=False))
def test_float32_round_trip_through_the_text(device: float) -> None:
    text = to_text(DataType.FLOAT, device)  # what the server sends for the device's float32
    for parsed in _both_paths(text):
        assert parsed.raw == text
        assert parsed.value == float(text)  # the decimal as a double
        assert parsed.float32 == device  # the device's float32, exactly
        assert coerce(DataType.FLOAT, parsed.value) == device  # the decimal rounds back to it
        assert to_text(DataType.FLOAT, parsed.value) == text  # writing it back sends the same text


@given(st.decimals(allow_nan=False, allow_infinity=False, places=5, min_value=-1e6, max_value=1e6))
def test_any_decimal_text_is_its_double(number: object) -> None:
    text = str(number)
    for parsed in _both_paths(text):
        assert parsed.value == float(text) == decode_value(DataType.FLOAT, text)
        assert parsed.float32 == decode_float32(text) == coerce(DataType.FLOAT, float(text))


@pytest.mark.parametrize(("text", "value"), [("nan", math.nan), ("-inf", -math.inf), ("float", None), ("1e39", None)])
def test_special_and_unusable_texts(text: str, value: float | None) -> None:
    for parsed in _both_paths(text):
        if value is None:
            assert parsed.value is None and parsed.float32 is None and parsed.raw == text
        elif math.isnan(value):
            assert isinstance(parsed.value, float) and math.isnan(parsed.value)
        else:
            assert parsed.value == value == parsed.float32


def test_float32_is_none_for_other_types() -> None:
    entry = {"address": "2004", "dataType": "unsigned_integer_16", "length": 2, "value": "7"}
    assert PointValue.from_wire("h", entry).float32 is None
