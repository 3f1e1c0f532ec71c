"""oisp: typed sync and async device clients for the OISP IoT WebSocket server, and its simulator.

A device opens a WebSocket (subprotocol ``echo-protocol``), registers with its device token,
and then receives actuations (commands) pushed by the platform.

Examples:
    >>> from iotws.oisp import Client, OispSimulator
    >>> with OispSimulator(blind_window=0).run() as sim:  # no 3 s blind window
    ...     token = sim.issue_token("dev-1", "acc-1")
    ...     with Client(sim.url(), "dev-1", token, grace=0.2) as dev:
    ...         _ = sim.actuate_sync("acc-1", "dev-1", "LED.v1.0", {"LED": "1"})
    ...         print(next(dev.actuations(timeout=5)).params_dict())
    {'LED': '1'}
"""

from typing import TYPE_CHECKING

from iotws.backoff import ReconnectPolicy
from iotws.errors import (
    AuthenticationError,
    ConnectError,
    ConnectionClosed,
    HandshakeError,
    IotwsError,
    ProtocolError,
    RemoteError,
    RequestTimeout,
    UsageError,
)
from iotws.events import Connected, Disconnected, ProtocolViolation, Reconnected, Stopped
from iotws.lazy import lazy_exports
from iotws.oisp.client import Client
from iotws.oisp.models import (
    Actuation,
    ActuationContent,
    DeviceRegistration,
    InternalServerError,
    InvalidTokenError,
    OispServerError,
    Param,
    Pong,
    Registered,
    ServerError,
    SupersededError,
    UnknownMessage,
    WrongMessageFormat,
    parse_server_message,
)
from iotws.oisp.protocol import DeviceOptionsDict, Event, OispCore, default_reconnect_policy
from iotws.oisp.tokens import TokenKeys

__all__ = [
    "Actuation",
    "ActuationContent",
    "AsyncClient",
    "AuthenticationError",
    "Client",
    "ConnectError",
    "Connected",
    "ConnectionClosed",
    "DeviceEvent",
    "DeviceOptionsDict",
    "DeviceRegistration",
    "Disconnected",
    "Event",
    "Gateway",
    "HandshakeError",
    "InternalServerError",
    "InvalidTokenError",
    "IotwsError",
    "OispCore",
    "OispServerError",
    "OispSimulator",
    "Param",
    "Pong",
    "ProtocolError",
    "ProtocolViolation",
    "ReconnectPolicy",
    "Reconnected",
    "Registered",
    "RemoteError",
    "RequestTimeout",
    "ServerError",
    "Stopped",
    "SupersededError",
    "TokenKeys",
    "UnknownMessage",
    "UsageError",
    "WrongMessageFormat",
    "default_reconnect_policy",
    "parse_server_message",
]

# The simulator (an aiohttp web server), the asyncio client and the gateway (asyncio only)
# load on first use, so a sync-only import stays light.
if TYPE_CHECKING:
    from iotws.oisp.async_client import AsyncClient
    from iotws.oisp.gateway import DeviceEvent, Gateway
    from iotws.oisp.simulator import OispSimulator
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "AsyncClient": "iotws.oisp.async_client",
            "DeviceEvent": "iotws.oisp.gateway",
            "Gateway": "iotws.oisp.gateway",
            "OispSimulator": "iotws.oisp.simulator",
        },
    )
