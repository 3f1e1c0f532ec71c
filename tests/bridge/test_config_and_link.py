"""The config file, shards, and the MQTT link's bounded buffer while the broker is away."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path

import pytest

from iotws.bridge import BridgeConfig, DeviceConfig, MqttConfig, load_config, parse_config, shard_of
from iotws.bridge.broker import LocalBroker, free_port
from iotws.bridge.link import MqttLink
from iotws.errors import UsageError

from .conftest import watching

CONFIG = """
[mqtt]
url = "mqtt://bridge:${MQTT_PASSWORD}@127.0.0.1:1884"
prefix = "plant"
qos = 0
ha_discovery = true

[[device]]
id = "plc"
protocol = "xentara"
url = "wss://10.0.0.9/api/ws"
points = ["Plant.Temperature"]
options = { token = "${XENTARA_TOKEN}", request_timeout = 5 }
"""


def test_a_config_file_with_secrets_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "bridge.toml"
    path.write_text(CONFIG, encoding="utf-8")
    config = load_config(path, environ={"MQTT_PASSWORD": "p w", "XENTARA_TOKEN": "t0k"})
    assert (config.mqtt.user, config.mqtt.secret, config.mqtt.port, config.mqtt.qos) == ("bridge", "p w", 1884, 0)
    assert config.mqtt.ha_discovery and config.mqtt.prefix == "plant"
    assert config.devices[0].options == {"token": "t0k", "request_timeout": 5}
    assert "t0k" not in repr(config.mqtt) and "p w" not in repr(config.mqtt)
    with pytest.raises(UsageError, match=r"\$\{XENTARA_TOKEN\} is not set"):
        load_config(path, environ={"MQTT_PASSWORD": "x"})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[mqtt]\nqos = 3\n", "qos must be 0, 1 or 2"),
        ("[mqtt]\ncolour = 1\n", "unknown key"),
        ("[[device]]\nid = 'a'\nprotocol = 'evok'\n", "missing url"),
        ("[[device]]\nid = 'a'\nprotocol = 'modbus'\nurl = 'ws://h/'\n", "protocol must be one of"),
        ("[[device]]\nid='a'\nprotocol='evok'\nurl='ws://h/'\n[[device]]\nid='a'\nprotocol='evok'\nurl='ws://g/'\n",
         "appears twice"),
        ("[mqtt\n", "not valid TOML"),
        ("[mqtt]\nurl = 'http://h'\n", "mqtt://HOST"),
    ],
)
def test_config_errors_name_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_config(text, environ={})


def test_shards_are_stable_and_cover_every_device_once() -> None:
    devices = [DeviceConfig(f"u{n}", "evok", "ws://h/ws") for n in range(200)]
    config = BridgeConfig(MqttConfig(), devices)
    for count in (1, 2, 3, 7):
        shards = [config.shard(k, count) for k in range(count)]
        assert sorted(d.id for s in shards for d in s) == sorted(d.id for d in devices)
        assert all(s for s in shards)  # 200 devices leave no shard empty
    # the documented hash: the same on every machine and run (no PYTHONHASHSEED in it)
    expected = int.from_bytes(hashlib.sha256(b"evok/u1").digest()[:8], "big") % 7
    assert shard_of("evok/u1", 7) == expected


async def test_the_buffer_is_bounded_while_the_broker_is_away(caplog: pytest.LogCaptureFixture) -> None:
    port = free_port()
    config = MqttConfig(f"mqtt://127.0.0.1:{port}", buffer=5)
    link = MqttLink(config, "iotws-test-buffer", "iotws/bridge/test/availability", lambda t, p: None)
    with caplog.at_level(logging.WARNING, logger="iotws.bridge"):
        for n in range(20):
            link.publish(f"iotws/test/{n}/event", b"%d" % n)
        for n in range(50):
            link.publish(f"iotws/test/{n % 10}/state", b"%d" % n, retain=True)  # coalesce: 10 topics
    assert link.dropped == 15
    assert link.pending == 5 + 10
    assert sum("MQTT buffer full" in r.getMessage() for r in caplog.records) == 1
    task = asyncio.get_running_loop().create_task(link.run())
    try:
        with LocalBroker(port=port) as broker:
            async with watching(broker, "iotws/#") as mqtt:
                await mqtt.until(lambda: len(mqtt.topics("iotws/test/", "/state")) == 10, "the states")
                await mqtt.until(lambda: len(mqtt.topics("iotws/test/", "/event")) == 5, "the kept events")
                assert mqtt.topics("iotws/test/", "/event") == [f"iotws/test/{n}/event" for n in range(15, 20)]
                assert {mqtt.latest[f"iotws/test/{n}/state"] for n in range(10)} == {b"%d" % (40 + n)
                                                                                    for n in range(10)}
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
