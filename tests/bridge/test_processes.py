"""Bridges as separate processes (the CLI): availability and the Last Will, and shards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from iotws.bridge import load_config
from iotws.bridge.broker import LocalBroker
from iotws.evok import EvokSimulator

from .conftest import watching


def _config(path: Path, broker: LocalBroker, url: str, ids: list[str]) -> Path:
    lines = [f'[mqtt]\nurl = "{broker.url}"\n']
    for ident in ids:
        lines.append(f'[[device]]\nid = "{ident}"\nprotocol = "evok"\nurl = "${{EVOK_URL}}"\npoints = ["ro"]\n')
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _bridge(config: Path, url: str, *more: str) -> subprocess.Popen[str]:
    env = {**os.environ, "EVOK_URL": url}
    return subprocess.Popen(
        [sys.executable, "-m", "iotws", "bridge", "run", str(config), *more],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )


async def test_availability_per_device_and_the_bridges_last_will(broker: LocalBroker, tmp_path: Path) -> None:
    async with EvokSimulator() as sim, watching(broker, "iotws/#") as mqtt:
        config = _config(tmp_path / "bridge.toml", broker, sim.url(), ["u1"])
        process = _bridge(config, sim.url())
        try:
            await mqtt.until(lambda: mqtt.latest.get("iotws/evok/u1/availability") == b"online", "device online")
            assert mqtt.latest["iotws/bridge/iotws-bridge/availability"] == b"online"
            assert mqtt.retained.get("iotws/evok/u1/availability") is not None
            process.send_signal(signal.SIGKILL)  # no goodbye: the broker sends the Last Will
            process.wait(30)
            await mqtt.until(lambda: mqtt.latest.get("iotws/bridge/iotws-bridge/availability") == b"offline",
                             "the Last Will")
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(30)
    async with watching(broker, "iotws/bridge/#") as late:  # the will is retained
        await late.until(lambda: late.latest.get("iotws/bridge/iotws-bridge/availability") == b"offline", "retained")


async def test_a_device_link_down_is_offline_and_a_clean_stop_says_offline(broker: LocalBroker, tmp_path: Path) -> None:
    sim = EvokSimulator()
    await sim.__aenter__()
    config = _config(tmp_path / "bridge.toml", broker, sim.url(), ["u1"])
    async with watching(broker, "iotws/#") as mqtt:
        process = _bridge(config, sim.url())
        try:
            await mqtt.until(lambda: mqtt.latest.get("iotws/evok/u1/availability") == b"online", "device online")
            await sim.__aexit__(None, None, None)
            await mqtt.until(lambda: mqtt.latest.get("iotws/evok/u1/availability") == b"offline", "device offline")
            assert mqtt.latest["iotws/bridge/iotws-bridge/availability"] == b"online"  # the bridge itself is up
            process.send_signal(signal.SIGTERM)
            assert process.wait(30) == 0, process.stderr.read() if process.stderr else ""
            await mqtt.until(lambda: mqtt.latest.get("iotws/bridge/iotws-bridge/availability") == b"offline",
                             "the bridge's own offline")
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(30)


async def test_two_shards_split_the_devices_with_no_overlap_and_no_gap(broker: LocalBroker, tmp_path: Path) -> None:
    ids = [f"u{n}" for n in range(8)]
    async with EvokSimulator(di_toggle_period=None) as sim, watching(broker, "iotws/#") as mqtt:
        config = _config(tmp_path / "fleet.toml", broker, sim.url(), ids)
        os.environ["EVOK_URL"] = sim.url()
        try:
            owned = [{d.id for d in load_config(config).shard(k, 2)} for k in (0, 1)]
        finally:
            del os.environ["EVOK_URL"]
        assert owned[0] and owned[1] and not owned[0] & owned[1] and owned[0] | owned[1] == set(ids)
        shards = [_bridge(config, sim.url(), "--shard", f"{k}/2") for k in (0, 1)]
        try:
            for k in (0, 1):
                await mqtt.until(
                    lambda k=k: mqtt.latest.get(f"iotws/bridge/iotws-bridge-{k}-of-2/availability") == b"online",
                    f"shard {k} up")
            await mqtt.until(
                lambda: all(mqtt.latest.get(f"iotws/evok/{i}/availability") == b"online" for i in ids),
                "every device online")
            for ident in ids:  # every command is answered once: by the one shard that owns the device
                await mqtt.publish(f"iotws/evok/{ident}/ro/2_01/set", '{"value": 1, "id": "' + ident + '"}')
            results = [f"iotws/evok/{i}/ro/2_01/set/result" for i in ids]
            await mqtt.until(lambda: all(t in mqtt.latest for t in results), "a result per device")
            # both shards are still running; give any duplicate a chance to arrive behind the last result
            await mqtt.publish("iotws/evok/u0/ro/2_01/set", "1")
            await mqtt.until(lambda: [t for t, _ in mqtt.log].count(results[0]) == 2, "the second u0 result")
            counts = {t: [topic for topic, _ in mqtt.log].count(t) for t in results}
            assert counts == {t: (2 if t == results[0] else 1) for t in results}
            assert all(mqtt.json(t)["ok"] for t in results)
        finally:
            for process in shards:
                process.send_signal(signal.SIGTERM)
            outputs = []
            for process in shards:
                _, err = process.communicate(timeout=30)
                outputs.append(err)
        told = [line for err in outputs for line in err.splitlines() if "bridging" in line]
        assert sorted(told) == sorted(f"bridge: bridging {len(o)} of 8 device(s) to 127.0.0.1:{broker.port} under "
                                      f"iotws/ (Ctrl-C to stop)" for o in owned), outputs
