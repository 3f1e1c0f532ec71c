"""The bridge against real simulators and a real broker on loopback."""

from __future__ import annotations

import json

import pytest

from iotws.bridge import DeviceConfig
from iotws.bridge.broker import LocalBroker
from iotws.bridge.demo import demo_devices
from iotws.evok import EvokSimulator
from iotws.evok.simulator import BoardConfig
from iotws.farmws.simulator import FarmSimulator
from iotws.globiots import GlobiotsSimulator
from iotws.oisp import OispSimulator
from iotws.xentara.simulator import XentaraSimulator

from .conftest import watching
from .helpers import RESULT_KEYS, STATE_KEYS, bridging


def _check_state(topic: str, payload: bytes, protocol: str) -> dict[str, object]:
    data = json.loads(payload)
    assert list(data) == STATE_KEYS, topic
    assert data["protocol"] == protocol and data["type"] == "value"
    assert topic.endswith(f"/{data['point']}/state"), (topic, data["point"])
    assert isinstance(data["time"], str) and data["time"].endswith("Z")
    assert isinstance(data["detail"], dict)
    return data


async def _five(broker: LocalBroker) -> None:
    sims = {
        "evok": EvokSimulator(scan_rate=20),
        "globiots": GlobiotsSimulator(time_scale=5),
        "xentara": XentaraSimulator(update_interval=0.2),
        "oisp": OispSimulator(blind_window=0),
        "farmws": FarmSimulator(time_scale=0.1),
    }
    for sim in sims.values():
        await sim.__aenter__()
    try:
        devices = demo_devices(sims)
        async with bridging(broker, *devices), watching(broker, "iotws/#") as mqtt:
            expected = {
                "evok": "iotws/evok/unit1/ro/2_01/state",
                "globiots": "iotws/globiots/engine/0.0.0.1/2000/state",
                "xentara": "iotws/xentara/plc/Plant.Temperature/state",
                "farmws": "iotws/farmws/farm-live/Emulated/Temperature/state",
            }
            await mqtt.until(lambda: all(t in mqtt.latest for t in expected.values()), "a state of each protocol")
            await mqtt.until(lambda: mqtt.topics("iotws/farmws/farm/", "/state"), "a Dialect D reading")
            await sims["oisp"].actuate("demo-account", "demo-001", "LED.v1.0", {"LED": "1"}, component_id="led")
            await mqtt.until(lambda: "iotws/oisp/sensor/led/event" in mqtt.latest, "the OISP actuation")
            for protocol in ("evok", "globiots", "xentara", "farmws", "oisp"):
                states = mqtt.topics(f"iotws/{protocol}/", "/state")
                assert states, protocol
                for topic in states:
                    _check_state(topic, mqtt.latest[topic], protocol)
            assert _check_state(expected["evok"], mqtt.latest[expected["evok"]], "evok")["name"] == "Pump"
            ai = mqtt.json("iotws/evok/unit1/ai/1_01/state")
            assert ai["unit"] == "V" and isinstance(ai["value"], float)
            assert mqtt.json(expected["xentara"])["quality"] == "good"
            assert mqtt.json(expected["farmws"])["quality"] == "connected"
            event = mqtt.json("iotws/oisp/sensor/led/event")
            assert event["type"] == "command" and event["name"] == "LED.v1.0" and event["params"] == {"LED": "1"}
            assert mqtt.json("iotws/oisp/sensor/led/state")["value"] == {"LED": "1"}
            assert not mqtt.retained.get("iotws/oisp/sensor/led/event")
            # a later subscriber gets every state at once: they are retained
            async with watching(broker, "iotws/+/+/#") as late:
                await late.until(lambda: set(states) <= set(late.latest), "the retained states")
                assert all(late.retained[t] for t in states)
    finally:
        for sim in sims.values():
            await sim.__aexit__(None, None, None)


async def test_states_of_every_protocol_arrive_on_their_topics_with_one_schema(broker: LocalBroker) -> None:
    await _five(broker)


async def test_the_same_with_the_amqtt_broker() -> None:
    with LocalBroker(prefer="amqtt") as broker:
        assert broker.kind == "amqtt"
        await _five(broker)


