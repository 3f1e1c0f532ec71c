"""Hypothesis strategies for OISP messages, public for users' own property tests.

Examples:
    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20)
    ... @given(actuations())
    ... def test_round_trip(act):
    ...     assert Actuation.from_wire(act.to_wire()) == act
    >>> test_round_trip()
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from iotws.oisp.models import Actuation, ActuationContent, DeviceRegistration, Param, dumps

__all__ = [
    "actuation_contents",
    "actuations",
    "json_values",
    "params",
    "registrations",
    "server_frames",
]

_CONTENT_WIRE_KEYS = {"accountId", "domainId", "deviceUID", "deviceId", "gatewayId", "componentId", "command",
                      "transport", "params"}

_ids = st.text(st.characters(codec="utf-8"), min_size=1, max_size=40)


def json_values(max_leaves: int = 10) -> st.SearchStrategy[Any]:
    """Any JSON value that survives a round trip exactly (finite floats, 64-bit ints).

    Examples:
        >>> from hypothesis import find
        >>> find(json_values(), lambda v: isinstance(v, list))
        []
    """
    scalars = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(
        allow_nan=False, allow_infinity=False
    ) | st.text(max_size=20)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=max_leaves,
    )


def _extra(reserved: set[str]) -> st.SearchStrategy[dict[str, Any]]:
    keys = st.text(min_size=1, max_size=12).filter(lambda k: k not in reserved)
    return st.dictionaries(keys, json_values(4), max_size=3)


def params() -> st.SearchStrategy[Param]:
    """An actuation parameter; values are mostly strings, like the platform sends.

    Examples:
        >>> from hypothesis import find
        >>> find(params(), lambda p: isinstance(p.value, str))
        Param(name='', value='')
    """
    values = st.text(max_size=20) | st.integers(-(2**31), 2**31) | st.booleans() | st.none() | st.floats(
        allow_nan=False, allow_infinity=False
    )
    return st.builds(Param, name=st.text(max_size=20), value=values, extra=_extra({"name", "value"}))


def actuation_contents() -> st.SearchStrategy[ActuationContent]:
    """The inner ``content`` of an actuation, with optional ids and unknown keys.

    Examples:
        >>> from hypothesis import find
        >>> find(actuation_contents(), lambda c: c.command is not None).command
        'LED.v1.0'
    """
    opt = st.none() | _ids
    return st.builds(
        ActuationContent,
        account_id=opt,
        domain_id=opt,
        device_uid=opt,
        device_id=opt,
        gateway_id=opt,
        component_id=st.none() | st.uuids().map(str),
        command=st.none() | st.sampled_from(["LED.v1.0", "SET.v1.0", "reboot"]) | _ids,
        params=st.lists(params(), max_size=4).map(tuple),
        transport=st.none() | st.sampled_from(["ws", "auto", "mqtt"]),
        extra=_extra(_CONTENT_WIRE_KEYS),
    )


def actuations() -> st.SearchStrategy[Actuation]:
    """A whole actuation (the ``content`` of a 1024 message).

    Examples:
        >>> from hypothesis import find
        >>> find(actuations(), lambda a: len(a.params) == 1).params[0].name
        ''
    """
    return st.builds(
        Actuation,
        type=st.none() | st.just("command") | _ids,
        transport=st.none() | st.sampled_from(["ws", "auto"]),
        content=actuation_contents(),
        extra=_extra({"type", "transport", "content"}),
    )


def registrations() -> st.SearchStrategy[DeviceRegistration]:
    """A device registration with an arbitrary (opaque) token.

    Examples:
        >>> from hypothesis import find
        >>> find(registrations(), lambda r: True)
        DeviceRegistration(device_id='0', token='***')
    """
    return st.builds(DeviceRegistration, device_id=_ids, token=_ids)


def server_frames() -> st.SearchStrategy[str]:
    """Valid server frames of every kind: actuations, PONG, 200, 401, 500 and unknown codes.

    Examples:
        >>> from hypothesis import find
        >>> find(server_frames(), lambda f: "PONG" in f)
        '{"code":202,"content":"PONG"}'
    """
    return st.one_of(
        actuations().map(lambda a: a.to_frame()),
        st.just(dumps({"code": 202, "content": "PONG"})),
        st.just(dumps({"code": 200, "content": "Record in database update for device"})),
        st.sampled_from(["Invalid device token for device", "Wrong message format"]).map(
            lambda t: dumps({"code": 401, "content": t})
        ),
        st.just(dumps({"code": 500, "content": "Internal server error"})),
        st.builds(lambda c, v: dumps({"code": c, "content": v}), st.integers(0, 5000).filter(
            lambda c: c not in (200, 202, 401, 500, 1024)), json_values(4)),
    )
