"""Home Assistant MQTT discovery: one retained ``config`` message per point.

Topic ``<ha_prefix>/<component>/<object id>/config`` (``homeassistant/switch/iotws_evok_unit1_ro_2_01/config``);
the payload names the point's state topic (and command topic when it is writable),
reads ``value`` out of the state JSON, lists the bridge's and the device's
availability topics (both must say ``online``), and groups the points of a device
under one Home Assistant device. An empty retained message removes the entity.

Examples:
    >>> from iotws.bridge.adapters.base import PointInfo
    >>> from iotws.bridge.topics import Topics
    >>> topic, payload = discovery(Topics("iotws"), "homeassistant", "iotws-bridge", "evok", "unit1",
    ...                            PointInfo("ro/2_01", "switch", writable=True, name="Pump"))
    >>> topic
    'homeassistant/switch/iotws_evok_unit1_ro_2_01/config'
    >>> payload["command_topic"], payload["payload_on"], payload["state_on"]
    ('iotws/evok/unit1/ro/2_01/set', '1', '1')
"""

from __future__ import annotations

import re
from typing import Any

from iotws._version import __version__
from iotws.bridge.adapters.base import PointInfo
from iotws.bridge.topics import OFFLINE, ONLINE, Topics

__all__ = ["COMPONENTS", "discovery", "discovery_topic", "object_id"]

#: The components the bridge announces.
COMPONENTS = ("sensor", "binary_sensor", "switch", "number")

_NOT_ID = re.compile(r"[^A-Za-z0-9_-]+")


def object_id(protocol: str, device: str, point: str) -> str:
    """The entity's object id (also its ``unique_id``): ``iotws_<protocol>_<device>_<point>``.

    Examples:
        >>> object_id("xentara", "plc", "Plant.Temperature")
        'iotws_xentara_plc_Plant_Temperature'
    """
    return _NOT_ID.sub("_", f"iotws_{protocol}_{device}_{point}").strip("_")


def discovery_topic(ha_prefix: str, component: str, protocol: str, device: str, point: str) -> str:
    """Where a point's discovery config goes."""
    return f"{ha_prefix}/{component}/{object_id(protocol, device, point)}/config"


def discovery(
    topics: Topics, ha_prefix: str, bridge_id: str, protocol: str, device: str, info: PointInfo
) -> tuple[str, dict[str, Any]]:
    """The discovery topic and payload of one point (``info.component`` must be one of ``COMPONENTS``)."""
    component = info.component
    if component not in COMPONENTS:
        raise ValueError(f"no Home Assistant component for {info!r}")
    uid = object_id(protocol, device, info.point)
    payload: dict[str, Any] = {
        "name": info.name or info.point,
        "unique_id": uid,
        "object_id": uid,
        "state_topic": topics.state(protocol, device, info.point),
        "value_template": "{{ value_json.value }}",
        "availability": [
            {"topic": topics.bridge_availability(bridge_id), "payload_available": ONLINE,
             "payload_not_available": OFFLINE},
            {"topic": topics.availability(protocol, device), "payload_available": ONLINE,
             "payload_not_available": OFFLINE},
        ],
        "availability_mode": "all",
        "json_attributes_topic": topics.state(protocol, device, info.point),
        "json_attributes_template": "{{ value_json.detail | tojson }}",
        "device": {
            "identifiers": [f"iotws_{protocol}_{device}"],
            "name": device,
            "manufacturer": "iotws",
            "model": protocol,
        },
        "origin": {"name": "iotws", "sw_version": __version__},
    }
    if component == "switch":
        payload.update(
            command_topic=topics.command(protocol, device, info.point), payload_on="1", payload_off="0",
            state_on="1", state_off="0",
        )
    elif component == "binary_sensor":
        payload.update(payload_on="1", payload_off="0")
    elif component == "number":
        low, high = info.minimum, info.maximum
        payload.update(
            command_topic=topics.command(protocol, device, info.point), min=low if low is not None else 0.0,
            max=high if high is not None else 100.0, step=info.step or 0.001, mode="box",
        )
    if component in ("sensor", "number") and info.unit:
        payload["unit_of_measurement"] = info.unit
    if component == "sensor" and info.numeric:
        payload["state_class"] = "measurement"
    return discovery_topic(ha_prefix, component, protocol, device, info.point), payload
