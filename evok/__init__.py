"""Typed sync and async clients for the Unipi EVOK WebSocket API, with a state cache and a simulator.

EVOK (the API daemon of Unipi Neuron/Patron PLCs) streams device states as JSON
and never answers commands. This package keeps a state cache of every device,
streams typed events ([`Event`][iotws.evok.Event]: [`DeviceChanged`][iotws.evok.DeviceChanged],
[`DeviceRemoved`][iotws.evok.DeviceRemoved],
[`Snapshot`][iotws.evok.Snapshot] and the link events), sends ``set`` safely (value-dict form), and
returns from a setter once EVOK reports the new state ([`Client.send`][iotws.evok.Client.send] writes
without waiting).

Examples:
    >>> from iotws.evok import Client, EvokSimulator
    >>> with EvokSimulator().run() as sim, Client(sim.url()) as evok:
    ...     relay = evok.set_relay("2_01", True)
    ...     relay.value, evok.state.device("relay", "2_01").value
    (1, 1)
"""

from typing import TYPE_CHECKING

from iotws.backoff import ReconnectPolicy
from iotws.codec import DataType, Layout
from iotws.errors import (
    ConnectError,
    ConnectionClosed,
    IotwsError,
    ProtocolError,
    RequestTimeout,
    UsageError,
)
from iotws.events import Connected, Disconnected, ProtocolViolation, Reconnected, Stopped
from iotws.evok.client import Client
from iotws.evok.models import (
    AliasTarget,
    AnalogInput,
    AnalogOutput,
    Board,
    DataPoint,
    Device,
    DeviceInfo,
    DigitalInput,
    DigitalOutput,
    GenericDevice,
    Led,
    LegacyInput,
    LegacyRelay,
    ModbusSlave,
    ModeInfo,
    NvSave,
    OneWireBus,
    OneWireDevice,
    OneWirePower,
    Register,
    Relay,
    Run,
    State,
    Temperature,
    Watchdog,
    device_from_wire,
    emitted_name,
    same_state,
)
from iotws.evok.protocol import (
    DeviceChanged,
    DeviceRemoved,
    Event,
    EvokCore,
    Snapshot,
    normalize_filter,
    parse_frame,
)
from iotws.lazy import lazy_exports

__all__ = [
    "AliasTarget",
    "AnalogInput",
    "AnalogOutput",
    "AsyncClient",
    "Board",
    "BoardConfig",
    "Client",
    "ConnectError",
    "Connected",
    "ConnectionClosed",
    "DataPoint",
    "DataType",
    "Device",
    "DeviceChanged",
    "DeviceInfo",
    "DeviceRemoved",
    "DigitalInput",
    "DigitalOutput",
    "Disconnected",
    "Event",
    "EvokCore",
    "EvokSimulator",
    "GenericDevice",
    "IotwsError",
    "Layout",
    "Led",
    "LegacyInput",
    "LegacyRelay",
    "ModbusSlave",
    "ModeInfo",
    "NvSave",
    "OneWireBus",
    "OneWireDevice",
    "OneWirePower",
    "ProtocolError",
    "ProtocolViolation",
    "ReconnectPolicy",
    "Reconnected",
    "Register",
    "Relay",
    "RequestTimeout",
    "Run",
    "Snapshot",
    "State",
    "Stopped",
    "Temperature",
    "UsageError",
    "Watchdog",
    "device_from_wire",
    "emitted_name",
    "normalize_filter",
    "parse_frame",
    "same_state",
]

# The simulator (an aiohttp web server) and the asyncio client load on first use, so a sync-only import stays light.
if TYPE_CHECKING:
    from iotws.evok.async_client import AsyncClient
    from iotws.evok.simulator import BoardConfig, EvokSimulator
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "AsyncClient": "iotws.evok.async_client",
            "BoardConfig": "iotws.evok.simulator",
            "EvokSimulator": "iotws.evok.simulator",
        },
    )
