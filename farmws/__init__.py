"""farmws: typed clients and a reference server for the farm irrigation controller WebSocket.

Two dialects: *D*, the vendor document (``{"event", "data"}`` events from a
controller at ``ws://HOST/``, relayed to dashboards at ``/clients/<id>``), and
*I*, what the only known server implements (devices at ``/controller/<name>``
answering ``command`` messages, dashboards at ``/client/live_hardware_infor``
receiving snapshots). :class:`Client`/:class:`AsyncClient` are the Dialect D
dashboard clients.

Examples:
    >>> import farmws
    >>> with farmws.FarmSimulator(time_scale=0.05).run() as sim:
    ...     with farmws.Client(sim.url("/"), client_id="me") as dash:
    ...         event = dash.next_event(farmws.Temperature, timeout=5)
    >>> event.record is not None
    True
"""

from common.backoff import ReconnectPolicy
from common.errors import (
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
from common.events import Connected, Disconnected, ProtocolViolation, Reconnected
from common.options import BasicAuth, BearerAuth, ConnectOptions
from farmws.client import (
    AsyncControllerClient,
    AsyncDashboardClient,
    AsyncDeviceClient,
    AsyncLiveClient,
    ControllerClient,
    DashboardClient,
    DeviceClient,
    LiveClient,
    dashboard_url,
    device_url,
    live_url,
)
from farmws.emulator import FarmEmulator
from farmws.models import (
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
from farmws.protocol import DEFAULT_SENSORS, DeviceCore, EventCore, LiveCore
from farmws.simulator import FarmSimulator

#: The Dialect D dashboard clients are the package's default clients.
Client = DashboardClient
AsyncClient = AsyncDashboardClient

__all__ = [
    "DEFAULT_SENSORS",
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
    "DashboardClient",
    "DeviceClient",
    "DeviceCommand",
    "DeviceCore",
    "DeviceState",
    "Disconnected",
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
    "Temperature",
    "UsageError",
    "dashboard_url",
    "device_url",
    "live_url",
]
