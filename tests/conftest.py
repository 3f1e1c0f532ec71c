"""Shared test configuration: every client scenario runs on both flavours."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from iotws.testing import FLAVOURS

settings.register_profile(
    "ci", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=60, deadline=None)
settings.load_profile("ci")


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> str:
    """``"sync"`` or ``"async"``: pick ``Client`` or ``AsyncClient`` from it."""
    return str(request.param)
