"""The bridge: one MQTT link, one adapter per device, commands routed to their device.

Examples:
    >>> from iotws.bridge.config import BridgeConfig, DeviceConfig, MqttConfig
    >>> cfg = BridgeConfig(MqttConfig(prefix="plant"), [DeviceConfig("u1", "evok", "ws://127.0.0.1:9/ws")])
    >>> bridge = Bridge(cfg)
    >>> bridge.client_id, [d.id for d in bridge.devices]
    ('iotws-bridge', ['u1'])
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
from typing import Any

from iotws.bridge.adapters.base import Adapter, Command, PointInfo
from iotws.bridge.config import BridgeConfig, DeviceConfig
from iotws.bridge.topics import OFFLINE, ONLINE, Topics, command_value, dumps, result_payload
from iotws.cli import Record
from iotws.errors import IotwsError

__all__ = ["ADAPTERS", "Bridge", "DeviceChannel", "adapter_class"]

log = logging.getLogger("iotws.bridge")

#: The adapter class of each protocol, as ``module:class`` (imported when a device needs it).
ADAPTERS = {
    "evok": "iotws.bridge.adapters.evok:EvokAdapter",
    "globiots": "iotws.bridge.adapters.globiots:GlobiotsAdapter",
    "xentara": "iotws.bridge.adapters.xentara:XentaraAdapter",
    "oisp": "iotws.bridge.adapters.oisp:OispAdapter",
    "farmws": "iotws.bridge.adapters.farmws:FarmAdapter",
}


def adapter_class(protocol: str) -> type[Adapter]:
    """The adapter class for ``protocol``.

    Examples:
        >>> adapter_class("evok").__name__
        'EvokAdapter'
    """
    module, _, name = ADAPTERS[protocol].partition(":")
    cls: type[Adapter] = getattr(importlib.import_module(module), name)
    return cls


class DeviceChannel:
    """One device's side of the bridge: its topics, what it published, its availability."""

    def __init__(self, bridge: Bridge, device: DeviceConfig) -> None:
        self.bridge = bridge
        self.device = device
        self.protocol = device.protocol
        self.points: dict[str, PointInfo] = {}
        self.events = 0
        self.adapter: Adapter = adapter_class(device.protocol)(device, self)
        topics = bridge.topics
        self._base = topics.device(self.protocol, device.id) + "/"
        self._availability = topics.availability(self.protocol, device.id)

    def online(self, up: bool, reason: str | None = None) -> None:
        """Publish the device's availability."""
        self.bridge.link.publish(self._availability, (ONLINE if up else OFFLINE).encode(), retain=True, qos=1)
        if up:
            log.info("%s %s online", self.protocol, self.device.id)
        else:
            log.info("%s %s offline%s", self.protocol, self.device.id, f": {reason}" if reason else "")

    def state(self, info: PointInfo, payload: Record) -> None:
        """Publish a point's state (and, the first time, its discovery config)."""
        self.events += 1
        point = info.point
        self.bridge.link.publish(self._base + point + "/state", dumps(payload), retain=True)
        if point not in self.points:
            self.points[point] = info
            self.bridge.announce(self, info)

    def event(self, point: str, payload: Record) -> None:
        """Publish an event (not retained)."""
        self.events += 1
        self.bridge.link.publish(self._base + point + "/event", dumps(payload), qos=1)

    def removed(self, point: str) -> None:
        """Clear a point's retained state (and its discovery config)."""
        info = self.points.pop(point, None)
        self.bridge.link.publish(self._base + point + "/state", b"", retain=True)
        if info is not None:
            self.bridge.announce(self, info, remove=True)
        log.info("%s %s: %s is gone", self.protocol, self.device.id, point)

    def resynced(self, points: set[str]) -> None:
        """Remove the points a full state no longer has."""
        for point in [p for p in self.points if p not in points]:
            self.removed(point)


