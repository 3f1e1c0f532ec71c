"""The bridge's topic tree and the JSON payloads on it.

Under ``<prefix>/<protocol>/<device>/``:

* ``availability``: ``online`` / ``offline`` (retained);
* ``<point>/state``: the point's state, retained: a ``value`` record of the
  ``iotws.cli.CONCEPTS`` schema (``time``, ``point``, ``name``, ``value``, ``unit``,
  ``quality``, ``error``, ``detail``), the same keys for every protocol, ``null`` where a
  protocol has no such thing; an empty retained message when the point is gone;
* ``<point>/event``: things that happen rather than states (OISP actuations, farmws
  irrigation changes), not retained;
* ``<point>/set``: commands in; ``<point>/set/result``: one ``result`` record per command.

The bridge itself says ``online`` on ``<prefix>/bridge/<client id>/availability``,
and its MQTT Last Will says ``offline`` there.

A point is one or more topic levels (EVOK ``ro/2_01``); characters MQTT or Home
Assistant dislike become ``_``.

Examples:
    >>> t = Topics("iotws")
    >>> t.state("evok", "unit1", "ro/2_01")
    'iotws/evok/unit1/ro/2_01/state'
    >>> t.point_of("evok", "unit1", "iotws/evok/unit1/ro/2_01/set")
    'ro/2_01'
    >>> point_level("Group 1.Data Point+1")
    'Group_1.Data_Point_1'
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import attrs

from iotws.cli import Record, record

__all__ = [
    "OFFLINE",
    "ONLINE",
    "Topics",
    "command_value",
    "dumps",
    "point_level",
    "point_topic",
    "result_payload",
    "state_payload",
]

ONLINE = "online"
OFFLINE = "offline"

_BAD = re.compile(r"[^A-Za-z0-9_.:-]+")


def point_level(text: str) -> str:
    """One topic level from any text: runs of other characters than ``A-Za-z0-9_.:-`` become ``_``."""
    return _BAD.sub("_", text).strip("_") or "_"


def point_topic(*parts: str) -> str:
    """A point of several levels (``point_topic("ro", "2_01") == "ro/2_01"``)."""
    return "/".join(point_level(p) for p in parts)


@attrs.frozen
class Topics:
    """The topic names under one ``prefix``."""

    prefix: str

    def device(self, protocol: str, device: str) -> str:
        """``<prefix>/<protocol>/<device>``."""
        return f"{self.prefix}/{protocol}/{device}"

    def availability(self, protocol: str, device: str) -> str:
        """A device's availability topic."""
        return f"{self.prefix}/{protocol}/{device}/availability"

    def bridge_availability(self, client_id: str) -> str:
        """The bridge's own availability topic (its Last Will)."""
        return f"{self.prefix}/bridge/{point_level(client_id)}/availability"

    def state(self, protocol: str, device: str, point: str) -> str:
        """A point's state topic."""
        return f"{self.prefix}/{protocol}/{device}/{point}/state"

    def event(self, protocol: str, device: str, point: str) -> str:
        """A point's event topic."""
        return f"{self.prefix}/{protocol}/{device}/{point}/event"

    def command(self, protocol: str, device: str, point: str) -> str:
        """A point's command topic."""
        return f"{self.prefix}/{protocol}/{device}/{point}/set"

    def result(self, protocol: str, device: str, point: str) -> str:
        """Where a point's command results go."""
        return f"{self.prefix}/{protocol}/{device}/{point}/set/result"

    def command_filters(self, protocol: str, device: str, depths: frozenset[int]) -> list[str]:
        """The subscriptions that catch a device's commands: one ``+`` per point level, then ``set``."""
        base = self.device(protocol, device)
        return [base + "/+" * depth + "/set" for depth in sorted(depths)]

    def point_of(self, protocol: str, device: str, topic: str) -> str | None:
        """The point of a command topic of this device, else ``None``."""
        base = self.device(protocol, device) + "/"
        if not topic.startswith(base) or not topic.endswith("/set"):
            return None
        point = topic[len(base) : -len("/set")]
        return point or None


def dumps(data: Any) -> bytes:
    """Compact JSON bytes (what every payload is)."""
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def state_payload(
    protocol: str,
    point: str,
    value: Any,
    *,
    when: dt.datetime | None = None,
    name: str | None = None,
    unit: str | None = None,
    quality: str | None = None,
    error: str | None = None,
    detail: dict[str, Any] | None = None,
) -> Record:
    """The ``value`` record a state topic carries.

    Examples:
        >>> rec = state_payload("evok", "ai/1_01", 4.2, unit="V", when=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        >>> sorted(rec), rec["time"], rec["unit"]  # doctest: +NORMALIZE_WHITESPACE
        (['detail', 'error', 'name', 'point', 'protocol', 'quality', 'time', 'type', 'unit', 'value'],
         '2026-01-01T00:00:00.000000Z', 'V')
    """
    return record(
        protocol, "value", when, point=point, name=name, value=value, unit=unit, quality=quality, error=error,
        detail=detail,
    )


def result_payload(
    protocol: str,
    point: str,
    *,
    ok: bool,
    value: Any = None,
    error: str | None = None,
    detail: dict[str, Any] | None = None,
) -> Record:
    """The ``result`` record of one command (``detail`` holds the request and, if any, the confirmed state).

    Examples:
        >>> rec = result_payload("evok", "ro/2_01", ok=False, error="device offline")
        >>> rec["type"], rec["ok"], rec["error"]
        ('result', False, 'device offline')
    """
    return record(protocol, "result", None, point=point, ok=ok, value=value, error=error, detail=detail)


def command_value(payload: bytes) -> tuple[Any, dict[str, Any], str | None]:
    """A ``set`` message: ``(value, more parameters, the caller's correlation id)``.

    A payload is JSON (``1``, ``true``, ``21.5``, ``"Current"``, or an object
    ``{"value": ..., "id": "...", "<param>": ...}``) or plain text: ``ON``/``OFF`` (what
    Home Assistant sends) become ``1``/``0``, other text stays text.

    Examples:
        >>> command_value(b'{"value": 1, "id": "a7"}'), command_value(b"ON"), command_value(b"2.5")
        ((1, {}, 'a7'), (1, {}, None), (2.5, {}, None))
        >>> command_value(b'{"value": 1, "timeout": 2}')
        (1, {'timeout': 2}, None)
    """
    text = payload.decode("utf-8", errors="replace").strip()
    if text.upper() in ("ON", "OFF"):
        return (1 if text.upper() == "ON" else 0), {}, None
    try:
        data = json.loads(text)
    except ValueError:
        return text, {}, None
    if isinstance(data, dict):
        ident = data.get("id")
        params = {k: v for k, v in data.items() if k not in ("value", "id")}
        return data.get("value"), params, None if ident is None else str(ident)
    return data, {}, None
