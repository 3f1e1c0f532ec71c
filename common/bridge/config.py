"""What a bridge runs: the MQTT link's settings and the devices, from flags or a TOML file.

A config file holds one ``[mqtt]`` table and a ``[[device]]`` table per device::

    [mqtt]
    url = "mqtt://127.0.0.1:1883"     # mqtts:// for TLS; user and password in the URL or below
    prefix = "iotws"
    qos = 1

    [[device]]
    id = "unit1"                      # the <device> level of the topics: unique in the file
    protocol = "evok"
    url = "ws://10.0.0.5/ws"
    points = ["ro", "di", "ai"]       # what to publish (per protocol; EVOK: device types)
    names = { "ro/2_01" = "Pump" }    # friendly names, by point
    options = { request_timeout = 5 } # client options (and the client's own keywords)

Any string may hold ``${NAME}``: the environment variable's value (an unset one is an
error), so secrets stay out of the file.

Examples:
    >>> cfg = parse_config('''
    ... [mqtt]
    ... prefix = "plant"
    ... [[device]]
    ... id = "u1"
    ... protocol = "evok"
    ... url = "ws://${EVOK_HOST}/ws"
    ... ''', environ={"EVOK_HOST": "10.0.0.5"})
    >>> cfg.mqtt.prefix, cfg.devices[0].url
    ('plant', 'ws://10.0.0.5/ws')
"""

from __future__ import annotations

import hashlib
import os
import re
import tomllib
import urllib.parse
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs

from iotws import PROTOCOLS
from iotws.errors import UsageError

__all__ = [
    "BridgeConfig",
    "DeviceConfig",
    "MqttConfig",
    "load_config",
    "parse_config",
    "parse_shard",
    "shard_of",
]

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ID = re.compile(r"^[A-Za-z0-9_.-]+$")


