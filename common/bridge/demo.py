"""``iotws bridge demo``: the five simulators, a local broker and a bridge, with live topics printed.

The broker is Mosquitto when it is on PATH, else amqtt (the ``mqtt`` extra). Every
second the demo switches an EVOK relay through its ``set`` topic, so the command
path shows too.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import time
from typing import Any

from iotws.bridge.broker import LocalBroker
from iotws.bridge.config import BridgeConfig, DeviceConfig, MqttConfig
from iotws.cli import Output, utc_text

__all__ = ["demo_devices", "run_demo"]

OISP_DEVICE = "demo-001"
OISP_ACCOUNT = "demo-account"


def demo_devices(sims: dict[str, Any]) -> list[DeviceConfig]:
    """The demo's devices, one per simulator (two for farmws: both dialects)."""
    from iotws.globiots.simulator import SIGNALS

    token = sims["oisp"].issue_token(OISP_DEVICE, OISP_ACCOUNT)
    globiots_points = [f"0.0.0.1/{s.address:04X}:{s.data_type.value}" for s in SIGNALS[:4]]
    return [
        DeviceConfig("unit1", "evok", sims["evok"].url(), points=("ro", "di", "ai", "ao", "led"),
                     names={"ro/2_01": "Pump"}),
        DeviceConfig("engine", "globiots", sims["globiots"].base_url, points=tuple(globiots_points),
                     options={"update_time": 1}),
        DeviceConfig("plc", "xentara", sims["xentara"].url(),
                     points=("Plant.Temperature", "Plant.Pressure", "Group 1.Setpoint"),
                     options={"min_rate": 500, "writable": ["Group 1.Setpoint"]}),
        DeviceConfig("sensor", "oisp", sims["oisp"].url(), options={"device_id": OISP_DEVICE, "token": token}),
        DeviceConfig("farm", "farmws", sims["farmws"].url("/"), options={"client_id": "bridge"}),
        DeviceConfig("farm-live", "farmws", sims["farmws"].url("/"), options={"live": True}),
    ]


def _short(payload: bytes) -> str:
    if not payload:
        return "(removed)"
    try:
        data = json.loads(payload)
    except ValueError:
        return payload.decode(errors="replace")
    if isinstance(data, dict):
        if data.get("type") == "result":
            return f"ok={data.get('ok')} value={data.get('value')!r} error={data.get('error')}"
        if "value" in data:
            unit = f" {data['unit']}" if data.get("unit") else ""
            return f"{data['value']!r}{unit}"
        if "params" in data:
            return f"{data.get('name')} {data.get('params')}"
        return str(data.get("name", data))[:60]
    return str(data)[:60]


async def _demo(broker: LocalBroker, seconds: float, out: Output, ha_discovery: bool) -> int:
    import aiomqtt

    from iotws.bridge.runner import Bridge
    from iotws.evok import EvokSimulator
    from iotws.farmws.simulator import FarmSimulator
    from iotws.globiots import GlobiotsSimulator
    from iotws.oisp import OispSimulator
    from iotws.xentara.simulator import XentaraSimulator

    sims: dict[str, Any] = {
        "evok": EvokSimulator(di_toggle_period=1.0, scan_rate=10),
        "globiots": GlobiotsSimulator(time_scale=5),
        "xentara": XentaraSimulator(update_interval=0.5),
        "oisp": OispSimulator(blind_window=0),
        "farmws": FarmSimulator(time_scale=0.25),
    }
    async with contextlib.AsyncExitStack() as stack:
        for sim in sims.values():
            await stack.enter_async_context(sim)
        config = BridgeConfig(MqttConfig(broker.url, ha_discovery=ha_discovery), demo_devices(sims))
        stop = asyncio.Event()
        bridge = Bridge(config)
        runner = asyncio.create_task(bridge.run(stop))
        seen = 0
        try:
            async with aiomqtt.Client("127.0.0.1", broker.port, identifier="iotws-bridge-demo-viewer") as viewer:
                await viewer.subscribe("iotws/#")
                if ha_discovery:
                    await viewer.subscribe("homeassistant/#")
                deadline = time.monotonic() + seconds
                next_tick = time.monotonic() + 1.0
                on = False
                n = 0
                messages = aiter(viewer.messages)
                while (left := deadline - time.monotonic()) > 0:
                    try:
                        message = await asyncio.wait_for(anext(messages), min(left, max(0.05, next_tick -
                                                                                        time.monotonic())))
                    except TimeoutError:
                        message = None
                    if message is not None:
                        seen += 1
                        payload = message.payload if isinstance(message.payload, bytes) else b""
                        out.emit({"protocol": "bridge", "type": "message", "time": utc_text(dt.datetime.now(dt.UTC)),
                                  "topic": message.topic.value, "payload": payload.decode(errors="replace")},
                                 f"{message.topic.value}  {_short(payload)}")
                    if time.monotonic() >= next_tick:
                        next_tick += 1.0
                        on = not on
                        n += 1
                        await viewer.publish("iotws/evok/unit1/ro/2_01/set", "ON" if on else "OFF", qos=1)
                        await sims["oisp"].actuate(OISP_ACCOUNT, OISP_DEVICE, "LED.v1.0",
                                                   {"LED": str(n % 2)}, component_id="led")
        finally:
            stop.set()
            await runner
    out.status(f"{seen} messages seen; the bridge published {bridge.link.published}")
    return 0 if seen else 1


def run_demo(seconds: float, out: Output, *, ha_discovery: bool = False) -> int:
    """Run the demo for ``seconds``; returns the exit status (1 if no message came through)."""
    from iotws.bridge.link import import_aiomqtt

    import_aiomqtt()
    with LocalBroker() as broker:
        out.status(f"{broker.kind} broker on {broker.url}; subscribed to iotws/# (Ctrl-C to stop)")
        return asyncio.run(_demo(broker, seconds, out, ha_discovery))
