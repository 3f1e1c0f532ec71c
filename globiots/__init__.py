"""Typed sync and async clients for the Globiots Data Engine, and an iConnector simulator.

Stream live values of iConnector devices (``/data-engine/realtime``) and set values
(``/data-engine/set-data``) with :class:`Client` or :class:`AsyncClient`; test without
hardware against :class:`GlobiotsSimulator`.

Examples:
    >>> from globiots import Client, DataType, GlobiotsSimulator, Point
    >>> with GlobiotsSimulator(time_scale=20).run() as sim, Client(sim.base_url) as client:
    ...     first = client.subscribe([Point("0.0.0.1", "2004", DataType.UINT16)], update_time=1)
    ...     isinstance(first.values[0].value, int)
    True
"""

from common.backoff import ReconnectPolicy
from common.codec import DataType
from common.errors import (
    AuthenticationError,
    CodecError,
    ConnectError,
    ConnectionClosed,
    HandshakeError,
    IotwsError,
    ProtocolError,
    RemoteError,
    RequestTimeout,
    TLSError,
    UsageError,
)
from common.events import Connected, Disconnected, ProtocolViolation, Reconnected
from globiots.client import AsyncClient, Client, endpoint_url
from globiots.models import (
    AreaNotWritableError,
    ChangeOfValue,
    DeviceDetachedError,
    DeviceLockedError,
    DeviceNotFoundError,
    DeviceTimeoutError,
    Point,
    PointValue,
    PointWrite,
    RealtimeRequest,
    RealtimeUpdate,
    ResponseCode,
    SetDataError,
    SetRequest,
    SetResponse,
    SetResult,
)
from globiots.protocol import DEFAULT_BASE_URL
from globiots.simulator import Device, GlobiotsSimulator

__all__ = [
    "DEFAULT_BASE_URL",
    "AreaNotWritableError",
    "AsyncClient",
    "AuthenticationError",
    "ChangeOfValue",
    "Client",
    "CodecError",
    "ConnectError",
    "Connected",
    "ConnectionClosed",
    "DataType",
    "Device",
    "DeviceDetachedError",
    "DeviceLockedError",
    "DeviceNotFoundError",
    "DeviceTimeoutError",
    "Disconnected",
    "GlobiotsSimulator",
    "HandshakeError",
    "IotwsError",
    "Point",
    "PointValue",
    "PointWrite",
    "ProtocolError",
    "ProtocolViolation",
    "RealtimeRequest",
    "RealtimeUpdate",
    "ReconnectPolicy",
    "Reconnected",
    "RemoteError",
    "RequestTimeout",
    "ResponseCode",
    "SetDataError",
    "SetRequest",
    "SetResponse",
    "SetResult",
    "TLSError",
    "UsageError",
    "endpoint_url",
]
