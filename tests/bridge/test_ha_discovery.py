"""Home Assistant discovery payloads, checked against the options Home Assistant documents.

The field lists come from Home Assistant's MQTT integration pages (MQTT Sensor, Binary
sensor, Switch, Number) and its discovery page (the shared entity options, ``device``
and ``origin``): every key the bridge sends must be one of them, with the documented
type, and the required ones must be there.
"""

from __future__ import annotations

import json
from typing import Any

from iotws.bridge import DeviceConfig
from iotws.bridge.broker import LocalBroker
from iotws.evok import EvokSimulator
from iotws.xentara.simulator import XentaraSimulator

from .conftest import watching
from .helpers import bridging

#: Options every MQTT entity takes, and their JSON types.
COMMON: dict[str, type | tuple[type, ...]] = {
    "availability": list, "availability_mode": str, "availability_template": str, "availability_topic": str,
    "device": dict, "enabled_by_default": bool, "encoding": str, "entity_category": str, "entity_picture": str,
    "icon": str, "json_attributes_template": str, "json_attributes_topic": str, "name": (str, type(None)),
    "object_id": str, "origin": dict, "qos": int, "unique_id": str, "value_template": str,
}
PLATFORM: dict[str, dict[str, type | tuple[type, ...]]] = {
    "sensor": {"state_topic": str, "unit_of_measurement": str, "state_class": str, "device_class": str,
               "expire_after": int, "force_update": bool, "suggested_display_precision": int, "options": list},
    "binary_sensor": {"state_topic": str, "payload_on": str, "payload_off": str, "device_class": str,
                      "expire_after": int, "force_update": bool, "off_delay": int},
    "switch": {"state_topic": str, "command_topic": str, "command_template": str, "payload_on": str,
               "payload_off": str, "state_on": str, "state_off": str, "optimistic": bool, "retain": bool,
               "device_class": str},
    "number": {"state_topic": str, "command_topic": str, "command_template": str, "min": (int, float),
               "max": (int, float), "step": (int, float), "mode": str, "unit_of_measurement": str,
               "optimistic": bool, "retain": bool, "device_class": str, "payload_reset": str},
}
REQUIRED = {"sensor": {"state_topic"}, "binary_sensor": {"state_topic"}, "switch": {"command_topic"},
            "number": {"command_topic"}}
DEVICE_KEYS = {"configuration_url", "connections", "hw_version", "identifiers", "manufacturer", "model", "model_id",
               "name", "serial_number", "suggested_area", "sw_version", "via_device"}
ORIGIN_KEYS = {"name", "sw_version", "support_url"}
AVAILABILITY_KEYS = {"topic", "payload_available", "payload_not_available", "value_template"}


def _validate(component: str, payload: dict[str, Any]) -> None:
    allowed = {**COMMON, **PLATFORM[component]}
    assert set(payload) <= set(allowed), sorted(set(payload) - set(allowed))
    for key, value in payload.items():
        assert isinstance(value, allowed[key]), (key, value)
    assert REQUIRED[component] <= set(payload)
    assert payload["availability_mode"] in ("all", "any", "latest")
    for entry in payload["availability"]:
        assert set(entry) <= AVAILABILITY_KEYS and "topic" in entry
    assert set(payload["device"]) <= DEVICE_KEYS and payload["device"]["identifiers"]
    assert set(payload["origin"]) <= ORIGIN_KEYS and "name" in payload["origin"]
    if component == "number":
        assert payload["mode"] in ("auto", "box", "slider") and payload["min"] < payload["max"]
    if component == "sensor" and "state_class" in payload:
        assert payload["state_class"] in ("measurement", "total", "total_increasing")


def _render(template: str, state: dict[str, Any]) -> str:
    """What Home Assistant renders from ``{{ value_json.value }}`` (the only value template the bridge uses)."""
    assert template == "{{ value_json.value }}"
    return str(state["value"])


async def test_discovery_payloads_follow_home_assistants_documented_schema(broker: LocalBroker) -> None:
    async with EvokSimulator() as evok, XentaraSimulator() as xentara:
        devices = [
            DeviceConfig("unit1", "evok", evok.url(), points=("ro", "di", "ai", "ao", "led"),
                         names={"ro/2_01": "Pump"}),
            DeviceConfig("plc", "xentara", xentara.url(), points=("Plant.Temperature", "Group 1.Setpoint"),
                         options={"writable": ["Group 1.Setpoint"]}),
        ]
        async with bridging(broker, *devices, ha=True), watching(broker, "homeassistant/#", "iotws/#") as mqtt:
            await mqtt.until(lambda: len(mqtt.topics("homeassistant/")) >= 4 + 4 + 4 + 2 + 2 + 2, "discovery")
            for device in ("evok/unit1", "xentara/plc"):
                await mqtt.until(lambda d=device: mqtt.latest.get(f"iotws/{d}/availability") == b"online", "online")
            configs = {t: json.loads(mqtt.latest[t]) for t in mqtt.topics("homeassistant/")}
            components: dict[str, str] = {}
            for topic, payload in configs.items():
                ha, component, object_id, last = topic.split("/")
                assert (ha, last) == ("homeassistant", "config") and object_id == payload["unique_id"]
                _validate(component, payload)
                components[payload["state_topic"]] = component
            assert len({p["unique_id"] for p in configs.values()}) == len(configs)
            assert components["iotws/evok/unit1/ro/2_01/state"] == "switch"
            assert components["iotws/evok/unit1/led/1_01/state"] == "switch"
            assert components["iotws/evok/unit1/di/1_01/state"] == "binary_sensor"
            assert components["iotws/evok/unit1/ai/1_01/state"] == "sensor"
            assert components["iotws/evok/unit1/ao/1_01/state"] == "number"
            assert components["iotws/xentara/plc/Plant.Temperature/state"] == "sensor"
            assert components["iotws/xentara/plc/Group_1.Setpoint/state"] == "number"
            pump = configs["homeassistant/switch/iotws_evok_unit1_ro_2_01/config"]
            assert pump["name"] == "Pump"
            ai = configs["homeassistant/sensor/iotws_evok_unit1_ai_1_01/config"]
            assert ai["unit_of_measurement"] == "V"
            # the topics it names exist, and the value template reads the state
            for payload in configs.values():
                await mqtt.until(lambda p=payload: p["state_topic"] in mqtt.latest, p_name := payload["state_topic"])
                state = mqtt.json(payload["state_topic"])
                rendered = _render(payload["value_template"], state)
                if "state_on" in payload:
                    assert rendered in (payload["state_on"], payload["state_off"]), p_name
                if "payload_on" in payload and "state_on" not in payload:
                    assert rendered in (payload["payload_on"], payload["payload_off"]), p_name
                for entry in payload["availability"]:
                    assert mqtt.latest[entry["topic"]] == entry["payload_available"].encode()
            async with watching(broker, "homeassistant/#") as late:  # retained for a Home Assistant that starts later
                await late.until(lambda: set(configs) <= set(late.latest), "the retained configs")
                assert all(late.retained[t] for t in configs)
            # the switch's payload_on, sent by Home Assistant, switches the relay
            await mqtt.publish(pump["command_topic"], pump["payload_on"])
            await mqtt.until(lambda: mqtt.json(pump["state_topic"])["value"] == 1, "the relay on")
            assert _render(pump["value_template"], mqtt.json(pump["state_topic"])) == pump["state_on"]
