"""Typed sync and async clients for the Unipi EVOK WebSocket API, with a state cache and a simulator.

EVOK (the API daemon of Unipi Neuron/Patron PLCs) streams device states as JSON
and never answers commands. This package keeps a state cache of every device,
streams typed :class:`DeviceChanged` events, sends ``set`` safely (value-dict
form), and confirms a write, when asked, by the next event showing it.

Examples:
    >>> from evok import Client, EvokSimulator
    >>> with EvokSimulator().run() as sim, Client(sim.url()) as evok:
    ...     relay = evok.set_relay("2_01", True, confirm=True)
    ...     relay.value, evok.state.device("relay", "2_01").value
    (1, 1)
"""

from common.backoff import ReconnectPolicy
from common.codec import DataType, Layout
from common.errors import (
    ConnectError,
    ConnectionClosed,
    IotwsError,
    ProtocolError,
    RequestTimeout,
    UsageError,
)
from common.events import Connected, Disconnected, ProtocolViolation, Reconnected
from evok.client import AsyncClient, Client
from evok.models import (
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
)
from evok.protocol import DeviceChanged, EvokCore, Snapshot, normalize_filter, parse_frame
from evok.simulator import BoardConfig, EvokSimulator

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
    "DigitalInput",
    "DigitalOutput",
    "Disconnected",
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
    "Temperature",
    "UsageError",
    "Watchdog",
    "device_from_wire",
    "emitted_name",
    "normalize_filter",
    "parse_frame",
]
