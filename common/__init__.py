"""iotws: typed sync and async clients, and simulators, for industrial IoT WebSocket APIs.

This package is the shared layer (codec, errors, lifecycle events, connection
options, reconnect policy); each protocol is a subpackage with the same shape:
[`iotws.globiots`][], [`iotws.evok`][], [`iotws.xentara`][], [`iotws.oisp`][]
and [`iotws.farmws`][]. Importing [`iotws`][] is cheap: the asyncio driver
(aiohttp), the simulators, the memory map (construct) and the hypothesis
strategies load the first time something uses them.

Examples:
    >>> import iotws
    >>> iotws.__version__
    '0.1.0'
    >>> from iotws import DataType, Layout, pack, unpack
    >>> buf = bytearray(4)
    >>> pack(buf, 0, DataType.INT32, -2, layout=Layout.CDAB)
    >>> buf.hex(" "), unpack(buf, 0, DataType.INT32, layout=Layout.CDAB)
    ('ff fe ff ff', -2)
"""

from typing import TYPE_CHECKING

from iotws._version import __version__
from iotws.lazy import lazy_exports
from iotws.logs import package_logger

PROTOCOLS = ("globiots", "evok", "xentara", "oisp", "farmws")
"""The protocol subpackages (``iotws.<name>``), in the order the CLI and the demo list them."""

# Every iotws logger gets a NullHandler up front: the library prints nothing unless the
# application configures logging (then frames at DEBUG, lifecycle at INFO, problems at WARNING).
for _name in ("iotws", *(f"iotws.{p}" for p in PROTOCOLS)):
    package_logger(_name)
del _name

# The shared names load on first use: a program (or a pytest run with the iotws plugin) that
# imports iotws without using them pays for none of their modules.
if TYPE_CHECKING:
    from iotws.backoff import ReconnectPolicy, is_retryable
    from iotws.codec import (
        ByteOrder,
        DataType,
        Layout,
        Packer,
        Unpacker,
        WordOrder,
        coerce,
        from_registers,
        from_text,
        pack,
        packer,
        size_of,
        to_registers,
        to_text,
        unpack,
        unpacker,
    )
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
    from iotws.events import Connected, Disconnected, LifecycleEvent, ProtocolViolation, Reconnected, Stopped
    from iotws.options import BasicAuth, BearerAuth, ConnectOptions
else:
    __getattr__, __dir__ = lazy_exports(
        __name__,
        {
            "AuthenticationError": "iotws.errors",
            "BasicAuth": "iotws.options",
            "BearerAuth": "iotws.options",
            "ByteOrder": "iotws.codec",
            "CodecError": "iotws.errors",
            "ConnectError": "iotws.errors",
            "ConnectOptions": "iotws.options",
            "Connected": "iotws.events",
            "ConnectionClosed": "iotws.errors",
            "DataType": "iotws.codec",
            "Disconnected": "iotws.events",
            "HandshakeError": "iotws.errors",
            "IotwsError": "iotws.errors",
            "Layout": "iotws.codec",
            "Packer": "iotws.codec",
            "Unpacker": "iotws.codec",
            "LifecycleEvent": "iotws.events",
            "ProtocolError": "iotws.errors",
            "ProtocolViolation": "iotws.events",
            "ReconnectPolicy": "iotws.backoff",
            "Reconnected": "iotws.events",
            "Stopped": "iotws.events",
            "RemoteError": "iotws.errors",
            "RequestTimeout": "iotws.errors",
            "TLSError": "iotws.errors",
            "UsageError": "iotws.errors",
            "WordOrder": "iotws.codec",
            "coerce": "iotws.codec",
            "from_registers": "iotws.codec",
            "from_text": "iotws.codec",
            "is_retryable": "iotws.backoff",
            "pack": "iotws.codec",
            "packer": "iotws.codec",
            "size_of": "iotws.codec",
            "to_registers": "iotws.codec",
            "to_text": "iotws.codec",
            "unpack": "iotws.codec",
            "unpacker": "iotws.codec",
        },
    )

__all__ = [
    "PROTOCOLS",
    "AuthenticationError",
    "BasicAuth",
    "BearerAuth",
    "ByteOrder",
    "CodecError",
    "ConnectError",
    "ConnectOptions",
    "Connected",
    "ConnectionClosed",
    "DataType",
    "Disconnected",
    "HandshakeError",
    "IotwsError",
    "Layout",
    "LifecycleEvent",
    "Packer",
    "ProtocolError",
    "ProtocolViolation",
    "ReconnectPolicy",
    "Reconnected",
    "RemoteError",
    "RequestTimeout",
    "Stopped",
    "TLSError",
    "Unpacker",
    "UsageError",
    "WordOrder",
    "__version__",
    "coerce",
    "from_registers",
    "from_text",
    "is_retryable",
    "pack",
    "packer",
    "size_of",
    "to_registers",
    "to_text",
    "unpack",
    "unpacker",
]
