"""The pytest plugin's fixtures and markers, used as a user's test suite uses them."""

from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path
from typing import Any

import pytest

from iotws.evok import AsyncClient as EvokAsyncClient
from iotws.evok import Client as EvokClient
from iotws.evok import EvokSimulator
from iotws.farmws import Temperature
from iotws.globiots import DataType, Point, ResponseCode
from iotws.oisp import Pong

pytest_plugins = ["pytester"]

SETPOINT = Point("0.0.0.1", "3000", DataType.FLOAT)


# -- one real exchange per protocol and flavour ---------------------------------------


def test_globiots_client_fixture(globiots_client: Any) -> None:
    assert globiots_client.set(SETPOINT, 3.5).code is ResponseCode.SUCCESS


async def test_globiots_async_client_fixture(globiots_async_client: Any) -> None:
    assert (await globiots_async_client.set(SETPOINT, 3.5)).code is ResponseCode.SUCCESS


def test_evok_client_fixture(evok_simulator: EvokSimulator, evok_client: EvokClient) -> None:
    assert evok_client.set_relay("2_01", True).value == 1
    assert evok_simulator.device("ro", "2_01")["value"] == 1


async def test_evok_async_client_fixture(evok_simulator: EvokSimulator, evok_async_client: EvokAsyncClient) -> None:
    assert (await evok_async_client.set_relay("2_02", True)).value == 1
    assert evok_simulator.device("ro", "2_02")["value"] == 1


def test_xentara_client_fixture(xentara_client: Any) -> None:
    xentara_client.write_value("Group 1.Setpoint", 42.5)
    assert xentara_client.read_value("Group 1.Setpoint") == 42.5


async def test_xentara_async_client_fixture(xentara_async_client: Any) -> None:
    await xentara_async_client.write_value("Group 1.Setpoint", 17.25)
    assert await xentara_async_client.read_value("Group 1.Setpoint") == 17.25


def test_oisp_client_fixture(oisp_simulator: Any, oisp_client: Any) -> None:
    assert oisp_client.ping() == Pong("PONG")
    oisp_simulator.actuate_sync("acc-1", "dev-1", "LED.v1.0", {"LED": "1"})
    assert next(oisp_client.actuations(timeout=5)).param("LED") == "1"


async def test_oisp_async_client_fixture(oisp_simulator: Any, oisp_async_client: Any) -> None:
    assert await oisp_async_client.ping() == Pong("PONG")
    await asyncio.to_thread(oisp_simulator.actuate_sync, "acc-1", "dev-1", "LED.v1.0", {"LED": "0"})
    async for actuation in oisp_async_client.actuations(timeout=5):
        assert actuation.param("LED") == "0"
        break
    else:
        pytest.fail("no actuation arrived")


def test_oisp_token_keys_sign_the_fixture_tokens(oisp_simulator: Any, oisp_token_keys: Any) -> None:
    assert oisp_simulator.keys is oisp_token_keys
    assert oisp_token_keys.verify(oisp_simulator.issue_token("d", "a"))["sub"] == "d"


def test_farmws_client_fixture(farmws_client: Any) -> None:
    assert farmws_client.next_event(Temperature, timeout=5).record is not None


async def test_farmws_async_client_fixture(farmws_async_client: Any) -> None:
    assert (await farmws_async_client.next_event(Temperature, timeout=5)).record is not None


# -- markers ---------------------------------------------------------------------------


@pytest.mark.iotws_simulator(v2=True)
def test_simulator_marker_runs_evok_v2(evok_client: EvokClient) -> None:
    relay = evok_client.state.device("relay", "2_01")
    assert relay is not None
    assert relay.dev == "relay"  # v2 names on the wire


@pytest.mark.iotws_simulator(v2=True)
async def test_simulator_marker_runs_evok_v2_async(evok_async_client: EvokAsyncClient) -> None:
    relay = evok_async_client.state.device("relay", "2_01")
    assert relay is not None
    assert relay.dev == "relay"


@pytest.mark.iotws_simulator(faults={"delay": 0.05})
def test_simulator_marker_switches_faults_on(evok_simulator: EvokSimulator) -> None:
    assert evok_simulator.faults.delay == 0.05


@pytest.mark.iotws_simulator(tls=True)
def test_xentara_tls_marker(xentara_simulator: Any, xentara_client: Any) -> None:
    assert xentara_simulator.url().startswith("wss://")
    assert xentara_client.options.verify is not False
    assert xentara_client.read_value("Group 1.Switch") in (True, False)


