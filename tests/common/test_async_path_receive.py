"""The driver scenario tables again, async only, on the ``ws.receive()`` path (the tap switched off).

The async driver taps aiohttp's parser when its internals are as expected and falls back to
reading with ``ws.receive()`` in its receive task otherwise; both paths must behave alike, so
every scenario of ``test_drivers`` and ``test_driver_faults`` runs here on the fallback too.
"""

from __future__ import annotations

import pytest

import iotws.async_driver as async_driver

from .test_driver_faults import *  # noqa: F403  # the scenarios, collected again under the fixtures below
from .test_drivers import *  # noqa: F403
from .test_drivers import sim, tls_sim  # noqa: F401  # their fixtures


@pytest.fixture
def flavour() -> str:
    """Async only: the sync driver has no tap."""
    return "async"


@pytest.fixture(autouse=True)
def _receive_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(async_driver, "TAP_FRAMES", False)
