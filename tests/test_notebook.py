"""iotws.notebook: any protocol's stream into a pandas DataFrame; simulators started without ``with``.

Every protocol's simulator and client over loopback, on both flavours (``record`` / ``live`` for
the sync client, ``await arecord`` / ``await alive`` for the asyncio one); the live table's updates
in a real Jupyter kernel (jupyter_client, the messages a notebook front end receives).
"""

from __future__ import annotations

import asyncio
import math
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from iotws import evok, farmws, globiots, oisp, xentara
from iotws.codec import DataType
from iotws.errors import UsageError
from iotws.notebook import COLUMNS, alive, arecord, live, record, rows, to_dataframe
from iotws.testing import open_client, resolve

pandas = pytest.importorskip("pandas")  # the test extra installs it; the notebook extra too


async def _record(flavour: str, client: Any, seconds: float) -> Any:
    return record(client, seconds) if flavour == "sync" else await arecord(client, seconds)


async def _live(flavour: str, client: Any, seconds: float, every: float) -> Any:
    return live(client, seconds, every) if flavour == "sync" else await alive(client, seconds, every)


def _latest(frame: Any) -> Any:
    """The newest row of each point, sorted as the live table sorts them (pandas' own way to get it)."""
    newest = frame.drop_duplicates(["protocol", "point"], keep="last")
    return newest.sort_values(["protocol", "point"]).reset_index(drop=True)


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


@pytest.mark.parametrize("protocol", SCENARIOS)
async def test_live_collects_the_stream_and_shows_the_latest_value_of_each_point(
    protocol: str, flavour: str, capsys: pytest.CaptureFixture[str]
) -> None:
    connect, check = SCENARIOS[protocol]
    async with connect(flavour) as client:
        frame = await _live(flavour, client, 1.0, 0.2)
    assert list(frame.columns) == list(COLUMNS) and set(frame["protocol"]) == {protocol}
    check(frame)  # every value collected, as record() gives them
    latest = _latest(frame)
    assert len(latest) == frame["point"].nunique() >= 1
    # not in a Jupyter kernel: the last table (one row per point, its newest value) is printed at the end
    assert capsys.readouterr().out == latest.to_string(index=False) + "\n"


async def test_live_returns_when_the_client_is_closed(flavour: str, capsys: pytest.CaptureFixture[str]) -> None:
    async with _evok(flavour) as client:
        await resolve(client.close())
        frame = await _live(flavour, client, 3600, 0.5)  # the stream has ended: no hour of waiting
    assert list(frame.columns) == list(COLUMNS)
    assert capsys.readouterr().out == _latest(frame).to_string(index=False) + "\n"


async def test_live_checks_its_arguments_and_needs_pandas(monkeypatch: pytest.MonkeyPatch) -> None:
    with evok.EvokSimulator().run() as sim, evok.Client(sim.url()) as client:
        async with evok.AsyncClient(sim.url()) as async_client:
            for bad in (0, -1, math.inf, "1", True):
                with pytest.raises(UsageError, match="live: seconds"):
                    live(client, bad)  # type: ignore[arg-type]
                with pytest.raises(UsageError, match="alive: every"):
                    await alive(async_client, 1, every=bad)  # type: ignore[arg-type]
            with pytest.raises(UsageError, match="alive"):
                live(async_client, 1)  # type: ignore[arg-type]
            with pytest.raises(UsageError, match="live"):
                await alive(client, 1)  # type: ignore[arg-type]
            monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
            with pytest.raises(UsageError, match=r"pip install 'iotws\[notebook\]'"):
                live(client, 3600)  # raised before it waits
            with pytest.raises(UsageError, match=r"pip install 'iotws\[notebook\]'"):
                await alive(async_client, 3600)


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


# -- the live table in a real Jupyter kernel -------------------------------------------------------

SETUP = """
from iotws.globiots import AsyncClient, Client, DataType, GlobiotsSimulator, Point
from iotws.notebook import alive, live

sim = GlobiotsSimulator(["0.0.0.1"], time_scale=20).start_background()
points = [Point("0.0.0.1", "3000", DataType.FLOAT), Point("0.0.0.1", "2006", DataType.UINT32)]
client = Client(sim.base_url).connect()
client.subscribe(points, update_time=1)
async_client = await AsyncClient(sim.base_url).connect()
_ = await async_client.subscribe(points, update_time=1)
"""

