"""A real broker on a free loopback port (Mosquitto when on PATH, else amqtt) and an MQTT watcher."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aiomqtt  # in the test extra, as in the mqtt extra
import pytest

from iotws.bridge.broker import LocalBroker

#: How long a test waits for something the bridge must do (a bound, not a measurement).
WAIT = 30.0


@pytest.fixture
def broker() -> Iterator[LocalBroker]:
    """A broker of its own for each test (mosquitto when on PATH, else amqtt)."""
    with LocalBroker() as running:
        yield running


class Watcher:
    """Every message of some subscriptions: ``latest`` by topic, ``log`` in order."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self.client = client
        self.latest: dict[str, bytes] = {}
        self.retained: dict[str, bool] = {}
        self.log: list[tuple[str, bytes]] = []
        self._changed = asyncio.Event()

    def json(self, topic: str) -> Any:
        """The latest payload of ``topic`` as JSON."""
        return json.loads(self.latest[topic])

    def topics(self, prefix: str = "", suffix: str = "") -> list[str]:
        """Topics seen with a non-empty latest payload."""
        return sorted(t for t, p in self.latest.items() if p and t.startswith(prefix) and t.endswith(suffix))

    async def _pump(self) -> None:
        async for message in self.client.messages:
            payload = message.payload if isinstance(message.payload, bytes) else str(message.payload).encode()
            topic = message.topic.value
            self.latest[topic] = payload
            self.retained[topic] = bool(message.retain)
            self.log.append((topic, payload))
            self._changed.set()

    async def until(self, check: Callable[[], Any], what: str, timeout: float = WAIT) -> Any:
        """Wait until ``check()`` is true (returns it); fails naming ``what`` after ``timeout`` s."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = check()
            if result:
                return result
            left = deadline - loop.time()
            if left <= 0:
                pytest.fail(f"waited {timeout:g} s for {what}; seen: {sorted(self.latest)[:40]}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(left, 0.5))

    async def publish(self, topic: str, payload: str | bytes, qos: int = 1) -> None:
        """Publish as a user would."""
        await self.client.publish(topic, payload, qos=qos)


@contextlib.asynccontextmanager
async def watching(broker: LocalBroker, *filters: str) -> AsyncIterator[Watcher]:
    """A :class:`Watcher` of ``filters`` on ``broker``."""
    async with aiomqtt.Client("127.0.0.1", broker.port) as client:
        watcher = Watcher(client)
        for topic in filters:
            await client.subscribe(topic, qos=1)
        task = asyncio.get_running_loop().create_task(watcher._pump())
        try:
            yield watcher
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, aiomqtt.MqttError):
                await task
