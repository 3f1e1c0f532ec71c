"""Row 14: events through ``iotws bridge`` into an MQTT broker, 1,000 EVOK devices in one process.

The baseline is the same 1,000 EVOK ``AsyncClient`` connections consuming the same events
themselves (``events()``); the subject is a :class:`~iotws.bridge.Bridge` of 1,000 devices
on those same streams, publishing every event as a retained JSON state (QoS 1, the default)
and counted once the broker acknowledged it. The push server (pre-framed ``ro`` messages
after the ``all`` reply) and the broker (Mosquitto when on PATH, else amqtt) run in
processes of their own; connecting the 1,000 links is inside both clocks. The figure is
the bridge's event rate over the clients' rate; the CPU column is the same ratio of
events per CPU second, so its inverse is the bridge's CPU per event relative to the
clients alone.
"""

from __future__ import annotations

import asyncio
import contextlib

from tests.bench.harness import Clock, Context, Result, Sample, error, interleave, rate_result

#: Informational: no budget yet (the first figures decide one).
BUDGET: float | None = None


def _urls(port: int, devices: int, per_device: int) -> list[str]:
    return [f"ws://127.0.0.1:{port}/evok/ro/{per_device}/ws" for _ in range(devices)]


async def clients_alone(urls: list[str], per_device: int) -> Sample:
    """The baseline: every client reads its own stream to the end."""
    from iotws.evok import AsyncClient
    from iotws.evok.protocol import DeviceChanged

    clock = Clock()
    clock.start()

    async def one(url: str) -> int:
        seen = 0
        async with AsyncClient(url, reconnect=None, connect_timeout=120.0) as client:
            async for event in client.events():
                if isinstance(event, DeviceChanged) and not event.resync:
                    seen += 1
                    if seen == per_device:
                        break
        return seen

    counts = await asyncio.gather(*(one(url) for url in urls))
    return clock.stop(sum(counts))


async def through_bridge(urls: list[str], per_device: int, broker_url: str) -> Sample:
    """The subject: a bridge of the same devices, until the broker acknowledged every event."""
    from iotws.bridge import Bridge, BridgeConfig, DeviceConfig, MqttConfig

    devices = [DeviceConfig(f"u{n:04d}", "evok", url, options={"reconnect": None, "connect_timeout": 120.0})
               for n, url in enumerate(urls)]
    bridge = Bridge(BridgeConfig(MqttConfig(broker_url, buffer=1_000_000), devices))
    stop = asyncio.Event()
    clock = Clock()
    clock.start()
    task = asyncio.get_running_loop().create_task(bridge.run(stop))
    expected = len(urls) * per_device
    try:
        while True:
            channels = list(bridge.channels.values())
            # every pushed event became a state (the snapshot's states come on top of them)
            pushed = sum(c.events for c in channels) - sum(30 for c in channels if c.points)
            if channels and pushed >= expected and bridge.link.connected.is_set() and bridge.link.idle:
                break
            if task.done():
                task.result()
                raise RuntimeError("the bridge stopped")
            await asyncio.sleep(0.01)
        sample = clock.stop(expected)
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 60)
    return sample


def rows_bridge(ctx: Context) -> list[Result]:
    """Row 14: the bridge's events/s into the broker over the clients' own, 1,000 EVOK devices."""
    name = "14 bridge 1,000 EVOK devices -> MQTT: / clients alone"
    try:
        from iotws.bridge.broker import LocalBroker
        from tests.bench.servers import raise_fd_limit

        raise_fd_limit()
        devices = ctx.count(1000, 20)
        per_device = ctx.count(100, 5)
        port = ctx.servers.get("push").port
        urls = _urls(port, devices, per_device)
        with LocalBroker() as broker:
            def baseline() -> Sample:
                return asyncio.run(clients_alone(urls, per_device))

            def subject() -> Sample:
                return asyncio.run(through_bridge(urls, per_device, broker.url))

            pairs = interleave(baseline, subject, ctx.rounds, ctx.warmup)
            result = rate_result(name, pairs, BUDGET)
            result.note = f"broker: {broker.kind}; {devices} devices x {per_device} events, QoS 1 retained"
            return [result]
    except Exception as exc:
        return [error(name, "rate", BUDGET, exc)]
