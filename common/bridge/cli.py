"""``iotws bridge ...``: run a bridge to MQTT.

* ``iotws bridge run CONFIG [--shard K/N] [--mqtt URL] [--prefix P] [--qos N] [--ha-discovery]``:
  the devices of a TOML config (or of shard ``K`` of ``N``); the flags override its ``[mqtt]`` table.
* ``iotws bridge PROTOCOL URL --mqtt URL [--id ID] [--point P ...] [--name POINT=NAME ...]
  [--option NAME=VALUE ...]``: one device from flags (the connection flags go to its client).
* ``iotws bridge demo [--seconds S]``: the five simulators, a broker and a bridge; prints live topics.

The MQTT client is the ``mqtt`` extra: ``pip install 'iotws[mqtt]'``.

Examples:
    >>> import argparse
    >>> parser = argparse.ArgumentParser(prog="iotws")
    >>> register(parser.add_subparsers())
    >>> args = parser.parse_args(["bridge", "evok", "ws://127.0.0.1:8080/ws", "--mqtt", "mqtt://127.0.0.1:1883"])
    >>> config_of(args).devices[0].key
    'evok/unit'
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import attrs

from iotws import PROTOCOLS
from iotws.bridge.config import BridgeConfig, DeviceConfig, MqttConfig, load_config, parse_shard
from iotws.cli import Output, add_group, add_verb, connect_options, stop_on_sigterm
from iotws.errors import UsageError

__all__ = ["config_of", "register"]


def _pairs(items: list[str], flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, found, value = item.partition("=")
        if not found or not key.strip():
            raise UsageError(f"{flag} wants NAME=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def _json_or_text(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _mqtt_overrides(args: argparse.Namespace, mqtt: MqttConfig) -> MqttConfig:
    changes: dict[str, Any] = {}
    for name in ("prefix", "qos", "client_id"):
        if getattr(args, name, None) is not None:
            changes[name] = getattr(args, name)
    if getattr(args, "mqtt", None):
        changes["url"] = args.mqtt
    if getattr(args, "ha_discovery", False):
        changes["ha_discovery"] = True
    return attrs.evolve(mqtt, **changes) if changes else mqtt


def config_of(args: argparse.Namespace) -> BridgeConfig:
    """The [`BridgeConfig`][iotws.bridge.BridgeConfig] of `iotws bridge run` or `iotws bridge PROTOCOL` arguments."""
    if getattr(args, "config", None):
        config = load_config(args.config)
        return attrs.evolve(config, mqtt=_mqtt_overrides(args, config.mqtt))
    options: dict[str, Any] = {k: _json_or_text(v) for k, v in _pairs(args.option, "--option").items()}
    options.update(connect_options(args))
    device = DeviceConfig(args.id, args.bridged, args.url, points=tuple(args.point), names=_pairs(args.name, "--name"),
                          options=options)
    return BridgeConfig(_mqtt_overrides(args, MqttConfig()), (device,))


def _run(args: argparse.Namespace, out: Output) -> int:
    import asyncio

    from iotws.bridge.runner import Bridge

    config = config_of(args)
    shard = parse_shard(args.shard) if getattr(args, "shard", None) else (0, 1)
    bridge = Bridge(config, shard=shard)
    out.status(f"bridging {len(bridge.devices)} of {len(config.devices)} device(s) to {config.mqtt.host}:"
               f"{config.mqtt.port} under {config.mqtt.prefix}/ (Ctrl-C to stop)")
    asyncio.run(_serve(bridge))
    return 0


async def _serve(bridge: Any) -> None:
    await bridge.run(stop_on_sigterm())


def _demo(args: argparse.Namespace, out: Output) -> int:
    from iotws.bridge.demo import run_demo

    return run_demo(args.seconds, out, ha_discovery=args.ha_discovery)


def _mqtt_flags(parser: argparse.ArgumentParser, *, required: bool) -> None:
    group = parser.add_argument_group("MQTT")
    group.add_argument("--mqtt", required=required, metavar="URL",
                       help="the broker, mqtt://[USER:PASSWORD@]HOST[:PORT] (mqtts:// for TLS)")
    group.add_argument("--prefix", help="first topic level (default iotws)")
    group.add_argument("--qos", type=int, choices=(0, 1, 2), help="QoS of states (default 1)")
    group.add_argument("--client-id", help="the MQTT session's client id (default iotws-bridge[-K-of-N])")
    group.add_argument("--ha-discovery", action="store_true", help="publish Home Assistant discovery configs")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser], prog: str | None = None) -> None:
    """Add ``iotws bridge`` and its verbs to the ``iotws`` parser."""
    verbs = add_group(subparsers, "bridge", help="link devices to an MQTT broker (the mqtt extra)", prog=prog)
    run = add_verb(verbs, "run", _run, help="bridge the devices of a TOML config file")
    run.add_argument("config", metavar="CONFIG", help="the TOML file ([mqtt] and [[device]] tables)")
    run.add_argument("--shard", metavar="K/N", help="only the devices of shard K of N (stable hash of their ids)")
    _mqtt_flags(run, required=False)
    demo = add_verb(verbs, "demo", _demo, help="five simulators, a broker and a bridge: print live topics")
    demo.add_argument("--seconds", type=float, default=10.0, help="how long to run (default 10)")
    demo.add_argument("--ha-discovery", action="store_true", help="also publish Home Assistant discovery")
    for protocol in PROTOCOLS:
        one = add_verb(verbs, protocol, _run, help=f"bridge one {protocol} device", client=True)
        one.add_argument("url", metavar="URL", help="the device's (or server's) WebSocket URL")
        one.add_argument("--id", default="unit", help="the <device> topic level (default unit)")
        one.add_argument("--point", action="append", default=[], metavar="POINT", help="a point to publish "
                         "(repeatable; per protocol, see the Bridge page)")
        one.add_argument("--name", action="append", default=[], metavar="POINT=NAME", help="a point's name")
        one.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                         help="a client option or keyword (JSON values accepted)")
        _mqtt_flags(one, required=True)
        one.set_defaults(bridged=protocol)
