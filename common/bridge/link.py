"""The bridge's MQTT link (aiomqtt): reconnect with backoff, a Last Will, and bounded buffers.

States are retained: the link keeps the latest payload of every retained topic and
publishes all of them again after each (re)connect, so a broker that restarted
without its store, or that missed messages while away, shows the full state again.
While the broker is away, retained states coalesce (only the latest per topic waits);
other messages (events, command results) wait in a bounded buffer whose overflow is
dropped, counted in ``MqttLink.dropped``, and logged once per outage.

aiomqtt is imported when a link is first built: the ``mqtt`` extra
(``pip install 'iotws[mqtt]'``).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import ssl
from collections.abc import Callable, Iterable
from typing import Any

from iotws.backoff import ReconnectPolicy
from iotws.bridge.config import MqttConfig
from iotws.bridge.topics import OFFLINE, ONLINE
from iotws.errors import UsageError

__all__ = ["MqttLink", "import_aiomqtt"]

log = logging.getLogger("iotws.bridge")
#: aiomqtt's own logger: it warns about every publish beyond ten awaiting their
#: acknowledgement, which is the normal state of a bridge that keeps a window of them.
_mqtt_log = logging.getLogger("iotws.bridge.mqtt")
_mqtt_log.addFilter(lambda rec: "pending publish calls" not in rec.getMessage())

#: Messages handed to the client at once; paho keeps at most its in-flight window on the wire.
_BATCH = 256


def import_aiomqtt() -> Any:
    """The aiomqtt module, or a ``UsageError`` that says how to install it."""
    try:
        import aiomqtt
    except ImportError:
        raise UsageError("the bridge needs the mqtt extra: pip install 'iotws[mqtt]'") from None
    return aiomqtt


class MqttLink:
    """One MQTT connection that stays up: publish without waiting, commands in through ``on_message``.

    ``will_topic`` gets ``online`` (retained) on every connect and ``offline`` as the
    Last Will; ``on_message(topic, payload)`` is called for every message of the
    subscriptions (``subscribe()``), which are renewed on every connect. The session
    is persistent (``clean_session=False``) under ``client_id``.
    """

    def __init__(
        self,
        config: MqttConfig,
        client_id: str,
        will_topic: str,
        on_message: Callable[[str, bytes], None],
        *,
        retry: ReconnectPolicy | None = None,
    ) -> None:
        self.config = config
        self.client_id = client_id
        self.will_topic = will_topic
        self.on_message = on_message
        self.retry = retry or ReconnectPolicy(initial_delay=0.2, max_delay=10.0)
        #: Messages dropped because the buffer was full (the broker away, or slow).
        self.dropped = 0
        #: Messages handed to the broker.
        self.published = 0
        #: Connections made (1 after the first).
        self.connections = 0
        self.connected = asyncio.Event()
        self._aiomqtt = import_aiomqtt()
        self._retained: dict[str, bytes] = {}
        self._dirty: dict[str, tuple[bytes, int]] = {}
        self._queue: collections.deque[tuple[str, bytes, int]] = collections.deque()
        self._filters: list[str] = []
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._client: Any = None
        self._warned = False

    # -- what the bridge calls ------------------------------------------------------------

    def publish(self, topic: str, payload: bytes, *, retain: bool = False, qos: int | None = None) -> None:
        """Queue a message; returns at once. A retained empty payload deletes the topic."""
        level = self.config.qos if qos is None else qos
        if retain:
            if payload:
                self._retained[topic] = payload
            else:
                self._retained.pop(topic, None)
            self._dirty[topic] = (payload, level)
        else:
            if len(self._queue) >= self.config.buffer:
                self._queue.popleft()
                self._drop()
            self._queue.append((topic, payload, level))
        self._idle.clear()
        self._wake.set()

    def retained(self) -> dict[str, bytes]:
        """The retained topics this link keeps up, with their payloads (a copy)."""
        return dict(self._retained)

    def subscribe(self, filters: Iterable[str]) -> None:
        """Add subscriptions (QoS 1), kept for every later connection."""
        new = [f for f in filters if f not in self._filters]
        self._filters.extend(new)
        client = self._client
        if new and client is not None and self.connected.is_set():
            task = asyncio.get_running_loop().create_task(self._subscribe(client, new))
            task.add_done_callback(_log_failure)

    async def flush(self, timeout: float) -> bool:
        """Wait until everything queued went out (``False`` after ``timeout`` s)."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    @property
    def idle(self) -> bool:
        """Whether everything handed over went out and was acknowledged (QoS 1 and 2)."""
        return self._idle.is_set()

    @property
    def pending(self) -> int:
        """Messages waiting to go out."""
        return len(self._dirty) + len(self._queue)

    # -- the connection ---------------------------------------------------------------------

    def _drop(self) -> None:
        self.dropped += 1
        if not self._warned:
            self._warned = True
            log.warning(
                "MQTT buffer full (%d messages): dropping the oldest (the broker is away or slow); "
                "states are republished on reconnect", self.config.buffer,
            )

    def _client_of(self) -> Any:
        aiomqtt = self._aiomqtt
        tls = ssl.create_default_context() if self.config.tls else None
        return aiomqtt.Client(
            self.config.host, self.config.port, username=self.config.user, password=self.config.secret,
            identifier=self.client_id, clean_session=False, keepalive=self.config.keepalive,
            will=aiomqtt.Will(self.will_topic, OFFLINE, qos=1, retain=True), tls_context=tls,
            timeout=30.0, logger=_mqtt_log,
        )

    async def run(self) -> None:
        """Stay connected until cancelled: connect, renew subscriptions, republish, send, receive."""
        aiomqtt = self._aiomqtt
        attempt = 0
        while True:
            try:
                async with self._client_of() as client:
                    self._client = client
                    attempt = 0
                    self.connections += 1
                    log.info("MQTT connected to %s:%d as %s", self.config.host, self.config.port, self.client_id)
                    await self._session(client)
            except aiomqtt.MqttError as exc:
                if self.connected.is_set() or attempt == 0:
                    log.warning("MQTT link to %s:%d down: %s", self.config.host, self.config.port, exc)
            finally:
                self.connected.clear()
                self._client = None
            attempt += 1
            await asyncio.sleep(self.retry.delay(attempt))

    async def _subscribe(self, client: Any, filters: list[str]) -> None:
        for start in range(0, len(filters), 64):
            await client.subscribe([(f, 1) for f in filters[start : start + 64]])

    async def _session(self, client: Any) -> None:
        await client.publish(self.will_topic, ONLINE, qos=1, retain=True)
        if self._filters:
            await self._subscribe(client, list(self._filters))
        for topic, payload in self._retained.items():  # the full state again, after the deletions queued
            self._dirty.setdefault(topic, (payload, self.config.qos))
        if self.dropped and self._warned:
            log.warning("MQTT link back: %d messages were dropped while it was away", self.dropped)
        self._warned = False
        self.connected.set()
        self._wake.set()
        sender = asyncio.get_running_loop().create_task(self._send(client))
        try:
            async for message in client.messages:
                payload = message.payload
                data = payload if isinstance(payload, bytes) else str(payload).encode()
                try:
                    self.on_message(message.topic.value, data)
                except Exception:  # a handler's bug must not take the link down
                    log.exception("handling an MQTT message on %s failed", message.topic.value)
        finally:
            sender.cancel()
            try:
                await sender
            except asyncio.CancelledError:
                pass
            except self._aiomqtt.MqttError:
                pass

    async def _send(self, client: Any) -> None:
        while True:
            if not self._dirty and not self._queue:
                self._idle.set()
                self._wake.clear()
                await self._wake.wait()
            batch: list[tuple[str, bytes, int, bool]] = []
            while self._dirty and len(batch) < _BATCH:
                topic = next(iter(self._dirty))
                payload, qos = self._dirty.pop(topic)
                batch.append((topic, payload, qos, True))
            while self._queue and len(batch) < _BATCH:
                topic, payload, qos = self._queue.popleft()
                batch.append((topic, payload, qos, False))
            results = await asyncio.gather(
                *(client.publish(t, p, qos=q, retain=r) for t, p, q, r in batch), return_exceptions=True
            )
            failed = [item for item, result in zip(batch, results, strict=True) if isinstance(result, BaseException)]
            self.published += len(batch) - len(failed)
            if failed:
                for topic, payload, qos, retain in failed:  # back in line for the next connection
                    if retain:
                        if topic not in self._dirty:
                            self._dirty[topic] = (payload, qos)
                    elif len(self._queue) < self.config.buffer:
                        self._queue.appendleft((topic, payload, qos))
                    else:
                        self._drop()
                raise next(r for r in results if isinstance(r, BaseException))


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("MQTT subscribe failed: %s", task.exception())
