"""Running a bridge in the test's event loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from iotws.bridge import Bridge, BridgeConfig, DeviceConfig, MqttConfig
from iotws.bridge.broker import LocalBroker
from iotws.cli import CONCEPTS, HEAD

#: The keys of a state message, in order: the CLI's ``value`` record.
STATE_KEYS = [*HEAD, *CONCEPTS["value"]]
RESULT_KEYS = [*HEAD, *CONCEPTS["result"]]


@contextlib.asynccontextmanager
async def bridging(
    broker: LocalBroker, *devices: DeviceConfig, ha: bool = False, shard: tuple[int, int] = (0, 1)
) -> AsyncIterator[Bridge]:
    """A bridge of ``devices`` to ``broker`` running in this loop; stopped (cleanly) at the end."""
    config = BridgeConfig(MqttConfig(broker.url, ha_discovery=ha), devices)
    bridge = Bridge(config, shard=shard)
    stop = asyncio.Event()
    task = asyncio.get_running_loop().create_task(bridge.run(stop))
    try:
        yield bridge
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