async def test_set_round_trip_evok(broker: LocalBroker) -> None:
    async with EvokSimulator() as sim, bridging(broker, DeviceConfig("u1", "evok", sim.url())), \
            watching(broker, "iotws/#") as mqtt:
        await mqtt.until(lambda: mqtt.latest.get("iotws/evok/u1/availability") == b"online", "online")
        cases = [
            ("ro/2_02", "ON", 1), ("led/1_01", "1", 1), ("do/1_01", "true", 1), ("ao/1_01", "1.15", 1.147),
            ("ro/2_02", '{"value": 0, "id": "c7"}', 0),
        ]
        for point, payload, confirmed in cases:
            result_topic = f"iotws/evok/u1/{point}/set/result"
            mqtt.latest.pop(result_topic, None)
            await mqtt.publish(f"iotws/evok/u1/{point}/set", payload)
            await mqtt.until(lambda t=result_topic: t in mqtt.latest, f"the result of {point}")
            result = mqtt.json(result_topic)
            assert list(result) == RESULT_KEYS
            assert result["ok"] is True, result
            assert result["value"] == confirmed
            assert result["detail"]["state"]["value"] == confirmed
            dev, circuit = point.split("/")
            assert sim.devices[dev, circuit]["value"] == confirmed
        assert result["detail"]["request"]["id"] == "c7"
        # bad caller input: an error result, nothing written
        mqtt.latest.pop("iotws/evok/u1/ro/2_01/set/result", None)
        await mqtt.publish("iotws/evok/u1/ro/2_01/set", "maybe")
        await mqtt.until(lambda: "iotws/evok/u1/ro/2_01/set/result" in mqtt.latest, "the error result")
        bad = mqtt.json("iotws/evok/u1/ro/2_01/set/result")
        assert bad["ok"] is False and "on/off" in bad["error"]
        assert sim.devices["ro", "2_01"]["value"] == 0


async def test_set_round_trip_globiots(broker: LocalBroker) -> None:
    async with GlobiotsSimulator(time_scale=5) as sim:
        points = ("0.0.0.1/2000:float", "0.0.0.1/3000:float", "0.0.0.1/2004:uint16")
        device = DeviceConfig("engine", "globiots", sim.base_url, points, options={"update_time": 1})
        async with bridging(broker, device), watching(broker, "iotws/#") as mqtt:
            await mqtt.until(lambda: mqtt.latest.get("iotws/globiots/engine/availability") == b"online", "online")
            await mqtt.publish("iotws/globiots/engine/0.0.0.1/3000/set", "3.5")
            topic = "iotws/globiots/engine/0.0.0.1/3000/set/result"
            await mqtt.until(lambda: topic in mqtt.latest, "the set result")
            result = mqtt.json(topic)
            assert result["ok"] is True and result["value"] == 3.5, result
            await mqtt.until(
                lambda: mqtt.json("iotws/globiots/engine/0.0.0.1/3000/state")["value"] == 3.5
                if "iotws/globiots/engine/0.0.0.1/3000/state" in mqtt.latest else False, "the new value pushed")
            # the codec checks the value against the point's type: nothing is sent
            topic = "iotws/globiots/engine/0.0.0.1/2004/set/result"
            await mqtt.publish("iotws/globiots/engine/0.0.0.1/2004/set", "-7")
            await mqtt.until(lambda: topic in mqtt.latest, "the refused set")
            refused = mqtt.json(topic)
            assert refused["ok"] is False and refused["detail"]["kind"] == "CodecError", refused


async def test_set_round_trip_xentara(broker: LocalBroker) -> None:
    async with XentaraSimulator() as sim:
        device = DeviceConfig("plc", "xentara", sim.url(), points=("Group 1.Setpoint", "Group 1.Switch",
                                                                   "Plant.Temperature"))
        async with bridging(broker, device), watching(broker, "iotws/#") as mqtt:
            await mqtt.until(lambda: mqtt.latest.get("iotws/xentara/plc/availability") == b"online", "online")
            for point, payload, confirmed in (("Group_1.Setpoint", "61", 61.0), ("Group_1.Switch", "ON", 1)):
                topic = f"iotws/xentara/plc/{point}/set/result"
                await mqtt.publish(f"iotws/xentara/plc/{point}/set", payload)
                await mqtt.until(lambda t=topic: t in mqtt.latest, f"the result of {point}")
                result = mqtt.json(topic)
                assert result["ok"] is True and result["value"] == confirmed, result
                assert result["detail"]["state"]["value"] == confirmed
            topic = "iotws/xentara/plc/Plant.Temperature/set/result"
            await mqtt.publish("iotws/xentara/plc/Plant.Temperature/set", "1")
            await mqtt.until(lambda: topic in mqtt.latest, "the refused write")
            assert mqtt.json(topic)["ok"] is False