class Bridge:
    """Links the devices of a config (or of one shard of it) to an MQTT broker.

    ``shard=(K, N)`` keeps the devices whose stable hash falls in shard ``K`` of ``N``
    ([`shard_of`][iotws.bridge.shard_of]). ``await bridge.run(stop)`` runs until
    ``stop`` is set (or the task is cancelled), then says ``offline`` for every device
    and for itself.
    """

    def __init__(self, config: BridgeConfig, *, shard: tuple[int, int] = (0, 1)) -> None:
        self.config = config
        self.shard = shard
        self.devices = config.shard(*shard)
        index, count = shard
        self.client_id = config.mqtt.client_id or "iotws-bridge" + (f"-{index}-of-{count}" if count > 1 else "")
        self.topics = Topics(config.mqtt.prefix)
        self.commands = 0
        self._link: Any = None
        self.channels: dict[tuple[str, str], DeviceChannel] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def link(self) -> Any:
        """The ``MqttLink`` (made by ``run()``)."""
        if self._link is None:
            raise RuntimeError("the bridge is not running")
        return self._link

    def announce(self, channel: DeviceChannel, info: PointInfo, *, remove: bool = False) -> None:
        """Publish (or remove) a point's Home Assistant discovery config, when discovery is on."""
        mqtt = self.config.mqtt
        if not mqtt.ha_discovery or info.component is None:
            return
        from iotws.bridge.ha import discovery

        topic, payload = discovery(self.topics, mqtt.ha_prefix, self.client_id, channel.protocol,
                                   channel.device.id, info)
        self.link.publish(topic, b"" if remove else dumps(payload), retain=True, qos=1)

    async def run(self, stop: asyncio.Event | None = None) -> None:
        """Run until ``stop`` is set or the task is cancelled."""
        from iotws.bridge.link import MqttLink

        loop = asyncio.get_running_loop()
        self._link = MqttLink(self.config.mqtt, self.client_id, self.topics.bridge_availability(self.client_id),
                              self._on_message)
        filters: list[str] = []
        for device in self.devices:
            channel = DeviceChannel(self, device)
            self.channels[device.protocol, device.id] = channel
            channel.online(False, "starting")
            filters += self.topics.command_filters(device.protocol, device.id, channel.adapter.depths)
        self.link.subscribe(filters)
        link_task = loop.create_task(self.link.run(), name="iotws-bridge-mqtt")
        adapters = [loop.create_task(c.adapter.run(), name=f"iotws-bridge-{key[0]}-{key[1]}")
                    for key, c in self.channels.items()]
        log.info("bridge %s: %d device(s), MQTT %s", self.client_id, len(self.channels), self.config.mqtt.host)
        try:
            if stop is None:
                await asyncio.Future()
            else:
                await stop.wait()
        finally:
            for task in adapters:
                task.cancel()
            for task in adapters:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            for channel in self.channels.values():
                with contextlib.suppress(Exception):
                    await channel.adapter.close()
                channel.online(False, "bridge stopped")
            self.link.publish(self.link.will_topic, OFFLINE.encode(), retain=True, qos=1)
            if self.link.connected.is_set():
                await self.link.flush(5.0)
            for task in list(self._tasks):
                task.cancel()
            link_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await link_task

    # -- commands ------------------------------------------------------------------------

    def _on_message(self, topic: str, payload: bytes) -> None:
        prefix = self.topics.prefix + "/"
        if not topic.startswith(prefix) or not topic.endswith("/set"):
            return
        protocol, _, rest = topic[len(prefix) :].partition("/")
        device, _, _ = rest.partition("/")
        channel = self.channels.get((protocol, device))
        if channel is None:
            return
        point = self.topics.point_of(protocol, device, topic)
        if point is None:
            return
        self.commands += 1
        task = asyncio.get_running_loop().create_task(self._command(channel, point, payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _command(self, channel: DeviceChannel, point: str, payload: bytes) -> None:
        value, params, ident = command_value(payload)
        request: dict[str, Any] = {"value": value, "params": params, "id": ident}
        protocol = channel.protocol
        result: Record
        if not channel.adapter.up:
            result = result_payload(protocol, point, ok=False, error=f"{channel.device.id} is offline",
                                    detail={"request": request})
        else:
            try:
                confirmed, state = await channel.adapter.command(point, Command(value, params, ident))
            except (IotwsError, ValueError, TypeError) as exc:
                text = str(exc) or type(exc).__name__
                result = result_payload(protocol, point, ok=False, error=text,
                                        detail={"request": request, "kind": type(exc).__name__})
            else:
                result = result_payload(protocol, point, ok=True, value=confirmed,
                                        detail={"request": request, "state": state})
        self.link.publish(self.topics.result(protocol, channel.device.id, point), dumps(result), qos=1)