def _strings(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(values)


def _devices(values: Iterable[DeviceConfig]) -> tuple[DeviceConfig, ...]:
    return tuple(values)


@attrs.frozen
class MqttConfig:
    """The broker and how the bridge publishes.

    ``url`` is ``mqtt://[user:password@]host[:port]`` (``mqtts://`` for TLS); ``prefix``
    is the first topic level; ``qos`` the QoS of states (commands and results always use
    QoS 1); ``client_id`` names the bridge's persistent MQTT session (default
    ``iotws-bridge``, plus ``-K-of-N`` for a shard); ``buffer`` bounds the messages kept
    while the broker is away; ``ha_discovery`` turns on Home Assistant discovery under
    ``ha_prefix``.

    Examples:
        >>> m = MqttConfig("mqtt://op:secret@127.0.0.1:1884")
        >>> m.host, m.port, m.user, m.secret, m.tls
        ('127.0.0.1', 1884, 'op', 'secret', False)
    """

    url: str = attrs.field(default="mqtt://127.0.0.1:1883", repr=lambda url: _hide_password(url))
    prefix: str = "iotws"
    qos: int = attrs.field(default=1)
    client_id: str | None = None
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    keepalive: int = 30
    buffer: int = 10000
    ha_discovery: bool = False
    ha_prefix: str = "homeassistant"

    @qos.validator
    def _check_qos(self, _: attrs.Attribute[int], value: int) -> None:
        if value not in (0, 1, 2):
            raise UsageError(f"mqtt qos must be 0, 1 or 2, got {value!r}")

    def __attrs_post_init__(self) -> None:
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl") or not parts.hostname:
            raise UsageError(f"an MQTT URL is mqtt://HOST[:PORT] (or mqtts://), got {self.url!r}")
        if not self.prefix or any(c in self.prefix for c in "+#") or self.prefix.startswith("/"):
            raise UsageError(f"mqtt prefix must be a topic without wildcards, got {self.prefix!r}")
        if self.buffer < 1:
            raise UsageError(f"mqtt buffer must be >= 1, got {self.buffer!r}")

    @property
    def tls(self) -> bool:
        """Whether the URL asks for TLS (``mqtts://``)."""
        return urllib.parse.urlsplit(self.url).scheme in ("mqtts", "ssl")

    @property
    def host(self) -> str:
        """The broker's host name."""
        return urllib.parse.urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        """The broker's port (1883, or 8883 for TLS, unless the URL names one)."""
        return urllib.parse.urlsplit(self.url).port or (8883 if self.tls else 1883)

    @property
    def user(self) -> str | None:
        """The user name: ``username``, else the URL's."""
        return self.username or _unquote(urllib.parse.urlsplit(self.url).username)

    @property
    def secret(self) -> str | None:
        """The password: ``password``, else the URL's."""
        return self.password or _unquote(urllib.parse.urlsplit(self.url).password)



def _hide_password(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return repr(url)
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return repr(urllib.parse.urlunsplit(parts._replace(netloc=netloc)))


def _unquote(text: str | None) -> str | None:
    return None if text is None else urllib.parse.unquote(text)


@attrs.frozen
class DeviceConfig:
    """One device the bridge links to MQTT.

    ``id`` is the ``<device>`` level of its topics (letters, digits, ``_.-``); ``points``
    says what to publish, in the protocol's terms (EVOK: device types such as ``"ro"``,
    or single circuits ``"ro/2_01"``, none = all; Globiots: ``"HOSTNAME/ADDRESS:TYPE[:LENGTH]"``;
    Xentara: element paths; OISP and farmws: none); ``names`` gives points friendly
    names; ``options`` go to the client's constructor (connection options and the
    client's own keywords, e.g. Xentara's ``token``, OISP's ``device_id``).

    Examples:
        >>> DeviceConfig("u1", "evok", "ws://127.0.0.1:8080/ws").points
        ()
        >>> DeviceConfig("u 1", "evok", "ws://x/ws")
        Traceback (most recent call last):
        iotws.errors.UsageError: device id 'u 1': use letters, digits, '_', '.' and '-' only
    """

    id: str
    protocol: str
    url: str
    points: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    names: Mapping[str, str] = attrs.field(factory=dict)
    options: Mapping[str, Any] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        if not _ID.match(self.id):
            raise UsageError(f"device id {self.id!r}: use letters, digits, '_', '.' and '-' only")
        if self.protocol not in PROTOCOLS:
            raise UsageError(f"device {self.id!r}: protocol must be one of {', '.join(PROTOCOLS)}, "
                             f"got {self.protocol!r}")
        if not isinstance(self.url, str) or not self.url:
            raise UsageError(f"device {self.id!r}: url must be a WebSocket URL")

    @property
    def key(self) -> str:
        """``protocol/id``: what the shard hash is taken of (unique in a config)."""
        return f"{self.protocol}/{self.id}"


@attrs.frozen
class BridgeConfig:
    """The broker settings and the devices of one bridge.

    Examples:
        >>> cfg = BridgeConfig(MqttConfig(), (DeviceConfig("a", "evok", "ws://h/ws"),
        ...                                    DeviceConfig("b", "evok", "ws://h2/ws")))
        >>> [d.id for d in cfg.shard(0, 1)]
        ['a', 'b']
    """

    mqtt: MqttConfig = attrs.field(factory=MqttConfig)
    devices: tuple[DeviceConfig, ...] = attrs.field(default=(), converter=_devices)

    def __attrs_post_init__(self) -> None:
        seen: set[str] = set()
        for device in self.devices:
            if device.key in seen:
                raise UsageError(f"device {device.key} appears twice in the config")
            seen.add(device.key)

    def shard(self, index: int, count: int) -> list[DeviceConfig]:
        """The devices of shard ``index`` of ``count`` (see [`shard_of`][iotws.bridge.shard_of])."""
        return [d for d in self.devices if shard_of(d.key, count) == index]


def shard_of(key: str, count: int) -> int:
    """The shard (0..count-1) that owns device ``key``: a stable hash, the same on every machine.

    Examples:
        >>> shard_of("evok/unit1", 4), shard_of("evok/unit1", 4) == shard_of("evok/unit1", 4)
        (0, True)
    """
    if count < 1:
        raise UsageError(f"a shard count must be >= 1, got {count}")
    digest = hashlib.sha256(key.encode()).digest()
    return int.from_bytes(digest[:8], "big") % count


def parse_shard(text: str) -> tuple[int, int]:
    """``"K/N"`` -> ``(K, N)`` with ``0 <= K < N``.

    Examples:
        >>> parse_shard("1/3")
        (1, 3)
        >>> parse_shard("3/3")
        Traceback (most recent call last):
        iotws.errors.UsageError: --shard wants K/N with 0 <= K < N, got '3/3'
    """
    k, sep, n = text.partition("/")
    try:
        index, count = int(k), int(n)
    except ValueError:
        index, count = -1, 0
    if not sep or not 0 <= index < count:
        raise UsageError(f"--shard wants K/N with 0 <= K < N, got {text!r}")
    return index, count


def _expand(value: Any, environ: Mapping[str, str], where: str) -> Any:
    if isinstance(value, str):
        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in environ:
                raise UsageError(f"{where}: environment variable ${{{name}}} is not set")
            return environ[name]

        return _ENV.sub(sub, value)
    if isinstance(value, Mapping):
        return {k: _expand(v, environ, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, environ, where) for v in value]
    return value


_MQTT_KEYS = {f.name for f in attrs.fields(MqttConfig)}
_DEVICE_KEYS = {f.name for f in attrs.fields(DeviceConfig)}


def _table(data: object, where: str, known: set[str]) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise UsageError(f"{where} must be a table")
    unknown = sorted(set(data) - known)
    if unknown:
        raise UsageError(f"{where}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    return dict(data)


def parse_config(text: str, *, environ: Mapping[str, str] = os.environ) -> BridgeConfig:
    """A [`BridgeConfig`][iotws.bridge.BridgeConfig] from TOML text (`UsageError` for anything wrong, naming where)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"the config is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - {"mqtt", "device"})
    if unknown:
        raise UsageError(f"the config has unknown table(s) {', '.join(unknown)} (known: mqtt, device)")
    mqtt_data = _expand(_table(data.get("mqtt", {}), "[mqtt]", _MQTT_KEYS), environ, "mqtt")
    try:
        mqtt = MqttConfig(**mqtt_data)
    except TypeError as exc:
        raise UsageError(f"[mqtt]: {exc}") from None
    devices_data = data.get("device", [])
    if not isinstance(devices_data, list):
        raise UsageError("device must be an array of tables: [[device]]")
    devices: list[DeviceConfig] = []
    for n, raw in enumerate(devices_data, 1):
        where = f"[[device]] #{n}"
        item = _expand(_table(raw, where, _DEVICE_KEYS), environ, where)
        missing = sorted({"id", "protocol", "url"} - set(item))
        if missing:
            raise UsageError(f"{where}: missing {', '.join(missing)}")
        for key, kind in (("points", list), ("names", Mapping), ("options", Mapping)):
            if key in item and not isinstance(item[key], kind):
                raise UsageError(f"{where}: {key} must be a{'n array' if kind is list else ' table'}")
        devices.append(DeviceConfig(**item))
    return BridgeConfig(mqtt, tuple(devices))


def load_config(path: str | os.PathLike[str], *, environ: Mapping[str, str] = os.environ) -> BridgeConfig:
    """Read a TOML config file (see the module's docstring for its shape)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read the config {os.fspath(path)!r}: {exc.strerror or exc}") from None
    return parse_config(text, environ=environ)