LATEST = """
newest = frame.drop_duplicates(["protocol", "point"], keep="last")
print(repr(newest.sort_values(["protocol", "point"]).reset_index(drop=True)))
print(sorted(frame["point"].unique()))
"""


class Kernel:
    """A Jupyter kernel and the messages each cell sends to the front end."""

    def __init__(self) -> None:
        manager = pytest.importorskip("jupyter_client.manager")
        pytest.importorskip("ipykernel")
        self.manager, self.client = manager.start_new_kernel(kernel_name="python3")

    def run(self, code: str, interrupt_after_updates: int | None = None) -> list[dict[str, Any]]:
        """Run one cell; its iopub messages (stream, display, result) up to the kernel going idle."""
        msg_id = self.client.execute(code)
        messages, updates = [], 0
        while True:
            message = self.client.get_iopub_msg(timeout=60)  # a cell that hangs fails here
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind = message["msg_type"]
            if kind == "status" and message["content"]["execution_state"] == "idle":
                break
            if kind == "error":
                pytest.fail(f"the cell raised {message['content']['ename']}: {message['content']['evalue']}")
            if kind in ("stream", "display_data", "update_display_data", "execute_result"):
                messages.append({"type": kind, **message["content"]})
            if kind == "update_display_data":
                updates += 1
                if updates == interrupt_after_updates:
                    self.manager.interrupt_kernel()
        reply = self.client.get_shell_msg(timeout=60)
        assert reply["parent_header"]["msg_id"] == msg_id and reply["content"]["status"] == "ok"
        return messages

    def shutdown(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)


@pytest.fixture(scope="module")
def kernel() -> Iterator[Kernel]:
    started = Kernel()
    try:
        assert started.run(SETUP) == []
        yield started
        started.run("client.close()\nawait async_client.close()\nsim.stop_background()")
    finally:
        started.shutdown()


def _printed(messages: list[dict[str, Any]]) -> str:
    return "".join(m["text"] for m in messages if m["type"] == "stream" and m["name"] == "stdout")


def _check_live_cell(kernel: Kernel, messages: list[dict[str, Any]]) -> None:
    """One table displayed, updated in place more than once, ending as the latest row of each point."""
    shown = [m for m in messages if m["type"] == "display_data"]
    assert len(shown) == 1 and "text/html" in shown[0]["data"]  # a DataFrame, as Jupyter draws it
    display_id = shown[0]["transient"]["display_id"]
    updates = [m for m in messages if m["type"] == "update_display_data"]
    assert len(updates) >= 2 and {m["transient"]["display_id"] for m in updates} == {display_id}
    assert [m["type"] for m in messages] == ["display_data"] + ["update_display_data"] * len(updates)  # no print
    texts = [m["data"]["text/plain"] for m in updates]
    assert len(set(texts)) >= 2  # the values changed in place (the counter counts on)
    latest, points = _printed(kernel.run(LATEST)).rsplit("\n", 2)[:2]
    assert texts[-1] == latest  # the table's last state: the newest row of each point, sorted
    assert points == "['0.0.0.1/2006', '0.0.0.1/3000']"


@pytest.mark.parametrize("call", ["live(client, seconds=1.5, every=0.2)",
                                  "await alive(async_client, seconds=1.5, every=0.2)"])
def test_the_live_table_updates_in_place_in_a_kernel(kernel: Kernel, call: str) -> None:
    messages = kernel.run(f"frame = {call}")
    _check_live_cell(kernel, messages)


@pytest.mark.parametrize("call", ["live(client, seconds=3600, every=0.1)",
                                  "await alive(async_client, seconds=3600, every=0.1)"])
def test_interrupting_the_live_cell_returns_what_came(kernel: Kernel, call: str) -> None:
    messages = kernel.run(f"frame = {call}", interrupt_after_updates=3)  # else an hour, and run() fails
    _check_live_cell(kernel, messages)
    assert _printed(kernel.run("print(client.connected, async_client.connected)")) == "True True\n"