async def test_a_command_for_an_offline_device_is_answered_at_once_and_never_replayed(broker: LocalBroker) -> None:
    from iotws.bridge.broker import free_port

    port = free_port()
    device = DeviceConfig("u1", "evok", f"ws://127.0.0.1:{port}/ws", options={"connect_timeout": 1.0})
    async with bridging(broker, device), watching(broker, "iotws/#") as mqtt:
        await mqtt.until(lambda: mqtt.latest.get("iotws/evok/u1/availability") == b"offline", "offline")
        await mqtt.publish("iotws/evok/u1/ro/2_01/set", "ON")
        topic = "iotws/evok/u1/ro/2_01/set/result"
        await mqtt.until(lambda: topic in mqtt.latest, "the error result")
        result = mqtt.json(topic)
        assert result["ok"] is False and "offline" in result["error"]
        async with EvokSimulator(port=port) as sim:
            await mqtt.until(lambda: mqtt.latest.get("iotws/evok/u1/availability") == b"online", "online")
            await mqtt.until(lambda: "iotws/evok/u1/ro/2_01/state" in mqtt.latest, "the relay's state")
            assert mqtt.json("iotws/evok/u1/ro/2_01/state")["value"] == 0
            assert {frame.get("cmd") for frame in sim.received} == {"all"}  # the command never reached the device
            assert [t for t, _ in mqtt.log].count(topic) == 1


async def test_device_restart_republishes_everything_and_removes_what_vanished(broker: LocalBroker) -> None:
    async with EvokSimulator() as sim:
        port = sim.port
        device = DeviceConfig("u1", "evok", sim.url(), points=("ro",))
        async with bridging(broker, device), watching(broker, "iotws/#") as mqtt:
            await mqtt.until(lambda: len(mqtt.topics("iotws/evok/u1/ro/", "/state")) == 4, "four relays")
            await sim.__aexit__(None, None, None)
            await mqtt.until(lambda: mqtt.latest.get("iotws/evok/u1/availability") == b"offline", "offline")
            before = len(mqtt.log)
            async with EvokSimulator(port=port, board=BoardConfig(ro=2)) as again:
                again.devices["ro", "2_01"]["value"] = 1  # changed while the bridge was away
                await mqtt.until(lambda: mqtt.latest.get("iotws/evok/u1/availability") == b"online", "online")
                await mqtt.until(lambda: mqtt.latest.get("iotws/evok/u1/ro/2_04/state") == b"", "2_04 removed")
                assert mqtt.topics("iotws/evok/u1/ro/", "/state") == [
                    "iotws/evok/u1/ro/2_01/state", "iotws/evok/u1/ro/2_02/state"]
                assert mqtt.latest["iotws/evok/u1/ro/2_03/state"] == b""
                assert mqtt.json("iotws/evok/u1/ro/2_01/state")["value"] == 1
                republished = {t for t, p in mqtt.log[before:] if p and t.endswith("/state")}
                assert republished == {"iotws/evok/u1/ro/2_01/state", "iotws/evok/u1/ro/2_02/state"}
            async with watching(broker, "iotws/evok/#") as late:  # the broker forgot them too
                await late.until(lambda: "iotws/evok/u1/ro/2_02/state" in late.latest, "retained states")
                assert "iotws/evok/u1/ro/2_04/state" not in late.latest


async def test_broker_restart_the_bridge_reconnects_and_republishes_the_retained_state() -> None:
    with LocalBroker() as broker:
        async with EvokSimulator(di_toggle_period=None) as sim:
            device = DeviceConfig("u1", "evok", sim.url(), points=("ro", "ai"))
            async with bridging(broker, device) as bridge:
                async with watching(broker, "iotws/#") as mqtt:
                    await mqtt.until(lambda: len(mqtt.topics("iotws/evok/u1/", "/state")) == 6, "the states")
                    await mqtt.until(lambda: bridge.link.pending == 0 and bridge.link.connected.is_set(), "sent")
                    before = {t: mqtt.latest[t] for t in mqtt.topics("iotws/")}
                broker.stop()  # no persistence: the restarted broker has no retained message
                await _until_false(lambda: bridge.link.connected.is_set())
                sim.devices["ro", "2_03"]["value"] = 1  # a change while the broker is away
                broker.start()
                async with watching(broker, "iotws/#") as after:
                    await after.until(
                        lambda: after.latest.get("iotws/evok/u1/ro/2_03/state", b"").find(b'"value":1') > 0,
                        "the change made while the broker was away")
                    await after.until(lambda: set(before) <= set(after.latest), "every retained topic again")
                    assert after.latest["iotws/bridge/iotws-bridge/availability"] == b"online"
                async with watching(broker, "iotws/#") as late:  # retained in the new broker
                    await late.until(lambda: set(before) <= set(late.latest), "every topic, retained")
                    assert all(late.retained[t] for t in before)
                    assert bridge.link.connections >= 2


async def _until_false(check: object) -> None:
    import asyncio

    assert callable(check)
    for _ in range(600):
        if not check():
            return
        await asyncio.sleep(0.05)
    pytest.fail("the bridge did not notice the broker going away")