@pytest.mark.iotws_simulator(tls=True)
async def test_xentara_tls_marker_async(xentara_simulator: Any, xentara_async_client: Any) -> None:
    assert xentara_simulator.url().startswith("wss://")
    assert await xentara_async_client.read_value("Group 1.Switch") in (True, False)


@pytest.mark.iotws_client(device_id="pump-7", account_id="farm")
def test_oisp_client_marker_picks_the_device(oisp_simulator: Any, oisp_client: Any) -> None:
    assert oisp_client.device_id == "pump-7"
    oisp_simulator.actuate_sync("farm", "pump-7", "LED.v1.0", {"LED": "1"})
    assert next(oisp_client.actuations(timeout=5)).param("LED") == "1"


@pytest.mark.iotws_client(device_id="pump-8", account_id="farm")
async def test_oisp_client_marker_picks_the_device_async(oisp_simulator: Any, oisp_async_client: Any) -> None:
    assert oisp_async_client.device_id == "pump-8"
    assert await oisp_async_client.ping() == Pong("PONG")


@pytest.mark.iotws_client(request_timeout=2.5)
class TestClosestMarkerWins:
    def test_class_marker(self, evok_client: EvokClient) -> None:
        assert evok_client.options.request_timeout == 2.5

    @pytest.mark.iotws_client(request_timeout=1.5)
    def test_test_marker_overrides_class_marker(self, evok_client: EvokClient) -> None:
        assert evok_client.options.request_timeout == 1.5

    @pytest.mark.iotws_client(request_timeout=1.5)
    async def test_async_too(self, evok_async_client: EvokAsyncClient) -> None:
        assert evok_async_client.options.request_timeout == 1.5


# -- what a user sees when something is wrong, and what the plugin costs ---------------


def _write_project(root: Path, body: str) -> None:
    (root / "test_user.py").write_text(textwrap.dedent(body))


def test_bad_marker_options_fail_the_test_with_a_clear_error(pytester: pytest.Pytester) -> None:
    _write_project(
        pytester.path,
        """
        import pytest

        @pytest.mark.iotws_simulator(no_such_option=1)
        def test_a(evok_simulator):
            pass

        @pytest.mark.iotws_simulator(faults={"slow": True})
        def test_b(evok_simulator):
            pass
        """,
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*UsageError: iotws_simulator marker for evok:*unexpected keyword argument 'no_such_option'*",
            "*UsageError: iotws_simulator marker: unknown fault 'slow'*",
        ]
    )


def test_a_run_that_uses_no_fixture_imports_no_protocol(pytester: pytest.Pytester) -> None:
    _write_project(
        pytester.path,
        """
        import sys

        def test_nothing_of_iotws_loaded():
            assert "iotws.pytest_plugin" in sys.modules  # the plugin is active...
            loaded = sorted(name for name in sys.modules if name.startswith("iotws."))
            protocols = [name for name in loaded if name.split(".")[1] in
                         ("globiots", "evok", "xentara", "oisp", "farmws")]
            assert protocols == [], protocols  # ...yet no protocol code, hence no simulator, is loaded
            assert not any(name.endswith(".simulator") for name in loaded)
            assert "aiohttp" not in sys.modules
        """,
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_the_plugin_can_be_switched_off(pytester: pytest.Pytester) -> None:
    _write_project(
        pytester.path,
        """
        import sys

        def test_off(request):
            assert "iotws.pytest_plugin" not in sys.modules
            with __import__("pytest").raises(Exception, match="evok_simulator"):
                request.getfixturevalue("evok_simulator")
        """,
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:iotws")
    result.assert_outcomes(passed=1)


def test_async_fixture_without_pytest_asyncio_says_what_is_missing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a project without pytest-asyncio: a module of that name that cannot be imported shadows it
    shadow = pytester.mkdir("shadow")
    (shadow / "pytest_asyncio.py").write_text("raise ImportError('pytest-asyncio is not installed here')\n")
    monkeypatch.setenv("PYTHONPATH", str(shadow))
    _write_project(
        pytester.path,
        """
        def test_needs_asyncio(evok_async_client):
            pass
        """,
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:asyncio")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*evok_async_client fixture needs pytest-asyncio: pip install pytest-asyncio*"])
