"""iotws.notebook: any protocol's stream into a pandas DataFrame; simulators started without ``with``.

Every protocol's simulator and client over loopback, on both flavours (``record`` for the sync
client, ``await arecord`` for the asyncio one).
"""

from __future__ import annotations

import asyncio
import math
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest

from iotws import evok, farmws, globiots, oisp, xentara
from iotws.codec import DataType
from iotws.errors import UsageError
from iotws.notebook import COLUMNS, arecord, record, rows, to_dataframe
from iotws.testing import open_client, resolve

pandas = pytest.importorskip("pandas")  # the test extra installs it; the notebook extra too


async def _record(flavour: str, client: Any, seconds: float) -> Any:
    return record(client, seconds) if flavour == "sync" else await arecord(client, seconds)


@asynccontextmanager
async def _globiots(flavour: str) -> AsyncIterator[Any]:
    with globiots.GlobiotsSimulator(["0.0.0.1"], time_scale=20).run() as sim:
        async with open_client(flavour, globiots.Client, globiots.AsyncClient, sim.base_url) as client:
            await resolve(client.set(globiots.Point("0.0.0.1", "3000", DataType.FLOAT), 24.59))
            points = [globiots.Point("0.0.0.1", a, t) for a, t in (("3000", DataType.FLOAT), ("2004", DataType.UINT16))]
            await resolve(client.subscribe(points, update_time=1))
            yield client


@asynccontextmanager
async def _evok(flavour: str) -> AsyncIterator[Any]:
    with evok.EvokSimulator(di_toggle_period=0.1).run() as sim:
        async with open_client(flavour, evok.Client, evok.AsyncClient, sim.url()) as client:
            yield client


@asynccontextmanager
async def _xentara(flavour: str) -> AsyncIterator[Any]:
    with xentara.XentaraSimulator().run() as sim:
        async with open_client(flavour, xentara.Client, xentara.AsyncClient, sim.url()) as client:
            await resolve(client.watch("Plant.Temperature"))  # the Value attribute
            yield client


@asynccontextmanager
async def _oisp(flavour: str) -> AsyncIterator[Any]:
    with oisp.OispSimulator(duplicates=False, blind_window=0).run() as sim:
        token = sim.issue_token("pump-7", "farm")
        async with open_client(flavour, oisp.Client, oisp.AsyncClient, sim.url(), "pump-7", token, grace=0.1) as client:
            await asyncio.to_thread(sim.actuate_sync, "farm", "pump-7", "LED.v1.0", {"LED": "1"})
            yield client


@asynccontextmanager
async def _farmws(flavour: str) -> AsyncIterator[Any]:
    with farmws.FarmSimulator(time_scale=0.05).run() as sim:
        async with open_client(flavour, farmws.Client, farmws.AsyncClient, sim.url("/"), client_id="nb") as client:
            yield client


def _globiots_rows(frame: Any) -> None:
    written = frame[frame["point"] == "0.0.0.1/3000"]
    assert len(written) >= 1 and set(written["value"]) == {24.59}  # the decimal the server sent
    assert frame["time"].notna().all()  # the server's time stamps


def _evok_rows(frame: Any) -> None:
    assert {"ro 2_01", "di 1_01", "ai 1_01"} <= set(frame["point"])
    assert set(frame.loc[frame["point"] == "ai 1_01", "unit"]) == {"V"}


def _xentara_rows(frame: Any) -> None:
    assert set(frame["point"]) == {"Plant.Temperature"}
    assert all(isinstance(v, float) for v in frame["value"])
    assert set(frame["quality"]) == {None}  # watch() subscribes to the Value only


def _oisp_rows(frame: Any) -> None:
    assert frame[["point", "name", "value"]].to_dict("records") == [
        {"point": "pump-7 LED", "name": "LED.v1.0", "value": "1"}
    ]


def _farmws_rows(frame: Any) -> None:
    assert set(frame["point"]) & {"temperature", "humidity", "soil_moisture"}
    assert all(isinstance(v, int | float) and not math.isnan(v) for v in frame["value"])


