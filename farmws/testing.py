"""Hypothesis strategies for farmws messages, for this package's tests and yours.

Examples:
    >>> from hypothesis import given
    >>> from iotws.farmws.protocol import encode, parse_event
    >>> @given(farm_events())
    ... def test_round_trip(event):
    ...     assert parse_event(encode(event.to_wire())) == event
    >>> test_round_trip()
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from iotws.farmws.models import (
    EVENT_TYPES,
    DeviceCommand,
    DeviceState,
    FarmEvent,
    GenericEvent,
    Humidity,
    IrrigationStarted,
    IrrigationStopped,
    RegisterSensors,
    SensorDisconnected,
    SensorInfo,
    SensorState,
    SensorStatus,
    SensorUpdate,
    Snapshot,
    SoilMoisture,
    Temperature,
)

__all__ = [
    "device_commands",
    "event_frames",
    "farm_events",
    "generic_events",
    "json_values",
    "numbers",
    "register_sensors",
    "sensor_statuses",
    "sensor_updates",
    "snapshots",
    "typed_events",
]

_text = st.text(max_size=12)


def json_values(max_leaves: int = 8) -> st.SearchStrategy[Any]:
    """Any JSON value (finite floats only).

    Examples:
        >>> from hypothesis import find
        >>> find(json_values(), lambda x: True) is not ...
        True
    """
    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _text
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_text, inner, max_size=4),
        max_leaves=max_leaves,
    )


def numbers() -> st.SearchStrategy[int | float]:
    """A JSON number a reading may carry (ints and finite floats).

    Examples:
        >>> from hypothesis import find
        >>> isinstance(find(numbers(), lambda x: True), (int, float))
        True
    """
    return st.integers(-(2**53), 2**53) | st.floats(allow_nan=False, allow_infinity=False)


def _extra(*known: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(_text.filter(lambda k: k not in known), json_values(4), max_size=3)


_times = st.none() | st.integers(0, 2**53)


def typed_events() -> st.SearchStrategy[FarmEvent]:
    """The six typed Dialect D events, every field optional, unknown keys in ``extra``.

    Examples:
        >>> from hypothesis import find
        >>> find(typed_events(), lambda x: True).event in EVENT_TYPES
        True
    """
    readings = st.sampled_from([Temperature, Humidity, SoilMoisture]).flatmap(
        lambda cls: st.builds(cls, time=_times, record=st.none() | numbers(), extra=_extra("time", "record"))
    )
    zones = st.none() | st.lists(_text, max_size=4).map(tuple)
    irrigation = st.sampled_from([IrrigationStarted, IrrigationStopped]).flatmap(
        lambda cls: st.builds(cls, time=_times, zones=zones, extra=_extra("time", "zones"))
    )
    disconnected = st.builds(
        SensorDisconnected, time=_times, sensor=st.none() | _text, extra=_extra("time", "sensor")
    )
    return readings | irrigation | disconnected


def generic_events() -> st.SearchStrategy[GenericEvent]:
    """Events with names farmws has no model for, and any data.

    Examples:
        >>> from hypothesis import find
        >>> find(generic_events(), lambda x: True).event in EVENT_TYPES
        False
    """
    names = st.text(max_size=20).filter(lambda name: name not in EVENT_TYPES)
    return st.builds(GenericEvent, event=names, data=json_values())


def farm_events() -> st.SearchStrategy[FarmEvent]:
    """Any Dialect D event, typed or generic.

    Examples:
        >>> from hypothesis import find
        >>> isinstance(find(farm_events(), lambda x: True), FarmEvent)
        True
    """
    return typed_events() | generic_events()


def event_frames() -> st.SearchStrategy[str]:
    """Text frames carrying [`farm_events`][iotws.farmws.testing.farm_events].

    Examples:
        >>> from hypothesis import find
        >>> find(event_frames(), lambda x: True).startswith('{"event":')
        True
    """
    from iotws.farmws.protocol import encode

    return farm_events().map(lambda event: encode(event.to_wire()))


_sensor_ids = st.text(min_size=1, max_size=12)


def register_sensors() -> st.SearchStrategy[RegisterSensors]:
    """``register_sensors`` messages.

    Examples:
        >>> from hypothesis import find
        >>> isinstance(find(register_sensors(), lambda x: True), RegisterSensors)
        True
    """
    info = st.builds(SensorInfo, name=st.none() | _text, extra=_extra("name"))
    return st.builds(RegisterSensors, sensors=st.dictionaries(_sensor_ids, info, max_size=5))


def sensor_updates() -> st.SearchStrategy[SensorUpdate]:
    """``sensor_update`` messages.

    Examples:
        >>> from hypothesis import find
        >>> isinstance(find(sensor_updates(), lambda x: True), SensorUpdate)
        True
    """
    return st.builds(SensorUpdate, values=st.dictionaries(_sensor_ids, numbers(), max_size=5))


def sensor_statuses() -> st.SearchStrategy[SensorStatus]:
    """``sensor_status`` messages.

    Examples:
        >>> from hypothesis import find
        >>> isinstance(find(sensor_statuses(), lambda x: True), SensorStatus)
        True
    """
    return st.builds(SensorStatus, connected=st.dictionaries(_sensor_ids, st.booleans(), max_size=5))


def device_commands() -> st.SearchStrategy[DeviceCommand]:
    """Server -> device ``command`` messages, with or without a 10-character return id.

    Examples:
        >>> from hypothesis import find
        >>> isinstance(find(device_commands(), lambda x: True), DeviceCommand)
        True
    """
    words = st.sampled_from(["irrigation", "drainage", "config", "status"])
    actions = st.sampled_from(["start", "stop", "status", "--socket_send_data_seconds 3"])
    cmds = st.tuples(words, actions).map(" ".join) | _text
    rids = st.none() | st.text("abcdefghijABCDEFGHIJ0123456789", min_size=10, max_size=10)
    return st.builds(DeviceCommand, cmd=cmds, return_id=rids, extra=_extra("cmd"))


def snapshots() -> st.SearchStrategy[Snapshot]:
    """Dashboard snapshots (device key = device name, as the reference server sends).

    Examples:
        >>> from hypothesis import find
        >>> isinstance(find(snapshots(), lambda x: True), Snapshot)
        True
    """
    sensor = st.builds(
        SensorState,
        status=st.none() | st.booleans(),
        last_value=json_values(2),
        name=st.none() | _text,
        extra=_extra("status", "last_value", "name"),
    )
    sensors = st.dictionaries(_sensor_ids, sensor, max_size=4)
    devices = st.dictionaries(_sensor_ids, sensors, max_size=3)
    return devices.map(
        lambda found: Snapshot({name: DeviceState(name=name, sensors=s) for name, s in found.items()})
    )
