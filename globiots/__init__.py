"""Typed sync and async clients for the Globiots Data Engine, and an iConnector simulator.

Stream live values of iConnector devices (``/data-engine/realtime``) and set values (``/data-engine/set-data``) with
[`Client`][iotws.globiots.Client] or [`AsyncClient`][iotws.globiots.AsyncClient]; test without hardware against
[`GlobiotsSimulator`][iotws.globiots.GlobiotsSimulator].

Examples:
    >>> from iotws.globiots import Client, DataType, GlobiotsSimulator, Point
    >>> with GlobiotsSimulator(time_scale=20).run() as sim, Client(sim.base_url) as client:
    ...     first = client.subscribe([Point("0.0.0.1", "2004", DataType.UINT16)], update_time=1)
    ...     isinstance(first.values[0].value, int)
    True
"""

from typing import TYPE_CHECKING

from iotws.backoff import ReconnectPolicy
from iotws.codec import DataType
from iotws.errors import (
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
from iotws.events import Connected, Disconnected, ProtocolViolation, Reconnected, Stopped
from iotws.globiots.client import Client
from iotws.globiots.models import (
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
from iotws.globiots.protocol import DEFAULT_BASE_URL, Event, endpoint_url
from iotws.lazy import lazy_exports

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
    "Event",
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
    "Stopped",
    "TLSError",
    "UsageError",
    "endpoint_url",
]

# The simulator (an aiohttp web server) and the asyncio client load on first use, so a sync-only import stays light.
if TYPE_CHECKING:
    from iotws.globiots.async_client import AsyncClient
    from iotws.globiots.simulator import Device, GlobiotsSimulator
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "AsyncClient": "iotws.globiots.async_client",
            "Device": "iotws.globiots.simulator",
            "GlobiotsSimulator": "iotws.globiots.simulator",
        },
    )