SCENARIOS: dict[str, tuple[Callable[[str], Any], Callable[[Any], None]]] = {
    "globiots": (_globiots, _globiots_rows),
    "evok": (_evok, _evok_rows),
    "xentara": (_xentara, _xentara_rows),
    "oisp": (_oisp, _oisp_rows),
    "farmws": (_farmws, _farmws_rows),
}


@pytest.mark.parametrize("protocol", SCENARIOS)
async def test_a_stream_becomes_a_dataframe(protocol: str, flavour: str) -> None:
    connect, check = SCENARIOS[protocol]
    async with connect(flavour) as client:
        frame = await _record(flavour, client, 1.0)
    assert list(frame.columns) == list(COLUMNS)
    assert len(frame) > 0 and set(frame["protocol"]) == {protocol}
    assert str(frame["time"].dt.tz) == "UTC" and frame["time"].notna().all()  # received times fill in
    check(frame)


def test_to_dataframe_of_a_list_and_rows_without_pandas() -> None:
    events = [
        evok.DeviceChanged(evok.AnalogInput("ai", "1_01", value=4.5, unit="V"), None),
        evok.DeviceRemoved(evok.Led("led", "1_01", 1)),  # no value: no row
    ]
    assert [row["point"] for row in rows(events)] == ["ai 1_01"]
    frame = to_dataframe(events)
    assert frame[["point", "value", "unit"]].to_dict("records") == [{"point": "ai 1_01", "value": 4.5, "unit": "V"}]
    assert frame["time"].isna().all()  # EVOK sends no time: none known for a plain list


def test_xentara_rows_name_the_quality_and_keep_the_server_time() -> None:
    import attrs
    from cbor2 import CBORTag

    stamp = xentara.Timestamp(1_700_000_000_123_456_789)
    values = {11: CBORTag(121, 1.5), 9: CBORTag(121, 2)}  # value 1.5, quality 2 (unreliable)
    change = xentara.DataChange.from_wire({0: stamp, 1: xentara.NIL_UUID, 2: values})
    assert rows([attrs.evolve(change, path="Plant.Temperature")]) == [{
        "time": change.timestamp.to_datetime(), "protocol": "xentara", "point": "Plant.Temperature", "name": None,
        "value": 1.5, "unit": None, "quality": "UNRELIABLE", "error": None,
    }]
    assert rows([change])[0]["point"] == str(xentara.NIL_UUID)  # no path known: the UUID


def test_without_pandas_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(UsageError, match=r"pip install 'iotws\[notebook\]'"):
        to_dataframe([])
    assert rows([]) == []  # rows() needs no pandas


async def test_record_checks_its_arguments() -> None:
    with evok.EvokSimulator().run() as sim, evok.Client(sim.url()) as client:
        for bad in (0, -1, math.inf, "1", True):
            with pytest.raises(UsageError, match="seconds"):
                record(client, bad)  # type: ignore[arg-type]
        with pytest.raises(UsageError, match="arecord"):
            record(evok.AsyncClient(sim.url()), 1)  # type: ignore[arg-type]
        with pytest.raises(UsageError, match="record"):
            await arecord(client, 1)  # type: ignore[arg-type]


def test_a_simulator_starts_and_stops_without_with() -> None:
    sim = evok.EvokSimulator().start_background()
    try:
        assert sim.start_background() is sim  # already running: nothing new
        with evok.Client(sim.url()) as client:
            assert client.set_relay("2_01", True).value == 1
        url = sim.url()
    finally:
        sim.stop_background()
    with pytest.raises(evok.ConnectError):
        evok.Client(url, connect_timeout=2, reconnect=None).connect()
    sim.stop_background()  # stopping twice is harmless
    assert sim.start_background() is sim  # and it starts again, on the same port
    try:
        with evok.Client(sim.url()) as client:
            assert client.state.device("ro", "2_01") is not None
    finally:
        sim.stop_background()
