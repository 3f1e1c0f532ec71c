"""``iotws.bridge``: any of the five protocols to MQTT, with Home Assistant discovery and shards.

Run it from the command line (``iotws bridge ...``, docs: the Bridge page) or from
asyncio::

    from iotws.bridge import Bridge, load_config

    await Bridge(load_config("bridge.toml"), shard=(0, 2)).run()

The MQTT client (aiomqtt) is the ``mqtt`` extra, loaded when a bridge runs: importing
this package loads neither it nor any protocol client.

Examples:
    >>> from iotws.bridge import DeviceConfig, shard_of
    >>> DeviceConfig("unit1", "evok", "ws://127.0.0.1:8080/ws").key
    'evok/unit1'
    >>> shard_of("evok/unit1", 1)
    0
"""

from typing import TYPE_CHECKING

from iotws.lazy import lazy_exports

if TYPE_CHECKING:
    from iotws.bridge.config import (
        BridgeConfig,
        DeviceConfig,
        MqttConfig,
        load_config,
        parse_config,
        parse_shard,
        shard_of,
    )
    from iotws.bridge.runner import Bridge
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "Bridge": "iotws.bridge.runner",
            "BridgeConfig": "iotws.bridge.config",
            "DeviceConfig": "iotws.bridge.config",
            "MqttConfig": "iotws.bridge.config",
            "load_config": "iotws.bridge.config",
            "parse_config": "iotws.bridge.config",
            "parse_shard": "iotws.bridge.config",
            "shard_of": "iotws.bridge.config",
        },
    )

__all__ = [
    "Bridge",
    "BridgeConfig",
    "DeviceConfig",
    "MqttConfig",
    "load_config",
    "parse_config",
    "parse_shard",
    "shard_of",
]
