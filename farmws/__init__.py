"""farmws: typed clients and a reference server for the farm irrigation controller WebSocket.

Two dialects: *D*, the vendor document (``{"event", "data"}`` events from a
controller at ``ws://HOST/``, relayed to dashboards at ``/clients/<id>``), and
*I*, what the only known server implements (devices at ``/controller/<name>``
answering ``command`` messages, dashboards at ``/client/live_hardware_infor``
receiving snapshots). [`Client`][iotws.farmws.Client]/[`AsyncClient`][iotws.farmws.AsyncClient] are the Dialect D
dashboard clients.

Each client's ``events()`` yields a union of its own: ``ControllerEvent`` and
``DashboardEvent`` (the same: typed Dialect D events and the link events),
``DeviceEvent`` and ``LiveEvent``; ``Event`` is the union of all of them.

Examples:
    >>> from iotws import farmws
    >>> with farmws.FarmSimulator(time_scale=0.05).run() as sim:
    ...     with farmws.Client(sim.url("/"), client_id="me") as dash:
    ...         event = dash.next_event(farmws.Temperature, timeout=5)
    >>> event.record is not None
    True
"""

from typing import TYPE_CHECKING

from iotws.backoff import ReconnectPolicy
from iotws.errors import (
    AuthenticationError,
    CodecError,
    ConnectError,
    ConnectionClosed,
    HandshakeError,
    IotwsError,
    ProtocolError,
    RequestTimeout,
    UsageError,
)
from iotws.events import Connected, Disconnected, ProtocolViolation, Reconnected, Stopped
from iotws.farmws.client import Client, ControllerClient, DashboardClient, DeviceClient, LiveClient
from iotws.farmws.emulator import FarmEmulator
from iotws.farmws.models import (
    AnyFarmEvent,
    CommandReply,
    DeviceCommand,
    DeviceState,
    FarmEvent,
    GenericEvent,
    Humidity,
    IrrigationEvent,
    IrrigationStarted,
    IrrigationStopped,
    Reading,
    RegisterSensors,
    SensorDisconnected,
    SensorInfo,
    SensorState,
    SensorStatus,
    SensorUpdate,
    ServerError,
    Snapshot,
    SoilMoisture,
    Temperature,
)
from iotws.farmws.protocol import (
    DEFAULT_SENSORS,
    DEVICE_RECONNECT,
    ControllerEvent,
    DashboardEvent,
    DeviceCore,
    DeviceEvent,
    Event,
    EventCore,
    LiveCore,
    LiveEvent,
    dashboard_url,
    device_url,
    live_url,
)
from iotws.lazy import lazy_exports
from iotws.options import BasicAuth, BearerAuth, ConnectOptions

__all__ = [
    "DEFAULT_SENSORS",
    "DEVICE_RECONNECT",
    "AnyFarmEvent",
    "AsyncClient",
    "AsyncControllerClient",
    "AsyncDashboardClient",
    "AsyncDeviceClient",
    "AsyncLiveClient",
    "AuthenticationError",
    "BasicAuth",
    "BearerAuth",
    "Client",
    "CodecError",
    "CommandReply",
    "ConnectError",
    "ConnectOptions",
    "Connected",
    "ConnectionClosed",
    "ControllerClient",
    "ControllerEvent",
    "DashboardClient",
    "DashboardEvent",
    "DeviceClient",
    "DeviceCommand",
    "DeviceCore",
    "DeviceEvent",
    "DeviceState",
    "Disconnected",
    "Event",
    "EventCore",
    "FarmEmulator",
    "FarmEvent",
    "FarmSimulator",
    "GenericEvent",
    "HandshakeError",
    "Humidity",
    "IotwsError",
    "IrrigationEvent",
    "IrrigationStarted",
    "IrrigationStopped",
    "LiveClient",
    "LiveCore",
    "LiveEvent",
    "ProtocolError",
    "ProtocolViolation",
    "Reading",
    "ReconnectPolicy",
    "Reconnected",
    "RegisterSensors",
    "RequestTimeout",
    "SensorDisconnected",
    "SensorInfo",
    "SensorState",
    "SensorStatus",
    "SensorUpdate",
    "ServerError",
    "Snapshot",
    "SoilMoisture",
    "Stopped",
    "Temperature",
    "UsageError",
    "dashboard_url",
    "device_url",
    "live_url",
]

# The simulator (an aiohttp web server) and the asyncio clients load on first use, so a sync-only import stays light.
if TYPE_CHECKING:
    from iotws.farmws.async_client import (
        AsyncClient,
        AsyncControllerClient,
        AsyncDashboardClient,
        AsyncDeviceClient,
        AsyncLiveClient,
    )
    from iotws.farmws.simulator import FarmSimulator
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "AsyncClient": "iotws.farmws.async_client",
            "AsyncControllerClient": "iotws.farmws.async_client",
            "AsyncDashboardClient": "iotws.farmws.async_client",
            "AsyncDeviceClient": "iotws.farmws.async_client",
            "AsyncLiveClient": "iotws.farmws.async_client",
            "FarmSimulator": "iotws.farmws.simulator",
        },
    )
